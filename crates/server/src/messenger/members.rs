//! Conversations and who is in them. A group's admins decide who joins: an admin adds people
//! directly; a member's invitation and a person's own request wait for an admin's approval.
//! Leaving and removals are events every member (and the log) sees.

use super::writer::{Done, NewConversation, Op};
use super::{Messenger, Sensitivity};
use crate::accounts::User;
use crate::error::{Error, Result};
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

/// Longest group title, in characters.
pub const MAX_TITLE: usize = 80;

/// An open request to join.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RequestView {
    /// Request id.
    pub id: i64,
    /// Who would join.
    pub user: super::read::Person,
    /// Who asked (the person themself, or the member who invited them).
    pub requested_by: String,
    /// Unix seconds.
    pub at: i64,
}

impl Messenger {
    /// Creates a group with the caller as its admin and `members` (staff, or guests where the
    /// sensitivity allows) as members.
    pub async fn create_group(
        &self,
        caller: &User,
        title: &str,
        sensitivity: Sensitivity,
        members: &[i64],
    ) -> Result<i64> {
        if caller.external {
            return Err(Error::Forbidden);
        }
        let title = title.trim();
        if title.chars().all(|c| c.is_whitespace() || c == '\u{feff}')
            || title.chars().count() > MAX_TITLE
            || title.chars().any(char::is_control)
        {
            return Err(Error::BadRequest(format!(
                "群組名稱須為 1 至 {MAX_TITLE} 字 (a group needs a title of 1 to {MAX_TITLE} characters)"
            )));
        }
        let mut others = Vec::new();
        for &m in members {
            if m == caller.id || others.contains(&m) {
                continue;
            }
            let p = self.person(caller, m).await?.ok_or(Error::NotFound)?;
            if p.external && !sensitivity.guests_allowed() {
                return Err(Error::Conflict(format!(
                    "限本機關之群組不得加入外部人員：{} (guests may not join an agency-only group)",
                    p.name
                )));
            }
            others.push(m);
        }
        match self
            .writer
            .run(Op::Create(NewConversation {
                kind: "group",
                title: title.into(),
                sensitivity: sensitivity.as_str(),
                creator: caller.id,
                members: others,
                direct_key: None,
            }))
            .await?
        {
            Done::Conversation(id) => Ok(id),
            other => Err(Error::Internal(format!("create group: {other:?}"))),
        }
    }

    /// The one-to-one conversation of the caller and `other` (made on first use). A guest may
    /// only talk to people they already share a conversation with.
    pub async fn direct(&self, caller: &User, other: i64) -> Result<i64> {
        if other == caller.id {
            return Err(Error::Conflict("a conversation needs someone else".into()));
        }
        if self.person(caller, other).await?.is_none() {
            return Err(Error::NotFound);
        }
        let key = format!("{}:{}", caller.id.min(other), caller.id.max(other));
        match self
            .writer
            .run(Op::Create(NewConversation {
                kind: "direct",
                title: String::new(),
                sensitivity: Sensitivity::Normal.as_str(),
                creator: caller.id,
                members: vec![other],
                direct_key: Some(key),
            }))
            .await?
        {
            Done::Conversation(id) => Ok(id),
            other => Err(Error::Internal(format!("direct: {other:?}"))),
        }
    }

    /// Adds `user`: at once when the caller is an admin, otherwise as a request for the
    /// admins. Returns the request id when one was made.
    pub async fn invite(&self, caller: &User, conversation: i64, user: i64) -> Result<Option<i64>> {
        let m = self.membership(caller.id, conversation).await?;
        if m.kind != "group" {
            return Err(Error::Conflict(
                "a one-to-one conversation has no other members".into(),
            ));
        }
        if self.person(caller, user).await?.is_none() {
            return Err(Error::NotFound);
        }
        if m.admin() {
            self.writer
                .run(Op::Add {
                    conversation,
                    user,
                    by: caller.id,
                })
                .await?;
            Ok(None)
        } else {
            match self
                .writer
                .run(Op::Request {
                    conversation,
                    user,
                    by: caller.id,
                })
                .await?
            {
                Done::Request(id) => Ok(Some(id)),
                _ => Ok(None),
            }
        }
    }

