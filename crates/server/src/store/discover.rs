//! What a user may find and then join or follow by themselves: the open groups and the bots.
//!
//! Every bot may be followed (cloudlake has no private or hidden bots), so every bot is
//! listed; a closed group is never listed, since a user could not join it anyway and its
//! name is for its members.

use serde::Serialize;

use super::db::params;
use super::{Store, StoreError};

/// An open group as a user discovers it (serialised as the user API lists it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenGroup {
    /// The group ID.
    pub group_id: String,
    /// The name.
    pub name: String,
    /// The avatar's address.
    pub avatar_url: String,
    /// How many users are in it.
    pub member_count: i64,
    /// Whether the asking user is one of them.
    pub member: bool,
}

/// A bot as a user discovers it (serialised as the user API lists it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowableBot {
    /// The bot ID.
    pub bot_id: String,
    /// The display name.
    pub nickname: String,
    /// The avatar's address.
    pub avatar_url: String,
    /// Whether the asking user follows it.
    pub followed: bool,
}

impl Store {
    /// Up to `limit` open groups by name (then ID, so that equal names keep one order), with
    /// whether `user_id` is in each.
    pub async fn open_groups(
        &self,
        user_id: String,
        limit: u32,
    ) -> Result<Vec<OpenGroup>, StoreError> {
        self.readers
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT g.id, g.name, g.avatar_url, \
                     (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id), \
                     (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id \
                      AND m.user_id = ?1) \
                     FROM chat_groups g WHERE g.open = 1 ORDER BY g.name, g.id LIMIT ?2",
                )?;
                let rows = stmt
                    .query_map(params![user_id, i64::from(limit)], |row| {
                        Ok(OpenGroup {
                            group_id: row.get(0)?,
                            name: row.get(1)?,
                            avatar_url: row.get(2)?,
                            member_count: row.get(3)?,
                            member: row.get::<_, i64>(4)? > 0,
                        })
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await
    }

    /// Up to `limit` bots by nickname (then ID), with whether `user_id` follows each.
    pub async fn followable_bots(
        &self,
        user_id: String,
        limit: u32,
    ) -> Result<Vec<FollowableBot>, StoreError> {
        self.readers
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT b.id, b.nickname, b.avatar_url, \
                     (SELECT COUNT(*) FROM bot_followers f WHERE f.bot_id = b.id \
                      AND f.user_id = ?1) \
                     FROM bots b ORDER BY b.nickname, b.id LIMIT ?2",
                )?;
                let rows = stmt
                    .query_map(params![user_id, i64::from(limit)], |row| {
                        Ok(FollowableBot {
                            bot_id: row.get(0)?,
                            nickname: row.get(1)?,
                            avatar_url: row.get(2)?,
                            followed: row.get::<_, i64>(3)? > 0,
                        })
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await
    }
}
