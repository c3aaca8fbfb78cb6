//! Finding a set of CJK trigger words fast.
//!
//! The trigger words (號, 密, 人, 姓名, 委員, 先生 ...) start with common characters, and a byte-level
//! SIMD prefilter such as Teddy cannot tell CJK characters apart well: its nibble fingerprints of
//! the three UTF-8 bytes collide constantly and leave a verification every few characters. Here
//! each 3-byte character is decoded and tested against a bitmap of first characters (8 KiB, stays
//! in L1); only a hit compares the words that start with that character, longest first.
//!
//! On x86_64 with AVX2, a SIMD filter runs first: for 32 positions at once it tests 8-bit hashes
//! of each 3-byte character (and of each pair of characters, for words of two or more) against
//! 256-bit bitmaps (Bloom filters of two or three hashes, looked up with `vpshufb`), so that the
//! scalar check above only sees the few positions that pass. The vector pass writes the masks of
//! a 4 KiB block before any candidate is handled.

/// A compiled set of words that each start with a 3-byte UTF-8 character.
pub(crate) struct WordSet {
    /// One bit per BMP code point: does some word start with it?
    first: Box<[u64; 1024]>,
    /// Slot (1-based) in `words` of each BMP code point that starts some word; 0 for none.
    slot: Box<[u8]>,
    /// Per slot, the words starting with that code point, longest first: (word bytes, word index).
    words: Vec<Vec<(Box<[u8]>, usize)>>,
    /// The two Bloom bitmaps of the SIMD filter, if the CPU has AVX2.
    #[cfg(target_arch = "x86_64")]
    bloom: Option<simd::Bloom>,
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
            #[cfg(target_arch = "x86_64")]
            bloom: simd::Bloom::new(words.iter().copied()),
            first,
            slot,
            words: lists,
        })
    }

    /// Every non-overlapping occurrence, leftmost first, the longest word at a position.
    pub fn find_all(&self, text: &str, out: &mut Vec<Hit>) {
        #[cfg(target_arch = "x86_64")]
        if self.bloom.is_some() {
            self.find_all_and_tokens(text, out, None::<fn(usize) -> usize>);
            return;
        }
        self.scalar(text.as_bytes(), 0, out);
    }

    /// Like [`WordSet::find_all`], and in the same pass over the text, calls `token` with every
    /// digit-anchored candidate of `trigger` (it returns where token scanning resumes): one SIMD
    /// pass instead of two. Returns false, doing nothing, where the SIMD filter is not available.
    pub fn find_all_and_tokens(
        &self,
        text: &str,
        out: &mut Vec<Hit>,
        mut token: Option<impl FnMut(usize) -> usize>,
    ) -> bool {
        #[cfg(target_arch = "x86_64")]
        if let Some(bloom) = &self.bloom {
            let hay = text.as_bytes();
            let (mut next, mut resume) = (0, 0);
            let with_tokens = token.is_some();
            // SAFETY: `bloom` exists only if AVX2 was detected at run time.
            let done = unsafe {
                bloom.candidates(
                    hay,
                    with_tokens,
                    |i| {
                        if i >= next
                            && let Some(h) = self.word_at(hay, i)
                        {
                            next = h.end;
                            out.push(h);
                        }
                    },
                    |i| {
                        if i >= resume
                            && let Some(t) = token.as_mut()
                        {
                            resume = t(i).max(i + 1);
                        }
                    },
                )
            };
            self.scalar(hay, done.max(next), out);
            if let Some(t) = token.as_mut() {
                crate::trigger::for_each(hay, done.max(resume), t);
            }
            return true;
        }
        let _ = (text, out, &mut token);
        false
    }

    /// The longest word at byte `i`, a char boundary.
    #[inline]
    fn word_at(&self, hay: &[u8], i: usize) -> Option<Hit> {
        let n = hay.len();
        let b0 = hay[i];
        if !(0xE0..0xF0).contains(&b0) || i + 3 > n {
            return None;
        }
        let cp = ((b0 as u32 & 0x0F) << 12)
            | ((hay[i + 1] as u32 & 0x3F) << 6)
            | (hay[i + 2] as u32 & 0x3F);
        if self.first[(cp >> 6) as usize] & (1 << (cp & 63)) == 0 {
            return None;
        }
        let (w, p) = self.words[self.slot[cp as usize] as usize - 1]
            .iter()
            .find(|(w, _)| {
                i + w.len() <= n
                    && hay[i + 3..i + w.len()]
                        .iter()
                        .zip(&w[3..])
                        .all(|(a, b)| a == b)
            })?;
        Some(Hit {
            pattern: *p,
            start: i,
            end: i + w.len(),
        })
    }

    pub(crate) fn scalar(&self, hay: &[u8], from: usize, out: &mut Vec<Hit>) {
        let n = hay.len();
        let mut i = from;
        // `from` may sit inside a char: step to the next boundary.
        while i < n && (hay[i] & 0xC0) == 0x80 {
            i += 1;
        }
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
            match self.word_at(hay, i) {
                Some(h) => {
                    i = h.end;
                    out.push(h);
                }
                None => i += 3,
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod simd;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simd_and_scalar_agree() {
        let words = [
            "委員", "號", "先生", "密", "陳情", "姓名", "人", "主席", "君",
        ];
        let set = WordSet::new(&words).unwrap();
        let text =
            "本府委員會於113年召開，陳情人王小明先生住中山路3號，密件。姓名：李君，主席致詞。ab1"
                .repeat(50);
        for start in 0..12 {
            let t = &text[text.ceil_char_boundary(start)..];
            let mut fast = vec![];
            set.find_all(t, &mut fast);
            let mut slow = vec![];
            set.scalar(t.as_bytes(), 0, &mut slow);
            let a: Vec<_> = fast.iter().map(|h| (h.start, h.pattern)).collect();
            let b: Vec<_> = slow.iter().map(|h| (h.start, h.pattern)).collect();
            assert_eq!(a, b);
            assert!(a.len() > 300);
        }
    }

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
