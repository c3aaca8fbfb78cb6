//! The one writer of the messenger's tables, with group commit: operations that arrive while a
//! transaction is being written queue up, and the next transaction takes them all (each in a
//! savepoint of its own, so one refused operation fails alone). After commit the group's events
//! are appended to the tamper-evident log; once the log has them durably they are published to
//! connected clients, in event order, and only then are the senders answered.
//!
//! The writer runs in a task of its own: a client hanging up cannot cancel a commit.

use super::hub::{Delivery, Hub};
use super::read::{EventView, MessageView, Person, Provenance};
use crate::clock;
use crate::db::Db;
use crate::error::{Error, Result};
use baomi_tlog::Log;
use serde::{Deserialize, Serialize};
use sqlx::{Acquire, Row, Sqlite, Transaction};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// Operations one transaction takes at most.
const GROUP: usize = 512;

/// A message checked by the gate and sealed, ready to store.
pub(crate) struct Outgoing {
    pub conversation: i64,
    pub sender: Person,
    pub client_id: String,
    pub text: String,
    pub sealed: Vec<u8>,
    pub sha: String,
    pub reply_to: Option<i64>,
    pub forwarded: Option<Provenance>,
    pub notice: bool,
    pub mentions: Vec<i64>,
    /// The gate's decision as recorded (JSON).
    pub gate: String,
    /// The gate's action (`allow`, `warn`, `confirm`, `mask`).
    pub action: String,
}

/// A new version of a message's text.
pub(crate) struct Edit {
    pub message: i64,
    pub by: i64,
    pub text: String,
    pub sealed: Vec<u8>,
    pub sha: String,
    pub gate: String,
    pub action: String,
    pub window: i64,
}

/// A new conversation.
pub(crate) struct NewConversation {
    pub kind: &'static str,
    pub title: String,
    pub sensitivity: &'static str,
    pub creator: i64,
    /// Other members (admins first named by `admins`).
    pub members: Vec<i64>,
    pub direct_key: Option<String>,
}

pub(crate) enum Op {
    /// Only write where shipped events went.
    Flush,
    Create(NewConversation),
    Send(Box<Outgoing>),
    Edit(Box<Edit>),
    Recall {
        message: i64,
        by: i64,
        window: i64,
    },
    /// An admin adds a member (or approves the request for them).
    Add {
        conversation: i64,
        user: i64,
        by: i64,
    },
    /// A member invites someone, or someone asks to join: a request for the admins.
    Request {
        conversation: i64,
        user: i64,
        by: i64,
    },
    Decide {
        conversation: i64,
        request: i64,
        by: i64,
        approve: bool,
    },
    /// Leaving (`by == user`) or removal by an admin.
    Remove {
        conversation: i64,
        user: i64,
        by: i64,
    },
    SetRole {
        conversation: i64,
        user: i64,
        by: i64,
        admin: bool,
    },
    Read {
        conversation: i64,
        user: i64,
        upto: i64,
    },
}

/// What an operation did.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Done {
    Nothing,
    Conversation(i64),
    Message { id: i64, seq: i64, duplicate: bool },
    Request(i64),
}

type Reply = oneshot::Sender<Result<Done>>;

/// Sends operations to the writer.
#[derive(Clone)]
pub(crate) struct Handle {
    tx: mpsc::UnboundedSender<(Op, Reply)>,
}

impl Handle {
    pub async fn run(&self, op: Op) -> Result<Done> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((op, reply))
            .map_err(|_| Error::Internal("messenger writer stopped".into()))?;
        answer
            .await
            .map_err(|_| Error::Internal("messenger writer dropped the operation".into()))?
    }
}

/// The log entry of one conversation event: ids, the content's hash and the gate's action;
/// never content. Rebuilt from the event's row alone (shipping after a crash gives the same
/// bytes).
#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub struct ChatEntry {
    /// Format version.
    pub v: u32,
    /// Always `chat`.
    pub kind: String,
    /// Event cursor.
    pub seq: i64,
    /// Conversation.
    pub conversation: i64,
    /// Unix seconds.
    pub at: i64,
    /// Event kind.
    pub event: String,
    /// Who.
    pub actor: Option<i64>,
    /// Message concerned.
    pub message: Option<i64>,
    /// Member concerned.
    pub subject: Option<i64>,
    /// SHA-256 of the message text.
    pub sha256: Option<String>,
    /// The gate's action.
    pub gate: Option<String>,
}

struct Pending {
    ev: EventView,
    entry: ChatEntry,
    recipients: Vec<i64>,
}

struct Publication {
    wait: Option<baomi_tlog::Pending>,
    events: Vec<Pending>,
    replies: Vec<(Reply, Result<Done>)>,
}

