//! Board (看板) requests (wire §6.8), with the aliases clients mix freely (wire §12 item 7):
//! the chat is `chatId` or `recvId`, its type `chatType` or `recvType`; `content` is a plain
//! string; `expireTime` is in seconds, 0 or absent meaning never.

use serde::Serialize;

use crate::lenient::{self, Object, opt_string};
use crate::{ApiError, RecvType};

/// The content types a board may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BoardContentType {
    /// Plain text.
    Text,
    /// Markdown.
    Markdown,
    /// HTML.
    Html,
}

impl BoardContentType {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            BoardContentType::Text => "text",
            BoardContentType::Markdown => "markdown",
            BoardContentType::Html => "html",
        }
    }
}

/// What a board shows and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BoardContent {
    /// The kind of text.
    pub content_type: BoardContentType,
    /// The text.
    pub content: String,
    /// Unix time in seconds when it disappears; 0 = never.
    pub expire_time: i64,
}

impl BoardContent {
    fn parse(obj: &Object) -> Result<Self, ApiError> {
        let content_type = match opt_string(obj, "contentType").ok().flatten().as_deref() {
            Some("text") => BoardContentType::Text,
            Some("markdown") => BoardContentType::Markdown,
            Some("html") => BoardContentType::Html,
            _ => return Err(ApiError::content_type_invalid()),
        };
        let content = opt_string(obj, "content")?.unwrap_or_default();
        if content.trim().is_empty() {
            return Err(ApiError::invalid_param("看板内容不能为空"));
        }
        let expire_time = match obj.get("expireTime") {
            None | Some(serde_json::Value::Null) => 0,
            Some(v) => lenient::non_negative_int(v)
                .and_then(|n| i64::try_from(n).ok())
                .ok_or_else(|| ApiError::invalid_param("expireTime取值错误，应为秒级时间戳或0"))?,
        };
        Ok(BoardContent {
            content_type,
            content,
            expire_time,
        })
    }
}

/// Which chat (and optionally which group member) a board is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BoardTarget {
    /// The user ID or group ID.
    pub chat_id: String,
    /// Whether `chat_id` names a user or a group.
    pub chat_type: RecvType,
    /// For a group: show it to this member only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_id: Option<String>,
}

impl BoardTarget {
    fn parse(obj: &Object) -> Result<Self, ApiError> {
        let either = |a: &str, b: &str| -> Result<Option<String>, ApiError> {
            Ok(opt_string(obj, a)?
                .filter(|s| !s.trim().is_empty())
                .or(opt_string(obj, b)?.filter(|s| !s.trim().is_empty())))
        };
        let chat_type = either("chatType", "recvType")?
            .and_then(|s| RecvType::from_wire(&s))
            .ok_or_else(ApiError::chat_type_invalid)?;
        let chat_id = either("chatId", "recvId")?.ok_or_else(|| ApiError::field_empty("chatId"))?;
        // An empty or null memberId means "every member"; it only applies to groups.
        let member_id = opt_string(obj, "memberId")?
            .filter(|s| !s.trim().is_empty())
            .filter(|_| chat_type == RecvType::Group);
        Ok(BoardTarget {
            chat_id,
            chat_type,
            member_id,
        })
    }
}

/// `POST /bot/board`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BoardRequest {
    /// Where.
    #[serde(flatten)]
    pub target: BoardTarget,
    /// What.
    #[serde(flatten)]
    pub board: BoardContent,
}

impl BoardRequest {
    /// Reads a board body as the server accepts it.
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let obj = lenient::object(body)?;
        Ok(BoardRequest {
            target: BoardTarget::parse(&obj)?,
            board: BoardContent::parse(&obj)?,
        })
    }
}

/// `POST /bot/board-all`: the bot's board in every chat it has. Extra keys some clients send
/// (`chatId: ""`, `recvId: null`, …) are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BoardAllRequest {
    /// What.
    #[serde(flatten)]
    pub board: BoardContent,
}

impl BoardAllRequest {
    /// Reads a board-all body.
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let obj = lenient::object(body)?;
        Ok(BoardAllRequest {
            board: BoardContent::parse(&obj)?,
        })
    }
}

/// `POST /bot/board-dismiss`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BoardDismissRequest {
    /// Where.
    #[serde(flatten)]
    pub target: BoardTarget,
}

impl BoardDismissRequest {
    /// Reads a board-dismiss body.
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let obj = lenient::object(body)?;
        Ok(BoardDismissRequest {
            target: BoardTarget::parse(&obj)?,
        })
    }
}
