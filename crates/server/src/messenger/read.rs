//! What members read: conversations, messages, events since a cursor. Every query is scoped
//! to the caller's memberships; a non-member gets "not found", never a hint.

use super::{Messenger, Sensitivity};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

/// A person as shown next to a message or in a member list.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Person {
    /// User id.
    pub id: i64,
    /// Name shown.
    pub name: String,
    /// Unit name.
    pub unit: Option<String>,
    /// Title.
    pub title: String,
    /// A guest from outside the agency (shown as 外部 everywhere).
    pub external: bool,
}

impl Person {
    /// From five columns of a row starting at `i`: id, name, unit name, title, external.
    pub(crate) fn from_row(r: &sqlx::sqlite::SqliteRow, i: usize) -> Person {
        Person {
            id: r.get(i),
            name: r.get(i + 1),
            unit: r.get(i + 2),
            title: r.get(i + 3),
            external: r.get::<i64, _>(i + 4) != 0,
        }
    }
}

/// Where a forwarded message came from.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Provenance {
    /// The message forwarded.
    pub message: i64,
    /// Its conversation.
    pub conversation: i64,
    /// That conversation's title.
    pub conversation_title: String,
    /// Who wrote it.
    pub sender: String,
    /// When (Unix seconds).
    pub at: i64,
}

/// A message as a member sees it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MessageView {
    /// Id.
    pub id: i64,
    /// Conversation.
    pub conversation: i64,
    /// The event that announced it.
    pub seq: i64,
    /// Sender.
    pub sender: Person,
    /// Unix seconds.
    pub at: i64,
    /// The text (None once withdrawn).
    pub text: Option<String>,
    /// The message this one replies to.
    pub reply_to: Option<i64>,
    /// Where a forwarded message came from.
    pub forwarded: Option<Provenance>,
    /// An official notice (members' read receipts are kept).
    pub notice: bool,
    /// Members mentioned.
    pub mentions: Vec<i64>,
    /// Last edit (Unix seconds).
    pub edited_at: Option<i64>,
    /// Withdrawn (Unix seconds).
    pub recalled_at: Option<i64>,
    /// A file sent with it.
    pub attachment: Option<super::attachments::AttachmentView>,
    /// Past the retention period: text and file deleted (Unix seconds).
    pub purged_at: Option<i64>,
}

/// One event of a conversation, as delivered over the stream and replayed on resume.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EventView {
    /// Cursor: events come in increasing `seq`; resume after the last one seen.
    pub seq: i64,
    /// Conversation.
    pub conversation: i64,
    /// `created`, `message`, `edit`, `recall`, `joined`, `left`, `removed`,
    /// `join_requested`, `receipt`.
    pub kind: String,
    /// Unix seconds.
    pub at: i64,
    /// Who did it.
    pub actor: Option<i64>,
    /// Whom it concerns (the member who joined or left ...).
    pub subject: Option<i64>,
    /// The message, in its current state (message, edit and recall events).
    pub message: Option<MessageView>,
}

/// A conversation in the caller's list.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ConversationView {
    /// Id.
    pub id: i64,
    /// `direct` or `group`.
    pub kind: String,
    /// Title (a one-to-one conversation: the other person's name).
    pub title: String,
    /// Sensitivity.
    pub sensitivity: Sensitivity,
    /// Sensitivity in Traditional Chinese.
    pub sensitivity_label: String,
    /// The caller's role: `admin` or `member`.
    pub role: String,
    /// Current members.
    pub members: i64,
    /// Of them, guests.
    pub guests: i64,
    /// Messages from others not yet read.
    pub unread: i64,
    /// Last activity (Unix seconds).
    pub last_at: i64,
}

/// A member of a conversation.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MemberView {
    /// The person.
    #[serde(flatten)]
    pub person: Person,
    /// `admin` or `member`.
    pub role: String,
    /// Joined (Unix seconds).
    pub joined_at: i64,
}

