//! Log benchmark: prints tables, not a pass/fail.
//!
//! 1. Durable appends per second with many concurrent writers, and each append's time to
//!    integrate (submit -> durable, checkpoint published -> answered): p50 / p99 / max.
//! 2. How it scales from 100k to 10M entries: bulk build time, inclusion proofs computed from
//!    the tiles on disk (a fresh reader per proof, as a server answering a cold request), and
//!    `verify` of the whole log.
//!
//! `cargo bench -p baomi-tlog --bench tlog` (BENCH_SIZES=100000,1000000 to shorten;
//! BENCH_DIR=/path for the scratch logs, default a temporary folder).

use baomi_tlog::proof::{inclusion_proof, verify_inclusion};
use baomi_tlog::reader::TileReader;
use baomi_tlog::store::DirStore;
use baomi_tlog::verify::verify_log;
use baomi_tlog::{Log, LogPaths, Options, init};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

fn event(i: u64) -> Vec<u8> {
    // A typical audit event: canonical JSON with hashes, never content.
    format!(
        "{{\"v\":1,\"seq\":{i},\"at\":\"2026-11-27T09:{:02}:{:02}.{:03}+08:00\",\"actor\":\"u{:05}\",\"action\":\"message.sent\",\"decision\":\"allow\",\"conversation\":\"c{:06}\",\"content_sha256\":\"{:064x}\"}}",
        (i / 60) % 60,
        i % 60,
        i % 1000,
        i % 4000,
        i % 100_000,
        u128::from(i).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c834)
    )
    .into_bytes()
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

fn throughput(scratch: &Path, writers: usize, per_writer: usize) {
    let dir = scratch.join(format!("tp-{writers}"));
    let paths = LogPaths::beside(&dir);
    init(&paths, "bench.example/log").unwrap();
    let log = Log::open(&paths, Options::default()).unwrap();
    let lat = Mutex::new(Vec::with_capacity(writers * per_writer));
    let t = Instant::now();
    std::thread::scope(|s| {
        for w in 0..writers {
            let (log, lat) = (&log, &lat);
            s.spawn(move || {
                let mut mine = Vec::with_capacity(per_writer);
                for i in 0..per_writer {
                    let e = event((w * per_writer + i) as u64);
                    let t0 = Instant::now();
                    log.append(e).unwrap();
                    mine.push(t0.elapsed());
                }
                lat.lock().unwrap().extend(mine);
            });
        }
    });
    let el = t.elapsed();
    let head = log.head();
    log.close().unwrap();
    let mut lat = lat.into_inner().unwrap();
    let n = lat.len();
    println!(
        "| {writers:>7} | {n:>9} | {:>10.0} | {:>8} | {:>8} | {:>8} |",
        n as f64 / el.as_secs_f64(),
        ms(pct(&mut lat, 0.5)),
        ms(pct(&mut lat, 0.99)),
        ms(*lat.last().unwrap()),
    );
    assert_eq!(head.size as usize, n);
    std::fs::remove_dir_all(&dir).ok();
    std::fs::remove_dir_all(&paths.private).ok();
}

/// The server's case: appends from async tasks (one per request) on a 2-thread runtime.
fn throughput_async(scratch: &Path, tasks: usize, per_task: usize) {
    let dir = scratch.join(format!("tpa-{tasks}"));
    let paths = LogPaths::beside(&dir);
    init(&paths, "bench.example/log").unwrap();
    let log = std::sync::Arc::new(Log::open(&paths, Options::default()).unwrap());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let t = Instant::now();
    let mut lat: Vec<Duration> = rt.block_on(async {
        let handles: Vec<_> = (0..tasks)
            .map(|w| {
                let log = log.clone();
                tokio::spawn(async move {
                    let mut mine = Vec::with_capacity(per_task);
                    for i in 0..per_task {
                        let e = event((w * per_task + i) as u64);
                        let t0 = Instant::now();
                        log.submit(vec![e]).unwrap().wait_async().await.unwrap();
                        mine.push(t0.elapsed());
                    }
                    mine
                })
            })
            .collect();
        let mut all = Vec::new();
        for h in handles {
            all.extend(h.await.unwrap());
        }
        all
    });
    let el = t.elapsed();
    let n = lat.len();
    println!(
        "| {tasks:>7} | {n:>9} | {:>10.0} | {:>8} | {:>8} | {:>8} |",
        n as f64 / el.as_secs_f64(),
        ms(pct(&mut lat, 0.5)),
        ms(pct(&mut lat, 0.99)),
        ms(*lat.last().unwrap()),
    );
    drop(rt);
    drop(log);
    std::fs::remove_dir_all(&dir).ok();
    std::fs::remove_dir_all(&paths.private).ok();
}

