//! Checking a whole log from its public resources (the equivalent of Tessera's fsck): every entry
//! hashes to its level-0 tile, every tile above is recomputed from the tiles below, and the root
//! of the tree so verified equals the signed checkpoint's.

use crate::checkpoint::Checkpoint;
use crate::error::{Error, Result};
use crate::hash::{Hash, leaf_hash, root_of_leaves};
use crate::note::Verifier;
use crate::proof::{self, consistency_proof, tree_root, verify_consistency};
use crate::reader::{TileReader, read_bundle, read_tile};
use crate::store::Source;
use crate::tile::{TILE_WIDTH, TileKind, hashes_at_level, tile_for};

/// What a verification covered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The verified checkpoint.
    pub checkpoint: Checkpoint,
    /// Entries hashed.
    pub entries: u64,
    /// Hash tiles and bundles read.
    pub tiles: u64,
}

/// Fetches and verifies the signed checkpoint.
pub fn fetch_checkpoint<S: Source + ?Sized>(src: &S, key: &Verifier) -> Result<Checkpoint> {
    let note = src
        .get("checkpoint")?
        .ok_or_else(|| Error::Missing(format!("{}/checkpoint", src.describe())))?;
    Ok(Checkpoint::open(&note, key)?.0)
}

/// Verifies every entry and tile of the log against its signed checkpoint, and, when given,
/// that the log is consistent with a checkpoint seen earlier (`trusted`, already verified).
pub fn verify_log<S: Source + ?Sized>(
    src: &S,
    key: &Verifier,
    trusted: Option<&Checkpoint>,
) -> Result<Report> {
    let cp = fetch_checkpoint(src, key)?;
    let report = verify_tree(src, &cp)?;
    if let Some(old) = trusted {
        check_extends(src, old, &cp)?;
    }
    Ok(report)
}

/// Verifies the tiles and bundles of a tree against a checkpoint already known to be genuine.
pub fn verify_tree<S: Source + ?Sized>(src: &S, cp: &Checkpoint) -> Result<Report> {
    let size = cp.size;
    let mut tiles = 0u64;
    // Hashes verified from below, per level, for the tile being filled at that level.
    let mut acc: Vec<Vec<Hash>> = vec![Vec::new()];
    // Full tiles completed so far, per level.
    let mut done: Vec<u64> = vec![0];
    let bundles = size.div_ceil(TILE_WIDTH);
    for b in 0..bundles {
        let entries = read_bundle(src, b, size)?;
        let t0 = tile_for(TileKind::Hash(0), b * TILE_WIDTH, size);
        let stored = read_tile(src, &t0)?;
        tiles += 2;
        for (i, e) in entries.iter().enumerate() {
            let h = leaf_hash(e);
            if stored[i * Hash::LEN..(i + 1) * Hash::LEN] != h.0 {
                return Err(Error::corrupt(
                    t0.to_string(),
                    format!(
                        "hash {i} does not match entry {} of {}",
                        b * TILE_WIDTH + i as u64,
                        tile_for(TileKind::Entries, b * TILE_WIDTH, size)
                    ),
                ));
            }
            acc[0].push(h);
        }
        let mut level = 0usize;
        while acc[level].len() as u64 == TILE_WIDTH {
            let full = std::mem::take(&mut acc[level]);
            if level > 0 {
                let t = tile_for(TileKind::Hash(level as u8), done[level] * TILE_WIDTH, size);
                compare(src, &t, &full)?;
                tiles += 1;
            }
            done[level] += 1;
            if acc.len() <= level + 1 {
                acc.push(Vec::new());
                done.push(0);
            }
            acc[level + 1].push(root_of_leaves(&full));
            level += 1;
        }
    }
    // Partial tiles above level 0 (level 0 was compared bundle by bundle).
    for (level, hashes) in acc.iter().enumerate().skip(1) {
        if hashes.is_empty() {
            continue;
        }
        let n = hashes_at_level(size, level as u8);
        let t = tile_for(TileKind::Hash(level as u8), n - 1, size);
        compare(src, &t, hashes)?;
        tiles += 1;
    }
    let root = tree_root(&mut TileReader::new(src, size), size)?;
    if root != cp.root {
        return Err(Error::corrupt(
            "checkpoint",
            format!(
                "tiles give root {root} for size {size}, the checkpoint says {}",
                cp.root
            ),
        ));
    }
    Ok(Report {
        checkpoint: cp.clone(),
        entries: size,
        tiles,
    })
}

fn compare<S: Source + ?Sized>(src: &S, t: &crate::tile::Tile, want: &[Hash]) -> Result<()> {
    let stored = read_tile(src, t)?;
    for (i, h) in want.iter().enumerate() {
        if stored[i * Hash::LEN..(i + 1) * Hash::LEN] != h.0 {
            return Err(Error::corrupt(
                t.to_string(),
                format!("hash {i} does not match the tiles below"),
            ));
        }
    }
    Ok(())
}

/// Checks that `new` extends `old` (both genuine checkpoints of the same log) by a consistency
/// proof computed from the tiles of `new`.
pub fn check_extends<S: Source + ?Sized>(
    src: &S,
    old: &Checkpoint,
    new: &Checkpoint,
) -> Result<()> {
    if old.origin != new.origin {
        return Err(Error::Note(format!(
            "checkpoints of different logs: {} and {}",
            old.origin, new.origin
        )));
    }
    if old.size > new.size {
        return Err(Error::Proof(proof::ProofError::OutOfRange(format!(
            "the log shrank from {} to {} entries",
            old.size, new.size
        ))));
    }
    let p = consistency_proof(&mut TileReader::new(src, new.size), old.size, new.size)??;
    verify_consistency(old.size, new.size, &p, &old.root, &new.root)?;
    Ok(())
}