struct State {
    db: Db,
    conn: Option<sqlx::SqliteConnection>,
    next_seq: Option<i64>,
    members: HashMap<i64, Vec<i64>>,
    admins: HashMap<i64, Vec<i64>>,
    /// Shipped runs (first seq, last seq, first log index) not yet written.
    positions: Arc<Mutex<Vec<(i64, i64, i64)>>>,
}

/// Starts the writer and its publisher.
pub(crate) fn start(db: Db, log: Option<Arc<Log>>, hub: Hub) -> Handle {
    let (tx, mut rx) = mpsc::unbounded_channel::<(Op, Reply)>();
    let (ptx, mut prx) = mpsc::unbounded_channel::<Publication>();
    let positions: Arc<Mutex<Vec<(i64, i64, i64)>>> = Arc::default();
    let mut st = State {
        db,
        conn: None,
        next_seq: None,
        members: HashMap::new(),
        admins: HashMap::new(),
        positions: positions.clone(),
    };
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut group = vec![first];
            while group.len() < GROUP {
                match rx.try_recv() {
                    Ok(op) => group.push(op),
                    Err(_) => break,
                }
            }
            let publication = st.commit(group, log.as_deref()).await;
            if ptx.send(publication).is_err() {
                break;
            }
        }
    });
    tokio::spawn(async move {
        while let Some(p) = prx.recv().await {
            let logged = match p.wait {
                Some(w) => w.wait_async().await.map(Some),
                None => Ok(None),
            };
            match logged {
                Ok(first) => {
                    if let (Some(first), Some(e)) = (first, p.events.first()) {
                        let last = p.events.last().map_or(e.ev.seq, |l| l.ev.seq);
                        positions
                            .lock()
                            .expect("positions")
                            .push((e.ev.seq, last, first as i64));
                    }
                    for e in &p.events {
                        let json: Arc<str> =
                            serde_json::to_string(&e.ev).expect("serialisable").into();
                        hub.publish(
                            &e.recipients,
                            &Delivery {
                                seq: e.ev.seq,
                                json,
                            },
                        );
                    }
                    for (reply, result) in p.replies {
                        let _ = reply.send(result);
                    }
                }
                Err(e) => {
                    // Committed but not in the log: not acknowledged; start-up ships them, and
                    // a sender's retry with the same client id finds the message stored.
                    tracing::error!(error = %e, "conversation events not logged");
                    for (reply, _) in p.replies {
                        let _ = reply.send(Err(Error::Internal(format!("audit log: {e}"))));
                    }
                }
            }
        }
    });
    Handle { tx }
}

impl State {
    async fn commit(&mut self, group: Vec<(Op, Reply)>, log: Option<&Log>) -> Publication {
        let mut events = Vec::new();
        let mut results = Vec::with_capacity(group.len());
        let positions = std::mem::take(&mut *self.positions.lock().expect("positions"));
        let outcome = self
            .commit_group(&group, &positions, &mut events, &mut results)
            .await;
        let replies: Vec<(Reply, Result<Done>)> = match outcome {
            Ok(()) => group.into_iter().map(|(_, r)| r).zip(results).collect(),
            Err(e) => {
                tracing::error!(error = %e, "messenger transaction failed");
                self.conn = None;
                self.next_seq = None;
                self.members.clear();
                self.admins.clear();
                self.positions.lock().expect("positions").extend(positions);
                events.clear();
                let msg = e.to_string();
                group
                    .into_iter()
                    .map(|(_, r)| (r, Err(Error::Internal(msg.clone()))))
                    .collect()
            }
        };
        let wait = match (log, events.is_empty()) {
            (Some(log), false) => {
                let entries = events
                    .iter()
                    .map(|p| serde_json::to_vec(&p.entry).expect("serialisable"))
                    .collect();
                match log.submit(entries) {
                    Ok(w) => Some(w),
                    Err(e) => {
                        tracing::error!(error = %e, "conversation events not logged");
                        let msg = format!("audit log: {e}");
                        return Publication {
                            wait: None,
                            events: vec![],
                            replies: replies
                                .into_iter()
                                .map(|(r, _)| (r, Err(Error::Internal(msg.clone()))))
                                .collect(),
                        };
                    }
                }
            }
            _ => None,
        };
        Publication {
            wait,
            events,
            replies,
        }
    }

