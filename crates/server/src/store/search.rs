//! Search in one's chats: the visible text, markdown and HTML messages whose text contains a
//! string, in the chats the user may read now, newest first.
//!
//! The index: on SQLite an FTS5 table with the trigram tokenizer in a file of its own,
//! `search.db` ([`super::index`]); on PostgreSQL a table of its own, `message_search`, with a
//! `pg_trgm` GIN index (`pg_index`). On both an indexer thread brings it up to date after
//! the commits, off the writer thread (those modules say why and how). Both match substrings,
//! so Chinese, which puts no spaces between words, is found inside a sentence as English is.
//!
//! The index lags the writes by up to ~100 ms, and a search hides that: one read transaction
//! (on SQLite the read connections attach `search.db`) takes the index's watermark (the last
//! cursor it holds), its hits up to the watermark, and a scan of what it has not reached (the
//! newest messages above the watermark, and those edited after it, at most [`TAIL_SCAN`] of
//! each, by `LIKE`, on PostgreSQL `ILIKE`). A hit from the index is joined with `messages`
//! under the user's chats and `recall_time IS NULL`, so a row of a recalled message or of a
//! deleted group is never shown, and a message edited after the watermark is taken from the
//! scan only, by its text as it stands: the index's row may hold its old text. (Not a
//! re-check of each hit's text by `LIKE`: that would undo FTS5's Unicode case folding;
//! leaving out the messages edited after the watermark is exact, as every edit takes a
//! cursor.)
//!
//! A trigram index needs three characters. On SQLite a shorter query (two are common in
//! Chinese: 你好) is a `LIKE` scan of the user's chats instead, whose cost grows with their
//! history: 0.2 s for 75,000 messages in one's chats (measured, 300,000 in all), the newest
//! page kept; on PostgreSQL it is the same statements as a longer one, `message_search`
//! read newest first. Matching ignores case (ASCII case on SQLite's scans and on
//! PostgreSQL's, whose columns collate as "C").

use super::db::{Connection, OptionalExtension, Param, params};
use super::index::SCHEMA_NAME;
use super::messages::load;
use super::model::{Chat, StoredMessage};
use super::numbers::LAST_CURSOR;
use super::schema::pg_search_text;
use super::user_side::USER_CHAT_KEYS;
use super::{Store, StoreError};

/// The longest query, in characters: a search is for a phrase, and a trigram query costs one
/// index lookup per character.
pub const MAX_SEARCH_CHARS: usize = 100;

/// The shortest query the trigram indexes can serve, in characters.
const TRIGRAM: usize = 3;

/// Why a search query was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchQueryError {
    /// Nothing but whitespace.
    #[error("the search query is empty")]
    Empty,
    /// A NUL character: no text can be searched for it (PostgreSQL's text cannot hold one,
    /// and its index reads a stored NUL as U+FFFD).
    #[error("the search query contains a NUL character")]
    Nul,
    /// Over [`MAX_SEARCH_CHARS`].
    #[error("the search query is {0} characters long; at most {MAX_SEARCH_CHARS} are allowed")]
    TooLong(usize),
}

/// A search query: the text to find, trimmed, 1 to [`MAX_SEARCH_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery(String);

impl SearchQuery {
    /// Checks a query as a user typed it; whitespace around it is dropped.
    pub fn new(raw: &str) -> Result<Self, SearchQueryError> {
        let text = raw.trim();
        let chars = text.chars().count();
        if chars == 0 {
            return Err(SearchQueryError::Empty);
        }
        if chars > MAX_SEARCH_CHARS {
            return Err(SearchQueryError::TooLong(chars));
        }
        if text.contains('\0') {
            return Err(SearchQueryError::Nul);
        }
        Ok(SearchQuery(text.to_owned()))
    }

    /// The text searched for.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An FTS5 query for the text as one phrase: with the trigram tokenizer, the text as a
    /// substring. Quoted, so that FTS5's operators (`AND`, `*`, `:`…) are searched as text.
    fn fts_phrase(&self) -> String {
        format!("\"{}\"", self.0.replace('"', "\"\""))
    }

    /// A `LIKE … ESCAPE '\'` pattern for the text anywhere: its `%`, `_` and `\` stand for
    /// themselves.
    fn like_pattern(&self) -> String {
        let mut pattern = String::with_capacity(self.0.len() + 2);
        pattern.push('%');
        for c in self.0.chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        pattern
    }
}

