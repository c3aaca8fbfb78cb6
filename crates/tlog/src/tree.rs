//! The writer's in-memory right edge of the tree: the partial tile of every level, the partial
//! entry bundle and the compact range. Appending produces the files a batch must write.

use crate::bundle;
use crate::error::{Error, Result};
use crate::hash::{CompactRange, Hash, leaf_hash, root_of_leaves, subtrees};
use crate::proof::SubtreeHashes;
use crate::reader::{TileReader, read_bundle, read_tile};
use crate::store::Source;
use crate::tile::{TILE_WIDTH, Tile, TileKind, hashes_at_level, tile_for};

/// The right edge of a tree, enough to append to it.
#[derive(Clone, Debug, Default)]
pub struct Edge {
    range: CompactRange,
    partial: Vec<Vec<Hash>>,
    bundle: Vec<u8>,
    bundle_len: u16,
}

/// What one batch changes: resources to write, and full tiles whose partials may go afterwards.
#[derive(Default)]
pub struct Changes {
    /// Resources to write (path, bytes).
    pub files: Vec<(Tile, Vec<u8>)>,
    /// Tiles completed in this batch.
    pub completed: Vec<Tile>,
}

impl Edge {
    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.range.size()
    }

    /// Root hash.
    pub fn root(&self) -> Hash {
        self.range.root()
    }

    /// Appends entries (each checked to fit a bundle) and returns the resources to write.
    pub fn append<E: AsRef<[u8]>>(&mut self, entries: &[E]) -> Changes {
        let mut ch = Changes::default();
        for e in entries {
            let e = e.as_ref();
            bundle::append(&mut self.bundle, e);
            self.bundle_len += 1;
            let h = leaf_hash(e);
            self.range.push(h);
            let size = self.range.size();
            if u64::from(self.bundle_len) == TILE_WIDTH {
                let t = Tile {
                    kind: TileKind::Entries,
                    index: (size - 1) / TILE_WIDTH,
                    width: TILE_WIDTH as u16,
                };
                ch.files.push((t, std::mem::take(&mut self.bundle)));
                ch.completed.push(t);
                self.bundle_len = 0;
            }
            self.push_hash(0, h, size, &mut ch);
        }
        let size = self.range.size();
        for (l, p) in self.partial.iter().enumerate() {
            if !p.is_empty() {
                let t = tile_for(
                    TileKind::Hash(l as u8),
                    hashes_at_level(size, l as u8) - 1,
                    size,
                );
                ch.files.push((t, hashes_bytes(p)));
            }
        }
        if self.bundle_len > 0 {
            let t = tile_for(TileKind::Entries, size - 1, size);
            ch.files.push((t, self.bundle.clone()));
        }
        ch
    }

    fn push_hash(&mut self, level: usize, h: Hash, size: u64, ch: &mut Changes) {
        if self.partial.len() <= level {
            self.partial.resize_with(level + 1, Vec::new);
        }
        self.partial[level].push(h);
        if self.partial[level].len() as u64 == TILE_WIDTH {
            let full = std::mem::take(&mut self.partial[level]);
            let t = Tile {
                kind: TileKind::Hash(level as u8),
                index: hashes_at_level(size, level as u8) / TILE_WIDTH - 1,
                width: TILE_WIDTH as u16,
            };
            let up = root_of_leaves(&full);
            ch.files.push((t, hashes_bytes(&full)));
            ch.completed.push(t);
            self.push_hash(level + 1, up, size, ch);
        }
    }

    /// Rebuilds the edge of a tree of `size` leaves from its stored tiles, checking that they
    /// give `root`.
    pub fn load<S: Source + ?Sized>(src: &S, size: u64, root: &Hash) -> Result<Edge> {
        let mut reader = TileReader::new(src, size);
        let mut roots = Vec::new();
        for (h, i) in subtrees(size) {
            roots.push(reader.subtree(h, i)?);
        }
        let range = CompactRange::from_parts(size, roots).expect("one root per subtree");
        if range.root() != *root {
            return Err(Error::corrupt(
                src.describe(),
                format!(
                    "tiles give root {} for size {size}, the log's state says {}",
                    range.root(),
                    root
                ),
            ));
        }
        let mut partial = Vec::new();
        for l in 0..64u8 {
            let count = hashes_at_level(size, l);
            if count == 0 {
                break;
            }
            let w = count % TILE_WIDTH;
            if w == 0 {
                partial.push(Vec::new());
                continue;
            }
            let t = tile_for(TileKind::Hash(l), count - 1, size);
            let data = read_tile(src, &t)?;
            partial.push(
                data.chunks_exact(Hash::LEN)
                    .map(|c| Hash::from_slice(c).expect("32 bytes"))
                    .collect(),
            );
        }
        let (bundle, bundle_len) = if size.is_multiple_of(TILE_WIDTH) {
            (Vec::new(), 0)
        } else {
            let entries = read_bundle(src, size / TILE_WIDTH, size)?;
            let leaves: Vec<Hash> = entries.iter().map(|e| leaf_hash(e)).collect();
            if partial.first().map(|p| p.as_slice()) != Some(leaves.as_slice()) {
                return Err(Error::corrupt(
                    tile_for(TileKind::Entries, size - 1, size).to_string(),
                    "entries do not hash to the level-0 tile",
                ));
            }
            (bundle::encode(&entries), entries.len() as u16)
        };
        Ok(Edge {
            range,
            partial,
            bundle,
            bundle_len,
        })
    }
}

fn hashes_bytes(h: &[Hash]) -> Vec<u8> {
    let mut v = Vec::with_capacity(h.len() * Hash::LEN);
    for x in h {
        v.extend_from_slice(&x.0);
    }
    v
}
