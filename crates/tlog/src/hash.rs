//! RFC 6962 / RFC 9162 hashing: leaves and interior nodes are domain-separated SHA-256.

use sha2::{Digest, Sha256};
use std::fmt;

/// A SHA-256 Merkle tree hash.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// Size of a hash in bytes.
    pub const LEN: usize = 32;

    /// The hash of the empty tree: SHA-256 of the empty string.
    pub fn empty() -> Hash {
        Hash(Sha256::digest([]).into())
    }

    /// Reads a hash from exactly 32 bytes.
    pub fn from_slice(b: &[u8]) -> Option<Hash> {
        <[u8; 32]>::try_from(b).ok().map(Hash)
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        use std::fmt::Write;
        self.0.iter().fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }

    /// Parses 64 hex digits.
    pub fn from_hex(s: &str) -> Option<Hash> {
        if s.len() != 64 || !s.is_ascii() {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Hash(out))
    }

    /// Standard base64, as in checkpoints.
    pub fn to_base64(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }

    /// Parses standard base64 of exactly 32 bytes.
    pub fn from_base64(s: &str) -> Option<Hash> {
        use base64::Engine as _;
        let v = base64::engine::general_purpose::STANDARD.decode(s).ok()?;
        Hash::from_slice(&v)
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Leaf hash: SHA-256(0x00 || entry).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    Hash(h.finalize().into())
}

/// Interior node hash: SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut buf = [0u8; 65];
    buf[0] = 1;
    buf[1..33].copy_from_slice(&left.0);
    buf[33..].copy_from_slice(&right.0);
    Hash(Sha256::digest(buf).into())
}

/// The Merkle Tree Hash of a list of leaf hashes (RFC 6962 §2.1), computed bottom-up.
pub fn root_of_leaves(leaves: &[Hash]) -> Hash {
    if leaves.is_empty() {
        return Hash::empty();
    }
    let mut range = CompactRange::default();
    for l in leaves {
        range.push(*l);
    }
    range.root()
}

/// The right edge of a tree: the roots of its maximal full subtrees, left to right, with their
/// heights. Appending is amortised O(1); the root is a fold over at most 64 hashes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompactRange {
    size: u64,
    nodes: Vec<(u8, Hash)>,
}

impl CompactRange {
    /// Builds a range from the subtree roots of a tree of `size` leaves (as `subtrees(size)` lists
    /// them, left to right).
    pub fn from_parts(size: u64, roots: Vec<Hash>) -> Option<CompactRange> {
        let heights: Vec<u8> = subtrees(size).map(|(h, _)| h).collect();
        if heights.len() != roots.len() {
            return None;
        }
        Some(CompactRange {
            size,
            nodes: heights.into_iter().zip(roots).collect(),
        })
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends one leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut cur = (0u8, leaf);
        while let Some(&(h, left)) = self.nodes.last() {
            if h != cur.0 {
                break;
            }
            self.nodes.pop();
            cur = (h + 1, node_hash(&left, &cur.1));
        }
        self.nodes.push(cur);
        self.size += 1;
    }

    /// The tree's root hash.
    pub fn root(&self) -> Hash {
        let mut it = self.nodes.iter().rev();
        let Some(&(_, mut acc)) = it.next() else {
            return Hash::empty();
        };
        for (_, left) in it {
            acc = node_hash(left, &acc);
        }
        acc
    }
}

/// The maximal full subtrees of a tree of `size` leaves, left to right, as (height, index at that
/// height): the binary digits of `size`, high to low.
pub fn subtrees(size: u64) -> impl Iterator<Item = (u8, u64)> {
    let mut start = 0u64;
    (0..64u8).rev().filter_map(move |h| {
        if size & (1u64 << h) != 0 {
            let idx = start >> h;
            start += 1u64 << h;
            Some((h, idx))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_sha256_of_nothing() {
        assert_eq!(
            Hash::empty().to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn hex_and_base64_round_trip() {
        let h = leaf_hash(b"baomi");
        assert_eq!(Hash::from_hex(&h.to_hex()), Some(h));
        assert_eq!(Hash::from_base64(&h.to_base64()), Some(h));
        assert_eq!(Hash::from_hex("zz"), None);
        assert_eq!(Hash::from_base64("AAAA"), None);
    }

    #[test]
    fn subtrees_are_binary_digits() {
        let s: Vec<_> = subtrees(13).collect();
        assert_eq!(s, vec![(3, 0), (2, 2), (0, 12)]);
        assert_eq!(subtrees(0).count(), 0);
    }

    #[test]
    fn compact_range_matches_recursive_definition() {
        fn mth(l: &[Hash]) -> Hash {
            match l.len() {
                0 => Hash::empty(),
                1 => l[0],
                n => {
                    let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
                    node_hash(&mth(&l[..k]), &mth(&l[k..]))
                }
            }
        }
        let leaves: Vec<Hash> = (0..70u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        for n in 0..=leaves.len() {
            assert_eq!(root_of_leaves(&leaves[..n]), mth(&leaves[..n]), "size {n}");
        }
    }
}