/// One message found.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    /// The message's cursor: the next page is the one before the last hit's.
    pub cursor: i64,
    /// The group's name or the bot's nickname (`""` if it is gone).
    pub chat_name: String,
    /// The message, as history shows it.
    pub message: StoredMessage,
}

/// A page of search results.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage {
    /// Newest first.
    pub hits: Vec<SearchHit>,
    /// Whether older hits exist beyond this page.
    pub has_more: bool,
}

/// How many of the newest messages (and edits) above the index's watermark a search scans
/// besides the index: what the indexer has not reached yet. Normally that is the last ~100 ms
/// of writes; while a rebuilt index catches up, older messages above the watermark are found
/// only once it has reached them.
const TAIL_SCAN: i64 = 10_000;

/// The messages `?1` may read, visible, of a searchable type, with cursors below `?3`: the
/// conditions every SQLite statement below shares (a format string: `{USER_CHAT_KEYS}`). The
/// chats are [`USER_CHAT_KEYS`], the one definition of what a user may read, which the
/// history and the live replay use too. The conditions are ORs, not `IN` (see the main
/// schema's migration 6).
macro_rules! visible_in_user_chats {
    () => {
        "m.id < ?3 AND m.recall_time IS NULL \
         AND (m.content_type = 'text' OR m.content_type = 'markdown' \
              OR m.content_type = 'html') \
         AND m.chat_key IN ({USER_CHAT_KEYS})"
    };
}

/// The message's text `LIKE ?2`. `LIKE` reads a text only up to a NUL character, which a
/// text may hold (JSON escapes it as `\u0000`); the escape becomes U+FFFD's, as in
/// PostgreSQL's index (`pg_search_text`), so that what follows a NUL is searched too. A query
/// cannot hold a NUL.
macro_rules! like_text {
    () => {
        r"json_extract(replace(m.content, '\u0000', '\ufffd'), '$.text') LIKE ?2 ESCAPE '\'"
    };
}

/// PostgreSQL, the index's part of a search: `message_search` (`?2` an `ILIKE` pattern, which
/// its trigram index serves from three characters), newest first, up to the watermark `?5`,
/// each hit kept if it is in one of the user's chats and still visible, as on SQLite (see
/// [`indexed_statement`]).
fn pg_indexed_statement() -> String {
    format!(
        concat!(
            "SELECT m.id, m.msg_id FROM message_search s JOIN messages m ON m.id = s.id \
             WHERE s.text ILIKE ?2 ESCAPE '\\' AND s.id < ?3 AND s.id <= ?5 AND ",
            visible_in_user_chats!(),
            " AND m.msg_id NOT IN \
               (SELECT msg_id FROM chat_log WHERE id > ?5 AND kind = 'edit') \
             ORDER BY s.id DESC LIMIT ?4"
        ),
        USER_CHAT_KEYS = USER_CHAT_KEYS
    )
}

/// SQLite, a query too short for the trigram index: every message of the user's chats,
/// through the `(chat_key, seq)` index, the newest `limit` matches kept. `?2` is the `LIKE`
/// pattern.
fn short_statement() -> String {
    format!(
        concat!(
            "SELECT m.id, m.msg_id FROM messages m WHERE ",
            visible_in_user_chats!(),
            " AND json_valid(m.content) AND ",
            like_text!(),
            " \
             ORDER BY m.id DESC LIMIT ?4"
        ),
        USER_CHAT_KEYS = USER_CHAT_KEYS
    )
}

/// SQLite, the index's part of a search: the FTS5 index (`?2` a phrase), read newest first
/// (FTS5 walks its rowids, the messages' cursors, backwards), up to the watermark `?5`, each
/// hit kept if it is in one of the user's chats and still visible (a row of a recalled
/// message or a deleted group's may still be in the index). A message edited after the
/// watermark is left to [`tail_statement`]: its index row may hold its old text.
fn indexed_statement() -> String {
    format!(
        concat!(
            "SELECT m.id, m.msg_id FROM {SEARCH}.message_search \
             JOIN messages m ON m.id = message_search.rowid \
             WHERE message_search MATCH ?2 AND message_search.rowid < ?3 \
             AND message_search.rowid <= ?5 AND ",
            visible_in_user_chats!(),
            " AND m.msg_id NOT IN \
               (SELECT msg_id FROM chat_log WHERE id > ?5 AND kind = 'edit') \
             ORDER BY message_search.rowid DESC LIMIT ?4"
        ),
        SEARCH = SCHEMA_NAME,
        USER_CHAT_KEYS = USER_CHAT_KEYS
    )
}

