//! A conversation's whole record for an investigation: members past and present, every
//! message with its archived versions (withdrawn and edited texts included), and every event
//! with its log entry and position, so that each text can be checked against its hash and each
//! hash against the tamper-evident log. The export is recorded in the audit trail with its own
//! SHA-256, so the file handed over is itself verifiable.

use super::read::Person;
use super::writer::ChatEntry;
use super::{Messenger, sha256_hex};
use crate::accounts::User;
use crate::audit::{Event, Outcome};
use crate::error::{Error, Result};
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

/// The export.
#[derive(Serialize, ToSchema)]
pub struct Export {
    /// Format version.
    pub v: u32,
    /// Conversation id.
    pub conversation: i64,
    /// `direct` or `group`.
    pub kind: String,
    /// Title.
    pub title: String,
    /// Sensitivity.
    pub sensitivity: String,
    /// Unix seconds.
    pub exported_at: i64,
    /// Integrity officer's user id.
    pub exported_by: i64,
    /// Log size when exported.
    pub log_size: u64,
    /// Members, past and present.
    pub members: Vec<ExportedMember>,
    /// Messages, with archived versions.
    pub messages: Vec<ExportedMessage>,
    /// Events with their log entries.
    pub events: Vec<ExportedEvent>,
}

/// A member, past or present.
#[derive(Serialize, ToSchema)]
pub struct ExportedMember {
    /// The person.
    pub user: Person,
    /// Role.
    pub role: String,
    /// Unix seconds.
    pub joined_at: i64,
    /// Unix seconds.
    pub left_at: Option<i64>,
}

/// A message as stored.
#[derive(Serialize, ToSchema)]
pub struct ExportedMessage {
    /// Id.
    pub id: i64,
    /// Event cursor.
    pub seq: i64,
    /// Sender.
    pub sender: Person,
    /// Unix seconds.
    pub at: i64,
    /// The last text (kept after withdrawal).
    pub text: String,
    /// Its SHA-256.
    pub sha256: String,
    /// The gate's decision as recorded.
    #[schema(value_type = Object)]
    pub gate: serde_json::Value,
    /// Replied-to message.
    pub reply_to: Option<i64>,
    /// Forwarded from.
    #[schema(value_type = Object)]
    pub provenance: Option<serde_json::Value>,
    /// Official notice.
    pub notice: bool,
    /// Unix seconds.
    pub edited_at: Option<i64>,
    /// Unix seconds.
    pub recalled_at: Option<i64>,
    /// Past retention: text and file deleted (Unix seconds).
    pub purged_at: Option<i64>,
    /// The file sent with it: name, type, size and SHA-256 (the file itself is downloaded
    /// separately, and that download is recorded).
    pub attachment: Option<ExportedAttachment>,
    /// Earlier texts, oldest first.
    pub versions: Vec<ExportedVersion>,
}

/// A file's identity.
#[derive(Serialize, ToSchema)]
pub struct ExportedAttachment {
    /// Attachment id.
    pub id: i64,
    /// File name.
    pub name: String,
    /// Media type.
    pub mime: String,
    /// Bytes.
    pub size: i64,
    /// SHA-256 of the file (also in the log entry of its message).
    pub sha256: String,
}

/// An archived text.
#[derive(Serialize, ToSchema)]
pub struct ExportedVersion {
    /// 1, 2, ...
    pub version: i64,
    /// When it was replaced (Unix seconds).
    pub replaced_at: i64,
    /// `edit` or `recall`.
    pub reason: String,
    /// The text.
    pub text: String,
    /// Its SHA-256.
    pub sha256: String,
}

/// An event with its log entry.
#[derive(Serialize, ToSchema)]
pub struct ExportedEvent {
    /// Position in the log (None: not yet shipped).
    pub log_index: Option<i64>,
    /// The entry's exact bytes, as UTF-8 JSON.
    pub entry: String,
}

