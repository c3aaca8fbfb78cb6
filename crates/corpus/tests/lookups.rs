//! The ledger's evaluation as a regression test (a smaller agency than the published run), and
//! the generated files read back by the ledger's own CSV reader.

use baomi_corpus::lookups::eval::evaluate_month;
use baomi_corpus::lookups::{SCENARIOS, generate, write_csv};
use baomi_ledger::LedgerConfig;
use baomi_ledger::clock::TAIWAN;
use baomi_ledger::csvfile;

#[test]
fn every_planted_scenario_is_caught_and_daily_work_is_left_alone() {
    let m = generate(7, 90, 14);
    let rep = evaluate_month(&m, &LedgerConfig::default());
    for (s, _) in SCENARIOS {
        let c = &rep.classes[s];
        assert!(c.total > 0, "{s} planted");
        assert!(c.flagged > 0, "{s} missed: {c:?}");
    }
    assert!(
        rep.normal_flag_rate() <= 0.02,
        "{:?}",
        rep.classes.get("normal")
    );
    assert!(rep.classes["normal"].total > 10_000);
}

#[test]
fn generated_files_read_back() {
    let m = generate(8, 60, 3);
    let dir = std::env::temp_dir().join(format!("baomi-lookups-{}", std::process::id()));
    write_csv(&m, &dir).unwrap();
    let read = |f: &str| std::fs::read(dir.join(f)).unwrap();
    let l = csvfile::lookups(&read("lookups.csv"), TAIWAN).unwrap();
    assert_eq!(l.len(), m.lookups.len());
    assert!(l.iter().zip(&m.lookups).all(|(a, (b, _))| a == b));
    assert_eq!(
        csvfile::duty(&read("duty.csv"), TAIWAN).unwrap().len(),
        m.duty.len()
    );
    assert_eq!(
        csvfile::cases(&read("cases.csv"), TAIWAN).unwrap().len(),
        m.cases.len()
    );
    assert_eq!(
        csvfile::protected(&read("protected.csv")).unwrap().len(),
        m.protected.len()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
