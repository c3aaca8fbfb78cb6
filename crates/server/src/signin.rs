//! Signing in: password check, lockout after repeated failures, a fresh session (never one the
//! client brought: no session fixation), every attempt audited.

use crate::accounts::verify_password;
use crate::audit::{Audit, Event, Outcome};
use crate::clock;
use crate::error::{Error, Result};
use crate::sessions::{self, Session};
use crate::state::AppState;
use sqlx::Row;

/// What a sign-in attempt gave.
pub enum SignIn {
    /// Signed in: the cookie token and the session.
    Ok(String, Session),
    /// Wrong username or password (not told apart), or a disabled account.
    Failed,
    /// Locked after too many failures.
    Locked,
}

// A valid argon2id hash of a random password: unknown usernames cost the same time as known
// ones, so timing does not tell which usernames exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0dG7p8FKmKQ2wE4GZcM2pQ0cX6gS2Vt4p8n2P0x5P1E";

/// Checks a username and password and starts a session.
pub async fn sign_in(
    st: &AppState,
    username: &str,
    password: &str,
    ip: &str,
    user_agent: &str,
) -> Result<SignIn> {
    let now = clock::now();
    let row = sqlx::query(
        "SELECT id, password_hash, failed_logins, locked_until, disabled_at FROM users WHERE username = ?",
    )
    .bind(username)
    .fetch_optional(&st.db)
    .await?;
    let pw = password.to_string();
    let Some(r) = row else {
        let _ = tokio::task::spawn_blocking(move || verify_password(DUMMY_HASH, &pw)).await;
        st.audit
            .record(
                Event::new(None, "auth.sign_in", Outcome::Denied)
                    .ip(ip)
                    .detail(serde_json::json!({ "reason": "unknown_user" })),
            )
            .await?;
        return Ok(SignIn::Failed);
    };
    let id: i64 = r.get(0);
    let hash: Option<String> = r.get(1);
    let failed: i64 = r.get(2);
    let locked_until: Option<i64> = r.get(3);
    let disabled: Option<i64> = r.get(4);
    let denied = |reason: &'static str| {
        Event::new(Some(id), "auth.sign_in", Outcome::Denied)
            .target(format!("user:{id}"))
            .ip(ip)
            .detail(serde_json::json!({ "reason": reason }))
    };
    if locked_until.is_some_and(|t| t > now) {
        st.audit.record(denied("locked")).await?;
        return Ok(SignIn::Locked);
    }
    let hash = hash.unwrap_or_else(|| DUMMY_HASH.to_string());
    let good = tokio::task::spawn_blocking(move || verify_password(&hash, &pw))
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    if disabled.is_some() {
        st.audit.record(denied("disabled")).await?;
        return Ok(SignIn::Failed);
    }
    if !good {
        let failed = failed + 1;
        let lock = (failed >= st.cfg.lockout_attempts).then(|| now + st.cfg.lockout_minutes * 60);
        let mut tx = st.db.begin().await?;
        sqlx::query("UPDATE users SET failed_logins = ?, locked_until = ? WHERE id = ?")
            .bind(if lock.is_some() { 0 } else { failed })
            .bind(lock)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        Audit::record_in(&mut tx, &denied("password")).await?;
        if lock.is_some() {
            Audit::record_in(
                &mut tx,
                &Event::new(None, "auth.lockout", Outcome::Ok)
                    .target(format!("user:{id}"))
                    .ip(ip)
                    .detail(serde_json::json!({ "minutes": st.cfg.lockout_minutes })),
            )
            .await?;
        }
        tx.commit().await?;
        st.audit.ship().await?;
        return Ok(if lock.is_some() {
            SignIn::Locked
        } else {
            SignIn::Failed
        });
    }
    sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?")
        .bind(id)
        .execute(&st.db)
        .await?;
    let (token, session) = sessions::create(&st.db, id, ip, user_agent, st.ttl).await?;
    st.audit
        .record(
            Event::new(Some(id), "auth.sign_in", Outcome::Ok)
                .target(format!("user:{id}"))
                .ip(ip)
                .detail(serde_json::json!({ "session": session.public_id })),
        )
        .await?;
    Ok(SignIn::Ok(token, session))
}

#[cfg(test)]
mod tests {
    #[test]
    fn dummy_hash_parses() {
        assert!(argon2::password_hash::PasswordHash::new(super::DUMMY_HASH).is_ok());
    }
}
