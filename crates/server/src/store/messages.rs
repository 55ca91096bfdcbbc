//! The message log: bots' sends, edits and recalls, and history pages.

use cloudlake_protocol::{RecvType, SenderType};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::model::{Chat, StoredMessage};
use super::{Store, StoreError};

/// A message to store, apart from its recipients.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The content type, as on the wire.
    pub content_type: String,
    /// The normalised content, as JSON text.
    pub content: String,
    /// The message to quote; dropped where it names no message of the recipient's chat.
    pub parent_id: Option<String>,
    /// Epoch ms.
    pub send_time: i64,
}

/// What became of one recipient of a bot's send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Stored, at `seq` in the recipient's chat.
    Stored {
        /// The position in the chat.
        seq: i64,
    },
    /// The user does not exist or does not follow the bot.
    NotFriend,
    /// The group does not exist or the bot is not in it.
    NotInGroup,
}

/// A bot's standing in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupAccess {
    /// No such group.
    Missing,
    /// The group exists and the bot is not in it.
    NotMember,
    /// The bot is in the group.
    Member,
}

impl Store {
    /// Stores one message from `bot_id` per recipient, each `(recv_id, msg_id)`, in a single
    /// transaction that commits before this returns. Recipients the bot may not reach are
    /// skipped and reported, not errors.
    pub async fn send_from_bot(
        &self,
        bot_id: String,
        recv_type: RecvType,
        recipients: Vec<(String, String)>,
        message: Outgoing,
    ) -> Result<Vec<Delivery>, StoreError> {
        self.writer
            .write(move |conn| {
                recipients
                    .iter()
                    .map(|(recv_id, msg_id)| {
                        if !may_reach(conn, &bot_id, recv_type, recv_id)? {
                            return Ok(match recv_type {
                                RecvType::User => Delivery::NotFriend,
                                RecvType::Group => Delivery::NotInGroup,
                            });
                        }
                        let chat = Chat::from_bot(&bot_id, recv_type, recv_id).key();
                        let seq = insert(conn, &chat, msg_id, SenderType::Bot, &bot_id, &message)?;
                        Ok(Delivery::Stored { seq })
                    })
                    .collect()
            })
            .await
    }

    /// Replaces the content of a message `bot_id` sent into `chat`. Returns false when there
    /// is no such message (unknown, someone else's, in another chat, or recalled).
    pub async fn edit_from_bot(
        &self,
        bot_id: String,
        chat: Chat,
        msg_id: String,
        content_type: String,
        content: String,
        edit_time: i64,
    ) -> Result<bool, StoreError> {
        self.writer
            .write(move |conn| {
                let n = conn
                    .prepare_cached(
                        "UPDATE messages SET content_type = ?4, content = ?5, edit_time = ?6 \
                         WHERE msg_id = ?1 AND chat_key = ?2 AND sender_type = 'bot' AND sender_id = ?3 \
                           AND recall_time IS NULL",
                    )?
                    .execute(params![msg_id, chat.key(), bot_id, content_type, content, edit_time])?;
                Ok(n == 1)
            })
            .await
    }

    /// Recalls a message `bot_id` sent into `chat`. Returns false when there is no such
    /// message (unknown, someone else's, in another chat, or already recalled).
    pub async fn recall_from_bot(
        &self,
        bot_id: String,
        chat: Chat,
        msg_id: String,
        recall_time: i64,
    ) -> Result<bool, StoreError> {
        self.writer
            .write(move |conn| {
                let n = conn
                    .prepare_cached(
                        "UPDATE messages SET recall_time = ?4 \
                         WHERE msg_id = ?1 AND chat_key = ?2 AND sender_type = 'bot' AND sender_id = ?3 \
                           AND recall_time IS NULL",
                    )?
                    .execute(params![msg_id, chat.key(), bot_id, recall_time])?;
                Ok(n == 1)
            })
            .await
    }

    /// Whether the group exists and has the bot in it.
    pub async fn group_access(
        &self,
        bot_id: String,
        group_id: String,
    ) -> Result<GroupAccess, StoreError> {
        self.readers
            .read(move |conn| {
                let row: Option<bool> = conn
                    .prepare_cached(
                        "SELECT EXISTS (SELECT 1 FROM group_bots WHERE group_id = g.id AND bot_id = ?2) \
                         FROM chat_groups g WHERE g.id = ?1",
                    )?
                    .query_row(params![group_id, bot_id], |row| row.get(0))
                    .optional()?;
                Ok(match row {
                    None => GroupAccess::Missing,
                    Some(false) => GroupAccess::NotMember,
                    Some(true) => GroupAccess::Member,
                })
            })
            .await
    }

    /// A page of `chat`'s history, newest first, recalled messages left out (spec §6.6).
    /// Without an anchor, the newest `before` messages. With one, the anchor with up to
    /// `before` older and `after` newer messages around it; an anchor that is not a visible
    /// message of the chat gives an empty page.
    pub async fn history(
        &self,
        chat: Chat,
        anchor: Option<String>,
        before: u32,
        after: u32,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        self.readers
            .read(move |conn| {
                // Asking for nothing on either side gives nothing, anchor or not (spec §6.6).
                if before == 0 && after == 0 {
                    return Ok(Vec::new());
                }
                let key = chat.key();
                let Some(anchor) = anchor else {
                    return page(conn, &key, Side::Older, i64::MAX, before, false);
                };
                let Some(anchor_seq) = conn
                    .prepare_cached(
                        "SELECT seq FROM messages WHERE msg_id = ?1 AND chat_key = ?2 AND recall_time IS NULL",
                    )?
                    .query_row(params![anchor, key], |row| row.get::<_, i64>(0))
                    .optional()?
                else {
                    return Ok(Vec::new());
                };
                let mut list = page(conn, &key, Side::Newer, anchor_seq, after, true)?;
                list.extend(page(conn, &key, Side::Older, anchor_seq, before, false)?);
                Ok(list)
            })
            .await
    }
}

