//! The writer, the tiles it leaves on disk, recovery, verification and tampering.

use baomi_tlog::hash::{leaf_hash, root_of_leaves};
use baomi_tlog::proof::{InMemory, consistency_proof, inclusion_proof, verify_inclusion};
use baomi_tlog::reader::TileReader;
use baomi_tlog::store::{DirStore, Source};
use baomi_tlog::tile::{Tile, TileKind, tiles_of};
use baomi_tlog::verify::{fetch_checkpoint, verify_log};
use baomi_tlog::{Checkpoint, Error, Hash, Log, LogPaths, Options, Signer, init, init_with_key};
use std::collections::BTreeSet;
use std::path::Path;

fn entry(i: u64) -> Vec<u8> {
    format!("{{\"event\":\"lookup.recorded\",\"seq\":{i}}}").into_bytes()
}

fn new_log(dir: &Path) -> (LogPaths, baomi_tlog::Verifier) {
    let paths = LogPaths::beside(dir.join("log"));
    let v = init(&paths, "audit.example.gov.tw/log").unwrap();
    (paths, v)
}

fn files_under(root: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out
}

#[test]
fn batches_of_any_size_give_the_tree_of_the_entries() {
    let dir = tempfile::tempdir().unwrap();
    let (paths, key) = new_log(dir.path());
    let log = Log::open(&paths, Options::default()).unwrap();
    let mut n = 0u64;
    let mut all = Vec::new();
    // Batch sizes chosen to cross tile boundaries at every level 1 reaches.
    for batch in [1usize, 2, 253, 1, 256, 512, 700, 3, 65_536 - 1734, 1, 300] {
        let entries: Vec<Vec<u8>> = (n..n + batch as u64).map(entry).collect();
        all.extend(entries.iter().map(|e| leaf_hash(e)));
        let first = log.submit(entries).unwrap().wait().unwrap();
        assert_eq!(first, n);
        n += batch as u64;
        let head = log.head();
        assert_eq!(head.size, n);
        assert_eq!(head.root, root_of_leaves(&all));
    }
    drop(log);
    let store = DirStore::new(&paths.public);
    // Exactly the spec's tiles for the final size are present (full tiles' partials deleted);
    // partials of the final size's edge stay.
    let want: BTreeSet<String> = tiles_of(n)
        .map(|t| t.to_string())
        .chain(["checkpoint".to_string()])
        .collect();
    let got = files_under(&paths.public);
    assert_eq!(got, want);
    let report = verify_log(&store, &key, None).unwrap();
    assert_eq!(report.entries, n);
    // Proofs computed from tiles equal those from the whole tree in memory.
    let mut r = TileReader::new(&store, n);
    for (i, size) in [
        (0u64, n),
        (n - 1, n),
        (255, 256),
        (65_535, 65_537),
        (777, 1000),
    ] {
        let from_tiles = inclusion_proof(&mut TileReader::new(&store, size), i, size)
            .unwrap()
            .unwrap();
        let mem = inclusion_proof(&mut InMemory(&all[..size as usize]), i, size)
            .unwrap()
            .unwrap();
        assert_eq!(from_tiles, mem, "inclusion {i} in {size}");
    }
    for (m, size) in [(1u64, n), (256, n), (65_536, n), (1000, 65_540), (n - 1, n)] {
        let from_tiles = consistency_proof(&mut TileReader::new(&store, size), m, size)
            .unwrap()
            .unwrap();
        let mem = consistency_proof(&mut InMemory(&all[..size as usize]), m, size)
            .unwrap()
            .unwrap();
        assert_eq!(from_tiles, mem, "consistency {m} -> {size}");
    }
    let p = inclusion_proof(&mut r, 12_345, n).unwrap().unwrap();
    verify_inclusion(
        12_345,
        n,
        &all[12_345],
        &p,
        &fetch_checkpoint(&store, &key).unwrap().root,
    )
    .unwrap();
}

