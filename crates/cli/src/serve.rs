//! `baomi serve`: the agency's own server on the embedded default (SQLite in a data folder).

use anyhow::{Context as _, Result};
use baomi_server::config::Config;
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Options of `baomi serve`. Every option can also be set in the TOML file (same names, with
/// underscores) or by environment (BAOMI_DATA_DIR, BAOMI_LISTEN, BAOMI_BEHIND_TLS_PROXY,
/// BAOMI_LOG_ORIGIN); flags win over the environment, which wins over the file.
#[derive(Args)]
pub struct ServeArgs {
    /// Configuration file (TOML): data_dir, listen, behind_tls_proxy, log_origin,
    /// session_idle_minutes, session_absolute_hours, lockout_attempts, lockout_minutes.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data folder (database, audit log and its key); created on first start.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Address to listen on (default 127.0.0.1:8080). A non-loopback address needs TLS or
    /// --behind-tls-proxy.
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// A TLS-terminating reverse proxy is in front: cookies become Secure and X-Forwarded-For
    /// is trusted.
    #[arg(long)]
    behind_tls_proxy: bool,
    /// Name of the audit log (checkpoint origin) when it is created, e.g. agency.gov.tw/baomi.
    #[arg(long)]
    log_origin: Option<String>,
    /// TLS certificate chain (PEM): serve HTTPS (rustls) with this and --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

pub fn run(a: ServeArgs) -> Result<u8> {
    let mut cfg = Config::load(a.config.as_deref())?;
    if let Some(d) = a.data {
        cfg.data_dir = d;
    }
    if let Some(l) = a.listen {
        cfg.listen = l;
    }
    if a.behind_tls_proxy {
        cfg.behind_tls_proxy = true;
    }
    if let Some(o) = a.log_origin {
        cfg.log_origin = o;
    }
    if let (Some(cert), Some(key)) = (a.tls_cert, a.tls_key) {
        cfg.tls = Some(baomi_server::config::TlsFiles { cert, key });
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    rt.block_on(async move {
        let opened = baomi_server::open(cfg.clone())
            .await
            .map_err(|e| anyhow::anyhow!("{e}: {}", detail(&e)))?;
        if let Some(pw) = &opened.first_admin_password {
            // Printed once, never stored in clear: the administrator must change it at sign-in.
            println!("首次啟動：系統管理者帳號 admin，一次性密碼 {pw}");
            println!("First start: administrator account `admin`, one-time password {pw}");
        }
        println!(
            "baomi serve: {}://{} (data: {})",
            if cfg.tls.is_some() { "https" } else { "http" },
            cfg.listen,
            cfg.data_dir.display()
        );
        baomi_server::serve(opened.state)
            .await
            .map_err(|e| anyhow::anyhow!("{e}: {}", detail(&e)))
    })?;
    Ok(0)
}

fn detail(e: &baomi_server::error::Error) -> String {
    match e {
        baomi_server::error::Error::Internal(d) => d.clone(),
        other => other.code().to_string(),
    }
}
