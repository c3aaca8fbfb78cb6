//! Judging days: a day's look-ups against the reference data and the operators' history (the
//! 28 days before, kept as aggregates), by the rules of `baomi-ledger`. Days are judged when
//! their look-ups change (the server does so every half minute, oldest first, so a day's
//! history is ready before it is needed); the verdict replaces the day's flags.

use super::{Ledger, hex};
use crate::audit::{Audit, Event, Outcome};
use crate::clock;
use crate::error::{Error, Result};
use baomi_ledger::{History, Lookup, rules};
use serde::Serialize;
use sqlx::Row;
use std::collections::HashMap;

/// Days of history the rules see.
pub const HISTORY_DAYS: i64 = 28;

/// Days of uncovered look-ups kept for the repeat rule (at least `repeat_subject_days` + 30).
pub const UNCOVERED_KEPT_DAYS: i64 = 60;

/// Seconds between two judgements of the day in progress by the server's timer.
pub const TODAY_EVERY: i64 = 300;

/// Rows per multi-row INSERT of a day's results (5 columns at most: far below SQLite's limit).
const INSERT_ROWS: usize = 500;

/// A judged day.
#[derive(Debug, Serialize)]
pub struct Judged {
    /// Local day number.
    pub day: i64,
    /// Look-ups.
    pub lookups: usize,
    /// Flagged.
    pub flagged: usize,
}

/// A flagged look-up as `baomi lookups flags` prints it.
#[derive(Debug, Serialize)]
pub struct FlagRow {
    /// Source's event id.
    pub event_id: String,
    /// System.
    pub system: String,
    /// Operator.
    pub operator: String,
    /// When (Unix seconds).
    pub at: i64,
    /// Rule names.
    pub rules: Vec<String>,
    /// Combined score.
    pub score: i64,
    /// Why, in zh-TW.
    pub explanation: String,
}

impl Ledger {
    /// Judges every day whose look-ups changed, oldest first.
    pub async fn evaluate_dirty(&self) -> Result<Vec<Judged>> {
        // No day is "in progress": every changed day is due.
        self.evaluate_changed(i64::MAX, i64::MAX).await
    }

    /// What the server judges every half minute: changed days, except that the day still in
    /// progress is judged again at most every [`TODAY_EVERY`] seconds (a national agency's day
    /// takes tens of seconds to judge, and it changes all day long).
    pub async fn evaluate_due(&self) -> Result<Vec<Judged>> {
        self.evaluate_changed(self.today(), clock::now() - TODAY_EVERY)
            .await
    }

    /// Changed days before `today`, and changed later days last judged before `stale`.
    async fn evaluate_changed(&self, today: i64, stale: i64) -> Result<Vec<Judged>> {
        let days: Vec<i64> = sqlx::query(
            "SELECT day FROM lookup_days WHERE dirty = 1
               AND (day < ? OR evaluated_at IS NULL OR evaluated_at < ?)
             ORDER BY day",
        )
        .bind(today)
        .bind(stale)
        .fetch_all(&self.db)
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
        let mut out = Vec::new();
        for d in days {
            out.push(self.evaluate_day(d).await?);
        }
        Ok(out)
    }

    /// Judges the oldest day whose look-ups changed, if any.
    pub async fn evaluate_next(&self) -> Result<Option<Judged>> {
        let day: Option<i64> =
            sqlx::query("SELECT day FROM lookup_days WHERE dirty = 1 ORDER BY day LIMIT 1")
                .fetch_optional(&self.db)
                .await?
                .map(|r| r.get(0));
        match day {
            Some(d) => Ok(Some(self.evaluate_day(d).await?)),
            None => Ok(None),
        }
    }

