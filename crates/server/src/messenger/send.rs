//! Sending, forwarding, editing and withdrawing, each through the gate: the text is inspected
//! for the conversation's audience and the policy decides. A blocked text is not stored; the
//! attempt is recorded (kinds and rules, never content). Personal data waits for the sender's
//! confirmation or goes masked. A forward always waits for the sender to confirm the target
//! by its id, having been shown its name and audience.

use super::gate::{AudienceView, Found, Verdict, Why};
use super::read::{Person, Provenance};
use super::writer::{Done, Edit, Op, Outgoing};
use super::{Messenger, sha256_hex};
use crate::accounts::User;
use crate::api::input::Int;
use crate::audit::{Event, Outcome as AuditOutcome};
use crate::error::{Error, Result};
use baomi_inspect::policy::{Action, Channel};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A message text: no control characters but tab and line breaks, not blank.
pub const TEXT_PATTERN: &str = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$";
/// A client's id for a message.
pub const CLIENT_ID_PATTERN: &str = r"^[A-Za-z0-9._:-]{1,100}$";

/// What the sender wrote and chose.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Draft {
    /// The text (at most `max_chars` of `messenger.toml`, 8,000 by default).
    #[schema(
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$",
        max_length = 8000
    )]
    pub text: String,
    /// The client's id for this message (a resend with the same id is not a second message).
    #[schema(pattern = r"^[A-Za-z0-9._:-]{1,100}$")]
    pub client_id: String,
    /// The message replied to.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub reply_to: Option<Int>,
    /// An official notice (admins of a group only): members' read receipts are kept.
    #[serde(default)]
    pub notice: bool,
    /// Members mentioned.
    #[serde(default)]
    #[schema(value_type = Vec<i64>, max_items = 100)]
    pub mentions: Vec<Int>,
    /// The sender confirms, having seen what was found and who will see it.
    #[serde(default)]
    pub confirm: bool,
    /// Send the masked version instead.
    #[serde(default)]
    pub masked: bool,
}

/// The gate's answer.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Stored, logged and delivered.
    Sent,
    /// Waiting for the sender to confirm (send again with `confirm: true`).
    Confirm,
    /// Only the masked version may go (send again with `masked: true`).
    Mask,
    /// Not sent, and not stored.
    Blocked,
}

/// What the sender is shown.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct GateOutcome {
    /// What happened.
    pub status: Status,
    /// The stored message (status `sent`).
    pub message_id: Option<i64>,
    /// Its event cursor.
    pub seq: Option<i64>,
    /// The message was already stored under this client id (a resend).
    pub duplicate: bool,
    /// The policy's action: allow, warn, confirm, mask, block.
    pub action: String,
    /// Why, strictest first.
    pub reasons: Vec<Why>,
    /// What was found (values masked).
    pub found: Vec<Found>,
    /// Who will see it.
    pub audience: AudienceView,
    /// The target conversation's title (forwards and confirmations).
    pub target_title: String,
    /// The masked text the sender may send instead (when that would pass).
    pub masked_text: Option<String>,
}

/// What a forward needs.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForwardDraft {
    /// Target conversation.
    #[schema(value_type = i64)]
    pub to: Int,
    /// The client's id for the new message.
    #[schema(pattern = r"^[A-Za-z0-9._:-]{1,100}$")]
    pub client_id: String,
    /// The target conversation's id again, once the sender has seen its name and audience.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub confirm_target: Option<Int>,
    /// Forward the masked version.
    #[serde(default)]
    pub masked: bool,
}

const MAX_CLIENT_ID: usize = 100;

pub(crate) fn check_client_id(id: &str) -> Result<()> {
    if id.is_empty()
        || id.len() > MAX_CLIENT_ID
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
    {
        return Err(Error::BadRequest(
            "client_id: 1 to 100 characters of A-Z a-z 0-9 - _ . :".into(),
        ));
    }
    Ok(())
}

impl Messenger {
    fn check_text(&self, text: &str) -> Result<()> {
        if text.chars().all(|c| c.is_whitespace() || c == '\u{feff}') {
            return Err(Error::BadRequest(
                "訊息不得為空白 (the message is empty)".into(),
            ));
        }
        let n = text.chars().count();
        if n > self.cfg.max_chars {
            return Err(Error::BadRequest(format!(
                "訊息過長（{n} 字，上限 {} 字） (the message is too long: {n} characters, at most {})",
                self.cfg.max_chars, self.cfg.max_chars
            )));
        }
        if text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
        {
            return Err(Error::BadRequest(
                "the message contains control characters".into(),
            ));
        }
        Ok(())
    }