    async fn commit_group(
        &mut self,
        group: &[(Op, Reply)],
        positions: &[(i64, i64, i64)],
        events: &mut Vec<Pending>,
        results: &mut Vec<Result<Done>>,
    ) -> Result<()> {
        let mut conn = match self.conn.take() {
            Some(c) => c,
            None => self.db.acquire().await?.detach(),
        };
        let mut tx = sqlx::Connection::begin_with(&mut conn, "BEGIN IMMEDIATE").await?;
        write_positions(&mut tx, positions).await?;
        if self.next_seq.is_none() {
            let max: i64 = sqlx::query("SELECT COALESCE(MAX(seq), 0) FROM conversation_events")
                .fetch_one(&mut *tx)
                .await?
                .get(0);
            self.next_seq = Some(max + 1);
        }
        for (op, _) in group {
            let seq_before = self.next_seq;
            let events_before = events.len();
            let mut sp = tx.begin().await?;
            let mut cx = Cx {
                tx: &mut sp,
                next_seq: self.next_seq.as_mut().expect("loaded"),
                members: &mut self.members,
                admins: &mut self.admins,
                events,
                now: clock::now(),
            };
            match cx.apply(op).await {
                Ok(done) => {
                    sp.commit().await?;
                    results.push(Ok(done));
                }
                Err(e) => {
                    sp.rollback().await?;
                    self.next_seq = seq_before;
                    events.truncate(events_before);
                    if let Some(c) = op_conversation(op) {
                        self.members.remove(&c);
                        self.admins.remove(&c);
                    }
                    results.push(Err(e));
                }
            }
        }
        tx.commit().await?;
        self.conn = Some(conn);
        Ok(())
    }
}

fn op_conversation(op: &Op) -> Option<i64> {
    match op {
        Op::Add { conversation, .. }
        | Op::Request { conversation, .. }
        | Op::Decide { conversation, .. }
        | Op::Remove { conversation, .. }
        | Op::SetRole { conversation, .. }
        | Op::Read { conversation, .. } => Some(*conversation),
        Op::Send(o) => Some(o.conversation),
        _ => None,
    }
}

