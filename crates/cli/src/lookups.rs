//! `baomi lookups`: the look-up ledger on the data folder, for systems that only export daily
//! files and for the integrity office's command line.

use anyhow::{Result, anyhow, bail};
use baomi_ledger::clock;
use baomi_server::admin::Admin;
use baomi_server::config::Config;
use baomi_server::ledger::refdata::Kind;
use clap::{Args, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;

#[derive(Args)]
pub struct LookupsArgs {
    /// Configuration file (as for `baomi serve`).
    #[arg(long, value_name = "FILE", global = true)]
    config: Option<PathBuf>,
    /// Data folder (as for `baomi serve`).
    #[arg(long, value_name = "DIR", global = true)]
    data: Option<PathBuf>,
    #[command(subcommand)]
    command: LookupsCommand,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Subcommand)]
enum LookupsCommand {
    /// Import files (CSV, UTF-8 or Big5). A file with any bad row is refused whole, every
    /// problem named with its line.
    Import {
        /// Look-ups: event_id, time, system, operator, subject_id, action, reason_code,
        /// reason_text, case_no, terminal.
        #[arg(long, value_name = "FILE")]
        csv: Option<PathBuf>,
        /// Duty roster: operator, start, end.
        #[arg(long, value_name = "FILE")]
        duty: Option<PathBuf>,
        /// Case registry: case_no, subject_id, assigned_operator, opened, closed.
        #[arg(long, value_name = "FILE")]
        cases: Option<PathBuf>,
        /// Protected persons: subject_id, category (only where the agency has a legal basis).
        #[arg(long, value_name = "FILE")]
        protected: Option<PathBuf>,
    },
    /// Judge the days whose look-ups or reference data changed (the server does this every
    /// half minute).
    Evaluate,
    /// Flagged look-ups of a period, one per line (JSON lines: event_id, operator, rules, score,
    /// explanation ...).
    Flags {
        /// First day (YYYY-MM-DD; default: 7 days ago).
        #[arg(long)]
        since: Option<String>,
        /// Last day (YYYY-MM-DD; default: today).
        #[arg(long)]
        until: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Draw the spot-check sample of a month (the 1% rule); the seed is logged.
    Sample {
        /// Month, YYYY-MM.
        #[arg(long)]
        month: String,
        /// Share to draw, in percent.
        #[arg(long, default_value_t = 1.0)]
        percent: f64,
        /// Seed (random when not given; printed and logged either way).
        #[arg(long, default_value = "")]
        seed: String,
    },
}

fn err(e: baomi_server::error::Error) -> anyhow::Error {
    match &e {
        baomi_server::error::Error::Internal(d) => anyhow!("{d}"),
        _ => anyhow!("{e}"),
    }
}

fn read(p: &PathBuf) -> Result<Vec<u8>> {
    std::fs::read(p).map_err(|e| anyhow!("{}: {e}", p.display()))
}

pub fn run(a: LookupsArgs) -> Result<u8> {
    let mut cfg = Config::load(a.config.as_deref())?;
    if let Some(d) = a.data {
        cfg.data_dir = d;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let adm = Admin::open(&cfg).await.map_err(err)?;
        let ledger = &adm.ledger;
        let off = ledger.config().offset();
        match a.command {
            LookupsCommand::Import {
                csv,
                duty,
                cases,
                protected,
            } => {
                if csv.is_none() && duty.is_none() && cases.is_none() && protected.is_none() {
                    bail!("nothing to import: --csv, --duty, --cases or --protected");
                }
                // Reference data first, so the look-ups are judged against it.
                for (file, kind) in [
                    (duty, Kind::Duty),
                    (cases, Kind::Cases),
                    (protected, Kind::Protected),
                ] {
                    let Some(file) = file else { continue };
                    match ledger
                        .import_reference(kind, &read(&file)?, None, "")
                        .await
                        .map_err(err)?
                    {
                        Ok(done) => println!(
                            "{}: {} row(s) imported, {} replaced",
                            file.display(),
                            done.rows,
                            done.replaced
                        ),
                        Err(lines) => {
                            for l in &lines {
                                eprintln!("{}:{}: {}", file.display(), l.line, l.message);
                            }
                            bail!(
                                "{}: {} problem(s); nothing was imported",
                                file.display(),
                                lines.len()
                            );
                        }
                    }
                }
                if let Some(file) = csv {
                    let parsed = baomi_ledger::csvfile::lookups(&read(&file)?, off);
                    let rows = match parsed {
                        Ok(r) => r,
                        Err(lines) => {
                            for l in &lines {
                                eprintln!("{}:{}: {}", file.display(), l.line, l.message);
                            }
                            bail!(
                                "{}: {} problem(s); nothing was imported",
                                file.display(),
                                lines.len()
                            );
                        }
                    };
                    let name = file
                        .file_name()
                        .map(|n| n.to_string_lossy().to_string())
                        .unwrap_or_default();
                    let mut accepted = 0;
                    let mut duplicates = 0;
                    // One transaction per 50,000 rows keeps memory flat; a file is checked whole
                    // before anything is stored, so only a crash can leave it half in (and a
                    // re-run then counts the stored part as duplicates).
                    let mut rest = rows;
                    for k in 0.. {
                        if rest.is_empty() {
                            break;
                        }
                        let tail = rest.split_off(rest.len().min(50_000));
                        let chunk = std::mem::replace(&mut rest, tail);
                        let lines: Vec<u64> = (0..chunk.len())
                            .map(|i| (k * 50_000 + i) as u64 + 2)
                            .collect();
                        match ledger
                            .ingest(
                                chunk,
                                Some(&lines),
                                &format!("import:{name}"),
                                None,
                                "",
                                true,
                            )
                            .await
                            .map_err(err)?
                        {
                            Ok(done) => {
                                accepted += done.accepted;
                                duplicates += done.duplicates;
                            }
                            Err(ps) => {
                                for p in &ps {
                                    eprintln!("{}:{}: {}", file.display(), p.line, p.message);
                                }
                                bail!(
                                    "{}: {} problem(s); rows from line {} on were not imported",
                                    file.display(),
                                    ps.len(),
                                    k * 50_000 + 2
                                );
                            }
                        }
                    }
                    println!(
                        "{}: {accepted} look-up(s) imported, {duplicates} already there{}",
                        file.display(),
                        if adm.holds_log {
                            ""
                        } else {
                            " (the running server appends them to the log)"
                        }
                    );
                }
                Ok(0)
            }
            LookupsCommand::Evaluate => {
                // Day by day, oldest first, each timed (a day's history is the days before).
                loop {
                    let t = std::time::Instant::now();
                    let Some(j) = ledger.evaluate_next().await.map_err(err)? else {
                        break;
                    };
                    println!(
                        "{}: {} look-up(s), {} flagged ({:.1} s)",
                        clock::day_string(j.day),
                        j.lookups,
                        j.flagged,
                        t.elapsed().as_secs_f64()
                    );
                }
                Ok(0)
            }
            LookupsCommand::Flags {
                since,
                until,
                format,
            } => {
                let today = ledger.today();
                let day = |s: &Option<String>, d: i64| -> Result<i64> {
                    match s {
                        None => Ok(d),
                        Some(s) => clock::parse_day(s)
                            .ok_or_else(|| anyhow!("{s:?} is not a date (YYYY-MM-DD)")),
                    }
                };
                let flags = ledger
                    .flags(day(&since, today - 7)?, day(&until, today)?)
                    .await
                    .map_err(err)?;
                let mut out = std::io::stdout().lock();
                for f in &flags {
                    match format {
                        Format::Json => writeln!(out, "{}", serde_json::to_string(f)?)?,
                        Format::Text => writeln!(
                            out,
                            "{}  {:>3}  {}  {}  {}  {}",
                            clock::short(f.at, off),
                            f.score,
                            f.operator,
                            f.event_id,
                            f.rules.join(","),
                            f.explanation
                        )?,
                    }
                }
                Ok(u8::from(!flags.is_empty()))
            }
            LookupsCommand::Sample {
                month,
                percent,
                seed,
            } => {
                let first = clock::parse_day(&format!("{month}-01"))
                    .ok_or_else(|| anyhow!("{month:?} is not a month (YYYY-MM)"))?;
                let next = clock::parse_day(&format!("{}-01", next_month(&month)?))
                    .ok_or_else(|| anyhow!("{month:?} is not a month"))?;
                let s = ledger
                    .sample(None, first, next - 1, percent, &seed, "")
                    .await
                    .map_err(err)?;
                println!(
                    "seed {} · {} of {} look-ups",
                    s.seed,
                    s.entries.len(),
                    s.population
                );
                for e in &s.entries {
                    println!(
                        "{}  {}  {}  {}  {}  {}  {}",
                        clock::short(e.at, off),
                        e.operator,
                        e.system,
                        e.action,
                        e.subject,
                        e.reason_code,
                        e.case_no
                    );
                }
                Ok(0)
            }
        }
    })
}

fn next_month(m: &str) -> Result<String> {
    let (y, mo) = m
        .split_once('-')
        .ok_or_else(|| anyhow!("{m:?} is not YYYY-MM"))?;
    let (y, mo): (i32, u32) = (y.parse()?, mo.parse()?);
    Ok(if mo >= 12 {
        format!("{}-01", y + 1)
    } else {
        format!("{y}-{:02}", mo + 1)
    })
}
