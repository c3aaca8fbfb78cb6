//! Tile coordinates and paths (C2SP tlog-tiles): which tiles a tree of a given size has, where
//! they live, and how to parse a path back (the server and the directory store accept nothing
//! else).

use std::fmt;

/// Hashes in a full tile; also entries in a full bundle.
pub const TILE_WIDTH: u64 = 256;
/// Tree levels covered by one tile level.
pub const TILE_HEIGHT: u8 = 8;

/// What a tile holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TileKind {
    /// Hashes at tree height `8 * level`.
    Hash(u8),
    /// Entry bundle (the leaves' data).
    Entries,
}

/// One tile or entry bundle: `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tile {
    /// Hash level or entries.
    pub kind: TileKind,
    /// Tile index within its level.
    pub index: u64,
    /// 1..=256; 256 is a full tile.
    pub width: u16,
}

impl Tile {
    /// Is this a full (immutable, 256-wide) tile?
    pub fn is_full(&self) -> bool {
        u64::from(self.width) == TILE_WIDTH
    }

    /// The same tile at full width.
    pub fn full(self) -> Tile {
        Tile {
            width: TILE_WIDTH as u16,
            ..self
        }
    }

    /// The directory holding this tile's partial versions (`tile/0/x001/234.p`).
    pub fn partial_dir(&self) -> String {
        format!("{}.p", self.full())
    }

    /// Parses a path relative to the log prefix. Rejects anything not canonical (leading
    /// zeroes, bad widths, `..`), so a path can be mapped to a file safely.
    pub fn parse(path: &str) -> Option<Tile> {
        let rest = path.strip_prefix("tile/")?;
        let (kind_s, rest) = rest.split_once('/')?;
        let kind = if kind_s == "entries" {
            TileKind::Entries
        } else {
            let l = parse_canonical(kind_s)?;
            if l > 63 {
                return None;
            }
            TileKind::Hash(l as u8)
        };
        let (index_s, width) = match rest.split_once(".p/") {
            Some((i, w)) => {
                let w = parse_canonical(w)?;
                if !(1..TILE_WIDTH).contains(&w) {
                    return None;
                }
                (i, w as u16)
            }
            None => (rest, TILE_WIDTH as u16),
        };
        let parts: Vec<&str> = index_s.split('/').collect();
        let mut index: u64 = 0;
        for (i, p) in parts.iter().enumerate() {
            let digits = if i + 1 < parts.len() {
                p.strip_prefix('x')?
            } else {
                p
            };
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            index = index
                .checked_mul(1000)?
                .checked_add(digits.parse::<u64>().ok()?)?;
        }
        let t = Tile { kind, index, width };
        // Only the canonical spelling (no superfluous leading x000 groups).
        (t.to_string() == path).then_some(t)
    }
}

fn parse_canonical(s: &str) -> Option<u64> {
    if s.is_empty() || (s.len() > 1 && s.starts_with('0')) || !s.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    s.parse().ok()
}

impl fmt::Display for Tile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            TileKind::Hash(l) => write!(f, "tile/{l}/")?,
            TileKind::Entries => f.write_str("tile/entries/")?,
        }
        let mut groups = Vec::new();
        let mut n = self.index;
        loop {
            groups.push(n % 1000);
            n /= 1000;
            if n == 0 {
                break;
            }
        }
        for (i, g) in groups.iter().rev().enumerate() {
            if i + 1 < groups.len() {
                write!(f, "x{g:03}/")?;
            } else {
                write!(f, "{g:03}")?;
            }
        }
        if !self.is_full() {
            write!(f, ".p/{}", self.width)?;
        }
        Ok(())
    }
}

/// Number of hashes at tile level `level` in a tree of `size` leaves (full subtrees of height
/// `8 * level`).
pub fn hashes_at_level(size: u64, level: u8) -> u64 {
    let shift = u32::from(level) * u32::from(TILE_HEIGHT);
    if shift >= 64 { 0 } else { size >> shift }
}

/// The tile at `level` holding hash number `n` of that level, in a tree of `size` leaves, at the
/// width that tree needs.
pub fn tile_for(kind: TileKind, n: u64, size: u64) -> Tile {
    let level = match kind {
        TileKind::Hash(l) => l,
        TileKind::Entries => 0,
    };
    let count = hashes_at_level(size, level);
    let index = n / TILE_WIDTH;
    let width = (count - index * TILE_WIDTH).min(TILE_WIDTH) as u16;
    Tile { kind, index, width }
}

/// Every tile (hash tiles and bundles) of a tree of `size` leaves, at the widths that size needs.
pub fn tiles_of(size: u64) -> impl Iterator<Item = Tile> {
    let levels = (0..64u8).take_while(move |&l| hashes_at_level(size, l) > 0);
    levels.flat_map(move |l| {
        let kinds = if l == 0 {
            vec![TileKind::Hash(0), TileKind::Entries]
        } else {
            vec![TileKind::Hash(l)]
        };
        let count = hashes_at_level(size, l);
        kinds.into_iter().flat_map(move |kind| {
            (0..count.div_ceil(TILE_WIDTH)).map(move |i| tile_for(kind, i * TILE_WIDTH, size))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_spec_examples() {
        let t = Tile {
            kind: TileKind::Hash(3),
            index: 1_234_067,
            width: 256,
        };
        assert_eq!(t.to_string(), "tile/3/x001/x234/067");
        let p = Tile {
            kind: TileKind::Entries,
            index: 5,
            width: 17,
        };
        assert_eq!(p.to_string(), "tile/entries/005.p/17");
        assert_eq!(Tile::parse("tile/3/x001/x234/067"), Some(t));
        assert_eq!(Tile::parse("tile/entries/005.p/17"), Some(p));
    }

    #[test]
    fn parse_rejects_non_canonical_paths() {
        for bad in [
            "tile/03/000",
            "tile/0/x000/001",
            "tile/0/1",
            "tile/0/001.p/256",
            "tile/0/001.p/0",
            "tile/0/001.p/07",
            "tile/64/000",
            "tile/0/../000",
            "tile/0/x001",
            "tile/entries/x01/000",
            "checkpoint",
        ] {
            assert_eq!(Tile::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn tree_of_70000_has_the_tiles_the_spec_lists() {
        let tiles: Vec<Tile> = tiles_of(70_000).collect();
        let level = |k: TileKind| tiles.iter().filter(move |t| t.kind == k);
        assert_eq!(
            level(TileKind::Hash(0)).filter(|t| t.is_full()).count(),
            273
        );
        assert_eq!(
            level(TileKind::Hash(0))
                .find(|t| !t.is_full())
                .unwrap()
                .width,
            112
        );
        assert_eq!(level(TileKind::Hash(1)).filter(|t| t.is_full()).count(), 1);
        assert_eq!(
            level(TileKind::Hash(1))
                .find(|t| !t.is_full())
                .unwrap()
                .width,
            17
        );
        let l2: Vec<_> = level(TileKind::Hash(2)).collect();
        assert_eq!(l2.len(), 1);
        assert_eq!(l2[0].width, 1);
        assert_eq!(level(TileKind::Entries).count(), 274);
        let t256: Vec<Tile> = tiles_of(256).collect();
        assert_eq!(t256.len(), 3, "{t256:?}");
    }
}
