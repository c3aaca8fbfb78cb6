//! The look-up ledger's inputs from arbitrary bytes: CSV exports (look-ups, duty roster, case
//! registry, protected list, UTF-8 or Big5), times, days and `ledger.toml` give rows or line-
//! numbered errors, never a panic; every accepted look-up passes its own checks.
#![no_main]

use baomi_ledger::{LedgerConfig, SubjectKeyer, clock, csvfile, lookup};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let offset = 8 * 3600;
    match csvfile::lookups(data, offset) {
        Ok(rows) => {
            let keyer = SubjectKeyer::new(&[7; 32]);
            for r in &rows {
                assert!(r.check().is_empty(), "accepted a row its checks refuse: {r:?}");
                let _ = lookup::mask_subject(&r.subject_id);
                let _ = r.keyed(&keyer);
            }
        }
        Err(errs) => assert!(!errs.is_empty(), "refused without a reason"),
    }
    if let Err(errs) = csvfile::duty(data, offset) {
        assert!(!errs.is_empty());
    }
    if let Err(errs) = csvfile::cases(data, offset) {
        assert!(!errs.is_empty());
    }
    if let Err(errs) = csvfile::protected(data) {
        assert!(!errs.is_empty());
    }
    if let Ok(s) = std::str::from_utf8(data) {
        if let Some(t) = clock::parse_time(s, offset) {
            let _ = clock::short(t, offset);
            let _ = clock::hour(t, offset);
        }
        if let Some(d) = clock::parse_day(s) {
            let _ = clock::day_string(d);
        }
        let _ = LedgerConfig::parse(s);
    }
});
