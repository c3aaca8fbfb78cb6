//! Engine-only throughput on files already in memory, for profiling the detectors without the
//! CLI around them: `cargo run --release -p baomi-inspect --example throughput -- FILE...`.

use baomi_inspect::Scanner;
use baomi_inspect::mask::{MaskProfile, mask_value};
use std::time::Instant;

fn main() {
    let mut text = String::new();
    for p in std::env::args().skip(1) {
        text.push_str(&std::fs::read_to_string(&p).expect("UTF-8 file"));
    }
    let mut opts = baomi_inspect::ScanOptions::default();
    if let Ok(k) = std::env::var("KINDS") {
        opts.kinds = k
            .split(',')
            .filter_map(baomi_inspect::Kind::from_name)
            .collect();
    }
    let scanner = Scanner::with(&Default::default(), &opts);
    let chunks: Vec<&str> = {
        let mut v = vec![];
        let mut rest = text.as_str();
        while !rest.is_empty() {
            let cut = rest.floor_char_boundary((4 << 20).min(rest.len()));
            let cut = if cut == 0 { rest.len() } else { cut };
            v.push(&rest[..cut]);
            rest = &rest[cut..];
        }
        v
    };
    let mut out = vec![];
    let mut best = f64::MAX;
    let mut found = 0;
    let rounds: usize = std::env::var("ONCE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    for _ in 0..rounds.max(1) {
        let t = Instant::now();
        found = 0;
        for c in &chunks {
            scanner.scan_into(c, &mut out);
            found += out.len();
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    let mb = text.len() as f64 / 1e6;
    println!(
        "scan: {mb:.0} MB, {found} findings, {:.0} MB/s (best of 3)",
        mb / best
    );
    if rounds < 3 {
        return;
    }
    let profile = MaskProfile::default();
    let t = Instant::now();
    let mut masked = 0;
    for c in &chunks {
        scanner.scan_into(c, &mut out);
        for f in &out {
            masked += mask_value(f.kind, &c[f.start..f.end], &profile).len();
        }
    }
    let with_mask = t.elapsed().as_secs_f64();
    println!(
        "scan + mask: {:.0} MB/s ({masked} bytes masked)",
        mb / with_mask
    );
    // Masking alone, per kind.
    let mut per: std::collections::BTreeMap<&str, (usize, f64)> = Default::default();
    for c in &chunks {
        scanner.scan_into(c, &mut out);
        for f in &out {
            let t = Instant::now();
            let m = mask_value(f.kind, &c[f.start..f.end], &profile);
            let e = per.entry(f.kind.name()).or_default();
            e.0 += 1;
            e.1 += t.elapsed().as_secs_f64();
            std::hint::black_box(m);
        }
    }
    for (k, (n, secs)) in per {
        println!(
            "mask {k}: {n} values, {:.0} ns each, {:.1} ms in all",
            secs * 1e9 / n as f64,
            secs * 1e3
        );
    }
}
