//! Administration without the web interface (`baomi admin`): works on the data folder directly,
//! whether or not the server is running. When the server holds the audit log, audit rows wait in
//! the database and the server appends them within seconds.

use crate::accounts::{self, NewUser, Role};
use crate::audit::{Audit, Event, Outcome};
use crate::config::Config;
use crate::db::{self, Db};
use crate::error::{Error, Result};
use crate::orgchart;
use crate::sessions;
use baomi_tlog::{Log, LogPaths, Options};
use sqlx::Row;
use std::path::Path;
use std::sync::Arc;

/// An open data folder.
pub struct Admin {
    /// Database.
    pub db: Db,
    /// Audit service.
    pub audit: Audit,
    /// The log's paths.
    pub log_paths: LogPaths,
    /// Whether this process holds the log (false: the server does).
    pub holds_log: bool,
    /// The look-up ledger.
    pub ledger: crate::ledger::Ledger,
    /// Who acts (None: the command line).
    pub actor: Option<i64>,
    /// From where.
    pub ip: String,
}

impl Admin {
    /// Opens the data folder of `cfg` (which must exist: `baomi serve` creates it).
    pub async fn open(cfg: &Config) -> Result<Admin> {
        let dbfile = cfg.data_dir.join("baomi.db");
        if !dbfile.exists() {
            return Err(Error::BadRequest(format!(
                "{}: no baomi data folder here (start `baomi serve` once to create it)",
                cfg.data_dir.display()
            )));
        }
        let db = db::open(&dbfile).await?;
        let log_paths = LogPaths::beside(cfg.data_dir.join("log"));
        let log = {
            let p = log_paths.clone();
            tokio::task::spawn_blocking(move || Log::open(&p, Options::default()))
                .await
                .map_err(|e| Error::Internal(e.to_string()))?
        };
        let (log, holds_log) = match log {
            Ok(l) => (Some(Arc::new(l)), true),
            Err(baomi_tlog::Error::Locked(_)) => (None, false),
            Err(e) => return Err(e.into()),
        };
        let audit = Audit::new(db.clone(), log);
        audit.recover(&log_paths.public).await?;
        let sealer =
            crate::seal::Sealer::load_or_create(&cfg.data_dir.join("keys").join("seal.key"))?;
        let ledger = crate::ledger::Ledger::open(&cfg.data_dir, db.clone(), audit.clone(), sealer)?;
        ledger.recover(&log_paths.public).await?;
        Ok(Admin {
            db,
            audit,
            log_paths,
            holds_log,
            ledger,
            actor: None,
            ip: String::new(),
        })
    }

    /// The same services for an administrator acting through the web interface.
    pub fn for_web(st: &crate::state::AppState, actor: i64, ip: &str) -> Admin {
        Admin {
            db: st.db.clone(),
            audit: st.audit.clone(),
            log_paths: LogPaths::beside(st.cfg.data_dir.join("log")),
            holds_log: true,
            ledger: st.ledger.clone(),
            actor: Some(actor),
            ip: ip.to_string(),
        }
    }

    fn event(&self, action: &'static str, outcome: Outcome) -> Event {
        Event::new(self.actor, action, outcome).ip(&self.ip)
    }

