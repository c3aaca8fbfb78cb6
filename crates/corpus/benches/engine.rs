//! Engine benchmark (not run in CI): single-core throughput of `Scanner::scan` on generated text,
//! and the latency distribution of inspecting one 4 KiB chat message.
//!
//! `cargo bench -p baomi-corpus --bench engine`

use baomi_corpus::{DICTIONARY, generate, prose};
use baomi_inspect::{Dictionary, ScanOptions, Scanner};
use std::hint::black_box;
use std::time::Instant;

fn throughput(name: &str, scanner: &Scanner, text: &str) {
    // Warm up, then take the median of 7 runs.
    let mut runs = vec![];
    let mut n = 0;
    for _ in 0..8 {
        let t = Instant::now();
        n = black_box(scanner.scan(black_box(text))).len();
        runs.push(t.elapsed().as_secs_f64());
    }
    runs.remove(0);
    runs.sort_by(f64::total_cmp);
    let med = runs[runs.len() / 2];
    println!(
        "| {name} | {:.1} | {n} | {:.0} |",
        text.len() as f64 / 1e6,
        text.len() as f64 / med / 1e6
    );
}

fn main() {
    if let Ok(only) = std::env::var("BENCH_ONLY_NAMES") {
        let sparse = if only.starts_with("dense") {
            generate(1, 40_000)
                .iter()
                .map(|d| d.text.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            prose::corpus(2, 64 << 20)
        };
        let s = Scanner::with(
            &Dictionary::default(),
            &ScanOptions {
                kinds: if only == "all" || only == "denseall" {
                    baomi_inspect::Kind::ALL.to_vec()
                } else if only == "digits" || only == "dense" {
                    vec![
                        baomi_inspect::Kind::Phone,
                        baomi_inspect::Kind::TwNationalId,
                    ]
                } else {
                    vec![baomi_inspect::Kind::PersonName]
                },
                min_confidence: 0.0,
            },
        );
        for _ in 0..5 {
            black_box(s.scan(&sparse));
        }
        return;
    }
    let scanner = Scanner::with(
        &Dictionary::parse(DICTIONARY).unwrap(),
        &ScanOptions::default(),
    );
    let dense: String = generate(1, 40_000)
        .iter()
        .map(|d| d.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let sparse = prose::corpus(2, 64 << 20);
    println!("| text | MB | findings | MB/s (1 core, median of 7) |");
    println!("|---|---:|---:|---:|");
    throughput("official prose, sparse personal data", &scanner, &sparse);
    throughput("dense forms (every line planted)", &scanner, &dense);
    use baomi_inspect::Kind;
    let groups: [(&str, &[Kind]); 4] = [
        ("prose: digit-anchored kinds only", &Kind::DIGIT_ANCHORED),
        ("prose: address only", &[Kind::Address]),
        ("prose: names only", &[Kind::PersonName]),
        ("prose: classification only", &[Kind::Classification]),
    ];
    for (name, kinds) in [
        ("dense: national id only", &[Kind::TwNationalId][..]),
        ("dense: phone only", &[Kind::Phone][..]),
        ("dense: email only", &[Kind::Email][..]),
        ("dense: card only", &[Kind::PaymentCard][..]),
        ("dense: business id only", &[Kind::TwBusinessId][..]),
        ("dense: plate only", &[Kind::LicensePlate][..]),
        ("dense: address only", &[Kind::Address][..]),
        ("dense: names only", &[Kind::PersonName][..]),
        ("dense: classification only", &[Kind::Classification][..]),
    ] {
        let s = Scanner::with(
            &Dictionary::default(),
            &ScanOptions {
                kinds: kinds.to_vec(),
                min_confidence: 0.0,
            },
        );
        throughput(name, &s, &dense);
    }
    for (name, kinds) in groups {
        let s = Scanner::with(
            &Dictionary::default(),
            &ScanOptions {
                kinds: kinds.to_vec(),
                min_confidence: 0.0,
            },
        );
        throughput(name, &s, &sparse);
    }

    // 4 KiB chat messages cut from the prose corpus at char boundaries.
    let mut msgs = vec![];
    let mut at = 0;
    while msgs.len() < 2000 {
        let end = sparse.floor_char_boundary(at + 4096);
        msgs.push(&sparse[at..end]);
        at = end;
    }
    let mut lat = Vec::with_capacity(200_000);
    let mut out = Vec::new();
    for round in 0..100 {
        for m in &msgs {
            let t = Instant::now();
            scanner.scan_into(black_box(m), &mut out);
            let dt = t.elapsed();
            if round > 0 {
                lat.push(dt.as_nanos() as u64);
            }
        }
    }
    lat.sort_unstable();
    let q = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)] as f64 / 1000.0;
    println!();
    println!("| 4 KiB message | p50 µs | p99 µs | p99.9 µs | max µs | target p99 |");
    println!("|---|---:|---:|---:|---:|---:|");
    println!(
        "| scan_into | {:.1} | {:.1} | {:.1} | {:.1} | 50 |",
        q(0.5),
        q(0.99),
        q(0.999),
        q(1.0)
    );
}