/// What the index has not reached (see [`TAIL_SCAN`]): the newest messages above the
/// watermark `?5` and those edited after it, scanned by their text: `matches` is the test
/// of `m`'s text against `?2` (SQLite's `LIKE`, PostgreSQL's `ILIKE`).
fn tail_statement(matches: &str) -> String {
    format!(
        concat!(
            "SELECT m.id, m.msg_id FROM messages m WHERE m.id IN ( \
               SELECT id FROM (SELECT id FROM messages WHERE id > ?5 \
                               ORDER BY id DESC LIMIT {TAIL}) AS n \
               UNION SELECT e.id FROM (SELECT msg_id FROM chat_log \
                               WHERE id > ?5 AND kind = 'edit' \
                               ORDER BY id DESC LIMIT {TAIL}) AS l \
                     JOIN messages e ON e.msg_id = l.msg_id) AND ",
            visible_in_user_chats!(),
            " AND {matches} \
             ORDER BY m.id DESC LIMIT ?4"
        ),
        TAIL = TAIL_SCAN,
        USER_CHAT_KEYS = USER_CHAT_KEYS,
        matches = matches,
    )
}

/// SQLite's test of `m`'s text in [`tail_statement`].
const SQLITE_TAIL_MATCH: &str = concat!("json_valid(m.content) AND ", like_text!());

/// PostgreSQL's test of `m`'s text in [`tail_statement`].
const PG_TAIL_MATCH: &str = concat!(pg_search_text!("m.content"), r" ILIKE ?2 ESCAPE '\'");

