//! Events the platform sends a bot (wire §7): one envelope, ten event types.
//!
//! Every field nonebot requires is present and typed (wire §11): `version`, `eventId`,
//! `eventTime` in ms, `sender.senderAvatarUrl`, `message.sendTime`, … An event type this crate
//! does not know is kept as raw JSON ([`Event::Unknown`]), never an error.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Content;

/// The envelope version every event carries.
pub const EVENT_VERSION: &str = "1.0";

/// `{"version": "1.0", "header": {...}, "event": {...}}` (wire §7.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventEnvelope {
    /// Always `"1.0"`.
    pub version: String,
    /// Identity, time and type.
    pub header: EventHeader,
    /// The payload, shaped by `header.eventType`.
    pub event: Value,
}

/// The envelope's header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventHeader {
    /// 32 hex characters, unique; the same on every delivery attempt.
    pub event_id: String,
    /// Epoch ms.
    pub event_time: i64,
    /// e.g. `message.receive.normal`.
    pub event_type: String,
}

impl EventEnvelope {
    /// Wraps a typed event.
    pub fn new(event_id: String, event_time: i64, event: &Event) -> Self {
        EventEnvelope {
            version: EVENT_VERSION.to_owned(),
            header: EventHeader {
                event_id,
                event_time,
                event_type: event.event_type().to_owned(),
            },
            event: event.payload(),
        }
    }

    /// The typed event; unknown types and payloads that do not fit their type come back as
    /// [`Event::Unknown`] with the raw JSON.
    pub fn typed(&self) -> Event {
        Event::from_parts(&self.header.event_type, self.event.clone())
    }
}

/// A typed event.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// `message.receive.normal`: a user's message to the bot or in a group it is in.
    MessageNormal(MessageEvent),
    /// `message.receive.instruction`: a `/command` for the bot.
    MessageInstruction(MessageEvent),
    /// `bot.followed`: a user added the bot as a friend.
    BotFollowed(ChatMemberEvent),
    /// `bot.unfollowed`: a user removed the bot.
    BotUnfollowed(ChatMemberEvent),
    /// `group.join`: a user joined a group the bot is in.
    GroupJoin(ChatMemberEvent),
    /// `group.leave`: a user left a group the bot is in.
    GroupLeave(ChatMemberEvent),
    /// `button.report.inline`: a click on an actionType 3 button of the bot's message.
    ButtonReport(ButtonReportEvent),
    /// `bot.shortcut.menu`: a click on a shortcut-menu button.
    ShortcutMenu(ShortcutMenuEvent),
    /// `bot.setting`: a group admin changed the bot's per-group settings.
    BotSetting(BotSettingEvent),
    /// `a2ui.button.report`: a click inside an A2UI card.
    A2uiButtonReport(A2uiButtonReportEvent),
    /// `message.reaction`: a person reacted to a message in a chat the bot is in, or took
    /// their reaction back (a cloudlake extension: see [`EXTENSION_EVENT_TYPES`]).
    MessageReaction(MessageReactionEvent),
    /// Any other type, kept whole.
    Unknown {
        /// The `eventType`.
        event_type: String,
        /// The `event` object as received.
        raw: Value,
    },
}

impl Event {
    /// The wire `eventType`.
    pub fn event_type(&self) -> &str {
        match self {
            Event::MessageNormal(_) => "message.receive.normal",
            Event::MessageInstruction(_) => "message.receive.instruction",
            Event::BotFollowed(_) => "bot.followed",
            Event::BotUnfollowed(_) => "bot.unfollowed",
            Event::GroupJoin(_) => "group.join",
            Event::GroupLeave(_) => "group.leave",
            Event::ButtonReport(_) => "button.report.inline",
            Event::ShortcutMenu(_) => "bot.shortcut.menu",
            Event::BotSetting(_) => "bot.setting",
            Event::A2uiButtonReport(_) => "a2ui.button.report",
            Event::MessageReaction(_) => "message.reaction",
            Event::Unknown { event_type, .. } => event_type,
        }
    }

