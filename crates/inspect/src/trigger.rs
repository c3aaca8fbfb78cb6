//! The hot path: find the next byte where a digit-anchored identifier may start.
//!
//! Every identifier of the token detectors contains an ASCII or full-width digit or an `@`.
//! In Traditional-Chinese text those bytes are rare, so a SIMD scan for them skips most of
//! the input at memory speed. A hit is only a candidate: the caller checks the byte.
//! Full-width digits and `＠` are U+FF10..U+FF20, encoded EF BC 90..A0: the scan tests
//! all three bytes so that the (very common) full-width punctuation EF BC xx does not fire.

/// Position of the first candidate byte at or after `from`.
#[inline]
pub(crate) fn next(hay: &[u8], from: usize) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: SSE2 is part of the x86_64 baseline.
        unsafe { next_sse2(hay, from) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        next_scalar(hay, from)
    }
}

#[inline]
fn is_candidate(hay: &[u8], i: usize) -> bool {
    let b = hay[i];
    (b'0'..=b'@').contains(&b)
        || (b == 0xEF
            && hay.get(i + 1) == Some(&0xBC)
            && matches!(hay.get(i + 2), Some(0x90..=0xA0)))
}

#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn next_scalar(hay: &[u8], from: usize) -> Option<usize> {
    (from..hay.len()).find(|&i| is_candidate(hay, i))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
unsafe fn next_sse2(hay: &[u8], from: usize) -> Option<usize> {
    use std::arch::x86_64::*;
    let n = hay.len();
    let mut i = from;
    let ptr = hay.as_ptr();
    let lo = _mm_set1_epi8(b'0' as i8);
    let span = _mm_set1_epi8((b'@' - b'0') as i8);
    let ef = _mm_set1_epi8(0xEFu8 as i8);
    let bc = _mm_set1_epi8(0xBCu8 as i8);
    let fw_lo = _mm_set1_epi8(0x90u8 as i8);
    let fw_span = _mm_set1_epi8(0x10);
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
        let ascii = _mm_cmpeq_epi8(_mm_min_epu8(d0, span), d0);
        let d2 = _mm_sub_epi8(v2, fw_lo);
        let fw = _mm_and_si128(
            _mm_and_si128(_mm_cmpeq_epi8(v0, ef), _mm_cmpeq_epi8(v1, bc)),
            _mm_cmpeq_epi8(_mm_min_epu8(d2, fw_span), d2),
        );
        let mask = _mm_movemask_epi8(_mm_or_si128(ascii, fw));
        if mask != 0 {
            return Some(i + mask.trailing_zeros() as usize);
        }
        i += 16;
    }
    (i..n).find(|&j| is_candidate(hay, j))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(hay: &[u8]) -> Vec<usize> {
        let mut out = vec![];
        let mut i = 0;
        while let Some(p) = next(hay, i) {
            out.push(p);
            i = p + 1;
        }
        out
    }

    #[test]
    fn agrees_with_scalar_on_mixed_text() {
        let text = "公務機密，請勿外流。電話０９１２，ID A1 x@y 臺北市（中正區）".repeat(7);
        let hay = text.as_bytes();
        for start in 0..40 {
            let mut expect = vec![];
            let mut i = start;
            while let Some(p) = next_scalar(hay, i) {
                expect.push(p);
                i = p + 1;
            }
            let mut got = vec![];
            let mut i = start;
            while let Some(p) = next(hay, i) {
                got.push(p);
                i = p + 1;
            }
            assert_eq!(got, expect);
        }
        // Full-width comma (EF BC 8C) is not a candidate; full-width digit is.
        assert_eq!(all("，".as_bytes()), Vec::<usize>::new());
        assert_eq!(all("，１".as_bytes()), vec![3]);
    }
}
