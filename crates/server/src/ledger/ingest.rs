//! Taking look-ups in: checked as a whole batch (any bad row rejects it, with every problem
//! named), stored in one transaction, idempotent by the source's event id (the same event sent
//! again is a duplicate; the same id with other content is a conflict and rejects the batch),
//! then appended to the tamper-evident log before the sender is answered.
//!
//! Each look-up is one log entry `{"v":1,"kind":"lookup","id":…,"at":…,"row_sha256":…}`: no
//! personal data in the log; the row hash (over the keyed subject, never the identifier) lets
//! the log vouch for the row.

use super::writer::Batch;
use super::{Ledger, hex};
use crate::error::{Error, Result};
use baomi_ledger::RawLookup;
use baomi_ledger::lookup::mask_subject;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::collections::{BTreeSet, HashMap};

/// Most look-ups in one API request.
pub const MAX_BATCH: usize = 10_000;

/// What a batch did.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Ingested {
    /// New look-ups stored.
    pub accepted: usize,
    /// Already stored with the same content (a retry).
    pub duplicates: usize,
}

/// A row's problem; `line` is the file line (CSV) or the position in the batch (API, from 0).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Problem {
    /// Row position.
    pub line: u64,
    /// Source's event id, when known.
    pub event_id: String,
    /// What is wrong.
    pub message: String,
    /// The event id was already received with other content.
    pub conflict: bool,
}

/// The log entry of a look-up.
#[derive(Serialize, Deserialize)]
pub struct LookupEntry {
    /// Format version.
    pub v: u32,
    /// Always `lookup`.
    pub kind: String,
    /// Row id.
    pub id: i64,
    /// When it happened (Unix seconds).
    pub at: i64,
    /// SHA-256 (hex) of the stored row's canonical JSON.
    pub row_sha256: String,
}

/// A row ready to insert: everything that needs no database (keys, seals, hashes) is done
/// before the batch queues for the writer.
pub(super) struct Prepared {
    pub r: RawLookup,
    pub day: i64,
    pub op_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub key: [u8; 16],
    pub sealed: Vec<u8>,
    pub masked: String,
    pub case_no: String,
    pub row_hash: Vec<u8>,
}

#[derive(Serialize)]
struct Canonical<'a> {
    system: &'a str,
    event_id: &'a str,
    at: i64,
    operator: &'a str,
    subject_key: String,
    action: &'a str,
    reason_code: &'a str,
    reason_text: &'a str,
    case_no: &'a str,
    terminal: &'a str,
}

