//! What the unofficial web API (`/v1/bot/bot-info`, `/v1/group/group-info`) shows about a bot
//! or a group: the directory row plus its numeric row ID and head count.

use super::db::OptionalExtension;

use super::{Store, StoreError};

/// A bot as the web API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotInfo {
    /// The numeric row ID (Yunhu's `id`).
    pub row_id: i64,
    /// The bot ID.
    pub bot_id: String,
    /// The display name.
    pub nickname: String,
    /// The avatar's address.
    pub avatar_url: String,
    /// Creation time, epoch ms.
    pub created_at: i64,
    /// How many users follow it.
    pub headcount: i64,
}

/// A group as the web API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInfo {
    /// The numeric row ID (Yunhu's `id`).
    pub row_id: i64,
    /// The group ID.
    pub group_id: String,
    /// The name.
    pub name: String,
    /// The avatar's address.
    pub avatar_url: String,
    /// Creation time, epoch ms.
    pub created_at: i64,
    /// How many members it has.
    pub headcount: i64,
    /// The owner's user ID, `""` if none.
    pub owner: String,
}

impl Store {
    /// A bot for the web API.
    pub async fn bot_info(&self, bot_id: String) -> Result<Option<BotInfo>, StoreError> {
        self.readers
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(
                        "SELECT rowid, id, nickname, avatar_url, created_at, \
                         (SELECT COUNT(*) FROM bot_followers f WHERE f.bot_id = bots.id) \
                         FROM bots WHERE id = ?1",
                    )?
                    .query_row([&bot_id], |row| {
                        Ok(BotInfo {
                            row_id: row.get(0)?,
                            bot_id: row.get(1)?,
                            nickname: row.get(2)?,
                            avatar_url: row.get(3)?,
                            created_at: row.get(4)?,
                            headcount: row.get(5)?,
                        })
                    })
                    .optional()?)
            })
            .await
    }

    /// A group for the web API.
    pub async fn group_info(&self, group_id: String) -> Result<Option<GroupInfo>, StoreError> {
        self.readers
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(
                        "SELECT rowid, id, name, avatar_url, created_at, \
                         (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id), \
                         (SELECT user_id FROM group_members m WHERE m.group_id = g.id \
                          AND m.role = 'owner' LIMIT 1) \
                         FROM chat_groups g WHERE id = ?1",
                    )?
                    .query_row([&group_id], |row| {
                        Ok(GroupInfo {
                            row_id: row.get(0)?,
                            group_id: row.get(1)?,
                            name: row.get(2)?,
                            avatar_url: row.get(3)?,
                            created_at: row.get(4)?,
                            headcount: row.get(5)?,
                            owner: row.get::<_, Option<String>>(6)?.unwrap_or_default(),
                        })
                    })
                    .optional()?)
            })
            .await
    }
}
