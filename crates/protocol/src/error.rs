//! Response codes (wire §4) and the error every bad request is answered with.

use serde::{Deserialize, Serialize};

/// A response `code`. `1` is success; anything else is an error (wire §4).
///
/// Kept as an open integer rather than an enum so that a code this crate does not know
/// still round-trips through the SDK unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Code(pub i64);

impl Code {
    /// `1`: success.
    pub const SUCCESS: Code = Code(1);
    /// `1002`: a parameter is missing or wrong.
    pub const INVALID_PARAM: Code = Code(1002);
    /// `1003`: not authorised (illegal token; the user is not the bot's friend).
    pub const UNAUTHORIZED: Code = Code(1003);
    /// `1004`: the bot is banned.
    pub const BOT_BANNED: Code = Code(1004);
    /// `1005`: the chat is banned.
    pub const CHAT_BANNED: Code = Code(1005);
    /// `1007`: rate limit hit.
    pub const RATE_LIMITED: Code = Code(1007);
    /// `-1`: a business error (bot not in group, message not found, …).
    pub const BUSINESS: Code = Code(-1);

    /// Whether this code means success.
    pub fn is_success(self) -> bool {
        self == Code::SUCCESS
    }
}

/// An error as the bot API reports it: a non-success `code` and a human-readable `msg`.
///
/// The constructors carry the exact texts of wire §9 where the live server's text is known,
/// because clients parse some of them (the bot-not-in-group text above all, wire §9.2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("code {}: {msg}", code.0)]
pub struct ApiError {
    /// The response code; never [`Code::SUCCESS`].
    pub code: Code,
    /// The message, in the language and wording of the Yunhu server.
    pub msg: String,
}

impl ApiError {
    /// An error with any code and message.
    pub fn new(code: Code, msg: impl Into<String>) -> Self {
        ApiError {
            code,
            msg: msg.into(),
        }
    }

    /// `1002` with a message of our own, for parameters whose Yunhu text is not known.
    pub fn invalid_param(msg: impl Into<String>) -> Self {
        Self::new(Code::INVALID_PARAM, msg)
    }

    /// `-1` with a message of our own.
    pub fn business(msg: impl Into<String>) -> Self {
        Self::new(Code::BUSINESS, msg)
    }

    /// The token query parameter is absent or empty.
    pub fn token_missing() -> Self {
        Self::invalid_param("token不存在")
    }

    /// The token matches no bot.
    pub fn token_invalid() -> Self {
        Self::new(Code::UNAUTHORIZED, "非法token")
    }

    /// The body is not JSON. The body is echoed like Yunhu does, cut short so that a huge
    /// body does not come back in the reply.
    pub fn body_not_json(body: &[u8]) -> Self {
        const ECHO: usize = 200;
        if body.is_empty() {
            return Self::invalid_param("请求参数应为json格式");
        }
        let text = String::from_utf8_lossy(&body[..body.len().min(ECHO)]);
        let more = if body.len() > ECHO { "…" } else { "" };
        Self::invalid_param(format!("请求参数应为json格式，Body内容为: {text}{more}"))
    }

    /// The body is larger than the server accepts.
    pub fn body_too_large(limit: usize) -> Self {
        Self::invalid_param(format!("请求体过大，上限为{limit}字节"))
    }

    /// `recvType` is missing or not `user` / `group`.
    pub fn recv_type_invalid() -> Self {
        Self::invalid_param("recvType取值错误，取值仅支持group、user")
    }

    /// `chatType` (recall) is missing or not `user` / `group`.
    pub fn chat_type_invalid() -> Self {
        Self::invalid_param("chatType取值错误，取值仅支持group、user")
    }

    /// `chat-type` (messages) is missing or not `user` / `group`.
    pub fn history_chat_type_invalid() -> Self {
        Self::invalid_param("chat-type取值错误，取值仅支持group、user")
    }

    /// `chat-id` (messages) is missing or empty.
    pub fn history_chat_id_missing() -> Self {
        Self::invalid_param("chat-id值错误，值不能为空")
    }

    /// `contentType` is missing or unknown.
    pub fn content_type_invalid() -> Self {
        Self::invalid_param("contentType取值错误，请翻看文档")
    }

    /// The content has nothing to send.
    pub fn content_empty() -> Self {
        Self::invalid_param("消息内容不能为空")
    }

    /// A required ID field is missing or empty.
    pub fn field_empty(field: &str) -> Self {
        Self::invalid_param(format!("{field}值错误，值不能为空"))
    }

    /// A field has the wrong JSON type.
    pub fn field_type(field: &str, expected: &str) -> Self {
        Self::invalid_param(format!("{field}类型错误，应为{expected}"))
    }

    /// The user recipient does not follow the bot (is not its "friend").
    pub fn not_friend() -> Self {
        Self::new(Code::UNAUTHORIZED, "recvId值错误，该用户不是机器人好友")
    }

    /// The bot is not a member of the group — also the answer for a group that does not exist,
    /// because adapters discover their bot ID by parsing this exact text (wire §9.2). Note the
    /// space after `ID:` in the bot part only.
    pub fn bot_not_in_group(group_id: &str, bot_id: &str) -> Self {
        Self::business(format!(
            "群(ID:{group_id})中未添加当前机器人(ID: {bot_id})。"
        ))
    }

    /// The group does not exist (seen on `messages` with a bad `chat-id`).
    pub fn group_not_found(group_id: &str) -> Self {
        Self::business(format!("群(ID:{group_id})不存在。"))
    }

    /// Edit or recall of a message that does not exist or is not the bot's.
    pub fn message_not_found() -> Self {
        Self::business("消息不存在或无权限修改")
    }

    /// Too many requests from this bot to this API: `1007` (wire §4, §8; the live text is not
    /// known).
    pub fn rate_limited() -> Self {
        Self::new(Code::RATE_LIMITED, "请求过于频繁，请稍后再试")
    }

    /// The server failed internally; nothing was changed.
    pub fn internal() -> Self {
        Self::business("服务器内部错误，请稍后重试")
    }

    /// No bot API at this path: `-1` with the text cloudlake has always answered it with.
    pub fn unknown_api() -> Self {
        Self::business("接口不存在")
    }

    /// The path is a bot API, but not for this HTTP method: `1002`, naming the method every
    /// bot API accepts.
    pub fn wrong_method(method: &str) -> Self {
        Self::invalid_param(format!("请求方法错误：不支持{method}，请使用POST"))
    }
}
