//! Dictionary and policy files from arbitrary text: a clear error or a working scanner, no panic.
#![no_main]

use baomi_inspect::policy::{Audience, Channel, Policy, Request};
use baomi_inspect::{Dictionary, ScanOptions, Scanner};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    if let Ok(dict) = Dictionary::parse(src) {
        let s = Scanner::with(&dict, &ScanOptions::default());
        let _ = s.scan(src);
    }
    if let Ok(p) = Policy::with_overrides(src) {
        let f = Scanner::new().scan("陳情人王小明 A123456789 機密");
        let _ = p.decide(Request { findings: &f, uninspected: true, channel: Channel::Chat, audience: Audience::External });
    }
});