    /// The title a sender sees for a conversation (a one-to-one: the other person's name).
    async fn title_for(&self, caller: &User, conversation: i64, stored: &str) -> Result<String> {
        if !stored.is_empty() {
            return Ok(stored.to_string());
        }
        let room = self.room(conversation).await?;
        Ok(room
            .members
            .iter()
            .find(|m| m.user != caller.id)
            .map(|m| m.name.clone())
            .unwrap_or_default())
    }

    /// Runs the gate; for texts that may not go as they are, records a blocked attempt and
    /// answers without storing. `Ok(Err(outcome))`: stop and show the outcome.
    #[allow(clippy::too_many_arguments)]
    async fn pass(
        &self,
        caller: &User,
        ip: &str,
        conversation: i64,
        original: &str,
        channel: Channel,
        confirmed: bool,
        masked: bool,
        audience: AudienceView,
        target_title: String,
    ) -> Result<std::result::Result<(String, Verdict, AudienceView), GateOutcome>> {
        let first = self.gate.check(original, channel, audience.scope);
        let (text, verdict) = match (&first.masked, masked) {
            (Some(m), true) => (m.clone(), self.gate.check(m, channel, audience.scope)),
            _ => (original.to_string(), first.clone()),
        };
        // A masked text that still asks for masking has nothing more to mask.
        let action = match verdict.action() {
            Action::Mask if masked => Action::Warn,
            a => a,
        };
        let stop = match action {
            Action::Block => Some(Status::Blocked),
            Action::Mask => Some(Status::Mask),
            Action::Confirm if !confirmed => Some(Status::Confirm),
            _ => None,
        };
        let Some(status) = stop else {
            return Ok(Ok((text, verdict, audience)));
        };
        let offer = first
            .masked
            .clone()
            .filter(|m| self.gate.check(m, channel, audience.scope).action() < Action::Block);
        if matches!(status, Status::Blocked) {
            self.audit
                .record(
                    Event::new(Some(caller.id), "message.blocked", AuditOutcome::Denied)
                        .target(format!("conversation:{conversation}"))
                        .ip(ip)
                        .detail(serde_json::json!({
                            "channel": channel,
                            "kinds": verdict.kinds(),
                            "rules": verdict.decision.reasons.iter().map(|r| &r.rule).collect::<Vec<_>>(),
                        })),
                )
                .await?;
        }
        Ok(Err(GateOutcome {
            status,
            message_id: None,
            seq: None,
            duplicate: false,
            action: verdict.action().to_string(),
            reasons: verdict.why(),
            found: first.found(original, self.gate.profile()),
            audience,
            target_title,
            masked_text: offer,
        }))
    }

    fn gate_record(verdict: &Verdict, confirmed: bool, masked: bool, a: &AudienceView) -> String {
        serde_json::json!({
            "action": verdict.action().to_string(),
            "rules": verdict.decision.reasons.iter().map(|r| &r.rule).collect::<Vec<_>>(),
            "kinds": verdict.kinds(),
            "confirmed": confirmed,
            "masked": masked,
            "audience": a.scope,
            "members": a.members,
            "guests": a.guests,
        })
        .to_string()
    }

    pub(crate) fn sender(caller: &User) -> Person {
        Person {
            id: caller.id,
            name: caller.display_name.clone(),
            unit: caller.unit_name.clone(),
            title: caller.title.clone(),
            external: caller.external,
        }
    }

