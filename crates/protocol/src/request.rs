//! The requests a bot makes: send, batch_send, edit, recall and messages (wire §6.1–§6.6).
//!
//! Each type serializes to the JSON a client sends, and has a lenient `parse` the server uses.

use std::collections::HashSet;

use serde::Serialize;
use serde_json::Value;

use crate::lenient::{self, Object, non_negative_int, opt_string, required_id};
use crate::{ApiError, Content, ContentType, RecvType};

/// The most recipients one batch_send takes; more is answered with 1002. The official Python
/// SDK splits its lists into chunks of this size, which makes it the de-facto limit.
pub const MAX_BATCH_RECIPIENTS: usize = 200;

/// The most messages one `messages` call returns on each side of its anchor; larger `before`
/// and `after` values are clamped to this.
pub const MAX_HISTORY_PAGE: u32 = 1000;

/// What is sent, apart from to whom: `contentType`, `content` and `parentId`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutgoingMessage {
    /// The kind of content.
    pub content_type: ContentType,
    /// The content.
    pub content: Content,
    /// The message being quoted, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
}

impl OutgoingMessage {
    /// A message without a quote.
    pub fn new(content_type: ContentType, content: Content) -> Self {
        OutgoingMessage {
            content_type,
            content,
            parent_id: None,
        }
    }

    /// Reads `{"contentType", "content", "parentId"?}` on its own, with the same lenient rules
    /// as a send (for clients that name the recipient elsewhere, like the user API's path).
    pub fn parse_body(body: &[u8]) -> Result<Self, ApiError> {
        Self::parse(&lenient::object(body)?)
    }

    fn parse(obj: &Object) -> Result<Self, ApiError> {
        let content_type = opt_string(obj, "contentType")
            .ok()
            .flatten()
            .and_then(|s| ContentType::from_wire(&s))
            .ok_or_else(ApiError::content_type_invalid)?;
        Ok(OutgoingMessage {
            content_type,
            content: Content::parse(content_type, obj.get("content"))?,
            parent_id: lenient::parent_id(obj),
        })
    }
}

/// `POST /bot/send`: one message to one user or group.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SendRequest {
    /// The user ID or group ID.
    pub recv_id: String,
    /// Whether `recv_id` names a user or a group.
    pub recv_type: RecvType,
    /// What is sent.
    #[serde(flatten)]
    pub message: OutgoingMessage,
}

impl SendRequest {
    /// Reads a send body as the server accepts it (wire §12).
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let obj = lenient::object(body)?;
        let recv_type = recv_type(&obj)?;
        let recv_id = required_id(&obj, "recvId")?;
        let message = OutgoingMessage::parse(&obj)?;
        Ok(SendRequest {
            recv_id,
            recv_type,
            message,
        })
    }
}

/// `POST /bot/batch_send`: the same message to many users or many groups.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchSendRequest {
    /// The recipients, all of `recv_type`. After `parse`, each ID appears once, in first-seen
    /// order ("相同对象ID只发送一次").
    pub recv_ids: Vec<String>,
    /// Whether the IDs name users or groups.
    pub recv_type: RecvType,
    /// What is sent.
    #[serde(flatten)]
    pub message: OutgoingMessage,
}

impl BatchSendRequest {
    /// Reads a batch_send body as the server accepts it (wire §12). More than
    /// [`MAX_BATCH_RECIPIENTS`] IDs is an error; duplicates are dropped.
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let obj = lenient::object(body)?;
        let recv_type = recv_type(&obj)?;
        // eris' `Api.batch_send` posts `userIds` instead of `recvIds` (wire §6.2).
        let ids = match obj.get("recvIds") {
            None | Some(Value::Null) => obj.get("userIds"),
            some => some,
        };
        let items = match ids {
            None | Some(Value::Null) => return Err(ApiError::field_empty("recvIds")),
            Some(Value::Array(items)) => items,
            Some(_) => return Err(ApiError::field_type("recvIds", "字符串数组")),
        };
        if items.is_empty() {
            return Err(ApiError::field_empty("recvIds"));
        }
        if items.len() > MAX_BATCH_RECIPIENTS {
            return Err(ApiError::invalid_param(format!(
                "recvIds数量超过上限，单次最多{MAX_BATCH_RECIPIENTS}个"
            )));
        }
        // Duplicates are dropped, first occurrence kept. A set, not `Vec::contains`: with 200
        // IDs the quadratic scan was most of the parse (`cargo bench`, BENCHMARKS.md).
        let mut recv_ids: Vec<String> = Vec::with_capacity(items.len());
        let mut seen: HashSet<String> = HashSet::with_capacity(items.len());
        for item in items {
            let id = lenient::string_like(item)
                .ok_or_else(|| ApiError::field_type("recvIds", "字符串数组"))?;
            if seen.insert(id.clone()) {
                recv_ids.push(id);
            }
        }
        let message = OutgoingMessage::parse(&obj)?;
        Ok(BatchSendRequest {
            recv_ids,
            recv_type,
            message,
        })
    }
}

