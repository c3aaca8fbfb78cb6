//! TOTP second factor (RFC 6238: SHA-1, 6 digits, 30 s, one step of skew), required for
//! supervisors, integrity officers and administrators. A code is accepted once (the last step
//! used is kept); ten one-time recovery codes are shown once at enrolment.

use crate::audit::{Audit, Event, Outcome};
use crate::clock;
use crate::error::{Error, Result};
use crate::state::AppState;
use sha2::{Digest, Sha256};
use sqlx::Row;
use totp_rs::{Builder, Secret, Totp};

fn totp(secret: &[u8]) -> Result<Totp> {
    Builder::new()
        .with_secret(Secret::from(secret.to_vec()))
        .build()
        .map_err(|e| Error::Internal(format!("totp: {e:?}")))
}

fn context(user_id: i64) -> String {
    format!("totp:{user_id}")
}

/// The `otpauth://` URI authenticator apps take.
pub fn otpauth_uri(issuer: &str, account: &str, secret_b32: &str) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret_b32}&issuer={}&algorithm=SHA1&digits=6&period=30",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

/// Starts (or continues) enrolment: the pending secret in base32.
pub async fn pending_secret(st: &AppState, user_id: i64) -> Result<String> {
    let sealed: Option<Vec<u8>> = sqlx::query_scalar("SELECT totp_pending FROM users WHERE id = ?")
        .bind(user_id)
        .fetch_one(&st.db)
        .await?;
    let secret = match sealed {
        Some(s) => st.sealer.open(&s, &context(user_id))?,
        None => {
            let mut s = [0u8; 20];
            getrandom::fill(&mut s).map_err(|e| Error::Internal(format!("randomness: {e}")))?;
            sqlx::query("UPDATE users SET totp_pending = ? WHERE id = ?")
                .bind(st.sealer.seal(&s, &context(user_id))?)
                .bind(user_id)
                .execute(&st.db)
                .await?;
            s.to_vec()
        }
    };
    Ok(Secret::from(secret).to_base32())
}

fn recovery_hash(code: &str) -> Vec<u8> {
    let norm: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    Sha256::digest(norm.as_bytes()).to_vec()
}

/// Finishes enrolment with a code from the app; returns the recovery codes (shown once).
pub async fn enrol(
    st: &AppState,
    user_id: i64,
    session: &str,
    code: &str,
    ip: &str,
) -> Result<Option<Vec<String>>> {
    let sealed: Option<Vec<u8>> = sqlx::query_scalar("SELECT totp_pending FROM users WHERE id = ?")
        .bind(user_id)
        .fetch_one(&st.db)
        .await?;
    let Some(sealed) = sealed else {
        return Ok(None);
    };
    let secret = st.sealer.open(&sealed, &context(user_id))?;
    let Some(step) = totp(&secret)?.check(code.trim(), clock::now() as u64) else {
        return Ok(None);
    };
    let mut codes = Vec::new();
    let mut tx = st.db.begin().await?;
    sqlx::query("UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = ? WHERE id = ?")
        .bind(step as i64)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = ?")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    for _ in 0..10 {
        let mut b = [0u8; 5];
        getrandom::fill(&mut b).map_err(|e| Error::Internal(format!("randomness: {e}")))?;
        let c: String = b.iter().map(|x| format!("{x:02x}")).collect();
        let c = format!("{}-{}", &c[..5], &c[5..]);
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)")
            .bind(user_id)
            .bind(recovery_hash(&c))
            .execute(&mut *tx)
            .await?;
        codes.push(c);
    }
    mark_session(&mut tx, session).await?;
    Audit::record_in(
        &mut tx,
        &Event::new(Some(user_id), "auth.2fa_enrol", Outcome::Ok)
            .target(format!("user:{user_id}"))
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    st.audit.ship().await?;
    Ok(Some(codes))
}

