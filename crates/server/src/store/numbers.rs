//! The writer's memory of the numbers it hands out: the last cursor, and each chat's last
//! sequence number. Only the writer appends, so it can remember them instead of reading
//! them for every message; the database stays the truth.
//!
//! A chat not remembered is read from the `(chat_key, seq)` index, a number is remembered only
//! once its row is written, and everything is forgotten when a batch does not commit (the
//! numbers handed out in it were never stored). On PostgreSQL, before a batch, when another
//! node has committed since, it is all read again at once (see [`Numbers::catch_up`]).
//! No `chats` counter row is written per message: one B-tree write less per recipient. Gaps
//! in cursors (a job that took one and then failed) do no harm: cursors only have to
//! increase.

use std::collections::{HashMap, HashSet};

use super::StoreError;
use super::batch_memo::BatchMemo;
use super::db::Connection;

/// The most chats remembered; past that the memory starts over (it only saves a read).
const MAX_REMEMBERED_CHATS: usize = 100_000;

/// The text of [`LAST_CURSOR`], for statements that read it beside other things.
macro_rules! last_cursor {
    () => {
        "SELECT MAX(last) FROM (\
         SELECT COALESCE(MAX(id), 0) AS last FROM messages \
         UNION ALL SELECT COALESCE(MAX(id), 0) FROM chat_log \
         UNION ALL SELECT last FROM cursor_floor) AS heads"
    };
}
pub(crate) use last_cursor;

/// The highest cursor handed out: new messages' ids, the chat log's edits and recalls, and the
/// floor a deleted group's newest rows left behind (0 on an empty database).
pub(crate) const LAST_CURSOR: &str = last_cursor!();

/// The most chats whose sequence numbers [`Numbers::catch_up`] reads again at once.
const MAX_RELOADED_CHATS: usize = 1_000;

/// The most lookups the batch memo keeps: past that [`Numbers::catch_up`] empties it (a
/// writer that only sends asks about each new recipient once, and nothing else would bound
/// it), and it is also the most read again at once.
const MAX_LOOKUPS: usize = 1_000;

/// PostgreSQL (see [`Numbers::catch_up`]), rows of (what, key, value, number): the last
/// cursor (`c`); each chat of the JSON array `?1` with its last sequence number (`s`); each
/// bot of `?2` that exists, with its nickname (`n`); and each pair of `?3` (bot, group) and of
/// `?4` (bot, user) that the bot may send to (`g`, `u`).
const RELOAD: &str = concat!(
    "SELECT 'c', CAST(NULL AS TEXT), CAST(NULL AS TEXT), (",
    last_cursor!(),
    ") UNION ALL SELECT 's', k, NULL, \
       COALESCE((SELECT MAX(seq) FROM messages WHERE chat_key = k), 0) \
     FROM json_array_elements_text(CAST(CAST(?1 AS TEXT) AS JSON)) AS k \
     UNION ALL SELECT 'n', id, nickname, 0 FROM bots \
     WHERE id IN (SELECT json_array_elements_text(CAST(CAST(?2 AS TEXT) AS JSON))) \
     UNION ALL SELECT 'g', bot_id, group_id, 0 FROM group_bots \
     WHERE (bot_id, group_id) IN (SELECT k->>0, k->>1 \
       FROM json_array_elements(CAST(CAST(?3 AS TEXT) AS JSON)) AS k) \
     UNION ALL SELECT 'u', bot_id, user_id, 0 FROM bot_followers \
     WHERE (bot_id, user_id) IN (SELECT k->>0, k->>1 \
       FROM json_array_elements(CAST(CAST(?4 AS TEXT) AS JSON)) AS k)"
);

/// See the module documentation.
#[derive(Debug, Default)]
pub(crate) struct Numbers {
    cursor: Option<i64>,
    last_seq: HashMap<String, i64>,
    /// On PostgreSQL, the cluster's commit number when the numbers above were last known to
    /// be right (see [`Numbers::catch_up`]).
    cluster_commit: Option<i64>,
}

impl Numbers {
    /// The last cursor handed out, as the database and this writer know it.
    pub(crate) fn last_cursor(&mut self, conn: &Connection) -> Result<i64, StoreError> {
        if let Some(cursor) = self.cursor {
            return Ok(cursor);
        }
        let cursor: i64 = conn
            .prepare_cached(LAST_CURSOR)?
            .query_row([], |row| row.get(0))?;
        self.cursor = Some(cursor);
        Ok(cursor)
    }

    /// The next cursor: a new message's id, or an edit's or recall's chat log id.
    pub(crate) fn next_cursor(&mut self, conn: &Connection) -> Result<i64, StoreError> {
        let cursor = self.last_cursor(conn)? + 1;
        self.cursor = Some(cursor);
        Ok(cursor)
    }

