//! # baomi-server
//!
//! `baomi serve`: the agency's own server. It knows the org chart and who is staff, supervisor
//! (主管), integrity officer (政風人員) or administrator; signs people in (argon2id, sessions with
//! idle and absolute timeouts, CSRF tokens, lockout); records every state change in the database
//! and in the tamper-evident log (`baomi-tlog`), which it also serves under `/log/` as C2SP
//! tlog-tiles; and renders its pages in Traditional Chinese first.
//!
//! Layout: handlers ([`web`], [`api`], [`logserve`]) reach data only through the services
//! ([`accounts`], [`sessions`], [`signin`], [`audit`]); authorisation is declared by extractors
//! ([`auth`]); cross-cutting concerns are tower layers ([`layers`]).
#![deny(missing_docs)]

pub mod accounts;
pub mod admin;
pub mod api;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod i18n;
pub mod layers;
pub mod ledger;
pub mod logserve;
pub mod messenger;
pub mod metrics;
pub mod orgchart;
pub mod ratelimit;
pub mod seal;
pub mod sessions;
pub mod signin;
pub mod state;
pub mod tokens;
pub mod twofactor;
pub mod web;

use crate::audit::Audit;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::state::{AppState, Inner};
use axum::Router;
use baomi_tlog::{Log, LogPaths, Options};
use std::sync::Arc;

/// The whole application as one router (tested with `oneshot`, served by [`serve`]).
pub fn app(st: AppState) -> Router {
    Router::new()
        .merge(web::routes())
        .nest("/api/v1", api::routes())
        .nest("/log", logserve::routes())
        .route("/healthz", axum::routing::get(api::health))
        .route("/readyz", axum::routing::get(api::ready))
        .route("/metrics", axum::routing::get(metrics::serve))
        .route_layer(axum::middleware::from_fn_with_state(
            st.clone(),
            metrics::track,
        ))
        .layer(axum::middleware::from_fn_with_state(
            st.clone(),
            layers::guard,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(1 << 20))
        .with_state(st)
}

/// Writes a new file only its owner can read, durably (keys; uploads kept between preview and
/// apply).
pub fn store_private(path: &std::path::Path, data: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o
        .open(path)
        .map_err(|e| Error::Internal(format!("{}: {e}", path.display())))?;
    f.write_all(data)
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::Internal(format!("{}: {e}", path.display())))
}

/// What opening the data folder gave.
pub struct Opened {
    /// The state for [`app`].
    pub state: AppState,
    /// The first administrator's one-time password, on the very first start only.
    pub first_admin_password: Option<String>,
}