async fn mark_session(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>, public_id: &str) -> Result<()> {
    sqlx::query("UPDATE sessions SET second_factor_at = ? WHERE public_id = ?")
        .bind(clock::now())
        .bind(public_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// What a second-factor attempt gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Check {
    /// Accepted (by the app's code or a recovery code).
    Ok,
    /// Wrong or reused code.
    Failed,
    /// Too many failures: the account is locked and the session ended.
    Locked,
}

/// Checks a code (or a recovery code) for a signed-in session.
pub async fn verify(
    st: &AppState,
    user_id: i64,
    session: &str,
    code: &str,
    ip: &str,
) -> Result<Check> {
    let row =
        sqlx::query("SELECT totp_secret, totp_last_step, failed_logins FROM users WHERE id = ?")
            .bind(user_id)
            .fetch_one(&st.db)
            .await?;
    let sealed: Option<Vec<u8>> = row.get(0);
    let last: Option<i64> = row.get(1);
    let failed: i64 = row.get(2);
    let Some(sealed) = sealed else {
        return Ok(Check::Failed);
    };
    let secret = st.sealer.open(&sealed, &context(user_id))?;
    let step = totp(&secret)?
        .check(code.trim(), clock::now() as u64)
        .filter(|s| last.is_none_or(|l| (*s as i64) > l));
    let mut tx = st.db.begin().await?;
    let ok = if let Some(step) = step {
        sqlx::query("UPDATE users SET totp_last_step = ?, failed_logins = 0 WHERE id = ?")
            .bind(step as i64)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        Some("totp")
    } else {
        let used = sqlx::query(
            "UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL",
        )
        .bind(clock::now())
        .bind(user_id)
        .bind(recovery_hash(code))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        (used == 1).then_some("recovery_code")
    };
    let result = match ok {
        Some(how) => {
            mark_session(&mut tx, session).await?;
            Audit::record_in(
                &mut tx,
                &Event::new(Some(user_id), "auth.2fa", Outcome::Ok)
                    .target(format!("user:{user_id}"))
                    .ip(ip)
                    .detail(serde_json::json!({ "method": how })),
            )
            .await?;
            Check::Ok
        }
        None => {
            let failed = failed + 1;
            let lock = failed >= st.cfg.lockout_attempts;
            sqlx::query("UPDATE users SET failed_logins = ?, locked_until = ? WHERE id = ?")
                .bind(if lock { 0 } else { failed })
                .bind(lock.then(|| clock::now() + st.cfg.lockout_minutes * 60))
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            Audit::record_in(
                &mut tx,
                &Event::new(Some(user_id), "auth.2fa", Outcome::Denied)
                    .target(format!("user:{user_id}"))
                    .ip(ip),
            )
            .await?;
            if lock {
                sqlx::query("UPDATE sessions SET revoked_at = ? WHERE public_id = ?")
                    .bind(clock::now())
                    .bind(session)
                    .execute(&mut *tx)
                    .await?;
                Check::Locked
            } else {
                Check::Failed
            }
        }
    };
    tx.commit().await?;
    st.audit.ship().await?;
    Ok(result)
}

/// Removes a user's second factor (an administrator's reset; the user enrols again).
pub async fn reset(
    db: &crate::db::Db,
    audit: &Audit,
    actor: Option<i64>,
    user_id: i64,
) -> Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = NULL WHERE id = ?")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = ?")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    crate::sessions::revoke_all_in(&mut tx, user_id).await?;
    Audit::record_in(
        &mut tx,
        &Event::new(actor, "account.2fa_reset", Outcome::Ok).target(format!("user:{user_id}")),
    )
    .await?;
    tx.commit().await?;
    audit.ship().await
}

/// A code for a secret at a time (tests and the end-to-end harness act as the user's app).
pub fn code_at(secret_b32: &str, time: u64) -> Result<String> {
    let s = Secret::try_from_base32(secret_b32)
        .map_err(|e| Error::BadRequest(format!("secret: {e:?}")))?;
    Ok(totp(s.as_bytes())?.generate(time).to_string())
}
