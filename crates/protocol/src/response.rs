//! The `data` of successful replies (wire §6.1–§6.6).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::{Content, RecvType, SenderType};

/// Where a message went: `messageInfo` of send, and each entry of batch_send's `successList`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageInfo {
    /// The new message's ID: 32 lowercase hex characters.
    pub msg_id: String,
    /// The recipient, as given in the request.
    pub recv_id: String,
    /// The recipient type, echoed from the request (nonebot validates it).
    pub recv_type: RecvType,
}

/// `data` of `/bot/send`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendData {
    /// The message sent.
    pub message_info: MessageInfo,
}

/// `data` of `/bot/batch_send`. Recipients that failed are simply missing from the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchSendData {
    /// How many recipients got the message.
    #[serde(deserialize_with = "count_from_number_or_string")]
    pub success_count: u64,
    /// One entry per recipient that got the message, in request order.
    #[serde(default)]
    pub success_list: Vec<MessageInfo>,
}

/// `data` of `/bot/edit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EditData {
    /// `1` when the message was edited.
    #[serde(deserialize_with = "count_from_number_or_string")]
    pub success_count: u64,
}

/// `data` of `/bot/messages`: newest first; `total` is the length of `list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessagesData {
    /// The messages, newest first.
    pub list: Vec<MessageItem>,
    /// How many messages `list` holds.
    pub total: u64,
}

/// One message of the history (wire §6.6). nonebot requires `parentId` (a string, `""` when
/// none), `senderType` and `sendTime`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageItem {
    /// The message ID.
    pub msg_id: String,
    /// The quoted message, `""` when none.
    #[serde(default)]
    pub parent_id: String,
    /// The sender's user or bot ID.
    pub sender_id: String,
    /// Whether the sender is a user or a bot.
    pub sender_type: SenderType,
    /// The sender's nickname.
    #[serde(default)]
    pub sender_nickname: String,
    /// The content type. A string, because history can hold kinds a bot cannot send.
    pub content_type: String,
    /// The content, buttons as rows.
    pub content: Content,
    /// When it was sent, in epoch milliseconds.
    pub send_time: i64,
    /// The command's name, `""` for normal messages.
    #[serde(default)]
    pub command_name: String,
    /// The command's ID, `0` for normal messages.
    #[serde(default)]
    pub command_id: i64,
}

/// The Java SDK types counts as strings, so a client must accept both forms (wire §6.2).
fn count_from_number_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match Value::deserialize(d)? {
        Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| serde::de::Error::custom("count is not a non-negative integer")),
        Value::String(s) => s.trim().parse().map_err(serde::de::Error::custom),
        other => Err(serde::de::Error::custom(format!(
            "expected a count, found {other}"
        ))),
    }
}
