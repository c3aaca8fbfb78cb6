//! `baomi`: keeps official secrets and citizens' personal data inside the agency.
//!
//! This binary is thin: argument parsing and file handling. Detection, masking and policy live in
//! `baomi-inspect`; decoding in `baomi-extract`.

mod log;
mod output;
mod redact;
mod scan;
mod stream;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// baomi (保密): find and mask Taiwanese personal data and classification markings.
#[derive(Parser)]
#[command(name = "baomi", version, about = "baomi (保密): find and mask Taiwanese personal data and classification markings", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan files, directories (recursively) or stdin (`-`) for personal data and markings.
    ///
    /// Exit status as grep: 0 nothing found, 1 findings, 2 an error (reported per file; the scan
    /// goes on).
    Scan(scan::ScanArgs),
    /// Write a masked copy of a text or HTML file, by a masking profile.
    Redact(redact::RedactArgs),
    /// Tamper-evident log: init, append, verify, prove, witness (C2SP tlog-tiles, checkpoints).
    Log(log::LogArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(a) => scan::run(a),
        Command::Redact(a) => redact::run(a),
        Command::Log(a) => log::run(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("baomi: {e:#}");
            ExitCode::from(2)
        }
    }
}
