//! Boards: one per (bot, chat, member), or one global per bot (`chat_key = '*'`, board-all).
//! Boards are state, not history: a change is pushed live to the chats that show it, and
//! every live session receives the boards in force in its `hello`.

use std::sync::Arc;

use super::db::{Connection, Row, params};
use cloudlake_protocol::{Board, RecvType};

use super::messages::bot_may_reach;
use super::model::Chat;
use super::record::{BoardState, Record};
use super::user_side::USER_CHAT_KEYS;
use super::{Store, StoreError};
use crate::clock::now_ms;

/// The key of a bot's global board.
const ALL: &str = "*";

/// A board to set.
#[derive(Debug, Clone)]
pub struct NewBoard {
    /// `text`, `markdown` or `html`.
    pub content_type: String,
    /// The text.
    pub content: String,
    /// Epoch ms when it disappears; 0 = never.
    pub expire_at: i64,
    /// Its sanitized HTML, rendered by the caller before the write (the store never renders).
    pub html: String,
}

impl NewBoard {
    /// The board as set by `bot_id` at `now`.
    fn state(self, bot_id: String, now: i64) -> BoardState {
        BoardState {
            bot_id,
            content_type: self.content_type,
            content: self.content,
            html: self.html,
            expire_at: self.expire_at,
            updated_at: now,
        }
    }
}

impl Store {
    /// Sets the bot's board in `chat` (for one group member when `member` is set). Returns
    /// false, changing nothing, when the bot may not reach the chat (the user does not follow
    /// it, or it is not in the group).
    pub async fn set_board(
        &self,
        bot_id: String,
        chat: Chat,
        member: Option<String>,
        board: NewBoard,
    ) -> Result<bool, StoreError> {
        self.writer
            .write_tx(move |tx| {
                let conn = tx.conn();
                let (recv_type, recv_id) = match &chat {
                    Chat::Group { group_id } => (RecvType::Group, group_id),
                    Chat::Private { user_id, .. } => (RecvType::User, user_id),
                    // No bot is in direct messages between users.
                    Chat::Direct { .. } => return Ok(false),
                };
                if !bot_may_reach(conn, &bot_id, recv_type, recv_id)? {
                    return Ok(false);
                }
                let key = chat.key();
                let now = now_ms();
                upsert(
                    conn,
                    &bot_id,
                    &key,
                    member.as_deref().unwrap_or(""),
                    &board,
                    now,
                )?;
                tx.record(Record::BoardSet {
                    chat,
                    member,
                    board: Arc::new(board.state(bot_id, now)),
                });
                Ok(true)
            })
            .await
    }

    /// Sets the bot's global board, shown in every chat the bot has. Returns how many chats
    /// that is.
    pub async fn set_board_all(&self, bot_id: String, board: NewBoard) -> Result<u64, StoreError> {
        self.writer
            .write_tx(move |tx| {
                let conn = tx.conn();
                let now = now_ms();
                upsert(conn, &bot_id, ALL, "", &board, now)?;
                let chats = bot_chats(conn, &bot_id)?;
                let count = chats.len() as u64;
                // One board shared by every chat's record: nothing is copied per chat here.
                let board = Arc::new(board.state(bot_id, now));
                for chat in chats {
                    tx.record(Record::BoardSet {
                        chat,
                        member: None,
                        board: board.clone(),
                    });
                }
                Ok(count)
            })
            .await
    }

    /// Removes the bot's board from `chat` (or `ALL` chats with `chat` = `None`). Removing a
    /// board that is not there is not an error: the outcome is the same.
    pub async fn dismiss_board(
        &self,
        bot_id: String,
        chat: Option<Chat>,
        member: Option<String>,
    ) -> Result<(), StoreError> {
        self.writer
            .write_tx(move |tx| {
                let conn = tx.conn();
                let key = chat.as_ref().map_or_else(|| ALL.to_owned(), Chat::key);
                conn.prepare_cached(
                    "DELETE FROM boards WHERE bot_id = ?1 AND chat_key = ?2 AND member_id = ?3",
                )?
                .execute(params![bot_id, key, member.as_deref().unwrap_or("")])?;
                let chats = match chat {
                    Some(chat) => vec![chat],
                    None => bot_chats(conn, &bot_id)?,
                };
                for chat in chats {
                    tx.record(Record::BoardDismissed {
                        bot_id: bot_id.clone(),
                        chat,
                        member: member.clone(),
                    });
                }
                Ok(())
            })
            .await
    }

