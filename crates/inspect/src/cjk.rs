//! Finding a set of CJK trigger words fast.
//!
//! The trigger words (號, 密, 人, 姓名, 委員, 先生 ...) start with common characters, and a byte-level
//! SIMD prefilter such as Teddy cannot tell CJK characters apart well: its nibble fingerprints of
//! the three UTF-8 bytes collide constantly and leave a verification every few characters. Here
//! each 3-byte character is decoded and tested against a bitmap of first characters (8 KiB, stays
//! in L1); only a hit compares the words that start with that character, longest first.

/// A compiled set of words that each start with a 3-byte UTF-8 character.
pub(crate) struct WordSet {
    /// One bit per BMP code point: does some word start with it?
    first: Box<[u64; 1024]>,
    /// Slot (1-based) in `words` of each BMP code point that starts some word; 0 for none.
    slot: Box<[u8]>,
    /// Per slot, the words starting with that code point, longest first: (word bytes, word index).
    words: Vec<Vec<(Box<[u8]>, usize)>>,
}

/// A word found: its index in the list given to [`WordSet::new`] and its byte span.
pub(crate) struct Hit {
    pub pattern: usize,
    pub start: usize,
    pub end: usize,
}

impl WordSet {
    /// Words must start with a character of 3 UTF-8 bytes (U+0800..U+FFFF), with at most 255
    /// distinct first characters; otherwise `None`.
    pub fn new(words: &[&str]) -> Option<WordSet> {
        let mut first = Box::new([0u64; 1024]);
        let mut slot = vec![0u8; 1 << 16].into_boxed_slice();
        let mut lists: Vec<Vec<(Box<[u8]>, usize)>> = vec![];
        for (i, w) in words.iter().enumerate() {
            let c = w.chars().next()? as u32;
            if !(0x800..=0xFFFF).contains(&c) {
                return None;
            }
            first[(c >> 6) as usize] |= 1 << (c & 63);
            if slot[c as usize] == 0 {
                lists.push(vec![]);
                slot[c as usize] = u8::try_from(lists.len()).ok()?;
            }
            lists[slot[c as usize] as usize - 1].push((w.as_bytes().into(), i));
        }
        for v in &mut lists {
            v.sort_by_key(|(w, _)| std::cmp::Reverse(w.len()));
        }
        Some(WordSet {
            first,
            slot,
            words: lists,
        })
    }

    /// Every non-overlapping occurrence, leftmost first, the longest word at a position.
    pub fn find_all(&self, text: &str, out: &mut Vec<Hit>) {
        let hay = text.as_bytes();
        let n = hay.len();
        let mut i = 0;
        while i + 3 <= n {
            let b0 = hay[i];
            if b0 < 0xE0 {
                // ASCII, a continuation byte or a 2-byte lead: step one byte (rare in CJK text).
                i += 1;
                continue;
            }
            if b0 >= 0xF0 {
                i += 4;
                continue;
            }
            let cp = ((b0 as u32 & 0x0F) << 12)
                | ((hay[i + 1] as u32 & 0x3F) << 6)
                | (hay[i + 2] as u32 & 0x3F);
            if self.first[(cp >> 6) as usize] & (1 << (cp & 63)) != 0
                && let Some((w, p)) =
                    self.words[self.slot[cp as usize] as usize - 1]
                        .iter()
                        .find(|(w, _)| {
                            i + w.len() <= n
                                && hay[i + 3..i + w.len()]
                                    .iter()
                                    .zip(&w[3..])
                                    .all(|(a, b)| a == b)
                        })
            {
                out.push(Hit {
                    pattern: *p,
                    start: i,
                    end: i + w.len(),
                });
                i += w.len();
                continue;
            }
            i += 3;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_longest_words_and_skips_ascii() {
        let set = WordSet::new(&["委員", "委員會", "號", "先生"]).unwrap();
        let text = "ab委員會 委員王先生，第3號 委";
        let mut out = vec![];
        set.find_all(text, &mut out);
        let got: Vec<&str> = out.iter().map(|h| &text[h.start..h.end]).collect();
        assert_eq!(got, ["委員會", "委員", "先生", "號"]);
        assert!(WordSet::new(&["ab"]).is_none());
    }
}
