//! Criterion: inspecting one 4 KiB chat message (the messenger's gate), for the statistics
//! criterion keeps between runs. The p99 over 200,000 messages is in the `engine` bench.
//!
//! `cargo bench -p baomi-corpus --bench message`

use baomi_corpus::{DICTIONARY, prose};
use baomi_inspect::{Dictionary, ScanOptions, Scanner};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn message(c: &mut Criterion) {
    let scanner = Scanner::with(
        &Dictionary::parse(DICTIONARY).unwrap(),
        &ScanOptions::default(),
    );
    let text = prose::corpus(3, 1 << 20);
    // A message with a templated document in it (personal data, a marking) and one of plain prose.
    let with_pd_at = text.find("陳情").unwrap_or(0);
    let start = text.floor_char_boundary(with_pd_at.saturating_sub(1024));
    let busy = &text[start..text.floor_char_boundary(start + 4096)];
    let plain = &text[..text.floor_char_boundary(4096)];
    let mut out = Vec::new();
    let mut g = c.benchmark_group("4 KiB message");
    g.throughput(Throughput::Bytes(4096));
    g.bench_function("with personal data", |b| {
        b.iter(|| scanner.scan_into(black_box(busy), &mut out))
    });
    g.bench_function("plain prose", |b| {
        b.iter(|| scanner.scan_into(black_box(plain), &mut out))
    });
    g.finish();
}

criterion_group!(benches, message);
criterion_main!(benches);
