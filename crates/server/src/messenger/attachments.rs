//! Files sent in a conversation: a photo of a page, a scanned letter, an Office or ODF document.
//! Before anyone else can see one, its text is extracted (`baomi-extract`: documents, archives,
//! and photos through OCR) and passes the same gate as a message, on the attachment channel;
//! content that could not be read is "not inspected", which the default policy blocks. What
//! passes is stored sealed in the data folder (never in the database), and each download is
//! recorded. Guests cannot download from a 不得轉傳 conversation; API tokens never can.

use super::gate::{Found, Why};
use super::send::{GateOutcome, Status};
use super::writer::{NewAttachment, Op, Outgoing};
use super::{Messenger, sha256_hex};
use crate::accounts::User;
use crate::audit::{Event, Outcome as AuditOutcome};
use crate::error::{Error, Result};
use baomi_extract::{Event as Extracted, Extractor};
use baomi_inspect::policy::{Action, Channel, Request};
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

/// Largest file accepted.
pub const MAX_BYTES: usize = 25 << 20;

/// An attachment as members see it.
#[derive(Clone, Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct AttachmentView {
    /// Id (download at `/api/v1/attachments/{id}`).
    pub id: i64,
    /// File name.
    pub name: String,
    /// Media type.
    pub mime: String,
    /// Bytes.
    pub size: i64,
}

/// What an upload carries besides the bytes.
pub struct Upload {
    /// File name as the sender's device gave it.
    pub name: String,
    /// The client's id for the message.
    pub client_id: String,
    /// The sender confirms, having seen what was found.
    pub confirm: bool,
}

/// A file on its way into a conversation.
pub(crate) struct FileSend {
    pub name: String,
    pub bytes: Vec<u8>,
    pub client_id: String,
    /// The sender has seen what was found (and, for a forward, the target).
    pub confirmed: bool,
    /// Where a forwarded file came from.
    pub forwarded: Option<super::read::Provenance>,
}

/// Media types served as they are; anything else is served as bytes to download.
const SAFE_TYPES: &[(&str, &str)] = &[
    ("png", "image/png"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("pdf", "application/pdf"),
];

fn mime_of(format: &str) -> &'static str {
    SAFE_TYPES
        .iter()
        .find(|(f, _)| *f == format)
        .map_or("application/octet-stream", |(_, m)| m)
}

fn clean_name(name: &str) -> Result<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if base.is_empty() || base.chars().count() > 200 || base.chars().any(char::is_control) {
        return Err(Error::BadRequest(
            "name: the file's name, 1 to 200 characters".into(),
        ));
    }
    Ok(base.to_string())
}

impl Messenger {
    /// Sends a file through the gate.
    pub async fn attach(
        &self,
        caller: &User,
        ip: &str,
        conversation: i64,
        up: Upload,
        bytes: Vec<u8>,
    ) -> Result<GateOutcome> {
        super::send::check_client_id(&up.client_id)?;
        let name = clean_name(&up.name)?;
        if bytes.is_empty() {
            return Err(Error::BadRequest("the file is empty".into()));
        }
        if bytes.len() > MAX_BYTES {
            return Err(Error::TooLarge);
        }
        self.deliver_file(
            caller,
            ip,
            conversation,
            FileSend {
                name,
                bytes,
                client_id: up.client_id,
                confirmed: up.confirm,
                forwarded: None,
            },
        )
        .await
    }

    /// The bytes of an attachment the caller can see (no mark: they stay on the server).
    pub(crate) async fn attachment_bytes(&self, id: i64) -> Result<(String, Vec<u8>)> {
        let r =
            sqlx::query("SELECT conversation_id, name, sha256, file FROM attachments WHERE id = ?")
                .bind(id)
                .fetch_optional(&self.db)
                .await?
                .ok_or(Error::NotFound)?;
        let (conversation, sha): (i64, String) = (r.get(0), r.get(2));
        let path = self.files.join(r.get::<&str, _>(3));
        let sealed = tokio::fs::read(&path)
            .await
            .map_err(|e| Error::Internal(format!("{}: {e}", path.display())))?;
        let bytes = self
            .sealer
            .open(&sealed, &format!("attachment:{conversation}:{sha}"))?;
        Ok((r.get(1), bytes))
    }