    /// The `event` object.
    pub fn payload(&self) -> Value {
        let encoded = match self {
            Event::MessageNormal(e) | Event::MessageInstruction(e) => serde_json::to_value(e),
            Event::BotFollowed(e)
            | Event::BotUnfollowed(e)
            | Event::GroupJoin(e)
            | Event::GroupLeave(e) => serde_json::to_value(e),
            Event::ButtonReport(e) => serde_json::to_value(e),
            Event::ShortcutMenu(e) => serde_json::to_value(e),
            Event::BotSetting(e) => serde_json::to_value(e),
            Event::A2uiButtonReport(e) => serde_json::to_value(e),
            Event::MessageReaction(e) => serde_json::to_value(e),
            Event::Unknown { raw, .. } => Ok(raw.clone()),
        };
        // These structs hold only strings, numbers and JSON values: encoding cannot fail.
        encoded.unwrap_or(Value::Null)
    }

    /// Reads an event of a given type; what does not fit is [`Event::Unknown`].
    pub fn from_parts(event_type: &str, raw: Value) -> Event {
        fn typed<T: serde::de::DeserializeOwned>(
            raw: &Value,
            wrap: fn(T) -> Event,
        ) -> Option<Event> {
            serde_json::from_value(raw.clone()).ok().map(wrap)
        }
        let parsed = match event_type {
            "message.receive.normal" => typed(&raw, Event::MessageNormal),
            "message.receive.instruction" => typed(&raw, Event::MessageInstruction),
            "bot.followed" => typed(&raw, Event::BotFollowed),
            "bot.unfollowed" => typed(&raw, Event::BotUnfollowed),
            "group.join" => typed(&raw, Event::GroupJoin),
            "group.leave" => typed(&raw, Event::GroupLeave),
            "button.report.inline" => typed(&raw, Event::ButtonReport),
            "bot.shortcut.menu" => typed(&raw, Event::ShortcutMenu),
            "bot.setting" => typed(&raw, Event::BotSetting),
            "a2ui.button.report" => typed(&raw, Event::A2uiButtonReport),
            "message.reaction" => typed(&raw, Event::MessageReaction),
            _ => None,
        };
        parsed.unwrap_or(Event::Unknown {
            event_type: event_type.to_owned(),
            raw,
        })
    }
}

/// `message.receive.*` (wire §7.3, §7.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageEvent {
    /// Who sent it.
    pub sender: EventSender,
    /// Where: a group, or the private chat (`chatType: "bot"`, `chatId` = the bot's ID).
    pub chat: EventChat,
    /// The message.
    pub message: EventMessage,
}

/// `event.sender` of a message event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventSender {
    /// The user's ID.
    pub sender_id: String,
    /// Always `"user"`.
    pub sender_type: String,
    /// `owner`, `administrator`, `member` or `unknown`.
    pub sender_user_level: String,
    /// The user's nickname.
    pub sender_nickname: String,
    /// The avatar's address; always present (nonebot requires it), `""` when none.
    #[serde(default)]
    pub sender_avatar_url: String,
}

/// `event.chat` of a message event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventChat {
    /// The group's ID, or the bot's own ID for a private chat.
    pub chat_id: String,
    /// `group` or `bot`.
    pub chat_type: String,
}

/// `event.message` of a message event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventMessage {
    /// The message ID.
    pub msg_id: String,
    /// The quoted message, `""` when none.
    #[serde(default)]
    pub parent_id: String,
    /// Epoch ms.
    pub send_time: i64,
    /// Same as `chat.chatId`.
    pub chat_id: String,
    /// Same as `chat.chatType`.
    pub chat_type: String,
    /// The content type (`text`, `markdown`, `image`, `form`, `tip`, …).
    pub content_type: String,
    /// The content.
    pub content: Content,
    /// Deprecated duplicate of `commandId`, still sent.
    #[serde(default)]
    pub instruction_id: i64,
    /// Deprecated duplicate of `commandName`, still sent.
    #[serde(default)]
    pub instruction_name: String,
    /// The command's ID, 0 for normal messages.
    #[serde(default)]
    pub command_id: i64,
    /// The command's name, `""` for normal messages.
    #[serde(default)]
    pub command_name: String,
}