impl Messenger {
    /// Exports a conversation (the caller must be an integrity officer; checked by the
    /// handler) and records the export. Returns the JSON bytes.
    pub async fn export(&self, caller: &User, ip: &str, conversation: i64) -> Result<Vec<u8>> {
        let c = sqlx::query("SELECT kind, title, sensitivity FROM conversations WHERE id = ?")
            .bind(conversation)
            .fetch_optional(&self.db)
            .await?
            .ok_or(Error::NotFound)?;
        let person = Person::from_row;
        let members = sqlx::query(
            "SELECT u.id, u.display_name, un.name, u.title, u.external, m.role, m.joined_at, m.left_at
             FROM conversation_members m JOIN users u ON u.id = m.user_id
             LEFT JOIN units un ON un.id = u.unit_id WHERE m.conversation_id = ? ORDER BY m.joined_at, u.id",
        )
        .bind(conversation)
        .fetch_all(&self.db)
        .await?
        .iter()
        .map(|r| ExportedMember {
            user: person(r, 0),
            role: r.get(5),
            joined_at: r.get(6),
            left_at: r.get(7),
        })
        .collect();
        let rows = sqlx::query(
            "SELECT m.id, m.seq, u.id, u.display_name, un.name, u.title, u.external, m.at,
               m.body_sealed, m.body_sha256, m.gate, m.reply_to, m.provenance, m.notice,
               m.edited_at, m.recalled_at, m.purged_at, a.id, a.name, a.mime, a.size, a.sha256
             FROM messages m JOIN users u ON u.id = m.sender_id LEFT JOIN units un ON un.id = u.unit_id
             LEFT JOIN attachments a ON a.message_id = m.id
             WHERE m.conversation_id = ? ORDER BY m.id",
        )
        .bind(conversation)
        .fetch_all(&self.db)
        .await?;
        let mut messages = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: i64 = r.get(0);
            let sha: String = r.get(9);
            let versions = sqlx::query(
                "SELECT version, replaced_at, reason, body_sealed, body_sha256
                 FROM message_versions WHERE message_id = ? ORDER BY version",
            )
            .bind(id)
            .fetch_all(&self.db)
            .await?
            .iter()
            .map(|v| {
                let vsha: String = v.get(4);
                let sealed: Vec<u8> = v.get(3);
                Ok(ExportedVersion {
                    version: v.get(0),
                    replaced_at: v.get(1),
                    reason: v.get(2),
                    text: if sealed.is_empty() {
                        String::new()
                    } else {
                        self.open_text(conversation, &vsha, &sealed)?
                    },
                    sha256: vsha,
                })
            })
            .collect::<Result<Vec<_>>>()?;
            messages.push(ExportedMessage {
                id,
                seq: r.get(1),
                sender: person(r, 2),
                at: r.get(7),
                // Past retention the text is gone; the hash still identifies it.
                text: match r.get::<Option<i64>, _>(16) {
                    Some(_) => String::new(),
                    None => self.open_text(conversation, &sha, r.get(8))?,
                },
                purged_at: r.get(16),
                attachment: r.get::<Option<i64>, _>(17).map(|id| ExportedAttachment {
                    id,
                    name: r.get(18),
                    mime: r.get(19),
                    size: r.get(20),
                    sha256: r.get(21),
                }),
                sha256: sha,
                gate: serde_json::from_str(r.get(10)).unwrap_or_default(),
                reply_to: r.get(11),
                provenance: r
                    .get::<Option<String>, _>(12)
                    .and_then(|p| serde_json::from_str(&p).ok()),
                notice: r.get::<i64, _>(13) != 0,
                edited_at: r.get(14),
                recalled_at: r.get(15),
                versions,
            });
        }
        let events = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {}, log_index FROM conversation_events WHERE conversation_id = ? ORDER BY seq",
            super::writer::EVENT_COLUMNS
        )))
        .bind(conversation)
        .fetch_all(&self.db)
        .await?
        .iter()
        .map(|r| ExportedEvent {
            log_index: r.get(9),
            entry: serde_json::to_string(&ChatEntry::from_row(r)).expect("serialisable"),
        })
        .collect();
        let export = Export {
            v: 1,
            conversation,
            kind: c.get(0),
            title: c.get(1),
            sensitivity: c.get(2),
            exported_at: crate::clock::now(),
            exported_by: caller.id,
            log_size: self.audit.log().map_or(0, |l| l.head().size),
            members,
            messages,
            events,
        };
        let bytes = serde_json::to_vec_pretty(&export).expect("serialisable");
        let sha = sha256_hex(std::str::from_utf8(&bytes).expect("JSON is UTF-8"));
        self.audit
            .record(
                Event::new(Some(caller.id), "message.export", Outcome::Ok)
                    .target(format!("conversation:{conversation}"))
                    .ip(ip)
                    .detail(serde_json::json!({
                        "sha256": sha,
                        "messages": export.messages.len(),
                        "events": export.events.len(),
                    })),
            )
            .await?;
        Ok(bytes)
    }
}
