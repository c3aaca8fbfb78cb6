//! Where tiles, bundles and the checkpoint live. Readers see a log as a set of resources named by
//! their path under the log prefix (`checkpoint`, `tile/0/000`...), exactly as served over HTTP;
//! the directory store lays them out the same way on disk, so the folder can be published as
//! static files as it is.

use crate::error::{Error, Result};
use crate::tile::Tile;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Read access to a log's public resources.
pub trait Source {
    /// The resource at `path`, or `None` when it does not exist.
    fn get(&self, path: &str) -> Result<Option<Vec<u8>>>;
    /// A human-readable name for messages.
    fn describe(&self) -> String;
}

/// Write access for the log writer: every write is atomic (whole file or nothing), and `sync`
/// makes all earlier writes durable.
pub trait Sink: Source + Send {
    /// Writes a resource atomically (not yet durable).
    fn put(&mut self, path: &str, data: &[u8]) -> Result<()>;
    /// Makes every earlier `put` durable.
    fn sync(&mut self) -> Result<()>;
    /// Removes the partial versions of a tile whose full version is durable.
    fn remove_partials(&mut self, tile: &Tile) -> Result<()>;
}

/// A log laid out in a local directory.
pub struct DirStore {
    root: PathBuf,
    pending: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
}

impl DirStore {
    /// A store rooted at `root` (which must exist).
    pub fn new(root: impl Into<PathBuf>) -> DirStore {
        DirStore {
            root: root.into(),
            pending: Vec::new(),
            dirs: Vec::new(),
        }
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_of(&self, path: &str) -> Result<PathBuf> {
        if path == "checkpoint" || Tile::parse(path).is_some() {
            Ok(self.root.join(path))
        } else {
            Err(Error::corrupt(path, "not a log resource path"))
        }
    }
}

impl Source for DirStore {
    fn get(&self, path: &str) -> Result<Option<Vec<u8>>> {
        let p = self.path_of(path)?;
        match fs::read(&p) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(p.display(), e)),
        }
    }

    fn describe(&self) -> String {
        self.root.display().to_string()
    }
}

impl Sink for DirStore {
    fn put(&mut self, path: &str, data: &[u8]) -> Result<()> {
        let p = self.path_of(path)?;
        let dir = p
            .parent()
            .expect("resource paths have a parent")
            .to_path_buf();
        if !dir.is_dir() {
            create_dirs(&self.root, &dir, &mut self.dirs)?;
        }
        write_atomic(&p, data, false)?;
        self.pending.push(p);
        if !self.dirs.contains(&dir) {
            self.dirs.push(dir);
        }
        Ok(())
    }

    fn sync(&mut self) -> Result<()> {
        // File contents first, then the directory entries that name them. The fsyncs run in
        // parallel: they wait on the disk, not the CPU, and the journal commits them together.
        let files = std::mem::take(&mut self.pending);
        parallel(&files, |p| {
            let f = File::open(p).map_err(|e| Error::io(p.display(), e))?;
            f.sync_all().map_err(|e| Error::io(p.display(), e))
        })?;
        let dirs = std::mem::take(&mut self.dirs);
        parallel(&dirs, |d| sync_dir(d))
    }

    fn remove_partials(&mut self, tile: &Tile) -> Result<()> {
        let d = self.root.join(tile.partial_dir());
        match fs::remove_dir_all(&d) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(d.display(), e)),
        }
    }
}

fn tmp_name(p: &Path) -> PathBuf {
    let mut name = p.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    p.with_file_name(name)
}

/// Replaces `p` atomically (temp file, then rename): readers see the whole old or the whole new
/// file. With `durable`, the content is fsynced before the rename and the directory after it;
/// without, durability comes later with [`Sink::sync`] (which fsyncs the file by its final name,
/// the same inode, before its directory), or not at all for what can be rebuilt.
pub(crate) fn write_atomic(p: &Path, data: &[u8], durable: bool) -> Result<()> {
    let tmp = tmp_name(p);
    {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(|e| Error::io(tmp.display(), e))?;
        f.write_all(data).map_err(|e| Error::io(tmp.display(), e))?;
        if durable {
            f.sync_all().map_err(|e| Error::io(tmp.display(), e))?;
        }
    }
    fs::rename(&tmp, p).map_err(|e| Error::io(p.display(), e))?;
    if durable {
        sync_dir(p.parent().unwrap_or(Path::new(".")))?;
    }
    Ok(())
}

/// Writes a file atomically and durably: temp file, fsync, rename, fsync of the directory.
pub fn write_durably(p: &Path, data: &[u8]) -> Result<()> {
    write_atomic(p, data, true)
}

/// Creates a new file readable by its owner only (mode 0600), durably: signing keys.
pub(crate) fn write_secret(p: &Path, data: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(p).map_err(|e| Error::io(p.display(), e))?;
    f.write_all(data).map_err(|e| Error::io(p.display(), e))?;
    f.sync_all().map_err(|e| Error::io(p.display(), e))
}

fn sync_dir(d: &Path) -> Result<()> {
    let f = File::open(d).map_err(|e| Error::io(d.display(), e))?;
    f.sync_all().map_err(|e| Error::io(d.display(), e))
}

/// Runs `f` on every item with a few threads; the first error wins.
fn parallel<T: Sync>(items: &[T], f: impl Fn(&T) -> Result<()> + Sync) -> Result<()> {
    const THREADS: usize = 8;
    if items.len() <= 1 {
        return items.iter().try_for_each(&f);
    }
    let chunk = items.len().div_ceil(THREADS);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|c| s.spawn(|| c.iter().try_for_each(&f)))
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().expect("fsync thread panicked"))
    })
}

fn create_dirs(root: &Path, dir: &Path, to_sync: &mut Vec<PathBuf>) -> Result<()> {
    // Each created directory's parent is fsynced with the batch, so a crash cannot lose a
    // directory that holds durable tiles.
    let mut missing = Vec::new();
    let mut cur = dir;
    while !cur.is_dir() && cur != root {
        missing.push(cur.to_path_buf());
        cur = match cur.parent() {
            Some(p) => p,
            None => break,
        };
    }
    for d in missing.into_iter().rev() {
        match fs::create_dir(&d) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(Error::io(d.display(), e)),
        }
        let parent = d.parent().unwrap_or(root).to_path_buf();
        if !to_sync.contains(&parent) {
            to_sync.push(parent);
        }
    }
    Ok(())
}
