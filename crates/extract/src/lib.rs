//! # baomi-extract
//!
//! Turns what agencies exchange into the text that `baomi-inspect` scans: plain text in the
//! encodings they really use (UTF-8, UTF-16, Big5, streamed in bounded memory), and documents —
//! Word/Excel/PowerPoint, OpenDocument, e-mail with attachments, HTML, ZIP archives nested in
//! each other, and images through OCR. Every piece of text knows where it came from
//! ([`Origin`]: `會議資料.zip > 附件2.docx > header`), and everything the extractor could not
//! read is reported as a [`Skip`] with its reason, never passed over in silence.
//!
//! Hostile input is bounded by [`Limits`]: total decompressed bytes, compression ratio, nesting,
//! member count, XML depth, pages, pixels and OCR time. The extractor holds one input in memory
//! (at most [`Limits::max_input`]) plus the members it is reading; plain text of any size goes
//! through [`TextDecoder`] instead.
#![deny(missing_docs)]

pub mod decode;
mod detect;
mod html;
mod limits;
mod mail;
mod ocr;
mod odf;
mod ole;
mod ole_xls;
mod ooxml;
mod ooxml_sheet;
mod origin;
mod pdf;
mod pdf_cmap;
mod pdf_content;
pub mod rewrite;
mod sevenz;
#[cfg(feature = "ocr")]
mod stamp;
mod walk;
mod xml;
mod zipped;

pub use decode::{Encoding, Sniffed, TextDecoder, sniff};
pub use detect::{Format, detect};
pub use limits::{Limits, Skip};
pub use ocr::Ocr;
pub use origin::{Origin, Part, Section};

/// A piece of text to inspect.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    /// Where it came from.
    pub origin: &'a Origin,
    /// The text.
    pub text: &'a str,
    /// Places inside the text (a spreadsheet's cells), by their start offset, ascending.
    pub places: &'a [(usize, Cell)],
}

impl Segment<'_> {
    /// The place (e.g. the cell `B3`) that contains byte `offset` of the text.
    pub fn place(&self, offset: usize) -> Option<Cell> {
        let i = self.places.partition_point(|(at, _)| *at <= offset);
        i.checked_sub(1).map(|i| self.places[i].1)
    }
}

/// A spreadsheet cell, shown as `B3`. Kept as numbers: a sheet has thousands of cells and few
/// findings, so the name is written only for those.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    /// 1-based row.
    pub row: u32,
    /// 1-based column (1 is `A`).
    pub col: u32,
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut name = [0u8; 8];
        let mut i = name.len();
        let mut col = self.col;
        while col > 0 && i > 0 {
            col -= 1;
            i -= 1;
            name[i] = b'A' + (col % 26) as u8;
            col /= 26;
        }
        // ASCII letters only.
        f.write_str(std::str::from_utf8(&name[i..]).unwrap_or_default())?;
        write!(f, "{}", self.row)
    }
}

/// What the extractor reports, in document order.
#[derive(Debug)]
pub enum Event<'a> {
    /// Text to inspect.
    Text(Segment<'a>),
    /// Content that was not inspected, and why.
    Skipped {
        /// Where.
        origin: &'a Origin,
        /// Why.
        skip: Skip,
    },
}

/// Reads documents with the given limits and OCR engine.
#[derive(Debug, Clone, Default)]
pub struct Extractor {
    limits: Limits,
    ocr: Ocr,
}

impl Extractor {
    /// An extractor with these limits and OCR engine.
    pub fn new(limits: Limits, ocr: Ocr) -> Extractor {
        Extractor { limits, ocr }
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Extracts the text of one input (`name`, when known, is its file name) and reports it to
    /// `emit`. Returns the detected format.
    pub fn extract(
        &self,
        bytes: &[u8],
        name: Option<&str>,
        emit: &mut dyn FnMut(Event<'_>),
    ) -> Format {
        let mut w = walk::Walk::new(self, emit);
        let root = Origin::default();
        if bytes.len() as u64 > self.limits.max_input {
            w.skip(
                &root,
                Skip::TooLarge {
                    limit: self.limits.max_input,
                },
            );
            return detect(&bytes[..bytes.len().min(4096)], name);
        }
        w.dispatch(bytes, name, &root)
    }
}
