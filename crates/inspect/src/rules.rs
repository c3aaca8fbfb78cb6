//! The detectors described as data (`data/rules.toml`), with the examples a test checks, the way
//! noseyparker keeps each rule with its positive and negative examples.

use crate::finding::Kind;
use serde::Deserialize;

/// One detector's documentation and examples.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectorDoc {
    /// The kind it reports.
    pub kind: Kind,
    /// What it finds, in one paragraph.
    pub description: String,
    /// Texts in which it must find the span between ⟦ and ⟧.
    pub examples: Vec<String>,
    /// Texts in which it must find nothing of its kind.
    pub negative_examples: Vec<String>,
}

#[derive(Deserialize)]
struct File {
    detector: Vec<DetectorDoc>,
}

/// Every detector's documentation, in file order.
pub fn detectors() -> Vec<DetectorDoc> {
    let f: File = toml::from_str(include_str!("../data/rules.toml")).expect("built-in rules.toml");
    f.detector
}

/// The dictionary the keyword examples are written against.
pub const EXAMPLE_DICTIONARY: &str = "雷霆專案\t極機密\n臺東小組\nAlpha-7\t機密\n";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Dictionary, ScanOptions, Scanner};

    #[test]
    fn every_detector_has_examples_that_hold() {
        let dict = Dictionary::parse(EXAMPLE_DICTIONARY).unwrap();
        let scanner = Scanner::with(&dict, &ScanOptions::default());
        let docs = detectors();
        for k in Kind::ALL {
            assert!(docs.iter().any(|d| d.kind == k), "{k} has no rule entry");
        }
        let mut failures = vec![];
        for d in &docs {
            assert!(
                d.examples.len() >= 3 && d.negative_examples.len() >= 2,
                "{} needs more examples",
                d.kind
            );
            for ex in &d.examples {
                let open = ex.find('⟦').expect("example marks its span");
                let close = ex.find('⟧').expect("example marks its span");
                let text = ex.replace(['⟦', '⟧'], "");
                let (s, e) = (open, close - '⟦'.len_utf8());
                let found = scanner.scan(&text);
                if !found
                    .iter()
                    .any(|f| f.kind == d.kind && f.start == s && f.end == e)
                {
                    let got: Vec<_> = found
                        .iter()
                        .map(|f| (f.kind, &text[f.start..f.end]))
                        .collect();
                    failures.push(format!(
                        "{}: {ex:?} expected {:?}, got {got:?}",
                        d.kind,
                        &text[s..e]
                    ));
                }
            }
            for ex in &d.negative_examples {
                let found = scanner.scan(ex);
                if let Some(f) = found.iter().find(|f| f.kind == d.kind) {
                    failures.push(format!(
                        "{}: negative {ex:?} found {:?}",
                        d.kind,
                        &ex[f.start..f.end]
                    ));
                }
            }
        }
        assert!(
            failures.is_empty(),
            "rule examples failed:\n{}",
            failures.join("\n")
        );
    }
}
