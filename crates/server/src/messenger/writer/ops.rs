//! The operations other than sends, each in a savepoint of its own: conversations, membership,
//! edits, withdrawals and read receipts. Each records the events its change announces.

use super::{ChatEntry, Done, Edit, NewConversation, Op, Pending};
use crate::error::{Error, Result};
use crate::messenger::read::{EventView, MessageView};
use sqlx::{Row, Sqlite, Transaction};
use std::collections::HashMap;

/// One operation's view of the transaction.
pub(super) struct Cx<'a, 'c> {
    pub tx: &'a mut Transaction<'c, Sqlite>,
    pub next_seq: &'a mut i64,
    pub members: &'a mut HashMap<i64, Vec<i64>>,
    pub admins: &'a mut HashMap<i64, Vec<i64>>,
    pub events: &'a mut Vec<Pending>,
    pub now: i64,
}

/// An event to record.
pub(super) struct Ev {
    conversation: i64,
    kind: &'static str,
    actor: Option<i64>,
    subject: Option<i64>,
    message: Option<MessageView>,
    message_id: Option<i64>,
    sha: Option<String>,
    gate: Option<String>,
}

impl Ev {
    fn new(conversation: i64, kind: &'static str, actor: i64) -> Ev {
        Ev {
            conversation,
            kind,
            actor: Some(actor),
            subject: None,
            message: None,
            message_id: None,
            sha: None,
            gate: None,
        }
    }
}

impl Cx<'_, '_> {
    pub(super) async fn apply(&mut self, op: &Op) -> Result<Done> {
        match op {
            Op::Flush => Ok(Done::Nothing),
            Op::Create(c) => self.create(c).await,
            Op::Send(o) => self.send_batch(&[o.as_ref()]).await?.remove(0),
            Op::Edit(e) => self.edit(e).await,
            Op::Recall {
                message,
                by,
                window,
            } => self.recall(*message, *by, *window).await,
            Op::Add {
                conversation,
                user,
                by,
            } => {
                self.require_admin(*conversation, *by).await?;
                self.join(*conversation, *user, *by).await?;
                Ok(Done::Nothing)
            }
            Op::Request {
                conversation,
                user,
                by,
            } => self.request(*conversation, *user, *by).await,
            Op::Decide {
                conversation,
                request,
                by,
                approve,
            } => self.decide(*conversation, *request, *by, *approve).await,
            Op::Remove {
                conversation,
                user,
                by,
            } => self.remove(*conversation, *user, *by).await,
            Op::SetRole {
                conversation,
                user,
                by,
                admin,
            } => self.set_role(*conversation, *user, *by, *admin).await,
            Op::Read {
                conversation,
                user,
                upto,
            } => self.read(*conversation, *user, *upto).await,
            Op::Purge { before } => self.purge(*before).await,
        }
    }

    /// Records an event; returns its cursor.
    async fn event(&mut self, ev: Ev) -> Result<i64> {
        let seq = *self.next_seq;
        sqlx::query(
            "INSERT INTO conversation_events
               (seq, conversation_id, at, kind, message_id, actor_id, subject_id, content_sha256, gate)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(seq)
        .bind(ev.conversation)
        .bind(self.now)
        .bind(ev.kind)
        .bind(ev.message_id)
        .bind(ev.actor)
        .bind(ev.subject)
        .bind(&ev.sha)
        .bind(&ev.gate)
        .execute(&mut **self.tx)
        .await?;
        *self.next_seq += 1;
        let recipients = match ev.kind {
            // Only the admins hear of requests.
            "join_requested" | "join_refused" => self.admins_of(ev.conversation).await?,
            "receipt" => ev.subject.into_iter().collect(),
            "removed" | "left" => {
                let mut r = self.members_of(ev.conversation).await?;
                r.extend(ev.subject);
                r
            }
            _ => self.members_of(ev.conversation).await?,
        };
        let entry = ChatEntry {
            v: 1,
            kind: "chat".into(),
            seq,
            conversation: ev.conversation,
            at: self.now,
            event: ev.kind.into(),
            actor: ev.actor,
            message: ev.message_id,
            subject: ev.subject,
            sha256: ev.sha,
            gate: ev.gate,
        };
        self.events.push(Pending {
            ev: EventView {
                seq,
                conversation: ev.conversation,
                kind: ev.kind.into(),
                at: self.now,
                actor: ev.actor,
                subject: ev.subject,
                message: ev.message,
            },
            entry,
            recipients,
        });
        Ok(seq)
    }

    pub(super) async fn members_of(&mut self, conversation: i64) -> Result<Vec<i64>> {
        if let Some(m) = self.members.get(&conversation) {
            return Ok(m.clone());
        }
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT user_id, role FROM conversation_members
             WHERE conversation_id = ? AND left_at IS NULL",
        )
        .bind(conversation)
        .fetch_all(&mut **self.tx)
        .await?;
        let all: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let admins = rows
            .iter()
            .filter(|r| r.1 == "admin")
            .map(|r| r.0)
            .collect();
        self.members.insert(conversation, all.clone());
        self.admins.insert(conversation, admins);
        Ok(all)
    }