    fn by(&self) -> &'static str {
        if self.actor.is_some() {
            "web"
        } else {
            "baomi admin"
        }
    }

    async fn user_id(&self, username: &str) -> Result<i64> {
        sqlx::query_scalar("SELECT id FROM users WHERE username = ?")
            .bind(username)
            .fetch_optional(&self.db)
            .await?
            .ok_or(Error::NotFound)
    }

    /// Creates a user with a one-time password (returned).
    pub async fn add_user(&self, username: &str, name: &str, roles: &[Role]) -> Result<String> {
        let pw = accounts::random_password()?;
        let mut roles = roles.to_vec();
        if !roles.contains(&Role::Staff) && !roles.contains(&Role::Api) {
            roles.push(Role::Staff);
        }
        accounts::create(
            &self.db,
            &self.audit,
            self.actor,
            NewUser {
                username,
                display_name: name,
                password: &pw,
                roles: &roles,
                must_change: true,
            },
        )
        .await?;
        Ok(pw)
    }

    /// Issues a new one-time password (returned); ends the user's sessions and unlocks them.
    pub async fn reset_password(&self, username: &str) -> Result<String> {
        let id = self.user_id(username).await?;
        let pw = accounts::random_password()?;
        let hash = {
            let pw = pw.clone();
            tokio::task::spawn_blocking(move || accounts::hash_password(&pw))
                .await
                .map_err(|e| Error::Internal(e.to_string()))??
        };
        let mut tx = self.db.begin().await?;
        sqlx::query(
            "UPDATE users SET password_hash = ?, must_change_password = 1, failed_logins = 0,
                              locked_until = NULL, updated_at = ? WHERE id = ?",
        )
        .bind(hash)
        .bind(crate::clock::now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        Audit::record_in(
            &mut tx,
            &self
                .event("account.password_reset", Outcome::Ok)
                .target(format!("user:{id}"))
                .detail(serde_json::json!({ "by": self.by() })),
        )
        .await?;
        tx.commit().await?;
        sessions::revoke_all(&self.db, id).await?;
        self.audit.ship().await?;
        Ok(pw)
    }

    /// Disables (or re-enables) a user; disabling ends their sessions at once.
    pub async fn set_disabled(&self, username: &str, disabled: bool) -> Result<()> {
        let id = self.user_id(username).await?;
        let mut tx = self.db.begin().await?;
        accounts::set_disabled_in(&mut tx, id, disabled).await?;
        let action = if disabled {
            "account.disable"
        } else {
            "account.enable"
        };
        Audit::record_in(
            &mut tx,
            &self
                .event(action, Outcome::Ok)
                .target(format!("user:{id}"))
                .detail(serde_json::json!({ "by": self.by() })),
        )
        .await?;
        tx.commit().await?;
        self.audit.ship().await
    }

    /// Removes a user's second factor; they enrol again at their next sign-in.
    pub async fn reset_2fa(&self, username: &str) -> Result<()> {
        let id = self.user_id(username).await?;
        crate::twofactor::reset(&self.db, &self.audit, self.actor, id).await
    }

    /// Creates an API token acting as `username`; returns (id, token shown once).
    pub async fn create_token(
        &self,
        username: &str,
        name: &str,
        scopes: &[String],
        days: Option<i64>,
    ) -> Result<(i64, String)> {
        let id = self.user_id(username).await?;
        crate::tokens::create(&self.db, &self.audit, id, name, scopes, days).await
    }

    /// Revokes an API token.
    pub async fn revoke_token(&self, id: i64) -> Result<bool> {
        crate::tokens::revoke(&self.db, &self.audit, id).await
    }

    /// Adds or removes a role.
    pub async fn set_role(&self, username: &str, role: Role, on: bool) -> Result<()> {
        let id = self.user_id(username).await?;
        let mut tx = self.db.begin().await?;
        let sql = if on {
            "INSERT INTO user_roles (user_id, role) VALUES (?, ?) ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM user_roles WHERE user_id = ? AND role = ?"
        };
        sqlx::query(sql)
            .bind(id)
            .bind(role.as_str())
            .execute(&mut *tx)
            .await?;
        Audit::record_in(
            &mut tx,
            &Event::new(
                None,
                if on { "role.grant" } else { "role.revoke" },
                Outcome::Ok,
            )
            .target(format!("user:{id}"))
            .detail(serde_json::json!({ "role": role.as_str(), "by": self.by() })),
        )
        .await?;
        tx.commit().await?;
        self.audit.ship().await
    }

    /// Users as `(username, name, unit, roles, disabled)`.
    pub async fn list_users(&self) -> Result<Vec<(String, String, String, String, bool)>> {
        let rows = sqlx::query(
            "SELECT u.username, u.display_name, COALESCE(n.name, ''),
                    COALESCE((SELECT GROUP_CONCAT(role, ',') FROM user_roles r WHERE r.user_id = u.id), ''),
                    u.disabled_at IS NOT NULL
             FROM users u LEFT JOIN units n ON n.id = u.unit_id ORDER BY u.username",
        )
        .fetch_all(&self.db)
        .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
            .collect())
    }

    /// Imports the org chart: a dry run unless `apply`.
    pub async fn import_org(
        &self,
        bytes: &[u8],
        apply: bool,
    ) -> Result<std::result::Result<orgchart::Plan, Vec<orgchart::LineError>>> {
        let file = match orgchart::parse(bytes) {
            Ok(f) => f,
            Err(e) => return Ok(Err(e)),
        };
        if apply {
            Ok(Ok(
                orgchart::apply(&self.db, &self.audit, None, "", &file).await?
            ))
        } else {
            Ok(Ok(orgchart::plan(&self.db, &file).await?))
        }
    }

    /// Online, consistent backup: the database (`VACUUM INTO`), the log's public and private
    /// folders. The destination must not exist; it is created with owner-only permissions.
    pub async fn backup(&self, dest: &Path) -> Result<()> {
        if dest.exists() {
            return Err(Error::BadRequest(format!(
                "{}: already exists",
                dest.display()
            )));
        }
        std::fs::create_dir_all(dest)
            .map_err(|e| Error::Internal(format!("{}: {e}", dest.display())))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dest, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| Error::Internal(e.to_string()))?;
        }
        let target = dest.join("baomi.db");
        let target_s = target
            .to_str()
            .ok_or_else(|| Error::BadRequest("backup path must be UTF-8".into()))?
            .to_string();
        sqlx::query("VACUUM INTO ?")
            .bind(target_s)
            .execute(&self.db)
            .await?;
        // The log after the database: every row's log index is then in the copied log, or its
        // row is unshipped and ships again after a restore.
        let log = dest.join("log");
        copy_tree(&self.log_paths.private, &dest.join("log.private"))?;
        copy_tree(&self.log_paths.public, &log)?;
        // The sealing key: without it, sealed secrets (second factors) cannot be opened.
        if let Some(data) = self.log_paths.public.parent() {
            let keys = data.join("keys");
            if keys.is_dir() {
                copy_tree(&keys, &dest.join("keys"))?;
            }
        }
        self.audit
            .record(
                self.event("admin.backup", Outcome::Ok)
                    .detail(serde_json::json!({ "by": self.by() })),
            )
            .await
    }
}

