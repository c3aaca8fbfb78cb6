//! The quality targets of issue 2, checked on a generated corpus on every CI run.

use baomi_corpus::eval::{TARGETS, evaluate};
use baomi_corpus::{DICTIONARY, generate};
use baomi_inspect::{Dictionary, ScanOptions, Scanner};

#[test]
fn detectors_meet_their_precision_and_recall_targets() {
    let scanner = Scanner::with(
        &Dictionary::parse(DICTIONARY).unwrap(),
        &ScanOptions::default(),
    );
    // A different seed from the one the detectors were tuned on.
    let rep = evaluate(&scanner, &generate(7, 2400));
    let mut misses = vec![];
    for (kinds, min) in TARGETS {
        for k in *kinds {
            let t = rep
                .kinds
                .get(k)
                .unwrap_or_else(|| panic!("{k}: nothing planted"));
            assert!(t.labels >= 40, "{k}: only {} planted", t.labels);
            if t.precision() < *min || t.recall() < *min {
                misses.push(format!(
                    "{k}: precision {:.4} recall {:.4} < {min}; FP {:?}; FN {:?}",
                    t.precision(),
                    t.recall(),
                    t.fp.first(),
                    t.fn_.first()
                ));
            }
        }
    }
    assert!(misses.is_empty(), "{}", misses.join("\n"));
    assert_eq!(
        rep.docs.fp, 0,
        "unclassified documents taken for classified"
    );
    assert!(rep.docs.recall() >= 0.98 && rep.docs.precision() >= 0.98);
    assert_eq!(rep.docs.level_ok, rep.docs.tp, "classification levels");
}
