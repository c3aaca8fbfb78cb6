//! The daily review (逐筆核章): a supervisor sees their people's look-ups day by day, flagged
//! ones first with the reason; signs each entry or the whole day with a remark, asks the
//! operator (who answers in the interface), or escalates to the integrity office, which works
//! a queue ranked by risk and closes escalations with a conclusion. Sign-offs and conclusions
//! are final; every step is kept and goes into the tamper-evident log. Overdue days show to
//! the supervisor's own supervisor and to integrity officers.
//!
//! Who sees what: a supervisor, the look-ups of the people whose supervisor they are (org
//! chart); an operator, their own; integrity officers, all, and only they see a subject in
//! clear, each time logged. Administrators see none.

use super::{Ledger, hex};
use crate::accounts::{Role, User};
use crate::audit::{Audit, Event, Outcome};
use crate::clock;
use crate::error::{Error, Result};
use serde::Serialize;
use sqlx::Row;

/// A review step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Supervisor signs (final).
    Sign,
    /// Supervisor asks the operator.
    Ask,
    /// Operator answers.
    Answer,
    /// Supervisor (or integrity officer) hands it to the integrity office.
    Escalate,
    /// Integrity officer concludes (final).
    Close,
}

impl Step {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Sign => "sign",
            Step::Ask => "ask",
            Step::Answer => "answer",
            Step::Escalate => "escalate",
            Step::Close => "close",
        }
    }

    /// Parses a stable name.
    pub fn parse(s: &str) -> Option<Step> {
        [
            Step::Sign,
            Step::Ask,
            Step::Answer,
            Step::Escalate,
            Step::Close,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }

    /// The state a step leads to.
    fn state(self) -> &'static str {
        match self {
            Step::Sign => "signed",
            Step::Ask => "asked",
            Step::Answer => "answered",
            Step::Escalate => "escalated",
            Step::Close => "closed",
        }
    }

    /// States the step may start from.
    fn from(self) -> &'static [&'static str] {
        match self {
            Step::Sign => &["pending", "asked", "answered"],
            Step::Ask => &["pending", "answered"],
            Step::Answer => &["asked"],
            Step::Escalate => &["pending", "asked", "answered"],
            Step::Close => &["escalated"],
        }
    }
}

/// One step in an entry's thread.
#[derive(Debug, Clone, Serialize)]
pub struct ThreadStep {
    /// Who.
    pub actor: String,
    /// Step name.
    pub step: String,
    /// Remark, question, answer or conclusion.
    pub remark: String,
    /// When.
    pub at: i64,
}

/// A look-up as the review pages show it (subject masked).
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Row id.
    pub id: i64,
    /// When.
    pub at: i64,
    /// Operator as reported.
    pub operator: String,
    /// Operator's name (org chart).
    pub operator_name: Option<String>,
    /// Operator's unit name.
    pub unit: Option<String>,
    /// System.
    pub system: String,
    /// Action.
    pub action: String,
    /// Subject, masked.
    pub subject: String,
    /// Reason code.
    pub reason_code: String,
    /// Reason text.
    pub reason_text: String,
    /// Case number.
    pub case_no: String,
    /// Terminal.
    pub terminal: String,
    /// Flag score.
    pub score: Option<i64>,
    /// Rules that fired.
    pub rules: Vec<String>,
    /// Why flagged.
    pub explanation: String,
    /// Review state.
    pub state: String,
    /// Review steps so far.
    pub thread: Vec<ThreadStep>,
}

/// One day of a supervisor's people.
#[derive(Debug, Clone, Serialize)]
pub struct DaySummary {
    /// Local day number.
    pub day: i64,
    /// Look-ups.
    pub total: i64,
    /// Flagged.
    pub flagged: i64,
    /// Still to sign.
    pub open: i64,
    /// Past its due day with entries still open.
    pub overdue: bool,
}

/// An overdue day of some supervisor.
#[derive(Debug, Clone, Serialize)]
pub struct Overdue {
    /// Supervisor's name.
    pub supervisor: String,
    /// Local day number.
    pub day: i64,
    /// Entries still open.
    pub open: i64,
}

/// An operator's combined risk over a period.
#[derive(Debug, Clone, Serialize)]
pub struct Risk {
    /// Operator.
    pub operator: String,
    /// Name.
    pub name: Option<String>,
    /// Flags.
    pub flags: i64,
    /// Sum of scores.
    pub score: i64,
}