/// The caller's membership of a conversation.
#[derive(Clone, Debug)]
pub struct Membership {
    /// Conversation id.
    pub conversation: i64,
    /// `direct` or `group`.
    pub kind: String,
    /// Title as stored (empty for one-to-one).
    pub title: String,
    /// Sensitivity.
    pub sensitivity: Sensitivity,
    /// `admin` or `member`.
    pub role: String,
    /// Events after this cursor are visible to the member.
    pub joined_seq: i64,
}

impl Membership {
    /// Is the caller an admin of the group?
    pub fn admin(&self) -> bool {
        self.role == "admin"
    }
}

pub(super) const MESSAGE_COLUMNS: &str =
    "m.id, m.conversation_id, m.seq, m.sender_id, u.display_name,
    un.name, u.title, u.external, m.at, m.body_sealed, m.body_sha256, m.reply_to, m.provenance,
    m.notice, m.mentions, m.edited_at, m.recalled_at, a.id, a.name, a.mime, a.size, m.purged_at";

pub(super) const MESSAGE_FROM: &str = "FROM messages m JOIN users u ON u.id = m.sender_id
    LEFT JOIN units un ON un.id = u.unit_id LEFT JOIN attachments a ON a.message_id = m.id";

/// A message view from a row of `MESSAGE_COLUMNS`, with its text already opened (the writer,
/// which never holds the key, passes the text it has).
pub(super) fn view_of_row(r: &sqlx::sqlite::SqliteRow, text: Option<String>) -> MessageView {
    let recalled_at: Option<i64> = r.get(16);
    let purged_at: Option<i64> = r.get(21);
    let gone = recalled_at.is_some() || purged_at.is_some();
    MessageView {
        id: r.get(0),
        conversation: r.get(1),
        seq: r.get(2),
        sender: Person::from_row(r, 3),
        at: r.get(8),
        text,
        reply_to: r.get(11),
        forwarded: r
            .get::<Option<String>, _>(12)
            .and_then(|p| serde_json::from_str(&p).ok()),
        notice: r.get::<i64, _>(13) != 0,
        mentions: serde_json::from_str(r.get(14)).unwrap_or_default(),
        edited_at: r.get(15),
        attachment: if gone { None } else { attachment_of(r) },
        recalled_at,
        purged_at,
    }
}

/// The attachment of a row of `MESSAGE_COLUMNS`.
pub(super) fn attachment_of(
    r: &sqlx::sqlite::SqliteRow,
) -> Option<super::attachments::AttachmentView> {
    r.get::<Option<i64>, _>(17)
        .map(|id| super::attachments::AttachmentView {
            id,
            name: r.get(18),
            mime: r.get(19),
            size: r.get(20),
        })
}

