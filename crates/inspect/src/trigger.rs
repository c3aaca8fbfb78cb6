//! The hot path: find the bytes where a digit-anchored identifier may start.
//!
//! Every identifier of the token detectors contains an ASCII or full-width digit or an `@`.
//! In Traditional-Chinese text those bytes are rare, so a SIMD scan for them skips most of
//! the input at memory speed. A hit is only a candidate: the caller checks the byte.
//! Full-width digits are U+FF10..U+FF19 (EF BC 90..99) and `＠` is U+FF20 (EF BC A0): the
//! scan tests all three bytes so that the very common full-width punctuation EF BC xx (the
//! colon of every `姓名：` among it) does not fire.

/// Calls `f` with each candidate position in order; `f` returns where scanning resumes (it may
/// skip ahead past a whole token). The mask of a block is walked in place, so a text with a number
/// every hundred bytes does not pay for leaving and re-entering the SIMD loop each time.
#[inline]
pub(crate) fn for_each(hay: &[u8], from: usize, mut f: impl FnMut(usize) -> usize) {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: SSE2 is part of the x86_64 baseline.
        unsafe { for_each_sse2(hay, from, &mut f) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let mut i = from;
        while let Some(p) = next_scalar(hay, i) {
            i = f(p).max(p + 1);
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
unsafe fn for_each_sse2(hay: &[u8], from: usize, f: &mut impl FnMut(usize) -> usize) {
    use std::arch::x86_64::*;
    let n = hay.len();
    let ptr = hay.as_ptr();
    let lo = _mm_set1_epi8(b'0' as i8);
    let at = _mm_set1_epi8(b'@' as i8);
    let ef = _mm_set1_epi8(0xEFu8 as i8);
    let bc = _mm_set1_epi8(0xBCu8 as i8);
    let fw_lo = _mm_set1_epi8(0x90u8 as i8);
    let fw_at = _mm_set1_epi8(0xA0u8 as i8);
    let nine = _mm_set1_epi8(9);
    let mut i = from;
    let mut resume = from;
    while i + 18 <= n {
        // SAFETY: i + 18 <= n, so the three 16-byte loads at i, i+1, i+2 stay in bounds.
        let (v0, v1, v2) = unsafe {
            (
                _mm_loadu_si128(ptr.add(i) as *const __m128i),
                _mm_loadu_si128(ptr.add(i + 1) as *const __m128i),
                _mm_loadu_si128(ptr.add(i + 2) as *const __m128i),
            )
        };
        let d0 = _mm_sub_epi8(v0, lo);
        let digit = _mm_cmpeq_epi8(_mm_min_epu8(d0, nine), d0);
        let ascii = _mm_or_si128(digit, _mm_cmpeq_epi8(v0, at));
        let d2 = _mm_sub_epi8(v2, fw_lo);
        let fw = _mm_and_si128(
            _mm_and_si128(_mm_cmpeq_epi8(v0, ef), _mm_cmpeq_epi8(v1, bc)),
            _mm_or_si128(
                _mm_cmpeq_epi8(_mm_min_epu8(d2, nine), d2),
                _mm_cmpeq_epi8(v2, fw_at),
            ),
        );
        // Of a run of ASCII digits only the first matters: its handler skips the run. Blocks
        // overlap when a handler skips ahead, so "the byte before" is read, not carried.
        let digits = _mm_movemask_epi8(digit) as u32;
        let prev = (i > 0 && hay[i - 1].is_ascii_digit()) as u32;
        let mut mask =
            (_mm_movemask_epi8(_mm_or_si128(ascii, fw)) as u32) & !((digits << 1 | prev) & digits);
        while mask != 0 {
            let p = i + mask.trailing_zeros() as usize;
            mask &= mask - 1;
            if p >= resume {
                resume = f(p).max(p + 1);
            }
        }
        i = (i + 16).max(resume.min(n));
    }
    let mut j = i.max(resume);
    while let Some(p) = next_scalar(hay, j) {
        j = f(p).max(p + 1);
    }
}

#[inline]
pub(crate) fn is_candidate(hay: &[u8], i: usize) -> bool {
    let b = hay[i];
    b.is_ascii_digit()
        || b == b'@'
        || (b == 0xEF
            && hay.get(i + 1) == Some(&0xBC)
            && matches!(hay.get(i + 2), Some(0x90..=0x99 | 0xA0)))
}

/// The next candidate at or after `from`, skipping digits that continue a run of digits.
fn next_scalar(hay: &[u8], from: usize) -> Option<usize> {
    (from..hay.len()).find(|&i| {
        is_candidate(hay, i) && !(i > 0 && hay[i].is_ascii_digit() && hay[i - 1].is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(hay: &[u8]) -> Vec<usize> {
        let mut out = vec![];
        let mut i = 0;
        while let Some(p) = next_scalar(hay, i) {
            out.push(p);
            i = p + 1;
        }
        out
    }

    #[test]
    fn for_each_sees_every_candidate_and_honours_skips() {
        let text = "公務機密，請勿外流。電話０９１２，ID A1 x@y 臺北市（中正區）1234567".repeat(9);
        let hay = text.as_bytes();
        let mut seen = vec![];
        for_each(hay, 0, |p| {
            seen.push(p);
            p + 1
        });
        assert_eq!(seen, all(hay));
        // Skipping 5 bytes at each candidate drops exactly the candidates inside the skip.
        let mut skipped = vec![];
        for_each(hay, 0, |p| {
            skipped.push(p);
            p + 5
        });
        let mut expect = vec![];
        let mut next = 0;
        for p in all(hay) {
            if p >= next {
                expect.push(p);
                next = p + 5;
            }
        }
        assert_eq!(skipped, expect);
    }

    #[test]
    fn agrees_with_scalar_on_mixed_text() {
        let text = "公務機密，請勿外流。電話０９１２，ID A1 x@y 臺北市（中正區）12345 67".repeat(7);
        let hay = text.as_bytes();
        for start in 0..40 {
            let mut expect = vec![];
            let mut i = start;
            while let Some(p) = next_scalar(hay, i) {
                expect.push(p);
                i = p + 1;
            }
            let mut got = vec![];
            for_each(hay, start, |p| {
                got.push(p);
                p + 1
            });
            assert_eq!(got, expect);
        }
        // Full-width comma (EF BC 8C) and colon (EF BC 9A), and ASCII `:`, are not candidates;
        // a full-width digit is.
        assert_eq!(all("，：:;?".as_bytes()), Vec::<usize>::new());
        assert_eq!(all("，１".as_bytes()), vec![3]);
    }
}
