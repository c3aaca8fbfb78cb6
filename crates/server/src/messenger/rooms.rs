//! Who is in each conversation, kept in memory: every message needs its sender's membership,
//! its audience (members, guests, units) and its title, and asking the database each time was
//! most of the send path's cost. Membership changes only through the writer, which drops the
//! conversation's entry when it commits a change; an entry also expires after a minute, so a
//! renamed or moved person (org chart import, another process) shows up soon.

use super::Sensitivity;
use crate::db::Db;
use crate::error::Result;
use sqlx::Row;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

const TTL: Duration = Duration::from_secs(60);

/// A current member.
#[derive(Clone, Debug)]
pub struct RoomMember {
    /// User id.
    pub user: i64,
    /// Name shown.
    pub name: String,
    /// `admin` or `member`.
    pub role: String,
    /// A guest.
    pub external: bool,
    /// Unit.
    pub unit_id: Option<i64>,
    /// Events after this cursor are visible to them.
    pub joined_seq: i64,
}

/// A conversation and its current members.
#[derive(Clone, Debug)]
pub struct Room {
    /// Id.
    pub id: i64,
    /// `direct` or `group`.
    pub kind: String,
    /// Title as stored (empty for one-to-one).
    pub title: String,
    /// Sensitivity.
    pub sensitivity: Sensitivity,
    /// Current members.
    pub members: Vec<RoomMember>,
    loaded: Instant,
}

impl Room {
    /// A current member.
    pub fn member(&self, user: i64) -> Option<&RoomMember> {
        self.members.iter().find(|m| m.user == user)
    }
}

/// The cache (cheap to clone).
#[derive(Clone, Default)]
pub struct Rooms {
    map: Arc<RwLock<HashMap<i64, Arc<Room>>>>,
    generation: Arc<AtomicU64>,
}

impl Rooms {
    /// The conversation, or None if there is no such conversation.
    pub async fn get(&self, db: &Db, id: i64) -> Result<Option<Arc<Room>>> {
        if let Some(r) = self.map.read().expect("rooms lock").get(&id)
            && r.loaded.elapsed() < TTL
        {
            return Ok(Some(r.clone()));
        }
        let generation = self.generation.load(Ordering::Acquire);
        let Some(c) =
            sqlx::query("SELECT kind, title, sensitivity FROM conversations WHERE id = ?")
                .bind(id)
                .fetch_optional(db)
                .await?
        else {
            return Ok(None);
        };
        let members = sqlx::query(
            "SELECT m.user_id, u.display_name, m.role, u.external, u.unit_id, m.joined_seq
             FROM conversation_members m JOIN users u ON u.id = m.user_id
             WHERE m.conversation_id = ? AND m.left_at IS NULL AND u.disabled_at IS NULL",
        )
        .bind(id)
        .fetch_all(db)
        .await?
        .iter()
        .map(|r| RoomMember {
            user: r.get(0),
            name: r.get(1),
            role: r.get(2),
            external: r.get::<i64, _>(3) != 0,
            unit_id: r.get(4),
            joined_seq: r.get(5),
        })
        .collect();
        let room = Arc::new(Room {
            id,
            kind: c.get(0),
            title: c.get(1),
            sensitivity: Sensitivity::parse(c.get::<&str, _>(2)).unwrap_or(Sensitivity::Normal),
            members,
            loaded: Instant::now(),
        });
        // A change committed while we read would be lost if we stored what we read.
        let mut map = self.map.write().expect("rooms lock");
        if self.generation.load(Ordering::Acquire) == generation {
            map.insert(id, room.clone());
        }
        Ok(Some(room))
    }

    /// Forgets a conversation whose membership changed (the writer, after commit).
    pub fn invalidate(&self, id: i64) {
        let mut map = self.map.write().expect("rooms lock");
        self.generation.fetch_add(1, Ordering::AcqRel);
        map.remove(&id);
    }
}
