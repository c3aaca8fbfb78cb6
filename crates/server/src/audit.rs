//! Audit: every state change is a row in `audit_events` (written in the same transaction as the
//! change) and an entry in the tamper-evident log (shipped right after commit, before the
//! request is answered; rows left unshipped by a crash are shipped at start-up).
//!
//! The log entry holds no personal data: ids, the action, the outcome, and the SHA-256 of the
//! full row (which has the IP address and details), so the log also vouches for the row.

use crate::clock;
use crate::db::Db;
use crate::error::Result;
use baomi_tlog::Log;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{Row, Sqlite, Transaction};
use std::sync::Arc;

/// Outcome of an audited action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Done.
    Ok,
    /// Refused (wrong password, wrong role ...).
    Denied,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
        }
    }
}

/// One event to record.
#[derive(Clone, Debug)]
pub struct Event {
    /// Who did it (None: the system, or an unknown user at sign-in).
    pub actor: Option<i64>,
    /// Stable action name, e.g. `auth.sign_in`.
    pub action: &'static str,
    /// What it concerned, as ids (`user:12`).
    pub target: String,
    /// Done or refused.
    pub outcome: Outcome,
    /// Client address.
    pub ip: String,
    /// Details (no message content).
    pub detail: serde_json::Value,
}

impl Event {
    /// A new event with empty target, ip and detail.
    pub fn new(actor: Option<i64>, action: &'static str, outcome: Outcome) -> Event {
        Event {
            actor,
            action,
            target: String::new(),
            outcome,
            ip: String::new(),
            detail: serde_json::json!({}),
        }
    }

    /// Sets the target.
    pub fn target(mut self, t: impl Into<String>) -> Event {
        self.target = t.into();
        self
    }

    /// Sets the client address.
    pub fn ip(mut self, ip: impl Into<String>) -> Event {
        self.ip = ip.into();
        self
    }

    /// Sets the details.
    pub fn detail(mut self, d: serde_json::Value) -> Event {
        self.detail = d;
        self
    }
}

#[derive(Serialize)]
struct FullRow<'a> {
    id: i64,
    at: i64,
    actor: Option<i64>,
    action: &'a str,
    target: &'a str,
    outcome: &'a str,
    ip: &'a str,
    detail: &'a str,
}

/// The log entry of a row: canonical JSON, fields in this order.
#[derive(Serialize, serde::Deserialize)]
pub struct LogEntry {
    /// Format version.
    pub v: u32,
    /// Row id in `audit_events`.
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    /// Actor user id.
    pub actor: Option<i64>,
    /// Action name.
    pub action: String,
    /// Target ids.
    pub target: String,
    /// ok / denied.
    pub outcome: String,
    /// SHA-256 (hex) of the row's canonical JSON, IP address and details included.
    pub row_sha256: String,
}

fn row_hash(r: &FullRow<'_>) -> String {
    let bytes = serde_json::to_vec(r).expect("serialisable");
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The audit service.
#[derive(Clone)]
pub struct Audit {
    db: Db,
    // None when another process (the running server) holds the log: rows then wait in the
    // outbox and that process ships them.
    log: Option<Arc<Log>>,
    shipping: Arc<tokio::sync::Mutex<()>>,
}

impl Audit {
    /// A service writing to `db` and `log`.
    pub fn new(db: Db, log: Option<Arc<Log>>) -> Audit {
        Audit {
            db,
            log,
            shipping: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// The log, when this process writes it.
    pub fn log(&self) -> Option<&Arc<Log>> {
        self.log.as_ref()
    }

    /// Records an event inside the caller's transaction (shipped by [`Audit::ship`] after
    /// commit).
    pub async fn record_in(tx: &mut Transaction<'_, Sqlite>, e: &Event) -> Result<i64> {
        let detail = e.detail.to_string();
        let id = sqlx::query(
            "INSERT INTO audit_events (at, actor_id, action, target, outcome, ip, detail)
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(clock::now())
        .bind(e.actor)
        .bind(e.action)
        .bind(&e.target)
        .bind(e.outcome.as_str())
        .bind(&e.ip)
        .bind(&detail)
        .fetch_one(&mut **tx)
        .await?
        .get(0);
        Ok(id)
    }

    /// Records an event on its own and waits until it is in the log.
    pub async fn record(&self, e: Event) -> Result<()> {
        let mut tx = self.db.begin().await?;
        Audit::record_in(&mut tx, &e).await?;
        tx.commit().await?;
        self.ship().await
    }

    /// Appends every unshipped row to the log, in id order, and waits until durable.
    pub async fn ship(&self) -> Result<()> {
        let Some(log) = &self.log else {
            return Ok(());
        };
        let _one = self.shipping.lock().await;
        let rows = sqlx::query(
            "SELECT id, at, actor_id, action, target, outcome, ip, detail FROM audit_events
             WHERE log_index IS NULL ORDER BY id LIMIT 10000",
        )
        .fetch_all(&self.db)
        .await?;
        if rows.is_empty() {
            return Ok(());
        }
        let mut entries = Vec::with_capacity(rows.len());
        let mut ids = Vec::with_capacity(rows.len());
        for r in &rows {
            let (id, at): (i64, i64) = (r.get(0), r.get(1));
            let actor: Option<i64> = r.get(2);
            let (action, target, outcome, ip, detail): (String, String, String, String, String) =
                (r.get(3), r.get(4), r.get(5), r.get(6), r.get(7));
            let full = FullRow {
                id,
                at,
                actor,
                action: &action,
                target: &target,
                outcome: &outcome,
                ip: &ip,
                detail: &detail,
            };
            let entry = LogEntry {
                v: 1,
                id,
                at,
                actor,
                action: action.clone(),
                target: target.clone(),
                outcome: outcome.clone(),
                row_sha256: row_hash(&full),
            };
            entries.push(serde_json::to_vec(&entry).expect("serialisable"));
            ids.push(id);
        }
        let first = log.submit(entries)?.wait_async().await?;
        let mut tx = self.db.begin().await?;
        for (k, id) in ids.iter().enumerate() {
            sqlx::query("UPDATE audit_events SET log_index = ? WHERE id = ?")
                .bind((first + k as u64) as i64)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// At start-up: links rows whose entries reached the log before a crash (so they are not
    /// appended twice), then ships the rest.
    pub async fn recover(&self, public_dir: &std::path::Path) -> Result<()> {
        let Some(log) = &self.log else {
            return Ok(());
        };
        let known: Option<i64> = sqlx::query("SELECT MAX(log_index) FROM audit_events")
            .fetch_one(&self.db)
            .await?
            .get(0);
        let size = log.head().size;
        let mut next = known.map_or(0, |k| k as u64 + 1);
        let store = baomi_tlog::store::DirStore::new(public_dir);
        while next < size {
            let bundle = baomi_tlog::reader::read_bundle(&store, next / 256, size)?;
            let entry = &bundle[(next % 256) as usize];
            if let Ok(e) = serde_json::from_slice::<LogEntry>(entry) {
                sqlx::query(
                    "UPDATE audit_events SET log_index = ? WHERE id = ? AND log_index IS NULL",
                )
                .bind(next as i64)
                .bind(e.id)
                .execute(&self.db)
                .await?;
            }
            next += 1;
        }
        self.ship().await
    }
}