    async fn admins_of(&mut self, conversation: i64) -> Result<Vec<i64>> {
        if !self.admins.contains_key(&conversation) {
            self.members_of(conversation).await?;
        }
        Ok(self.admins.get(&conversation).cloned().unwrap_or_default())
    }

    fn forget(&mut self, conversation: i64) {
        self.members.remove(&conversation);
        self.admins.remove(&conversation);
    }

    async fn require_member(&mut self, conversation: i64, user: i64) -> Result<()> {
        if self.members_of(conversation).await?.contains(&user) {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }

    async fn require_admin(&mut self, conversation: i64, user: i64) -> Result<()> {
        self.require_member(conversation, user).await?;
        if self.admins_of(conversation).await?.contains(&user) {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }

    async fn create(&mut self, c: &NewConversation) -> Result<Done> {
        if let Some(key) = &c.direct_key {
            let found: Option<i64> =
                sqlx::query_scalar("SELECT id FROM conversations WHERE direct_key = ?")
                    .bind(key)
                    .fetch_optional(&mut **self.tx)
                    .await?;
            if let Some(id) = found {
                return Ok(Done::Conversation(id));
            }
        }
        let id = sqlx::query(
            "INSERT INTO conversations (kind, title, sensitivity, direct_key, created_by, created_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(c.kind)
        .bind(&c.title)
        .bind(c.sensitivity)
        .bind(&c.direct_key)
        .bind(c.creator)
        .bind(self.now)
        .execute(&mut **self.tx)
        .await?
        .last_insert_rowid();
        let joined_seq = *self.next_seq - 1;
        let creator_role = if c.kind == "group" { "admin" } else { "member" };
        let mut people = vec![(c.creator, creator_role)];
        people.extend(c.members.iter().map(|u| (*u, "member")));
        for (u, role) in people {
            sqlx::query(
                "INSERT INTO conversation_members (conversation_id, user_id, role, joined_at, joined_seq)
                 VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(u)
            .bind(role)
            .bind(self.now)
            .bind(joined_seq)
            .execute(&mut **self.tx)
            .await?;
        }
        self.forget(id);
        self.event(Ev::new(id, "created", c.creator)).await?;
        Ok(Done::Conversation(id))
    }

    /// Makes `user` a member (again), announcing it.
    async fn join(&mut self, conversation: i64, user: i64, by: i64) -> Result<()> {
        if self.members_of(conversation).await?.contains(&user) {
            return Err(Error::Conflict("already a member".into()));
        }
        let guests_ok: Option<(String, String, i64)> = sqlx::query_as(
            "SELECT c.sensitivity, c.kind, u.external FROM conversations c, users u
             WHERE c.id = ? AND u.id = ? AND u.disabled_at IS NULL",
        )
        .bind(conversation)
        .bind(user)
        .fetch_optional(&mut **self.tx)
        .await?;
        let Some((sensitivity, kind, external)) = guests_ok else {
            return Err(Error::NotFound);
        };
        if kind != "group" {
            return Err(Error::Conflict(
                "a one-to-one conversation has no other members".into(),
            ));
        }
        if external != 0 && sensitivity == "internal" {
            return Err(Error::Conflict(
                "限本機關之群組不得加入外部人員 (guests may not join an agency-only group)".into(),
            ));
        }
        let joined_seq = *self.next_seq - 1;
        sqlx::query(
            "INSERT INTO conversation_members (conversation_id, user_id, role, joined_at, joined_seq)
             VALUES (?, ?, 'member', ?, ?)
             ON CONFLICT (conversation_id, user_id) DO UPDATE SET
               role = 'member', joined_at = excluded.joined_at, left_at = NULL,
               joined_seq = excluded.joined_seq, read_upto = 0",
        )
        .bind(conversation)
        .bind(user)
        .bind(self.now)
        .bind(joined_seq)
        .execute(&mut **self.tx)
        .await?;
        // Open requests for the same person are settled by this.
        sqlx::query(
            "UPDATE join_requests SET outcome = 'approved', decided_by = ?, decided_at = ?
             WHERE conversation_id = ? AND user_id = ? AND outcome IS NULL",
        )
        .bind(by)
        .bind(self.now)
        .bind(conversation)
        .bind(user)
        .execute(&mut **self.tx)
        .await?;
        self.forget(conversation);
        let mut ev = Ev::new(conversation, "joined", by);
        ev.subject = Some(user);
        self.event(ev).await?;
        Ok(())
    }

    async fn request(&mut self, conversation: i64, user: i64, by: i64) -> Result<Done> {
        if by != user {
            // An invitation comes from a member.
            self.require_member(conversation, by).await?;
        }
        if self.members_of(conversation).await?.contains(&user) {
            return Err(Error::Conflict("already a member".into()));
        }
        let open: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM join_requests WHERE conversation_id = ? AND user_id = ? AND outcome IS NULL",
        )
        .bind(conversation)
        .bind(user)
        .fetch_optional(&mut **self.tx)
        .await?;
        if let Some(id) = open {
            return Ok(Done::Request(id));
        }
        let kind: Option<String> =
            sqlx::query_scalar("SELECT kind FROM conversations WHERE id = ?")
                .bind(conversation)
                .fetch_optional(&mut **self.tx)
                .await?;
        if kind.as_deref() != Some("group") {
            return Err(Error::NotFound);
        }
        let id = sqlx::query(
            "INSERT INTO join_requests (conversation_id, user_id, requested_by, created_at)
             VALUES (?, ?, ?, ?)",
        )
        .bind(conversation)
        .bind(user)
        .bind(by)
        .bind(self.now)
        .execute(&mut **self.tx)
        .await?
        .last_insert_rowid();
        let mut ev = Ev::new(conversation, "join_requested", by);
        ev.subject = Some(user);
        self.event(ev).await?;
        Ok(Done::Request(id))
    }

    async fn decide(
        &mut self,
        conversation: i64,
        request: i64,
        by: i64,
        approve: bool,
    ) -> Result<Done> {
        self.require_admin(conversation, by).await?;
        let user: Option<i64> = sqlx::query_scalar(
            "SELECT user_id FROM join_requests WHERE id = ? AND conversation_id = ? AND outcome IS NULL",
        )
        .bind(request)
        .bind(conversation)
        .fetch_optional(&mut **self.tx)
        .await?;
        let user = user.ok_or(Error::NotFound)?;
        if approve {
            self.join(conversation, user, by).await?;
        } else {
            sqlx::query(
                "UPDATE join_requests SET outcome = 'refused', decided_by = ?, decided_at = ? WHERE id = ?",
            )
            .bind(by)
            .bind(self.now)
            .bind(request)
            .execute(&mut **self.tx)
            .await?;
            let mut ev = Ev::new(conversation, "join_refused", by);
            ev.subject = Some(user);
            self.event(ev).await?;
        }
        Ok(Done::Request(request))
    }

    async fn remove(&mut self, conversation: i64, user: i64, by: i64) -> Result<Done> {
        if user == by {
            self.require_member(conversation, user).await?;
        } else {
            self.require_admin(conversation, by).await?;
            self.require_member(conversation, user).await?;
        }
        sqlx::query(
            "UPDATE conversation_members SET left_at = ?, role = 'member'
             WHERE conversation_id = ? AND user_id = ?",
        )
        .bind(self.now)
        .bind(conversation)
        .bind(user)
        .execute(&mut **self.tx)
        .await?;
        self.forget(conversation);
        let mut ev = Ev::new(
            conversation,
            if user == by { "left" } else { "removed" },
            by,
        );
        ev.subject = Some(user);
        self.event(ev).await?;
        Ok(Done::Nothing)
    }

    async fn set_role(
        &mut self,
        conversation: i64,
        user: i64,
        by: i64,
        admin: bool,
    ) -> Result<Done> {
        self.require_admin(conversation, by).await?;
        self.require_member(conversation, user).await?;
        if !admin && self.admins_of(conversation).await? == [user] {
            return Err(Error::Conflict("a group keeps at least one admin".into()));
        }
        sqlx::query(
            "UPDATE conversation_members SET role = ? WHERE conversation_id = ? AND user_id = ?",
        )
        .bind(if admin { "admin" } else { "member" })
        .bind(conversation)
        .bind(user)
        .execute(&mut **self.tx)
        .await?;
        self.forget(conversation);
        let mut ev = Ev::new(
            conversation,
            if admin {
                "admin_granted"
            } else {
                "admin_revoked"
            },
            by,
        );
        ev.subject = Some(user);
        self.event(ev).await?;
        Ok(Done::Nothing)
    }

    /// The message's row, for its sender, within the window.
    async fn own_message(
        &mut self,
        message: i64,
        by: i64,
        window: i64,
    ) -> Result<sqlx::sqlite::SqliteRow> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {}, m.gate {} WHERE m.id = ?",
            crate::messenger::read::MESSAGE_COLUMNS,
            crate::messenger::read::MESSAGE_FROM
        )))
        .bind(message)
        .fetch_optional(&mut **self.tx)
        .await?
        .ok_or(Error::NotFound)?;
        let conversation: i64 = r.get(1);
        self.require_member(conversation, by).await?;
        if r.get::<i64, _>(3) != by {
            return Err(Error::Forbidden);
        }
        if r.get::<Option<i64>, _>(16).is_some() {
            return Err(Error::Conflict("the message was already withdrawn".into()));
        }
        if self.now - r.get::<i64, _>(8) > window {
            return Err(Error::Conflict(format!(
                "超過可修改或收回的時間（{} 分鐘） (past the {}-minute window)",
                window / 60,
                window / 60
            )));
        }
        Ok(r)
    }

    async fn archive(&mut self, r: &sqlx::sqlite::SqliteRow, reason: &str) -> Result<()> {
        let message: i64 = r.get(0);
        sqlx::query(
            "INSERT INTO message_versions (message_id, version, replaced_at, reason, body_sealed, body_sha256)
             VALUES (?, (SELECT COUNT(*) + 1 FROM message_versions WHERE message_id = ?), ?, ?, ?, ?)",
        )
        .bind(message)
        .bind(message)
        .bind(self.now)
        .bind(reason)
        .bind(r.get::<Vec<u8>, _>(9))
        .bind(r.get::<String, _>(10))
        .execute(&mut **self.tx)
        .await?;
        Ok(())
    }

    async fn edit(&mut self, e: &Edit) -> Result<Done> {
        let r = self.own_message(e.message, e.by, e.window).await?;
        let conversation: i64 = r.get(1);
        self.archive(&r, "edit").await?;
        sqlx::query(
            "UPDATE messages SET body_sealed = ?, body_sha256 = ?, gate = ?, edited_at = ? WHERE id = ?",
        )
        .bind(&e.sealed)
        .bind(&e.sha)
        .bind(&e.gate)
        .bind(self.now)
        .bind(e.message)
        .execute(&mut **self.tx)
        .await?;
        let mut view = crate::messenger::read::view_of_row(&r, Some(e.text.clone()));
        view.edited_at = Some(self.now);
        let mut ev = Ev::new(conversation, "edit", e.by);
        ev.message_id = Some(e.message);
        ev.message = Some(view);
        ev.sha = Some(e.sha.clone());
        ev.gate = Some(e.action.clone());
        self.event(ev).await?;
        Ok(Done::Message {
            id: e.message,
            seq: r.get(2),
            duplicate: false,
        })
    }

    async fn recall(&mut self, message: i64, by: i64, window: i64) -> Result<Done> {
        let r = self.own_message(message, by, window).await?;
        let conversation: i64 = r.get(1);
        self.archive(&r, "recall").await?;
        sqlx::query("UPDATE messages SET recalled_at = ? WHERE id = ?")
            .bind(self.now)
            .bind(message)
            .execute(&mut **self.tx)
            .await?;
        let mut view = crate::messenger::read::view_of_row(&r, None);
        view.recalled_at = Some(self.now);
        let mut ev = Ev::new(conversation, "recall", by);
        ev.message_id = Some(message);
        ev.message = Some(view);
        ev.sha = Some(r.get(10));
        self.event(ev).await?;
        Ok(Done::Message {
            id: message,
            seq: r.get(2),
            duplicate: false,
        })
    }

    async fn purge(&mut self, before: i64) -> Result<Done> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM messages WHERE at < ? AND purged_at IS NULL ORDER BY id LIMIT 5000",
        )
        .bind(before)
        .fetch_all(&mut **self.tx)
        .await?;
        let Some(last) = ids.last().copied() else {
            return Ok(Done::Purged(0, vec![]));
        };
        let first = ids[0];
        let files: Vec<String> = sqlx::query_scalar(
            "SELECT file FROM attachments WHERE message_id BETWEEN ? AND ?
               AND message_id IN (SELECT id FROM messages WHERE at < ? AND purged_at IS NULL)",
        )
        .bind(first)
        .bind(last)
        .bind(before)
        .fetch_all(&mut **self.tx)
        .await?;
        sqlx::query(
            "UPDATE message_versions SET body_sealed = x'' WHERE message_id IN
               (SELECT id FROM messages WHERE id BETWEEN ? AND ? AND at < ? AND purged_at IS NULL)",
        )
        .bind(first)
        .bind(last)
        .bind(before)
        .execute(&mut **self.tx)
        .await?;
        let n = sqlx::query(
            "UPDATE messages SET body_sealed = x'', purged_at = ?
             WHERE id BETWEEN ? AND ? AND at < ? AND purged_at IS NULL",
        )
        .bind(self.now)
        .bind(first)
        .bind(last)
        .bind(before)
        .execute(&mut **self.tx)
        .await?
        .rows_affected();
        Ok(Done::Purged(n as usize, files))
    }

    async fn read(&mut self, conversation: i64, user: i64, upto: i64) -> Result<Done> {
        self.require_member(conversation, user).await?;
        let before: i64 = sqlx::query_scalar(
            "SELECT read_upto FROM conversation_members WHERE conversation_id = ? AND user_id = ?",
        )
        .bind(conversation)
        .bind(user)
        .fetch_one(&mut **self.tx)
        .await?;
        if upto <= before {
            return Ok(Done::Nothing);
        }
        sqlx::query(
            "UPDATE conversation_members SET read_upto = ? WHERE conversation_id = ? AND user_id = ?",
        )
        .bind(upto)
        .bind(conversation)
        .bind(user)
        .execute(&mut **self.tx)
        .await?;
        let notices: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT m.id, m.sender_id FROM messages m JOIN conversation_members me
               ON me.conversation_id = m.conversation_id AND me.user_id = ?
             WHERE m.conversation_id = ? AND m.notice = 1 AND m.id > ? AND m.id <= ?
               AND m.sender_id != ? AND m.seq > me.joined_seq AND m.recalled_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM message_receipts x WHERE x.message_id = m.id AND x.user_id = ?)",
        )
        .bind(user)
        .bind(conversation)
        .bind(before)
        .bind(upto)
        .bind(user)
        .bind(user)
        .fetch_all(&mut **self.tx)
        .await?;
        for (id, sender) in notices {
            sqlx::query(
                "INSERT INTO message_receipts (message_id, user_id, read_at) VALUES (?, ?, ?)",
            )
            .bind(id)
            .bind(user)
            .bind(self.now)
            .execute(&mut **self.tx)
            .await?;
            let mut ev = Ev::new(conversation, "receipt", user);
            ev.message_id = Some(id);
            ev.subject = Some(sender);
            self.event(ev).await?;
        }
        Ok(Done::Nothing)
    }
}
