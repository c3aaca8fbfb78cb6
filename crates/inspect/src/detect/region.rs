//! Token regions: the run of ASCII/full-width letters, digits and separators around a candidate
//! byte. Byte tables for ASCII; only full-width forms and the ideographic space are decoded.

use crate::fold::fold_char;

/// Longest region handled in one piece; longer runs (base64, hex dumps) are cut.
const MAX_REGION: usize = 16 * 1024;

fn is_token_char(c: char) -> bool {
    let f = fold_char(c);
    f.is_ascii_alphanumeric()
        || matches!(f, '-' | '.' | '(' | ')' | '+' | '#' | ' ' | '_' | '@' | '%')
}

/// Token bytes of ASCII, as a table: the region walk runs on every digit of every text.
const ASCII_TOKEN: [bool; 128] = {
    let mut t = [false; 128];
    let mut i = 0;
    while i < 128 {
        let c = i as u8;
        t[i] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.' | b'(' | b')' | b'+' | b'#' | b' ' | b'_' | b'@' | b'%'
            );
        i += 1;
    }
    t
};

/// Whether ASCII byte `b` is a token char (false for non-ASCII bytes).
#[inline]
pub(super) fn is_ascii_token(b: u8) -> bool {
    b < 0x80 && ASCII_TOKEN[b as usize]
}

/// The token char ending at byte `end` (exclusive), if there is one: its start.
/// Only full-width forms (EF BC/BD xx) and the ideographic space (E3 80 80) qualify beyond ASCII.
#[inline]
pub(super) fn token_char_before(b: &[u8], text: &str, end: usize) -> Option<usize> {
    let c = b[end - 1];
    if c < 0x80 {
        return ASCII_TOKEN[c as usize].then_some(end - 1);
    }
    if end < 3 || !matches!((b[end - 3], b[end - 2]), (0xEF, 0xBC | 0xBD) | (0xE3, 0x80)) {
        return None;
    }
    let ch = text[end - 3..end].chars().next()?;
    is_token_char(ch).then_some(end - 3)
}

/// The token char starting at byte `at`, if there is one: its end.
#[inline]
pub(super) fn token_char_at(b: &[u8], text: &str, at: usize) -> Option<usize> {
    let c = b[at];
    if c < 0x80 {
        return ASCII_TOKEN[c as usize].then_some(at + 1);
    }
    if at + 3 > b.len() || !matches!((c, b[at + 1]), (0xEF, 0xBC | 0xBD) | (0xE3, 0x80)) {
        return None;
    }
    let ch = text[at..at + 3].chars().next()?;
    is_token_char(ch).then_some(at + 3)
}

/// The token region around byte `p` of `text` (a char boundary).
pub(super) fn region(text: &str, p: usize) -> (usize, usize) {
    let b = text.as_bytes();
    let mut start = p;
    while start > 0 && p - start <= MAX_REGION / 2 {
        match token_char_before(b, text, start) {
            Some(s) => start = s,
            None => break,
        }
    }
    let mut end = p;
    while end < b.len() && end - p <= MAX_REGION {
        match token_char_at(b, text, end) {
            Some(e) => end = e,
            None => break,
        }
    }
    // Leading/trailing spaces and brackets belong to the prose, not to the token.
    while start < end && matches!(b[start], b' ' | b'.') {
        start += 1;
    }
    while end > start && matches!(b[end - 1], b' ' | b'.' | b'-') {
        end -= 1;
    }
    (start, end)
}