/// `POST /bot/edit`: replace the content of a message the bot sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EditRequest {
    /// The message to edit.
    pub msg_id: String,
    /// The original recipient; must match the message.
    pub recv_id: String,
    /// The original recipient type; must match the message.
    pub recv_type: RecvType,
    /// The new content (`parentId` is ignored on edit).
    #[serde(flatten)]
    pub message: OutgoingMessage,
}

impl EditRequest {
    /// Reads an edit body as the server accepts it.
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let obj = lenient::object(body)?;
        let msg_id = required_id(&obj, "msgId")?;
        let recv_type = recv_type(&obj)?;
        let recv_id = required_id(&obj, "recvId")?;
        let mut message = OutgoingMessage::parse(&obj)?;
        message.parent_id = None;
        Ok(EditRequest {
            msg_id,
            recv_id,
            recv_type,
            message,
        })
    }
}

/// The longest notice an answer to a click shows, in characters.
pub const MAX_CLICK_NOTICE_CHARS: usize = 200;

/// `POST /bot/answer-click` (a cloudlake extension, wire §7.7d): the bot answers a person's
/// click on a button of its message (`button.report.inline` or `a2ui.button.report`) with a
/// short notice shown to that person alone, a new content for the message, or both.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnswerClickRequest {
    /// The clicked message.
    pub msg_id: String,
    /// Who clicked.
    pub user_id: String,
    /// The notice, 1 to [`MAX_CLICK_NOTICE_CHARS`] characters of one line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// The message's new content, as `/bot/edit` takes it (`contentType`, `content`).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub message: Option<OutgoingMessage>,
}

impl AnswerClickRequest {
    /// Reads an answer-click body: `msgId`, `userId`, and `notice` or `contentType` +
    /// `content` or both.
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let obj = lenient::object(body)?;
        let msg_id = required_id(&obj, "msgId")?;
        let user_id = required_id(&obj, "userId")?;
        let notice = opt_string(&obj, "notice")?.filter(|n| !n.trim().is_empty());
        if let Some(n) = &notice
            && (n.chars().count() > MAX_CLICK_NOTICE_CHARS || n.chars().any(char::is_control))
        {
            return Err(ApiError::invalid_param(format!(
                "notice 应为 1 到 {MAX_CLICK_NOTICE_CHARS} 个字符的一行文字"
            )));
        }
        let message = if obj.contains_key("contentType") || obj.contains_key("content") {
            let mut message = OutgoingMessage::parse(&obj)?;
            message.parent_id = None;
            Some(message)
        } else {
            None
        };
        if notice.is_none() && message.is_none() {
            return Err(ApiError::invalid_param(
                "notice 与 contentType/content 至少需要一个",
            ));
        }
        Ok(AnswerClickRequest {
            msg_id,
            user_id,
            notice,
            message,
        })
    }
}

/// `POST /bot/recall`: withdraw a message. Note `chatId` / `chatType`, not `recv*` (wire §6.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecallRequest {
    /// The message to recall.
    pub msg_id: String,
    /// The user ID or group ID of the chat the message is in.
    pub chat_id: String,
    /// Whether `chat_id` names a user or a group.
    pub chat_type: RecvType,
}

impl RecallRequest {
    /// Reads a recall body as the server accepts it.
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let obj = lenient::object(body)?;
        let msg_id = required_id(&obj, "msgId")?;
        let chat_type = opt_string(&obj, "chatType")
            .ok()
            .flatten()
            .and_then(|s| RecvType::from_wire(&s))
            .ok_or_else(ApiError::chat_type_invalid)?;
        let chat_id = required_id(&obj, "chatId")?;
        Ok(RecallRequest {
            msg_id,
            chat_id,
            chat_type,
        })
    }
}