/// Whether a bot may send to this recipient: a user must follow it, a group must have it.
fn may_reach(
    conn: &Connection,
    bot_id: &str,
    recv_type: RecvType,
    recv_id: &str,
) -> Result<bool, StoreError> {
    let sql = match recv_type {
        RecvType::User => "SELECT 1 FROM bot_followers WHERE bot_id = ?1 AND user_id = ?2",
        RecvType::Group => "SELECT 1 FROM group_bots WHERE bot_id = ?1 AND group_id = ?2",
    };
    Ok(conn
        .prepare_cached(sql)?
        .query_row([bot_id, recv_id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Appends a message to a chat: the next sequence number, then the row.
fn insert(
    conn: &Connection,
    chat_key: &str,
    msg_id: &str,
    sender_type: SenderType,
    sender_id: &str,
    message: &Outgoing,
) -> Result<i64, StoreError> {
    let seq: i64 = conn
        .prepare_cached(
            "INSERT INTO chats (chat_key, last_seq) VALUES (?1, 1) \
             ON CONFLICT (chat_key) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq",
        )?
        .query_row([chat_key], |row| row.get(0))?;
    // A quote must name a message of the same chat; anything else (nonebot's "False", an ID
    // from another chat) degrades to no quote rather than failing the send (spec §12 item 5).
    let parent_id = match &message.parent_id {
        Some(parent) => conn
            .prepare_cached("SELECT msg_id FROM messages WHERE msg_id = ?1 AND chat_key = ?2")?
            .query_row([parent, chat_key], |row| row.get::<_, String>(0))
            .optional()?
            .unwrap_or_default(),
        None => String::new(),
    };
    conn.prepare_cached(
        "INSERT INTO messages (msg_id, chat_key, seq, sender_type, sender_id, content_type, content, parent_id, send_time) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        msg_id,
        chat_key,
        seq,
        sender_type.as_str(),
        sender_id,
        message.content_type,
        message.content,
        parent_id,
        message.send_time
    ])?;
    Ok(seq)
}

#[derive(Clone, Copy)]
enum Side {
    Older,
    Newer,
}

/// Up to `limit` visible messages on one side of `seq` (the anchor itself too when
/// `with_anchor`), newest first.
fn page(
    conn: &Connection,
    chat_key: &str,
    side: Side,
    seq: i64,
    limit: u32,
    with_anchor: bool,
) -> Result<Vec<StoredMessage>, StoreError> {
    const SELECT: &str = "SELECT m.msg_id, m.seq, m.sender_type, m.sender_id, \
            COALESCE(CASE m.sender_type WHEN 'bot' THEN b.nickname ELSE u.nickname END, ''), \
            m.content_type, m.content, m.parent_id, m.command_id, m.command_name, m.send_time \
         FROM messages m \
         LEFT JOIN bots b ON m.sender_type = 'bot' AND b.id = m.sender_id \
         LEFT JOIN users u ON m.sender_type = 'user' AND u.id = m.sender_id \
         WHERE m.chat_key = ?1 AND m.recall_time IS NULL";
    let (condition, order) = match (side, with_anchor) {
        (Side::Older, false) => ("m.seq < ?2", "DESC"),
        (Side::Older, true) => ("m.seq <= ?2", "DESC"),
        (Side::Newer, false) => ("m.seq > ?2", "ASC"),
        (Side::Newer, true) => ("m.seq >= ?2", "ASC"),
    };
    // The anchor is counted on top of `limit` (anchor + before=10 returns 11).
    let limit = i64::from(limit) + i64::from(with_anchor);
    if limit == 0 {
        return Ok(Vec::new());
    }
    let sql = format!("{SELECT} AND {condition} ORDER BY m.seq {order} LIMIT ?3");
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut list = stmt
        .query_map(params![chat_key, seq, limit], message_row)?
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    if matches!(side, Side::Newer) {
        list.reverse();
    }
    Ok(list)
}

fn message_row(row: &Row<'_>) -> rusqlite::Result<Result<StoredMessage, StoreError>> {
    let sender_type: String = row.get(2)?;
    let Some(sender_type) = SenderType::from_wire(&sender_type) else {
        return Ok(Err(StoreError::Corrupt(format!(
            "sender_type {sender_type:?}"
        ))));
    };
    Ok(Ok(StoredMessage {
        msg_id: row.get(0)?,
        seq: row.get(1)?,
        sender_type,
        sender_id: row.get(3)?,
        sender_nickname: row.get(4)?,
        content_type: row.get(5)?,
        content: row.get(6)?,
        parent_id: row.get(7)?,
        command_id: row.get(8)?,
        command_name: row.get(9)?,
        send_time: row.get(10)?,
    }))
}
