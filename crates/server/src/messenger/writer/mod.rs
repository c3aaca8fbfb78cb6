//! The one writer of the messenger's tables, with group commit: operations that arrive while a
//! transaction is being written queue up, and the next transaction takes them all (each in a
//! savepoint of its own, so one refused operation fails alone). After commit the group's events
//! are appended to the tamper-evident log; once the log has them durably they are published to
//! connected clients, in event order, and only then are the senders answered.
//!
//! The writer runs in a task of its own: a client hanging up cannot cancel a commit.

use super::hub::{Delivery, Hub};
use super::read::{EventView, Person, Provenance};
use super::rooms::Rooms;
use crate::clock;
use crate::db::Db;
use crate::error::{Error, Result};
use baomi_tlog::Log;
use serde::{Deserialize, Serialize};
use sqlx::{Acquire, Row, Sqlite, Transaction};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

mod ops;
mod recover;
mod sends;

use ops::Cx;
pub(crate) use recover::recover;

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
    /// A file sent with it (already stored sealed).
    pub attachment: Option<NewAttachment>,
}

/// A file checked by the gate and stored sealed.
pub(crate) struct NewAttachment {
    pub name: String,
    pub mime: String,
    pub size: i64,
    pub sha: String,
    pub format: String,
    pub file: String,
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
    /// Deletes the texts and files of messages sent before a time (at most a batch).
    Purge {
        before: i64,
    },
}

/// What an operation did.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Done {
    Nothing,
    Conversation(i64),
    Message {
        id: i64,
        seq: i64,
        duplicate: bool,
    },
    Request(i64),
    /// Messages purged, and the attachment files to delete now that they are unreferenced.
    Purged(usize, Vec<String>),
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

/// The columns [`ChatEntry::from_row`] reads, in order.
pub(crate) const EVENT_COLUMNS: &str =
    "seq, conversation_id, at, kind, actor_id, message_id, subject_id, content_sha256, gate";

impl ChatEntry {
    /// The entry of an event row selected with [`EVENT_COLUMNS`] first.
    pub(crate) fn from_row(r: &sqlx::sqlite::SqliteRow) -> ChatEntry {
        ChatEntry {
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
        }
    }
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
    rooms: Rooms,
    conn: Option<sqlx::SqliteConnection>,
    next_seq: Option<i64>,
    members: HashMap<i64, Vec<i64>>,
    admins: HashMap<i64, Vec<i64>>,
    /// Shipped runs (first seq, last seq, first log index) not yet written.
    positions: Arc<Mutex<Vec<(i64, i64, i64)>>>,
}

/// Starts the writer and its publisher.
pub(crate) fn start(db: Db, log: Option<Arc<Log>>, hub: Hub, rooms: Rooms) -> Handle {
    let (tx, mut rx) = mpsc::unbounded_channel::<(Op, Reply)>();
    let (ptx, mut prx) = mpsc::unbounded_channel::<Publication>();
    let positions: Arc<Mutex<Vec<(i64, i64, i64)>>> = Arc::default();
    let mut st = State {
        db,
        rooms,
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
        let mut i = 0;
        while i < group.len() {
            // A run of sends goes in bulk (checked before anything is written).
            let run: Vec<&Outgoing> = group[i..]
                .iter()
                .map_while(|(op, _)| match op {
                    Op::Send(o) => Some(o.as_ref()),
                    _ => None,
                })
                .collect();
            if !run.is_empty() {
                let mut cx = Cx {
                    tx: &mut tx,
                    next_seq: self.next_seq.as_mut().expect("loaded"),
                    members: &mut self.members,
                    admins: &mut self.admins,
                    events,
                    now: clock::now(),
                };
                results.extend(cx.send_batch(&run).await?);
                i += run.len();
                continue;
            }
            let op = &group[i].0;
            i += 1;
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
        for (op, _) in group {
            if !matches!(op, Op::Send(_) | Op::Read { .. } | Op::Flush)
                && let Some(c) = op_conversation(op)
            {
                self.rooms.invalidate(c);
            }
        }
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
