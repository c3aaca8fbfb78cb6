//! What every handler can reach: the services, never raw tables of another service.

use crate::audit::Audit;
use crate::config::Config;
use crate::db::Db;
use crate::sessions::Ttl;
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Arc;

/// Shared state (cheap to clone).
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

/// The contents of [`AppState`].
pub struct Inner {
    /// Database.
    pub db: Db,
    /// Audit service (database rows + tamper-evident log).
    pub audit: Audit,
    /// Configuration.
    pub cfg: Config,
    /// Public directory of the audit log (served under `/log/`).
    pub log_public: PathBuf,
    /// Cookies are marked Secure.
    pub secure_cookies: bool,
    /// Session timeouts.
    pub ttl: Ttl,
    /// Seals secrets at rest (key outside the database).
    pub sealer: crate::seal::Sealer,
    /// The look-up ledger.
    pub ledger: crate::ledger::Ledger,
    /// The guarded messenger.
    pub messenger: crate::messenger::Messenger,
    /// Prometheus metrics.
    pub metrics: crate::metrics::Metrics,
    /// Sign-in attempts per client address.
    pub signin_limit: crate::ratelimit::Limiter,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