impl Messenger {
    /// The latest event cursor (a client that loads its lists now resumes the stream here).
    pub async fn cursor(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM conversation_events")
                .fetch_one(&self.db)
                .await?,
        )
    }

    /// The caller's current membership, or "not found" (a non-member learns nothing).
    pub async fn membership(&self, user: i64, conversation: i64) -> Result<Membership> {
        let room = self.room(conversation).await?;
        let m = room.member(user).ok_or(Error::NotFound)?;
        Ok(Membership {
            conversation,
            kind: room.kind.clone(),
            title: room.title.clone(),
            sensitivity: room.sensitivity,
            role: m.role.clone(),
            joined_seq: m.joined_seq,
        })
    }

    /// A conversation and its current members (cached), or "not found".
    pub async fn room(&self, conversation: i64) -> Result<std::sync::Arc<super::rooms::Room>> {
        self.rooms
            .get(&self.db, conversation)
            .await?
            .ok_or(Error::NotFound)
    }

    /// The caller's conversations, most recent activity first.
    pub async fn conversations(&self, user: i64) -> Result<Vec<ConversationView>> {
        let rows = sqlx::query(
            "SELECT c.id, c.kind, c.title, c.sensitivity, me.role,
               (SELECT COUNT(*) FROM conversation_members x WHERE x.conversation_id = c.id AND x.left_at IS NULL),
               (SELECT COUNT(*) FROM conversation_members x JOIN users u ON u.id = x.user_id
                 WHERE x.conversation_id = c.id AND x.left_at IS NULL AND u.external = 1),
               (SELECT COUNT(*) FROM messages g WHERE g.conversation_id = c.id AND g.id > me.read_upto
                 AND g.sender_id != me.user_id AND g.seq > me.joined_seq AND g.recalled_at IS NULL),
               COALESCE((SELECT MAX(e.at) FROM conversation_events e WHERE e.conversation_id = c.id), c.created_at),
               (SELECT u.display_name FROM conversation_members x JOIN users u ON u.id = x.user_id
                 WHERE x.conversation_id = c.id AND x.user_id != me.user_id LIMIT 1)
             FROM conversation_members me JOIN conversations c ON c.id = me.conversation_id
             WHERE me.user_id = ? AND me.left_at IS NULL",
        )
        .bind(user)
        .fetch_all(&self.db)
        .await?;
        let mut out: Vec<ConversationView> = rows
            .iter()
            .map(|r| {
                let kind: String = r.get(1);
                let sensitivity =
                    Sensitivity::parse(r.get::<&str, _>(3)).unwrap_or(Sensitivity::Normal);
                let title = if kind == "direct" {
                    r.get::<Option<String>, _>(9).unwrap_or_default()
                } else {
                    r.get(2)
                };
                ConversationView {
                    id: r.get(0),
                    kind,
                    title,
                    sensitivity,
                    sensitivity_label: sensitivity.label_zh().into(),
                    role: r.get(4),
                    members: r.get(5),
                    guests: r.get(6),
                    unread: r.get(7),
                    last_at: r.get(8),
                }
            })
            .collect();
        out.sort_by(|a, b| b.last_at.cmp(&a.last_at).then(b.id.cmp(&a.id)));
        Ok(out)
    }

    /// Current members of a conversation the caller belongs to.
    pub async fn members(&self, user: i64, conversation: i64) -> Result<Vec<MemberView>> {
        self.membership(user, conversation).await?;
        self.members_of(conversation).await
    }

    pub(super) async fn members_of(&self, conversation: i64) -> Result<Vec<MemberView>> {
        let rows = sqlx::query(
            "SELECT u.id, u.display_name, un.name, u.title, u.external, m.role, m.joined_at
             FROM conversation_members m JOIN users u ON u.id = m.user_id
             LEFT JOIN units un ON un.id = u.unit_id
             WHERE m.conversation_id = ? AND m.left_at IS NULL ORDER BY m.role, u.display_name",
        )
        .bind(conversation)
        .fetch_all(&self.db)
        .await?;
        Ok(rows
            .iter()
            .map(|r| MemberView {
                person: Person::from_row(r, 0),
                role: r.get(5),
                joined_at: r.get(6),
            })
            .collect())
    }

    /// Messages of a conversation the caller belongs to, newest last: up to `limit` before
    /// message `before` (None: the latest).
    pub async fn messages(
        &self,
        user: i64,
        conversation: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<MessageView>> {
        let m = self.membership(user, conversation).await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MESSAGE_COLUMNS} {MESSAGE_FROM}
             WHERE m.conversation_id = ? AND m.seq > ? AND m.id < ? ORDER BY m.id DESC LIMIT ?"
        )))
        .bind(conversation)
        .bind(m.joined_seq)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit.clamp(1, 500))
        .fetch_all(&self.db)
        .await?;
        let mut out = rows
            .iter()
            .map(|r| self.message_view(r))
            .collect::<Result<Vec<_>>>()?;
        out.reverse();
        Ok(out)
    }

    /// One message the caller may see.
    pub async fn message(&self, user: i64, id: i64) -> Result<(MessageView, Membership)> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MESSAGE_COLUMNS} {MESSAGE_FROM} WHERE m.id = ?"
        )))
        .bind(id)
        .fetch_optional(&self.db)
        .await?
        .ok_or(Error::NotFound)?;
        let conversation: i64 = r.get(1);
        let membership = self.membership(user, conversation).await?;
        if r.get::<i64, _>(2) <= membership.joined_seq {
            return Err(Error::NotFound);
        }
        Ok((self.message_view(&r)?, membership))
    }

    pub(super) fn message_view(&self, r: &sqlx::sqlite::SqliteRow) -> Result<MessageView> {
        let gone = r.get::<Option<i64>, _>(16).is_some() || r.get::<Option<i64>, _>(21).is_some();
        let text = if gone {
            None
        } else {
            Some(self.open_text(r.get(1), r.get(10), r.get(9))?)
        };
        Ok(view_of_row(r, text))
    }

    /// Events after `since` in the caller's conversations, oldest first (at most `limit`):
    /// what a client that reconnects missed.
    /// `no_forward`: include 不得轉傳 conversations (not for API tokens).
    pub async fn events_since(
        &self,
        user: i64,
        since: i64,
        limit: i64,
        no_forward: bool,
    ) -> Result<Vec<EventView>> {
        let rows = sqlx::query(
            "SELECT e.seq, e.conversation_id, e.kind, e.at, e.actor_id, e.subject_id, e.message_id
             FROM conversation_events e JOIN conversation_members me
               ON me.conversation_id = e.conversation_id AND me.user_id = ? AND me.left_at IS NULL
             JOIN conversations c ON c.id = e.conversation_id
             WHERE e.seq > ? AND e.seq > me.joined_seq AND (? OR c.sensitivity != 'no_forward')
               AND (e.kind NOT IN ('join_requested', 'join_refused') OR me.role = 'admin')
               AND (e.kind != 'receipt' OR e.actor_id = ? OR e.subject_id = ?)
             ORDER BY e.seq LIMIT ?",
        )
        .bind(user)
        .bind(since)
        .bind(no_forward)
        .bind(user)
        .bind(user)
        .bind(limit.clamp(1, 5000))
        .fetch_all(&self.db)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let message_id: Option<i64> = r.get(6);
            let kind: String = r.get(2);
            let message = match message_id {
                Some(id) if kind != "receipt" => {
                    let m = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT {MESSAGE_COLUMNS} {MESSAGE_FROM} WHERE m.id = ?"
                    )))
                    .bind(id)
                    .fetch_one(&self.db)
                    .await?;
                    Some(self.message_view(&m)?)
                }
                _ => None,
            };
            out.push(EventView {
                seq: r.get(0),
                conversation: r.get(1),
                kind,
                at: r.get(3),
                actor: r.get(4),
                subject: r.get(5),
                message,
            });
        }
        Ok(out)
    }
}