    /// Sends a text to a conversation the caller belongs to, through the gate.
    pub async fn send(
        &self,
        caller: &User,
        ip: &str,
        conversation: i64,
        d: Draft,
    ) -> Result<GateOutcome> {
        check_client_id(&d.client_id)?;
        self.check_text(&d.text)?;
        // One look at the conversation serves every check below.
        let room = self.room(conversation).await?;
        let me = room.member(caller.id).ok_or(Error::NotFound)?;
        if d.notice && (me.role != "admin" || room.kind != "group") {
            return Err(Error::Forbidden);
        }
        if d.mentions.len() > 100 {
            return Err(Error::BadRequest("too many mentions".into()));
        }
        let mentions: Vec<i64> = d.mentions.iter().map(|m| m.0).collect();
        if let Some(x) = mentions.iter().find(|x| room.member(**x).is_none()) {
            return Err(Error::Conflict(format!("mentioned {x} is not a member")));
        }
        let audience = super::members::audience_of(&room, caller);
        let title = self.title_for(caller, conversation, &room.title).await?;
        let (text, verdict, audience) = match self
            .pass(
                caller,
                ip,
                conversation,
                &d.text,
                Channel::Chat,
                d.confirm,
                d.masked,
                audience,
                title.clone(),
            )
            .await?
        {
            Ok(v) => v,
            Err(outcome) => return Ok(outcome),
        };
        let sha = sha256_hex(&text);
        let sealed = self.sealer.seal(
            text.as_bytes(),
            &Messenger::seal_context(conversation, &sha),
        )?;
        let gate = Messenger::gate_record(&verdict, d.confirm, d.masked, &audience);
        let done = self
            .writer
            .run(Op::Send(Box::new(Outgoing {
                conversation,
                sender: Messenger::sender(caller),
                client_id: d.client_id,
                text,
                sealed,
                sha,
                reply_to: d.reply_to.map(|r| r.0),
                forwarded: None,
                notice: d.notice,
                mentions,
                gate,
                action: verdict.action().to_string(),
                attachment: None,
            })))
            .await?;
        Ok(sent(done, verdict.action(), verdict.why(), audience, title))
    }

    /// Forwards a message to another conversation of the caller's.
    pub async fn forward(
        &self,
        caller: &User,
        ip: &str,
        message: i64,
        f: ForwardDraft,
    ) -> Result<GateOutcome> {
        check_client_id(&f.client_id)?;
        let (src, src_m) = self.message(caller.id, message).await?;
        let Some(text) = src.text.clone() else {
            return Err(Error::Conflict("the message was withdrawn".into()));
        };
        let target = self.membership(caller.id, f.to.0).await?;
        let audience = self.audience(caller, f.to.0).await?;
        let title = self.title_for(caller, f.to.0, &target.title).await?;
        if !src_m.sensitivity.forwardable() {
            self.audit
                .record(
                    Event::new(
                        Some(caller.id),
                        "message.forward_refused",
                        AuditOutcome::Denied,
                    )
                    .target(format!("message:{message}"))
                    .ip(ip)
                    .detail(serde_json::json!({ "from": src.conversation, "to": f.to.0 })),
                )
                .await?;
            return Ok(GateOutcome {
                status: Status::Blocked,
                message_id: None,
                seq: None,
                duplicate: false,
                action: "block".into(),
                reasons: vec![Why {
                    rule: "no-forward-conversation".into(),
                    action: "block".into(),
                    zh: "此對話設定為「不得轉傳」，訊息不得轉傳至其他對話。".into(),
                    en: "This conversation is marked no-forward; its messages may not leave it."
                        .into(),
                }],
                found: vec![],
                audience,
                target_title: title,
                masked_text: None,
            });
        }
        let confirmed = f.confirm_target.map(|t| t.0) == Some(f.to.0);
        if let Some(att) = &src.attachment {
            // A file goes again through the gate, for the target's audience, as a new copy.
            let (name, bytes) = self.attachment_bytes(att.id).await?;
            let forwarded = Some(self.provenance(caller, &src, &src_m).await?);
            return self
                .deliver_file(
                    caller,
                    ip,
                    f.to.0,
                    super::attachments::FileSend {
                        name,
                        bytes,
                        client_id: f.client_id,
                        confirmed,
                        forwarded,
                    },
                )
                .await;
        }
        let (text, verdict, audience) = match self
            .pass(
                caller,
                ip,
                f.to.0,
                &text,
                Channel::Forward,
                confirmed,
                f.masked,
                audience,
                title.clone(),
            )
            .await?
        {
            Ok(v) => v,
            Err(outcome) => return Ok(outcome),
        };
        if !confirmed {
            // Nothing found, but a forward still names its target and asks.
            return Ok(GateOutcome {
                status: Status::Confirm,
                message_id: None,
                seq: None,
                duplicate: false,
                action: "confirm".into(),
                reasons: vec![forward_target_reason(&title, &audience)],
                found: verdict.found(&text, self.gate.profile()),
                audience,
                target_title: title,
                masked_text: None,
            });
        }
        let origin = self.provenance(caller, &src, &src_m).await?;
        let sha = sha256_hex(&text);
        let sealed = self
            .sealer
            .seal(text.as_bytes(), &Messenger::seal_context(f.to.0, &sha))?;
        let gate = Messenger::gate_record(&verdict, true, f.masked, &audience);
        let done = self
            .writer
            .run(Op::Send(Box::new(Outgoing {
                conversation: f.to.0,
                sender: Messenger::sender(caller),
                client_id: f.client_id,
                text,
                sealed,
                sha,
                reply_to: None,
                forwarded: Some(origin),
                notice: false,
                mentions: vec![],
                gate,
                action: verdict.action().to_string(),
                attachment: None,
            })))
            .await?;
        Ok(sent(done, verdict.action(), verdict.why(), audience, title))
    }

