//! Marks burned into arbitrary bytes arriving as a PDF or a picture: no panic, no hang, and what
//! comes out marked is a PDF lopdf reads back, or a picture of the same size.
#![no_main]

use baomi_mark::{Marker, Outcome};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static MARKER: LazyLock<Marker> = LazyLock::new(|| Marker::new(None));

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    // Half the inputs start as a PDF, so that the PDF path is reached without the fuzzer
    // having to find the header first.
    let bytes = if pick % 2 == 0 {
        [b"%PDF-1.7\n".as_slice(), rest].concat()
    } else {
        rest.to_vec()
    };
    let (out, outcome) = MARKER.apply(bytes.clone(), "王小明 資訊室 2026-11-28 09:30 下載 A1-00000000");
    match outcome {
        Outcome::Marked if bytes.starts_with(b"%PDF-") => {
            assert!(lopdf::Document::load_mem(&out).is_ok(), "marked PDF does not parse");
        }
        Outcome::Marked => {
            let (a, b) = (image::load_from_memory(&bytes), image::load_from_memory(&out));
            if let (Ok(a), Ok(b)) = (a, b) {
                assert_eq!((a.width(), a.height()), (b.width(), b.height()));
            }
        }
        _ => assert_eq!(out, bytes, "a file not marked must go out as stored"),
    }
});