/// `GET /bot/messages`: a page of a chat's history around an anchor (wire §6.6). The query
/// keys are hyphenated: `chat-id`, `chat-type`, `message-id`, `before`, `after`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessagesQuery {
    /// The user ID (private chat) or group ID.
    #[serde(rename = "chat-id")]
    pub chat_id: String,
    /// Whether `chat_id` names a user or a group.
    #[serde(rename = "chat-type")]
    pub chat_type: RecvType,
    /// The anchor; without it, `before` counts back from the newest message.
    #[serde(rename = "message-id", skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// How many messages older than the anchor.
    pub before: u32,
    /// How many messages newer than the anchor.
    pub after: u32,
}

impl MessagesQuery {
    /// Reads the query from `(key, value)` pairs, the query string first; later pairs fill in
    /// only keys the earlier ones left out, so a POST body can add to the query string.
    pub fn parse<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ApiError> {
        let mut chat_id = None;
        let mut chat_type = None;
        let mut message_id = None;
        let mut before = None;
        let mut after = None;
        for (key, value) in pairs {
            let slot = match key {
                "chat-id" | "chatId" => &mut chat_id,
                "chat-type" | "chatType" => &mut chat_type,
                "message-id" | "messageId" => &mut message_id,
                "before" => &mut before,
                "after" => &mut after,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(value);
            }
        }
        let chat_type = chat_type
            .and_then(RecvType::from_wire)
            .ok_or_else(ApiError::history_chat_type_invalid)?;
        let chat_id = chat_id
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(ApiError::history_chat_id_missing)?
            .to_owned();
        let message_id = message_id
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        Ok(MessagesQuery {
            chat_id,
            chat_type,
            message_id,
            before: count("before", before)?,
            after: count("after", after)?,
        })
    }

    /// Reads the query keys of a POST body (a JSON object), for clients that post them.
    pub fn pairs_from_body(body: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
        let obj = lenient::object(body)?;
        Ok(obj
            .iter()
            .filter_map(|(k, v)| lenient::string_like(v).map(|v| (k.clone(), v)))
            .collect())
    }
}

fn count(field: &str, raw: Option<&str>) -> Result<u32, ApiError> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(0);
    };
    let n = non_negative_int(&Value::String(raw.to_owned()))
        .ok_or_else(|| ApiError::invalid_param(format!("{field}取值错误，应为非负整数")))?;
    Ok(n.min(u64::from(MAX_HISTORY_PAGE)) as u32)
}

fn recv_type(obj: &Object) -> Result<RecvType, ApiError> {
    opt_string(obj, "recvType")
        .ok()
        .flatten()
        .and_then(|s| RecvType::from_wire(&s))
        .ok_or_else(ApiError::recv_type_invalid)
}

/// `POST /bot/send-stream`: the recipient and kind come in the query string, the text is the
/// raw body, streamed (wire §6.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SendStreamQuery {
    /// The user ID or group ID.
    pub recv_id: String,
    /// Whether `recv_id` names a user or a group.
    pub recv_type: RecvType,
    /// `text` or `markdown`: the only kinds that stream.
    pub content_type: ContentType,
    /// The message being quoted, if any (eris sends it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
}

impl SendStreamQuery {
    /// Reads the query pairs of a send-stream request.
    pub fn parse<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ApiError> {
        let mut obj = Object::new();
        for (key, value) in pairs {
            obj.entry(key.to_owned())
                .or_insert_with(|| Value::String(value.to_owned()));
        }
        let recv_type = recv_type(&obj)?;
        let recv_id = required_id(&obj, "recvId")?;
        let content_type = match opt_string(&obj, "contentType").ok().flatten().as_deref() {
            Some("text") => ContentType::Text,
            Some("markdown") => ContentType::Markdown,
            _ => {
                return Err(ApiError::invalid_param(
                    "contentType取值错误，流式消息仅支持text、markdown",
                ));
            }
        };
        Ok(SendStreamQuery {
            recv_id,
            recv_type,
            content_type,
            parent_id: lenient::parent_id(&obj),
        })
    }
}
