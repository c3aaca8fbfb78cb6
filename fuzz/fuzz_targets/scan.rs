//! Detectors and masking on arbitrary text: spans stay in bounds and on char boundaries, findings
//! come sorted, and masking keeps the layout (same number of chars) and every byte outside spans.
#![no_main]

use baomi_inspect::mask::{MaskProfile, redact};
use baomi_inspect::{Dictionary, ScanOptions, Scanner};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static SCANNER: LazyLock<Scanner> = LazyLock::new(|| {
    let dict = Dictionary::parse("雷霆專案\t極機密\n臺東小組\nAlpha-7\t機密\n").unwrap();
    Scanner::with(&dict, &ScanOptions::default())
});

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let found = SCANNER.scan(&text);
    let mut last = 0;
    for f in &found {
        assert!(f.start < f.end && f.end <= text.len(), "{f:?}");
        assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end), "{f:?}");
        assert!(f.start >= last, "findings sorted by start");
        last = f.start;
        assert!((0.0..=1.0).contains(&f.confidence));
    }
    for p in MaskProfile::BUILT_IN {
        let masked = redact(&text, &found, &MaskProfile::named(p).unwrap());
        assert_eq!(masked.chars().count(), text.chars().count(), "masking keeps the layout");
        let first = found.iter().map(|f| f.start).min().unwrap_or(text.len());
        assert_eq!(&masked.as_bytes()[..first], &text.as_bytes()[..first], "text before the first span unchanged");
    }
});
