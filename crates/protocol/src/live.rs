//! The user client's live protocol: JSON text frames the server pushes over the client's one
//! WebSocket (`/api/v1/live`), and the message and board shapes the user API shares with it.
//!
//! Every frame carries `"v"` ([`LIVE_VERSION`]) and a `"type"`. Frames about chat history carry
//! a `cursor`: a position in the server's global change log, increasing in commit order. A
//! client remembers the last cursor it saw and reconnects with `?cursor=N` to receive exactly
//! what it missed, then live frames, with no gap and no duplicate.

use serde::{Deserialize, Serialize};

use crate::{Content, SenderType};

/// The version of the live protocol; bumped on any incompatible change.
pub const LIVE_VERSION: u32 = 1;

/// A chat as a user sees it: a group, or the private chat with a bot (`chatType: "bot"`,
/// `chatId` = the bot's ID, as in Yunhu's events).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatRef {
    /// `group`, `bot`, or `dm` (direct messages between two users).
    pub chat_type: String,
    /// The group's ID, the bot's ID, or for `dm` the two users' IDs in order, `<low>:<high>`.
    pub chat_id: String,
}

/// A message as the user API and the live frames show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatMessage {
    /// The chat it is in.
    #[serde(flatten)]
    pub chat: ChatRef,
    /// Its position in the chat, from 1 without gaps.
    pub seq: i64,
    /// The message ID.
    pub msg_id: String,
    /// The sender's ID.
    pub sender_id: String,
    /// A user or a bot.
    pub sender_type: SenderType,
    /// The sender's nickname.
    pub sender_nickname: String,
    /// The content type.
    pub content_type: String,
    /// The content (empty once recalled).
    pub content: Content,
    /// The quoted message, `""` when none.
    pub parent_id: String,
    /// Epoch ms.
    pub send_time: i64,
    /// When it was last edited, epoch ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit_time: Option<i64>,
    /// Whether it was recalled.
    #[serde(default)]
    pub recalled: bool,
    /// The text rendered as sanitized HTML, safe to insert into a page (markdown and html
    /// messages, and text that needs escaping, links or mentions). Absent for images, files,
    /// videos, recalled messages, and text that is its own HTML: show `content.text` as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// The reactions people gave it, in the order each emoji was first given (a cloudlake
    /// extension; absent when none, on a recalled message, and where a listing does not carry
    /// them: search results and the chat list's last message).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
}

/// One emoji's reactions to a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reaction {
    /// The emoji.
    pub emoji: String,
    /// How many people reacted with it.
    pub count: i64,
    /// Who, first to react first; at most [`MAX_REACTION_USERS_SHOWN`] of them (`count` says
    /// how many there are).
    pub users: Vec<ReactionUser>,
}

/// How many of the people who reacted with one emoji a [`Reaction`] names.
pub const MAX_REACTION_USERS_SHOWN: usize = 20;

/// A person who reacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReactionUser {
    /// Their ID.
    pub user_id: String,
    /// Their nickname now.
    pub nickname: String,
}

/// A bot's board (看板) shown above a chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Board {
    /// The bot that set it.
    pub bot_id: String,
    /// The chat it shows in.
    #[serde(flatten)]
    pub chat: ChatRef,
    /// `text`, `markdown` or `html`.
    pub content_type: String,
    /// The board's text.
    pub content: String,
    /// When it disappears, epoch ms; 0 = never.
    pub expire_time: i64,
    /// When it was set, epoch ms.
    pub updated_at: i64,
    /// The content rendered as sanitized HTML, safe to insert into a page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
}

/// A frame the server sends on the live WebSocket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum LiveFrame {
    /// First frame of every connection: who is connected, the cursor replay starts after,
    /// and the boards currently shown in the user's chats.
    #[serde(rename = "hello")]
    Hello {
        /// [`LIVE_VERSION`].
        v: u32,
        /// The connected user.
        #[serde(rename = "userId")]
        user_id: String,
        /// Frames that follow have cursors greater than this.
        cursor: i64,
        /// Boards in force now.
        boards: Vec<Board>,
    },
    /// A new message.
    #[serde(rename = "message")]
    Message {
        /// [`LIVE_VERSION`].
        v: u32,
        /// The change's position in the log.
        cursor: i64,
        /// The message.
        message: ChatMessage,
    },
    /// A message's content changed.
    #[serde(rename = "message.edited")]
    MessageEdited {
        /// [`LIVE_VERSION`].
        v: u32,
        /// The change's position in the log.
        cursor: i64,
        /// The message with its new content.
        message: ChatMessage,
    },
    /// A message was recalled.
    #[serde(rename = "message.recalled")]
    MessageRecalled {
        /// [`LIVE_VERSION`].
        v: u32,
        /// The change's position in the log.
        cursor: i64,
        /// The message, `recalled: true` and content emptied.
        message: ChatMessage,
    },
    /// A message's reactions changed: `reactions` is the whole new list (empty when the last
    /// one was taken back), replacing what the client shows under message `msgId`.
    #[serde(rename = "message.reactions")]
    MessageReactions {
        /// [`LIVE_VERSION`].
        v: u32,
        /// The change's position in the log.
        cursor: i64,
        /// The chat the message is in.
        chat: ChatRef,
        /// The message.
        #[serde(rename = "msgId")]
        msg_id: String,
        /// Its reactions now.
        reactions: Vec<Reaction>,
    },
    /// A message a bot is still streaming (`send-stream`): `message.seq` is 0 and
    /// `message.content.text` is the text so far. The finished message arrives as a `message`
    /// frame with the same `msgId`; `aborted` means the stream broke off and nothing was stored.
    #[serde(rename = "message.streaming")]
    MessageStreaming {
        /// [`LIVE_VERSION`].
        v: u32,
        /// The message so far.
        message: ChatMessage,
        /// The stream broke off: drop the partial message.
        #[serde(default)]
        aborted: bool,
    },
    /// A board was set or replaced.
    #[serde(rename = "board")]
    Board {
        /// [`LIVE_VERSION`].
        v: u32,
        /// The board.
        board: Board,
    },
    /// A board was dismissed.
    #[serde(rename = "board.dismissed")]
    BoardDismissed {
        /// [`LIVE_VERSION`].
        v: u32,
        /// The bot whose board it was.
        #[serde(rename = "botId")]
        bot_id: String,
        /// The chat it was shown in.
        chat: ChatRef,
    },
    /// A bot answered this user's click on a button of its message with a notice for them
    /// alone (a cloudlake extension, wire §7.7d); shown briefly, never stored.
    #[serde(rename = "click.answered")]
    ClickAnswered {
        /// [`LIVE_VERSION`].
        v: u32,
        /// The clicked message.
        #[serde(rename = "msgId")]
        msg_id: String,
        /// Its chat.
        chat: ChatRef,
        /// The bot's notice.
        notice: String,
    },
    /// The server stops this connection's feed: reconnect with `?cursor=` this cursor.
    /// `reason` is `lagging` (the client read too slowly; replay from `cursor` fills the gap)
    /// or `gap` (the cursor is too old to replay: reload chats and history, then reconnect).
    #[serde(rename = "resync")]
    Resync {
        /// [`LIVE_VERSION`].
        v: u32,
        /// Where to reconnect from.
        cursor: i64,
        /// `lagging` or `gap`.
        reason: String,
    },
}
