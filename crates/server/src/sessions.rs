//! Browser sessions. The cookie carries a random token; the database keeps only its SHA-256, so a
//! stolen database copy cannot be replayed. Idle and absolute timeouts; revocable one by one.

use crate::clock;
use crate::db::Db;
use crate::error::{Error, Result};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use sha2::{Digest, Sha256};
use sqlx::Row;

/// A live session.
#[derive(Clone, Debug)]
pub struct Session {
    /// Id safe to show and to use in URLs (not the token).
    pub public_id: String,
    /// Owner.
    pub user_id: i64,
    /// Token forms must echo.
    pub csrf: String,
    /// Created.
    pub created_at: i64,
    /// Last request.
    pub last_seen_at: i64,
    /// Browser.
    pub user_agent: String,
    /// Address at creation.
    pub ip: String,
    /// The second factor was given in this session.
    pub second_factor: bool,
}

/// Random URL-safe token of 32 bytes.
pub fn random_token() -> Result<String> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| Error::Internal(format!("randomness: {e}")))?;
    Ok(B64.encode(b))
}

fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Timeouts.
#[derive(Clone, Copy, Debug)]
pub struct Ttl {
    /// Ends after this many seconds without a request.
    pub idle: i64,
    /// Ends this many seconds after sign-in, whatever happens.
    pub absolute: i64,
}

/// Starts a session; returns the cookie token.
pub async fn create(
    db: &Db,
    user_id: i64,
    ip: &str,
    user_agent: &str,
    ttl: Ttl,
) -> Result<(String, Session)> {
    let token = random_token()?;
    let public_id = random_token()?[..16].to_string();
    let csrf = random_token()?;
    let now = clock::now();
    let ua: String = user_agent.chars().take(200).collect();
    sqlx::query(
        "INSERT INTO sessions (token_hash, public_id, user_id, csrf_token, created_at, last_seen_at,
                               expires_at, user_agent, ip)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(hash(&token))
    .bind(&public_id)
    .bind(user_id)
    .bind(&csrf)
    .bind(now)
    .bind(now)
    .bind(now + ttl.absolute)
    .bind(&ua)
    .bind(ip)
    .execute(db)
    .await?;
    Ok((
        token,
        Session {
            public_id,
            user_id,
            csrf,
            created_at: now,
            last_seen_at: now,
            user_agent: ua,
            ip: ip.to_string(),
            second_factor: false,
        },
    ))
}

/// The live session of a cookie token, touching its idle timer.
pub async fn lookup(db: &Db, token: &str, ttl: Ttl) -> Result<Option<Session>> {
    let now = clock::now();
    let row = sqlx::query(
        "SELECT public_id, user_id, csrf_token, created_at, last_seen_at, user_agent, ip,
                second_factor_at IS NOT NULL
         FROM sessions WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?
           AND last_seen_at > ?",
    )
    .bind(hash(token))
    .bind(now)
    .bind(now - ttl.idle)
    .fetch_optional(db)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let s = from_row(&r);
    // Touch at most once a minute: a write per request would serialise every page view.
    if now - s.last_seen_at >= 60 {
        sqlx::query("UPDATE sessions SET last_seen_at = ? WHERE public_id = ?")
            .bind(now)
            .bind(&s.public_id)
            .execute(db)
            .await?;
    }
    Ok(Some(s))
}

/// The user's live sessions, newest first.
pub async fn list(db: &Db, user_id: i64, ttl: Ttl) -> Result<Vec<Session>> {
    let now = clock::now();
    let rows = sqlx::query(
        "SELECT public_id, user_id, csrf_token, created_at, last_seen_at, user_agent, ip,
                second_factor_at IS NOT NULL
         FROM sessions WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?
           AND last_seen_at > ? ORDER BY created_at DESC",
    )
    .bind(user_id)
    .bind(now)
    .bind(now - ttl.idle)
    .fetch_all(db)
    .await?;
    Ok(rows.iter().map(from_row).collect())
}

// Columns: public_id, user_id, csrf_token, created_at, last_seen_at, user_agent, ip,
// second_factor_at IS NOT NULL.
fn from_row(r: &sqlx::sqlite::SqliteRow) -> Session {
    Session {
        public_id: r.get(0),
        user_id: r.get(1),
        csrf: r.get(2),
        created_at: r.get(3),
        last_seen_at: r.get(4),
        user_agent: r.get(5),
        ip: r.get(6),
        second_factor: r.get(7),
    }
}

/// Ends one of the user's sessions; false if it is not theirs or already ended.
pub async fn revoke(db: &Db, user_id: i64, public_id: &str) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE sessions SET revoked_at = ? WHERE public_id = ? AND user_id = ? AND revoked_at IS NULL",
    )
    .bind(clock::now())
    .bind(public_id)
    .bind(user_id)
    .execute(db)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Ends every session of a user inside a transaction.
pub async fn revoke_all_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    user_id: i64,
) -> Result<u64> {
    Ok(
        sqlx::query("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL")
            .bind(clock::now())
            .bind(user_id)
            .execute(&mut **tx)
            .await?
            .rows_affected(),
    )
}

/// Ends every session of a user (disabled accounts, password resets).
pub async fn revoke_all(db: &Db, user_id: i64) -> Result<u64> {
    Ok(
        sqlx::query("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL")
            .bind(clock::now())
            .bind(user_id)
            .execute(db)
            .await?
            .rows_affected(),
    )
}
