//! The directory: people are found through the org chart (name, unit, title), never by phone
//! number. Guests see only the people they already share a conversation with.

use super::Messenger;
use super::read::Person;
use crate::accounts::User;
use crate::error::Result;

impl Messenger {
    /// People matching `q` (name, sign-in name, unit or title; empty: everyone), at most 50.
    pub async fn directory(&self, caller: &User, q: &str) -> Result<Vec<Person>> {
        let pattern = format!(
            "%{}%",
            q.trim()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        // A guest's directory is the members of their own conversations.
        let guest_scope = if caller.external {
            "AND u.id IN (SELECT x.user_id FROM conversation_members x
                 JOIN conversation_members me ON me.conversation_id = x.conversation_id
                 WHERE me.user_id = ? AND me.left_at IS NULL AND x.left_at IS NULL)"
        } else {
            "AND ? IS NOT NULL"
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT u.id, u.display_name, un.name, u.title, u.external
             FROM users u LEFT JOIN units un ON un.id = u.unit_id
             LEFT JOIN user_roles r ON r.user_id = u.id AND r.role = 'api'
             WHERE u.disabled_at IS NULL AND r.user_id IS NULL AND u.id != ?
               AND (u.display_name LIKE ? ESCAPE '\\' OR u.username LIKE ? ESCAPE '\\'
                    OR un.name LIKE ? ESCAPE '\\' OR u.title LIKE ? ESCAPE '\\')
               {guest_scope}
             ORDER BY un.name, u.display_name LIMIT 50"
        )))
        .bind(caller.id)
        .bind(&pattern)
        .bind(&pattern)
        .bind(&pattern)
        .bind(&pattern)
        .bind(caller.id)
        .fetch_all(&self.db)
        .await?;
        Ok(rows.iter().map(|r| Person::from_row(r, 0)).collect())
    }

    /// A person by id, if the caller may find them.
    pub async fn person(&self, caller: &User, id: i64) -> Result<Option<Person>> {
        let r = sqlx::query(
            "SELECT u.id, u.display_name, un.name, u.title, u.external
             FROM users u LEFT JOIN units un ON un.id = u.unit_id
             WHERE u.id = ? AND u.disabled_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = 'api')",
        )
        .bind(id)
        .fetch_optional(&self.db)
        .await?;
        let Some(r) = r else { return Ok(None) };
        let p = Person::from_row(&r, 0);
        if caller.external && !self.share_a_conversation(caller.id, id).await? {
            return Ok(None);
        }
        Ok(Some(p))
    }

    async fn share_a_conversation(&self, a: i64, b: i64) -> Result<bool> {
        Ok(sqlx::query(
            "SELECT 1 FROM conversation_members x JOIN conversation_members y
               ON y.conversation_id = x.conversation_id
             WHERE x.user_id = ? AND y.user_id = ? AND x.left_at IS NULL AND y.left_at IS NULL LIMIT 1",
        )
        .bind(a)
        .bind(b)
        .fetch_optional(&self.db)
        .await?
        .is_some())
    }
}
