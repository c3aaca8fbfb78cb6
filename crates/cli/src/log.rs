//! `baomi log`: create, append to, verify, prove and witness a tamper-evident log.
//!
//! A log is named by its public directory (laid out as it is served) or by its URL; the private
//! part (signing key, state, lock) lives in `<DIR>.private` unless `--private` says otherwise.

use anyhow::{Context as _, Result, anyhow, bail};
use baomi_tlog::proof::{consistency_proof, inclusion_proof, verify_consistency, verify_inclusion};
use baomi_tlog::reader::{TileReader, read_bundle};
use baomi_tlog::store::{DirStore, Source};
use baomi_tlog::verify::verify_log;
use baomi_tlog::witness::{Observed, Witness, verify_cosigned};
use baomi_tlog::{Checkpoint, Log, LogPaths, Options, Verifier};
use clap::{Args, Subcommand};
use std::io::{self, BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Args)]
pub struct LogArgs {
    #[command(subcommand)]
    command: LogCommand,
}

#[derive(Subcommand)]
enum LogCommand {
    /// Create a log in DIR with a new Ed25519 signing key; prints the verifier key (vkey).
    Init {
        /// Public directory (created; publish it as static files as it is).
        dir: PathBuf,
        /// The log's origin, also its key name (a schema-less URL such as agency.gov.tw/baomi).
        #[arg(long, default_value = "localhost/baomi")]
        origin: String,
        /// Private directory (key, state, lock); default `<DIR>.private`.
        #[arg(long)]
        private: Option<PathBuf>,
    },
    /// Print the verifier key (vkey) of a log.
    Vkey {
        /// Public directory.
        dir: PathBuf,
        /// Private directory; default `<DIR>.private`.
        #[arg(long)]
        private: Option<PathBuf>,
    },
    /// Show the committed state and the published checkpoint of a local log.
    Status {
        /// Public directory.
        dir: PathBuf,
        /// Private directory; default `<DIR>.private`.
        #[arg(long)]
        private: Option<PathBuf>,
    },
    /// Append entries from stdin (one per line, or length-prefixed with --raw); prints each
    /// entry's index once it is durable and covered by a published checkpoint.
    Append {
        /// Public directory.
        dir: PathBuf,
        /// Private directory; default `<DIR>.private`.
        #[arg(long)]
        private: Option<PathBuf>,
        /// Entries are binary, each preceded by its length as a big-endian u16.
        #[arg(long)]
        raw: bool,
    },
    /// Recompute the whole tree from the tiles and check it against the signed checkpoint.
    Verify {
        /// Log directory or http:// URL prefix.
        log: String,
        /// The log's verifier key, or a file holding it.
        #[arg(long)]
        vkey: String,
        /// A checkpoint seen earlier (file): the log must extend it.
        #[arg(long)]
        trusted: Option<PathBuf>,
        /// A cosigned checkpoint (file) to check against witness keys.
        #[arg(long, requires = "witness")]
        cosigned: Option<PathBuf>,
        /// Witness verifier keys (or files), for --cosigned.
        #[arg(long)]
        witness: Vec<String>,
        /// Cosignatures required with --cosigned (default: all given witnesses).
        #[arg(long)]
        quorum: Option<usize>,
    },
    /// Print an inclusion proof (C2SP tlog-proof) or, with --from, a consistency proof.
    Prove {
        /// Log directory or http:// URL prefix.
        log: String,
        /// The log's verifier key, or a file holding it.
        #[arg(long)]
        vkey: String,
        /// Entry index to prove included in the current checkpoint.
        #[arg(long, conflicts_with = "from")]
        index: Option<u64>,
        /// Old tree size to prove the current checkpoint consistent with.
        #[arg(long)]
        from: Option<u64>,
    },
    /// Run a witness: follow a log, cosign consistent checkpoints, refuse forks and rollbacks.
    Witness {
        #[command(subcommand)]
        command: WitnessCommand,
    },
}

