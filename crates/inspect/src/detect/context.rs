//! Small look-arounds in the original text: is a context word near a candidate?

/// The text up to `bytes` before `pos`, cut at a char boundary and at the last line break.
pub(crate) fn before(text: &str, pos: usize, bytes: usize) -> &str {
    let start = text.floor_char_boundary(pos.saturating_sub(bytes));
    let w = &text[start..pos];
    match w.rfind('\n') {
        Some(nl) => &w[nl + 1..],
        None => w,
    }
}

/// The text up to `bytes` after `pos`, cut at a char boundary and at the next line break.
pub(crate) fn after(text: &str, pos: usize, bytes: usize) -> &str {
    let end = text.ceil_char_boundary((pos + bytes).min(text.len()));
    let w = &text[pos..end];
    match w.find('\n') {
        Some(nl) => &w[..nl],
        None => w,
    }
}

/// Whether any of `words` occurs in `hay` (also in its 臺/台-folded spelling).
pub(crate) fn has_any(hay: &str, words: &[&str]) -> bool {
    words.iter().any(|w| hay.contains(w))
}
