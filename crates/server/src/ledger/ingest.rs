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

/// A row ready to insert.
struct Prepared<'a> {
    r: &'a RawLookup,
    day: i64,
    op_id: Option<i64>,
    unit_id: Option<i64>,
    key: [u8; 16],
    sealed: Vec<u8>,
    masked: String,
    case_no: String,
    row_hash: Vec<u8>,
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
        rows: &[RawLookup],
        lines: Option<&[u64]>,
        source: &str,
        actor: Option<i64>,
        ip: &str,
        audited: bool,
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
        // Everything per row that needs no database first (keys, seals, hashes), off the
        // writer's time.
        let mut prepared = Vec::with_capacity(rows.len());
        for r in rows {
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
            let (op_id, unit_id) = operators
                .get(r.operator.as_str())
                .copied()
                .unwrap_or_default();
            prepared.push(Prepared {
                r,
                day: self.day_of(r.at),
                op_id,
                unit_id,
                key,
                sealed,
                masked: mask_subject(&r.subject_id),
                case_no,
                row_hash: row_hash.to_vec(),
            });
        }
        let (mut first_id, mut last_id): (Option<i64>, Option<i64>) = (None, None);
        let mut writer = self.writer.lock().await;
        // Taken out while in use: on any error it is dropped and a fresh one is made next time.
        let mut conn = match writer.take() {
            Some(c) => c,
            None => self.db.acquire().await?.detach(),
        };
        let mut tx = sqlx::Connection::begin_with(&mut conn, "BEGIN IMMEDIATE").await?;
        // Multi-row inserts: one statement per 400 rows instead of one round trip per row.
        for (c, chunk) in prepared.chunks(400).enumerate() {
            let mut qb: sqlx::QueryBuilder<sqlx::Sqlite> = sqlx::QueryBuilder::new(
                "INSERT INTO lookups (system, event_id, at, day, operator, operator_id, unit_id,
                   subject_key, subject_sealed, subject_masked, action, reason_code, reason_text,
                   case_no, terminal, source, received_at, row_sha256) ",
            );
            qb.push_values(chunk, |mut b, p| {
                b.push_bind(&p.r.system)
                    .push_bind(&p.r.event_id)
                    .push_bind(p.r.at)
                    .push_bind(p.day)
                    .push_bind(&p.r.operator)
                    .push_bind(p.op_id)
                    .push_bind(p.unit_id)
                    .push_bind(&p.key[..])
                    .push_bind(&p.sealed)
                    .push_bind(&p.masked)
                    .push_bind(p.r.action.as_str())
                    .push_bind(p.r.reason_code.trim())
                    .push_bind(&p.r.reason_text)
                    .push_bind(&p.case_no)
                    .push_bind(&p.r.terminal)
                    .push_bind(source)
                    .push_bind(now)
                    .push_bind(&p.row_hash);
            });
            qb.push(" ON CONFLICT (system, event_id) DO NOTHING RETURNING id, event_id, system");
            let stored: HashMap<(String, String), i64> = qb
                .build()
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .map(|row| ((row.get(2), row.get(1)), row.get(0)))
                .collect();
            for (k, p) in chunk.iter().enumerate() {
                let i = c * 400 + k;
                if let Some(id) = stored.get(&(p.r.system.clone(), p.r.event_id.clone())) {
                    out.accepted += 1;
                    first_id = Some(first_id.map_or(*id, |f: i64| f.min(*id)));
                    last_id = Some(last_id.map_or(*id, |l: i64| l.max(*id)));
                    days.insert(p.day);
                    continue;
                }
                let before: Vec<u8> =
                    sqlx::query("SELECT row_sha256 FROM lookups WHERE system = ? AND event_id = ?")
                        .bind(&p.r.system)
                        .bind(&p.r.event_id)
                        .fetch_one(&mut *tx)
                        .await?
                        .get(0);
                if before == p.row_hash {
                    out.duplicates += 1;
                } else {
                    problems.push(Problem {
                        line: line(i),
                        event_id: p.r.event_id.clone(),
                        message: format!(
                            "event_id {} of {} was already received with other content",
                            p.r.event_id, p.r.system
                        ),
                        conflict: true,
                    });
                }
            }
        }
        if !problems.is_empty() {
            tx.rollback().await?;
            *writer = Some(conn);
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
        if out.accepted > 0 && audited {
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
        let runs = std::mem::take(&mut *self.runs.lock().expect("runs lock"));
        if let Err(e) = write_runs(&mut tx, &runs).await {
            self.runs.lock().expect("runs lock").extend(runs);
            return Err(e);
        }
        if let Err(e) = tx.commit().await {
            self.runs.lock().expect("runs lock").extend(runs);
            return Err(e.into());
        }
        *writer = Some(conn);
        drop(writer);
        self.ship().await?;
        if audited {
            self.audit.ship().await?;
        }
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

    /// Appends every look-up not yet in the log, in id order, and notes where they went.
    /// Without the log (another process holds it) the rows wait; that process ships them.
    pub async fn ship(&self) -> Result<()> {
        let Some(log) = self.audit.log() else {
            return Ok(());
        };
        let mut mark = self.shipping.lock().await;
        loop {
            let from = match *mark {
                Some(m) => m,
                None => {
                    let m: i64 = sqlx::query("SELECT COALESCE(MAX(last_id), 0) FROM lookup_log")
                        .fetch_one(&self.db)
                        .await?
                        .get(0);
                    let pending = self
                        .runs
                        .lock()
                        .expect("runs lock")
                        .iter()
                        .map(|r| r.1)
                        .max();
                    m.max(pending.unwrap_or(0))
                }
            };
            let rows = sqlx::query(
                "SELECT id, at, row_sha256 FROM lookups WHERE id > ? ORDER BY id LIMIT 50000",
            )
            .bind(from)
            .fetch_all(&self.db)
            .await?;
            if rows.is_empty() {
                *mark = Some(from);
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
            let mut pending = self.runs.lock().expect("runs lock");
            for (start, len) in runs(&ids) {
                pending.push((ids[start], ids[start + len - 1], first + start as i64));
            }
            *mark = ids.last().copied();
        }
    }

    /// Writes where shipped look-ups went (the server does so every few seconds).
    pub async fn flush(&self) -> Result<()> {
        let runs = std::mem::take(&mut *self.runs.lock().expect("runs lock"));
        if runs.is_empty() {
            return Ok(());
        }
        let mut tx = self.db.begin().await?;
        let done = write_runs(&mut tx, &runs).await;
        let done = match done {
            Ok(()) => tx.commit().await.map_err(Error::from),
            Err(e) => Err(e),
        };
        if done.is_err() {
            self.runs.lock().expect("runs lock").extend(runs);
        }
        done
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
        if let Some(r) = self
            .runs
            .lock()
            .expect("runs lock")
            .iter()
            .find(|r| r.0 <= id && id <= r.1)
        {
            return Ok(Some(r.2 + (id - r.0)));
        }
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

async fn write_runs(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    runs: &[(i64, i64, i64)],
) -> Result<()> {
    for (first, last, index) in runs {
        sqlx::query("INSERT INTO lookup_log (first_id, last_id, first_index) VALUES (?, ?, ?)")
            .bind(first)
            .bind(last)
            .bind(index)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
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