    /// Judges one day and stores its flags and history aggregates.
    pub async fn evaluate_day(&self, day: i64) -> Result<Judged> {
        let _one = self.evaluating.lock().await;
        // Cleared first: look-ups arriving while we judge mark the day again.
        sqlx::query(
            "INSERT INTO lookup_days (day, dirty) VALUES (?, 0) ON CONFLICT (day) DO UPDATE SET dirty = 0",
        )
        .bind(day)
        .execute(&self.db)
        .await?;
        // A national agency's day is 1.5 million rows: read through the bulk path, sorted here.
        let mut rows_in = super::bulk::day_lookups(&self.db, day).await?;
        rows_in.sort_unstable_by_key(|(id, l)| (l.at, *id));
        let (ids, lookups): (Vec<i64>, Vec<Lookup>) = rows_in.into_iter().unzip();
        let case_nos: std::collections::BTreeSet<&str> =
            lookups.iter().map(|l| l.case_no.as_str()).collect();
        let reference = self.reference_for(day, &case_nos).await?;
        drop(case_nos);
        let history = self.history_before(day).await?;
        let cfg = self.cfg.clone();
        let (flags, lookups, reference) = tokio::task::spawn_blocking(move || {
            let f = baomi_ledger::evaluate(&lookups, &reference, &history, &cfg);
            (f, lookups, reference)
        })
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;

        let off = self.cfg.offset();
        let mut per_op: HashMap<&str, [u32; 24]> = HashMap::new();
        for l in &lookups {
            per_op.entry(&l.operator).or_insert([0; 24])
                [baomi_ledger::clock::hour(l.at, off) as usize] += 1;
        }
        let mut tx = self.db.begin().await?;
        sqlx::query("DELETE FROM lookup_flags WHERE day = ?")
            .bind(day)
            .execute(&mut *tx)
            .await?;
        // Multi-row inserts: a national agency's day has millions of rows to write back.
        for chunk in flags.chunks(INSERT_ROWS) {
            let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO lookup_flags (lookup_id, day, score, rules, explanation) ",
            );
            q.push_values(chunk, |mut b, f| {
                b.push_bind(ids[f.index])
                    .push_bind(day)
                    .push_bind(f.score() as i64)
                    .push_bind(f.rules().join(" "))
                    .push_bind(f.explanation());
            });
            q.build().execute(&mut *tx).await?;
        }
        sqlx::query("DELETE FROM lookup_operator_days WHERE day = ?")
            .bind(day)
            .execute(&mut *tx)
            .await?;
        let per_op: Vec<_> = per_op.into_iter().collect();
        for chunk in per_op.chunks(INSERT_ROWS) {
            let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO lookup_operator_days (operator, day, count, hours) ",
            );
            q.push_values(chunk, |mut b, (op, hours)| {
                b.push_bind(*op)
                    .push_bind(day)
                    .push_bind(hours.iter().sum::<u32>() as i64)
                    .push_bind(
                        hours
                            .iter()
                            .map(u32::to_string)
                            .collect::<Vec<_>>()
                            .join(","),
                    );
            });
            q.build().execute(&mut *tx).await?;
        }
        // This day's, and those too old to matter to any day still likely to be judged again
        // (the repeat rule looks back days, not months): the table stays a few weeks long.
        sqlx::query("DELETE FROM lookup_uncovered WHERE day = ? OR day < ?")
            .bind(day)
            .bind(
                self.today()
                    - UNCOVERED_KEPT_DAYS.max(self.cfg.rules.repeat_subject_days as i64 + 30),
            )
            .execute(&mut *tx)
            .await?;
        let uncovered: Vec<&Lookup> = lookups
            .iter()
            .filter(|l| !rules::covered(l, &reference))
            .collect();
        for chunk in uncovered.chunks(INSERT_ROWS) {
            let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO lookup_uncovered (day, operator, subject_key, at) ",
            );
            q.push_values(chunk, |mut b, l| {
                b.push_bind(day)
                    .push_bind(&l.operator)
                    .push_bind(&l.subject[..])
                    .push_bind(l.at);
            });
            q.build().execute(&mut *tx).await?;
        }
        sqlx::query("UPDATE lookup_days SET evaluated_at = ? WHERE day = ?")
            .bind(clock::now())
            .bind(day)
            .execute(&mut *tx)
            .await?;
        let digest = {
            use sha2::{Digest, Sha256};
            let mut h = Sha256::new();
            for f in &flags {
                h.update(ids[f.index].to_be_bytes());
                h.update(f.rules().join(" ").as_bytes());
                h.update([0]);
            }
            hex(&h.finalize())
        };
        Audit::record_in(
            &mut tx,
            &Event::new(None, "lookups.evaluate", Outcome::Ok)
                .target(format!("day:{}", baomi_ledger::clock::day_string(day)))
                .detail(serde_json::json!({
                    "lookups": lookups.len(),
                    "flagged": flags.len(),
                    "flags_sha256": digest,
                })),
        )
        .await?;
        tx.commit().await?;
        self.audit.ship().await?;
        Ok(Judged {
            day,
            lookups: lookups.len(),
            flagged: flags.len(),
        })
    }

    async fn history_before(&self, day: i64) -> Result<History> {
        let mut h = History::default();
        for r in sqlx::query(
            "SELECT operator, count, hours FROM lookup_operator_days WHERE day >= ? AND day < ?
             ORDER BY day",
        )
        .bind(day - HISTORY_DAYS)
        .bind(day)
        .fetch_all(&self.db)
        .await?
        {
            let mut hours = [0u32; 24];
            for (k, v) in r.get::<&str, _>(2).split(',').enumerate().take(24) {
                hours[k] = v.parse().unwrap_or(0);
            }
            let _ = r.get::<i64, _>(1);
            h.add_day(r.get::<&str, _>(0), hours.iter().sum(), &hours);
        }
        let window = self.cfg.rules.repeat_subject_days as i64;
        for r in sqlx::query(
            "SELECT operator, subject_key, at FROM lookup_uncovered WHERE day >= ? AND day < ?",
        )
        .bind(day - window)
        .bind(day)
        .fetch_all(&self.db)
        .await?
        {
            let key: Vec<u8> = r.get(1);
            if let Ok(k) = <[u8; 16]>::try_from(key.as_slice()) {
                h.uncovered.entry((r.get(0), k)).or_default().push(r.get(2));
            }
        }
        Ok(h)
    }

    /// Flagged look-ups of the days `from..=to` (local day numbers), judging changed days first.
    pub async fn flags(&self, from: i64, to: i64) -> Result<Vec<FlagRow>> {
        self.evaluate_dirty().await?;
        let rows = sqlx::query(
            "SELECT l.event_id, l.system, l.operator, l.at, f.rules, f.score, f.explanation
             FROM lookup_flags f JOIN lookups l ON l.id = f.lookup_id
             WHERE f.day >= ? AND f.day <= ? ORDER BY l.at, l.id",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.db)
        .await?;
        Ok(rows
            .iter()
            .map(|r| FlagRow {
                event_id: r.get(0),
                system: r.get(1),
                operator: r.get(2),
                at: r.get(3),
                rules: r.get::<&str, _>(4).split(' ').map(str::to_string).collect(),
                score: r.get(5),
                explanation: r.get(6),
            })
            .collect())
    }
}
