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
                bloom.candidates(hay, with_tokens, |i, is_token| {
                    if is_token {
                        if i >= resume
                            && let Some(t) = token.as_mut()
                        {
                            resume = t(i).max(i + 1);
                        }
                    } else if i >= next
                        && let Some(h) = self.word_at(hay, i)
                    {
                        next = h.end;
                        out.push(h);
                    }
                })
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
mod simd {
    use std::arch::x86_64::*;

    /// Bloom bitmaps (256 bits each) over 8-bit hashes: two for words of one character, three for
    /// the first two characters of longer words. Pairs are far rarer than single characters
    /// (主 is everywhere, 主席 is not), which is what keeps the scalar check quiet; the pair
    /// tables hold many words, hence their third hash.
    pub(super) struct Bloom {
        s1: [u8; 32],
        s2: [u8; 32],
        p1: [u8; 32],
        p2: [u8; 32],
        p3: [u8; 32],
    }

    #[inline]
    fn h1(b: &[u8]) -> u8 {
        ((b[1] & 0x3F) << 2) ^ (b[2] & 0x3F)
    }

    #[inline]
    fn h2(b: &[u8]) -> u8 {
        ((b[2] & 0x3F) << 2) ^ (b[1] & 0x3F) ^ ((b[0] & 0x03) << 6)
    }

    /// 32-byte steps per SIMD block: 4 KiB of text, 1 KiB of masks on the stack.
    const STEPS: usize = 128;

    fn set(t: &mut [u8; 32], h: u8) {
        t[(h >> 3) as usize] |= 1 << (h & 7);
    }

    impl Bloom {
        pub fn new<'a>(words: impl Iterator<Item = &'a str>) -> Option<Bloom> {
            if !std::is_x86_feature_detected!("avx2") {
                return None;
            }
            let mut b = Bloom {
                s1: [0; 32],
                s2: [0; 32],
                p1: [0; 32],
                p2: [0; 32],
                p3: [0; 32],
            };
            for w in words {
                let w = w.as_bytes();
                if w.len() < 3 || !(0xE0..0xF0).contains(&w[0]) {
                    return None;
                }
                if w.len() >= 6 && (0xE0..0xF0).contains(&w[3]) {
                    set(&mut b.p1, h1(w) ^ h2(&w[3..]));
                    set(&mut b.p2, h2(w) ^ h1(&w[3..]));
                    set(&mut b.p3, h1(w) ^ h1(&w[3..]));
                } else {
                    set(&mut b.s1, h1(w));
                    set(&mut b.s2, h2(w));
                }
            }
            Some(b)
        }

        /// Calls `f` with every position of a 3-byte lead byte where a word may start, in
        /// order; returns the position from which the caller must continue with the scalar scan.
        ///
        /// The SIMD pass writes the masks of a block of text first, without a branch or a call,
        /// and only then are the candidates handed to `f`: a call from inside the vector loop
        /// cost a `vzeroupper` and the reload of every spilled constant per candidate.
        ///
        /// # Safety
        /// The CPU must support AVX2 (checked by [`Bloom::new`]).
        pub unsafe fn candidates(
            &self,
            hay: &[u8],
            tokens: bool,
            mut f: impl FnMut(usize, bool),
        ) -> usize {
            let mut masks = [(0u32, 0u32); STEPS];
            let mut prev_digit = 0u32;
            let mut i = 0;
            loop {
                // SAFETY: the caller guarantees AVX2.
                let (steps, next) =
                    unsafe { self.masks(hay, i, tokens, &mut prev_digit, &mut masks) };
                for (k, &(cmask, tmask)) in masks[..steps].iter().enumerate() {
                    let mut mask = cmask | tmask;
                    while mask != 0 {
                        let bit = mask & mask.wrapping_neg();
                        let p = i + 32 * k + mask.trailing_zeros() as usize;
                        if tmask & bit != 0 {
                            f(p, true);
                        }
                        if cmask & bit != 0 {
                            f(p, false);
                        }
                        mask &= mask - 1;
                    }
                }
                if steps < STEPS {
                    return next;
                }
                i = next;
            }
        }

