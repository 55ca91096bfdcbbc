//! The writer's memory of the numbers it hands out: the last cursor, and each chat's last
//! sequence number. Only the writer appends, so it can remember them instead of reading
//! them for every message; the database stays the truth.
//!
//! A chat not remembered is read from the `(chat_key, seq)` index, a number is remembered only
//! once its row is written, and everything is forgotten when a batch does not commit (the
//! numbers handed out in it were never stored). On PostgreSQL, before a batch, when another
//! node has committed since, it is all read again at once (see [`Numbers::still_valid`]).
//! No `chats` counter row is written per message: one B-tree write less per recipient. Gaps
//! in cursors (a job that took one and then failed) do no harm: cursors only have to
//! increase.

use std::collections::HashMap;

use super::StoreError;
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

/// The highest cursor handed out: new messages' ids, the chat log's edits and recalls, and the
/// floor a deleted group's newest rows left behind (0 on an empty database).
pub(crate) const LAST_CURSOR: &str = last_cursor!();

/// The most chats whose sequence numbers [`Numbers::still_valid`] reads again at once.
const MAX_RELOADED_CHATS: usize = 1_000;

/// PostgreSQL (see [`Numbers::still_valid`]): a row with no chat and the last cursor, then a
/// row for each chat in the JSON array `?1` with its last sequence number.
const RELOAD: &str = concat!(
    "SELECT CAST(NULL AS TEXT), (",
    last_cursor!(),
    ") UNION ALL SELECT k, COALESCE((SELECT MAX(seq) FROM messages WHERE chat_key = k), 0) \
     FROM json_array_elements_text(CAST(CAST(?1 AS TEXT) AS JSON)) AS k"
);

/// See the module documentation.
#[derive(Debug, Default)]
pub(crate) struct Numbers {
    cursor: Option<i64>,
    last_seq: HashMap<String, i64>,
    /// On PostgreSQL, the cluster's commit number when the numbers above were last known to
    /// be right (see [`Numbers::still_valid`]).
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

    /// On PostgreSQL, at the start of a batch (under the cluster's write lock): whether the
    /// cluster's last commit number is still `last`, the one this writer knew its numbers at.
    /// Every commit that appends, edits or removes messages has something to tell and takes a
    /// number, so an unchanged number means nobody else has touched them.
    ///
    /// If another node has written since, what is remembered is read again, in one round
    /// trip: the last cursor and the last sequence number of each chat remembered (up to
    /// [`MAX_RELOADED_CHATS`]; past that they are forgotten and read when next needed). A
    /// node mostly writes to the chats it wrote to in its last batches, and read one by one
    /// they were a round trip each: with two nodes taking turns, most of a batch's.
    pub(crate) fn still_valid(&mut self, conn: &Connection, last: i64) -> Result<bool, StoreError> {
        if self.cluster_commit == Some(last) {
            return Ok(true);
        }
        if self.cursor.is_none() && self.last_seq.is_empty() {
            // Nothing to read again (a writer's first batch).
            self.cluster_commit = Some(last);
            return Ok(false);
        }
        let chats: Vec<&String> = if self.last_seq.len() <= MAX_RELOADED_CHATS {
            self.last_seq.keys().collect()
        } else {
            Vec::new()
        };
        let chats = serde_json::to_string(&chats)
            .map_err(|e| StoreError::Internal(format!("a list of chats as JSON: {e}")))?;
        self.forget();
        let rows = conn
            .prepare_cached(RELOAD)?
            .query_map([&chats], |row| {
                Ok((row.get::<_, Option<String>>(0)?, row.get::<_, i64>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        for (chat, number) in rows {
            match chat {
                None => self.cursor = Some(number),
                Some(chat) => self.remember_seq(&chat, number),
            }
        }
        self.cluster_commit = Some(last);
        Ok(false)
    }

    /// This writer's own commit took the cluster's number `number`.
    pub(crate) fn committed_as(&mut self, number: i64) {
        self.cluster_commit = Some(number);
    }
}
