//! Messages in bulk: a run of sends in one group is checked with one query for resends and one
//! for the messages replied to, and stored with multi-row inserts (messages, then their
//! events). Nothing is written before every check has passed, so a refused send needs no
//! savepoint; a failed statement fails the whole group.

use super::ops::Cx;
use super::{ChatEntry, Done, Outgoing, Pending};
use crate::error::{Error, Result};
use crate::messenger::attachments::AttachmentView;
use crate::messenger::read::{EventView, MessageView};
use sqlx::Row;
use std::collections::HashMap;

/// Rows per multi-row INSERT (13 columns: well under SQLite's 32,766 parameters).
const ROWS: usize = 400;

/// What to do with one send.
enum Plan {
    Refused(Error),
    /// Stored before (a resend): (id, seq).
    Stored(i64, i64),
    /// The same client id earlier in this batch.
    SameAs(usize),
    New,
}

impl Cx<'_, '_> {
    /// Stores a run of sends; one result per send, in order.
    pub(super) async fn send_batch(&mut self, ops: &[&Outgoing]) -> Result<Vec<Result<Done>>> {
        let mut plan: Vec<Plan> = Vec::with_capacity(ops.len());
        let mut first: HashMap<(i64, &str), usize> = HashMap::new();
        for (k, o) in ops.iter().enumerate() {
            if !self
                .members_of(o.conversation)
                .await?
                .contains(&o.sender.id)
            {
                plan.push(Plan::Refused(Error::NotFound));
                continue;
            }
            match first.get(&(o.sender.id, o.client_id.as_str())) {
                Some(&j) if ops[j].sha == o.sha => plan.push(Plan::SameAs(j)),
                Some(_) => plan.push(Plan::Refused(reused())),
                None => {
                    first.insert((o.sender.id, o.client_id.as_str()), k);
                    plan.push(Plan::New);
                }
            }
        }
        self.find_resends(ops, &mut plan).await?;
        self.check_replies(ops, &mut plan).await?;
        let new: Vec<usize> = (0..ops.len())
            .filter(|&k| matches!(plan[k], Plan::New))
            .collect();
        let first_seq = *self.next_seq;
        let mut ids = Vec::with_capacity(new.len());
        for chunk in new.chunks(ROWS) {
            let base = first_seq + ids.len() as i64;
            let mut qb: sqlx::QueryBuilder<sqlx::Sqlite> = sqlx::QueryBuilder::new(
                "INSERT INTO messages (conversation_id, sender_id, client_id, seq, at, body_sealed,
                   body_sha256, reply_to, forwarded_from, provenance, notice, mentions, gate) ",
            );
            let now = self.now;
            qb.push_values(chunk.iter().enumerate(), |mut q, (i, &k)| {
                let o = ops[k];
                q.push_bind(o.conversation)
                    .push_bind(o.sender.id)
                    .push_bind(&o.client_id)
                    .push_bind(base + i as i64)
                    .push_bind(now)
                    .push_bind(&o.sealed)
                    .push_bind(&o.sha)
                    .push_bind(o.reply_to)
                    .push_bind(o.forwarded.as_ref().map(|p| p.message))
                    .push_bind(
                        o.forwarded
                            .as_ref()
                            .map(|p| serde_json::to_string(p).expect("serialisable")),
                    )
                    .push_bind(o.notice)
                    .push_bind(serde_json::to_string(&o.mentions).expect("serialisable"))
                    .push_bind(&o.gate);
            });
            let done = qb.build().execute(&mut **self.tx).await?;
            // Inside the write transaction new rows get consecutive ids.
            let last = done.last_insert_rowid();
            let n = done.rows_affected() as i64;
            if n != chunk.len() as i64 {
                return Err(Error::Internal("messages insert lost rows".into()));
            }
            ids.extend(last - n + 1..=last);
        }
        let mut files = HashMap::new();
        for (i, &k) in new.iter().enumerate() {
            let Some(a) = &ops[k].attachment else {
                continue;
            };
            let id = sqlx::query(
                "INSERT INTO attachments (conversation_id, message_id, uploader_id, name, mime, size,
                   sha256, format, file, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(ops[k].conversation)
            .bind(ids[i])
            .bind(ops[k].sender.id)
            .bind(&a.name)
            .bind(&a.mime)
            .bind(a.size)
            .bind(&a.sha)
            .bind(&a.format)
            .bind(&a.file)
            .bind(self.now)
            .execute(&mut **self.tx)
            .await?
            .last_insert_rowid();
            files.insert(
                k,
                AttachmentView {
                    id,
                    name: a.name.clone(),
                    mime: a.mime.clone(),
                    size: a.size,
                },
            );
        }
        let mut entries = Vec::with_capacity(new.len());
        for (i, &k) in new.iter().enumerate() {
            let o = ops[k];
            let seq = first_seq + i as i64;
            let recipients = self.members_of(o.conversation).await?;
            entries.push((seq, ids[i], o, recipients));
        }
        for chunk in entries.chunks(ROWS) {
            let mut qb: sqlx::QueryBuilder<sqlx::Sqlite> = sqlx::QueryBuilder::new(
                "INSERT INTO conversation_events
                   (seq, conversation_id, at, kind, message_id, actor_id, subject_id, content_sha256, gate) ",
            );
            let now = self.now;
            qb.push_values(chunk, |mut q, (seq, id, o, _)| {
                q.push_bind(*seq)
                    .push_bind(o.conversation)
                    .push_bind(now)
                    .push_bind("message")
                    .push_bind(*id)
                    .push_bind(o.sender.id)
                    .push_bind(None::<i64>)
                    .push_bind(o.attachment.as_ref().map_or(&o.sha, |a| &a.sha))
                    .push_bind(&o.action);
            });
            qb.build().execute(&mut **self.tx).await?;
        }
        *self.next_seq += entries.len() as i64;
        let mut stored: HashMap<usize, (i64, i64)> = HashMap::new();
        for (k, (seq, id, o, recipients)) in new.iter().zip(entries) {
            stored.insert(*k, (id, seq));
            self.events.push(Pending {
                ev: EventView {
                    seq,
                    conversation: o.conversation,
                    kind: "message".into(),
                    at: self.now,
                    actor: Some(o.sender.id),
                    subject: None,
                    message: Some(MessageView {
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
                        attachment: files.remove(k),
                        purged_at: None,
                    }),
                },
                entry: ChatEntry {
                    v: 1,
                    kind: "chat".into(),
                    seq,
                    conversation: o.conversation,
                    at: self.now,
                    event: "message".into(),
                    actor: Some(o.sender.id),
                    message: Some(id),
                    subject: None,
                    sha256: Some(o.attachment.as_ref().map_or(&o.sha, |a| &a.sha).clone()),
                    gate: Some(o.action.clone()),
                },
                recipients,
            });
        }
        Ok(plan
            .into_iter()
            .enumerate()
            .map(|(k, p)| match p {
                Plan::Refused(e) => Err(e),
                Plan::Stored(id, seq) => Ok(Done::Message {
                    id,
                    seq,
                    duplicate: true,
                }),
                Plan::SameAs(j) => {
                    let (id, seq) = stored[&j];
                    Ok(Done::Message {
                        id,
                        seq,
                        duplicate: true,
                    })
                }
                Plan::New => {
                    let (id, seq) = stored[&k];
                    Ok(Done::Message {
                        id,
                        seq,
                        duplicate: false,
                    })
                }
            })
            .collect())
    }

