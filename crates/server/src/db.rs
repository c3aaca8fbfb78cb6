//! The database: SQLite in the data folder (WAL, synchronous commits), ordered migrations.
//!
//! SQL stays portable (integers for times, no SQLite-only types) so that PostgreSQL can follow.

use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::path::Path;
use std::time::Duration;

/// The connection pool.
pub type Db = SqlitePool;

/// Migrations in order; each runs once, in a transaction, and its checksum is kept so that an
/// edited migration is refused instead of silently diverging.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "foundation",
        include_str!("../migrations/0001_foundation.sql"),
    ),
    (
        2,
        "second_factor",
        include_str!("../migrations/0002_second_factor.sql"),
    ),
    (
        3,
        "api_tokens",
        include_str!("../migrations/0003_api_tokens.sql"),
    ),
    (4, "lookups", include_str!("../migrations/0004_lookups.sql")),
    (
        5,
        "lookup_subject_by_day",
        include_str!("../migrations/0005_lookup_subject_by_day.sql"),
    ),
    (
        6,
        "messenger",
        include_str!("../migrations/0006_messenger.sql"),
    ),
];

/// Opens (creating if needed) the database file and applies pending migrations.
pub async fn open(path: &Path) -> Result<Db> {
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // An acknowledged change survives power loss.
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        // Statement journals in memory and a larger page cache: a 1,000-row batch into the
        // look-up ledger otherwise spills to temporary files and rereads index pages.
        .pragma("temp_store", "memory")
        .pragma("cache_size", "-32768")
        // Checkpoints of a 40 MB WAL rather than 4 MB: fewer stalls in a writer's commit.
        .pragma("wal_autocheckpoint", "10000")
        // Index pages read through the map, not a pread and a copy each.
        .pragma("mmap_size", "1073741824")
        .busy_timeout(Duration::from_secs(10));
    let db = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(opts)
        .await?;
    migrate(&db).await?;
    Ok(db)
}

fn checksum(sql: &str) -> String {
    Sha256::digest(sql.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Applies pending migrations.
pub async fn migrate(db: &Db) -> Result<()> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL,
            applied_at BIGINT NOT NULL)",
    )
    .execute(db)
    .await?;
    let applied = sqlx::query("SELECT version, checksum FROM schema_migrations ORDER BY version")
        .fetch_all(db)
        .await?;
    for row in &applied {
        let v: i64 = row.get(0);
        let sum: String = row.get(1);
        match MIGRATIONS.iter().find(|m| m.0 == v) {
            Some(m) if checksum(m.2) == sum => {}
            Some(m) => {
                return Err(Error::Internal(format!(
                    "migration {v} ({}) was changed after it was applied",
                    m.1
                )));
            }
            None => {
                return Err(Error::Internal(format!(
                    "the database has migration {v}, unknown to this version of baomi (newer?)"
                )));
            }
        }
    }
    for (v, name, sql) in MIGRATIONS {
        if applied.iter().any(|r| r.get::<i64, _>(0) == *v) {
            continue;
        }
        let mut tx = db.begin().await?;
        // Our own embedded migration text, not user input.
        sqlx::raw_sql(sqlx::AssertSqlSafe(*sql))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
        )
        .bind(v)
        .bind(name)
        .bind(checksum(sql))
        .bind(crate::clock::now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(version = v, name, "migration applied");
    }
    Ok(())
}