    /// A file into `conversation` through the gate: sent now, or what the sender must see first.
    /// A forward (with its provenance) is judged on the forward channel and, like a forwarded
    /// text, always names its target before it goes.
    pub(crate) async fn deliver_file(
        &self,
        caller: &User,
        ip: &str,
        conversation: i64,
        f: FileSend,
    ) -> Result<GateOutcome> {
        let FileSend {
            name,
            bytes,
            client_id,
            confirmed,
            forwarded,
        } = f;
        let channel = if forwarded.is_some() {
            Channel::Forward
        } else {
            Channel::Attachment
        };
        let room = self.room(conversation).await?;
        room.member(caller.id).ok_or(Error::NotFound)?;
        let audience = super::members::audience_of(&room, caller);
        let title = if room.title.is_empty() {
            room.members
                .iter()
                .find(|m| m.user != caller.id)
                .map(|m| m.name.clone())
                .unwrap_or_default()
        } else {
            room.title.clone()
        };
        // Extraction (and OCR, a separate process) off the async threads.
        let gate = self.gate.clone();
        let (bytes, inspected) = tokio::task::spawn_blocking(move || {
            let r = inspect_file(&gate, &bytes, &name);
            (bytes, r)
        })
        .await
        .map_err(|e| Error::Internal(format!("inspecting an attachment: {e}")))?;
        let Inspected {
            findings,
            shown,
            skipped,
            format,
            name,
        } = inspected;
        let decision = self.gate.policy().decide(Request {
            findings: &findings,
            uninspected: !skipped.is_empty(),
            channel,
            audience: audience.scope,
        });
        let mut reasons: Vec<Why> = decision
            .reasons
            .iter()
            .map(|r| Why {
                rule: r.rule.clone(),
                action: r.action.to_string(),
                zh: r.zh.clone(),
                en: r.en.clone(),
            })
            .collect();
        for s in &skipped {
            reasons.push(Why {
                rule: "not-inspected".into(),
                action: "note".into(),
                zh: format!("未能檢查：{s}"),
                en: format!("Not inspected: {s}"),
            });
        }
        let status = match decision.action {
            // A file cannot be sent masked: what must be masked does not go.
            Action::Block | Action::Mask => Some(Status::Blocked),
            Action::Confirm if !confirmed => Some(Status::Confirm),
            // A forward names its target and waits, even when nothing was found.
            _ if forwarded.is_some() && !confirmed => Some(Status::Confirm),
            _ => None,
        };
        if forwarded.is_some() && matches!(status, Some(Status::Confirm)) {
            reasons.push(super::send::forward_target_reason(&title, &audience));
        }
        let kinds = {
            let mut m = std::collections::BTreeMap::new();
            for f in &findings {
                *m.entry(f.kind.name()).or_insert(0) += 1;
            }
            m
        };
        if let Some(status) = status {
            if matches!(status, Status::Blocked) {
                self.audit
                    .record(
                        Event::new(Some(caller.id), "message.blocked", AuditOutcome::Denied)
                            .target(format!("conversation:{conversation}"))
                            .ip(ip)
                            .detail(serde_json::json!({
                                "channel": if forwarded.is_some() { "forward" } else { "attachment" },
                                "format": format,
                                "kinds": kinds,
                                "not_inspected": skipped.len(),
                                "rules": decision.reasons.iter().map(|r| &r.rule).collect::<Vec<_>>(),
                            })),
                    )
                    .await?;
            }
            return Ok(GateOutcome {
                status,
                message_id: None,
                seq: None,
                duplicate: false,
                action: decision.action.to_string(),
                reasons,
                found: shown,
                audience,
                target_title: title,
                masked_text: None,
            });
        }
        let sha = sha256_hex_bytes(&bytes);
        let file = format!("{}.sealed", random_name()?);
        let sealed = self
            .sealer
            .seal(&bytes, &format!("attachment:{conversation}:{sha}"))?;
        let dir = self.files.clone();
        let path = dir.join(&file);
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)
                .map_err(|e| Error::Internal(format!("{}: {e}", dir.display())))?;
            crate::store_private(&path, &sealed)
        })
        .await
        .map_err(|e| Error::Internal(e.to_string()))??;
        let caption = String::new();
        let gate_record = serde_json::json!({
            "action": decision.action.to_string(),
            "rules": decision.reasons.iter().map(|r| &r.rule).collect::<Vec<_>>(),
            "kinds": kinds,
            "confirmed": confirmed,
            "format": format,
            "audience": audience.scope,
            "members": audience.members,
            "guests": audience.guests,
        })
        .to_string();
        let text_sha = sha256_hex(&caption);
        let sealed_caption = self.sealer.seal(
            caption.as_bytes(),
            &Messenger::seal_context(conversation, &text_sha),
        )?;
        let stored = self.files.join(&file);
        let done = self
            .writer
            .run(Op::Send(Box::new(Outgoing {
                conversation,
                sender: Messenger::sender(caller),
                client_id,
                text: caption,
                sealed: sealed_caption,
                // The log vouches for the file: its hash stands for the message's content.
                sha: text_sha,
                reply_to: None,
                forwarded,
                notice: false,
                mentions: vec![],
                gate: gate_record,
                action: decision.action.to_string(),
                attachment: Some(NewAttachment {
                    name,
                    mime: mime_of(format).into(),
                    size: bytes.len() as i64,
                    sha,
                    format: format.into(),
                    file,
                }),
            })))
            .await;
        // A refused send, or a resend of a file already stored, leaves this copy unreferenced.
        if !matches!(
            done,
            Ok(super::writer::Done::Message {
                duplicate: false,
                ..
            })
        ) && let Err(e) = tokio::fs::remove_file(&stored).await
        {
            tracing::warn!(error = %e, file = %stored.display(), "removing an unused upload");
        }
        let done = done?;
        Ok(super::send::sent(
            done,
            decision.action,
            reasons,
            audience,
            title,
        ))
    }

    /// A file the caller may download: (name, media type, bytes). Recorded.
    pub async fn download(
        &self,
        caller: &User,
        by_token: bool,
        ip: &str,
        id: i64,
    ) -> Result<(String, String, Vec<u8>)> {
        let r = sqlx::query(
            "SELECT a.conversation_id, a.name, a.mime, a.sha256, a.file, m.seq,
               COALESCE(m.recalled_at, m.purged_at)
             FROM attachments a JOIN messages m ON m.id = a.message_id WHERE a.id = ?",
        )
        .bind(id)
        .fetch_optional(&self.db)
        .await?
        .ok_or(Error::NotFound)?;
        let conversation: i64 = r.get(0);
        let m = self.membership(caller.id, conversation).await?;
        if r.get::<i64, _>(5) <= m.joined_seq || r.get::<Option<i64>, _>(6).is_some() {
            return Err(Error::NotFound);
        }
        if !m.sensitivity.forwardable() && (caller.external || by_token) {
            self.audit
                .record(
                    Event::new(Some(caller.id), "attachment.download", AuditOutcome::Denied)
                        .target(format!("attachment:{id}"))
                        .ip(ip)
                        .detail(serde_json::json!({ "conversation": conversation, "reason": "no_forward" })),
                )
                .await?;
            return Err(Error::Forbidden);
        }
        let sha: String = r.get(3);
        let path = self.files.join(r.get::<&str, _>(4));
        let sealed = tokio::fs::read(&path)
            .await
            .map_err(|e| Error::Internal(format!("{}: {e}", path.display())))?;
        let bytes = self
            .sealer
            .open(&sealed, &format!("attachment:{conversation}:{sha}"))?;
        // Every copy that leaves carries who took it, when, and a code that finds this record.
        let now = crate::clock::now();
        let trace = trace_code(id)?;
        let text = mark_text(caller, &crate::clock::display(now, false), &trace);
        let marker = self.marker.clone();
        let (bytes, outcome) = tokio::task::spawn_blocking(move || marker.apply(bytes, &text))
            .await
            .map_err(|e| Error::Internal(format!("marking: {e}")))?;
        if let baomi_mark::Outcome::Failed(e) = &outcome {
            tracing::warn!("attachment {id}: not marked: {e}");
        }
        self.audit
            .record(
                Event::new(Some(caller.id), "attachment.download", AuditOutcome::Ok)
                    .target(format!("attachment:{id}"))
                    .ip(ip)
                    .detail(serde_json::json!({
                        "conversation": conversation,
                        "sha256": sha,
                        "mark": outcome.name(),
                        "trace": trace,
                    })),
            )
            .await?;
        Ok((r.get(1), r.get(2), bytes))
    }
}

