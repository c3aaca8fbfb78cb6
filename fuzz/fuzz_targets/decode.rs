//! Encoding detection and streaming decoding of arbitrary bytes, read in small odd-sized pieces.
#![no_main]

use baomi_extract::{Sniffed, TextDecoder, sniff};
use libfuzzer_sys::fuzz_target;
use std::io::Read;

/// A reader that returns at most `step` bytes per call, to exercise chunk boundaries.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.data.len().min(self.step).min(buf.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&step, rest)) = data.split_first() else { return };
    let Sniffed::Text { encoding, valid } = sniff(rest) else { return };
    let mut whole = String::new();
    let mut d = TextDecoder::new(rest, Vec::new(), encoding);
    while d.read_into(&mut whole).unwrap() {}
    let mut pieces = String::new();
    let mut d = TextDecoder::new(Trickle { data: rest, step: step as usize % 7 + 1 }, Vec::new(), encoding);
    while d.read_into(&mut pieces).unwrap() {}
    assert_eq!(whole, pieces, "decoding must not depend on read sizes");
    if valid && encoding == baomi_extract::Encoding::Utf8 && std::str::from_utf8(rest).is_ok() {
        assert_eq!(whole.as_bytes(), rest.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(rest));
    }
});
