//! Inclusion and consistency proofs (RFC 9162 §2.1.3 and §2.1.4): generation over any source of
//! full-subtree hashes, and verification.
//!
//! Generation follows the recursive definitions of the RFC; every hash it needs is the root of a
//! full subtree or a fold of such roots, so a log only has to serve full-subtree hashes (tiles).

use crate::hash::{Hash, node_hash};

/// Something that knows the hash of every full subtree of a tree: the node at `height` and
/// `index` covers leaves `[index << height, (index + 1) << height)`.
pub trait SubtreeHashes {
    /// Error while reading hashes.
    type Error;
    /// Hash of a full subtree.
    fn subtree(&mut self, height: u8, index: u64) -> Result<Hash, Self::Error>;
}

/// Why a proof did not verify or could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// Index or sizes outside the tree.
    #[error("{0}")]
    OutOfRange(String),
    /// The proof has the wrong number of hashes.
    #[error("proof has {got} hashes, expected {want}")]
    WrongLength {
        /// Hashes given.
        got: usize,
        /// Hashes needed.
        want: usize,
    },
    /// The proof does not lead to the expected root.
    #[error("proof does not match the root hash")]
    Mismatch,
}

/// MTH(D[lo:hi]) where `lo` is aligned to a power of two at least `hi - lo` (as in every range a
/// proof asks for): the fold of the maximal full subtrees of the range.
pub fn range_hash<S: SubtreeHashes>(src: &mut S, lo: u64, hi: u64) -> Result<Hash, S::Error> {
    let mut parts = Vec::with_capacity(64);
    let mut start = lo;
    for h in (0..64u8).rev() {
        let w = 1u64 << h;
        if (hi - lo) & w != 0 {
            parts.push(src.subtree(h, start >> h)?);
            start += w;
        }
    }
    let mut it = parts.into_iter().rev();
    let Some(mut acc) = it.next() else {
        return Ok(Hash::empty());
    };
    for left in it {
        acc = node_hash(&left, &acc);
    }
    Ok(acc)
}

/// Root hash of a tree of `size` leaves.
pub fn tree_root<S: SubtreeHashes>(src: &mut S, size: u64) -> Result<Hash, S::Error> {
    range_hash(src, 0, size)
}

fn split(n: u64) -> u64 {
    // Largest power of two strictly smaller than n (n >= 2).
    1u64 << (63 - (n - 1).leading_zeros())
}

/// Inclusion proof of leaf `index` in a tree of `size` leaves (RFC 9162 §2.1.3.1).
pub fn inclusion_proof<S: SubtreeHashes>(
    src: &mut S,
    index: u64,
    size: u64,
) -> Result<Result<Vec<Hash>, ProofError>, S::Error> {
    if index >= size {
        return Ok(Err(ProofError::OutOfRange(format!(
            "leaf {index} is not in a tree of size {size}"
        ))));
    }
    let mut out = Vec::new();
    let (mut lo, mut hi) = (0, size);
    let mut pending = Vec::new();
    while hi - lo > 1 {
        let k = split(hi - lo);
        if index < lo + k {
            pending.push((lo + k, hi));
            hi = lo + k;
        } else {
            pending.push((lo, lo + k));
            lo += k;
        }
    }
    for (a, b) in pending.into_iter().rev() {
        out.push(range_hash(src, a, b)?);
    }
    Ok(Ok(out))
}

/// Consistency proof between trees of `old` and `new` leaves (RFC 9162 §2.1.4.1).
pub fn consistency_proof<S: SubtreeHashes>(
    src: &mut S,
    old: u64,
    new: u64,
) -> Result<Result<Vec<Hash>, ProofError>, S::Error> {
    if old > new {
        return Ok(Err(ProofError::OutOfRange(format!(
            "old size {old} is larger than new size {new}"
        ))));
    }
    if old == 0 || old == new {
        return Ok(Ok(Vec::new()));
    }
    let mut pending = Vec::new();
    let (mut lo, mut hi, mut whole) = (0u64, new, true);
    loop {
        let n = hi - lo;
        let m = old - lo;
        if m == n {
            if !whole {
                pending.push((lo, hi));
            }
            break;
        }
        let k = split(n);
        if m <= k {
            pending.push((lo + k, hi));
            hi = lo + k;
        } else {
            pending.push((lo, lo + k));
            lo += k;
            whole = false;
        }
    }
    let mut out = Vec::new();
    for (a, b) in pending.into_iter().rev() {
        out.push(range_hash(src, a, b)?);
    }
    Ok(Ok(out))
}

/// Verifies an inclusion proof (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::OutOfRange(format!(
            "leaf {index} is not in a tree of size {size}"
        )));
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                want: inclusion_len(index, size),
            });
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want: inclusion_len(index, size),
        });
    }
    if r != *root {
        return Err(ProofError::Mismatch);
    }
    Ok(())
}

fn inclusion_len(index: u64, size: u64) -> usize {
    let (mut lo, mut hi, mut n) = (0, size, 0);
    while hi - lo > 1 {
        let k = split(hi - lo);
        if index < lo + k {
            hi = lo + k;
        } else {
            lo += k;
        }
        n += 1;
    }
    n
}

/// Verifies a consistency proof (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    old: u64,
    new: u64,
    proof: &[Hash],
    old_root: &Hash,
    new_root: &Hash,
) -> Result<(), ProofError> {
    if old > new {
        return Err(ProofError::OutOfRange(format!(
            "old size {old} is larger than new size {new}"
        )));
    }
    if old == new {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                want: 0,
            });
        }
        return if old_root == new_root {
            Ok(())
        } else {
            Err(ProofError::Mismatch)
        };
    }
    if old == 0 {
        // The empty tree is a prefix of every tree.
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(ProofError::WrongLength {
                got: proof.len(),
                want: 0,
            })
        };
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let Some((first, rest)) = path.split_first() else {
        return Err(ProofError::WrongLength { got: 0, want: 1 });
    };
    let (mut f, mut s) = (old - 1, new - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s == 0 {
            return Err(ProofError::Mismatch);
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 || fr != *old_root || sr != *new_root {
        return Err(ProofError::Mismatch);
    }
    Ok(())
}

/// A full-subtree source over leaf hashes held in memory (tests, small trees).
pub struct InMemory<'a>(pub &'a [Hash]);

impl SubtreeHashes for InMemory<'_> {
    type Error = std::convert::Infallible;
    fn subtree(&mut self, height: u8, index: u64) -> Result<Hash, Self::Error> {
        let w = 1usize << height;
        let lo = index as usize * w;
        Ok(crate::hash::root_of_leaves(&self.0[lo..lo + w]))
    }
}
