//! The log writer: one integrator thread takes every pending append as one batch, writes its
//! tiles and bundles, makes them durable, commits the private state, signs and publishes a
//! checkpoint, and only then answers the writers.
//!
//! Crash safety rests on one ordering: tiles (fsync) -> private state (fsync) -> checkpoint.
//! The private state names the last committed size and root; on open the tree is rebuilt from
//! the tiles of exactly that size and checked against that root. Resources written beyond it
//! belong to appends that were never acknowledged and are overwritten by later batches before
//! any checkpoint names them, so two inconsistent checkpoints are never signed.

use crate::bundle::MAX_ENTRY;
use crate::checkpoint::Checkpoint;
use crate::error::{Error, Result};
use crate::hash::Hash;
use crate::note::{ALG_ED25519, Signer, Verifier};
use crate::state::StateFile;
use crate::store::{DirStore, Sink, Source, write_durably, write_secret};
use crate::tree::Edge;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use tokio::sync::oneshot;

/// Where a log lives: the public directory (served as is) and the private one (key, state,
/// lock), which must never be published.
#[derive(Clone, Debug)]
pub struct LogPaths {
    /// Public resources: `checkpoint`, `tile/...`.
    pub public: PathBuf,
    /// Signing key, committed state, writer lock.
    pub private: PathBuf,
}

impl LogPaths {
    /// The default private directory beside the public one: `<public>.private`.
    pub fn beside(public: impl Into<PathBuf>) -> LogPaths {
        let public: PathBuf = public.into();
        let mut name = public
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_else(|| "log".into());
        name.push(".private");
        let private = public.with_file_name(name);
        LogPaths { public, private }
    }

    fn key(&self) -> PathBuf {
        self.private.join("key")
    }
    fn state(&self) -> PathBuf {
        self.private.join("state")
    }
    fn lock(&self) -> PathBuf {
        self.private.join("lock")
    }
}

/// Creates a new, empty log: directories, a signing key named after `origin`, the state and the
/// first checkpoint (size 0). Refuses to touch an existing log.
pub fn init(paths: &LogPaths, origin: &str) -> Result<Verifier> {
    let signer = Signer::generate(origin, ALG_ED25519)?;
    init_with_key(paths, signer)
}

/// As [`init`], with a given key (tests, key ceremonies).
pub fn init_with_key(paths: &LogPaths, signer: Signer) -> Result<Verifier> {
    if paths.key().exists() || paths.public.join("checkpoint").exists() {
        return Err(Error::corrupt(
            paths.public.display(),
            "a log already exists here",
        ));
    }
    let pub_abs = absolute(&paths.public);
    let priv_abs = absolute(&paths.private);
    if priv_abs.starts_with(&pub_abs) {
        return Err(Error::corrupt(
            paths.private.display(),
            "the private directory must not be inside the public one",
        ));
    }
    fs::create_dir_all(&paths.public).map_err(|e| Error::io(paths.public.display(), e))?;
    create_private_dir(&paths.private)?;
    write_secret(&paths.key(), format!("{}\n", signer.skey()).as_bytes())?;
    StateFile::create(&paths.state())?;
    let cp = Checkpoint {
        origin: signer.name().to_string(),
        size: 0,
        root: Hash::empty(),
        extensions: vec![],
    };
    write_durably(
        &paths.public.join("checkpoint"),
        signer.sign_note(&cp.to_text())?.as_bytes(),
    )?;
    Ok(signer.verifier())
}

/// The verifier key of an existing log.
pub fn verifier(paths: &LogPaths) -> Result<Verifier> {
    Ok(read_key(paths)?.verifier())
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

#[cfg(unix)]
fn create_private_dir(p: &Path) -> Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(p)
        .map_err(|e| Error::io(p.display(), e))?;
    fs::set_permissions(p, fs::Permissions::from_mode(0o700)).map_err(|e| Error::io(p.display(), e))
}

#[cfg(not(unix))]
fn create_private_dir(p: &Path) -> Result<()> {
    fs::create_dir_all(p).map_err(|e| Error::io(p.display(), e))
}

fn read_key(paths: &LogPaths) -> Result<Signer> {
    let p = paths.key();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = fs::metadata(&p).map_err(|e| Error::io(p.display(), e))?;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(Error::Key(format!(
                "{}: readable by others (mode {:o}); chmod 600 it",
                p.display(),
                meta.permissions().mode() & 0o777
            )));
        }
    }
    let s = fs::read_to_string(&p).map_err(|e| Error::io(p.display(), e))?;
    Signer::from_skey(s.trim())
}

