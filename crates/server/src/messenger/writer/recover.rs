//! Start-up after a crash: events committed but not yet in the log are found in the log (if
//! they reached it) or shipped now, in order, so that every event is in the log exactly once.

use super::ChatEntry;
use crate::db::Db;
use crate::error::Result;
use baomi_tlog::Log;
use sqlx::Row;

/// At start-up: links events whose entries reached the log before a crash (so they are not
/// appended twice), then ships the rest, in order.
pub(crate) async fn recover(db: &Db, log: &Log, public_dir: &std::path::Path) -> Result<()> {
    let known: Option<i64> = sqlx::query_scalar("SELECT MAX(log_index) FROM conversation_events")
        .fetch_one(db)
        .await?;
    let size = log.head().size;
    let store = baomi_tlog::store::DirStore::new(public_dir);
    let mut at = known.map_or(0, |k| k as u64 + 1);
    let mut found = Vec::new();
    while at < size {
        let bundle = baomi_tlog::reader::read_bundle(&store, at / 256, size)?;
        for (k, entry) in bundle.iter().enumerate().skip((at % 256) as usize) {
            if let Ok(e) = serde_json::from_slice::<ChatEntry>(entry)
                && e.kind == "chat"
            {
                found.push((e.seq, (at / 256 * 256) as i64 + k as i64));
            }
        }
        at = (at / 256 + 1) * 256;
    }
    if !found.is_empty() {
        let mut tx = db.begin().await?;
        for (seq, index) in &found {
            sqlx::query(
                "UPDATE conversation_events SET log_index = ? WHERE seq = ? AND log_index IS NULL",
            )
            .bind(index)
            .bind(seq)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        tracing::info!(
            entries = found.len(),
            "conversation events found in the log after a restart"
        );
    }
    loop {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM conversation_events WHERE log_index IS NULL ORDER BY seq LIMIT 10000",
            super::EVENT_COLUMNS
        )))
        .fetch_all(db)
        .await?;
        if rows.is_empty() {
            return Ok(());
        }
        let entries = rows
            .iter()
            .map(|r| serde_json::to_vec(&ChatEntry::from_row(r)).expect("serialisable"))
            .collect();
        let first = log.submit(entries)?.wait_async().await? as i64;
        let mut tx = db.begin().await?;
        for (k, r) in rows.iter().enumerate() {
            sqlx::query("UPDATE conversation_events SET log_index = ? WHERE seq = ?")
                .bind(first + k as i64)
                .bind(r.get::<i64, _>(0))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
}
