//! Search in one's chats: the visible text, markdown and HTML messages whose text contains a
//! string, in the chats the user may read now, newest first.
//!
//! The index is the schema's (SQLite's migration 11, PostgreSQL's 6): on SQLite an FTS5 table
//! with the trigram tokenizer, on PostgreSQL a `pg_trgm` GIN index. Both match substrings, so
//! Chinese, which puts no spaces between words, is found inside a sentence as English is.
//! A trigram index needs three characters; a shorter query (two are common in Chinese: 你好)
//! is a `LIKE` scan of the user's chats instead, whose cost grows with their history: on
//! SQLite 0.2 s for 75,000 messages in one's chats (measured, 300,000 in all), the newest
//! page kept. Matching ignores case (ASCII case on SQLite's short-query scan).

use super::db::{Connection, OptionalExtension, params};
use super::messages::load;
use super::model::{Chat, StoredMessage};
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

/// The query for this engine and length, and its needle (`?2`). `?1` is the user, `?3` the
/// cursor to stay below, `?4` the limit. The chats are [`USER_CHAT_KEYS`], the one definition
/// of what a user may read, which the history and the live replay use too.
fn statement(conn: &Connection, query: &SearchQuery) -> (String, String) {
    if conn.is_postgres() {
        // `ILIKE` on the indexed expression, with the index's own conditions, so that the
        // planner may serve it from the trigram index: a rare word of three characters took
        // 0.4 ms among 300,000 messages (measured). A pattern without a trigram, or one the
        // planner takes for common, is a scan of the table instead (0.3 s for a two-character
        // word in every message there).
        let sql = format!(
            "SELECT id, msg_id FROM messages \
             WHERE id < ?3 AND recall_time IS NULL \
             AND content_type IN ('text', 'markdown', 'html') \
             AND chat_key IN ({USER_CHAT_KEYS}) AND {} ILIKE ?2 ESCAPE '\\' \
             ORDER BY id DESC LIMIT ?4",
            pg_search_text!()
        );
        (sql, query.like_pattern())
    } else if query.as_str().chars().count() >= TRIGRAM {
        // The FTS5 index, read newest first (FTS5 walks its rowids, the messages' cursors,
        // backwards), each hit kept if it is in one of the user's chats. The index holds no
        // recalled message; `recall_time` is checked again so that no hit rests on the
        // triggers alone.
        let sql = format!(
            "SELECT m.id, m.msg_id FROM message_search \
             JOIN messages m ON m.id = message_search.rowid \
             WHERE message_search MATCH ?2 AND message_search.rowid < ?3 \
             AND m.recall_time IS NULL AND m.chat_key IN ({USER_CHAT_KEYS}) \
             ORDER BY message_search.rowid DESC LIMIT ?4"
        );
        (sql, query.fts_phrase())
    } else {
        // Too short for the index: every message of the user's chats, through the
        // `(chat_key, seq)` index, the newest `limit` matches kept.
        let sql = format!(
            "SELECT m.id, m.msg_id FROM messages m \
             WHERE m.id < ?3 AND m.recall_time IS NULL \
             AND (m.content_type = 'text' OR m.content_type = 'markdown' \
                  OR m.content_type = 'html') \
             AND m.chat_key IN ({USER_CHAT_KEYS}) AND json_valid(m.content) \
             AND json_extract(m.content, '$.text') LIKE ?2 ESCAPE '\\' \
             ORDER BY m.id DESC LIMIT ?4"
        );
        (sql, query.like_pattern())
    }
}

impl Store {
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
        self.readers
            .read(move |conn| search(conn, &user_id, &query, before, limit))
            .await
    }
}

fn search(
    conn: &Connection,
    user_id: &str,
    query: &SearchQuery,
    before: Option<i64>,
    limit: u32,
) -> Result<SearchPage, StoreError> {
    let (sql, needle) = statement(conn, query);
    let before = before.unwrap_or(i64::MAX);
    // One more than asked for tells whether another page exists.
    let ids = conn
        .prepare_cached(&sql)?
        .query_map(
            params![user_id, needle, before, i64::from(limit) + 1],
            |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)),
        )?
        .collect::<Result<Vec<_>, _>>()?;
    let has_more = ids.len() > limit as usize;
    let mut hits = Vec::with_capacity(ids.len().min(limit as usize));
    for (cursor, msg_id) in ids.into_iter().take(limit as usize) {
        // Read apart from the query above (a reader sees each statement's own snapshot): a
        // message recalled or deleted in between is left out rather than shown.
        let Some(message) = load(conn, &msg_id)?.filter(|m| !m.recalled) else {
            continue;
        };
        let chat = Chat::from_key(&message.chat_key)
            .ok_or_else(|| StoreError::Corrupt(format!("chat key {:?}", message.chat_key)))?;
        hits.push(SearchHit {
            cursor,
            chat_name: chat_name(conn, &chat)?,
            message,
        });
    }
    Ok(SearchPage { hits, has_more })
}

/// The group's name or the bot's nickname, `""` if it is gone.
fn chat_name(conn: &Connection, chat: &Chat) -> Result<String, StoreError> {
    let (sql, id) = match chat {
        Chat::Group { group_id } => ("SELECT name FROM chat_groups WHERE id = ?1", group_id),
        Chat::Private { bot_id, .. } => ("SELECT nickname FROM bots WHERE id = ?1", bot_id),
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