#[derive(Subcommand)]
enum WitnessCommand {
    /// Create a witness state directory with a new cosigning key; prints its vkey.
    Init {
        /// Witness state directory (keep it on another machine than the log).
        state: PathBuf,
        /// The witness's name (e.g. integrity.agency.gov.tw/witness).
        #[arg(long)]
        name: String,
    },
    /// Check the log's checkpoint against the last one seen and cosign it; repeats every
    /// --interval unless --once. Exit status 3 on a fork or rollback.
    Run {
        /// Witness state directory.
        state: PathBuf,
        /// Log directory or http:// URL prefix.
        #[arg(long)]
        log: String,
        /// The log's verifier key, or a file holding it.
        #[arg(long)]
        vkey: String,
        /// Seconds between checks.
        #[arg(long, default_value_t = 10)]
        interval: u64,
        /// Check once and exit.
        #[arg(long)]
        once: bool,
    },
}

fn paths(dir: &Path, private: Option<PathBuf>) -> LogPaths {
    let mut p = LogPaths::beside(dir);
    if let Some(pr) = private {
        p.private = pr;
    }
    p
}

fn parse_key(s: &str) -> Result<Verifier> {
    match Verifier::from_vkey(s) {
        Ok(v) => return Ok(v),
        // Not a file either: say why it is not a key.
        Err(e) if !Path::new(s).exists() => bail!("{s}: not a verifier key ({e})"),
        Err(_) => {}
    }
    let text =
        std::fs::read_to_string(s).with_context(|| format!("{s}: cannot read the key file"))?;
    Verifier::from_vkey(text.trim()).with_context(|| format!("{s}: not a verifier key"))
}

/// A log's public resources over HTTP (plain http; everything fetched is checked against the
/// signed checkpoint, so transport security adds privacy, not integrity).
struct HttpSource {
    base: String,
    agent: ureq::Agent,
}

impl Source for HttpSource {
    fn get(&self, path: &str) -> baomi_tlog::Result<Option<Vec<u8>>> {
        let url = format!("{}/{path}", self.base);
        let io_err = |e: String| baomi_tlog::Error::Io {
            path: url.clone(),
            source: io::Error::other(e),
        };
        match self.agent.get(&url).call() {
            Ok(mut resp) => {
                let body = resp
                    .body_mut()
                    .with_config()
                    .limit(16 << 20)
                    .read_to_vec()
                    .map_err(|e| io_err(e.to_string()))?;
                Ok(Some(body))
            }
            Err(ureq::Error::StatusCode(404)) => Ok(None),
            Err(e) => Err(io_err(e.to_string())),
        }
    }

    fn describe(&self) -> String {
        self.base.clone()
    }
}

fn source(log: &str) -> Result<Box<dyn Source>> {
    if log.starts_with("https://") {
        bail!(
            "{log}: https is not supported by this build; use http:// (the log is checked against its signatures either way) or a local copy"
        );
    }
    if log.starts_with("http://") {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(30)))
            .http_status_as_error(true)
            .build()
            .new_agent();
        return Ok(Box::new(HttpSource {
            base: log.trim_end_matches('/').to_string(),
            agent,
        }));
    }
    let p = Path::new(log);
    if !p.is_dir() {
        bail!("{log}: not a directory");
    }
    Ok(Box::new(DirStore::new(p)))
}

