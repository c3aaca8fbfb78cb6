//! A set of BMP characters as a bitmap (8 KiB): membership in a few instructions, where a
//! `str::contains(char)` over a list would scan it. Used on every candidate of the hot path.

/// A set of characters of the Basic Multilingual Plane.
pub(crate) struct CharSet(Box<[u64; 1024]>);

impl CharSet {
    /// The set of chars of `chars` (chars outside the BMP are ignored).
    pub fn of(chars: impl IntoIterator<Item = char>) -> CharSet {
        let mut bits = Box::new([0u64; 1024]);
        for c in chars {
            let c = c as u32;
            if c <= 0xFFFF {
                bits[(c >> 6) as usize] |= 1 << (c & 63);
            }
        }
        CharSet(bits)
    }

    /// Whether `c` is in the set.
    #[inline]
    pub fn has(&self, c: char) -> bool {
        let c = c as u32;
        c <= 0xFFFF && self.0[(c >> 6) as usize] & (1 << (c & 63)) != 0
    }
}