/// Event types cloudlake adds to Yunhu's. A bot receives them only when its subscription
/// names them: a bot written for Yunhu, subscribed to "every type", never sees an event
/// Yunhu does not send.
pub const EXTENSION_EVENT_TYPES: &[&str] = &["message.reaction"];

/// `message.reaction` (a cloudlake extension): a person added a reaction to a message, or
/// removed theirs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageReactionEvent {
    /// Epoch ms.
    pub time: i64,
    /// The message reacted to.
    pub msg_id: String,
    /// The group's ID, or the bot's own ID for a private chat.
    pub chat_id: String,
    /// `group` or `bot`.
    pub chat_type: String,
    /// Who reacted.
    pub user_id: String,
    /// Their nickname.
    pub nickname: String,
    /// The emoji.
    pub emoji: String,
    /// `added` or `removed`.
    pub action: String,
}

/// `bot.followed`, `bot.unfollowed`, `group.join`, `group.leave` (wire §7.5, §7.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatMemberEvent {
    /// Epoch ms.
    pub time: i64,
    /// The bot's ID (follow events) or the group's ID (join/leave).
    pub chat_id: String,
    /// `bot` or `group`.
    pub chat_type: String,
    /// The user.
    pub user_id: String,
    /// The user's nickname.
    pub nickname: String,
    /// The user's avatar, `""` when none.
    #[serde(default)]
    pub avatar_url: String,
}

/// `button.report.inline` (wire §7.7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ButtonReportEvent {
    /// Epoch ms.
    pub time: i64,
    /// The message carrying the button.
    pub msg_id: String,
    /// The group, or (private chat) the clicking user — so that replying to
    /// `recvId`/`recvType` is correct.
    pub recv_id: String,
    /// `group` or `user`.
    pub recv_type: String,
    /// Who clicked.
    pub user_id: String,
    /// The button's value.
    pub value: String,
}

/// `bot.shortcut.menu` (wire §7.8). Note `sendTime` is in seconds here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShortcutMenuEvent {
    /// The bot.
    pub bot_id: String,
    /// The menu button.
    pub menu_id: String,
    /// The menu's type.
    #[serde(default)]
    pub menu_type: i64,
    /// The menu's action.
    #[serde(default)]
    pub menu_action: i64,
    /// The group, or the bot for a private chat.
    pub chat_id: String,
    /// `group` or `bot`.
    pub chat_type: String,
    /// Always `user`.
    pub sender_type: String,
    /// Who clicked.
    pub sender_id: String,
    /// Epoch **seconds**.
    pub send_time: i64,
}

/// `bot.setting` (wire §7.9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BotSettingEvent {
    /// Epoch ms.
    pub time: i64,
    /// The bot's ID.
    pub chat_id: String,
    /// `bot`.
    pub chat_type: String,
    /// The group whose settings changed.
    pub group_id: String,
    /// Its name.
    pub group_name: String,
    /// Its avatar.
    #[serde(default)]
    pub avatar_url: String,
    /// The settings form, as a JSON-encoded string.
    pub setting_json: String,
}

/// `a2ui.button.report` (wire §7.10).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct A2uiButtonReportEvent {
    /// Epoch ms.
    pub time: i64,
    /// The card's message.
    pub msg_id: String,
    /// The group, or the user for a private chat.
    pub recv_id: String,
    /// `group` or `user`.
    pub recv_type: String,
    /// Who clicked.
    pub user_id: String,
    /// Their name.
    #[serde(default)]
    pub user_name: String,
    /// The action.
    #[serde(default)]
    pub action_name: String,
    /// The component clicked.
    #[serde(default)]
    pub source_component_id: String,
    /// The form's values.
    #[serde(default)]
    pub form_context: Value,
    /// The interaction, JSON-encoded.
    #[serde(default)]
    pub interaction_json: String,
}
