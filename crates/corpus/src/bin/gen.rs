//! Writes a generated corpus to a folder, for benchmarks.
//!
//! `gen --out DIR --mb 500 [--seed S] [--file-kb 1024] [--dense] [--labelled FILE --labelled-docs N]`
//! Default: official prose with a templated document every few KB; `--dense`: templated documents only.
//! The labelled subset is JSON lines: {"doc_type", "text", "labels": [{kind, start, end, level}]}.

use baomi_corpus::{generate, prose};
use std::io::Write;
use std::path::PathBuf;

fn arg<T: std::str::FromStr>(args: &[String], name: &str) -> Option<T> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let out: PathBuf = arg(&args, "--out").unwrap_or_else(|| "bench/out/corpus".into());
    let mb: usize = arg(&args, "--mb").unwrap_or(500);
    let seed: u64 = arg(&args, "--seed").unwrap_or(1);
    let file_kb: usize = arg(&args, "--file-kb").unwrap_or(1024);
    std::fs::create_dir_all(&out)?;
    let target = mb << 20;
    let mut written = 0usize;
    let mut file_no = 0usize;
    let mut batch_seed = seed;
    let mut buf = String::new();
    let dense = args.iter().any(|a| a == "--dense");
    while written < target && !dense {
        // Realistic: official prose with a templated document every few KB.
        buf = prose::corpus(batch_seed, file_kb << 10);
        std::fs::write(out.join(format!("doc{file_no:05}.txt")), &buf)?;
        written += buf.len();
        file_no += 1;
        batch_seed += 1;
    }
    buf.clear();
    while written < target {
        for d in generate(batch_seed, 2000) {
            buf.push_str(&d.text);
            buf.push('\n');
            if buf.len() >= file_kb << 10 {
                std::fs::write(out.join(format!("doc{file_no:05}.txt")), &buf)?;
                written += buf.len();
                file_no += 1;
                buf.clear();
                if written >= target {
                    break;
                }
            }
        }
        batch_seed += 1;
    }
    if let Some(path) = arg::<PathBuf>(&args, "--labelled") {
        let n: usize = arg(&args, "--labelled-docs").unwrap_or(2000);
        let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
        for d in generate(seed ^ 0x5eed, n) {
            writeln!(f, "{}", serde_json::to_string(&d).expect("serialisable"))?;
        }
    }
    eprintln!(
        "wrote {file_no} files, {:.1} MB, to {}",
        written as f64 / 1048576.0,
        out.display()
    );
    Ok(())
}