    /// Marks sends already stored under their client id (a resend after a lost answer).
    async fn find_resends(&mut self, ops: &[&Outgoing], plan: &mut [Plan]) -> Result<()> {
        let asked: Vec<usize> = (0..ops.len())
            .filter(|&k| matches!(plan[k], Plan::New))
            .collect();
        for chunk in asked.chunks(ROWS) {
            let mut qb: sqlx::QueryBuilder<sqlx::Sqlite> = sqlx::QueryBuilder::new(
                "SELECT sender_id, client_id, id, seq, body_sha256 FROM messages WHERE (sender_id, client_id) IN (",
            );
            let mut sep = qb.separated(", ");
            for &k in chunk {
                sep.push("(")
                    .push_bind_unseparated(ops[k].sender.id)
                    .push_unseparated(", ")
                    .push_bind_unseparated(&ops[k].client_id)
                    .push_unseparated(")");
            }
            qb.push(")");
            let rows = qb.build().fetch_all(&mut **self.tx).await?;
            let found: HashMap<(i64, String), (i64, i64, String)> = rows
                .iter()
                .map(|r| ((r.get(0), r.get(1)), (r.get(2), r.get(3), r.get(4))))
                .collect();
            for &k in chunk {
                let o = ops[k];
                if let Some((id, seq, sha)) = found.get(&(o.sender.id, o.client_id.clone())) {
                    plan[k] = if *sha == o.sha {
                        Plan::Stored(*id, *seq)
                    } else {
                        Plan::Refused(reused())
                    };
                }
            }
        }
        // Later sends with the same client id follow what became of the first.
        for k in 0..plan.len() {
            if let Plan::SameAs(j) = plan[k] {
                plan[k] = match &plan[j] {
                    Plan::New => Plan::SameAs(j),
                    Plan::Stored(id, seq) => Plan::Stored(*id, *seq),
                    Plan::Refused(_) => Plan::Refused(reused()),
                    Plan::SameAs(_) => unreachable!("first occurrences are never SameAs"),
                };
            }
        }
        Ok(())
    }

    /// Refuses replies to messages of another conversation.
    async fn check_replies(&mut self, ops: &[&Outgoing], plan: &mut [Plan]) -> Result<()> {
        let asked: Vec<(usize, i64)> = (0..ops.len())
            .filter(|&k| matches!(plan[k], Plan::New))
            .filter_map(|k| ops[k].reply_to.map(|r| (k, r)))
            .collect();
        for chunk in asked.chunks(ROWS) {
            let mut qb: sqlx::QueryBuilder<sqlx::Sqlite> =
                sqlx::QueryBuilder::new("SELECT id, conversation_id FROM messages WHERE id IN (");
            let mut sep = qb.separated(", ");
            for (_, r) in chunk {
                sep.push_bind(*r);
            }
            qb.push(")");
            let found: HashMap<i64, i64> = qb
                .build()
                .fetch_all(&mut **self.tx)
                .await?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            for (k, r) in chunk {
                if found.get(r) != Some(&ops[*k].conversation) {
                    plan[*k] = Plan::Refused(Error::Conflict(
                        "reply_to is not a message of this conversation".into(),
                    ));
                }
            }
        }
        Ok(())
    }
}

fn reused() -> Error {
    Error::Conflict("client_id was already used for another message".into())
}