    /// The boards in force in the chats `user_id` is in: boards for the chat (or for the user
    /// as a group member) and the global boards of the bots in each chat.
    pub async fn boards_for_user(&self, user_id: String) -> Result<Vec<Board>, StoreError> {
        self.readers
            .read(move |conn| {
                let sql = format!(
                    "SELECT bot_id, chat_key, content_type, content, expire_at, updated_at, html FROM boards \
                     WHERE chat_key IN ({USER_CHAT_KEYS}) AND member_id IN ('', ?1) AND (expire_at = 0 OR expire_at > ?2) \
                     UNION ALL \
                     SELECT b.bot_id, 'g:' || gb.group_id, b.content_type, b.content, b.expire_at, b.updated_at, b.html \
                     FROM boards b JOIN group_bots gb ON gb.bot_id = b.bot_id \
                     JOIN group_members gm ON gm.group_id = gb.group_id AND gm.user_id = ?1 \
                     WHERE b.chat_key = '*' AND (b.expire_at = 0 OR b.expire_at > ?2) \
                     UNION ALL \
                     SELECT b.bot_id, 'p:' || b.bot_id || ':' || ?1, b.content_type, b.content, b.expire_at, b.updated_at, b.html \
                     FROM boards b JOIN bot_followers f ON f.bot_id = b.bot_id AND f.user_id = ?1 \
                     WHERE b.chat_key = '*' AND (b.expire_at = 0 OR b.expire_at > ?2)"
                );
                let mut stmt = conn.prepare_cached(&sql)?;
                let rows = stmt.query_map(params![user_id, now_ms()], board_row)?;
                let mut boards = Vec::new();
                for row in rows {
                    boards.push(row??);
                }
                Ok(boards)
            })
            .await
    }
}

fn upsert(
    conn: &Connection,
    bot_id: &str,
    key: &str,
    member: &str,
    board: &NewBoard,
    now: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO boards (bot_id, chat_key, member_id, content_type, content, expire_at, updated_at, html) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
         ON CONFLICT (bot_id, chat_key, member_id) DO UPDATE SET content_type = excluded.content_type, \
           content = excluded.content, expire_at = excluded.expire_at, updated_at = excluded.updated_at, \
           html = excluded.html",
    )?
    .execute(params![bot_id, key, member, board.content_type, board.content, board.expire_at, now, board.html])?;
    Ok(())
}

/// Every chat a bot has: its followers' private chats and its groups.
fn bot_chats(conn: &Connection, bot_id: &str) -> Result<Vec<Chat>, StoreError> {
    let mut chats = Vec::new();
    let mut stmt = conn.prepare_cached("SELECT user_id FROM bot_followers WHERE bot_id = ?1")?;
    for user_id in stmt.query_map([bot_id], |row| row.get::<_, String>(0))? {
        chats.push(Chat::Private {
            bot_id: bot_id.to_owned(),
            user_id: user_id?,
        });
    }
    let mut stmt = conn.prepare_cached("SELECT group_id FROM group_bots WHERE bot_id = ?1")?;
    for group_id in stmt.query_map([bot_id], |row| row.get::<_, String>(0))? {
        chats.push(Chat::Group {
            group_id: group_id?,
        });
    }
    Ok(chats)
}

fn board_row(row: &Row<'_>) -> super::db::Result<Result<Board, StoreError>> {
    let key: String = row.get(1)?;
    let Some(chat) = Chat::from_key(&key) else {
        return Ok(Err(StoreError::Corrupt(format!("board chat key {key:?}"))));
    };
    Ok(Ok(Board {
        bot_id: row.get(0)?,
        chat: chat.chat_ref(),
        content_type: row.get(2)?,
        content: row.get(3)?,
        expire_time: row.get(4)?,
        updated_at: row.get(5)?,
        html: row.get(6)?,
    }))
}
