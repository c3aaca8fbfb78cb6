//! Taking look-ups in: checked as a whole batch (any bad row rejects it, with every problem
//! named), stored in one transaction, idempotent by the source's event id (the same event sent
//! again is a duplicate; the same id with other content is a conflict and rejects the batch),
//! then appended to the tamper-evident log before the sender is answered.
//!
//! Each look-up is one log entry `{"v":1,"kind":"lookup","id":…,"at":…,"row_sha256":…}`: no
//! personal data in the log; the row hash (over the keyed subject, never the identifier) lets
//! the log vouch for the row.

use super::{Ledger, hex};
use crate::audit::{Audit, Event, Outcome};
use crate::clock;
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
    pub async fn ingest(
        &self,
        rows: &[RawLookup],
        lines: Option<&[u64]>,
        source: &str,
        actor: Option<i64>,
        ip: &str,
    ) -> Result<std::result::Result<Ingested, Vec<Problem>>> {
        let line = |i: usize| lines.and_then(|l| l.get(i).copied()).unwrap_or(i as u64);
        let mut problems = Vec::new();
        let mut seen = HashMap::new();
        for (i, r) in rows.iter().enumerate() {
            for m in r.check() {
                problems.push(Problem {
                    line: line(i),
                    event_id: r.event_id.clone(),
                    message: m,
                    conflict: false,
                });
            }
            if let Some(first) = seen.insert((&r.system, &r.event_id), i) {
                problems.push(Problem {
                    line: line(i),
                    event_id: r.event_id.clone(),
                    message: format!("event_id repeated in this batch (first at {})", line(first)),
                    conflict: false,
                });
            }
        }
        if !problems.is_empty() {
            return Ok(Err(problems));
        }
        let operators = self.operators(rows).await?;
        let now = clock::now();
        let mut out = Ingested::default();
        let mut days = BTreeSet::new();
        let (mut first_id, mut last_id) = (None, None);
        let mut tx = self.db.begin().await?;
        for (i, r) in rows.iter().enumerate() {
            let key = self.keyer.key(&r.subject_id);
            let canonical = Canonical {
                system: &r.system,
                event_id: &r.event_id,
                at: r.at,
                operator: &r.operator,
                subject_key: hex(&key),
                action: r.action.as_str(),
                reason_code: r.reason_code.trim(),
                reason_text: &r.reason_text,
                case_no: &baomi_ledger::lookup::normalise_case(&r.case_no),
                terminal: &r.terminal,
            };
            let row_hash = Sha256::digest(serde_json::to_vec(&canonical).expect("serialisable"));
            let sealed = self.sealer.seal(
                r.subject_id.trim().as_bytes(),
                &format!("lookup:{}:{}", r.system, r.event_id),
            )?;
            let (op_id, unit_id) = operators
                .get(r.operator.as_str())
                .copied()
                .unwrap_or_default();
            let day = self.day_of(r.at);
            let id: Option<i64> = sqlx::query(
                "INSERT INTO lookups (system, event_id, at, day, operator, operator_id, unit_id,
                   subject_key, subject_sealed, subject_masked, action, reason_code, reason_text,
                   case_no, terminal, source, received_at, row_sha256)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (system, event_id) DO NOTHING RETURNING id",
            )
            .bind(&r.system)
            .bind(&r.event_id)
            .bind(r.at)
            .bind(day)
            .bind(&r.operator)
            .bind(op_id)
            .bind(unit_id)
            .bind(&key[..])
            .bind(&sealed)
            .bind(mask_subject(&r.subject_id))
            .bind(r.action.as_str())
            .bind(canonical.reason_code)
            .bind(&r.reason_text)
            .bind(canonical.case_no)
            .bind(&r.terminal)
            .bind(source)
            .bind(now)
            .bind(&row_hash[..])
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| row.get(0));
            match id {
                Some(id) => {
                    out.accepted += 1;
                    first_id.get_or_insert(id);
                    last_id = Some(id);
                    days.insert(day);
                }
                None => {
                    let stored: Vec<u8> = sqlx::query(
                        "SELECT row_sha256 FROM lookups WHERE system = ? AND event_id = ?",
                    )
                    .bind(&r.system)
                    .bind(&r.event_id)
                    .fetch_one(&mut *tx)
                    .await?
                    .get(0);
                    if stored == row_hash[..] {
                        out.duplicates += 1;
                    } else {
                        problems.push(Problem {
                            line: line(i),
                            event_id: r.event_id.clone(),
                            message: format!(
                                "event_id {} of {} was already received with other content",
                                r.event_id, r.system
                            ),
                            conflict: true,
                        });
                    }
                }
            }
        }
        if !problems.is_empty() {
            tx.rollback().await?;
            return Ok(Err(problems));
        }
        for d in &days {
            sqlx::query(
                "INSERT INTO lookup_days (day, dirty) VALUES (?, 1)
                 ON CONFLICT (day) DO UPDATE SET dirty = 1",
            )
            .bind(d)
            .execute(&mut *tx)
            .await?;
        }
        if out.accepted > 0 {
            Audit::record_in(
                &mut tx,
                &Event::new(actor, "lookups.ingest", Outcome::Ok)
                    .target(source.to_string())
                    .ip(ip)
                    .detail(serde_json::json!({
                        "accepted": out.accepted,
                        "duplicates": out.duplicates,
                        "first_id": first_id,
                        "last_id": last_id,
                    })),
            )
            .await?;
        }
        tx.commit().await?;
        self.ship().await?;
        self.audit.ship().await?;
        Ok(Ok(out))
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

    /// Appends every look-up not yet in the log, in id order, and records where they went.
    /// Without the log (another process holds it) the rows wait; that process ships them.
    pub async fn ship(&self) -> Result<()> {
        let Some(log) = self.audit.log() else {
            return Ok(());
        };
        let _one = self.shipping.lock().await;
        loop {
            let mark: i64 = sqlx::query("SELECT COALESCE(MAX(last_id), 0) FROM lookup_log")
                .fetch_one(&self.db)
                .await?
                .get(0);
            let rows = sqlx::query(
                "SELECT id, at, row_sha256 FROM lookups WHERE id > ? ORDER BY id LIMIT 50000",
            )
            .bind(mark)
            .fetch_all(&self.db)
            .await?;
            if rows.is_empty() {
                return Ok(());
            }
            let ids: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
            let entries = rows
                .iter()
                .map(|r| {
                    serde_json::to_vec(&LookupEntry {
                        v: 1,
                        kind: "lookup".into(),
                        id: r.get(0),
                        at: r.get(1),
                        row_sha256: hex(&r.get::<Vec<u8>, _>(2)),
                    })
                    .expect("serialisable")
                })
                .collect();
            let first = log.submit(entries)?.wait_async().await? as i64;
            let mut tx = self.db.begin().await?;
            for (start, len) in runs(&ids) {
                sqlx::query(
                    "INSERT INTO lookup_log (first_id, last_id, first_index) VALUES (?, ?, ?)",
                )
                .bind(ids[start])
                .bind(ids[start + len - 1])
                .bind(first + start as i64)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        }
    }

    /// At start-up: records where look-ups went that reached the log before a crash (so they
    /// are not appended twice), then ships the rest.
    pub async fn recover(&self, public_dir: &std::path::Path) -> Result<()> {
        let Some(log) = self.audit.log() else {
            return Ok(());
        };
        let next: i64 = sqlx::query(
            "SELECT COALESCE(MAX(first_index + last_id - first_id) + 1, 0) FROM lookup_log",
        )
        .fetch_one(&self.db)
        .await?
        .get(0);
        let size = log.head().size;
        let store = baomi_tlog::store::DirStore::new(public_dir);
        let mut found: Vec<(i64, i64)> = Vec::new();
        let mut at = next as u64;
        while at < size {
            let bundle = baomi_tlog::reader::read_bundle(&store, at / 256, size)?;
            for (k, entry) in bundle.iter().enumerate().skip((at % 256) as usize) {
                if let Ok(e) = serde_json::from_slice::<LookupEntry>(entry)
                    && e.kind == "lookup"
                {
                    found.push((e.id, (at / 256 * 256) as i64 + k as i64));
                }
            }
            at = (at / 256 + 1) * 256;
        }
        if !found.is_empty() {
            let mut tx = self.db.begin().await?;
            let mut s = 0;
            while s < found.len() {
                let mut e = s;
                while e + 1 < found.len()
                    && found[e + 1].0 == found[e].0 + 1
                    && found[e + 1].1 == found[e].1 + 1
                {
                    e += 1;
                }
                sqlx::query(
                    "INSERT INTO lookup_log (first_id, last_id, first_index) VALUES (?, ?, ?)",
                )
                .bind(found[s].0)
                .bind(found[e].0)
                .bind(found[s].1)
                .execute(&mut *tx)
                .await?;
                s = e + 1;
            }
            tx.commit().await?;
            tracing::info!(
                entries = found.len(),
                "look-ups found in the log after a restart"
            );
        }
        self.ship().await
    }

    /// The log index of a look-up, once shipped.
    pub async fn log_index(&self, id: i64) -> Result<Option<i64>> {
        Ok(sqlx::query(
            "SELECT first_index + (? - first_id) FROM lookup_log
             WHERE first_id <= ? AND last_id >= ?",
        )
        .bind(id)
        .bind(id)
        .bind(id)
        .fetch_optional(&self.db)
        .await?
        .map(|r| r.get(0)))
    }
}

/// Runs of consecutive ids as (start position, length).
fn runs(ids: &[i64]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut s = 0;
    for i in 1..=ids.len() {
        if i == ids.len() || ids[i] != ids[i - 1] + 1 {
            out.push((s, i - s));
            s = i;
        }
    }
    out
}

impl From<Problem> for Error {
    fn from(p: Problem) -> Error {
        Error::BadRequest(format!("line {}: {}", p.line, p.message))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn runs_of_ids() {
        assert_eq!(
            super::runs(&[1, 2, 3, 7, 8, 10]),
            vec![(0, 3), (3, 2), (5, 1)]
        );
        assert!(super::runs(&[]).is_empty());
    }
}
