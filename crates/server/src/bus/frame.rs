//! Live frames from the store's records and rows: each change's frame is encoded once,
//! shared by every recipient, and only when someone receives it where that can wait. This is
//! where stored data becomes what a live client sees; the store knows no frames.

use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;

use cloudlake_protocol::{Board, ChatMessage, Content, LIVE_VERSION, LiveFrame};

use super::Change;
use crate::store::{BoardState, Chat, LogKind, MessageView, Record, StoreError, StoredMessage};

/// The changes a commit's records make for live connections, in the records' order. A record
/// whose frame does not encode (a stored row that no longer parses) is logged and left out:
/// the commit stands, and a client reading the chat again sees what is stored.
pub fn changes(records: Vec<Record>) -> Vec<Change> {
    let mut changes = Vec::with_capacity(records.len());
    for record in records {
        match change(record) {
            Ok(change) => changes.push(change),
            Err(e) => tracing::error!(error = %e, "a committed change has no live frame"),
        }
    }
    changes
}

fn change(record: Record) -> Result<Change, StoreError> {
    Ok(match record {
        Record::Appended {
            cursor,
            message,
            view,
        } => Change::Chat {
            cursor,
            chat_key: message.chat_key.clone(),
            frame: Frame::Message(Arc::new(PendingMessage {
                cursor,
                row: message,
                view,
            })),
        },
        Record::Edited { cursor, message } => log_change(LogKind::Edit, cursor, &message)?,
        Record::Recalled { cursor, message } => log_change(LogKind::Recall, cursor, &message)?,
        Record::Reacted { cursor, message } => log_change(LogKind::Reaction, cursor, &message)?,
        Record::BoardSet {
            chat,
            member,
            board,
        } => Change::ChatState {
            chat_key: chat.key(),
            frame: encode(&board_frame(board_of(&board, &chat)))?,
            only_user: member,
        },
        Record::BoardDismissed {
            bot_id,
            chat,
            member,
        } => Change::ChatState {
            chat_key: chat.key(),
            frame: encode(&LiveFrame::BoardDismissed {
                v: LIVE_VERSION,
                bot_id,
                chat: chat.chat_ref(),
            })?,
            only_user: member,
        },
        Record::ClickAnswered {
            chat,
            user_id,
            msg_id,
            notice,
        } => Change::ChatState {
            chat_key: chat.key(),
            frame: encode(&LiveFrame::ClickAnswered {
                v: LIVE_VERSION,
                msg_id,
                chat: chat.chat_ref(),
                notice,
            })?,
            only_user: Some(user_id),
        },
        Record::Joined { user_id, chat_key } => Change::Joined { user_id, chat_key },
        Record::Left { user_id, chat_key } => Change::Left { user_id, chat_key },
        Record::ChatClosed { chat_key } => Change::ChatClosed { chat_key },
        Record::UserClosed { user_id, session } => Change::UserClosed { user_id, session },
    })
}

fn log_change(kind: LogKind, cursor: i64, message: &StoredMessage) -> Result<Change, StoreError> {
    Ok(Change::Chat {
        cursor,
        chat_key: message.chat_key.clone(),
        frame: Frame::Encoded(encode(&log_frame(kind, cursor, message)?)?),
    })
}

/// A board as a client sees it in `chat`.
fn board_of(board: &BoardState, chat: &Chat) -> Board {
    Board {
        bot_id: board.bot_id.clone(),
        chat: chat.chat_ref(),
        content_type: board.content_type.clone(),
        content: board.content.clone(),
        expire_time: board.expire_at,
        updated_at: board.updated_at,
        html: Some(board.html.clone()),
    }
}

/// The user-facing form of a stored message, with the HTML stored when it was written (never
/// rendered here: this runs on every read); a recalled message loses its content.
pub fn chat_message(row: &StoredMessage) -> Result<ChatMessage, StoreError> {
    // A recalled message shows nothing of what it was, its reactions neither.
    if row.recalled {
        return chat_message_with(row, Content::default(), None);
    }
    let content: Content = serde_json::from_str(&row.content)
        .map_err(|e| StoreError::Corrupt(format!("message {} content: {e}", row.msg_id)))?;
    chat_message_with(row, content, row.html.clone())
}