pub(crate) const ENTRY_SELECT: &str =
    "SELECT l.id, l.at, l.operator, u.display_name, n.name, l.system, l.action,
        l.subject_masked, l.reason_code, l.reason_text, l.case_no, l.terminal, f.score, f.rules,
        f.explanation, l.review_state
    FROM lookups l LEFT JOIN users u ON u.id = l.operator_id LEFT JOIN units n ON n.id = u.unit_id
    LEFT JOIN lookup_flags f ON f.lookup_id = l.id";

pub(crate) fn entry(r: &sqlx::sqlite::SqliteRow) -> Entry {
    Entry {
        id: r.get(0),
        at: r.get(1),
        operator: r.get(2),
        operator_name: r.get(3),
        unit: r.get(4),
        system: r.get(5),
        action: r.get(6),
        subject: r.get(7),
        reason_code: r.get(8),
        reason_text: r.get(9),
        case_no: r.get(10),
        terminal: r.get(11),
        score: r.get(12),
        rules: r
            .get::<Option<String>, _>(13)
            .map(|s| s.split(' ').map(str::to_string).collect())
            .unwrap_or_default(),
        explanation: r.get::<Option<String>, _>(14).unwrap_or_default(),
        state: r.get(15),
        thread: Vec::new(),
    }
}

const OPEN: &str = "('pending', 'asked', 'answered')";

impl Ledger {
    async fn threads(&self, entries: &mut [Entry]) -> Result<()> {
        // Only entries someone has acted on have a thread; one query per such entry is fine
        // (a day has few).
        for e in entries.iter_mut().filter(|e| e.state != "pending") {
            e.thread = sqlx::query(
                "SELECT COALESCE(u.display_name, ''), r.step, r.remark, r.at FROM lookup_reviews r
                 LEFT JOIN users u ON u.id = r.actor_id WHERE r.lookup_id = ? ORDER BY r.id",
            )
            .bind(e.id)
            .fetch_all(&self.db)
            .await?
            .iter()
            .map(|r| ThreadStep {
                actor: r.get(0),
                step: r.get(1),
                remark: r.get(2),
                at: r.get(3),
            })
            .collect();
        }
        Ok(())
    }

    fn due(&self, day: i64) -> bool {
        self.today() > day + self.cfg.review_due_days
    }

