//! Scans a byte stream of any size in bounded memory: decoded chunks with an overlap, so that a
//! finding across a chunk boundary is seen whole exactly once.

use baomi_extract::{Encoding, TextDecoder};
use baomi_inspect::{Finding, Scanner};
use std::io::{self, Read};

/// Text scanned at once.
const CHUNK: usize = 4 << 20;
/// Context kept before and after each chunk: longer than any finding or its look-arounds.
const OVERLAP: usize = 64 << 10;

/// A finding placed in the whole stream.
pub struct Located<'a> {
    /// The finding, with offsets into `text`.
    pub finding: &'a Finding,
    /// The chunk the offsets refer to.
    pub text: &'a str,
    /// Offset of `text` in the decoded stream.
    pub base: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in chars.
    pub column: usize,
}

/// Line and column bookkeeping across chunks.
struct Cursor {
    pos: usize,
    line: usize,
    col: usize,
}

impl Cursor {
    fn advance(&mut self, buf: &str, base: usize, to: usize) {
        if to <= self.pos {
            return;
        }
        let seg = &buf.as_bytes()[self.pos - base..to - base];
        // Lines are short: one memchr call per newline cost more than counting them all.
        self.line += count_newlines(seg);
        let tail = match memchr::memrchr(b'\n', seg) {
            Some(i) => {
                self.col = 0;
                &seg[i + 1..]
            }
            None => seg,
        };
        self.col += bytecount::num_chars(tail);
        self.pos = to;
    }
}

/// Newlines in `b` (SIMD; segments between findings are short and many, so a per-newline
/// memchr or a scalar count cost a sixth of a scan).
fn count_newlines(b: &[u8]) -> usize {
    bytecount::count(b, b'\n')
}

/// What a stream scan saw.
pub struct StreamStats {
    /// Decoded bytes.
    #[cfg_attr(not(test), allow(dead_code))]
    pub bytes: usize,
    /// Findings emitted.
    pub findings: usize,
    /// Input offset of the first invalid sequence, if any.
    pub first_replacement: Option<u64>,
}

/// Scans `reader` (whose first bytes `head` were already read) decoded as `encoding`.
#[cfg(test)]
pub fn scan<R: Read>(
    scanner: &Scanner,
    reader: R,
    head: Vec<u8>,
    encoding: Encoding,
    emit: impl FnMut(Located<'_>),
) -> io::Result<StreamStats> {
    scan_with(
        &mut Buffers::default(),
        scanner,
        reader,
        head,
        encoding,
        emit,
    )
}

/// Buffers a thread reuses from one file to the next: no allocation, zeroing or page faults per
/// file for text, findings and reads.
#[derive(Default)]
pub struct Buffers {
    text: String,
    findings: Vec<Finding>,
    read: Vec<u8>,
}

/// [`scan`] with buffers kept by the caller.
pub fn scan_with<R: Read>(
    bufs: &mut Buffers,
    scanner: &Scanner,
    reader: R,
    head: Vec<u8>,
    encoding: Encoding,
    mut emit: impl FnMut(Located<'_>),
) -> io::Result<StreamStats> {
    let mut dec = TextDecoder::with_buffer(reader, head, encoding, std::mem::take(&mut bufs.read));
    let mut buf = std::mem::take(&mut bufs.text);
    buf.clear();
    let mut base = 0usize;
    let mut emitted_to = 0usize;
    let mut cursor = Cursor {
        pos: 0,
        line: 1,
        col: 0,
    };
    let mut findings = std::mem::take(&mut bufs.findings);
    let mut total = 0usize;
    let mut eof = false;
    while !eof {
        while buf.len() < CHUNK {
            if !dec.read_into(&mut buf)? {
                eof = true;
                break;
            }
        }
        scanner.scan_into(&buf, &mut findings);
        let limit = if eof {
            usize::MAX
        } else {
            base + buf.len() - OVERLAP
        };
        for f in &findings {
            let g = base + f.start;
            if g < emitted_to || g >= limit {
                continue;
            }
            cursor.advance(&buf, base, g);
            emit(Located {
                finding: f,
                text: &buf,
                base,
                line: cursor.line,
                column: cursor.col + 1,
            });
            total += 1;
        }
        emitted_to = limit;
        if !eof {
            // Keep OVERLAP bytes of look-behind before `limit`, preferably from a line start.
            let keep_from = buf.floor_char_boundary(buf.len() - 2 * OVERLAP);
            let lo = buf.floor_char_boundary(keep_from.saturating_sub(OVERLAP));
            let cut = memchr::memrchr(b'\n', &buf.as_bytes()[lo..keep_from])
                .map_or(keep_from, |i| lo + i + 1);
            cursor.advance(&buf, base, base + cut);
            buf.drain(..cut);
            base += cut;
        } else {
            base += buf.len();
        }
    }
    let first_replacement = dec.first_replacement();
    bufs.read = dec.into_buffer();
    bufs.text = buf;
    bufs.findings = findings;
    Ok(StreamStats {
        bytes: base,
        findings: total,
        first_replacement,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newlines_are_counted_in_blocks_and_remainders() {
        for len in [
            0,
            1,
            31,
            32,
            255 * 32 - 1,
            255 * 32,
            255 * 32 + 7,
            255 * 32 + 63,
            100,
            3 * 255 * 32 + 100,
        ] {
            let b: Vec<u8> = (0..len)
                .map(|i: usize| {
                    if i.is_multiple_of(3) || i.is_multiple_of(7) {
                        b'\n'
                    } else {
                        b'x'
                    }
                })
                .collect();
            let want = b.iter().filter(|&&x| x == b'\n').count();
            assert_eq!(count_newlines(&b), want, "{len}");
        }
        // Every byte a newline: each lane reaches its 255 limit.
        assert_eq!(count_newlines(&[b'\n'; 255 * 32 * 2]), 255 * 32 * 2);
    }

    #[test]
    fn findings_across_chunk_boundaries_are_found_once() {
        // Lines with an ID at varied offsets, well over several chunks.
        let line = "陳情人王小明，身分證A123456789，電話0912-345-678，其餘略。\n";
        let mut text = String::new();
        let mut expected = 0;
        let mut pad = 0;
        while text.len() < 3 * CHUNK {
            text.push_str(&"公務".repeat(pad % 97));
            text.push_str(line);
            expected += 3; // name, ID, phone
            pad += 1;
        }
        let scanner = Scanner::new();
        let mut got = vec![];
        let stats = scan(&scanner, text.as_bytes(), Vec::new(), Encoding::Utf8, |l| {
            got.push((l.base + l.finding.start, l.finding.kind, l.line));
        })
        .unwrap();
        assert_eq!(stats.bytes, text.len());
        assert_eq!(got.len(), expected);
        let mut dedup = got.clone();
        dedup.dedup();
        assert_eq!(dedup.len(), got.len());
        // Line numbers count from 1 and rise by one per planted line.
        assert_eq!(got[0].2, 1);
        assert_eq!(got.last().unwrap().2, expected / 3);
        // Exactly what one scan of the whole text finds.
        let whole: Vec<_> = scanner
            .scan(&text)
            .iter()
            .map(|f| (f.start, f.kind))
            .collect();
        let streamed: Vec<_> = got.iter().map(|(s, k, _)| (*s, *k)).collect();
        assert_eq!(streamed, whole);
    }
}
