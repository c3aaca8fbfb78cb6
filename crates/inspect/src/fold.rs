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
        if memchr::memchr3(0xEF, 0xE2, 0xC2, b).is_none()
            && memchr::memmem::find(b, "\u{3000}".as_bytes()).is_none()
        {
            self.text.push_str(window);
            if memchr::memmem::find(b, "臺".as_bytes()).is_some() {
                self.text = self.text.replace('臺', "台");
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