/// Runs a statement that selects `(id, msg_id)`.
fn ids(
    conn: &Connection,
    sql: &str,
    params: &[&dyn Param],
) -> Result<Vec<(i64, String)>, StoreError> {
    Ok(conn
        .prepare_cached(sql)?
        .query_map(params, |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?)
}

impl Store {
    /// How many changes (new messages, and the chat log's edits, recalls and reactions: one
    /// cursor each) the search index has not reached yet: the `search_index_lag` metric. A
    /// search finds them by scanning, the newest [`TAIL_SCAN`] of them; while more are
    /// behind, older ones go unfound until the index catches up.
    pub async fn search_index_lag(&self) -> Result<i64, StoreError> {
        // One snapshot, the index's watermark first: the cursors read after it are at least
        // as far on, so the difference is never below what is really left.
        self.readers
            .read_snapshot(|conn| {
                let watermark: i64 = conn
                    .prepare_cached(&watermark_statement(conn.is_postgres()))?
                    .query_row(params![], |row| row.get(0))?;
                let last: i64 = conn
                    .prepare_cached(LAST_CURSOR)?
                    .query_row(params![], |row| row.get(0))?;
                Ok((last - watermark).max(0))
            })
            .await
    }

    /// Up to `limit` of the messages `user_id` may read now whose text contains `query`,
    /// newest first, with cursors below `before` (all when `None`). Recalled messages are
    /// never found; an edited one is found by its text as it stands.
    pub async fn search(
        &self,
        user_id: String,
        query: SearchQuery,
        before: Option<i64>,
        limit: u32,
    ) -> Result<SearchPage, StoreError> {
        // One snapshot: the index's watermark and the messages are seen together, the
        // index's first (its first statement reads it). So whatever the index does not hold
        // is in the messages' snapshot, above the watermark or edited after it, for the tail
        // scan to find.
        self.readers
            .read_snapshot(move |conn| search(conn, &user_id, &query, before, limit))
            .await
    }
}

/// The statement that reads the search index's watermark: the last cursor it holds.
fn watermark_statement(postgres: bool) -> String {
    if postgres {
        "SELECT watermark FROM search_state WHERE id = 1".to_owned()
    } else {
        format!("SELECT watermark FROM {SCHEMA_NAME}.index_state WHERE id = 1")
    }
}

fn search(
    conn: &Connection,
    user_id: &str,
    query: &SearchQuery,
    before: Option<i64>,
    limit: u32,
) -> Result<SearchPage, StoreError> {
    let before = before.unwrap_or(i64::MAX);
    // One more than asked for tells whether another page exists.
    let wanted = i64::from(limit) + 1;
    let postgres = conn.is_postgres();
    let mut found = if !postgres && query.as_str().chars().count() < TRIGRAM {
        let pattern = query.like_pattern();
        ids(
            conn,
            &short_statement(),
            params![user_id, pattern, before, wanted],
        )?
    } else {
        let (indexed, needle, tail) = if postgres {
            (
                pg_indexed_statement(),
                query.like_pattern(),
                tail_statement(PG_TAIL_MATCH),
            )
        } else {
            (
                indexed_statement(),
                query.fts_phrase(),
                tail_statement(SQLITE_TAIL_MATCH),
            )
        };
        let watermark: i64 = conn
            .prepare_cached(&watermark_statement(postgres))?
            .query_row(params![], |row| row.get(0))?;
        let pattern = query.like_pattern();
        let mut found = ids(
            conn,
            &indexed,
            params![user_id, needle, before, wanted, watermark],
        )?;
        found.extend(ids(
            conn,
            &tail,
            params![user_id, pattern, before, wanted, watermark],
        )?);
        // The two parts share no message (the index's leaves out what the tail's scans);
        // newest first across both.
        found.sort_unstable_by_key(|hit| std::cmp::Reverse(hit.0));
        found.dedup_by_key(|hit| hit.0);
        found
    };
    let has_more = found.len() > limit as usize;
    found.truncate(limit as usize);
    let mut hits = Vec::with_capacity(found.len());
    for (cursor, msg_id) in found {
        // In the hits' snapshot, which left recalled messages out already.
        let Some(message) = load(conn, &msg_id)?.filter(|m| !m.recalled) else {
            continue;
        };
        let chat = Chat::from_key(&message.chat_key)
            .ok_or_else(|| StoreError::Corrupt(format!("chat key {:?}", message.chat_key)))?;
        hits.push(SearchHit {
            cursor,
            chat_name: chat_name(conn, user_id, &chat)?,
            message,
        });
    }
    Ok(SearchPage { hits, has_more })
}

/// The group's name, the bot's nickname, or in direct messages the other user's nickname
/// (as `user_id`, who searched, sees the chat), `""` if it is gone.
fn chat_name(conn: &Connection, user_id: &str, chat: &Chat) -> Result<String, StoreError> {
    let (sql, id) = match chat {
        Chat::Group { group_id } => ("SELECT name FROM chat_groups WHERE id = ?1", group_id),
        Chat::Private { bot_id, .. } => ("SELECT nickname FROM bots WHERE id = ?1", bot_id),
        Chat::Direct { low, high } => (
            "SELECT nickname FROM users WHERE id = ?1",
            if low == user_id { high } else { low },
        ),
    };
    Ok(conn
        .prepare_cached(sql)?
        .query_row([id], |row| row.get(0))
        .optional()?
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_trimmed_and_bounded() {
        assert_eq!(SearchQuery::new("  你好 ").map(|q| q.0), Ok("你好".into()));
        assert_eq!(SearchQuery::new(" \t\n"), Err(SearchQueryError::Empty));
        let long = "字".repeat(MAX_SEARCH_CHARS + 1);
        assert_eq!(
            SearchQuery::new(&long),
            Err(SearchQueryError::TooLong(MAX_SEARCH_CHARS + 1))
        );
        assert!(SearchQuery::new(&"字".repeat(MAX_SEARCH_CHARS)).is_ok());
        assert_eq!(SearchQuery::new("a\0b"), Err(SearchQueryError::Nul));
    }

    #[test]
    fn operators_and_wildcards_are_searched_as_text() -> Result<(), SearchQueryError> {
        let q = SearchQuery::new(r#"50%_off\ "now" OR x*"#)?;
        assert_eq!(q.like_pattern(), r#"%50\%\_off\\ "now" OR x*%"#);
        assert_eq!(q.fts_phrase(), r#""50%_off\ ""now"" OR x*""#);
        Ok(())
    }
}
