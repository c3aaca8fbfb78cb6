//! Shipping look-ups to the tamper-evident log after they are committed, and remembering where
//! each run of ids went (written with the next transaction, so the log position costs no
//! extra commit; a crash in between is repaired at start-up from the log itself).

use super::Ledger;
use super::hex;
use super::ingest::LookupEntry;
use crate::error::Result;
use sqlx::Row;

impl Ledger {
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

    /// Writes where shipped look-ups went (the server does so every few seconds). Through the
    /// look-up writer, so it never waits on (or holds up) an ingesting transaction for SQLite's
    /// write lock; when look-ups are flowing it rides along with their next commit.
    pub async fn flush(&self) -> Result<()> {
        if self.runs.lock().expect("runs lock").is_empty() {
            return Ok(());
        }
        self.write(super::writer::Batch::default())
            .await
            .map(|_| ())
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

pub(super) async fn write_runs(
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
pub(super) fn runs(ids: &[i64]) -> Vec<(usize, usize)> {
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
