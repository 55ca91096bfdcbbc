//! What a committed write changed, as plain data: the store's whole report to the layers
//! above. A write job leaves these in its transaction context ([`super::tx::Tx`]); once the
//! commit is durable the writer hands them, in commit order, to the [`super::CommitSink`].
//! Nothing here is rendered or encoded: turning records into live frames is the live layer's
//! work (`bus::frame`), done off the writer thread.

use std::sync::Arc;

use super::messages::MessageView;
use super::model::{Chat, StoredMessage};

/// One thing a commit changed that live connections must learn of.
#[derive(Debug, Clone)]
pub enum Record {
    /// A message was appended to a chat.
    Appended {
        /// Its chat log position (a new message's id is its cursor).
        cursor: i64,
        /// The stored row.
        message: StoredMessage,
        /// Its parsed content and HTML, shared by every chat one send reached.
        view: Arc<MessageView>,
    },
    /// A message's content was replaced.
    Edited {
        /// The edit's chat log position.
        cursor: i64,
        /// The message as it now stands.
        message: StoredMessage,
    },
    /// A message was recalled.
    Recalled {
        /// The recall's chat log position.
        cursor: i64,
        /// The message as it now stands (recalled).
        message: StoredMessage,
    },
    /// A message's reactions changed.
    Reacted {
        /// The change's chat log position.
        cursor: i64,
        /// The message, with its reactions as they now stand.
        message: StoredMessage,
    },
    /// A bot's board was set in a chat.
    BoardSet {
        /// The chat it shows in.
        chat: Chat,
        /// Only this group member sees it, when set.
        member: Option<String>,
        /// The board, shared by every chat a board-all reached.
        board: Arc<BoardState>,
    },
    /// A bot's board was removed from a chat.
    BoardDismissed {
        /// The bot.
        bot_id: String,
        /// The chat.
        chat: Chat,
        /// Only this group member's board, when set.
        member: Option<String>,
    },
    /// A user can now see a chat.
    Joined {
        /// The user.
        user_id: String,
        /// The chat's key.
        chat_key: String,
    },
    /// A user can no longer see a chat.
    Left {
        /// The user.
        user_id: String,
        /// The chat's key.
        chat_key: String,
    },
    /// A chat is gone (its group was deleted, or its bot).
    ChatClosed {
        /// The chat's key.
        chat_key: String,
    },
    /// A bot answered a user's click with a notice for that user alone (wire §7.7d).
    ClickAnswered {
        /// The clicked message's chat.
        chat: super::Chat,
        /// Who clicked.
        user_id: String,
        /// The clicked message.
        msg_id: String,
        /// The bot's notice.
        notice: String,
    },
    /// A user's live sessions must end: all of them (the user was deleted), or only those
    /// opened with one credential (a sign-in session's token at sign-out; each of the user's
    /// credentials when their token or password changes, one record each).
    UserClosed {
        /// The user.
        user_id: String,
        /// The ended credential's hash (a session token or the user token), when only the
        /// sockets opened with it end.
        session: Option<[u8; 32]>,
    },
}

/// A board as it was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardState {
    /// The bot whose board it is.
    pub bot_id: String,
    /// `text`, `markdown` or `html`.
    pub content_type: String,
    /// The text.
    pub content: String,
    /// Its sanitized HTML, as stored.
    pub html: String,
    /// Epoch ms when it disappears; 0 = never.
    pub expire_at: i64,
    /// Epoch ms when it was set.
    pub updated_at: i64,
}