#[test]
fn reopening_continues_the_same_tree() {
    let dir = tempfile::tempdir().unwrap();
    let (paths, key) = new_log(dir.path());
    let mut all = Vec::new();
    for round in 0..5u64 {
        let log = Log::open(&paths, Options::default()).unwrap();
        for i in 0..(97 * round + 13) {
            let e = entry(all.len() as u64 + i);
            all.push(leaf_hash(&e));
            log.submit(vec![e]).unwrap();
        }
        log.close().unwrap();
        let cp = fetch_checkpoint(&DirStore::new(&paths.public), &key).unwrap();
        assert_eq!(cp.size, all.len() as u64);
        assert_eq!(cp.root, root_of_leaves(&all));
    }
    verify_log(&DirStore::new(&paths.public), &key, None).unwrap();
}

#[test]
fn one_writer_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let (paths, _) = new_log(dir.path());
    let _a = Log::open(&paths, Options::default()).unwrap();
    assert!(matches!(
        Log::open(&paths, Options::default()),
        Err(Error::Locked(_))
    ));
}

#[test]
fn oversized_entries_are_refused_before_queueing() {
    let dir = tempfile::tempdir().unwrap();
    let (paths, _) = new_log(dir.path());
    let log = Log::open(&paths, Options::default()).unwrap();
    assert!(matches!(
        log.submit(vec![b"ok".to_vec(), vec![0; 70_000]]),
        Err(Error::EntryTooLarge(70_000))
    ));
    assert_eq!(log.append(vec![0; 65_535]).unwrap(), 0);
}

#[test]
fn init_refuses_an_existing_log_and_private_inside_public() {
    let dir = tempfile::tempdir().unwrap();
    let (paths, _) = new_log(dir.path());
    assert!(init(&paths, "again.example").is_err());
    let nested = LogPaths {
        public: dir.path().join("pub"),
        private: dir.path().join("pub/secret"),
    };
    assert!(init(&nested, "x.example").is_err());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let m = std::fs::metadata(paths.private.join("key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(m & 0o777, 0o600);
        let d = std::fs::metadata(&paths.private)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(d & 0o777, 0o700);
    }
}

#[test]
fn concurrent_writers_each_get_their_own_index() {
    let dir = tempfile::tempdir().unwrap();
    let (paths, key) = new_log(dir.path());
    let log = Log::open(&paths, Options::default()).unwrap();
    let indexes = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for t in 0..16u64 {
            let log = &log;
            let indexes = &indexes;
            s.spawn(move || {
                for i in 0..50 {
                    let e = format!("writer {t} entry {i}").into_bytes();
                    let idx = log.append(e.clone()).unwrap();
                    indexes.lock().unwrap().push((idx, e));
                }
            });
        }
    });
    log.close().unwrap();
    let mut got = indexes.into_inner().unwrap();
    got.sort();
    assert_eq!(got.len(), 800);
    let store = DirStore::new(&paths.public);
    verify_log(&store, &key, None).unwrap();
    for (k, (idx, e)) in got.iter().enumerate() {
        assert_eq!(*idx, k as u64);
        let b = baomi_tlog::reader::read_bundle(&store, idx / 256, 800).unwrap();
        assert_eq!(&b[(idx % 256) as usize], e);
    }
}

/// Builds a log of `n` entries and returns (paths, key, first checkpoint note at `mid`).
fn log_with(dir: &Path, n: u64) -> (LogPaths, baomi_tlog::Verifier) {
    let (paths, key) = new_log(dir);
    let log = Log::open(&paths, Options::default()).unwrap();
    log.submit((0..n).map(entry).collect())
        .unwrap()
        .wait()
        .unwrap();
    log.close().unwrap();
    (paths, key)
}

fn flip(p: &Path, at: usize) {
    let mut b = std::fs::read(p).unwrap();
    let i = at.min(b.len() - 1);
    b[i] ^= 0x01;
    std::fs::write(p, b).unwrap();
}

#[test]
fn tampering_with_an_entry_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (paths, key) = log_with(dir.path(), 1000);
    flip(&paths.public.join("tile/entries/001"), 100);
    let e = verify_log(&DirStore::new(&paths.public), &key, None).unwrap_err();
    assert!(e.to_string().contains("tile/0/001"), "{e}");
}

#[test]
fn tampering_with_a_tile_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (paths, key) = log_with(dir.path(), 70_000);
    for (tile, needle) in [
        ("tile/1/000", "tile/1/000"),
        ("tile/0/272", "tile/0/272"),
        ("tile/2/000.p/1", "tile/2/000.p/1"),
    ] {
        let p = paths.public.join(tile);
        let orig = std::fs::read(&p).unwrap();
        flip(&p, 40);
        let e = verify_log(&DirStore::new(&paths.public), &key, None).unwrap_err();
        assert!(e.to_string().contains(needle), "{tile}: {e}");
        std::fs::write(&p, orig).unwrap();
    }
    verify_log(&DirStore::new(&paths.public), &key, None).unwrap();
}