pub fn run(a: LogArgs) -> Result<u8> {
    match a.command {
        LogCommand::Init {
            dir,
            origin,
            private,
        } => {
            let v = baomi_tlog::init(&paths(&dir, private), &origin)?;
            println!("{}", v.vkey());
            Ok(0)
        }
        LogCommand::Vkey { dir, private } => {
            println!("{}", baomi_tlog::verifier(&paths(&dir, private))?.vkey());
            Ok(0)
        }
        LogCommand::Status { dir, private } => {
            let p = paths(&dir, private);
            let key = baomi_tlog::verifier(&p)?;
            let (size, root) = baomi_tlog::committed(&p)?;
            println!("origin: {}", key.name());
            println!("vkey: {}", key.vkey());
            println!("committed: {size} entries, root {}", root.to_base64());
            match baomi_tlog::verify::fetch_checkpoint(&DirStore::new(&dir), &key) {
                Ok(c) if c.size == size && c.root == root => println!("published: up to date"),
                Ok(c) => println!(
                    "published: {} entries (republished on the next open)",
                    c.size
                ),
                Err(e) => println!("published: {e} (republished on the next open)"),
            }
            Ok(0)
        }
        LogCommand::Append { dir, private, raw } => append(&paths(&dir, private), raw),
        LogCommand::Verify {
            log,
            vkey,
            trusted,
            cosigned,
            witness,
            quorum,
        } => {
            let key = parse_key(&vkey)?;
            let src = source(&log)?;
            let trusted = match trusted {
                Some(p) => {
                    let note = std::fs::read(&p).with_context(|| p.display().to_string())?;
                    Some(
                        Checkpoint::open(&note, &key)
                            .with_context(|| format!("{}: trusted checkpoint", p.display()))?
                            .0,
                    )
                }
                None => None,
            };
            let t = Instant::now();
            let r = verify_log(src.as_ref(), &key, trusted.as_ref())?;
            println!(
                "ok: {} has {} entries, root {}; {} tiles checked in {:.2} s",
                r.checkpoint.origin,
                r.entries,
                r.checkpoint.root.to_base64(),
                r.tiles,
                t.elapsed().as_secs_f64()
            );
            if let Some(t) = trusted {
                println!(
                    "ok: consistent with the trusted checkpoint at {} entries",
                    t.size
                );
            }
            if let Some(p) = cosigned {
                let keys: Vec<Verifier> = witness
                    .iter()
                    .map(|w| parse_key(w))
                    .collect::<Result<_>>()?;
                let note = std::fs::read(&p).with_context(|| p.display().to_string())?;
                let q = quorum.unwrap_or(keys.len());
                let (cp, who) = verify_cosigned(&note, &key, &keys, q)?;
                if cp.size > r.checkpoint.size {
                    bail!(
                        "the cosigned checkpoint ({} entries) is ahead of the log ({})",
                        cp.size,
                        r.checkpoint.size
                    );
                }
                baomi_tlog::verify::check_extends(src.as_ref(), &cp, &r.checkpoint)
                    .context("the log does not extend the cosigned checkpoint")?;
                for (name, ts) in who {
                    println!("ok: cosigned by {name} at {ts} for {} entries", cp.size);
                }
            }
            Ok(0)
        }
        LogCommand::Prove {
            log,
            vkey,
            index,
            from,
        } => prove(&log, &vkey, index, from),
        LogCommand::Witness { command } => match command {
            WitnessCommand::Init { state, name } => {
                println!("{}", Witness::init(&state, &name)?.vkey());
                Ok(0)
            }
            WitnessCommand::Run {
                state,
                log,
                vkey,
                interval,
                once,
            } => witness(&state, &log, &vkey, interval, once),
        },
    }
}

fn append(p: &LogPaths, raw: bool) -> Result<u8> {
    let log = Log::open(p, Options::default())?;
    let (tx, rx) = std::sync::mpsc::channel::<(baomi_tlog::Pending, usize)>();
    // Acknowledgements are printed in order as batches land, so a reader of stdout (or a
    // harness that kills this process) knows exactly which entries are durable.
    let printer = std::thread::spawn(move || -> Result<()> {
        let stdout = io::stdout();
        for (pending, n) in rx {
            let first = pending.wait()?;
            let mut out = stdout.lock();
            for i in first..first + n as u64 {
                writeln!(out, "{i}")?;
            }
            out.flush()?;
        }
        Ok(())
    });
    let stdin = io::stdin();
    let mut input = io::BufReader::with_capacity(1 << 16, stdin.lock());
    let mut read_err = None;
    loop {
        let entry = if raw {
            let mut len = [0u8; 2];
            match input.read_exact(&mut len) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
                Err(e) => {
                    read_err = Some(anyhow!(e).context("stdin"));
                    break;
                }
            }
            let mut e = vec![0u8; usize::from(u16::from_be_bytes(len))];
            if let Err(e) = input.read_exact(&mut e) {
                read_err = Some(anyhow!(e).context("stdin: entry cut short"));
                break;
            }
            e
        } else {
            let mut line = Vec::new();
            match input.read_until(b'\n', &mut line) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    read_err = Some(anyhow!(e).context("stdin"));
                    break;
                }
            }
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            line
        };
        match log.submit(vec![entry]) {
            Ok(p) => {
                if tx.send((p, 1)).is_err() {
                    break;
                }
            }
            Err(e) => {
                read_err = Some(anyhow!(e));
                break;
            }
        }
    }
    drop(tx);
    let printed = printer
        .join()
        .map_err(|_| anyhow!("printer thread panicked"))?;
    let head = log.head();
    log.close()?;
    printed?;
    if let Some(e) = read_err {
        return Err(e);
    }
    eprintln!(
        "checkpoint: {} entries, root {}",
        head.size,
        head.root.to_base64()
    );
    Ok(0)
}

