//! The guarded messenger: official chat on the agency's own server.
//!
//! People find each other through the org chart ([`directory`]); conversations are one-to-one
//! or groups whose members join only by an admin's approval ([`members`]); every text passes
//! the [`gate`] (inspection + policy) before anyone else sees it ([`send`]); every change is
//! written by one [`writer`] with group commit, appended to the tamper-evident log, and then
//! delivered in order to connected clients ([`hub`]), who resume from their last event after a
//! reconnect ([`read`]).
//!
//! The service owns the `conversation*`, `join_requests` and `message*` tables; handlers reach
//! them only through it.

pub mod attachments;
pub mod directory;
pub mod export;
pub mod gate;
pub mod hub;
pub mod members;
pub mod read;
pub mod retention;
pub mod rooms;
pub mod search;
pub mod send;
mod writer;

pub use writer::ChatEntry;

/// At start-up, before serving: links conversation events that reached the log before a crash
/// and ships the rest.
pub async fn recover(db: &Db, log: &baomi_tlog::Log, public_dir: &Path) -> Result<()> {
    writer::recover(db, log, public_dir).await
}

use crate::audit::Audit;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::seal::Sealer;
use baomi_inspect::Dictionary;
use baomi_inspect::mask::MaskProfile;
use baomi_inspect::policy::Policy;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;

/// Settings of `messenger.toml` in the data folder (all optional).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MessengerConfig {
    /// Minutes after sending during which the sender may withdraw a message.
    pub recall_minutes: i64,
    /// Minutes after sending during which the sender may edit a message.
    pub edit_minutes: i64,
    /// Longest message, in characters.
    pub max_chars: usize,
    /// Masking profile of the masked versions offered (`default`, `keep-last`, `strict`).
    pub mask_profile: String,
    /// Policy file (relative to the data folder) applied over the default policy.
    pub policy: Option<String>,
    /// Dictionary of watched terms (relative to the data folder).
    pub dictionary: Option<String>,
    /// Days a message's text and files are kept (0: for ever). After that the text and files
    /// are deleted; the record that they existed (sender, time, hash, log entry) stays.
    pub retention_days: i64,
    /// Font (TrueType/OpenType, collections too) that marks downloaded images are drawn with;
    /// by default the first CJK font found in the usual places (Noto CJK, AR PL, WenQuanYi).
    pub mark_font: Option<std::path::PathBuf>,
}

impl Default for MessengerConfig {
    fn default() -> Self {
        MessengerConfig {
            recall_minutes: 30,
            edit_minutes: 30,
            max_chars: 8000,
            mask_profile: "default".into(),
            policy: None,
            dictionary: None,
            retention_days: 0,
            mark_font: None,
        }
    }
}

/// A group's sensitivity (一般 / 限本機關 / 不得轉傳).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    /// 一般: guests may join; messages may be forwarded after confirmation.
    Normal,
    /// 限本機關: staff of the agency only.
    Internal,
    /// 不得轉傳: nothing leaves the conversation (no forwarding, no copying out through API
    /// tokens, no attachment downloads by guests).
    NoForward,
}

impl Sensitivity {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Sensitivity::Normal => "normal",
            Sensitivity::Internal => "internal",
            Sensitivity::NoForward => "no_forward",
        }
    }

    /// From the stable name.
    pub fn parse(s: &str) -> Option<Sensitivity> {
        match s {
            "normal" => Some(Sensitivity::Normal),
            "internal" => Some(Sensitivity::Internal),
            "no_forward" => Some(Sensitivity::NoForward),
            _ => None,
        }
    }

    /// Label in Traditional Chinese.
    pub fn label_zh(self) -> &'static str {
        match self {
            Sensitivity::Normal => "一般",
            Sensitivity::Internal => "限本機關",
            Sensitivity::NoForward => "不得轉傳",
        }
    }

    /// May guests be members?
    pub fn guests_allowed(self) -> bool {
        self != Sensitivity::Internal
    }

    /// May messages leave the conversation?
    pub fn forwardable(self) -> bool {
        self != Sensitivity::NoForward
    }
}

