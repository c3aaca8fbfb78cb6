//! Writes the same text as the documents agencies exchange — Word, Excel, PowerPoint,
//! OpenDocument, e-mail, HTML, nested ZIP — so that the extractor can be checked to find in each
//! what it finds in the plain text. Files are built from the format specifications by us; they
//! are small but complete packages (content types, relationships, manifests).

mod mail;
mod odf;
mod office;
mod pdf;

use std::io::Write;
use zip::write::SimpleFileOptions;

pub use mail::{eml, html};
pub use odf::{odp, ods, odt};
pub use office::{docx, pptx, xlsx};
pub use pdf::{cyclic_pdf, pdf, scanned_pdf};

/// What goes into a document besides its body text.
#[derive(Debug, Clone, Default)]
pub struct Extras<'a> {
    /// Page header text (Word/Writer), or sheet header (Excel).
    pub header: Option<&'a str>,
    /// Page footer text.
    pub footer: Option<&'a str>,
    /// A comment on the first paragraph.
    pub comment: Option<&'a str>,
    /// Document title property.
    pub title: Option<&'a str>,
    /// Document author property.
    pub author: Option<&'a str>,
}

/// Formats [`render`] writes.
pub const FORMATS: &[&str] = &[
    "docx", "xlsx", "pptx", "odt", "ods", "odp", "pdf", "eml", "html", "zip", "7z",
];

/// Writes `text` as a document of format `name` (one of [`FORMATS`]).
pub fn render(name: &str, text: &str, extras: &Extras<'_>) -> Option<Vec<u8>> {
    Some(match name {
        "docx" => docx(text, extras),
        "xlsx" => xlsx(text, extras),
        "pptx" => pptx(text, extras),
        "odt" => odt(text, extras),
        "ods" => ods(text, extras),
        "odp" => odp(text, extras),
        "pdf" => pdf(text),
        "eml" => eml(text, &[]),
        "html" => html(text),
        // An archive inside an archive, the Word file innermost.
        "zip" => {
            let inner = zip_of(&[("附件/會議資料.docx", &docx(text, extras))]);
            zip_of(&[
                ("說明.txt", "請參閱附件。".as_bytes()),
                ("附件.zip", &inner),
            ])
        }
        "7z" => sevenz_of(&[("附件/會議資料.docx", &docx(text, extras))]),
        _ => return None,
    })
}

/// A 7-Zip archive (LZMA2) of these members, in order.
pub fn sevenz_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = sevenz_rust2::ArchiveWriter::new(std::io::Cursor::new(Vec::new())).expect("7z");
    for (name, data) in members {
        w.push_archive_entry(sevenz_rust2::ArchiveEntry::new_file(name), Some(*data))
            .expect("7z entry");
    }
    w.finish().expect("7z finish").into_inner()
}

/// A ZIP archive of these members, deflated, in order.
pub fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in members {
        let opts = if *name == "mimetype" {
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored)
        } else {
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated)
        };
        w.start_file(*name, opts).expect("zip member");
        w.write_all(data).expect("zip write");
    }
    w.finish().expect("zip finish").into_inner()
}

/// Escapes text for XML character data and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Splits a line in up to three pieces at char boundaries, as editors split runs of text.
fn runs(line: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    if chars.len() < 6 {
        return vec![line];
    }
    let a = chars[chars.len() / 3].0;
    let b = chars[2 * chars.len() / 3].0;
    vec![&line[..a], &line[a..b], &line[b..]]
}