fn prove(log: &str, vkey: &str, index: Option<u64>, from: Option<u64>) -> Result<u8> {
    let key = parse_key(vkey)?;
    let src = source(log)?;
    let note = src
        .get("checkpoint")?
        .ok_or_else(|| anyhow!("{log}: no checkpoint"))?;
    let (cp, _) = Checkpoint::open(&note, &key)?;
    let mut reader = TileReader::new(src.as_ref(), cp.size);
    let t = Instant::now();
    match (index, from) {
        (Some(i), _) => {
            let proof = inclusion_proof(&mut reader, i, cp.size)??;
            let entry =
                read_bundle(src.as_ref(), i / 256, cp.size)?.swap_remove((i % 256) as usize);
            // Never print a proof that does not verify.
            verify_inclusion(
                i,
                cp.size,
                &baomi_tlog::hash::leaf_hash(&entry),
                &proof,
                &cp.root,
            )?;
            let mut out = format!("c2sp.org/tlog-proof@v1\nindex {i}\n");
            for h in &proof {
                out.push_str(&h.to_base64());
                out.push('\n');
            }
            out.push('\n');
            out.push_str(&String::from_utf8_lossy(&note));
            print!("{out}");
            eprintln!(
                "inclusion of entry {i} in {} entries: {} hashes from {} tiles in {:.3} ms",
                cp.size,
                proof.len(),
                reader.fetched,
                t.elapsed().as_secs_f64() * 1e3
            );
        }
        (None, Some(m)) => {
            let old_root = baomi_tlog::proof::tree_root(&mut reader, m)
                .context("old tree size is not in the log")?;
            let proof = consistency_proof(&mut reader, m, cp.size)??;
            verify_consistency(m, cp.size, &proof, &old_root, &cp.root)?;
            println!("consistency {m} {}", cp.size);
            println!("old-root {}", old_root.to_base64());
            for h in &proof {
                println!("{}", h.to_base64());
            }
            println!();
            print!("{}", String::from_utf8_lossy(&note));
        }
        (None, None) => bail!("give --index I (inclusion) or --from SIZE (consistency)"),
    }
    Ok(0)
}

fn witness(state: &Path, log: &str, vkey: &str, interval: u64, once: bool) -> Result<u8> {
    let key = parse_key(vkey)?;
    let w = Witness::open(state)?;
    let src = source(log)?;
    loop {
        match w.observe(src.as_ref(), &key) {
            Ok(Observed::Cosigned {
                previous,
                checkpoint,
                ..
            }) => {
                if previous != Some(checkpoint.size) {
                    println!(
                        "cosigned {} at {} entries (was {})",
                        checkpoint.origin,
                        checkpoint.size,
                        previous.map_or("none".to_string(), |p| p.to_string())
                    );
                    io::stdout().flush()?;
                }
            }
            Ok(Observed::Alarm(a)) => {
                eprintln!("baomi witness: ALARM: {a}");
                eprintln!(
                    "baomi witness: the log was NOT cosigned; report this to the integrity office."
                );
                return Ok(3);
            }
            Err(e) if once => return Err(e.into()),
            Err(e) => eprintln!("baomi witness: {log}: {e} (retrying)"),
        }
        if once {
            return Ok(0);
        }
        std::thread::sleep(Duration::from_secs(interval.max(1)));
    }
}