/// Restores a backup folder into a new data folder: checks the database (`PRAGMA
/// integrity_check`) and the log (full verification against its key) first, then copies.
/// Returns a summary. The destination must not exist.
pub async fn restore(backup: &Path, dest: &Path) -> Result<String> {
    if dest.exists() {
        return Err(Error::BadRequest(format!(
            "{}: already exists",
            dest.display()
        )));
    }
    for need in [
        "baomi.db",
        "log/checkpoint",
        "log.private/key",
        "keys/seal.key",
    ] {
        if !backup.join(need).exists() {
            return Err(Error::BadRequest(format!(
                "{}: not a baomi backup (no {need})",
                backup.display()
            )));
        }
    }
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(backup.join("baomi.db"))
        .read_only(true);
    let db = sqlx::SqlitePool::connect_with(opts).await?;
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&db)
        .await?;
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&db)
        .await?;
    db.close().await;
    if check != "ok" {
        return Err(Error::BadRequest(format!(
            "database integrity check: {check}"
        )));
    }
    let paths = LogPaths::beside(backup.join("log"));
    let key = baomi_tlog::verifier(&paths)?;
    let report = baomi_tlog::verify::verify_log(
        &baomi_tlog::store::DirStore::new(&paths.public),
        &key,
        None,
    )?;
    std::fs::create_dir_all(dest)
        .map_err(|e| Error::Internal(format!("{}: {e}", dest.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dest, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::Internal(e.to_string()))?;
    }
    copy_tree(backup, dest)?;
    Ok(format!(
        "restored: {users} accounts, audit log of {} entries (verified), into {}",
        report.entries,
        dest.display()
    ))
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).map_err(|e| Error::Internal(format!("{}: {e}", to.display())))?;
    for e in
        std::fs::read_dir(from).map_err(|e| Error::Internal(format!("{}: {e}", from.display())))?
    {
        let e = e.map_err(|e| Error::Internal(e.to_string()))?;
        let p = e.path();
        let name = e.file_name();
        if name == "lock" || name.to_string_lossy().ends_with(".tmp") {
            continue;
        }
        if p.is_dir() {
            copy_tree(&p, &to.join(&name))?;
        } else {
            std::fs::copy(&p, to.join(&name))
                .map_err(|e| Error::Internal(format!("{}: {e}", p.display())))?;
        }
    }
    Ok(())
}