/// Opens (creating on first start) the data folder: database, audit log, first administrator;
/// ships audit rows a crash left behind.
pub async fn open(cfg: Config) -> Result<Opened> {
    cfg.check().map_err(|e| Error::Internal(e.0))?;
    std::fs::create_dir_all(&cfg.data_dir)
        .map_err(|e| Error::Internal(format!("{}: {e}", cfg.data_dir.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&cfg.data_dir, std::fs::Permissions::from_mode(0o700));
    }
    let db = db::open(&cfg.data_dir.join("baomi.db")).await?;
    let paths = LogPaths::beside(cfg.data_dir.join("log"));
    if !paths.public.join("checkpoint").exists() {
        baomi_tlog::init(&paths, &cfg.log_origin)?;
    }
    let log = {
        let p = paths.clone();
        tokio::task::spawn_blocking(move || Log::open(&p, Options::default()))
            .await
            .map_err(|e| Error::Internal(e.to_string()))??
    };
    let audit = Audit::new(db.clone(), Some(Arc::new(log)));
    audit.recover(&paths.public).await?;
    let first_admin_password = accounts::bootstrap_admin(&db, &audit).await?;
    // The effective configuration at every start: a change between restarts shows in the trail.
    audit
        .record(
            audit::Event::new(None, "server.start", audit::Outcome::Ok).detail(serde_json::json!({
                "version": env!("CARGO_PKG_VERSION"),
                "listen": cfg.listen.to_string(),
                "tls": cfg.tls.is_some(),
                "behind_tls_proxy": cfg.behind_tls_proxy,
                "session_idle_minutes": cfg.session_idle_minutes,
                "session_absolute_hours": cfg.session_absolute_hours,
                "lockout_attempts": cfg.lockout_attempts,
                "lockout_minutes": cfg.lockout_minutes,
                "signin_burst": cfg.signin_burst,
                "signin_per_minute": cfg.signin_per_minute,
            })),
        )
        .await?;
    let sealer = seal::Sealer::load_or_create(&cfg.data_dir.join("keys").join("seal.key"))?;
    let ledger = ledger::Ledger::open(&cfg.data_dir, db.clone(), audit.clone(), sealer.clone())?;
    ledger.recover(&paths.public).await?;
    if let Some(log) = audit.log() {
        messenger::recover(&db, log, &paths.public).await?;
    }
    let messenger = messenger::Messenger::open(&cfg.data_dir, db.clone(), audit.clone())?;
    let ttl = sessions::Ttl {
        idle: cfg.session_idle_minutes * 60,
        absolute: cfg.session_absolute_hours * 3600,
    };
    let state = AppState(Arc::new(Inner {
        db,
        audit,
        secure_cookies: cfg.secure_cookies(),
        log_public: paths.public,
        ttl,
        sealer,
        ledger,
        messenger,
        metrics: Default::default(),
        signin_limit: ratelimit::Limiter::new(cfg.signin_burst, cfg.signin_per_minute),
        cfg,
    }));
    Ok(Opened {
        state,
        first_admin_password,
    })
}

/// Serves until Ctrl-C or SIGTERM, then finishes requests in flight.
pub async fn serve(st: AppState) -> Result<()> {
    // Ships audit rows written by other processes (`baomi admin`) while the server holds the log.
    let shipper = {
        let audit = st.audit.clone();
        let ledger = st.ledger.clone();
        let messenger = st.messenger.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
            loop {
                tick.tick().await;
                if let Err(e) = audit.ship().await {
                    tracing::error!(error = %e, "shipping audit rows to the log");
                }
                if let Err(e) = ledger.ship().await {
                    tracing::error!(error = %e, "shipping look-ups to the log");
                }
                if let Err(e) = ledger.flush().await {
                    tracing::error!(error = %e, "recording where look-ups are in the log");
                }
                if let Err(e) = messenger.flush().await {
                    tracing::error!(error = %e, "recording where conversation events are in the log");
                }
            }
        })
    };
    // Days whose look-ups changed are judged every half minute, oldest first (the day in
    // progress every five minutes).
    let judge = {
        let ledger = st.ledger.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
            loop {
                tick.tick().await;
                if let Err(e) = ledger.evaluate_due().await {
                    tracing::error!(error = %e, "judging look-up days");
                }
            }
        })
    };
    // Messages past their retention period lose their text and files, hourly.
    let retention = {
        let messenger = st.messenger.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
            loop {
                tick.tick().await;
                if let Err(e) = messenger.apply_retention().await {
                    tracing::error!(error = %e, "applying the messenger's retention");
                }
            }
        })
    };
    let ledger = st.ledger.clone();
    let addr = st.cfg.listen;
    let result = match st.cfg.tls.clone() {
        Some(tls) => serve_tls(st, addr, &tls).await,
        None => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| Error::Internal(format!("listen on {addr}: {e}")))?;
            tracing::info!(%addr, "baomi serve listening (http)");
            axum::serve(
                listener,
                app(st).into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown())
            .await
            .map_err(|e| Error::Internal(e.to_string()))
        }
    };
    shipper.abort();
    judge.abort();
    retention.abort();
    if let Err(e) = ledger.flush().await {
        tracing::error!(error = %e, "recording where look-ups are in the log");
    }
    result
}

/// Loads the certificate chain and key (PEM) into a rustls configuration (ring, TLS 1.2/1.3).
pub async fn tls_config(tls: &config::TlsFiles) -> Result<axum_server::tls_rustls::RustlsConfig> {
    axum_server::tls_rustls::RustlsConfig::from_pem_file(&tls.cert, &tls.key)
        .await
        .map_err(|e| {
            Error::Internal(format!(
                "TLS certificate {} / key {}: {e}",
                tls.cert.display(),
                tls.key.display()
            ))
        })
}

async fn serve_tls(st: AppState, addr: std::net::SocketAddr, tls: &config::TlsFiles) -> Result<()> {
    let _ = rustls_ring_default();
    let rustls = tls_config(tls).await?;
    let handle = axum_server::Handle::new();
    let h2 = handle.clone();
    tokio::spawn(async move {
        shutdown().await;
        h2.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
    });
    tracing::info!(%addr, "baomi serve listening (https)");
    axum_server::bind_rustls(addr, rustls)
        .handle(handle)
        .serve(app(st).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .await
        .map_err(|e| Error::Internal(format!("listen on {addr}: {e}")))
}

fn rustls_ring_default() -> std::result::Result<(), std::sync::Arc<rustls::crypto::CryptoProvider>>
{
    rustls::crypto::ring::default_provider().install_default()
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