    /// Replaces the text of the caller's own message (within the edit window), through the
    /// gate; the earlier text stays in the archive.
    pub async fn edit(
        &self,
        caller: &User,
        ip: &str,
        message: i64,
        d: Draft,
    ) -> Result<GateOutcome> {
        self.check_text(&d.text)?;
        let (src, m) = self.message(caller.id, message).await?;
        if src.sender.id != caller.id {
            return Err(Error::Forbidden);
        }
        let audience = self.audience(caller, src.conversation).await?;
        let title = self.title_for(caller, src.conversation, &m.title).await?;
        let (text, verdict, audience) = match self
            .pass(
                caller,
                ip,
                src.conversation,
                &d.text,
                Channel::Chat,
                d.confirm,
                d.masked,
                audience,
                title.clone(),
            )
            .await?
        {
            Ok(v) => v,
            Err(outcome) => return Ok(outcome),
        };
        let sha = sha256_hex(&text);
        let sealed = self.sealer.seal(
            text.as_bytes(),
            &Messenger::seal_context(src.conversation, &sha),
        )?;
        let done = self
            .writer
            .run(Op::Edit(Box::new(Edit {
                message,
                by: caller.id,
                text,
                sealed,
                sha,
                gate: Messenger::gate_record(&verdict, d.confirm, d.masked, &audience),
                action: verdict.action().to_string(),
                window: self.cfg.edit_minutes * 60,
            })))
            .await?;
        Ok(sent(done, verdict.action(), verdict.why(), audience, title))
    }

    /// Withdraws the caller's own message (within the recall window): readers see that it was
    /// withdrawn; the archive keeps it.
    pub async fn recall(&self, caller: &User, message: i64) -> Result<()> {
        self.message(caller.id, message).await?;
        self.writer
            .run(Op::Recall {
                message,
                by: caller.id,
                window: self.cfg.recall_minutes * 60,
            })
            .await
            .map(|_| ())
    }

    /// Marks messages up to `upto` read (receipts of notices among them are recorded).
    pub async fn mark_read(&self, caller: &User, conversation: i64, upto: i64) -> Result<()> {
        self.writer
            .run(Op::Read {
                conversation,
                user: caller.id,
                upto,
            })
            .await
            .map(|_| ())
    }
}

/// The question every forward asks: the target by name, and who is in it.
pub(crate) fn forward_target_reason(title: &str, audience: &AudienceView) -> Why {
    let guests_zh = if audience.guests > 0 {
        format!("，其中外部人員 {} 人", audience.guests)
    } else {
        String::new()
    };
    let guests_en = if audience.guests > 0 {
        format!(", {} of them guests", audience.guests)
    } else {
        String::new()
    };
    Why {
        rule: "forward-target".into(),
        action: "confirm".into(),
        zh: format!(
            "請確認轉傳對象：「{title}」，共 {} 人{guests_zh}。",
            audience.members
        ),
        en: format!(
            "Confirm the target: \"{title}\", {} members{guests_en}.",
            audience.members
        ),
    }
}

impl Messenger {
    /// Where a forwarded message came from: its first origin, if it was itself forwarded.
    async fn provenance(
        &self,
        caller: &User,
        src: &super::read::MessageView,
        src_m: &super::read::Membership,
    ) -> Result<Provenance> {
        if let Some(p) = &src.forwarded {
            return Ok(p.clone());
        }
        Ok(Provenance {
            message: src.id,
            conversation: src.conversation,
            conversation_title: self
                .title_for(caller, src.conversation, &src_m.title)
                .await?,
            sender: src.sender.name.clone(),
            at: src.at,
        })
    }
}

pub(crate) fn sent(
    done: Done,
    action: Action,
    reasons: Vec<Why>,
    audience: AudienceView,
    title: String,
) -> GateOutcome {
    let (id, seq, duplicate) = match done {
        Done::Message { id, seq, duplicate } => (Some(id), Some(seq), duplicate),
        _ => (None, None, false),
    };
    GateOutcome {
        status: Status::Sent,
        message_id: id,
        seq,
        duplicate,
        action: action.to_string(),
        reasons,
        found: vec![],
        audience,
        target_title: title,
        masked_text: None,
    }
}
