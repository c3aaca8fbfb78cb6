//! Recall per document format: the same generated documents written as Word, Excel,
//! PowerPoint, OpenDocument, e-mail, HTML, nested ZIP and (with ImageMagick and Tesseract)
//! photographed pages; each read back by the extractor and scanned. A format is as good as the
//! plain text when it finds every (kind, value) the plain text finds.
//!
//! `cargo run --release -p baomi-corpus --bin formats [-- --docs N --seed S --images K --out DIR]`
//! `--out DIR` also writes every file (for `bench/formats.py`).

use baomi_corpus::formats::{Extras, FORMATS, render};
use baomi_corpus::{DICTIONARY, generate};
use baomi_extract::{Event, Extractor};
use baomi_inspect::{Dictionary, Kind, ScanOptions, Scanner};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

type Found = BTreeSet<(Kind, String)>;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// Values compared as a reader reads them: without spaces, full-width forms as ASCII (OCR
/// gives `O255724186` for `Ｏ２５５７２４１８６`, `密等:` for `密等：`).
fn norm(v: &str) -> String {
    v.chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{3000}')
        .map(|c| match c as u32 {
            0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

fn scan_text(scanner: &Scanner, text: &str, into: &mut Found) {
    for f in scanner.scan(text) {
        into.insert((f.kind, norm(&text[f.start..f.end])));
    }
}

fn scan_file(ex: &Extractor, scanner: &Scanner, bytes: &[u8], name: &str) -> (Found, usize) {
    let mut found = Found::new();
    let mut skips = 0;
    ex.extract(bytes, Some(name), &mut |e| match e {
        Event::Text(seg) => scan_text(scanner, seg.text, &mut found),
        Event::Skipped { .. } => skips += 1,
    });
    (found, skips)
}

#[derive(Default)]
struct Row {
    docs: usize,
    bytes: usize,
    plain: usize,
    agree: usize,
    extra: usize,
    skips: usize,
    secs: f64,
    /// IDs and markings only (the OCR target).
    plain_key: usize,
    agree_key: usize,
    /// Photographed pages whose red 機密 stamp was read.
    stamps: usize,
}

fn key(k: Kind) -> bool {
    matches!(
        k,
        Kind::TwNationalId | Kind::TwResidentId | Kind::Classification
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = arg(&args, "--docs")
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let seed: u64 = arg(&args, "--seed")
        .and_then(|v| v.parse().ok())
        .unwrap_or(20261127);
    let images: usize = arg(&args, "--images")
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let out = arg(&args, "--out").map(PathBuf::from);
    let show = args.iter().any(|a| a == "--show-misses");
    let dict = Dictionary::parse(DICTIONARY).expect("corpus dictionary");
    let scanner = Scanner::with(&dict, &ScanOptions::default());
    let ex = Extractor::default();
    let docs = generate(seed, n);

    let mut rows: Vec<(String, Row)> = vec![];
    for fmt in FORMATS {
        let mut row = Row::default();
        for (i, d) in docs.iter().enumerate() {
            let mut plain = Found::new();
            scan_text(&scanner, &d.text, &mut plain);
            let bytes = render(fmt, &d.text, &Extras::default()).expect("known format");
            let name = format!("doc{i:05}.{fmt}");
            if let Some(dir) = &out {
                let dir = dir.join(fmt);
                std::fs::create_dir_all(&dir).expect("output folder");
                std::fs::write(dir.join(&name), &bytes).expect("write file");
            }
            let t0 = Instant::now();
            let (found, skips) = scan_file(&ex, &scanner, &bytes, &name);
            row.secs += t0.elapsed().as_secs_f64();
            tally(&mut row, &plain, &found, bytes.len(), skips);
        }
        rows.push((fmt.to_string(), row));
    }
    match photo_tools() {
        Ok(font) => {
            let mut row = Row::default();
            for (i, d) in docs.iter().take(images).enumerate() {
                let page: String = d.text.lines().take(14).collect::<Vec<_>>().join("\n");
                let mut plain = Found::new();
                scan_text(&scanner, &page, &mut plain);
                let Some(png) = photograph(&page, &font, i) else {
                    continue;
                };
                if let Some(dir) = &out {
                    let dir = dir.join("jpeg");
                    std::fs::create_dir_all(&dir).expect("output folder");
                    std::fs::write(dir.join(format!("page{i:04}.jpg")), &png).expect("write file");
                }
                let t0 = Instant::now();
                let (found, skips) = scan_file(&ex, &scanner, &png, "page.jpg");
                if show {
                    for m in plain.difference(&found) {
                        println!("jpeg {i}: missed {:?} {}", m.0, m.1);
                    }
                }
                row.secs += t0.elapsed().as_secs_f64();
                tally(&mut row, &plain, &found, png.len(), skips);
                if found.contains(&(Kind::Classification, "機密".to_string())) {
                    row.stamps += 1;
                }
            }
            println!(
                "photographed pages: {} of {} red 機密 stamps read\n",
                row.stamps, row.docs
            );
            rows.push(("jpeg (photographed page, OCR)".into(), row));
        }
        Err(why) => println!("png: skipped ({why})\n"),
    }

    println!("baomi extraction recall: {n} generated documents, seed {seed}\n");
    println!(
        "| format | files | MB | plain-text findings | also found | agreement | IDs+markings agreement | extra | not inspected | MB/s |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (name, r) in &rows {
        println!(
            "| {name} | {} | {:.1} | {} | {} | {:.4} | {:.4} | {} | {} | {:.1} |",
            r.docs,
            r.bytes as f64 / 1e6,
            r.plain,
            r.agree,
            ratio(r.agree, r.plain),
            ratio(r.agree_key, r.plain_key),
            r.extra,
            r.skips,
            r.bytes as f64 / 1e6 / r.secs.max(1e-9)
        );
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

fn tally(row: &mut Row, plain: &Found, found: &Found, bytes: usize, skips: usize) {
    row.docs += 1;
    row.bytes += bytes;
    row.skips += skips;
    row.plain += plain.len();
    row.agree += plain.intersection(found).count();
    row.extra += found.difference(plain).count();
    row.plain_key += plain.iter().filter(|(k, _)| key(*k)).count();
    row.agree_key += plain.intersection(found).filter(|(k, _)| key(*k)).count();
}

/// ImageMagick and a CJK font, or why not.
fn photo_tools() -> Result<String, String> {
    let font = Command::new("fc-match")
        .args(["-f", "%{file}", "Noto Sans CJK TC"])
        .output()
        .map_err(|_| "fontconfig not installed".to_string())?;
    let font = String::from_utf8_lossy(&font.stdout).to_string();
    if !font.contains("CJK") {
        return Err("no CJK font (fonts-noto-cjk)".into());
    }
    Command::new("convert")
        .arg("-version")
        .output()
        .map_err(|_| "ImageMagick not installed".to_string())?;
    Ok(font)
}

/// The page as a photo: black text, a red 機密 stamp, slightly rotated, blurred and noisy.
fn photograph(text: &str, font: &str, i: usize) -> Option<Vec<u8>> {
    let angle = [-2.0, -1.0, 1.0, 2.5][i % 4];
    let lines = text.lines().count().max(1);
    let height = 220 + lines * 56;
    let out = Command::new("convert")
        .args(["-size", &format!("1600x{height}"), "xc:white"])
        .args(["-font", font, "-pointsize", "34", "-fill", "black"])
        .args(["-annotate", "+60+170", text])
        .args(["-stroke", "red", "-strokewidth", "5", "-fill", "none"])
        .args(["-draw", "rectangle 1180,30 1520,140"])
        .args(["-stroke", "none", "-fill", "red", "-pointsize", "72"])
        .args(["-annotate", "+1240+115", "機密"])
        .args(["-background", "white", "-rotate", &angle.to_string()])
        .args(["-blur", "0x0.8", "-attenuate", "0.25", "+noise", "Gaussian"])
        .args(["-quality", "85", "jpg:-"])
        .output()
        .ok()?;
    out.status.success().then_some(out.stdout)
}