/// The committed size and root of a log (what an acknowledged append is guaranteed to be in).
pub fn committed(paths: &LogPaths) -> Result<(u64, Hash)> {
    let (_, size, root) = crate::state::read(&paths.state())?;
    Ok((size, root))
}

/// Tuning of the integrator.
#[derive(Clone, Debug)]
pub struct Options {
    /// Most entries integrated in one batch.
    pub max_batch: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options { max_batch: 65_536 }
    }
}

type Reply = oneshot::Sender<std::result::Result<u64, String>>;

struct Queue {
    entries: Vec<Vec<u8>>,
    replies: Vec<(usize, Reply)>,
    closed: bool,
    failed: Option<String>,
}

struct Shared {
    queue: Mutex<Queue>,
    wake: Condvar,
    head: Mutex<Checkpoint>,
}

/// An open log with its integrator thread. Dropping it integrates what is pending and stops.
pub struct Log {
    shared: Arc<Shared>,
    worker: Option<JoinHandle<()>>,
    verifier: Verifier,
    _lock: File,
}

/// An append in flight: resolves to the index of its first entry once the batch is durable and a
/// checkpoint covering it is published.
pub struct Pending(oneshot::Receiver<std::result::Result<u64, String>>);

impl Pending {
    /// Blocks until integrated. Do not call from inside an async runtime; await
    /// [`Pending::wait_async`] there.
    pub fn wait(self) -> Result<u64> {
        match self.0.blocking_recv() {
            Ok(r) => r.map_err(Error::Stopped),
            Err(_) => Err(Error::Stopped("integrator exited".into())),
        }
    }

    /// Waits asynchronously until integrated.
    pub async fn wait_async(self) -> Result<u64> {
        match self.0.await {
            Ok(r) => r.map_err(Error::Stopped),
            Err(_) => Err(Error::Stopped("integrator exited".into())),
        }
    }
}

impl Log {
    /// Opens an existing log for writing: takes the writer lock, reads the key and the committed
    /// state, rebuilds the tree's edge from the tiles and republishes the checkpoint if a crash
    /// left it behind.
    pub fn open(paths: &LogPaths, opts: Options) -> Result<Log> {
        let lock_path = paths.lock();
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io(lock_path.display(), e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(Error::Locked(paths.private.display().to_string()));
            }
            Err(fs::TryLockError::Error(e)) => return Err(Error::io(lock_path.display(), e)),
        }
        let signer = read_key(paths)?;
        let (state, size, root) = StateFile::open(&paths.state())?;
        let store = DirStore::new(&paths.public);
        let edge = Edge::load(&store, size, &root)?;
        let head = Checkpoint {
            origin: signer.name().to_string(),
            size,
            root,
            extensions: vec![],
        };
        let published = store
            .get("checkpoint")?
            .and_then(|n| Checkpoint::open(&n, &signer.verifier()).ok())
            .map(|(c, _)| c);
        if published.as_ref() != Some(&head) {
            write_durably(
                &paths.public.join("checkpoint"),
                signer.sign_note(&head.to_text())?.as_bytes(),
            )?;
        }
        let verifier = signer.verifier();
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                entries: Vec::new(),
                replies: Vec::new(),
                closed: false,
                failed: None,
            }),
            wake: Condvar::new(),
            head: Mutex::new(head),
        });
        let mut integrator = Integrator {
            paths: paths.clone(),
            state,
            store,
            edge,
            signer,
            opts,
        };
        let s2 = Arc::clone(&shared);
        let worker = std::thread::Builder::new()
            .name("tlog-integrator".into())
            .spawn(move || integrator.run(&s2))
            .map_err(|e| Error::io("integrator thread", e))?;
        Ok(Log {
            shared,
            worker: Some(worker),
            verifier,
            _lock: lock,
        })
    }

    /// The log's verifier key.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// The latest published tree head.
    pub fn head(&self) -> Checkpoint {
        self.shared.head.lock().expect("head lock").clone()
    }

    /// Queues entries; they get consecutive indexes. Entries over 65535 bytes are refused here,
    /// before anything is queued.
    pub fn submit(&self, entries: Vec<Vec<u8>>) -> Result<Pending> {
        if let Some(e) = entries.iter().find(|e| e.len() > MAX_ENTRY) {
            return Err(Error::EntryTooLarge(e.len()));
        }
        let (tx, rx) = oneshot::channel();
        let mut q = self.shared.queue.lock().expect("queue lock");
        if let Some(f) = &q.failed {
            return Err(Error::Stopped(f.clone()));
        }
        if entries.is_empty() {
            let _ = tx.send(Ok(self.head().size));
            return Ok(Pending(rx));
        }
        q.replies.push((entries.len(), tx));
        q.entries.extend(entries);
        drop(q);
        self.shared.wake.notify_one();
        Ok(Pending(rx))
    }

    /// Appends one entry and waits until it is durable and published; returns its index.
    pub fn append(&self, entry: Vec<u8>) -> Result<u64> {
        self.submit(vec![entry])?.wait()
    }

    /// Integrates what is pending and stops the integrator.
    pub fn close(mut self) -> Result<()> {
        self.stop()
    }

    fn stop(&mut self) -> Result<()> {
        self.shared.queue.lock().expect("queue lock").closed = true;
        self.shared.wake.notify_one();
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
        match &self.shared.queue.lock().expect("queue lock").failed {
            Some(f) => Err(Error::Stopped(f.clone())),
            None => Ok(()),
        }
    }
}

