//! Precision and recall of every detector on the generated, labelled corpus, and document-level
//! classification accuracy, plus false markings on the seed documents.
//!
//! `cargo run --release -p baomi-corpus --bin eval [-- --docs N --seed S --show-errors K]`

use baomi_corpus::eval::{TARGETS, evaluate};
use baomi_corpus::{DICTIONARY, generate};
use baomi_inspect::{Dictionary, Kind, ScanOptions, Scanner};
use std::time::Instant;

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n = arg(&args, "--docs", 4000);
    let seed = arg(&args, "--seed", 20261125) as u64;
    let show = arg(&args, "--show-errors", 0);
    let dict = Dictionary::parse(DICTIONARY).expect("corpus dictionary");
    let scanner = Scanner::with(&dict, &ScanOptions::default());
    let docs = generate(seed, n);
    let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    let t0 = Instant::now();
    let rep = evaluate(&scanner, &docs);
    let elapsed = t0.elapsed();

    println!(
        "baomi evaluation: {n} generated documents, seed {seed}, {:.1} MB, evaluated in {:.0} ms",
        bytes as f64 / 1e6,
        elapsed.as_secs_f64() * 1e3
    );
    println!();
    println!("| kind | planted | found | precision | recall | exact span | target |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (k, t) in &rep.kinds {
        let ex = if t.tp_labels == 0 {
            0.0
        } else {
            t.exact as f64 / t.tp_labels as f64
        };
        let target = TARGETS
            .iter()
            .find(|(ks, _)| ks.contains(k))
            .map_or("-".to_string(), |(_, v)| format!("{v:.2}"));
        println!(
            "| {k} | {} | {} | {:.4} | {:.4} | {ex:.3} | {target} |",
            t.labels,
            t.found,
            t.precision(),
            t.recall()
        );
    }
    let d = &rep.docs;
    println!();
    println!(
        "document-level classification: {} classified documents; precision {:.4}, recall {:.4}, level correct {}/{}, false classified {}, missed {} (target 0.98)",
        d.tp + d.missed,
        d.precision(),
        d.recall(),
        d.level_ok,
        d.tp,
        d.fp,
        d.missed
    );
    seeds(&scanner);
    if show > 0 {
        for (k, t) in &rep.kinds {
            for e in t.fp.iter().take(show) {
                println!("FP {k}: {e}");
            }
            for e in t.fn_.iter().take(show) {
                println!("FN {k}: {e}");
            }
        }
    }
}

/// The awareness texts must never be taken for classified documents.
fn seeds(scanner: &Scanner) {
    let dir = std::env::var("BAOMI_SEEDS").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/seeds").to_string()
    });
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!("seed documents: not found at {dir}");
        return;
    };
    let (mut files, mut marked, mut other) = (0, 0, 0);
    for e in entries.flatten() {
        let Ok(text) = std::fs::read_to_string(e.path()) else {
            continue;
        };
        files += 1;
        let f = scanner.scan(&text);
        marked += f.iter().any(|f| f.kind == Kind::Classification) as usize;
        other += f.iter().filter(|f| f.kind != Kind::Classification).count();
    }
    println!(
        "seed documents: {files} files, {marked} taken for classified (must be 0), {other} other findings"
    );
}