        /// The candidate masks (words, tokens) of up to [`STEPS`] 32-byte steps from `from`;
        /// returns how many steps were written and the position after them.
        #[target_feature(enable = "avx2")]
        unsafe fn masks(
            &self,
            hay: &[u8],
            from: usize,
            tokens: bool,
            prev_digit: &mut u32,
            out: &mut [(u32, u32); STEPS],
        ) -> (usize, usize) {
            let n = hay.len();
            let ptr = hay.as_ptr();
            // SAFETY (all loads below): i + 37 <= n keeps 32-byte loads at i..=i+5 in bounds.
            let load = |p: usize| unsafe { _mm256_loadu_si256(ptr.add(p) as *const __m256i) };
            let halves = |t: &[u8; 32]| unsafe {
                (
                    _mm256_broadcastsi128_si256(_mm_loadu_si128(t.as_ptr() as *const __m128i)),
                    _mm256_broadcastsi128_si256(_mm_loadu_si128(
                        t.as_ptr().add(16) as *const __m128i
                    )),
                )
            };
            let (s1, s2, p1, p2, p3) = (
                halves(&self.s1),
                halves(&self.s2),
                halves(&self.p1),
                halves(&self.p2),
                halves(&self.p3),
            );
            let bits = _mm256_setr_epi8(
                1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64,
                -128, 1, 2, 4, 8, 16, 32, 64, -128,
            );
            let m3f = _mm256_set1_epi8(0x3F);
            let mfc = _mm256_set1_epi8(0xFCu8 as i8);
            let m03 = _mm256_set1_epi8(0x03);
            let mc0 = _mm256_set1_epi8(0xC0u8 as i8);
            let m1f = _mm256_set1_epi8(0x1F);
            let m10 = _mm256_set1_epi8(0x10);
            let m07 = _mm256_set1_epi8(0x07);
            let mf0 = _mm256_set1_epi8(0xF0u8 as i8);
            let me0 = _mm256_set1_epi8(0xE0u8 as i8);
            let zero = _mm256_setzero_si256();
            let ones = _mm256_set1_epi8(-1);
            // Bit `h` of a 256-bit table held as two 16-byte halves.
            let test = |h: __m256i, (lo, hi): (__m256i, __m256i)| {
                let idx = _mm256_and_si256(_mm256_srli_epi16(h, 3), m1f);
                let byte = _mm256_blendv_epi8(
                    _mm256_shuffle_epi8(lo, idx),
                    _mm256_shuffle_epi8(hi, idx),
                    _mm256_cmpeq_epi8(_mm256_and_si256(idx, m10), m10),
                );
                let bit = _mm256_shuffle_epi8(bits, _mm256_and_si256(h, m07));
                _mm256_xor_si256(_mm256_cmpeq_epi8(_mm256_and_si256(byte, bit), zero), ones)
            };
            // The two hashes of the 3-byte chars starting at each of 32 positions.
            let hashes = |v0: __m256i, v1: __m256i, v2: __m256i| {
                let (a1, a2) = (_mm256_and_si256(v1, m3f), _mm256_and_si256(v2, m3f));
                let x = _mm256_xor_si256(_mm256_and_si256(_mm256_slli_epi16(a1, 2), mfc), a2);
                let y = _mm256_xor_si256(
                    _mm256_xor_si256(_mm256_and_si256(_mm256_slli_epi16(a2, 2), mfc), a1),
                    _mm256_and_si256(_mm256_slli_epi16(_mm256_and_si256(v0, m03), 6), mc0),
                );
                (x, y)
            };
            let lead = |v: __m256i| _mm256_cmpeq_epi8(_mm256_and_si256(v, mf0), me0);
            // The digit-anchored candidates of `trigger`: ASCII digits and `@`, full-width
            // digits and `＠` (EF BC 90..99, EF BC A0, recognised by all three bytes).
            let d_lo = _mm256_set1_epi8(b'0' as i8);
            let (at, fw_at) = (_mm256_set1_epi8(b'@' as i8), _mm256_set1_epi8(0xA0u8 as i8));
            let (ef, bc) = (
                _mm256_set1_epi8(0xEFu8 as i8),
                _mm256_set1_epi8(0xBCu8 as i8),
            );
            let fw_lo = _mm256_set1_epi8(0x90u8 as i8);
            let token_mask = if tokens { ones } else { zero };
            let d9_span = _mm256_set1_epi8(9);
            let in_range = |v: __m256i, lo: __m256i, span: __m256i| {
                let d = _mm256_sub_epi8(v, lo);
                _mm256_cmpeq_epi8(_mm256_min_epu8(d, span), d)
            };
            let (mut i, mut steps) = (from, 0);
            while i + 37 <= n && steps < STEPS {
                let (v0, v1, v2, v3, v4, v5) = (
                    load(i),
                    load(i + 1),
                    load(i + 2),
                    load(i + 3),
                    load(i + 4),
                    load(i + 5),
                );
                let (x0, y0) = hashes(v0, v1, v2);
                let (x3, y3) = hashes(v3, v4, v5);
                let single = _mm256_and_si256(test(x0, s1), test(y0, s2));
                let pair = _mm256_and_si256(
                    _mm256_and_si256(lead(v3), test(_mm256_xor_si256(x0, x3), p3)),
                    _mm256_and_si256(
                        test(_mm256_xor_si256(x0, y3), p1),
                        test(_mm256_xor_si256(y0, x3), p2),
                    ),
                );
                let cand = _mm256_and_si256(lead(v0), _mm256_or_si256(single, pair));
                let digit = in_range(v0, d_lo, d9_span);
                let tok = _mm256_and_si256(
                    token_mask,
                    _mm256_or_si256(
                        _mm256_or_si256(digit, _mm256_cmpeq_epi8(v0, at)),
                        _mm256_and_si256(
                            _mm256_and_si256(_mm256_cmpeq_epi8(v0, ef), _mm256_cmpeq_epi8(v1, bc)),
                            _mm256_or_si256(
                                in_range(v2, fw_lo, d9_span),
                                _mm256_cmpeq_epi8(v2, fw_at),
                            ),
                        ),
                    ),
                );
                let cmask = _mm256_movemask_epi8(cand) as u32;
                // Of a run of ASCII digits only the first matters: its handler skips the run.
                let digits = _mm256_movemask_epi8(_mm256_and_si256(token_mask, digit)) as u32;
                let tmask =
                    (_mm256_movemask_epi8(tok) as u32) & !((digits << 1 | *prev_digit) & digits);
                *prev_digit = digits >> 31;
                out[steps] = (cmask, tmask);
                steps += 1;
                i += 32;
            }
            (steps, i)
        }
    }
}

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
