//! Scoring a scanner against the labelled corpus.

use crate::Doc;
use baomi_inspect::{Finding, Kind, Scanner};
use std::collections::BTreeMap;

/// Counts for one kind.
#[derive(Debug, Default)]
pub struct Tally {
    /// Planted values.
    pub labels: usize,
    /// Findings reported.
    pub found: usize,
    /// Findings that overlap a planted value of their kind.
    pub tp_found: usize,
    /// Planted values found.
    pub tp_labels: usize,
    /// Planted values found with the exact span.
    pub exact: usize,
    /// False positives, as snippets.
    pub fp: Vec<String>,
    /// Misses, as snippets.
    pub fn_: Vec<String>,
}

impl Tally {
    /// Share of findings that are right (1 when nothing was found).
    pub fn precision(&self) -> f64 {
        if self.found == 0 {
            1.0
        } else {
            self.tp_found as f64 / self.found as f64
        }
    }
    /// Share of planted values found (1 when nothing was planted).
    pub fn recall(&self) -> f64 {
        if self.labels == 0 {
            1.0
        } else {
            self.tp_labels as f64 / self.labels as f64
        }
    }
}

/// Document-level classification counts.
#[derive(Debug, Default)]
pub struct DocTally {
    /// Classified documents found classified.
    pub tp: usize,
    /// Unclassified documents taken for classified.
    pub fp: usize,
    /// Classified documents missed.
    pub missed: usize,
    /// Found with the right (highest) level.
    pub level_ok: usize,
}

impl DocTally {
    /// Precision of "this document is classified".
    pub fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }
    /// Recall of "this document is classified".
    pub fn recall(&self) -> f64 {
        if self.tp + self.missed == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.missed) as f64
        }
    }
}

/// The whole evaluation.
#[derive(Debug, Default)]
pub struct Report {
    /// Per kind.
    pub kinds: BTreeMap<Kind, Tally>,
    /// Document-level classification.
    pub docs: DocTally,
}

fn snippet(text: &str, s: usize, e: usize) -> String {
    let a = text.floor_char_boundary(s.saturating_sub(24));
    let b = text.ceil_char_boundary((e + 24).min(text.len()));
    format!("{}[{}]{}", &text[a..s], &text[s..e], &text[e..b]).replace('\n', "⏎")
}

/// Scans every document and scores the findings against the labels (overlap of the same kind).
pub fn evaluate(scanner: &Scanner, docs: &[Doc]) -> Report {
    let mut rep = Report::default();
    for doc in docs {
        let found = scanner.scan(&doc.text);
        score(doc, &found, &mut rep.kinds);
        let truth = doc.classified();
        let pred = found
            .iter()
            .filter(|f| f.kind == Kind::Classification)
            .filter_map(|f| f.level)
            .max();
        match (truth, pred) {
            (Some(t), Some(p)) => {
                rep.docs.tp += 1;
                rep.docs.level_ok += (t == p) as usize;
            }
            (None, Some(_)) => rep.docs.fp += 1,
            (Some(_), None) => rep.docs.missed += 1,
            (None, None) => {}
        }
    }
    rep
}

fn score(doc: &Doc, found: &[Finding], per: &mut BTreeMap<Kind, Tally>) {
    for l in &doc.labels {
        let t = per.entry(l.kind).or_default();
        t.labels += 1;
        match found
            .iter()
            .find(|f| f.kind == l.kind && f.start < l.end && l.start < f.end)
        {
            Some(f) => {
                t.tp_labels += 1;
                t.exact += (f.start == l.start && f.end == l.end) as usize;
            }
            None => t.fn_.push(snippet(&doc.text, l.start, l.end)),
        }
    }
    for f in found {
        let t = per.entry(f.kind).or_default();
        t.found += 1;
        if doc
            .labels
            .iter()
            .any(|l| l.kind == f.kind && f.start < l.end && l.start < f.end)
        {
            t.tp_found += 1;
        } else {
            t.fp.push(format!(
                "{} ({})",
                snippet(&doc.text, f.start, f.end),
                f.rule
            ));
        }
    }
}

/// The targets: (kinds, minimum precision and recall).
pub const TARGETS: &[(&[Kind], f64)] = &[
    (
        &[
            Kind::TwNationalId,
            Kind::TwResidentId,
            Kind::PaymentCard,
            Kind::Email,
        ],
        0.99,
    ),
    (&[Kind::Phone, Kind::TwBusinessId], 0.97),
    (&[Kind::Address, Kind::LicensePlate], 0.93),
    (&[Kind::PersonName], 0.85),
];