impl Ledger {
    /// Stores a batch (all or nothing) and waits until it is in the log. `lines` gives each
    /// row's position for messages (file lines for CSV); `source` names the sender
    /// (`token:3`, `import:file.csv`).
    ///
    /// `audited`: also record the batch as an audit event (file imports and people; a source
    /// system's steady stream is already in the log look-up by look-up).
    pub async fn ingest(
        &self,
        rows: Vec<RawLookup>,
        lines: Option<&[u64]>,
        source: &str,
        actor: Option<i64>,
        ip: &str,
        audited: bool,
    ) -> Result<std::result::Result<Ingested, Vec<Problem>>> {
        let line = |i: usize| lines.and_then(|l| l.get(i).copied()).unwrap_or(i as u64);
        let mut problems = Vec::new();
        let mut seen = HashMap::new();
        let mut repeated = vec![false; rows.len()];
        for (i, r) in rows.iter().enumerate() {
            for m in r.check() {
                problems.push(Problem {
                    line: line(i),
                    event_id: r.event_id.clone(),
                    message: m,
                    conflict: false,
                });
            }
            // The same event twice in one batch is a retry folded in (a duplicate); the same id
            // with other content is a conflict, as it is across batches.
            match seen.get(&(&r.system, &r.event_id)) {
                None => {
                    seen.insert((&r.system, &r.event_id), i);
                }
                Some(&first) if rows[first] == *r => repeated[i] = true,
                Some(&first) => problems.push(Problem {
                    line: line(i),
                    event_id: r.event_id.clone(),
                    message: format!(
                        "event_id repeated in this batch with other content (first at {})",
                        line(first)
                    ),
                    conflict: true,
                }),
            }
        }
        if !problems.is_empty() {
            return Ok(Err(problems));
        }
        let folded = repeated.iter().filter(|&&r| r).count();
        let (rows, lines): (Vec<RawLookup>, Option<Vec<u64>>) = if folded == 0 {
            (rows, lines.map(<[u64]>::to_vec))
        } else {
            let keep: Vec<usize> = (0..rows.len()).filter(|&i| !repeated[i]).collect();
            let lines = lines.map(|_| keep.iter().map(|&i| line(i)).collect());
            let mut rows: Vec<Option<RawLookup>> = rows.into_iter().map(Some).collect();
            (keep.iter().filter_map(|&i| rows[i].take()).collect(), lines)
        };
        let operators = self.operators(&rows).await?;
        let ids: Vec<(Option<i64>, Option<i64>)> = rows
            .iter()
            .map(|r| {
                operators
                    .get(r.operator.as_str())
                    .copied()
                    .unwrap_or_default()
            })
            .collect();
        drop(operators);
        let mut prepared = Vec::with_capacity(rows.len());
        for (r, (op_id, unit_id)) in rows.into_iter().zip(ids) {
            let key = self.keyer.key(&r.subject_id);
            let case_no = baomi_ledger::lookup::normalise_case(&r.case_no);
            let canonical = Canonical {
                system: &r.system,
                event_id: &r.event_id,
                at: r.at,
                operator: &r.operator,
                subject_key: hex(&key),
                action: r.action.as_str(),
                reason_code: r.reason_code.trim(),
                reason_text: &r.reason_text,
                case_no: &case_no,
                terminal: &r.terminal,
            };
            let row_hash = Sha256::digest(serde_json::to_vec(&canonical).expect("serialisable"));
            let sealed = self.sealer.seal(
                r.subject_id.trim().as_bytes(),
                &format!("lookup:{}:{}", r.system, r.event_id),
            )?;
            prepared.push(Prepared {
                day: self.day_of(r.at),
                op_id,
                unit_id,
                key,
                sealed,
                masked: mask_subject(&r.subject_id),
                case_no,
                row_hash: row_hash.to_vec(),
                r,
            });
        }
        let done = self
            .write(Batch {
                rows: prepared,
                lines,
                source: source.to_string(),
                audit: audited.then(|| (actor, ip.to_string())),
            })
            .await?
            .map(|mut out| {
                out.duplicates += folded;
                out
            });
        if done.is_ok() {
            self.ship().await?;
            if audited {
                self.audit.ship().await?;
            }
        }
        Ok(done)
    }

    /// The org chart's (user id, unit id) for the operators named in a batch, by sign-in name
    /// or employee number.
    async fn operators<'a>(
        &self,
        rows: &'a [RawLookup],
    ) -> Result<HashMap<&'a str, (Option<i64>, Option<i64>)>> {
        let names: BTreeSet<&str> = rows.iter().map(|r| r.operator.as_str()).collect();
        let mut out = HashMap::new();
        let names: Vec<&str> = names.into_iter().collect();
        for chunk in names.chunks(400) {
            let marks = vec!["?"; chunk.len()].join(",");
            let sql = format!(
                "SELECT id, unit_id, username, employee_no FROM users
                 WHERE username IN ({marks}) OR employee_no IN ({marks})"
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for n in chunk.iter().chain(chunk.iter()) {
                q = q.bind(*n);
            }
            for row in q.fetch_all(&self.db).await? {
                let ids = (Some(row.get::<i64, _>(0)), row.get::<Option<i64>, _>(1));
                let (u, e): (String, Option<String>) = (row.get(2), row.get(3));
                for n in chunk {
                    if *n == u || Some(*n) == e.as_deref() {
                        out.insert(*n, ids);
                    }
                }
            }
        }
        Ok(out)
    }
}

impl From<Problem> for Error {
    fn from(p: Problem) -> Error {
        Error::BadRequest(format!("line {}: {}", p.line, p.message))
    }
}