    /// The chat's last sequence number (0 for a chat with no messages).
    pub(crate) fn last_seq(&self, conn: &Connection, chat_key: &str) -> Result<i64, StoreError> {
        if let Some(seq) = self.last_seq.get(chat_key) {
            return Ok(*seq);
        }
        Ok(conn
            .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM messages WHERE chat_key = ?1")?
            .query_row([chat_key], |row| row.get(0))?)
    }

    /// Remembers the chat's last sequence number, once the row that has it is written.
    pub(crate) fn remember_seq(&mut self, chat_key: &str, seq: i64) {
        if self.last_seq.len() >= MAX_REMEMBERED_CHATS && !self.last_seq.contains_key(chat_key) {
            self.last_seq.clear();
        }
        self.last_seq.insert(chat_key.to_owned(), seq);
    }

    /// Forgets one chat's sequence number (its messages were deleted).
    pub(crate) fn forget_seq(&mut self, chat_key: &str) {
        self.last_seq.remove(chat_key);
    }

    /// Forgets everything (see the module documentation for when).
    pub(crate) fn forget(&mut self) {
        self.last_seq.clear();
        self.cursor = None;
        self.cluster_commit = None;
    }

    /// On PostgreSQL, at the start of a batch (under the cluster's write lock), with the
    /// cluster's last commit number `last`: nothing to do if it is the one this writer knew
    /// its numbers at. Every commit that appends, edits or removes messages (or changes
    /// anything else) has something to tell and takes a number, so an unchanged number means
    /// nobody else has touched them.
    ///
    /// If another node has written since, what is remembered is read again, in one round
    /// trip: the last cursor, the last sequence number of each chat remembered, and the
    /// lookups in `memo` (up to [`MAX_RELOADED_CHATS`] chats; past that they are forgotten
    /// and read when next needed). A node mostly writes to the chats it wrote to in its last
    /// batches, for the same bots, and read one by one they were a round trip each: with two
    /// nodes taking turns, most of a batch's.
    pub(crate) fn catch_up(
        &mut self,
        conn: &Connection,
        last: i64,
        memo: &mut BatchMemo,
    ) -> Result<(), StoreError> {
        if memo.nicknames.len() + memo.reach.len() > MAX_LOOKUPS {
            memo.clear();
        }
        if self.cluster_commit == Some(last) {
            return Ok(());
        }
        if self.cursor.is_none() && self.last_seq.is_empty() && memo.is_empty() {
            // Nothing to read again (a writer's first batch).
            self.cluster_commit = Some(last);
            return Ok(());
        }
        let chats: Vec<&String> = if self.last_seq.len() <= MAX_RELOADED_CHATS {
            self.last_seq.keys().collect()
        } else {
            Vec::new()
        };
        let bots: Vec<&String> = memo.nicknames.keys().collect();
        let pairs = |group: bool| {
            memo.reach
                .keys()
                .filter(|(_, is_group, _)| *is_group == group)
                .map(|(bot, _, recipient)| [bot, recipient])
                .collect::<Vec<_>>()
        };
        let params = [
            as_json(&chats)?,
            as_json(&bots)?,
            as_json(&pairs(true))?,
            as_json(&pairs(false))?,
        ];
        let rows = conn
            .prepare_cached(RELOAD)?
            .query_map(params, |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, Option<String>>(1)?,
                    row.get::<_, Option<String>>(2)?,
                    row.get::<_, i64>(3)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        self.forget();
        let mut reach: HashSet<(bool, String, String)> = HashSet::new();
        memo.nicknames.clear();
        for (what, key, value, number) in rows {
            let key = key.unwrap_or_default();
            match what.as_str() {
                "c" => self.cursor = Some(number),
                "s" => self.remember_seq(&key, number),
                "n" => {
                    memo.nicknames.insert(key, value.unwrap_or_default());
                }
                "g" | "u" => {
                    reach.insert((what == "g", key, value.unwrap_or_default()));
                }
                _ => {}
            }
        }
        for ((bot, group, recipient), may) in memo.reach.iter_mut() {
            *may = reach.contains(&(*group, bot.clone(), recipient.clone()));
        }
        self.cluster_commit = Some(last);
        Ok(())
    }

    /// This writer's own commit took the cluster's number `number`.
    pub(crate) fn committed_as(&mut self, number: i64) {
        self.cluster_commit = Some(number);
    }
}

/// A list as JSON text, for [`RELOAD`]'s parameters.
fn as_json<T: serde::Serialize>(list: &T) -> Result<String, StoreError> {
    serde_json::to_string(list).map_err(|e| StoreError::Internal(format!("a list as JSON: {e}")))
}
