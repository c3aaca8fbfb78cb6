//! Reading a tree back from its tiles: full-subtree hashes for proofs, entries from bundles.
//!
//! Tiles are not trusted here: whatever is computed from them (a root, a proof) is checked by the
//! caller against a signed checkpoint, which is what makes a forged tile visible.

use crate::bundle;
use crate::error::{Error, Result};
use crate::hash::{Hash, root_of_leaves};
use crate::proof::SubtreeHashes;
use crate::store::Source;
use crate::tile::{TILE_HEIGHT, TILE_WIDTH, Tile, TileKind, hashes_at_level, tile_for};
use std::collections::HashMap;

/// Full-subtree hashes of a tree of a given size, read from tiles (with a small cache).
pub struct TileReader<'a, S: Source + ?Sized> {
    src: &'a S,
    size: u64,
    cache: HashMap<(u8, u64), Vec<Hash>>,
    /// Tiles fetched so far (for statistics).
    pub fetched: usize,
}

impl<'a, S: Source + ?Sized> TileReader<'a, S> {
    /// A reader for the tree of `size` leaves.
    pub fn new(src: &'a S, size: u64) -> Self {
        TileReader {
            src,
            size,
            cache: HashMap::new(),
            fetched: 0,
        }
    }

    /// The hashes of one tile (at the width the tree size needs).
    pub fn hash_tile(&mut self, level: u8, index: u64) -> Result<&[Hash]> {
        if !self.cache.contains_key(&(level, index)) {
            let t = tile_for(TileKind::Hash(level), index * TILE_WIDTH, self.size);
            let data = read_tile(self.src, &t)?;
            self.fetched += 1;
            let hashes = data
                .chunks_exact(Hash::LEN)
                .map(|c| Hash::from_slice(c).expect("32-byte chunk"))
                .collect();
            if self.cache.len() > 4096 {
                self.cache.clear();
            }
            self.cache.insert((level, index), hashes);
        }
        Ok(&self.cache[&(level, index)])
    }
}

/// Reads a tile (hash tile or bundle) at the width `t` names; a missing partial tile falls back to
/// the full tile's prefix, as the spec allows logs to delete partials once the full tile exists.
/// Hash tiles are checked for length.
pub fn read_tile<S: Source + ?Sized>(src: &S, t: &Tile) -> Result<Vec<u8>> {
    let path = t.to_string();
    let (data, from_full) = match src.get(&path)? {
        Some(d) => (d, false),
        None if !t.is_full() => match src.get(&t.full().to_string())? {
            Some(d) => (d, true),
            None => return Err(Error::Missing(path)),
        },
        None => return Err(Error::Missing(path)),
    };
    match t.kind {
        TileKind::Hash(_) => {
            let want = usize::from(t.width) * Hash::LEN;
            let ok = if from_full {
                data.len() == TILE_WIDTH as usize * Hash::LEN
            } else {
                data.len() == want
            };
            if !ok {
                return Err(Error::corrupt(
                    &path,
                    format!("{} bytes, expected {want}", data.len()),
                ));
            }
            let mut data = data;
            data.truncate(want);
            Ok(data)
        }
        TileKind::Entries => {
            if from_full {
                let mut entries = bundle::decode(&data).map_err(|r| Error::corrupt(&path, r))?;
                entries.truncate(usize::from(t.width));
                Ok(bundle::encode(&entries))
            } else {
                Ok(data)
            }
        }
    }
}

impl<S: Source + ?Sized> SubtreeHashes for TileReader<'_, S> {
    type Error = Error;

    fn subtree(&mut self, height: u8, index: u64) -> Result<Hash> {
        let end = (index + 1)
            .checked_shl(u32::from(height))
            .filter(|&e| e <= self.size);
        if end.is_none() {
            return Err(Error::corrupt(
                format!("subtree {height}/{index}"),
                format!("not a full subtree of a tree of size {}", self.size),
            ));
        }
        let level = height / TILE_HEIGHT;
        let r = height % TILE_HEIGHT;
        let first = index << r;
        let count = 1u64 << r;
        debug_assert!(first + count <= hashes_at_level(self.size, level));
        let tile_index = first / TILE_WIDTH;
        let off = (first % TILE_WIDTH) as usize;
        let tile = self.hash_tile(level, tile_index)?;
        Ok(root_of_leaves(&tile[off..off + count as usize]))
    }
}

/// Reads the entries of bundle `index` of a tree of `size` leaves.
pub fn read_bundle<S: Source + ?Sized>(src: &S, index: u64, size: u64) -> Result<Vec<Vec<u8>>> {
    let t = tile_for(TileKind::Entries, index * TILE_WIDTH, size);
    let data = read_tile(src, &t)?;
    let entries = bundle::decode(&data).map_err(|r| Error::corrupt(t.to_string(), r))?;
    if entries.len() != usize::from(t.width) {
        return Err(Error::corrupt(
            t.to_string(),
            format!("{} entries, expected {}", entries.len(), t.width),
        ));
    }
    Ok(entries)
}
