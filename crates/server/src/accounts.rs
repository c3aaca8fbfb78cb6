//! Accounts: people, their roles, passwords (argon2id) and the first administrator.

use crate::audit::{Audit, Event, Outcome};
use crate::clock;
use crate::db::Db;
use crate::error::{Error, Result};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sqlx::Row;

/// Roles. A person may hold several; separation of duties is enforced where data is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Every member of staff.
    Staff,
    /// Supervisor (主管) of their units.
    Supervisor,
    /// Integrity officer (政風人員).
    Integrity,
    /// System administrator: manages accounts, cannot read messages or look-up details.
    Admin,
    /// Another system, through API tokens.
    Api,
}

impl Role {
    /// All roles.
    pub const ALL: [Role; 5] = [
        Role::Staff,
        Role::Supervisor,
        Role::Integrity,
        Role::Admin,
        Role::Api,
    ];

    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::Supervisor => "supervisor",
            Role::Integrity => "integrity",
            Role::Admin => "admin",
            Role::Api => "api",
        }
    }

    /// Parses a stable name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Roles that must use a second factor.
    pub fn privileged(self) -> bool {
        matches!(self, Role::Supervisor | Role::Integrity | Role::Admin)
    }
}

/// A person as the server sees them.
#[derive(Clone, Debug)]
pub struct User {
    /// Id.
    pub id: i64,
    /// Sign-in name.
    pub username: String,
    /// Name shown.
    pub display_name: String,
    /// Unit.
    pub unit_id: Option<i64>,
    /// Unit name.
    pub unit_name: Option<String>,
    /// Job title.
    pub title: String,
    /// Roles.
    pub roles: Vec<Role>,
    /// Guest from outside the agency.
    pub external: bool,
    /// Must choose a new password before anything else.
    pub must_change_password: bool,
    /// Disabled (left the agency).
    pub disabled: bool,
    /// Has a TOTP second factor.
    pub totp_enrolled: bool,
}

impl User {
    /// Must use a second factor (privileged role, or enrolled by choice).
    pub fn needs_second_factor(&self) -> bool {
        self.totp_enrolled || self.roles.iter().any(|r| r.privileged())
    }
}

impl User {
    /// Holds the role?
    pub fn has(&self, r: Role) -> bool {
        self.roles.contains(&r)
    }
}

/// Loads a user by id.
pub async fn get(db: &Db, id: i64) -> Result<Option<User>> {
    let row = sqlx::query(
        "SELECT u.id, u.username, u.display_name, u.unit_id, n.name, u.title, u.external,
                u.must_change_password, u.disabled_at, u.totp_secret IS NOT NULL
         FROM users u LEFT JOIN units n ON n.id = u.unit_id WHERE u.id = ?",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let roles = sqlx::query("SELECT role FROM user_roles WHERE user_id = ? ORDER BY role")
        .bind(id)
        .fetch_all(db)
        .await?
        .iter()
        .filter_map(|r| Role::parse(r.get::<&str, _>(0)))
        .collect();
    Ok(Some(User {
        id: r.get(0),
        username: r.get(1),
        display_name: r.get(2),
        unit_id: r.get(3),
        unit_name: r.get(4),
        title: r.get(5),
        roles,
        external: r.get::<i64, _>(6) != 0,
        must_change_password: r.get::<i64, _>(7) != 0,
        disabled: r.get::<Option<i64>, _>(8).is_some(),
        totp_enrolled: r.get::<bool, _>(9),
    }))
}

/// Hashes a password with argon2id (the crate's default parameters, OWASP's minimum).
pub fn hash_password(pw: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| Error::Internal(format!("randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| Error::Internal(e.to_string()))?;
    Argon2::default()
        .hash_password(pw.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("argon2: {e}")))
}

/// Checks a password against a stored hash.
pub fn verify_password(hash: &str, pw: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// The password policy; returns the i18n key of the problem.
pub fn check_policy(pw: &str, username: &str) -> std::result::Result<(), &'static str> {
    let n = pw.chars().count();
    if n < 12 {
        return Err("pw.too_short");
    }
    if n > 256 {
        return Err("pw.too_long");
    }
    if pw.chars().collect::<std::collections::HashSet<_>>().len() < 5 {
        return Err("pw.too_simple");
    }
    if !username.is_empty() && pw.to_lowercase().contains(&username.to_lowercase()) {
        return Err("pw.contains_username");
    }
    Ok(())
}

/// A random password that passes the policy (for the first administrator and resets).
pub fn random_password() -> Result<String> {
    // No look-alikes (0/O, 1/l/I).
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut b = [0u8; 20];
    getrandom::fill(&mut b).map_err(|e| Error::Internal(format!("randomness: {e}")))?;
    let s: String = b
        .iter()
        .map(|x| ALPHABET[usize::from(*x) % ALPHABET.len()] as char)
        .collect();
    Ok(format!(
        "{}-{}-{}-{}",
        &s[0..5],
        &s[5..10],
        &s[10..15],
        &s[15..20]
    ))
}

/// A user to create.
pub struct NewUser<'a> {
    /// Sign-in name.
    pub username: &'a str,
    /// Name shown.
    pub display_name: &'a str,
    /// Initial password.
    pub password: &'a str,
    /// Roles.
    pub roles: &'a [Role],
    /// Must change the password at first sign-in.
    pub must_change: bool,
}

/// Creates a user with a password and roles, audited.
pub async fn create(db: &Db, audit: &Audit, actor: Option<i64>, u: NewUser<'_>) -> Result<i64> {
    let NewUser {
        username,
        display_name,
        password,
        roles,
        must_change,
    } = u;
    let hash = {
        let pw = password.to_string();
        tokio::task::spawn_blocking(move || hash_password(&pw))
            .await
            .map_err(|e| Error::Internal(e.to_string()))??
    };
    let now = clock::now();
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO users (username, display_name, password_hash, must_change_password, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(username)
    .bind(display_name)
    .bind(hash)
    .bind(i64::from(must_change))
    .bind(now)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            Error::Conflict(format!("username {username} is taken"))
        }
        e => e.into(),
    })?
    .get(0);
    for r in roles {
        sqlx::query("INSERT INTO user_roles (user_id, role) VALUES (?, ?)")
            .bind(id)
            .bind(r.as_str())
            .execute(&mut *tx)
            .await?;
    }
    let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    Audit::record_in(
        &mut tx,
        &Event::new(actor, "account.create", Outcome::Ok)
            .target(format!("user:{id}"))
            .detail(serde_json::json!({ "roles": roles })),
    )
    .await?;
    tx.commit().await?;
    audit.ship().await?;
    Ok(id)
}

