//! Writes a benchmark corpus of documents: for each format, files of `--file-kb` KB of official
//! prose (with a templated document every few KB, as `gen` writes), until the format's folder
//! holds `--mb` MB; plus the same texts as `.txt`.
//!
//! `cargo run --release -p baomi-corpus --bin gen_formats -- --out DIR [--mb 100 --file-kb 512]
//! [--only docx,xlsx]`

use baomi_corpus::formats::{Extras, FORMATS, render};
use baomi_corpus::prose;
use std::path::PathBuf;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let out = PathBuf::from(arg(&args, "--out").expect("--out DIR"));
    let mb: usize = arg(&args, "--mb")
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let file_kb: usize = arg(&args, "--file-kb")
        .and_then(|v| v.parse().ok())
        .unwrap_or(512);
    let only = arg(&args, "--only");
    let wanted = |f: &str| only.as_ref().is_none_or(|o| o.split(',').any(|w| w == f));
    for fmt in ["txt"].iter().chain(FORMATS).filter(|f| wanted(f)) {
        let dir = out.join(fmt);
        std::fs::create_dir_all(&dir)?;
        let (mut written, mut i) = (0usize, 0u64);
        while written < mb * 1_000_000 {
            let text = prose::corpus(i, file_kb << 10);
            let bytes = if *fmt == "txt" {
                text.into_bytes()
            } else {
                render(fmt, &text, &Extras::default()).expect("known format")
            };
            written += bytes.len();
            std::fs::write(dir.join(format!("f{i:05}.{fmt}")), &bytes)?;
            i += 1;
        }
        eprintln!("{fmt}: {i} files, {:.0} MB", written as f64 / 1e6);
    }
    Ok(())
}