/// The user-facing form of a stored message whose content is already parsed and rendered.
pub fn chat_message_with(
    row: &StoredMessage,
    content: Content,
    html: Option<String>,
) -> Result<ChatMessage, StoreError> {
    let chat = Chat::from_key(&row.chat_key)
        .ok_or_else(|| StoreError::Corrupt(format!("chat key {:?}", row.chat_key)))?;
    Ok(ChatMessage {
        html,
        chat: chat.chat_ref(),
        seq: row.seq,
        msg_id: row.msg_id.clone(),
        sender_id: row.sender_id.clone(),
        sender_type: row.sender_type,
        sender_nickname: row.sender_nickname.clone(),
        content_type: row.content_type.clone(),
        content,
        parent_id: row.parent_id.clone(),
        send_time: row.send_time,
        edit_time: row.edit_time,
        recalled: row.recalled,
        reactions: if row.recalled {
            Vec::new()
        } else {
            row.reactions.clone()
        },
    })
}

/// The frame for one chat log entry.
pub fn log_frame(kind: LogKind, cursor: i64, row: &StoredMessage) -> Result<LiveFrame, StoreError> {
    Ok(framed(kind, cursor, chat_message(row)?))
}

/// The frame for one chat log entry whose content is already parsed and rendered.
pub fn message_frame(
    kind: LogKind,
    cursor: i64,
    row: &StoredMessage,
    content: Content,
    html: Option<String>,
) -> Result<LiveFrame, StoreError> {
    Ok(framed(kind, cursor, chat_message_with(row, content, html)?))
}

fn framed(kind: LogKind, cursor: i64, message: ChatMessage) -> LiveFrame {
    let v = LIVE_VERSION;
    match kind {
        LogKind::Message => LiveFrame::Message { v, cursor, message },
        LogKind::Edit => LiveFrame::MessageEdited { v, cursor, message },
        LogKind::Recall => LiveFrame::MessageRecalled { v, cursor, message },
        // Only the reactions changed: the frame names the message and carries its new list,
        // not the whole message again to everyone in the chat.
        LogKind::Reaction => LiveFrame::MessageReactions {
            v,
            cursor,
            chat: message.chat,
            msg_id: message.msg_id,
            reactions: message.reactions,
        },
    }
}

/// A board frame.
pub fn board_frame(board: Board) -> LiveFrame {
    LiveFrame::Board {
        v: LIVE_VERSION,
        board,
    }
}

/// A live frame, encoded at most once and only when someone receives it: nothing is encoded
/// for a chat nobody is watching, and what is encoded is encoded off the writer thread.
#[derive(Debug, Clone)]
pub enum Frame {
    /// Encoded already.
    Encoded(Arc<str>),
    /// A new message, encoded from its row and its pre-rendered content when first needed.
    Message(Arc<PendingMessage>),
    /// Encoded already, as WebSocket-ready bytes: a frame received from another node over the
    /// bus ([`super::wire`]), a slice of the bus message shared by every recipient as is.
    Shared(Utf8Bytes),
}

/// What a new message's frame is made from.
#[derive(Debug)]
pub struct PendingMessage {
    /// The chat log position.
    pub cursor: i64,
    /// The stored message.
    pub row: StoredMessage,
    /// Its content, parsed and rendered once for every chat it was sent to.
    pub view: Arc<MessageView>,
}

impl Frame {
    /// The frame's text.
    pub fn encode(&self) -> Result<Arc<str>, StoreError> {
        match self {
            Frame::Encoded(text) => Ok(text.clone()),
            Frame::Shared(text) => Ok(Arc::from(text.as_str())),
            Frame::Message(m) => encode(&message_frame(
                LogKind::Message,
                m.cursor,
                &m.row,
                m.view.content.clone(),
                m.view.html.clone(),
            )?),
        }
    }
}

impl Frame {
    /// The frame's text as WebSocket-ready bytes, for sharing between every recipient: a
    /// message is encoded straight into them; an already encoded frame is copied once.
    pub fn encode_shared(&self) -> Result<Utf8Bytes, StoreError> {
        match self {
            Frame::Encoded(text) => Ok(Utf8Bytes::from(&**text)),
            Frame::Shared(text) => Ok(text.clone()),
            Frame::Message(m) => serde_json::to_string(&message_frame(
                LogKind::Message,
                m.cursor,
                &m.row,
                m.view.content.clone(),
                m.view.html.clone(),
            )?)
            .map(Utf8Bytes::from)
            .map_err(|e| StoreError::Internal(format!("frame does not encode: {e}"))),
        }
    }
}

/// Encodes a frame once for sharing.
pub fn encode(frame: &LiveFrame) -> Result<Arc<str>, StoreError> {
    serde_json::to_string(frame)
        .map(Arc::from)
        .map_err(|e| StoreError::Internal(format!("frame does not encode: {e}")))
}