/// On first start (no users at all): creates `admin` with a one-time password, returned to be
/// printed once; the password must be changed at first sign-in.
pub async fn bootstrap_admin(db: &Db, audit: &Audit) -> Result<Option<String>> {
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM users")
        .fetch_one(db)
        .await?
        .get(0);
    if n > 0 {
        return Ok(None);
    }
    let pw = random_password()?;
    let admin = NewUser {
        username: "admin",
        display_name: "系統管理者",
        password: &pw,
        roles: &[Role::Admin],
        must_change: true,
    };
    create(db, audit, None, admin).await?;
    Ok(Some(pw))
}

/// Disables (ending every session at once) or re-enables an account, inside a transaction.
/// Disabled accounts are never deleted: their records stay auditable.
pub async fn set_disabled_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    user_id: i64,
    disabled: bool,
) -> Result<()> {
    let now = clock::now();
    sqlx::query("UPDATE users SET disabled_at = ?, updated_at = ? WHERE id = ?")
        .bind(disabled.then_some(now))
        .bind(now)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    if disabled {
        crate::sessions::revoke_all_in(tx, user_id).await?;
    }
    Ok(())
}

/// Sets a new password (policy checked by the caller), audited; ends other sessions.
pub async fn set_password(db: &Db, audit: &Audit, user: &User, pw: &str, ip: &str) -> Result<()> {
    let hash = {
        let pw = pw.to_string();
        tokio::task::spawn_blocking(move || hash_password(&pw))
            .await
            .map_err(|e| Error::Internal(e.to_string()))??
    };
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE users SET password_hash = ?, must_change_password = 0, updated_at = ? WHERE id = ?",
    )
    .bind(hash)
    .bind(clock::now())
    .bind(user.id)
    .execute(&mut *tx)
    .await?;
    Audit::record_in(
        &mut tx,
        &Event::new(Some(user.id), "account.password_change", Outcome::Ok)
            .target(format!("user:{}", user.id))
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    audit.ship().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_and_hashing() {
        assert_eq!(check_policy("short", "x"), Err("pw.too_short"));
        assert_eq!(check_policy("aaaaaaaaaaaaaaaa", "x"), Err("pw.too_simple"));
        assert_eq!(
            check_policy("my-admin-password-1", "admin"),
            Err("pw.contains_username")
        );
        assert!(check_policy("大家好這是一個長密碼123", "wang").is_ok());
        let p = random_password().unwrap();
        assert!(check_policy(&p, "admin").is_ok());
        let h = hash_password(&p).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, &p));
        assert!(!verify_password(&h, "wrong password 123"));
        assert!(!verify_password("not a hash", &p));
    }
}
