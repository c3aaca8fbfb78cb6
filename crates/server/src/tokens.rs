//! API tokens for other systems: `baomi_` + 32 random bytes, shown once, stored as SHA-256,
//! scoped, optionally expiring, revocable. A token acts as its account (normally one with the
//! `api` role), limited to its scopes.

use crate::audit::{Audit, Event, Outcome};
use crate::clock;
use crate::db::Db;
use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use sqlx::Row;

/// Token prefix (lets secret scanners recognise leaked tokens).
pub const PREFIX: &str = "baomi_";

/// Scopes a token may carry.
pub const SCOPES: &[&str] = &[
    "profile:read",
    "lookups:write",
    "lookups:read",
    "audit:read",
    "metrics:read",
    "messages:read",
    "messages:write",
];

/// A live token.
#[derive(Clone, Debug)]
pub struct Token {
    /// Id.
    pub id: i64,
    /// Account it acts as.
    pub user_id: i64,
    /// Name given at creation.
    pub name: String,
    /// Scopes.
    pub scopes: Vec<String>,
}

impl Token {
    /// Does it carry `scope`?
    pub fn allows(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Creates a token; returns (id, the token text, shown once).
pub async fn create(
    db: &Db,
    audit: &Audit,
    user_id: i64,
    name: &str,
    scopes: &[String],
    ttl_days: Option<i64>,
) -> Result<(i64, String)> {
    for s in scopes {
        if !SCOPES.contains(&s.as_str()) {
            return Err(Error::BadRequest(format!(
                "unknown scope {s:?} (known: {})",
                SCOPES.join(", ")
            )));
        }
    }
    if scopes.is_empty() {
        return Err(Error::BadRequest("a token needs at least one scope".into()));
    }
    let token = format!("{PREFIX}{}", crate::sessions::random_token()?);
    let now = clock::now();
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO api_tokens (user_id, name, token_hash, scopes, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(user_id)
    .bind(name)
    .bind(hash(&token))
    .bind(scopes.join(" "))
    .bind(now)
    .bind(ttl_days.map(|d| now + d * 86_400))
    .fetch_one(&mut *tx)
    .await?
    .get(0);
    Audit::record_in(
        &mut tx,
        &Event::new(None, "token.create", Outcome::Ok)
            .target(format!("token:{id}"))
            .detail(serde_json::json!({ "user": user_id, "name": name, "scopes": scopes, "ttl_days": ttl_days })),
    )
    .await?;
    tx.commit().await?;
    audit.ship().await?;
    Ok((id, token))
}

/// The live token for a bearer value (enabled account, not revoked or expired).
pub async fn lookup(db: &Db, bearer: &str) -> Result<Option<Token>> {
    if !bearer.starts_with(PREFIX) || bearer.len() > 200 {
        return Ok(None);
    }
    let now = clock::now();
    let row = sqlx::query(
        "SELECT t.id, t.user_id, t.name, t.scopes, t.last_used_at FROM api_tokens t
         JOIN users u ON u.id = t.user_id
         WHERE t.token_hash = ? AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)
           AND u.disabled_at IS NULL",
    )
    .bind(hash(bearer))
    .bind(now)
    .fetch_optional(db)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let last: Option<i64> = r.get(4);
    let t = Token {
        id: r.get(0),
        user_id: r.get(1),
        name: r.get(2),
        scopes: r
            .get::<String, _>(3)
            .split(' ')
            .map(str::to_string)
            .collect(),
    };
    // At most one write a minute per token: a write per request would serialise the API.
    if last.is_none_or(|l| now - l >= 60) {
        sqlx::query("UPDATE api_tokens SET last_used_at = ? WHERE id = ?")
            .bind(now)
            .bind(t.id)
            .execute(db)
            .await?;
    }
    Ok(Some(t))
}

/// Revokes a token.
pub async fn revoke(db: &Db, audit: &Audit, id: i64) -> Result<bool> {
    let mut tx = db.begin().await?;
    let n = sqlx::query("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
        .bind(clock::now())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 1 {
        Audit::record_in(
            &mut tx,
            &Event::new(None, "token.revoke", Outcome::Ok).target(format!("token:{id}")),
        )
        .await?;
    }
    tx.commit().await?;
    audit.ship().await?;
    Ok(n == 1)
}

/// Tokens as `(id, account, name, scopes, created, last used, revoked)`.
pub async fn list(db: &Db) -> Result<Vec<(i64, String, String, String, i64, Option<i64>, bool)>> {
    let rows = sqlx::query(
        "SELECT t.id, u.username, t.name, t.scopes, t.created_at, t.last_used_at, t.revoked_at IS NOT NULL
         FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                r.get(0),
                r.get(1),
                r.get(2),
                r.get(3),
                r.get(4),
                r.get(5),
                r.get(6),
            )
        })
        .collect())
}