    /// The caller asks to join a group (its id was given to them); the admins decide.
    pub async fn ask_to_join(&self, caller: &User, conversation: i64) -> Result<i64> {
        let sensitivity: Option<String> = sqlx::query_scalar(
            "SELECT sensitivity FROM conversations WHERE id = ? AND kind = 'group'",
        )
        .bind(conversation)
        .fetch_optional(&self.db)
        .await?;
        let sensitivity = sensitivity.ok_or(Error::NotFound)?;
        if caller.external && sensitivity == "internal" {
            return Err(Error::NotFound);
        }
        match self
            .writer
            .run(Op::Request {
                conversation,
                user: caller.id,
                by: caller.id,
            })
            .await?
        {
            Done::Request(id) => Ok(id),
            other => Err(Error::Internal(format!("ask to join: {other:?}"))),
        }
    }

    /// Open requests of a group (admins only).
    pub async fn requests(&self, caller: &User, conversation: i64) -> Result<Vec<RequestView>> {
        let m = self.membership(caller.id, conversation).await?;
        if !m.admin() {
            return Err(Error::Forbidden);
        }
        let rows = sqlx::query(
            "SELECT q.id, u.id, u.display_name, un.name, u.title, u.external, b.display_name, q.created_at
             FROM join_requests q JOIN users u ON u.id = q.user_id
             JOIN users b ON b.id = q.requested_by LEFT JOIN units un ON un.id = u.unit_id
             WHERE q.conversation_id = ? AND q.outcome IS NULL ORDER BY q.id",
        )
        .bind(conversation)
        .fetch_all(&self.db)
        .await?;
        Ok(rows
            .iter()
            .map(|r| RequestView {
                id: r.get(0),
                user: super::read::Person::from_row(r, 1),
                requested_by: r.get(6),
                at: r.get(7),
            })
            .collect())
    }

    /// An admin approves or refuses a request.
    pub async fn decide(
        &self,
        caller: &User,
        conversation: i64,
        request: i64,
        approve: bool,
    ) -> Result<()> {
        self.writer
            .run(Op::Decide {
                conversation,
                request,
                by: caller.id,
                approve,
            })
            .await
            .map(|_| ())
    }

    /// The caller leaves (`user == caller`), or an admin removes `user`.
    pub async fn remove(&self, caller: &User, conversation: i64, user: i64) -> Result<()> {
        let m = self.membership(caller.id, conversation).await?;
        if m.kind != "group" {
            return Err(Error::Conflict(
                "one cannot leave a one-to-one conversation".into(),
            ));
        }
        self.writer
            .run(Op::Remove {
                conversation,
                user,
                by: caller.id,
            })
            .await
            .map(|_| ())
    }

    /// An admin makes a member an admin, or takes it back.
    pub async fn set_admin(
        &self,
        caller: &User,
        conversation: i64,
        user: i64,
        admin: bool,
    ) -> Result<()> {
        self.writer
            .run(Op::SetRole {
                conversation,
                user,
                by: caller.id,
                admin,
            })
            .await
            .map(|_| ())
    }

    /// Who will see what is said in a conversation, from the sender's point of view.
    pub async fn audience(
        &self,
        sender: &User,
        conversation: i64,
    ) -> Result<super::gate::AudienceView> {
        Ok(audience_of(&*self.room(conversation).await?, sender))
    }
}

/// The audience of a conversation for a sender.
pub(crate) fn audience_of(room: &super::rooms::Room, sender: &User) -> super::gate::AudienceView {
    use baomi_inspect::policy::Audience;
    let guests = room.members.iter().filter(|m| m.external).count();
    let other_units = room
        .members
        .iter()
        .filter(|m| !m.external && (m.unit_id != sender.unit_id || sender.unit_id.is_none()))
        .count();
    // The sender counts among the members; a guest sender makes the audience external.
    let scope = if guests > 0 {
        Audience::External
    } else if other_units > 0 {
        Audience::AgencyInternal
    } else {
        Audience::SameUnit
    };
    super::gate::AudienceView {
        scope,
        members: room.members.len(),
        guests,
        other_units,
    }
}
