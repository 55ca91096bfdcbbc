//! Direct messages between two users (issue 21): starting one, and finding the people to
//! start one with.
//!
//! A direct chat is one row of `direct_chats` for an ordered pair of users (`user_lo <
//! user_hi`, bytewise), so whoever starts it and however often, the two have one chat under
//! one key, `d:<low>:<high>` (see [`Chat::direct`]). Its messages are ordinary rows of the
//! message log under that key: history, read markers, edits, recalls, replay and search work
//! as in any chat, each scoped by `USER_CHAT_KEYS`, which lists the user's direct chats. No
//! bot is in a direct chat and no event is ever written for one.

use serde::Serialize;

use super::db::{Connection, OptionalExtension, params};
use super::model::Chat;
use super::record::Record;
use super::tx::Tx;
use super::{Store, StoreError};
use crate::clock::now_ms;

/// What became of a request to start direct messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartDirect {
    /// The chat exists now: made by this request (`new`), or earlier by either user.
    Started {
        /// The chat.
        chat: Chat,
        /// Whether this request made it.
        new: bool,
    },
    /// A user cannot message themselves.
    Itself,
    /// No such user.
    NoUser,
}

/// A user as the people picker lists them (serialised as the user API lists it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    /// The user ID.
    pub user_id: String,
    /// The display name.
    pub nickname: String,
    /// The avatar's address, `""` when none.
    pub avatar_url: String,
}

impl Store {
    /// Starts (or finds) the direct chat of `user_id` with `other`. A new one is subscribed to
    /// by both users' open live sessions, so its first message reaches them live.
    pub async fn start_direct(
        &self,
        user_id: String,
        other: String,
    ) -> Result<StartDirect, StoreError> {
        self.writer
            .write_tx(move |tx| {
                let conn = tx.conn();
                let Some(chat) = Chat::direct(&user_id, &other) else {
                    return Ok(StartDirect::Itself);
                };
                let exists: Option<i64> = conn
                    .prepare_cached("SELECT 1 FROM users WHERE id = ?1")?
                    .query_row([&other], |row| row.get(0))
                    .optional()?;
                if exists.is_none() {
                    return Ok(StartDirect::NoUser);
                }
                let Chat::Direct { low, high } = &chat else {
                    return Err(StoreError::Internal("a direct chat that is not".into()));
                };
                let n = conn
                    .prepare_cached(
                        "INSERT INTO direct_chats (user_lo, user_hi, created_at) VALUES (?1, ?2, ?3) \
                         ON CONFLICT (user_lo, user_hi) DO NOTHING",
                    )?
                    .execute(params![low, high, now_ms()])?;
                if n == 1 {
                    for user in [low, high] {
                        tx.record(Record::Joined {
                            user_id: user.clone(),
                            chat_key: chat.key(),
                        });
                    }
                }
                Ok(StartDirect::Started { chat, new: n == 1 })
            })
            .await
    }

    /// Up to `limit` users whose nickname contains `query` (case-insensitively, as the
    /// database folds case) or whose ID is `query`, by nickname then ID; every user for an
    /// empty query. The bool says whether more matched.
    pub async fn find_people(
        &self,
        query: String,
        limit: u32,
    ) -> Result<(Vec<Person>, bool), StoreError> {
        self.readers
            .read(move |conn| {
                let pattern = format!(
                    "%{}%",
                    query
                        .replace('\\', "\\\\")
                        .replace('%', "\\%")
                        .replace('_', "\\_")
                );
                let mut stmt = conn.prepare_cached(
                    "SELECT id, nickname, avatar_url FROM users \
                     WHERE LOWER(nickname) LIKE LOWER(?1) ESCAPE '\\' OR id = ?2 \
                     ORDER BY nickname, id LIMIT ?3",
                )?;
                let mut people = stmt
                    .query_map(params![pattern, query, i64::from(limit) + 1], |row| {
                        Ok(Person {
                            user_id: row.get(0)?,
                            nickname: row.get(1)?,
                            avatar_url: row.get(2)?,
                        })
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                let truncated = people.len() > limit as usize;
                people.truncate(limit as usize);
                Ok((people, truncated))
            })
            .await
    }
}

/// The other user, their nickname and avatar, of each direct chat `user_id` is in.
pub(crate) fn direct_peers(
    conn: &Connection,
    user_id: &str,
) -> Result<Vec<(String, String, String)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT u.id, u.nickname, u.avatar_url FROM direct_chats d \
         JOIN users u ON u.id = d.user_hi WHERE d.user_lo = ?1 \
         UNION ALL SELECT u.id, u.nickname, u.avatar_url FROM direct_chats d \
         JOIN users u ON u.id = d.user_lo WHERE d.user_hi = ?1",
    )?;
    let rows = stmt
        .query_map([user_id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Ends the direct chats of a user being deleted, with their history, as a deleted group's
/// (`Store::delete_group`): both users' live subscriptions end, and since user IDs can be
/// chosen again (`--id`), a new user under the same ID must not find the old conversation.
/// Their `direct_chats` rows go with the user (`ON DELETE CASCADE`).
pub(crate) fn close_direct_chats(tx: &mut Tx<'_>, user_id: &str) -> Result<(), StoreError> {
    let conn = tx.conn();
    let peers = direct_peers(conn, user_id)?;
    if peers.is_empty() {
        return Ok(());
    }
    // As for a deleted group: cursors must never go back below one a client already holds.
    let last = tx.numbers().last_cursor(conn)?;
    conn.prepare_cached("UPDATE cursor_floor SET last = ?1 WHERE last < ?1")?
        .execute([last])?;
    for (other, _, _) in peers {
        let Some(chat) = Chat::direct(user_id, &other) else {
            continue;
        };
        let key = chat.key();
        for sql in [
            "DELETE FROM messages WHERE chat_key = ?1",
            "DELETE FROM chat_log WHERE chat_key = ?1",
            "DELETE FROM read_markers WHERE chat_key = ?1",
            // What was sent there may no longer be shown through this chat.
            "DELETE FROM message_media WHERE chat_key = ?1",
        ] {
            conn.prepare_cached(sql)?.execute([&key])?;
        }
        tx.numbers().forget_seq(&key);
        tx.record(Record::ChatClosed { chat_key: key });
    }
    Ok(())
}