#[test]
fn dropping_the_last_entries_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (paths, key) = log_with(dir.path(), 1000);
    // Truncate the partial bundle by one entry, and separately remove it.
    let p = paths.public.join("tile/entries/003.p/232");
    let orig = std::fs::read(&p).unwrap();
    let entries = baomi_tlog::bundle::decode(&orig).unwrap();
    std::fs::write(&p, baomi_tlog::bundle::encode(&entries[..231])).unwrap();
    let e = verify_log(&DirStore::new(&paths.public), &key, None).unwrap_err();
    assert!(e.to_string().contains("231 entries, expected 232"), "{e}");
    std::fs::remove_file(&p).unwrap();
    let e = verify_log(&DirStore::new(&paths.public), &key, None).unwrap_err();
    assert!(matches!(e, Error::Missing(_)), "{e}");
}

#[test]
fn an_unsigned_or_foreign_checkpoint_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (paths, key) = log_with(dir.path(), 10);
    let cp_path = paths.public.join("checkpoint");
    let note = std::fs::read_to_string(&cp_path).unwrap();
    // Claim a smaller tree under the same signature.
    std::fs::write(&cp_path, note.replacen("\n10\n", "\n9\n", 1)).unwrap();
    assert!(verify_log(&DirStore::new(&paths.public), &key, None).is_err());
    // A checkpoint signed by another key with the same name.
    let other = Signer::generate("audit.example.gov.tw/log", 1).unwrap();
    let cp = Checkpoint::parse(&note[..note.find("\n\n").unwrap() + 1]).unwrap();
    std::fs::write(&cp_path, other.sign_note(&cp.to_text()).unwrap()).unwrap();
    assert!(verify_log(&DirStore::new(&paths.public), &key, None).is_err());
}

#[test]
fn rewritten_history_under_the_real_key_fails_against_a_trusted_checkpoint() {
    // The insider case: whoever holds the signing key rebuilds the log with one entry changed.
    let dir = tempfile::tempdir().unwrap();
    let (paths, key) = log_with(dir.path(), 600);
    let store = DirStore::new(&paths.public);
    let trusted = fetch_checkpoint(&store, &key).unwrap();
    let skey = std::fs::read_to_string(paths.private.join("key")).unwrap();
    std::fs::remove_dir_all(&paths.public).unwrap();
    std::fs::remove_dir_all(&paths.private).unwrap();
    init_with_key(&paths, Signer::from_skey(skey.trim()).unwrap()).unwrap();
    let log = Log::open(&paths, Options::default()).unwrap();
    let mut forged: Vec<Vec<u8>> = (0..700).map(entry).collect();
    forged[42] = b"{\"event\":\"nothing to see\"}".to_vec();
    log.submit(forged).unwrap().wait().unwrap();
    log.close().unwrap();
    // The forged log is internally valid...
    verify_log(&store, &key, None).unwrap();
    // ...but not an extension of what was seen before.
    let e = verify_log(&store, &key, Some(&trusted)).unwrap_err();
    assert!(e.to_string().contains("does not match"), "{e}");
}

#[test]
fn partial_tile_fallback_to_full_tile() {
    // Clients may be asked for a partial tile the log already replaced by the full one.
    let dir = tempfile::tempdir().unwrap();
    let (paths, _) = log_with(dir.path(), 300);
    let store = DirStore::new(&paths.public);
    let t = Tile {
        kind: TileKind::Hash(0),
        index: 0,
        width: 10,
    };
    assert!(store.get(&t.to_string()).unwrap().is_none());
    let old = baomi_tlog::reader::read_tile(&store, &t).unwrap();
    assert_eq!(old.len(), 10 * Hash::LEN);
    let mut r = TileReader::new(&store, 10);
    let root = baomi_tlog::proof::tree_root(&mut r, 10).unwrap();
    let leaves: Vec<Hash> = (0..10).map(|i| leaf_hash(&entry(i))).collect();
    assert_eq!(root, root_of_leaves(&leaves));
}
