//! The one writer of look-ups, with group commit: batches that arrive while a transaction is
//! being written wait in a queue, and the next writer takes all of them into one transaction
//! (each batch in a savepoint of its own, so a batch with a conflict is refused alone). Many
//! sources sending at once then share one commit, one fsync and one WAL copy of each touched
//! page, instead of paying for them batch by batch.
//!
//! The transaction runs in a task of its own that holds the connection: a client that hangs up
//! cannot cancel a commit that other batches are riding on.

use super::Ledger;
use super::ingest::{Ingested, Prepared, Problem};
use super::shipping::write_runs;
use crate::audit::{Audit, Event, Outcome};
use crate::clock;
use crate::error::{Error, Result};
use sqlx::Acquire;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Rows per multi-row INSERT (18 columns: well under SQLite's 32,766 parameters).
const ROWS_PER_INSERT: usize = 400;
/// Rows one transaction takes from the queue before it commits (later batches wait for the
/// next one), so that no single commit grows without bound.
const ROWS_PER_COMMIT: usize = 50_000;

/// A checked, prepared batch (empty: only record where shipped look-ups went).
#[derive(Default)]
pub(super) struct Batch {
    pub rows: Vec<Prepared>,
    /// Each row's line (file imports) or position.
    pub lines: Option<Vec<u64>>,
    pub source: String,
    /// Record an audit event for the batch: (actor, ip).
    pub audit: Option<(Option<i64>, String)>,
}

type Verdict = std::result::Result<Ingested, Vec<Problem>>;

struct Queued {
    batch: Batch,
    reply: oneshot::Sender<std::result::Result<Verdict, String>>,
}

/// The writer's state: the queue and the connection (None until first use, or after an error).
#[derive(Default)]
pub(super) struct Writer {
    queue: Mutex<Vec<Queued>>,
    conn: Arc<tokio::sync::Mutex<Option<sqlx::SqliteConnection>>>,
}

impl Ledger {
    /// Queues a batch and returns once the transaction that took it is committed.
    pub(super) async fn write(&self, batch: Batch) -> Result<Verdict> {
        let (reply, mut answer) = oneshot::channel();
        self.writer
            .queue
            .lock()
            .expect("writer queue")
            .push(Queued { batch, reply });
        loop {
            let conn = self.writer.conn.clone().lock_owned().await;
            // A writer before us may have taken our batch along.
            match answer.try_recv() {
                Ok(done) => return done.map_err(Error::Internal),
                Err(oneshot::error::TryRecvError::Closed) => {
                    return Err(Error::Internal("look-up batch was not written".into()));
                }
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            let group = {
                let mut q = self.writer.queue.lock().expect("writer queue");
                let mut rows = 0;
                let mut n = 0;
                while n < q.len() && (n == 0 || rows + q[n].batch.rows.len() <= ROWS_PER_COMMIT) {
                    rows += q[n].batch.rows.len();
                    n += 1;
                }
                q.drain(..n).collect::<Vec<_>>()
            };
            let this = self.clone();
            tokio::spawn(async move { this.commit_group(conn, group).await })
                .await
                .map_err(|e| Error::Internal(format!("look-up writer: {e}")))?;
            // Not taken when the group was full: go round again.
        }
    }

    async fn commit_group(
        &self,
        mut slot: tokio::sync::OwnedMutexGuard<Option<sqlx::SqliteConnection>>,
        group: Vec<Queued>,
    ) {
        let conn = match slot.take() {
            Some(c) => Ok(c),
            None => self.db.acquire().await.map(|c| c.detach()),
        };
        let result = match conn {
            Ok(mut conn) => {
                let r = self.commit_batches(&mut conn, &group).await;
                // After an error the connection may be mid-transaction: a fresh one next time.
                if r.is_ok() {
                    *slot = Some(conn);
                }
                r
            }
            Err(e) => Err(e.into()),
        };
        drop(slot);
        match result {
            Ok(verdicts) => {
                for (q, v) in group.into_iter().zip(verdicts) {
                    let _ = q.reply.send(Ok(v));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "look-up batches not written");
                for q in group {
                    let _ = q.reply.send(Err(e.to_string()));
                }
            }
        }
    }

    /// One transaction for the whole group; each batch all or nothing within it.
    async fn commit_batches(
        &self,
        conn: &mut sqlx::SqliteConnection,
        group: &[Queued],
    ) -> Result<Vec<Verdict>> {
        let now = clock::now();
        let mut tx = sqlx::Connection::begin_with(conn, "BEGIN IMMEDIATE").await?;
        let mut verdicts = Vec::with_capacity(group.len());
        let mut days = BTreeSet::new();
        for q in group {
            let b = &q.batch;
            let mut sp = tx.begin().await?;
            let (out, problems, ids, new_days) = insert_batch(&mut sp, b, now).await?;
            if !problems.is_empty() {
                sp.rollback().await?;
                verdicts.push(Err(problems));
                continue;
            }
            if let Some((actor, ip)) = &b.audit
                && out.accepted > 0
            {
                Audit::record_in(
                    &mut sp,
                    &Event::new(*actor, "lookups.ingest", Outcome::Ok)
                        .target(b.source.clone())
                        .ip(ip)
                        .detail(serde_json::json!({
                            "accepted": out.accepted,
                            "duplicates": out.duplicates,
                            "first_id": ids.map(|i| i.0),
                            "last_id": ids.map(|i| i.1),
                        })),
                )
                .await?;
            }
            sp.commit().await?;
            days.extend(new_days);
            verdicts.push(Ok(out));
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
        let runs = std::mem::take(&mut *self.runs.lock().expect("runs lock"));
        if let Err(e) = write_runs(&mut tx, &runs).await {
            self.runs.lock().expect("runs lock").extend(runs);
            return Err(e);
        }
        if let Err(e) = tx.commit().await {
            self.runs.lock().expect("runs lock").extend(runs);
            return Err(e.into());
        }
        Ok(verdicts)
    }
}

/// Inserts one batch's rows: what was new, the conflicts, and the first and last new ids.
async fn insert_batch(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    b: &Batch,
    now: i64,
) -> Result<(Ingested, Vec<Problem>, Option<(i64, i64)>, BTreeSet<i64>)> {
    let line = |i: usize| {
        b.lines
            .as_ref()
            .and_then(|l| l.get(i).copied())
            .unwrap_or(i as u64)
    };
    let mut out = Ingested::default();
    let mut problems = Vec::new();
    let mut ids: Option<(i64, i64)> = None;
    let mut days = BTreeSet::new();
    for (c, chunk) in b.rows.chunks(ROWS_PER_INSERT).enumerate() {
        let mut qb: sqlx::QueryBuilder<sqlx::Sqlite> = sqlx::QueryBuilder::new(
            "INSERT INTO lookups (system, event_id, at, day, operator, operator_id, unit_id,
               subject_key, subject_sealed, subject_masked, action, reason_code, reason_text,
               case_no, terminal, source, received_at, row_sha256) ",
        );
        qb.push_values(chunk, |mut q, p| {
            q.push_bind(&p.r.system)
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
                .push_bind(&b.source)
                .push_bind(now)
                .push_bind(&p.row_hash);
        });
        qb.push(" ON CONFLICT (system, event_id) DO NOTHING");
        let done = qb.build().execute(&mut **tx).await?;
        // Inside the write transaction new rows get consecutive ids (max + 1 each), so the
        // new ones are exactly the last `n` ids; anything else was there before.
        let n = done.rows_affected() as i64;
        let new_ids = done.last_insert_rowid() - n + 1..=done.last_insert_rowid();
        if n > 0 {
            out.accepted += n as usize;
            let (f, l) = (*new_ids.start(), *new_ids.end());
            ids = Some(ids.map_or((f, l), |(a, b)| (a.min(f), b.max(l))));
        }
        if n as usize == chunk.len() {
            days.extend(chunk.iter().map(|p| p.day));
            continue;
        }
        for (k, p) in chunk.iter().enumerate() {
            let (id, before): (i64, Vec<u8>) = sqlx::query_as(
                "SELECT id, row_sha256 FROM lookups WHERE system = ? AND event_id = ?",
            )
            .bind(&p.r.system)
            .bind(&p.r.event_id)
            .fetch_one(&mut **tx)
            .await?;
            if new_ids.contains(&id) {
                days.insert(p.day);
                continue;
            }
            if before == p.row_hash {
                out.duplicates += 1;
            } else {
                problems.push(Problem {
                    line: line(c * ROWS_PER_INSERT + k),
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
    Ok((out, problems, ids, days))
}
