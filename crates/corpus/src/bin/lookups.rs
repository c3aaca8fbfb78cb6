//! The look-up ledger's evaluation: a generated month of a 300-person agency with planted abuse
//! modelled on the seeds' cases; recall per scenario and the share of daily work flagged.
//! `--out DIR` also writes the month as CSV files (org chart, look-ups, roster, cases,
//! protected list, truth) for `baomi lookups import`.
//!
//! `cargo run --release -p baomi-corpus --bin lookups [-- --staff 300 --days 30 --history-days 28 --seed S --out DIR [--no-eval]]`

use baomi_corpus::lookups::eval::evaluate_month;
use baomi_corpus::lookups::{HISTORY_DAYS, SCENARIOS, generate_with, write_csv};
use baomi_ledger::LedgerConfig;
use std::time::Instant;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let num = |n: &str, d: u64| arg(&args, n).and_then(|v| v.parse().ok()).unwrap_or(d);
    let (staff, days, seed) = (
        num("--staff", 300) as usize,
        num("--days", 30) as i64,
        num("--seed", 20261127),
    );
    let hist = num("--history-days", HISTORY_DAYS as u64) as i64;
    let t0 = Instant::now();
    let m = generate_with(seed, staff, hist, days);
    let gen_ms = t0.elapsed().as_millis();
    if let Some(dir) = arg(&args, "--out") {
        write_csv(&m, std::path::Path::new(&dir)).expect("write CSV files");
        println!("wrote {dir}/{{org,lookups,duty,cases,protected,truth}}.csv");
        if args.iter().any(|a| a == "--no-eval") {
            return;
        }
    }
    let cfg = LedgerConfig::default();
    let t1 = Instant::now();
    let rep = evaluate_month(&m, &cfg);
    println!(
        "baomi look-up ledger evaluation: {staff} staff, {} days evaluated (+{hist} of history), seed {seed}; {} look-ups generated in {gen_ms} ms, evaluated in {} ms",
        rep.days,
        m.lookups.len(),
        t1.elapsed().as_millis()
    );
    println!();
    println!("| scenario | look-ups | flagged | recall | caught | rules fired |");
    println!("|---|---:|---:|---:|:-:|---|");
    let mut all_caught = true;
    for (s, what) in SCENARIOS {
        let c = &rep.classes[s];
        let caught = c.flagged > 0;
        all_caught &= caught;
        println!(
            "| {s} ({what}) | {} | {} | {:.0}% | {} | {} |",
            c.total,
            c.flagged,
            100.0 * c.flagged as f64 / c.total.max(1) as f64,
            if caught { "yes" } else { "NO" },
            rules(&c.rules)
        );
    }
    for k in ["normal", "sloppy"] {
        if let Some(c) = rep.classes.get(k) {
            println!(
                "| {k} | {} | {} | {:.2}% | | {} |",
                c.total,
                c.flagged,
                100.0 * c.flagged as f64 / c.total.max(1) as f64,
                rules(&c.rules)
            );
        }
    }
    println!();
    println!(
        "precision of flags: {:.1}% planted, {:.1}% planted or a slip worth a question; daily work flagged (normal + sloppy): {:.2}% (target <= 2%); every scenario caught: {}",
        100.0 * rep.precision(),
        100.0 * rep.precision_with_slips(),
        100.0 * rep.normal_flag_rate(),
        if all_caught { "yes" } else { "NO" }
    );
    if !all_caught || rep.normal_flag_rate() > 0.02 {
        std::process::exit(1);
    }
}

fn rules(m: &std::collections::BTreeMap<&str, usize>) -> String {
    m.iter()
        .map(|(r, n)| format!("{r} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}
