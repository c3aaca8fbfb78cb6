//! The look-up ledger service (電腦查詢紀錄簿): look-ups reported by the source systems are
//! stored with their subject sealed, keyed and masked, and appended to the tamper-evident log
//! ([`ingest`]); reference data is imported ([`refdata`]); each day is judged by the anomaly
//! rules of `baomi-ledger` ([`evaluate`]); supervisors sign each entry, ask, or escalate, and
//! integrity officers work the ranked queue ([`review`]).
//!
//! The service owns the `lookup*` tables; handlers reach them only through it.

mod bulk;
pub mod evaluate;
pub mod ingest;
pub mod refdata;
pub mod reports;
pub mod review;
mod shipping;
mod writer;

use crate::audit::Audit;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::seal::Sealer;
use baomi_ledger::{LedgerConfig, SubjectKeyer};
use std::path::Path;
use std::sync::Arc;

/// The ledger service (cheap to clone).
#[derive(Clone)]
pub struct Ledger {
    db: Db,
    audit: Audit,
    sealer: Sealer,
    keyer: SubjectKeyer,
    cfg: Arc<LedgerConfig>,
    /// The highest look-up id in the log (None: not read yet).
    shipping: Arc<tokio::sync::Mutex<Option<i64>>>,
    /// Where shipped runs went, not yet written to `lookup_log` (written with the next
    /// transaction, or by [`Ledger::flush`]; a crash loses nothing: start-up finds them in the
    /// log).
    runs: Arc<std::sync::Mutex<Vec<(i64, i64, i64)>>>,
    evaluating: Arc<tokio::sync::Mutex<()>>,
    /// Look-ups are written by one connection of its own, with group commit: waiting there
    /// wakes at once (SQLite's busy handler would sleep and poll) and its page cache stays warm
    /// (a pool hands out connections in turn, and each write by one empties the others' caches).
    writer: Arc<writer::Writer>,
}

impl Ledger {
    /// The service for a data folder: the subject key (`keys/subject.key`, made on first use)
    /// and `ledger.toml` (reason codes and rule tuning; defaults when absent).
    pub fn open(data_dir: &Path, db: Db, audit: Audit, sealer: Sealer) -> Result<Ledger> {
        let key = crate::seal::load_or_create_key(&data_dir.join("keys").join("subject.key"))?;
        let cfg_path = data_dir.join("ledger.toml");
        let cfg = match std::fs::read_to_string(&cfg_path) {
            Ok(text) => LedgerConfig::parse(&text)
                .map_err(|e| Error::Internal(format!("{}: {e}", cfg_path.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => LedgerConfig::default(),
            Err(e) => return Err(Error::Internal(format!("{}: {e}", cfg_path.display()))),
        };
        Ok(Ledger {
            db,
            audit,
            sealer,
            keyer: SubjectKeyer::new(&key),
            cfg: Arc::new(cfg),
            shipping: Arc::new(tokio::sync::Mutex::new(None)),
            runs: Arc::new(std::sync::Mutex::new(Vec::new())),
            evaluating: Arc::new(tokio::sync::Mutex::new(())),
            writer: Arc::default(),
        })
    }

    /// Reason codes and rule tuning in force.
    pub fn config(&self) -> &LedgerConfig {
        &self.cfg
    }

    /// Local day number of a time.
    pub fn day_of(&self, at: i64) -> i64 {
        baomi_ledger::clock::day(at, self.cfg.offset())
    }

    /// Today's local day number.
    pub fn today(&self) -> i64 {
        self.day_of(crate::clock::now())
    }
}

/// Hex of bytes.
pub(crate) fn hex(b: &[u8]) -> String {
    // On the ingestion path twice per look-up: no formatting machinery.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push(DIGITS[(x >> 4) as usize] as char);
        s.push(DIGITS[(x & 15) as usize] as char);
    }
    s
}
