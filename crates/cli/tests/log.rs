//! `baomi log` end to end with the real binary: the commands, an independent checker written in
//! Python from the specs, a log served over HTTP, a witness facing rollback and fork, and a
//! harness that kills the writer with SIGKILL at random points.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn baomi(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baomi"))
        .args(args)
        .output()
        .expect("run baomi")
}

fn ok(args: &[&str]) -> String {
    let out = baomi(args);
    assert!(
        out.status.success(),
        "baomi {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn append(dir: &Path, input: &[u8]) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_baomi"))
        .args(["log", "append"])
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn new_log(dir: &Path) -> (PathBuf, PathBuf) {
    let log = dir.join("log");
    let vkey = ok(&["log", "init", s(&log), "--origin", "agency.gov.tw/baomi"]);
    let vkey_file = dir.join("log.vkey");
    std::fs::write(&vkey_file, vkey).unwrap();
    (log, vkey_file)
}

fn python() -> Command {
    let mut c = Command::new("python3");
    c.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/independent/tlog_check.py"));
    c
}

fn python_ok(c: &mut Command) -> String {
    let out = c.output().expect(
        "python3 with the `cryptography` package is needed for the independent checker (.ci/run installs it)",
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "independent checker: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[test]
fn commands_agree_with_an_independent_checker() {
    let dir = tempfile::tempdir().unwrap();
    let (log, vkey) = new_log(dir.path());
    assert_eq!(
        ok(&["log", "vkey", s(&log)]),
        std::fs::read_to_string(&vkey).unwrap()
    );
    // The private part is apart from what gets published.
    assert!(dir.path().join("log.private/key").exists());
    assert!(!log.join("key").exists());

    let lines: String = (0..70_000).map(|i| format!("{{\"seq\":{i}}}\n")).collect();
    let acks = append(&log, lines.as_bytes());
    assert_eq!(acks.lines().count(), 70_000);
    assert_eq!(acks.lines().last(), Some("69999"));
    // Raw mode: length-prefixed binary entries, newlines and NULs included.
    let mut raw = Vec::new();
    for e in [&b"a\nb"[..], b"\0\0", b""] {
        raw.extend_from_slice(&(e.len() as u16).to_be_bytes());
        raw.extend_from_slice(e);
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_baomi"))
        .args(["log", "append", "--raw", s(&log)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&raw).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "70000\n70001\n70002\n"
    );

    let v = ok(&["log", "verify", s(&log), "--vkey", s(&vkey)]);
    assert!(
        v.starts_with("ok: agency.gov.tw/baomi has 70003 entries"),
        "{v}"
    );
    python_ok(python().args(["log", s(&log), s(&vkey)]));

    let proof = ok(&[
        "log",
        "prove",
        s(&log),
        "--vkey",
        s(&vkey),
        "--index",
        "65538",
    ]);
    assert!(proof.starts_with("c2sp.org/tlog-proof@v1\nindex 65538\n"));
    let pf = dir.path().join("p.tlog-proof");
    std::fs::write(&pf, &proof).unwrap();
    let ef = dir.path().join("entry");
    std::fs::write(&ef, "{\"seq\":65538}").unwrap();
    python_ok(python().args(["proof", s(&pf), s(&ef), s(&vkey)]));
    // The checker is not a rubber stamp: another entry fails.
    std::fs::write(&ef, "{\"seq\":65539}").unwrap();
    assert!(
        !python()
            .args(["proof", s(&pf), s(&ef), s(&vkey)])
            .status()
            .unwrap()
            .success()
    );

    let wdir = dir.path().join("witness");
    let wkey = ok(&[
        "log",
        "witness",
        "init",
        s(&wdir),
        "--name",
        "integrity.gov.tw/w1",
    ]);
    let wkey_file = dir.path().join("w.vkey");
    std::fs::write(&wkey_file, &wkey).unwrap();
    ok(&[
        "log",
        "witness",
        "run",
        s(&wdir),
        "--log",
        s(&log),
        "--vkey",
        s(&vkey),
        "--once",
    ]);
    let cosigned = std::fs::read_dir(wdir.join("cosigned"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    python_ok(python().args(["cosigned", s(&cosigned), s(&vkey), s(&wkey_file)]));
    let v = ok(&[
        "log",
        "verify",
        s(&log),
        "--vkey",
        s(&vkey),
        "--cosigned",
        s(&cosigned),
        "--witness",
        s(&wkey_file),
    ]);
    assert!(v.contains("cosigned by integrity.gov.tw/w1"), "{v}");

    // Tampering after the fact is caught by both checkers.
    let t = log.join("tile/entries/017");
    let mut b = std::fs::read(&t).unwrap();
    b[10] ^= 1;
    std::fs::write(&t, b).unwrap();
    let out = baomi(&["log", "verify", s(&log), "--vkey", s(&vkey)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tile/0/017"));
    assert!(
        !python()
            .args(["log", s(&log), s(&vkey)])
            .status()
            .unwrap()
            .success()
    );
}

#[test]
fn witness_refuses_rollback_and_fork() {
    let dir = tempfile::tempdir().unwrap();
    let (log, vkey) = new_log(dir.path());
    let wdir = dir.path().join("w");
    ok(&[
        "log",
        "witness",
        "init",
        s(&wdir),
        "--name",
        "integrity.gov.tw/w1",
    ]);
    let witness = |log: &Path| {
        baomi(&[
            "log",
            "witness",
            "run",
            s(&wdir),
            "--log",
            s(log),
            "--vkey",
            s(&vkey),
            "--once",
        ])
    };
    append(&log, b"one\ntwo\nthree\n");
    let old = dir.path().join("old-copy");
    copy_dir(&log, &old);
    append(&log, b"four\n");
    assert!(witness(&log).status.success());

    // Rollback: an older copy of the log is served.
    let out = witness(&old);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ROLLBACK") && err.contains("from 4 to 3"),
        "{err}"
    );

    // Fork: whoever holds the key rebuilds the log with history changed.
    let forged = dir.path().join("forged");
    let skey = std::fs::read_to_string(dir.path().join("log.private/key")).unwrap();
    baomi_tlog::init_with_key(
        &baomi_tlog::LogPaths::beside(&forged),
        baomi_tlog::Signer::from_skey(skey.trim()).unwrap(),
    )
    .unwrap();
    append(&forged, b"one\nTWO\nthree\nfour\nfive\n");
    ok(&["log", "verify", s(&forged), "--vkey", s(&vkey)]);
    let out = witness(&forged);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("FORK"), "{err}");
    // Same size, other root.
    let forged2 = dir.path().join("forged2");
    baomi_tlog::init_with_key(
        &baomi_tlog::LogPaths::beside(&forged2),
        baomi_tlog::Signer::from_skey(skey.trim()).unwrap(),
    )
    .unwrap();
    append(&forged2, b"one\ntwo\nthree\nFOUR\n");
    let out = witness(&forged2);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("same size, different root"));
    // Evidence kept; the witness's view did not move: the genuine log is still fine.
    assert_eq!(std::fs::read_dir(wdir.join("evidence")).unwrap().count(), 3);
    assert!(witness(&log).status.success());
    // And verify --trusted catches the fork too.
    let trusted = dir.path().join("trusted");
    std::fs::copy(log.join("checkpoint"), &trusted).unwrap();
    let out = baomi(&[
        "log",
        "verify",
        s(&forged),
        "--vkey",
        s(&vkey),
        "--trusted",
        s(&trusted),
    ]);
    assert_eq!(out.status.code(), Some(2));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// A static file server (Python's), as a log published by copying its folder would be served.
struct StaticServer(std::process::Child, u16);

impl StaticServer {
    fn start(dir: &Path) -> StaticServer {
        for attempt in 0..20u16 {
            let port = 20_000 + (std::process::id() as u16 % 20_000) + attempt * 7;
            let mut child = Command::new("python3")
                .args([
                    "-m",
                    "http.server",
                    "--bind",
                    "127.0.0.1",
                    &port.to_string(),
                ])
                .current_dir(dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("python3 for the static server");
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return StaticServer(child, port);
                }
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("could not start a static server");
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_log_published_as_static_files_is_verified_and_witnessed_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let (log, vkey) = new_log(dir.path());
    let lines: String = (0..1000).map(|i| format!("event {i}\n")).collect();
    append(&log, lines.as_bytes());
    let server = StaticServer::start(&log);
    let url = format!("http://127.0.0.1:{}", server.1);
    let v = ok(&["log", "verify", &url, "--vkey", s(&vkey)]);
    assert!(v.contains("1000 entries"), "{v}");
    let p = ok(&["log", "prove", &url, "--vkey", s(&vkey), "--index", "999"]);
    assert!(p.contains("index 999"));
    let wdir = dir.path().join("w");
    ok(&[
        "log",
        "witness",
        "init",
        s(&wdir),
        "--name",
        "integrity.gov.tw/w1",
    ]);
    ok(&[
        "log",
        "witness",
        "run",
        s(&wdir),
        "--log",
        &url,
        "--vkey",
        s(&vkey),
        "--once",
    ]);
    append(&log, b"one more\n");
    let out = ok(&[
        "log",
        "witness",
        "run",
        s(&wdir),
        "--log",
        &url,
        "--vkey",
        s(&vkey),
        "--once",
    ]);
    assert!(out.contains("at 1001 entries (was 1000)"), "{out}");
}

fn committed_size(log: &Path) -> u64 {
    let out = ok(&["log", "status", s(log)]);
    let line = out.lines().find(|l| l.starts_with("committed:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Kills `baomi log append` with SIGKILL at random moments while it integrates a stream of
/// entries, many times; after each kill the log must verify, the witness must accept it, and
/// every entry that was acknowledged must be in it at its index.
#[test]
fn kill_9_at_random_points_loses_no_acknowledged_entry() {
    let rounds: u64 = std::env::var("BAOMI_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let mut seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("crash harness seed {seed}");
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let dir = tempfile::tempdir().unwrap();
    let (log, vkey) = new_log(dir.path());
    let wdir = dir.path().join("w");
    ok(&[
        "log",
        "witness",
        "init",
        s(&wdir),
        "--name",
        "integrity.gov.tw/w1",
    ]);
    let mut acked: Vec<(u64, String)> = Vec::new();
    let mut killed_mid_stream = 0;
    let mut checkpoints = Vec::new();
    for round in 0..rounds {
        let start = committed_size(&log);
        let mut child = Command::new(env!("CARGO_BIN_EXE_baomi"))
            .args(["log", "append", s(&log)])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let feeder = std::thread::spawn(move || {
            let mut w = std::io::BufWriter::new(&mut stdin);
            for i in 0..200_000u64 {
                if writeln!(w, "round {round} line {i}").is_err() {
                    return false;
                }
                if i % 50 == 0 && w.flush().is_err() {
                    return false;
                }
            }
            true
        });
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .map(|l| l.parse::<u64>().unwrap())
                .collect::<Vec<u64>>()
        });
        std::thread::sleep(Duration::from_millis(5 + rnd() % 150));
        child.kill().unwrap();
        child.wait().unwrap();
        let finished = feeder.join().unwrap();
        if !finished {
            killed_mid_stream += 1;
        }
        let got = reader.join().unwrap();
        for (k, idx) in got.iter().enumerate() {
            assert_eq!(*idx, start + k as u64, "acknowledgements are in order");
            acked.push((*idx, format!("round {round} line {k}")));
        }
        // Committed state covers every acknowledgement.
        assert!(committed_size(&log) >= start + got.len() as u64);
        // The log verifies as it was left (the checkpoint may lag the state; never the reverse).
        ok(&["log", "verify", s(&log), "--vkey", s(&vkey)]);
        let w = baomi(&[
            "log",
            "witness",
            "run",
            s(&wdir),
            "--log",
            s(&log),
            "--vkey",
            s(&vkey),
            "--once",
        ]);
        assert!(
            w.status.success(),
            "round {round}: {}",
            String::from_utf8_lossy(&w.stderr)
        );
        let cp = dir.path().join(format!("cp-{round}"));
        std::fs::copy(log.join("checkpoint"), &cp).unwrap();
        checkpoints.push(cp);
    }
    // Recovery by a fresh writer, then every acknowledged entry is where it was promised.
    append(&log, b"");
    ok(&["log", "verify", s(&log), "--vkey", s(&vkey)]);
    let size = committed_size(&log);
    let store = baomi_tlog::store::DirStore::new(&log);
    let mut bundle_cache: (u64, Vec<Vec<u8>>) = (u64::MAX, Vec::new());
    for (idx, want) in &acked {
        if bundle_cache.0 != idx / 256 {
            bundle_cache = (
                idx / 256,
                baomi_tlog::reader::read_bundle(&store, idx / 256, size).unwrap(),
            );
        }
        assert_eq!(
            &bundle_cache.1[(idx % 256) as usize],
            want.as_bytes(),
            "entry {idx}"
        );
    }
    // Every checkpoint seen along the way is a prefix of the final log.
    for cp in &checkpoints {
        ok(&[
            "log",
            "verify",
            s(&log),
            "--vkey",
            s(&vkey),
            "--trusted",
            s(cp),
        ]);
    }
    eprintln!(
        "{rounds} kills, {killed_mid_stream} mid-stream, {} acknowledged entries, final size {size}",
        acked.len()
    );
    assert!(
        !acked.is_empty() && killed_mid_stream > 0,
        "the harness must kill real work"
    );
}

#[test]
fn bad_input_is_refused_clearly_and_complete_entries_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (log, vkey) = new_log(dir.path());
    // A raw stream cut in the middle of its second entry: the first is kept, the error is named.
    let mut raw = vec![0, 3, b'o', b'n', b'e', 0, 9, b'x'];
    let mut child = Command::new(env!("CARGO_BIN_EXE_baomi"))
        .args(["log", "append", "--raw", s(&log)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&raw).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "0\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("entry cut short"));
    // Lines over the bundle limit are refused before anything is queued.
    raw = vec![b'a'; 70_000];
    raw.push(b'\n');
    let mut child = Command::new(env!("CARGO_BIN_EXE_baomi"))
        .args(["log", "append", s(&log)])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&raw).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("65535-byte limit"));
    // A mangled verifier key, and a directory that is not a log.
    let out = baomi(&[
        "log",
        "verify",
        s(&log),
        "--vkey",
        "agency.gov.tw/baomi+00000000+AAAA",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a verifier key"));
    let out = baomi(&["log", "verify", s(dir.path()), "--vkey", s(&vkey)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("checkpoint: missing"));
    ok(&["log", "verify", s(&log), "--vkey", s(&vkey)]);
}
