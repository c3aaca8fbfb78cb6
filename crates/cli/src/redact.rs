//! `baomi redact`: a masked copy of a text or HTML file, in its original encoding; documents
//! go to `redact_doc`.

use anyhow::{Context as _, Result, bail};
use baomi_extract::{Format, Sniffed, TextDecoder, detect, sniff};
use baomi_inspect::mask::{MaskProfile, redact};
use baomi_inspect::policy::{Action, Audience, Channel, Policy, Request};
use baomi_inspect::{Dictionary, Kind, ScanOptions, Scanner};
use clap::Args;
use std::io::{Read, Write};
use std::path::PathBuf;

/// Largest file redacted (it is held in memory whole).
const MAX_REDACT: u64 = 512 << 20;

#[derive(Args)]
pub struct RedactArgs {
    /// The file to mask (`-` for stdin).
    input: PathBuf,
    /// Where to write the masked copy (default: stdout).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Masking profile: a built-in name (default, keep-last, strict) or a TOML file.
    #[arg(long, default_value = "default")]
    profile: String,
    /// A dictionary of terms to mask as well.
    #[arg(long, value_name = "FILE")]
    dict: Option<PathBuf>,
    /// Mask personal data even in a document that carries a classification marking
    /// (by default such a document is refused: it must not be published at all).
    #[arg(long)]
    allow_classified: bool,
}

fn is_html(path: &std::path::Path, text: &str) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let head = text
        .trim_start()
        .get(..15)
        .unwrap_or("")
        .to_ascii_lowercase();
    matches!(ext.as_str(), "html" | "htm" | "xhtml")
        || head.starts_with("<!doctype html")
        || head.starts_with("<html")
}

/// The HTML with every tag, comment and `&nbsp;` blanked to spaces of the same byte length, so
/// that offsets still point into the original. `陳情人<b>王小明</b>` reads as `陳情人   王小明`.
fn html_view(html: &str) -> (String, Vec<(usize, usize)>) {
    let mut view = html.as_bytes().to_vec();
    let mut tags = vec![];
    let b = html.as_bytes();
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'<', &b[i..]) {
        let s = i + off;
        let close = if html[s..].starts_with("<!--") {
            html[s..].find("-->").map(|e| s + e + 3)
        } else {
            memchr::memchr(b'>', &b[s..]).map(|e| s + e + 1)
        };
        let Some(e) = close else { break };
        view[s..e].fill(b' ');
        tags.push((s, e));
        i = e;
    }
    let mut out = String::from_utf8(view).unwrap_or_else(|_| html.to_string());
    out = out.replace("&nbsp;", "      ");
    (out, tags)
}

/// Findings of an HTML page: the raw markup (for attributes: `mailto:`, `title`, `value`) and the
/// text with tags blanked (for names and numbers split from their context by a tag). A finding of
/// the text view that would cross into a tag is left out: masking must never break the markup.
fn html_findings(scanner: &Scanner, html: &str) -> Vec<baomi_inspect::Finding> {
    let mut found = scanner.scan(html);
    let (view, tags) = html_view(html);
    for f in scanner.scan(&view) {
        let in_tag = tags.iter().any(|(s, e)| f.start < *e && *s < f.end);
        if !in_tag
            && !found
                .iter()
                .any(|g| g.start == f.start && g.end == f.end && g.kind == f.kind)
        {
            found.push(f);
        }
    }
    found.sort_by_key(|f| f.start);
    found
}

/// Writes the masked copy to `path` atomically (a temporary file renamed), or to stdout.
fn write_out(path: Option<&std::path::Path>, out: &[u8]) -> Result<()> {
    match path {
        Some(p) => {
            let tmp = p.with_extension("baomi-tmp");
            std::fs::write(&tmp, out).with_context(|| format!("writing {}", tmp.display()))?;
            std::fs::rename(&tmp, p).with_context(|| format!("writing {}", p.display()))?;
        }
        None => std::io::stdout().lock().write_all(out)?,
    }
    Ok(())
}

