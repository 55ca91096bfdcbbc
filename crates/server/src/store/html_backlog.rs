//! Messages and boards written before their HTML was stored (a `NULL` `html` column): read
//! a page, have the caller render it, store the result. The store renders nothing itself; the
//! service layer drives this once at start-up (`service::rendering::render_backlog`), so that
//! every read afterwards serves the stored column.

use super::db::params;
use super::{Store, StoreError};

/// A message or board whose HTML is still to be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unrendered<K> {
    /// Which row: a message's `id`, or a board's `(bot_id, chat_key, member_id)`.
    pub key: K,
    /// `text`, `markdown`, `html`, …
    pub content_type: String,
    /// A message's content as JSON text; a board's text.
    pub content: String,
}

/// A board's primary key: bot, chat key, member (`""` for the whole chat).
pub type BoardKey = (String, String, String);

impl Store {
    /// Up to `limit` messages with no stored HTML whose `id` is above `after`, by `id`.
    pub async fn unrendered_messages(
        &self,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Unrendered<i64>>, StoreError> {
        self.readers
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT id, content_type, content FROM messages \
                     WHERE html IS NULL AND id > ?1 ORDER BY id LIMIT ?2",
                )?;
                let rows = stmt.query_map(params![after, i64::from(limit)], |row| {
                    Ok(Unrendered {
                        key: row.get(0)?,
                        content_type: row.get(1)?,
                        content: row.get(2)?,
                    })
                })?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }

    /// Stores each message's rendered HTML (`None`: nothing to mark up), unless it has some
    /// already (an edit since the page was read stored its own).
    pub async fn store_message_html(
        &self,
        rendered: Vec<(i64, Option<String>)>,
    ) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "UPDATE messages SET html = ?2 WHERE id = ?1 AND html IS NULL",
                )?;
                for (id, html) in &rendered {
                    stmt.execute(params![id, super::messages::stored_html(html.as_deref())])?;
                }
                Ok(())
            })
            .await
    }

    /// Up to `limit` boards with no stored HTML.
    pub async fn unrendered_boards(
        &self,
        limit: u32,
    ) -> Result<Vec<Unrendered<BoardKey>>, StoreError> {
        self.readers
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT bot_id, chat_key, member_id, content_type, content FROM boards \
                     WHERE html IS NULL LIMIT ?1",
                )?;
                let rows = stmt.query_map(params![i64::from(limit)], |row| {
                    Ok(Unrendered {
                        key: (row.get(0)?, row.get(1)?, row.get(2)?),
                        content_type: row.get(3)?,
                        content: row.get(4)?,
                    })
                })?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }

    /// Stores each board's rendered HTML, unless it has some already.
    pub async fn store_board_html(
        &self,
        rendered: Vec<(BoardKey, String)>,
    ) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "UPDATE boards SET html = ?4 \
                     WHERE bot_id = ?1 AND chat_key = ?2 AND member_id = ?3 AND html IS NULL",
                )?;
                for ((bot_id, chat_key, member_id), html) in &rendered {
                    stmt.execute(params![bot_id, chat_key, member_id, html])?;
                }
                Ok(())
            })
            .await
    }
}
