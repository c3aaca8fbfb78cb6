//! Configuration: a TOML file, then `BAOMI_*` environment variables, then command-line flags.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Server configuration.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Data folder: database, audit log, keys (`BAOMI_DATA_DIR`).
    pub data_dir: PathBuf,
    /// Address to listen on (`BAOMI_LISTEN`); loopback by default.
    pub listen: SocketAddr,
    /// The server sits behind a TLS-terminating reverse proxy (`BAOMI_BEHIND_TLS_PROXY`):
    /// allows a non-loopback address without TLS here, marks cookies Secure and trusts
    /// `X-Forwarded-For`.
    pub behind_tls_proxy: bool,
    /// TLS certificate and key files (PEM).
    pub tls: Option<TlsFiles>,
    /// Name of the audit log (checkpoint origin), e.g. `agency.gov.tw/baomi` (`BAOMI_LOG_ORIGIN`).
    pub log_origin: String,
    /// Minutes without a request before a session ends.
    pub session_idle_minutes: i64,
    /// Hours after sign-in when a session ends regardless.
    pub session_absolute_hours: i64,
    /// Failed sign-ins before an account is locked.
    pub lockout_attempts: i64,
    /// Minutes an account stays locked.
    pub lockout_minutes: i64,
    /// Sign-in attempts one address may make at once.
    pub signin_burst: u32,
    /// Sign-in attempts one address may make per minute, sustained.
    pub signin_per_minute: u32,
}

/// TLS files.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// Certificate chain (PEM).
    pub cert: PathBuf,
    /// Private key (PEM).
    pub key: PathBuf,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("baomi-data"),
            listen: "127.0.0.1:8080".parse().expect("valid address"),
            behind_tls_proxy: false,
            tls: None,
            log_origin: "localhost/baomi".into(),
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            lockout_attempts: 5,
            lockout_minutes: 15,
            signin_burst: 20,
            signin_per_minute: 10,
        }
    }
}

/// A configuration problem, explained.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Reads the file (if any) and applies environment overrides.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let mut c = match file {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| ConfigError(format!("{}: {e}", p.display())))?;
                toml::from_str(&text).map_err(|e| ConfigError(format!("{}: {e}", p.display())))?
            }
            None => Config::default(),
        };
        c.apply_env(|k| std::env::var(k).ok())?;
        Ok(c)
    }

    /// Applies `BAOMI_*` overrides from `get`.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(v) = get("BAOMI_DATA_DIR") {
            self.data_dir = v.into();
        }
        if let Some(v) = get("BAOMI_LISTEN") {
            self.listen = v
                .parse()
                .map_err(|_| ConfigError(format!("BAOMI_LISTEN: not an address: {v}")))?;
        }
        if let Some(v) = get("BAOMI_BEHIND_TLS_PROXY") {
            self.behind_tls_proxy = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = get("BAOMI_LOG_ORIGIN") {
            self.log_origin = v;
        }
        Ok(())
    }

    /// Refuses unsafe combinations.
    pub fn check(&self) -> Result<(), ConfigError> {
        if !self.listen.ip().is_loopback() && self.tls.is_none() && !self.behind_tls_proxy {
            return Err(ConfigError(format!(
                "refusing to listen on {} without TLS: set [tls] cert/key, or behind_tls_proxy = true if a TLS reverse proxy is in front",
                self.listen
            )));
        }
        if let Some(t) = &self.tls {
            for (what, p) in [("cert", &t.cert), ("key", &t.key)] {
                if !p.is_file() {
                    return Err(ConfigError(format!(
                        "[tls] {what}: {} is not a readable file",
                        p.display()
                    )));
                }
            }
        }
        if self.session_idle_minutes <= 0 || self.session_absolute_hours <= 0 {
            return Err(ConfigError("session timeouts must be positive".into()));
        }
        Ok(())
    }

    /// Cookies must be Secure (the browser reaches us over TLS).
    pub fn secure_cookies(&self) -> bool {
        self.tls.is_some() || self.behind_tls_proxy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_by_default_and_no_plaintext_elsewhere() {
        let c = Config::default();
        assert!(c.check().is_ok());
        let mut c2 = Config::default();
        c2.apply_env(|k| (k == "BAOMI_LISTEN").then(|| "0.0.0.0:8080".to_string()))
            .unwrap();
        assert!(c2.check().unwrap_err().0.contains("without TLS"));
        c2.behind_tls_proxy = true;
        assert!(c2.check().is_ok());
        assert!(c2.secure_cookies());
        assert!(toml::from_str::<Config>("listen = \"127.0.0.1:1\"\nbogus = 1").is_err());
    }
}
