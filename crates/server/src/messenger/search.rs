//! Search in one's own conversations. Texts are sealed, so there is no index to search: an
//! index of words (or of CJK character pairs) would put what people wrote back into the
//! database, term by term. Instead the caller's messages, newest first, are opened and matched
//! in memory, up to a bound, and the answer says how far it looked.
//!
//! Matching is CJK-aware without word segmentation: the query and each text are folded the way
//! the inspection engine folds (full-width to half-width, 臺 to 台, dashes), lower-cased, and
//! stripped of white space and dashes, then the query is looked for as a substring — 台北 finds 臺北,
//! ＡＢＣ finds abc, `0912 345 678` finds 0912345678.

use super::Messenger;
use super::read::{MESSAGE_COLUMNS, MESSAGE_FROM, MessageView};
use crate::accounts::User;
use crate::error::{Error, Result};
use serde::Serialize;
use utoipa::ToSchema;

/// Most messages opened for one search.
pub const MAX_SCANNED: usize = 50_000;
const PAGE: i64 = 2_000;

/// What a search found.
#[derive(Serialize, ToSchema)]
pub struct Found {
    /// Matching messages, newest first.
    pub hits: Vec<MessageView>,
    /// Messages looked at.
    pub scanned: usize,
    /// Every message the caller can see was looked at (false: older ones were not).
    pub complete: bool,
}

/// Folds text for matching.
pub fn fold(s: &str) -> String {
    s.chars()
        .map(baomi_inspect::fold::fold_char)
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

impl Messenger {
    /// Searches the caller's conversations (or one of them) for `q`.
    pub async fn search(
        &self,
        caller: &User,
        q: &str,
        conversation: Option<i64>,
        limit: usize,
        no_forward: bool,
    ) -> Result<Found> {
        let needle = fold(q);
        if needle.is_empty() || needle.chars().count() > 200 {
            return Err(Error::BadRequest("q: 1 to 200 characters".into()));
        }
        if let Some(c) = conversation {
            let m = self.membership(caller.id, c).await?;
            if !no_forward && !m.sensitivity.forwardable() {
                return Err(Error::Forbidden);
            }
        }
        let mut hits = Vec::new();
        let mut scanned = 0;
        let mut before = i64::MAX;
        let complete = loop {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {MESSAGE_COLUMNS} {MESSAGE_FROM}
                 JOIN conversation_members me ON me.conversation_id = m.conversation_id
                   AND me.user_id = ? AND me.left_at IS NULL
                 JOIN conversations c ON c.id = m.conversation_id
                 WHERE m.seq > me.joined_seq AND m.recalled_at IS NULL AND m.purged_at IS NULL AND m.id < ?
                   AND (? IS NULL OR m.conversation_id = ?)
                   AND (? OR c.sensitivity != 'no_forward')
                 ORDER BY m.id DESC LIMIT ?"
            )))
            .bind(caller.id)
            .bind(before)
            .bind(conversation)
            .bind(conversation)
            .bind(no_forward)
            .bind(PAGE)
            .fetch_all(&self.db)
            .await?;
            let n = rows.len();
            for r in &rows {
                let m = self.message_view(r)?;
                before = m.id;
                scanned += 1;
                let hay = m.text.as_deref().map(fold).unwrap_or_default();
                let name = m
                    .attachment
                    .as_ref()
                    .map(|a| fold(&a.name))
                    .unwrap_or_default();
                if hay.contains(&needle) || name.contains(&needle) {
                    hits.push(m);
                    if hits.len() >= limit {
                        break;
                    }
                }
            }
            if hits.len() >= limit {
                break false;
            }
            if (n as i64) < PAGE {
                break true;
            }
            if scanned >= MAX_SCANNED {
                break false;
            }
        };
        Ok(Found {
            hits,
            scanned,
            complete,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn folding_makes_variants_meet() {
        use super::fold;
        assert!(fold("臺北市政府ＡＢＣ").contains(&fold("台北市政府abc")));
        assert!(fold("電話：0912-345-678").contains(&fold("0912 345 678")));
        assert_eq!(fold(" 會 議 "), "會議");
    }
}
