//! # baomi-corpus
//!
//! Generates labelled Traditional-Chinese documents of the kinds agencies write (陳情書, 網站回覆,
//! 會議紀錄, 公文, 採購, chat messages) with planted personal data and markings, and hard
//! negatives (公文文號, 案號, amounts, dates, law articles, invalid checksums, talk about secrecy).
//! Everything is written by us and deterministic from a seed: the evaluation (`eval` binary) and the
//! benchmarks (`gen` binary) use the same generator.
#![deny(missing_docs)]

pub mod eval;
pub mod formats;
pub mod lookups;
pub mod prose;
mod templates;
mod values;

use baomi_inspect::{Kind, Level};
use serde::Serialize;

pub use templates::{DOC_TYPES, generate};

/// A planted value: kind, byte span in the document text, level for markings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Label {
    /// Finding kind.
    pub kind: Kind,
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset past the last byte.
    pub end: usize,
    /// Level of a classification marking or a classified term.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
}

/// A generated document and what was planted in it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Doc {
    /// Document type (陳情書, 會議紀錄 ...).
    pub doc_type: &'static str,
    /// The text.
    pub text: String,
    /// Everything planted, in order.
    pub labels: Vec<Label>,
}

impl Doc {
    fn new(doc_type: &'static str) -> Doc {
        Doc {
            doc_type,
            ..Doc::default()
        }
    }

    /// Appends plain text (no planted values).
    fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    /// Appends a planted value and labels it.
    fn plant(&mut self, kind: Kind, value: &str) -> &mut Self {
        self.plant_level(kind, value, None)
    }

    fn plant_level(&mut self, kind: Kind, value: &str, level: Option<Level>) -> &mut Self {
        let start = self.text.len();
        self.text.push_str(value);
        self.labels.push(Label {
            kind,
            start,
            end: self.text.len(),
            level,
        });
        self
    }

    /// Whether a classification marking was planted, and its highest level.
    pub fn classified(&self) -> Option<Level> {
        self.labels
            .iter()
            .filter(|l| l.kind == Kind::Classification)
            .filter_map(|l| l.level)
            .max()
    }
}

/// The dictionary the generated documents' code names come from.
pub const DICTIONARY: &str =
    "雷霆專案\t極機密\n曙光計畫\t機密\n海鷗行動\t機密\n臺東小組\n北極星演習\t密\n";
