//! The writer's committed state (tree size and root), kept in the private directory.
//!
//! Two fixed 128-byte slots, written alternately in place and checksummed: a commit is one
//! `pwrite` and one `fdatasync`, and a torn write can only damage the slot being written, so the
//! other still holds the previous commit.

use crate::error::{Error, Result};
use crate::hash::Hash;
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 16] = b"baomi-tlog-st-v1";
const SLOT: usize = 128;

/// The state file, open for commits.
pub struct StateFile {
    file: File,
    path: PathBuf,
    seq: u64,
}

fn encode(seq: u64, size: u64, root: &Hash) -> [u8; SLOT] {
    let mut b = [0u8; SLOT];
    b[..16].copy_from_slice(MAGIC);
    b[16..24].copy_from_slice(&seq.to_be_bytes());
    b[24..32].copy_from_slice(&size.to_be_bytes());
    b[32..64].copy_from_slice(&root.0);
    let sum = Sha256::digest(&b[..64]);
    b[64..96].copy_from_slice(&sum);
    b
}

fn decode(b: &[u8]) -> Option<(u64, u64, Hash)> {
    if b.len() < 96 || &b[..16] != MAGIC || Sha256::digest(&b[..64])[..] != b[64..96] {
        return None;
    }
    let seq = u64::from_be_bytes(b[16..24].try_into().ok()?);
    let size = u64::from_be_bytes(b[24..32].try_into().ok()?);
    Some((seq, size, Hash::from_slice(&b[32..64])?))
}

/// Reads the last commit: (sequence, size, root).
pub fn read(path: &Path) -> Result<(u64, u64, Hash)> {
    let b = std::fs::read(path).map_err(|e| Error::io(path.display(), e))?;
    let slots = [b.get(..SLOT), b.get(SLOT..2 * SLOT)];
    slots
        .into_iter()
        .flatten()
        .filter_map(decode)
        .max_by_key(|s| s.0)
        .ok_or_else(|| Error::corrupt(path.display(), "no valid state slot"))
}

impl StateFile {
    /// Creates the state of an empty tree (the file must not exist).
    pub fn create(path: &Path) -> Result<()> {
        let mut b = encode(1, 0, &Hash::empty()).to_vec();
        b.resize(2 * SLOT, 0);
        crate::store::write_durably(path, &b)
    }

    /// Opens the state for commits, returning the committed size and root.
    pub fn open(path: &Path) -> Result<(StateFile, u64, Hash)> {
        let (seq, size, root) = read(path)?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| Error::io(path.display(), e))?;
        Ok((
            StateFile {
                file,
                path: path.to_path_buf(),
                seq,
            },
            size,
            root,
        ))
    }

    /// Durably records a new size and root.
    pub fn commit(&mut self, size: u64, root: &Hash) -> Result<()> {
        let seq = self.seq + 1;
        let off = (seq % 2) * SLOT as u64;
        write_at(&self.file, &encode(seq, size, root), off)
            .and_then(|_| self.file.sync_data())
            .map_err(|e| Error::io(self.path.display(), e))?;
        self.seq = seq;
        Ok(())
    }
}

#[cfg(unix)]
fn write_at(f: &File, b: &[u8], off: u64) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    f.write_all_at(b, off)
}

#[cfg(windows)]
fn write_at(f: &File, mut b: &[u8], mut off: u64) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !b.is_empty() {
        let n = f.seek_write(b, off)?;
        b = &b[n..];
        off += n as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternating_slots_survive_a_torn_write() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("state");
        StateFile::create(&p).unwrap();
        let (mut s, size, root) = StateFile::open(&p).unwrap();
        assert_eq!((size, root), (0, Hash::empty()));
        let r1 = crate::hash::leaf_hash(b"1");
        let r2 = crate::hash::leaf_hash(b"2");
        s.commit(10, &r1).unwrap();
        s.commit(20, &r2).unwrap();
        assert_eq!(read(&p).unwrap().1, 20);
        // Tear the newest slot: the previous commit is what remains.
        let mut b = std::fs::read(&p).unwrap();
        // Commit sequence 3 (the newest) went to slot 3 % 2 = 1.
        let newest = SLOT;
        b[newest + 30] ^= 0xff;
        std::fs::write(&p, &b).unwrap();
        assert_eq!(read(&p).unwrap().1, 10);
        std::fs::write(&p, vec![0u8; 2 * SLOT]).unwrap();
        assert!(read(&p).is_err());
    }
}