async fn write_positions(tx: &mut Transaction<'_, Sqlite>, runs: &[(i64, i64, i64)]) -> Result<()> {
    for (first, last, index) in runs {
        sqlx::query(
            "UPDATE conversation_events SET log_index = ? + (seq - ?) WHERE seq BETWEEN ? AND ?",
        )
        .bind(index)
        .bind(first)
        .bind(first)
        .bind(last)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// One operation's view of the transaction.
struct Cx<'a, 'c> {
    tx: &'a mut Transaction<'c, Sqlite>,
    next_seq: &'a mut i64,
    members: &'a mut HashMap<i64, Vec<i64>>,
    admins: &'a mut HashMap<i64, Vec<i64>>,
    events: &'a mut Vec<Pending>,
    now: i64,
}

/// An event to record.
struct Ev {
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
    async fn apply(&mut self, op: &Op) -> Result<Done> {
        match op {
            Op::Flush => Ok(Done::Nothing),
            Op::Create(c) => self.create(c).await,
            Op::Send(o) => self.send(o).await,
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

    async fn members_of(&mut self, conversation: i64) -> Result<Vec<i64>> {
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

    async fn send(&mut self, o: &Outgoing) -> Result<Done> {
        self.require_member(o.conversation, o.sender.id).await?;
        let before: Option<(i64, i64, String)> = sqlx::query_as(
            "SELECT id, seq, body_sha256 FROM messages WHERE sender_id = ? AND client_id = ?",
        )
        .bind(o.sender.id)
        .bind(&o.client_id)
        .fetch_optional(&mut **self.tx)
        .await?;
        if let Some((id, seq, sha)) = before {
            if sha == o.sha {
                return Ok(Done::Message {
                    id,
                    seq,
                    duplicate: true,
                });
            }
            return Err(Error::Conflict(
                "client_id was already used for another message".into(),
            ));
        }
        if let Some(r) = o.reply_to {
            let same: Option<i64> =
                sqlx::query_scalar("SELECT id FROM messages WHERE id = ? AND conversation_id = ?")
                    .bind(r)
                    .bind(o.conversation)
                    .fetch_optional(&mut **self.tx)
                    .await?;
            if same.is_none() {
                return Err(Error::Conflict(
                    "reply_to is not a message of this conversation".into(),
                ));
            }
        }
        let seq = *self.next_seq;
        let provenance = o
            .forwarded
            .as_ref()
            .map(|p| serde_json::to_string(p).expect("serialisable"));
        let mentions = serde_json::to_string(&o.mentions).expect("serialisable");
        let id = sqlx::query(
            "INSERT INTO messages (conversation_id, sender_id, client_id, seq, at, body_sealed,
               body_sha256, reply_to, forwarded_from, provenance, notice, mentions, gate)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(o.conversation)
        .bind(o.sender.id)
        .bind(&o.client_id)
        .bind(seq)
        .bind(self.now)
        .bind(&o.sealed)
        .bind(&o.sha)
        .bind(o.reply_to)
        .bind(o.forwarded.as_ref().map(|p| p.message))
        .bind(&provenance)
        .bind(o.notice)
        .bind(&mentions)
        .bind(&o.gate)
        .execute(&mut **self.tx)
        .await?
        .last_insert_rowid();
        let view = MessageView {
            id,
            conversation: o.conversation,
            seq,
            sender: o.sender.clone(),
            at: self.now,
            text: Some(o.text.clone()),
            reply_to: o.reply_to,
            forwarded: o.forwarded.clone(),
            notice: o.notice,
            mentions: o.mentions.clone(),
            edited_at: None,
            recalled_at: None,
        };
        let mut ev = Ev::new(o.conversation, "message", o.sender.id);
        ev.message_id = Some(id);
        ev.message = Some(view);
        ev.sha = Some(o.sha.clone());
        ev.gate = Some(o.action.clone());
        self.event(ev).await?;
        Ok(Done::Message {
            id,
            seq,
            duplicate: false,
        })
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
            super::read::MESSAGE_COLUMNS,
            super::read::MESSAGE_FROM
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
        let mut view = message_view_plain(&r, Some(e.text.clone()));
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
        let mut view = message_view_plain(&r, None);
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

/// A message view from a row of `MESSAGE_COLUMNS`, with the text given (not opened here: the
/// writer never needs the key).
fn message_view_plain(r: &sqlx::sqlite::SqliteRow, text: Option<String>) -> MessageView {
    MessageView {
        id: r.get(0),
        conversation: r.get(1),
        seq: r.get(2),
        sender: Person {
            id: r.get(3),
            name: r.get(4),
            unit: r.get(5),
            title: r.get(6),
            external: r.get::<i64, _>(7) != 0,
        },
        at: r.get(8),
        text,
        reply_to: r.get(11),
        forwarded: r
            .get::<Option<String>, _>(12)
            .and_then(|p| serde_json::from_str(&p).ok()),
        notice: r.get::<i64, _>(13) != 0,
        mentions: serde_json::from_str(r.get(14)).unwrap_or_default(),
        edited_at: r.get(15),
        recalled_at: r.get(16),
    }
}

/// At start-up: links events whose entries reached the log before a crash (so they are not
/// appended twice), then ships the rest, in order.
pub(crate) async fn recover(db: &Db, log: &Log, public_dir: &std::path::Path) -> Result<()> {
    let known: Option<i64> = sqlx::query_scalar("SELECT MAX(log_index) FROM conversation_events")
        .fetch_one(db)
        .await?;
    let size = log.head().size;
    let store = baomi_tlog::store::DirStore::new(public_dir);
    let mut at = known.map_or(0, |k| k as u64 + 1);
    let mut found = Vec::new();
    while at < size {
        let bundle = baomi_tlog::reader::read_bundle(&store, at / 256, size)?;
        for (k, entry) in bundle.iter().enumerate().skip((at % 256) as usize) {
            if let Ok(e) = serde_json::from_slice::<ChatEntry>(entry)
                && e.kind == "chat"
            {
                found.push((e.seq, (at / 256 * 256) as i64 + k as i64));
            }
        }
        at = (at / 256 + 1) * 256;
    }
    if !found.is_empty() {
        let mut tx = db.begin().await?;
        for (seq, index) in &found {
            sqlx::query(
                "UPDATE conversation_events SET log_index = ? WHERE seq = ? AND log_index IS NULL",
            )
            .bind(index)
            .bind(seq)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        tracing::info!(
            entries = found.len(),
            "conversation events found in the log after a restart"
        );
    }
    loop {
        let rows = sqlx::query(
            "SELECT seq, conversation_id, at, kind, actor_id, message_id, subject_id, content_sha256, gate
             FROM conversation_events WHERE log_index IS NULL ORDER BY seq LIMIT 10000",
        )
        .fetch_all(db)
        .await?;
        if rows.is_empty() {
            return Ok(());
        }
        let entries = rows
            .iter()
            .map(|r| {
                serde_json::to_vec(&ChatEntry {
                    v: 1,
                    kind: "chat".into(),
                    seq: r.get(0),
                    conversation: r.get(1),
                    at: r.get(2),
                    event: r.get(3),
                    actor: r.get(4),
                    message: r.get(5),
                    subject: r.get(6),
                    sha256: r.get(7),
                    gate: r.get(8),
                })
                .expect("serialisable")
            })
            .collect();
        let first = log.submit(entries)?.wait_async().await? as i64;
        let mut tx = db.begin().await?;
        for (k, r) in rows.iter().enumerate() {
            sqlx::query("UPDATE conversation_events SET log_index = ? WHERE seq = ?")
                .bind(first + k as i64)
                .bind(r.get::<i64, _>(0))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
}