impl Drop for Log {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

struct Integrator {
    paths: LogPaths,
    state: StateFile,
    store: DirStore,
    edge: Edge,
    signer: Signer,
    opts: Options,
}

impl Integrator {
    fn run(&mut self, shared: &Shared) {
        loop {
            let (entries, replies) = {
                let mut q = shared.queue.lock().expect("queue lock");
                while q.entries.is_empty() && !q.closed {
                    q = shared.wake.wait(q).expect("queue lock");
                }
                if q.entries.is_empty() {
                    return;
                }
                take_batch(&mut q, self.opts.max_batch)
            };
            let first = self.edge.size();
            match self.integrate(&entries, shared) {
                Ok(()) => {
                    let mut idx = first;
                    for (n, tx) in replies {
                        let _ = tx.send(Ok(idx));
                        idx += n as u64;
                    }
                }
                Err(e) => {
                    // After a failed write the in-memory edge may be ahead of the disk: refuse
                    // everything until reopened (which recovers from the committed state).
                    let msg = e.to_string();
                    let mut q = shared.queue.lock().expect("queue lock");
                    q.failed = Some(msg.clone());
                    for (_, tx) in replies.into_iter().chain(q.replies.drain(..)) {
                        let _ = tx.send(Err(msg.clone()));
                    }
                    q.entries.clear();
                    return;
                }
            }
        }
    }

    fn integrate(&mut self, entries: &[Vec<u8>], shared: &Shared) -> Result<()> {
        let changes = self.edge.append(entries);
        for (t, data) in &changes.files {
            self.store.put(&t.to_string(), data)?;
        }
        self.store.sync()?;
        let (size, root) = (self.edge.size(), self.edge.root());
        self.state.commit(size, &root)?;
        let head = Checkpoint {
            origin: self.signer.name().to_string(),
            size,
            root,
            extensions: vec![],
        };
        let note = self.signer.sign_note(&head.to_text())?;
        // Not fsynced: after a crash, opening the log republishes it from the state.
        crate::store::write_atomic(
            &self.paths.public.join("checkpoint"),
            note.as_bytes(),
            false,
        )?;
        *shared.head.lock().expect("head lock") = head;
        for t in &changes.completed {
            self.store.remove_partials(t)?;
        }
        Ok(())
    }
}

fn take_batch(q: &mut Queue, max: usize) -> (Vec<Vec<u8>>, Vec<(usize, Reply)>) {
    if q.entries.len() <= max {
        return (
            std::mem::take(&mut q.entries),
            std::mem::take(&mut q.replies),
        );
    }
    // Whole submissions only, so that each keeps consecutive indexes.
    let mut n = 0;
    let mut k = 0;
    while k < q.replies.len() && (n == 0 || n + q.replies[k].0 <= max) {
        n += q.replies[k].0;
        k += 1;
    }
    let rest = q.entries.split_off(n);
    let entries = std::mem::replace(&mut q.entries, rest);
    let replies = q.replies.drain(..k).collect();
    (entries, replies)
}