    /// A supervisor's days (most recent first, up to `limit`).
    pub async fn review_days(&self, supervisor: &User, limit: i64) -> Result<Vec<DaySummary>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT l.day, COUNT(*), COUNT(f.lookup_id), SUM(l.review_state IN {OPEN})
             FROM lookups l JOIN users u ON u.id = l.operator_id
             LEFT JOIN lookup_flags f ON f.lookup_id = l.id
             WHERE u.supervisor_id = ? GROUP BY l.day ORDER BY l.day DESC LIMIT ?"
        )))
        .bind(supervisor.id)
        .bind(limit)
        .fetch_all(&self.db)
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let (day, open): (i64, i64) = (r.get(0), r.get(3));
                DaySummary {
                    day,
                    total: r.get(1),
                    flagged: r.get(2),
                    open,
                    overdue: open > 0 && self.due(day),
                }
            })
            .collect())
    }

    /// A supervisor's day: flagged first (highest score first), then in time order.
    pub async fn review_day(&self, supervisor: &User, day: i64) -> Result<Vec<Entry>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ENTRY_SELECT} WHERE l.day = ? AND u.supervisor_id = ?
             ORDER BY f.score IS NULL, f.score DESC, l.at, l.id"
        )))
        .bind(day)
        .bind(supervisor.id)
        .fetch_all(&self.db)
        .await?;
        let mut v: Vec<Entry> = rows.iter().map(entry).collect();
        self.threads(&mut v).await?;
        Ok(v)
    }

    /// Questions waiting for an operator's answer, and their recent answered ones.
    pub async fn questions_for(&self, operator: &User) -> Result<Vec<Entry>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ENTRY_SELECT} WHERE l.operator_id = ? AND l.review_state IN ('asked', 'answered')
             ORDER BY l.review_state = 'answered', l.at DESC LIMIT 200"
        )))
        .bind(operator.id)
        .fetch_all(&self.db)
        .await?;
        let mut v: Vec<Entry> = rows.iter().map(entry).collect();
        self.threads(&mut v).await?;
        Ok(v)
    }

    /// Overdue days of the supervisors below `manager` (all supervisors for an integrity
    /// officer).
    pub async fn overdue(&self, manager: &User) -> Result<Vec<Overdue>> {
        let integrity = manager.has(Role::Integrity);
        let last_due = self.today() - self.cfg.review_due_days - 1;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT s.display_name, l.day, COUNT(*) FROM lookups l
             JOIN users u ON u.id = l.operator_id JOIN users s ON s.id = u.supervisor_id
             WHERE l.review_state IN {OPEN} AND l.day <= ? AND (? OR s.supervisor_id = ?)
             GROUP BY s.id, l.day ORDER BY l.day, s.display_name LIMIT 500"
        )))
        .bind(last_due)
        .bind(integrity)
        .bind(manager.id)
        .fetch_all(&self.db)
        .await?;
        Ok(rows
            .iter()
            .map(|r| Overdue {
                supervisor: r.get(0),
                day: r.get(1),
                open: r.get(2),
            })
            .collect())
    }

    /// The integrity office's queue: escalations first, then open flagged look-ups by score.
    pub async fn queue(&self, limit: i64) -> Result<Vec<Entry>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ENTRY_SELECT} WHERE l.review_state = 'escalated'
                OR (f.lookup_id IS NOT NULL AND l.review_state IN {OPEN})
             ORDER BY l.review_state <> 'escalated', f.score DESC, l.at DESC LIMIT ?"
        )))
        .bind(limit)
        .fetch_all(&self.db)
        .await?;
        let mut v: Vec<Entry> = rows.iter().map(entry).collect();
        self.threads(&mut v).await?;
        Ok(v)
    }

    /// Operators ranked by the sum of their flags' scores since `from_day`.
    pub async fn risk_ranking(&self, from_day: i64, limit: i64) -> Result<Vec<Risk>> {
        let rows = sqlx::query(
            "SELECT l.operator, MAX(u.display_name), COUNT(*), SUM(f.score) FROM lookup_flags f
             JOIN lookups l ON l.id = f.lookup_id LEFT JOIN users u ON u.id = l.operator_id
             WHERE f.day >= ? GROUP BY l.operator ORDER BY SUM(f.score) DESC LIMIT ?",
        )
        .bind(from_day)
        .bind(limit)
        .fetch_all(&self.db)
        .await?;
        Ok(rows
            .iter()
            .map(|r| Risk {
                operator: r.get(0),
                name: r.get(1),
                flags: r.get(2),
                score: r.get(3),
            })
            .collect())
    }

    /// Every look-up of a person (an integrity officer answering "who looked me up?"); logged.
    pub async fn by_subject(
        &self,
        officer: &User,
        subject_id: &str,
        ip: &str,
    ) -> Result<Vec<Entry>> {
        if !officer.has(Role::Integrity) {
            return Err(Error::Forbidden);
        }
        let key = self.keyer.key(subject_id);
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ENTRY_SELECT} WHERE l.day IN (SELECT day FROM lookup_days) AND l.subject_key = ?
             ORDER BY l.at DESC LIMIT 1000"
        )))
        .bind(&key[..])
        .fetch_all(&self.db)
        .await?;
        self.audit
            .record(
                Event::new(Some(officer.id), "lookups.search_subject", Outcome::Ok)
                    .target(format!("subject:{}", &hex(&key)[..12]))
                    .ip(ip)
                    .detail(serde_json::json!({ "results": rows.len() })),
            )
            .await?;
        Ok(rows.iter().map(entry).collect())
    }

    /// The subject of a look-up in clear, for an integrity officer; logged.
    pub async fn reveal(&self, officer: &User, id: i64, ip: &str) -> Result<String> {
        if !officer.has(Role::Integrity) {
            return Err(Error::Forbidden);
        }
        let r = sqlx::query("SELECT system, event_id, subject_sealed FROM lookups WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.db)
            .await?
            .ok_or(Error::NotFound)?;
        let (system, event_id): (String, String) = (r.get(0), r.get(1));
        let plain = self.sealer.open(
            &r.get::<Vec<u8>, _>(2),
            &format!("lookup:{system}:{event_id}"),
        )?;
        self.audit
            .record(
                Event::new(Some(officer.id), "lookups.reveal", Outcome::Ok)
                    .target(format!("lookup:{id}"))
                    .ip(ip),
            )
            .await?;
        String::from_utf8(plain).map_err(|_| Error::Internal("sealed subject is not UTF-8".into()))
    }

    /// Takes a review step on one look-up.
    pub async fn step(
        &self,
        actor: &User,
        id: i64,
        step: Step,
        remark: &str,
        ip: &str,
    ) -> Result<()> {
        let remark = remark.trim();
        if remark.chars().count() > 2000 {
            return Err(Error::BadRequest(
                "remark is longer than 2000 characters".into(),
            ));
        }
        let r = sqlx::query(
            "SELECT l.review_state, l.operator_id, u.supervisor_id, f.score FROM lookups l
             LEFT JOIN users u ON u.id = l.operator_id LEFT JOIN lookup_flags f ON f.lookup_id = l.id
             WHERE l.id = ?",
        )
        .bind(id)
        .fetch_optional(&self.db)
        .await?
        .ok_or(Error::NotFound)?;
        let (state, operator, supervisor, score): (String, Option<i64>, Option<i64>, Option<i64>) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        let reviewer = supervisor == Some(actor.id) && actor.has(Role::Supervisor);
        let integrity = actor.has(Role::Integrity);
        let allowed = match step {
            Step::Sign | Step::Ask => reviewer,
            Step::Answer => operator == Some(actor.id),
            Step::Escalate => reviewer || integrity,
            Step::Close => integrity,
        };
        if !allowed {
            // Not revealing whether the look-up exists to someone with no business with it.
            return Err(if reviewer || integrity || operator == Some(actor.id) {
                Error::Forbidden
            } else {
                Error::NotFound
            });
        }
        if !step.from().contains(&state.as_str()) {
            return Err(Error::Conflict(format!(
                "this look-up is {state}; {} is not possible now",
                step.as_str()
            )));
        }
        let needs_remark = match step {
            Step::Sign => score.is_some(),
            _ => true,
        };
        if needs_remark && remark.is_empty() {
            return Err(Error::BadRequest(
                "a remark is required (flagged entries are signed with a remark)".into(),
            ));
        }
        let mut tx = self.db.begin().await?;
        let n =
            sqlx::query("UPDATE lookups SET review_state = ? WHERE id = ? AND review_state = ?")
                .bind(step.state())
                .bind(id)
                .bind(&state)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if n != 1 {
            return Err(Error::Conflict("changed by someone else; reload".into()));
        }
        sqlx::query(
            "INSERT INTO lookup_reviews (lookup_id, actor_id, step, remark, at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(actor.id)
        .bind(step.as_str())
        .bind(remark)
        .bind(clock::now())
        .execute(&mut *tx)
        .await?;
        Audit::record_in(
            &mut tx,
            &Event::new(Some(actor.id), "lookups.review", Outcome::Ok)
                .target(format!("lookup:{id}"))
                .ip(ip)
                .detail(serde_json::json!({ "step": step.as_str(), "from": state })),
        )
        .await?;
        tx.commit().await?;
        self.audit.ship().await
    }

    /// Signs every open look-up of a supervisor's people on `day`; a remark is required when
    /// any of them is flagged. Returns how many were signed.
    pub async fn sign_day(&self, actor: &User, day: i64, remark: &str, ip: &str) -> Result<usize> {
        if !actor.has(Role::Supervisor) {
            return Err(Error::Forbidden);
        }
        let remark = remark.trim();
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT l.id, f.score FROM lookups l JOIN users u ON u.id = l.operator_id
             LEFT JOIN lookup_flags f ON f.lookup_id = l.id
             WHERE l.day = ? AND u.supervisor_id = ? AND l.review_state IN {OPEN} ORDER BY l.id"
        )))
        .bind(day)
        .bind(actor.id)
        .fetch_all(&self.db)
        .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let flagged = rows
            .iter()
            .filter(|r| r.get::<Option<i64>, _>(1).is_some())
            .count();
        if flagged > 0 && remark.is_empty() {
            return Err(Error::BadRequest(format!(
                "{flagged} flagged entries: a remark is required to sign the day"
            )));
        }
        let now = clock::now();
        let ids: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
        let mut tx = self.db.begin().await?;
        let mut digest = sha2::Sha256::default();
        for id in &ids {
            use sha2::Digest;
            let n = sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE lookups SET review_state = 'signed' WHERE id = ? AND review_state IN {OPEN}"
            )))
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n != 1 {
                return Err(Error::Conflict("changed by someone else; reload".into()));
            }
            sqlx::query(
                "INSERT INTO lookup_reviews (lookup_id, actor_id, step, remark, at) VALUES (?, ?, 'sign', ?, ?)",
            )
            .bind(id)
            .bind(actor.id)
            .bind(remark)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            digest.update(id.to_be_bytes());
        }
        use sha2::Digest;
        Audit::record_in(
            &mut tx,
            &Event::new(Some(actor.id), "lookups.sign_day", Outcome::Ok)
                .target(format!("day:{}", baomi_ledger::clock::day_string(day)))
                .ip(ip)
                .detail(serde_json::json!({
                    "signed": ids.len(),
                    "flagged": flagged,
                    "ids_sha256": hex(&digest.finalize()),
                })),
        )
        .await?;
        tx.commit().await?;
        self.audit.ship().await?;
        Ok(ids.len())
    }
}
