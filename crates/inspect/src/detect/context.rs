//! Small look-arounds in the original text: is a context word near a candidate?

/// The text up to `bytes` before `pos`, cut at a char boundary and at the last line break.
pub(crate) fn before(text: &str, pos: usize, bytes: usize) -> &str {
    let start = text.floor_char_boundary(pos.saturating_sub(bytes));
    let w = &text[start..pos];
    // memchr's SIMD search: core's `rfind` goes byte by byte, and this runs per candidate.
    match memchr::memrchr(b'\n', w.as_bytes()) {
        Some(nl) => &w[nl + 1..],
        None => w,
    }
}

/// The text up to `bytes` after `pos`, cut at a char boundary and at the next line break.
pub(crate) fn after(text: &str, pos: usize, bytes: usize) -> &str {
    let end = text.ceil_char_boundary((pos + bytes).min(text.len()));
    let w = &text[pos..end];
    match memchr::memchr(b'\n', w.as_bytes()) {
        Some(nl) => &w[..nl],
        None => w,
    }
}

/// A list of context words, compiled once: one automaton pass over a window instead of one
/// substring search per word.
pub(crate) struct Words(aho_corasick::AhoCorasick);

impl Words {
    pub fn new(words: &[&str]) -> Words {
        Words(aho_corasick::AhoCorasick::new(words).expect("built-in context words"))
    }

    /// Whether any of the words occurs in `hay`.
    pub fn in_(&self, hay: &str) -> bool {
        self.0.is_match(hay)
    }
}
