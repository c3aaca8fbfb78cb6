//! `baomi redact` on documents: Word, Excel, PowerPoint and OpenDocument files are rewritten in
//! place (formatting kept); PDF and images become a masked text rendition, said so. Every masked
//! copy is read back and scanned before it is written: a copy that still shows personal data
//! (a number stored as a number, text in a picture) is refused, never written.

use anyhow::{Result, bail};
use baomi_extract::rewrite::{Replacement, rewrite};
use baomi_extract::{Event, Extractor, Format, Limits, Origin, Skip};
use baomi_inspect::mask::{MaskProfile, mask_value, redact};
use baomi_inspect::{Kind, Scanner};
use std::path::Path;

/// What the caller needs back.
pub struct Masked {
    /// The bytes to write.
    pub bytes: Vec<u8>,
    /// Values masked.
    pub count: usize,
    /// A marking seen (origin, value), for the refusal of classified documents.
    pub marking: Option<(String, String)>,
    /// Said to the user: e.g. that a PDF became a text rendition.
    pub note: Option<String>,
}

/// Masks `bytes` (a document named `input`).
pub fn mask(
    input: &Path,
    bytes: &[u8],
    scanner: &Scanner,
    profile: &MaskProfile,
) -> Result<Masked> {
    let name = input.file_name().and_then(|n| n.to_str());
    let mut marking = None;
    let mut count = 0;
    let mut edit = |origin: &Origin, text: &str| -> Vec<Replacement> {
        let found = scanner.scan(text);
        if marking.is_none()
            && let Some(m) = found.iter().find(|f| f.kind == Kind::Classification)
        {
            marking = Some((origin.to_string(), text[m.start..m.end].to_string()));
        }
        let mut reps: Vec<Replacement> = vec![];
        for f in found.iter().filter(|f| f.kind != Kind::Classification) {
            if reps.last().is_some_and(|r| f.start < r.end) {
                continue;
            }
            reps.push(Replacement {
                start: f.start,
                end: f.end,
                with: mask_value(f.kind, &text[f.start..f.end], profile),
            });
        }
        count += reps.len();
        reps
    };
    let limits = Limits::default();
    match rewrite(bytes, name, &limits, &mut edit) {
        Ok(done) => {
            let left = still_showing(&done.bytes, name, scanner);
            if let Some((origin, kind, n)) = left.first() {
                bail!(
                    "{}: the masked copy would still show {} finding(s) — first a {kind} in {origin} — that cannot be masked in place (a number stored as a number, text in a picture, an attribute); nothing written",
                    input.display(),
                    left.iter().map(|l| l.2).sum::<usize>().max(*n)
                );
            }
            Ok(Masked {
                bytes: done.bytes,
                count,
                marking,
                note: None,
            })
        }
        Err(Skip::Unsupported(_)) if is_rendition_format(bytes, name) => {
            rendition(input, bytes, name, scanner, profile)
        }
        Err(skip) => bail!("{}: cannot write a masked copy: {skip}", input.display()),
    }
}

fn is_rendition_format(bytes: &[u8], name: Option<&str>) -> bool {
    let f = baomi_extract::detect(bytes, name);
    f == Format::Pdf || f.is_image()
}

/// PDF and images: the text they hold, masked, part by part.
fn rendition(
    input: &Path,
    bytes: &[u8],
    name: Option<&str>,
    scanner: &Scanner,
    profile: &MaskProfile,
) -> Result<Masked> {
    let mut out = String::new();
    let (mut count, mut marking, mut skipped) = (0, None, vec![]);
    Extractor::default().extract(bytes, name, &mut |e| match e {
        Event::Text(seg) => {
            let found = scanner.scan(seg.text);
            if marking.is_none()
                && let Some(m) = found.iter().find(|f| f.kind == Kind::Classification)
            {
                marking = Some((seg.origin.to_string(), seg.text[m.start..m.end].to_string()));
            }
            count += found
                .iter()
                .filter(|f| f.kind != Kind::Classification)
                .count();
            out.push_str(&format!("=== {} ===\n", seg.origin));
            out.push_str(&redact(seg.text, &found, profile));
            if !out.ends_with('\n') {
                out.push('\n');
            }
        }
        Event::Skipped { origin, skip } => skipped.push(format!("{origin}: {skip}")),
    });
    if !skipped.is_empty() {
        bail!(
            "{}: parts could not be read, so a masked rendition would be incomplete: {}",
            input.display(),
            skipped.join("; ")
        );
    }
    Ok(Masked {
        bytes: out.into_bytes(),
        count,
        marking,
        note: Some("the layout cannot be masked in place: wrote a masked text rendition".into()),
    })
}

/// Personal data a reader of `bytes` would still see: (origin, kind, count), by origin.
fn still_showing(
    bytes: &[u8],
    name: Option<&str>,
    scanner: &Scanner,
) -> Vec<(String, Kind, usize)> {
    let mut left = vec![];
    Extractor::default().extract(bytes, name, &mut |e| {
        if let Event::Text(seg) = e {
            let found: Vec<_> = scanner
                .scan(seg.text)
                .into_iter()
                .filter(|f| {
                    f.kind != Kind::Classification && !masked_already(&seg.text[f.start..f.end])
                })
                .collect();
            if let Some(f) = found.first() {
                left.push((seg.origin.to_string(), f.kind, found.len()));
            }
        }
    });
    left
}

/// A masked value can still look like its kind (`0912-***-678` is a phone number to a reader);
/// it is masked when it carries the mask characters.
fn masked_already(v: &str) -> bool {
    v.contains(['*', '○', '＊', 'Ｏ'])
}