/// A member's receipt of a notice.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Receipt {
    /// The member.
    pub user: Person,
    /// When they read it (None: not yet).
    pub read_at: Option<i64>,
}

impl Messenger {
    /// Receipts of a notice, for its sender and the group's admins.
    pub async fn receipts(
        &self,
        caller: &crate::accounts::User,
        message: i64,
    ) -> Result<Vec<Receipt>> {
        let (m, membership) = self.message(caller.id, message).await?;
        if m.sender.id != caller.id && !membership.admin() {
            return Err(Error::Forbidden);
        }
        let rows = sqlx::query(
            "SELECT u.id, u.display_name, un.name, u.title, u.external, r.read_at
             FROM conversation_members x JOIN users u ON u.id = x.user_id
             LEFT JOIN units un ON un.id = u.unit_id
             LEFT JOIN message_receipts r ON r.message_id = ? AND r.user_id = x.user_id
             WHERE x.conversation_id = ? AND x.left_at IS NULL AND x.user_id != ?
             ORDER BY r.read_at IS NULL, u.display_name",
        )
        .bind(message)
        .bind(m.conversation)
        .bind(m.sender.id)
        .fetch_all(&self.db)
        .await?;
        Ok(rows
            .iter()
            .map(|r| Receipt {
                user: Person::from_row(r, 0),
                read_at: r.get(5),
            })
            .collect())
    }
}