pub fn run(a: RedactArgs) -> Result<u8> {
    let profile = match MaskProfile::named(&a.profile) {
        Some(p) => p,
        None => {
            let src = std::fs::read_to_string(&a.profile).with_context(|| {
                format!(
                    "profile {:?} is neither built in ({}) nor a readable file",
                    a.profile,
                    MaskProfile::BUILT_IN.join(", ")
                )
            })?;
            toml::from_str(&src).with_context(|| format!("profile file {}", a.profile))?
        }
    };
    let dict = match &a.dict {
        Some(p) => Dictionary::parse(
            &std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
        )?,
        None => Dictionary::default(),
    };
    let bytes = if a.input.as_os_str() == "-" {
        let mut v = vec![];
        std::io::stdin().take(MAX_REDACT + 1).read_to_end(&mut v)?;
        v
    } else {
        let f = std::fs::File::open(&a.input)
            .with_context(|| format!("opening {}", a.input.display()))?;
        let mut v = vec![];
        f.take(MAX_REDACT + 1)
            .read_to_end(&mut v)
            .with_context(|| format!("reading {}", a.input.display()))?;
        v
    };
    if bytes.len() as u64 > MAX_REDACT {
        bail!(
            "{}: larger than {} MiB; redact works on whole files in memory",
            a.input.display(),
            MAX_REDACT >> 20
        );
    }
    let name = a.input.file_name().and_then(|n| n.to_str());
    if !matches!(
        detect(&bytes, name),
        Format::Text | Format::Html | Format::Binary
    ) {
        let scanner = Scanner::with(&dict, &ScanOptions::default());
        let m = crate::redact_doc::mask(&a.input, &bytes, &scanner, &profile)?;
        if let Some((origin, value)) = &m.marking
            && !a.allow_classified
        {
            bail!(
                "{} > {origin}: carries the classification marking {value:?}; a classified document must not be published, masked or not (use --allow-classified to mask it anyway)",
                a.input.display()
            );
        }
        write_out(a.output.as_deref(), &m.bytes)?;
        if let Some(note) = &m.note {
            eprintln!("baomi: {}: {note}", a.input.display());
        }
        eprintln!(
            "baomi: masked {} finding(s) with profile {:?}",
            m.count, profile.name
        );
        return Ok(0);
    }
    let encoding = match sniff(&bytes) {
        Sniffed::Binary { format } => bail!(
            "{}: {}; not a format that can be redacted",
            a.input.display(),
            format.unwrap_or("binary file")
        ),
        Sniffed::Text { valid: false, .. } => bail!(
            "{}: not valid UTF-8, UTF-16 or Big5; refusing to write a copy that would mangle it",
            a.input.display()
        ),
        Sniffed::Text { encoding, .. } => encoding,
    };
    let mut text = String::new();
    let mut dec = TextDecoder::new(&bytes[..], Vec::new(), encoding);
    while dec.read_into(&mut text)? {}
    if dec.first_replacement().is_some() {
        bail!(
            "{}: invalid {} later in the file; refusing to write a mangled copy",
            a.input.display(),
            encoding.name()
        );
    }
    let scanner = Scanner::with(&dict, &ScanOptions::default());
    let findings = if is_html(&a.input, &text) {
        html_findings(&scanner, &text)
    } else {
        scanner.scan(&text)
    };
    let decision = Policy::default_policy().decide(Request {
        findings: &findings,
        uninspected: false,
        channel: Channel::Publication,
        audience: Audience::External,
    });
    if let Some(mark) = findings.iter().find(|f| f.kind == Kind::Classification)
        && !a.allow_classified
        && decision.action == Action::Block
    {
        let line = text[..mark.start].matches('\n').count() + 1;
        bail!(
            "{}:{line}: carries the classification marking {:?}; a classified document must not be published, masked or not (use --allow-classified to mask it anyway)",
            a.input.display(),
            &text[mark.start..mark.end]
        );
    }
    let masked = redact(&text, &findings, &profile);
    let out = encoding.encode(&masked);
    write_out(a.output.as_deref(), &out)?;
    let masked_count = findings
        .iter()
        .filter(|f| f.kind != Kind::Classification)
        .count();
    eprintln!(
        "baomi: masked {masked_count} finding(s) with profile {:?} ({})",
        profile.name,
        encoding.name()
    );
    Ok(0)
}