/// A short code printed in a copy's mark and kept in its download record: a photo of a leaked
/// copy leads to the record even where the name is cut off.
fn trace_code(attachment: i64) -> Result<String> {
    let mut r = [0u8; 4];
    getrandom::fill(&mut r).map_err(|e| Error::Internal(format!("randomness: {e}")))?;
    Ok(format!(
        "A{attachment}-{:02X}{:02X}{:02X}{:02X}",
        r[0], r[1], r[2], r[3]
    ))
}

/// The mark's text: name (and 外部 for a guest), unit, time, trace code.
fn mark_text(viewer: &User, when: &str, trace: &str) -> String {
    let guest = if viewer.external { "［外部］" } else { "" };
    let unit = viewer.unit_name.as_deref().unwrap_or("");
    format!("{}{guest} {unit} {when} 下載 {trace}", viewer.display_name)
}

struct Inspected {
    findings: Vec<baomi_inspect::Finding>,
    shown: Vec<Found>,
    skipped: Vec<String>,
    format: &'static str,
    name: String,
}

fn inspect_file(gate: &super::gate::Gate, bytes: &[u8], name: &str) -> Inspected {
    let mut findings = Vec::new();
    let mut shown = Vec::new();
    let mut skipped = Vec::new();
    let format = Extractor::default().extract(bytes, Some(name), &mut |e| match e {
        Extracted::Text(seg) => {
            let v = gate.scan(seg.text);
            shown.extend(v.1.into_iter().map(|mut f| {
                let at = seg.origin.to_string();
                if !at.is_empty() {
                    f.label = format!("{}（{at}）", f.label);
                }
                f
            }));
            findings.extend(v.0);
        }
        Extracted::Skipped { origin, skip } => skipped.push(format!("{origin}: {skip}")),
    });
    Inspected {
        findings,
        shown,
        skipped,
        format: format.name(),
        name: name.to_string(),
    }
}

fn sha256_hex_bytes(b: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    crate::ledger::hex(&Sha256::digest(b))
}

fn random_name() -> Result<String> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| Error::Internal(format!("randomness: {e}")))?;
    Ok(crate::ledger::hex(&b))
}
