//! Masked copies of documents: the text nodes that hold personal data are rewritten in place
//! and every other byte of the package is copied as it was, so that styles, tables, images and
//! the ODF `mimetype` member stay exactly as the author left them and the file opens as before.
//!
//! The caller decides what to change: it gets the running text of each part (the same text the
//! extractor reports) and returns [`Replacement`]s on it.

mod mail;
mod text_nodes;

pub use text_nodes::Replacement;

use crate::{Format, Limits, Origin, Part, Section, Skip, detect};
use std::io::{Cursor, Read, Write};
use text_nodes::Dialect;
use zip::ZipArchive;
use zip::write::SimpleFileOptions;

/// A rewritten document.
#[derive(Debug)]
pub struct Rewritten {
    /// The new file.
    pub bytes: Vec<u8>,
    /// Its format.
    pub format: Format,
    /// Replacements made.
    pub replaced: usize,
}

/// The edit callback: running text of one part (named by its origin) in, changes out.
pub type Edit<'a> = dyn FnMut(&Origin, &str) -> Vec<Replacement> + 'a;

/// Rewrites a Word, Excel, PowerPoint, OpenDocument or e-mail file with `edit`'s replacements.
/// Other formats, encrypted or damaged files are refused with the reason.
pub fn rewrite(
    bytes: &[u8],
    name: Option<&str>,
    limits: &Limits,
    edit: &mut Edit<'_>,
) -> Result<Rewritten, Skip> {
    if bytes.len() as u64 > limits.max_input {
        return Err(Skip::TooLarge {
            limit: limits.max_input,
        });
    }
    match detect(bytes, name) {
        Format::Zip => package(bytes, limits, edit),
        Format::Eml => mail::mail(bytes, limits, edit, &Origin::default()),
        f => Err(Skip::Unsupported(match f {
            Format::Pdf => "PDF (write a masked text rendition instead)",
            f if f.is_image() => "an image (write a masked text rendition instead)",
            _ => "this format for masked copies",
        })),
    }
}

/// Which parts of a package hold text, their dialect and how to name them.
fn part_kind(format: Format, name: &str) -> Option<(Dialect, Part)> {
    use Section::*;
    let sec = |s| Some(Part::Section(s));
    let (dialect, part) = match format {
        Format::Docx => match name.strip_prefix("word/")? {
            "document.xml" => (Dialect::Word, sec(Body)),
            "footnotes.xml" => (Dialect::Word, sec(Footnotes)),
            "endnotes.xml" => (Dialect::Word, sec(Endnotes)),
            "comments.xml" => (Dialect::Word, sec(Comments)),
            r if crate::ooxml::numbered(r, "header") => (Dialect::Word, sec(Header)),
            r if crate::ooxml::numbered(r, "footer") => (Dialect::Word, sec(Footer)),
            _ => return None,
        },
        Format::Xlsx => match name.strip_prefix("xl/")? {
            "sharedStrings.xml" => (Dialect::SheetStrings, sec(Body)),
            r if r.starts_with("comments") && r.ends_with(".xml") => (Dialect::Word, sec(Comments)),
            _ => return None,
        },
        Format::Pptx => {
            let r = name.strip_prefix("ppt/")?;
            let ok = (r.starts_with("slides/slide") || r.starts_with("notesSlides/"))
                && r.ends_with(".xml");
            if !ok {
                return None;
            }
            (Dialect::Word, Some(Part::Member(name.to_string())))
        }
        Format::Odt | Format::Ods | Format::Odp => match name {
            "content.xml" => (Dialect::Odf, sec(Body)),
            "styles.xml" => (Dialect::Odf, sec(Header)),
            "meta.xml" => (Dialect::Properties, sec(Properties)),
            _ => return None,
        },
        _ => return None,
    };
    Some((dialect, part?))
}

fn package(bytes: &[u8], limits: &Limits, edit: &mut Edit<'_>) -> Result<Rewritten, Skip> {
    let zerr = |e: zip::result::ZipError| Skip::Corrupt(format!("ZIP: {e}"));
    let mut zip = ZipArchive::new(Cursor::new(bytes)).map_err(zerr)?;
    let names: Vec<String> = zip
        .file_names_raw()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect();
    let has = |n: &str| names.iter().any(|m| m == n);
    let format = if has("word/document.xml") {
        Format::Docx
    } else if has("xl/workbook.xml") {
        Format::Xlsx
    } else if has("ppt/presentation.xml") {
        Format::Pptx
    } else if has("mimetype") {
        let mut m = String::new();
        zip.by_name("mimetype")
            .map_err(zerr)?
            .take(200)
            .read_to_string(&mut m)
            .map_err(|e| Skip::Corrupt(e.to_string()))?;
        match m.trim() {
            t if t.starts_with("application/vnd.oasis.opendocument.text") => Format::Odt,
            t if t.starts_with("application/vnd.oasis.opendocument.spreadsheet") => Format::Ods,
            t if t.starts_with("application/vnd.oasis.opendocument.presentation") => Format::Odp,
            _ => {
                return Err(Skip::Unsupported(
                    "this kind of ZIP package for masked copies",
                ));
            }
        }
    } else {
        return Err(Skip::Unsupported("plain ZIP archives for masked copies"));
    };
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::with_capacity(bytes.len())));
    let mut replaced = 0;
    let mut left = limits.max_total;
    let root = Origin::default();
    for (i, name) in names.iter().enumerate() {
        let kind = part_kind(format, name).or_else(|| {
            (name == "docProps/core.xml")
                .then_some((Dialect::Properties, Part::Section(Section::Properties)))
        });
        let Some((dialect, part)) = kind else {
            let f = zip.by_index_raw(i).map_err(zerr)?;
            out.raw_copy_file(f).map_err(zerr)?;
            continue;
        };
        let mut data = vec![];
        {
            let mut f = zip.by_index(i).map_err(zerr)?;
            if f.encrypted() {
                return Err(Skip::Encrypted);
            }
            f.by_ref()
                .take(left + 1)
                .read_to_end(&mut data)
                .map_err(|e| Skip::Corrupt(format!("{name}: {e}")))?;
        }
        if data.len() as u64 > left {
            return Err(Skip::TooLarge {
                limit: limits.max_total,
            });
        }
        left -= data.len() as u64;
        let xml = std::str::from_utf8(&data)
            .map_err(|_| Skip::Unsupported("XML parts that are not UTF-8"))?;
        let map = text_nodes::map(xml, dialect, limits.max_xml_depth)?;
        let reps = edit(&root.with(part), &map.text);
        let opts =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        out.start_file(name.as_str(), opts).map_err(zerr)?;
        if reps.is_empty() {
            out.write_all(&data)
                .map_err(|e| Skip::Corrupt(e.to_string()))?;
        } else {
            replaced += reps.len();
            let new = map.apply(xml, &reps);
            out.write_all(new.as_bytes())
                .map_err(|e| Skip::Corrupt(e.to_string()))?;
        }
    }
    let bytes = out.finish().map_err(zerr)?.into_inner();
    Ok(Rewritten {
        bytes,
        format,
        replaced,
    })
}

/// `text` with the replacements applied (sorted, non-overlapping ones; others are skipped).
pub(crate) fn apply_plain(text: &str, reps: &[Replacement]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for r in reps {
        if r.start < pos
            || r.end > text.len()
            || !text.is_char_boundary(r.start)
            || !text.is_char_boundary(r.end)
        {
            continue;
        }
        out.push_str(&text[pos..r.start]);
        out.push_str(&r.with);
        pos = r.end;
    }
    out.push_str(&text[pos..]);
    out
}
