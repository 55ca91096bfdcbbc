//! Encoding live frames from stored rows: done once per change, shared by every recipient.

use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;

use cloudlake_protocol::{Board, ChatMessage, ChatRef, Content, LIVE_VERSION, LiveFrame};

use crate::store::{Chat, MessageView, StoreError, StoredMessage};

/// How a chat looks to a user: a group, or the private chat with a bot.
pub fn chat_ref(chat: &Chat) -> ChatRef {
    match chat {
        Chat::Group { group_id } => ChatRef {
            chat_type: "group".into(),
            chat_id: group_id.clone(),
        },
        Chat::Private { bot_id, .. } => ChatRef {
            chat_type: "bot".into(),
            chat_id: bot_id.clone(),
        },
    }
}

/// The user-facing form of a stored message, with the HTML stored when it was written (never
/// rendered here: this runs on every read); a recalled message loses its content.
pub fn chat_message(row: &StoredMessage) -> Result<ChatMessage, StoreError> {
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
        chat: chat_ref(&chat),
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
    })
}

/// What happened to a message, as recorded in the chat log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogKind {
    /// It was sent.
    Message,
    /// Its content changed.
    Edit,
    /// It was recalled.
    Recall,
}

impl LogKind {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            LogKind::Message => "message",
            LogKind::Edit => "edit",
            LogKind::Recall => "recall",
        }
    }

    /// Parses the stored spelling.
    pub fn from_stored(s: &str) -> Option<Self> {
        match s {
            "message" => Some(LogKind::Message),
            "edit" => Some(LogKind::Edit),
            "recall" => Some(LogKind::Recall),
            _ => None,
        }
    }
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
            .map_err(|e| StoreError::Corrupt(format!("frame does not encode: {e}"))),
        }
    }
}

/// Encodes a frame once for sharing.
pub fn encode(frame: &LiveFrame) -> Result<Arc<str>, StoreError> {
    serde_json::to_string(frame)
        .map(Arc::from)
        .map_err(|e| StoreError::Corrupt(format!("frame does not encode: {e}")))
}