/// The messenger service (cheap to clone).
#[derive(Clone)]
pub struct Messenger {
    db: Db,
    audit: Audit,
    sealer: Sealer,
    gate: Arc<gate::Gate>,
    cfg: Arc<MessengerConfig>,
    writer: writer::Handle,
    hub: hub::Hub,
    rooms: rooms::Rooms,
    /// Sealed attachment files.
    files: std::path::PathBuf,
    /// Burns the viewer's mark into downloaded images and PDFs.
    marker: baomi_mark::Marker,
}

impl Messenger {
    /// The service for a data folder: the message key (`keys/message.key`, made on first use),
    /// `messenger.toml` and the policy and dictionary it names.
    pub fn open(data_dir: &Path, db: Db, audit: Audit) -> Result<Messenger> {
        let sealer = Sealer::load_or_create(&data_dir.join("keys").join("message.key"))?;
        let cfg_path = data_dir.join("messenger.toml");
        let cfg: MessengerConfig = match std::fs::read_to_string(&cfg_path) {
            Ok(text) => toml::from_str(&text)
                .map_err(|e| Error::Internal(format!("{}: {e}", cfg_path.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => MessengerConfig::default(),
            Err(e) => return Err(Error::Internal(format!("{}: {e}", cfg_path.display()))),
        };
        let read = |name: &str| {
            let p = data_dir.join(name);
            std::fs::read_to_string(&p)
                .map_err(|e| Error::Internal(format!("{}: {e}", p.display())))
        };
        let policy = match &cfg.policy {
            Some(f) => Policy::with_overrides(&read(f)?)
                .map_err(|e| Error::Internal(format!("{f}: {e}")))?,
            None => Policy::default_policy(),
        };
        let dict = match &cfg.dictionary {
            Some(f) => {
                Dictionary::parse(&read(f)?).map_err(|e| Error::Internal(format!("{f}: {e}")))?
            }
            None => Dictionary::default(),
        };
        let profile = MaskProfile::named(&cfg.mask_profile).ok_or_else(|| {
            Error::Internal(format!(
                "messenger.toml: unknown mask_profile {:?}",
                cfg.mask_profile
            ))
        })?;
        let marker = baomi_mark::Marker::new(cfg.mark_font.as_deref());
        match marker.font_path() {
            Some(p) => tracing::info!("marks on downloaded images drawn with {}", p.display()),
            None => tracing::warn!(
                "no CJK font found: downloaded images go out without a mark (set mark_font in messenger.toml)"
            ),
        }
        let hub = hub::Hub::default();
        let rooms = rooms::Rooms::default();
        let writer = writer::start(db.clone(), audit.log().cloned(), hub.clone(), rooms.clone());
        Ok(Messenger {
            db,
            audit,
            sealer,
            gate: Arc::new(gate::Gate::new(&dict, policy, profile)),
            cfg: Arc::new(cfg),
            writer,
            hub,
            rooms,
            files: data_dir.join("attachments"),
            marker,
        })
    }

    /// Settings in force.
    pub fn config(&self) -> &MessengerConfig {
        &self.cfg
    }

    /// The gate.
    pub fn gate(&self) -> &gate::Gate {
        &self.gate
    }

    /// Connected clients.
    pub fn hub(&self) -> &hub::Hub {
        &self.hub
    }

    /// Writes where shipped events went in the log (the server does so every few seconds).
    pub async fn flush(&self) -> Result<()> {
        self.writer.run(writer::Op::Flush).await.map(|_| ())
    }

    fn seal_context(conversation: i64, sha: &str) -> String {
        format!("message:{conversation}:{sha}")
    }

    fn open_text(&self, conversation: i64, sha: &str, sealed: &[u8]) -> Result<String> {
        let plain = self
            .sealer
            .open(sealed, &Messenger::seal_context(conversation, sha))?;
        String::from_utf8(plain).map_err(|_| Error::Internal("sealed message is not UTF-8".into()))
    }
}

/// SHA-256 (hex) of a text.
pub(crate) fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    crate::ledger::hex(&Sha256::digest(text.as_bytes()))
}
