//! The SIMD filter of [`super::WordSet`]: Bloom bitmaps of character hashes tested 32 bytes at a
//! time with AVX2, or 64 at a time with AVX-512 (VBMI) where the CPU has it. With AVX-512 a table
//! lookup is one `vpermb` (the 32-byte table is duplicated across the register, so the index
//! needs no masking) and the tests give mask registers directly: about a third of the AVX2
//! instructions per byte. Zen 4 runs 512-bit operations as two 256-bit halves without lowering
//! the clock; on older Intel parts the wide path may run at a lower frequency, which the halved
//! instruction count still pays for.

use std::arch::x86_64::*;

/// Bloom bitmaps (256 bits each) over 8-bit hashes: two for words of one character, three for
/// the first two characters of longer words. Pairs are far rarer than single characters
/// (主 is everywhere, 主席 is not), which is what keeps the scalar check quiet; the pair
/// tables hold many words, hence their third hash.
pub(super) struct Bloom {
    /// Whether the AVX-512 pass is used (the CPU has AVX-512 F, BW and VBMI).
    wide: bool,
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
            wide: std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512bw")
                && std::is_x86_feature_detected!("avx512vbmi"),
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
        mut word: impl FnMut(usize),
        mut token: impl FnMut(usize),
    ) -> usize {
        let mut masks = [(0u32, 0u32); STEPS];
        let mut prev_digit = 0u32;
        let mut i = 0;
        loop {
            // SAFETY: the caller guarantees AVX2.
            let (steps, next) = unsafe { self.masks(hay, i, tokens, &mut prev_digit, &mut masks) };
            // Tokens and words are independent streams: a loop each, with no branch on which
            // mask a bit came from (it was mispredicted once per candidate).
            for (k, &(cmask, tmask)) in masks[..steps].iter().enumerate() {
                let at = i + 32 * k;
                let mut t = tmask;
                while t != 0 {
                    token(at + t.trailing_zeros() as usize);
                    t &= t - 1;
                }
                let mut c = cmask;
                while c != 0 {
                    word(at + c.trailing_zeros() as usize);
                    c &= c - 1;
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
    ///
    /// # Safety
    /// The CPU must support AVX2, and AVX-512 F/BW/VBMI if `self.wide`.
    unsafe fn masks(
        &self,
        hay: &[u8],
        from: usize,
        tokens: bool,
        prev_digit: &mut u32,
        out: &mut [(u32, u32); STEPS],
    ) -> (usize, usize) {
        let (mut steps, mut i) = (0, from);
        if self.wide {
            // SAFETY: `wide` is set only when the CPU has these features.
            (steps, i) = unsafe { self.masks512(hay, i, tokens, prev_digit, out) };
        }
        // The AVX2 pass takes over for what is too short for a 64-byte step.
        // SAFETY: the caller guarantees AVX2.
        unsafe { self.masks256(hay, i, steps, tokens, prev_digit, out) }
    }

    /// [`Bloom::masks`] with AVX2, writing steps from `steps` on.
    #[target_feature(enable = "avx2")]
    unsafe fn masks256(
        &self,
        hay: &[u8],
        from: usize,
        steps: usize,
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
                _mm256_broadcastsi128_si256(_mm_loadu_si128(t.as_ptr().add(16) as *const __m128i)),
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
        let (mut i, mut steps) = (from, steps);
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
                        _mm256_or_si256(in_range(v2, fw_lo, d9_span), _mm256_cmpeq_epi8(v2, fw_at)),
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

    /// [`Bloom::masks`] with AVX-512, 64 bytes (two steps) at a time; stops where fewer than
    /// 69 bytes are left.
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    unsafe fn masks512(
        &self,
        hay: &[u8],
        from: usize,
        tokens: bool,
        prev_digit: &mut u32,
        out: &mut [(u32, u32); STEPS],
    ) -> (usize, usize) {
        let n = hay.len();
        let ptr = hay.as_ptr();
        // SAFETY (all loads below): i + 69 <= n keeps 64-byte loads at i..=i+5 in bounds.
        let load = |p: usize| unsafe { _mm512_loadu_si512(ptr.add(p) as *const __m512i) };
        // A 256-bit table in both halves: `vpermb` reads six index bits, the sixth picks a half.
        let table = |t: &[u8; 32]| unsafe {
            _mm512_broadcast_i64x4(_mm256_loadu_si256(t.as_ptr() as *const __m256i))
        };
        let (s1, s2, p1, p2, p3) = (
            table(&self.s1),
            table(&self.s2),
            table(&self.p1),
            table(&self.p2),
            table(&self.p3),
        );
        // Byte j holds 1 << (j & 7): `vpermb` with the hash itself picks the bit of `h & 7`.
        let bits = _mm512_set1_epi64(0x8040_2010_0804_0201u64 as i64);
        let m3f = _mm512_set1_epi8(0x3F);
        let m03 = _mm512_set1_epi8(0x03);
        let mf0 = _mm512_set1_epi8(0xF0u8 as i8);
        let me0 = _mm512_set1_epi8(0xE0u8 as i8);
        // Bit `h` of a table: byte `h >> 3` (the 16-bit shift pulls the next byte's bits into
        // bits 5..7, which only choose between the identical halves or are ignored).
        let test = |h: __m512i, t: __m512i| -> u64 {
            let byte = _mm512_permutexvar_epi8(_mm512_srli_epi16(h, 3), t);
            let bit = _mm512_permutexvar_epi8(h, bits);
            _mm512_test_epi8_mask(byte, bit)
        };
        // The hashes of `h1`/`h2`; the masked bytes are below 0x40, so 16-bit shifts by 2 do not
        // carry into the next byte, and `(v0 & 3) << 6` only loses bits off the top.
        let hashes = |v0: __m512i, v1: __m512i, v2: __m512i| {
            let (a1, a2) = (_mm512_and_si512(v1, m3f), _mm512_and_si512(v2, m3f));
            let x = _mm512_xor_si512(_mm512_slli_epi16(a1, 2), a2);
            let y = _mm512_ternarylogic_epi32(
                _mm512_slli_epi16(a2, 2),
                a1,
                _mm512_slli_epi16(_mm512_and_si512(v0, m03), 6),
                0x96,
            );
            (x, y)
        };
        let lead = |v: __m512i| _mm512_cmpeq_epi8_mask(_mm512_and_si512(v, mf0), me0);
        let d_lo = _mm512_set1_epi8(b'0' as i8);
        let nine = _mm512_set1_epi8(9);
        let (at, fw_at) = (_mm512_set1_epi8(b'@' as i8), _mm512_set1_epi8(0xA0u8 as i8));
        let (ef, bc) = (
            _mm512_set1_epi8(0xEFu8 as i8),
            _mm512_set1_epi8(0xBCu8 as i8),
        );
        let fw_lo = _mm512_set1_epi8(0x90u8 as i8);
        let token_mask = if tokens { u64::MAX } else { 0 };
        let in_range =
            |v: __m512i, lo: __m512i| _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, lo), nine);
        let mut prev = u64::from(*prev_digit);
        let (mut i, mut steps) = (from, 0);
        while i + 69 <= n && steps + 2 <= STEPS {
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
            let single = test(x0, s1) & test(y0, s2);
            let pair = lead(v3)
                & test(_mm512_xor_si512(x0, x3), p3)
                & test(_mm512_xor_si512(x0, y3), p1)
                & test(_mm512_xor_si512(y0, x3), p2);
            let cmask = lead(v0) & (single | pair);
            let digit = in_range(v0, d_lo) & token_mask;
            let fw = _mm512_cmpeq_epi8_mask(v0, ef)
                & _mm512_cmpeq_epi8_mask(v1, bc)
                & (in_range(v2, fw_lo) | _mm512_cmpeq_epi8_mask(v2, fw_at));
            let tok = (digit | _mm512_cmpeq_epi8_mask(v0, at) | fw) & token_mask;
            // Of a run of ASCII digits only the first matters: its handler skips the run.
            let tmask = tok & !((digit << 1 | prev) & digit);
            prev = digit >> 63;
            out[steps] = (cmask as u32, tmask as u32);
            out[steps + 1] = ((cmask >> 32) as u32, (tmask >> 32) as u32);
            steps += 2;
            i += 64;
        }
        *prev_digit = prev as u32;
        (steps, i)
    }
}

/// The AVX-512 and AVX2 passes write the same masks.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_and_narrow_masks_agree() {
        let words = [
            "委員", "號", "先生", "密", "陳情", "姓名", "人", "主席", "君",
        ];
        let Some(wide) = Bloom::new(words.iter().copied()) else {
            return; // no AVX2
        };
        if !wide.wide {
            return; // no AVX-512 here: only one pass exists
        }
        let narrow = Bloom {
            wide: false,
            ..Bloom::new(words.iter().copied()).unwrap()
        };
        let text = "本府委員會於113年召開，陳情人王小明先生住中山路3號，密件。\
                    姓名：李君，主席致詞。ab1 x@y ０９１２＠ 4567890123 ，："
            .repeat(300);
        for start in 0..70 {
            for tokens in [false, true] {
                let run = |b: &Bloom| {
                    let got = std::cell::RefCell::new(vec![]);
                    // SAFETY: AVX2 (and AVX-512 for `wide`) were detected above.
                    let next = unsafe {
                        b.candidates(
                            &text.as_bytes()[start..],
                            tokens,
                            |p| got.borrow_mut().push((p, false)),
                            |p| got.borrow_mut().push((p, true)),
                        )
                    };
                    (got.into_inner(), next)
                };
                let (a, b) = (run(&wide), run(&narrow));
                assert_eq!(a, b, "start {start} tokens {tokens}");
                assert!(a.0.len() > 1000);
            }
        }
    }
}
