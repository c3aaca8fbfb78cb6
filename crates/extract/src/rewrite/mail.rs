//! Masked copies of e-mail: header fields (subject, names and addresses), text and HTML parts,
//! Office/ODF attachments and attached messages are rewritten; every other byte of the message
//! (other headers, boundaries, attachments without findings) is kept. Changed parts are written
//! back as UTF-8 in base64 (attached messages as 8bit, as MIME requires).

use super::{Edit, Rewritten, rewrite};
use crate::{Format, Limits, Origin, Part, Section, Skip};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use mail_parser::{Address, HeaderName, MessageParser, MimeHeaders, PartType};
use std::ops::Range;

pub(super) fn mail(
    raw: &[u8],
    limits: &Limits,
    edit: &mut Edit<'_>,
    origin: &Origin,
) -> Result<Rewritten, Skip> {
    let msg = MessageParser::default()
        .parse(raw)
        .ok_or_else(|| Skip::Corrupt("not a readable e-mail message".into()))?;
    let mut splices: Vec<(Range<usize>, Vec<u8>)> = vec![];
    let mut replaced = 0;
    for part in &msg.parts {
        let name = part.attachment_name().map(str::to_string);
        let here = match &name {
            Some(n) => origin.with(Part::Attachment(n.clone())),
            None => origin.with(Part::Section(Section::Body)),
        };
        let body: Option<(Vec<u8>, &str)> = match &part.body {
            PartType::Text(t) | PartType::Html(t) => {
                let reps = edit(&here, t);
                replaced += reps.len();
                (!reps.is_empty()).then(|| {
                    (
                        base64_lines(super::apply_plain(t, &reps).as_bytes()),
                        "base64",
                    )
                })
            }
            PartType::Binary(b) | PartType::InlineBinary(b) => {
                // Attachments that cannot be rewritten stay as they are; the caller's read-back
                // check refuses the copy if they show personal data.
                match rewrite_at(b, name.as_deref(), limits, edit, &here) {
                    Ok(r) if r.replaced > 0 => {
                        replaced += r.replaced;
                        Some((base64_lines(&r.bytes), "base64"))
                    }
                    _ => None,
                }
            }
            PartType::Message(inner) if here.depth() <= limits.max_depth => {
                let r = mail(inner.raw_message(), limits, edit, &here)?;
                replaced += r.replaced;
                (r.replaced > 0).then_some((r.bytes, "8bit"))
            }
            _ => None,
        };
        // Header fields of this part (the root part's are the message's).
        let mut block = Vec::new();
        let mut changed = false;
        let heads = &origin.with(Part::Section(Section::MailHeaders));
        for h in &part.headers {
            let line = &raw[h.offset_field as usize..h.offset_end as usize];
            let new = match (&h.name, &h.value) {
                (HeaderName::Subject, v) => v.as_text().and_then(|t| {
                    let reps = edit(heads, t);
                    replaced += reps.len();
                    (!reps.is_empty()).then(|| {
                        format!(
                            "Subject: {}\r\n",
                            encoded_words(&super::apply_plain(t, &reps))
                        )
                    })
                }),
                (
                    HeaderName::From
                    | HeaderName::To
                    | HeaderName::Cc
                    | HeaderName::Bcc
                    | HeaderName::ReplyTo
                    | HeaderName::Sender,
                    v,
                ) => v.as_address().and_then(|a| {
                    let (text, n) = addresses(a, edit, heads);
                    replaced += n;
                    (n > 0).then(|| format!("{}: {text}\r\n", h.name.as_str()))
                }),
                (HeaderName::ContentTransferEncoding, _) if body.is_some() => Some(String::new()),
                _ => None,
            };
            match new {
                Some(n) => {
                    changed = true;
                    block.extend_from_slice(n.as_bytes());
                }
                None => block.extend_from_slice(line),
            }
        }
        if let Some((_, cte)) = &body {
            block.extend_from_slice(format!("Content-Transfer-Encoding: {cte}\r\n").as_bytes());
            changed = true;
        }
        if changed && let (Some(first), Some(last)) = (part.headers.first(), part.headers.last()) {
            splices.push((first.offset_field as usize..last.offset_end as usize, block));
        }
        if let Some((bytes, _)) = body {
            splices.push((part.offset_body as usize..part.offset_end as usize, bytes));
        }
    }
    splices.sort_by_key(|s| std::cmp::Reverse(s.0.start));
    let mut out = raw.to_vec();
    for (range, bytes) in splices {
        out.splice(range, bytes);
    }
    Ok(Rewritten {
        bytes: out,
        format: Format::Eml,
        replaced,
    })
}

fn rewrite_at(
    b: &[u8],
    name: Option<&str>,
    limits: &Limits,
    edit: &mut Edit<'_>,
    here: &Origin,
) -> Result<Rewritten, Skip> {
    let mut inner = |o: &Origin, t: &str| {
        let mut full = here.clone();
        for p in o.parts() {
            full = full.with(p.clone());
        }
        edit(&full, t)
    };
    rewrite(b, name, limits, &mut inner)
}

/// Each address masked on its own (`name <addr>`), names as encoded words.
fn addresses(a: &Address<'_>, edit: &mut Edit<'_>, origin: &Origin) -> (String, usize) {
    let mut out = vec![];
    let mut n = 0;
    for addr in a.iter() {
        let shown = match (addr.name(), addr.address()) {
            (Some(name), Some(e)) => format!("{name} <{e}>"),
            (None, Some(e)) => e.to_string(),
            (Some(name), None) => name.to_string(),
            (None, None) => continue,
        };
        let reps = edit(origin, &shown);
        n += reps.len();
        let masked = super::apply_plain(&shown, &reps);
        out.push(match masked.rsplit_once(" <") {
            Some((name, rest)) => format!("{} <{rest}", encoded_words(name)),
            None if masked.contains('@') => masked,
            None => encoded_words(&masked),
        });
    }
    (out.join(",\r\n "), n)
}

/// RFC 2047 encoded words (UTF-8, base64) for non-ASCII text, folded; ASCII as it is.
fn encoded_words(s: &str) -> String {
    if s.is_ascii() {
        return s.to_string();
    }
    let mut words = vec![];
    let mut chunk = String::new();
    for c in s.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(format!("=?UTF-8?B?{}?=", STANDARD.encode(&chunk)));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", STANDARD.encode(&chunk)));
    }
    words.join("\r\n ")
}

fn base64_lines(data: &[u8]) -> Vec<u8> {
    let b = STANDARD.encode(data);
    let mut out = Vec::with_capacity(b.len() + b.len() / 38);
    for (i, chunk) in b.as_bytes().chunks(76).enumerate() {
        if i > 0 {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(chunk);
    }
    out
}
