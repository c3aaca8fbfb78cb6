//! The document extractor on arbitrary bytes, as each format it reads (the first byte picks the
//! name the bytes arrive under, so that text formats are tried too), and the rewriter on the
//! same bytes. OCR is off: the engine is a separate process. Small limits keep runs fast.
#![no_main]

use baomi_extract::rewrite::{Replacement, rewrite};
use baomi_extract::{Event, Extractor, Limits, Ocr};
use libfuzzer_sys::fuzz_target;

const NAMES: &[&str] = &["a.docx", "a.xlsx", "a.pptx", "a.odt", "a.eml", "a.html", "a.pdf", "a.zip", "a.txt"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let name = NAMES[pick as usize % NAMES.len()];
    let limits = Limits {
        max_total: 8 << 20,
        max_members: 64,
        max_pages: 16,
        ..Limits::default()
    };
    let ex = Extractor::new(limits.clone(), Ocr::disabled());
    ex.extract(rest, Some(name), &mut |e| {
        if let Event::Text(s) = e {
            // Places are ascending offsets inside the text.
            assert!(s.places.windows(2).all(|w| w[0].0 <= w[1].0));
            assert!(s.places.iter().all(|p| p.0 <= s.text.len()));
        }
    });
    // Replace every text's first char: the rewrite must not panic or produce broken UTF-8.
    let _ = rewrite(rest, Some(name), &limits, &mut |_, text| {
        text.chars()
            .next()
            .map(|c| vec![Replacement { start: 0, end: c.len_utf8(), with: "○".into() }])
            .unwrap_or_default()
    });
});