fn scaling(scratch: &Path, size: u64) {
    let dir = scratch.join(format!("scale-{size}"));
    let paths = LogPaths::beside(&dir);
    let key = init(&paths, "bench.example/log").unwrap();
    let log = Log::open(&paths, Options::default()).unwrap();
    let t = Instant::now();
    let chunk = 65_536u64;
    let mut pending = Vec::new();
    let mut i = 0;
    while i < size {
        let n = chunk.min(size - i);
        pending.push(log.submit((i..i + n).map(event).collect()).unwrap());
        i += n;
        // Keep a few batches in flight so hashing and writing overlap with generation.
        if pending.len() > 4 {
            pending.remove(0).wait().unwrap();
        }
    }
    for p in pending {
        p.wait().unwrap();
    }
    let build = t.elapsed();
    let head = log.head();
    log.close().unwrap();

    let store = DirStore::new(&dir);
    let mut proof_times = Vec::new();
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..1000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let idx = x % size;
        let t0 = Instant::now();
        let mut r = TileReader::new(&store, size);
        let p = inclusion_proof(&mut r, idx, size).unwrap().unwrap();
        proof_times.push(t0.elapsed());
        verify_inclusion(
            idx,
            size,
            &baomi_tlog::hash::leaf_hash(&event(idx)),
            &p,
            &head.root,
        )
        .unwrap();
    }
    let t = Instant::now();
    let report = verify_log(&store, &key, None).unwrap();
    let verify = t.elapsed();
    assert_eq!(report.entries, size);
    let bytes = dir_size(&dir);
    println!(
        "| {size:>10} | {:>8.1} | {:>9.0} | {:>8} | {:>8} | {:>8.2} | {:>8.0} |",
        build.as_secs_f64(),
        size as f64 / build.as_secs_f64(),
        format!("{:.3}", pct(&mut proof_times, 0.5).as_secs_f64() * 1e3),
        format!("{:.3}", pct(&mut proof_times, 0.99).as_secs_f64() * 1e3),
        verify.as_secs_f64(),
        bytes as f64 / 1e6,
    );
    std::fs::remove_dir_all(&dir).ok();
    std::fs::remove_dir_all(&paths.private).ok();
}

fn dir_size(p: &Path) -> u64 {
    let mut n = 0;
    for e in std::fs::read_dir(p).unwrap() {
        let e = e.unwrap();
        let m = e.metadata().unwrap();
        n += if m.is_dir() {
            dir_size(&e.path())
        } else {
            m.len()
        };
    }
    n
}

fn main() {
    let tmp;
    let scratch = match std::env::var("BENCH_DIR") {
        Ok(d) => std::path::PathBuf::from(d),
        Err(_) => {
            tmp = tempfile::tempdir().unwrap();
            tmp.path().to_path_buf()
        }
    };
    std::fs::create_dir_all(&scratch).unwrap();
    println!(
        "baomi-tlog benchmark ({} cores)\n",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "Durable appends with concurrent writers (each append waits for fsync + signed checkpoint)\n"
    );
    println!("| writers | appends   | appends/s  | p50 ms   | p99 ms   | max ms   |");
    println!("|--------:|----------:|-----------:|---------:|---------:|---------:|");
    for (w, per) in [
        (1usize, 300usize),
        (16, 300),
        (256, 200),
        (1024, 100),
        (4096, 40),
    ] {
        throughput(&scratch, w, per);
    }
    println!("\nThe same from async tasks on a 2-thread tokio runtime (as the server appends)\n");
    println!("| tasks   | appends   | appends/s  | p50 ms   | p99 ms   | max ms   |");
    println!("|--------:|----------:|-----------:|---------:|---------:|---------:|");
    for (w, per) in [
        (1usize, 300usize),
        (256, 400),
        (1024, 200),
        (4096, 100),
        (16384, 25),
    ] {
        throughput_async(&scratch, w, per);
    }
    let sizes: Vec<u64> = std::env::var("BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').map(|x| x.trim().parse().unwrap()).collect())
        .unwrap_or_else(|| vec![100_000, 1_000_000, 10_000_000]);
    println!(
        "\nScaling (bulk build in 65,536-entry batches; proofs: 1000 random leaves, fresh tile reader each)\n"
    );
    println!(
        "| entries    | build s  | entries/s | proof p50 ms | proof p99 ms | verify s | disk MB  |"
    );
    println!("|-----------:|---------:|----------:|---------:|---------:|---------:|---------:|");
    for s in sizes {
        scaling(&scratch, s);
    }
}
