//! Folding of the variants Taiwanese documents really contain, on small windows only.
//!
//! Detectors never fold a whole text: that would cost a pass and a copy over every byte. They
//! fold the few bytes around a candidate, and keep a map back to the original offsets.

/// Folds one character: full-width ASCII to ASCII, ideographic space to space, 臺 to 台, dashes to '-'.
#[inline]
pub fn fold_char(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' | '\u{00A0}' => ' ',
        '臺' => '台',
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE63}' => '-',
        _ => c,
    }
}

/// Folds a whole string (for dictionary terms and tests).
pub fn fold_str(s: &str) -> String {
    s.chars().map(fold_char).collect()
}

/// Whether `hay` holds the 3-byte char `c`: its last byte located with memchr and the rest
/// compared (a one-off `memmem::find` builds a searcher per call, and windows are short).
#[inline]
pub(crate) fn has(hay: &[u8], c: &str) -> bool {
    let c = c.as_bytes();
    debug_assert_eq!(c.len(), 3);
    memchr::memchr_iter(c[2], hay).any(|i| i >= 2 && hay[i - 2] == c[0] && hay[i - 1] == c[1])
}

/// A folded copy of a window of the original text, with a map back to original offsets.
#[derive(Default)]
pub(crate) struct Folded {
    text: String,
    /// `map[i]` is the original offset of folded byte `i`; `map[text.len()]` is the window end.
    /// Empty when the window needed no folding (offsets are then `base + i`).
    map: Vec<u32>,
    base: usize,
}

impl Folded {
    /// Folds `orig[start..end]` into this buffer, reusing its allocations.
    pub fn fold(&mut self, orig: &str, start: usize, end: usize) {
        self.text.clear();
        self.map.clear();
        self.base = start;
        let window = &orig[start..end];
        if window.is_ascii() {
            self.text.push_str(window);
            return;
        }
        // Common case: nothing that changes length (only 臺, 3 bytes like 台). Copy, swap 臺 in
        // place, keep offsets as they are.
        let b = window.as_bytes();
        if memchr::memchr3(0xEF, 0xE2, 0xC2, b).is_none() && !has(b, "\u{3000}") {
            self.text.push_str(window);
            if has(b, "臺") {
                // Same length: swapped where it stands, no new string.
                let mut from = 0;
                while let Some(i) = self.text[from..].find('臺') {
                    self.text.replace_range(from + i..from + i + 3, "台");
                    from += i + 3;
                }
            }
            return;
        }
        for (i, c) in window.char_indices() {
            let f = fold_char(c);
            let before = self.text.len();
            self.text.push(f);
            for _ in before..self.text.len() {
                self.map.push(i as u32);
            }
        }
        self.map.push(window.len() as u32);
    }

    /// The folded text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Original offset of folded offset `i` (a char boundary or the end).
    pub fn orig(&self, i: usize) -> usize {
        if self.map.is_empty() {
            self.base + i
        } else {
            self.base + self.map[i] as usize
        }
    }

    /// The first folded offset whose original offset is `orig`, if any (the map only grows).
    pub fn folded(&self, orig: usize) -> Option<usize> {
        let rel = orig.checked_sub(self.base)?;
        if self.map.is_empty() {
            return (rel < self.text.len()).then_some(rel);
        }
        let i = self.map[..self.text.len()].partition_point(|&m| (m as usize) < rel);
        (i < self.text.len() && self.map[i] as usize == rel).then_some(i)
    }

    /// Original offset just past folded byte range ending at `i` (exclusive end).
    pub fn orig_end(&self, i: usize) -> usize {
        if self.map.is_empty() {
            return self.base + i;
        }
        // The end of a folded char maps to the end of its original char.
        if i == 0 {
            return self.base;
        }
        let last_start = self.map[i - 1];
        let mut j = i;
        while j < self.map.len() - 1 && self.map[j] == last_start {
            j += 1;
        }
        self.base + self.map[j] as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_finds_whole_chars_only() {
        // 等 is E7 AD 89; 艉 (E8 89 89) ends in its last byte, 疉 (E7 96 89) shares two.
        assert!(has("密等：機密".as_bytes(), "等"));
        assert!(!has("艉疉".as_bytes(), "等"));
        assert!(!has(&[0xAD, 0x89], "等"));
        let mut f = Folded::default();
        let t = "臺北市臺中市";
        f.fold(t, 0, t.len());
        assert_eq!(f.text(), "台北市台中市");
    }

    #[test]
    fn folds_full_width_and_keeps_offsets() {
        let orig = "身分證Ａ１２３，臺北";
        let mut f = Folded::default();
        f.fold(orig, 0, orig.len());
        assert_eq!(f.text(), "身分證A123,台北");
        let a = f.text().find('A').unwrap();
        assert_eq!(&orig[f.orig(a)..f.orig_end(a + 4)], "Ａ１２３");
        assert_eq!(f.orig_end(f.text().len()), orig.len());
    }

    #[test]
    fn same_length_folds_keep_offsets() {
        let orig = "住臺北市中正區重慶南路一段122號";
        let mut f = Folded::default();
        f.fold(orig, 3, orig.len());
        assert_eq!(f.text(), "台北市中正區重慶南路一段122號");
        assert_eq!(f.orig(3), 6);
        assert_eq!(f.orig_end(f.text().len()), orig.len());
        // A full-width digit changes length: the slow path maps offsets.
        let orig = "臺北市１２號";
        f.fold(orig, 0, orig.len());
        assert_eq!(f.text(), "台北市12號");
        assert_eq!(&orig[f.orig(9)..f.orig_end(11)], "１２");
    }

    #[test]
    fn ascii_window_is_identity() {
        let orig = "xx 0912-345-678 yy";
        let mut f = Folded::default();
        f.fold(orig, 3, 15);
        assert_eq!(f.text(), "0912-345-678");
        assert_eq!(f.orig(0), 3);
        assert_eq!(f.orig_end(12), 15);
    }
}
