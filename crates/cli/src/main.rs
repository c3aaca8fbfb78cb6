//! `baomi`: keeps official secrets and citizens' personal data inside the agency.
//!
//! This binary is thin: argument parsing and file handling. Detection, masking and policy live in
//! `baomi-inspect`; decoding in `baomi-extract`.

mod admin;
mod document;
mod log;
mod lookups;
mod output;
mod redact;
mod redact_doc;
mod scan;
mod serve;
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
    /// Write a masked copy of a text, HTML, Word, Excel, PowerPoint or OpenDocument file (PDF and
    /// images: a masked text rendition), by a masking profile.
    Redact(redact::RedactArgs),
    /// Tamper-evident log: init, append, verify, prove, witness (C2SP tlog-tiles, checkpoints).
    Log(log::LogArgs),
    /// Run the agency's server (web interface and API) on the embedded default: SQLite and the
    /// audit log in a local data folder, on 127.0.0.1:8080.
    Serve(serve::ServeArgs),
    /// Administer the server's data folder: accounts, org chart import, backup, log key.
    Admin(admin::AdminArgs),
    /// The look-up ledger: import look-ups and reference files, judge days, print flags, draw
    /// the monthly spot-check sample.
    Lookups(lookups::LookupsArgs),
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("BAOMI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(a) => scan::run(a),
        Command::Redact(a) => redact::run(a),
        Command::Log(a) => log::run(a),
        Command::Admin(a) => admin::run(a),
        Command::Lookups(a) => lookups::run(a),
        Command::Serve(a) => {
            init_tracing();
            serve::run(a)
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("baomi: {e:#}");
            ExitCode::from(2)
        }
    }
}
