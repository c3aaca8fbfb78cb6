//! `baomi scan`: walk the given paths, scan every file in parallel, report per file. Plain text
//! streams in bounded memory; documents go through the extractor (`document`).

use crate::output::{Format, Record, Sink};
use crate::stream;
use anyhow::{Context as _, Result};
use baomi_extract::{Encoding, Extractor, Limits, Ocr, Sniffed, detect, sniff};
use baomi_inspect::policy::{Audience, Channel, Policy, Request};
use baomi_inspect::{Dictionary, Kind, ScanOptions, Scanner};
use clap::Args;
use rayon::prelude::*;
use std::fs::File;
use std::io::{self, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Args)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` reads stdin.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// A dictionary of terms (one per line, optionally `,level`).
    #[arg(long, value_name = "FILE")]
    dict: Option<PathBuf>,
    /// A policy file (TOML) applied over the default policy; with --channel/--audience, each file
    /// gets a decision.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Channel for policy decisions (chat, attachment, forward, mail, publication, document);
    /// giving it turns decisions on.
    #[arg(long)]
    channel: Option<Channel>,
    /// Audience for policy decisions (same-unit, agency-internal, external).
    #[arg(long, default_value = "agency-internal")]
    audience: Audience,
    /// Print raw values (default: masked).
    #[arg(long)]
    show_values: bool,
    /// Print only the number of findings per file with findings (`path:count`), as `grep -c`.
    #[arg(short = 'c', long)]
    count: bool,
    /// Only these kinds (comma-separated stable names).
    #[arg(long, value_delimiter = ',')]
    kinds: Vec<String>,
    /// Drop findings below this confidence.
    #[arg(long, default_value_t = 0.0)]
    min_confidence: f32,
    /// Worker threads (default: all cores).
    #[arg(short = 'j', long)]
    threads: Option<usize>,
    /// Follow symbolic links inside directories (loops are detected and reported).
    #[arg(short = 'L', long)]
    follow: bool,
    /// No progress bar.
    #[arg(long)]
    no_progress: bool,
    /// Do not read images by OCR (they are then reported as not inspected).
    #[arg(long)]
    no_ocr: bool,
    /// Seconds OCR may spend on one image.
    #[arg(long, default_value_t = 60)]
    ocr_timeout: u64,
}

struct Job {
    path: PathBuf,
    size: u64,
}

pub(crate) struct Ctx<'a> {
    pub(crate) scanner: &'a Scanner,
    pub(crate) sink: &'a Sink,
    pub(crate) policy: Option<(Policy, Channel, Audience)>,
    pub(crate) json: bool,
    pub(crate) count: bool,
    pub(crate) findings: AtomicUsize,
    errors: AtomicUsize,
    extractor: Extractor,
}

pub fn run(a: ScanArgs) -> Result<u8> {
    let dict = match &a.dict {
        Some(p) => {
            let src = std::fs::read_to_string(p)
                .with_context(|| format!("reading dictionary {}", p.display()))?;
            Dictionary::parse(&src).with_context(|| format!("dictionary {}", p.display()))?
        }
        None => Dictionary::default(),
    };
    let mut opts = ScanOptions {
        min_confidence: a.min_confidence,
        ..ScanOptions::default()
    };
    if !a.kinds.is_empty() {
        opts.kinds = a
            .kinds
            .iter()
            .map(|k| Kind::from_name(k.trim()).with_context(|| format!("unknown kind {k:?}")))
            .collect::<Result<_>>()?;
    }
    let policy = match (&a.policy, a.channel) {
        (p, Some(ch)) => {
            let pol = match p {
                Some(p) => {
                    let src = std::fs::read_to_string(p)
                        .with_context(|| format!("reading policy {}", p.display()))?;
                    Policy::with_overrides(&src)
                        .with_context(|| format!("policy {}", p.display()))?
                }
                None => Policy::default_policy(),
            };
            Some((pol, ch, a.audience))
        }
        (Some(p), None) => {
            // Validate it anyway: a typo should not wait for the day it matters.
            let src = std::fs::read_to_string(p)
                .with_context(|| format!("reading policy {}", p.display()))?;
            Policy::with_overrides(&src).with_context(|| format!("policy {}", p.display()))?;
            None
        }
        (None, None) => None,
    };
    let scanner = Scanner::with(&dict, &opts);
    let sink = Sink::new(
        a.format,
        a.show_values,
        Box::new(io::BufWriter::new(io::stdout())),
    );
    let ctx = Ctx {
        scanner: &scanner,
        sink: &sink,
        policy,
        json: a.format == Format::Json,
        count: a.count,
        findings: AtomicUsize::new(0),
        errors: AtomicUsize::new(0),
        extractor: Extractor::new(
            Limits {
                ocr_timeout: std::time::Duration::from_secs(a.ocr_timeout),
                ..Limits::default()
            },
            if a.no_ocr {
                Ocr::disabled()
            } else {
                Ocr::default()
            },
        ),
    };

    let mut jobs = vec![];
    let mut stdin = false;
    for p in &a.paths {
        if p.as_os_str() == "-" {
            stdin = true;
        } else {
            collect(p, a.follow, &mut jobs, &ctx);
        }
    }
    if stdin {
        let lock = io::stdin().lock();
        scan_reader(&ctx, "<stdin>", None, lock);
    }
    let total: u64 = jobs.iter().map(|j| j.size).sum();
    let bar = (!a.no_progress && io::stderr().is_terminal() && jobs.len() > 1).then(|| {
        let b = indicatif::ProgressBar::new(total);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {msg}",
        ) {
            b.set_style(style);
        }
        b
    });
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(a.threads.unwrap_or(0))
        .build()?;
    pool.install(|| {
        jobs.par_iter().for_each(|j| {
            scan_file(&ctx, &j.path);
            if let Some(b) = &bar {
                b.inc(j.size);
            }
        })
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    sink.finish();
    Ok(if ctx.errors.load(Ordering::Relaxed) > 0 {
        2
    } else if ctx.findings.load(Ordering::Relaxed) > 0 {
        1
    } else {
        0
    })
}

/// Expands a path argument into files; every entry not scanned is reported.
fn collect(p: &Path, follow: bool, jobs: &mut Vec<Job>, ctx: &Ctx<'_>) {
    let shown = p.display().to_string();
    let meta = match std::fs::metadata(p) {
        Ok(m) => m,
        Err(e) => return error(ctx, &shown, &e.to_string()),
    };
    if meta.is_file() {
        jobs.push(Job {
            path: p.to_path_buf(),
            size: meta.len(),
        });
        return;
    }
    if !meta.is_dir() {
        return ctx.sink.note(
            &shown,
            "not a regular file or directory; not inspected",
            false,
        );
    }
    for entry in walkdir::WalkDir::new(p)
        .follow_links(follow)
        .sort_by_file_name()
    {
        match entry {
            Ok(e) => {
                let ft = e.file_type();
                let shown = e.path().display().to_string();
                if ft.is_file() {
                    jobs.push(Job {
                        path: e.path().to_path_buf(),
                        size: e.metadata().map_or(0, |m| m.len()),
                    });
                } else if ft.is_symlink() {
                    ctx.sink.note(
                        &shown,
                        "symbolic link not followed (use --follow); not inspected",
                        false,
                    );
                } else if !ft.is_dir() {
                    ctx.sink
                        .note(&shown, "not a regular file; not inspected", false);
                }
            }
            Err(e) => {
                let shown = e.path().map_or(shown.clone(), |p| p.display().to_string());
                let msg = if e.loop_ancestor().is_some() {
                    "symbolic link loop; not followed".to_string()
                } else {
                    e.io_error()
                        .map_or_else(|| e.to_string(), |io| io.to_string())
                };
                error(ctx, &shown, &msg);
            }
        }
    }
}

fn error(ctx: &Ctx<'_>, path: &str, msg: &str) {
    ctx.errors.fetch_add(1, Ordering::Relaxed);
    ctx.sink.note(path, msg, true);
}

fn scan_file(ctx: &Ctx<'_>, path: &Path) {
    let shown = path.display().to_string();
    match File::open(path) {
        Ok(f) => scan_reader(ctx, &shown, path.file_name().and_then(|n| n.to_str()), f),
        Err(e) => error(ctx, &shown, &e.to_string()),
    }
}

fn scan_reader<R: Read>(ctx: &Ctx<'_>, shown: &str, name: Option<&str>, mut r: R) {
    let mut head = Vec::with_capacity(baomi_extract::decode::SNIFF_LEN);
    if let Err(e) = (&mut r)
        .take(baomi_extract::decode::SNIFF_LEN as u64)
        .read_to_end(&mut head)
    {
        return error(ctx, shown, &e.to_string());
    }
    if detect(&head, name) != baomi_extract::Format::Text {
        // Documents are read whole, up to the extractor's input limit (which reports the rest).
        let limit = ctx.extractor.limits().max_input;
        let mut bytes = head;
        let more = (limit + 1).saturating_sub(bytes.len() as u64);
        if let Err(e) = (&mut r).take(more).read_to_end(&mut bytes) {
            return error(ctx, shown, &e.to_string());
        }
        return crate::document::scan(ctx, &ctx.extractor, shown, &bytes, name);
    }
    let encoding = match sniff(&head) {
        // Binary content is a document format: handled above.
        Sniffed::Binary { .. } => Encoding::Utf8,
        Sniffed::Text { encoding, .. } => encoding,
    };
    let enc_name = (encoding != Encoding::Utf8).then(|| encoding.name());
    let mut buf = Vec::with_capacity(64 << 10);
    let mut all = vec![];
    let want_all = ctx.policy.is_some();
    thread_local! {
        static BUFFERS: std::cell::RefCell<stream::Buffers> = Default::default();
    }
    let mut bufs = BUFFERS.with(|b| b.take());
    let result = stream::scan_with(&mut bufs, ctx.scanner, r, head, encoding, |loc| {
        let f = loc.finding;
        if want_all {
            all.push(f.clone());
        }
        if ctx.count {
            return;
        }
        let rec = Record {
            path: shown,
            finding: f,
            value: &loc.text[f.start..f.end],
            start: loc.base + f.start,
            line: loc.line,
            column: loc.column,
            encoding: enc_name,
            origin: None,
            place: None,
        };
        ctx.sink.format(&mut buf, &rec);
        if buf.len() >= 64 << 10 {
            ctx.sink.flush(&mut buf);
        }
    });
    ctx.sink.flush(&mut buf);
    BUFFERS.with(|b| b.replace(bufs));
    match result {
        Ok(stats) => {
            ctx.findings.fetch_add(stats.findings, Ordering::Relaxed);
            if ctx.count && stats.findings > 0 {
                ctx.sink.raw_line(&format!("{shown}:{}", stats.findings));
            }
            if let Some(at) = stats.first_replacement {
                ctx.sink.note(
                    shown,
                    &format!("invalid {} from byte {at}; invalid bytes were read as U+FFFD and the rest was scanned", encoding.name()),
                    false,
                );
            }
            if let Some((pol, ch, aud)) = &ctx.policy {
                let d = pol.decide(Request {
                    findings: &all,
                    uninspected: false,
                    channel: *ch,
                    audience: *aud,
                });
                ctx.sink.decision(shown, &d, ctx.json);
            }
        }
        Err(e) => error(ctx, shown, &format!("read error: {e}")),
    }
}
