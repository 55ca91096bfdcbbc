//! Bot API errors in English beside Yunhu's Chinese: the server's `msg` is kept as it is (it is
//! what Yunhu's documentation and forums quote, and what a search finds), followed by what it
//! means, so that a user who reads no Chinese still knows what went wrong.

use cloudlake_sdk::Error;
use cloudlake_sdk::protocol::{ApiError, Code};

/// What a message of the bot API means, matched on the fixed parts of the texts in
/// `docs/wire.md` §4 (the variable parts, IDs and field names, are left out). The first match
/// wins, so the more specific patterns come first.
const MEANINGS: &[(&[&str], &str)] = &[
    (&["token不存在"], "no bot token was given"),
    (
        &["非法token"],
        "unknown bot token (a Yunhu token against cloudlake, or the other way round? see --base-url)",
    ),
    (&["请求参数应为json对象"], "the body must be a JSON object"),
    (&["请求参数应为json格式"], "the body is not JSON"),
    (&["请求体过大"], "the request body is too large"),
    (&["请求体读取失败"], "the request body could not be read"),
    (&["请求方法错误"], "wrong HTTP method"),
    (
        &["流式消息仅支持"],
        "a streamed message must be text or markdown",
    ),
    (&["contentType取值错误"], "unknown content type"),
    (
        &["recvIds数量超过上限"],
        "too many recipients: 200 at most per request",
    ),
    (
        &["不存在或不是当前机器人上传的"],
        "that media key does not exist or was not uploaded by this bot",
    ),
    (&["大小超过限制"], "the upload is over the size limit"),
    (
        &["gag取值错误"],
        "bad gag length: seconds (e.g. 600), 0 to lift, -1 for ever",
    ),
    (
        &["type格式错误"],
        "bad message type name (e.g. text,image,video)",
    ),
    (
        &["expireTime取值错误"],
        "bad expiry: a Unix time in seconds, or 0 for never",
    ),
    (&["取值错误"], "a field has a value that is not allowed"),
    (&["值不能为空"], "a required field is missing or empty"),
    (&["类型错误"], "a field has the wrong JSON type"),
    (&["消息内容不能为空"], "the message is empty"),
    (&["看板内容不能为空"], "the board is empty"),
    (&["buttons格式错误"], "the buttons are malformed"),
    (
        &["该用户不是机器人好友"],
        "the user does not follow the bot (or does not exist)",
    ),
    (
        &["请求过于频繁"],
        "rate limited: try again later (--retries N retries with backoff)",
    ),
    (
        &["中未添加当前机器人"],
        "the bot is not in this group (or the group does not exist)",
    ),
    (
        &["消息不存在或无权限修改"],
        "no such message from this bot in this chat (or it was recalled)",
    ),
    (
        &["上传超时", "流式消息超时"],
        "the body took too long to arrive",
    ),
    (
        &["获取失败"],
        "the uploaded file is missing, empty or unreadable",
    ),
    (
        &["机器人无"],
        "the bot lacks that permission in the group (cloudlake admin bot permissions)",
    ),
    (
        &["不可以禁言群主", "不可以移除群主"],
        "the group's owner cannot be gagged or removed",
    ),
    (&["不在群"], "the user is not in the group"),
    (&["颜色输入错误"], "bad colour"),
    (&["标签长度过长"], "the tag is too long"),
    (&["该标签已存在"], "that tag already exists"),
    (&["该标签不存在"], "no such tag"),
    (&["机器人不存在"], "no such bot"),
    (&["群组不存在", "不存在。"], "no such group"),
    (&["接口不存在"], "no such API call"),
    (&["请求超时"], "the request took too long"),
    (&["服务器内部错误"], "server error: try again later"),
];

/// What a code means when its message is not one of [`MEANINGS`] (wire §4's table).
fn code_meaning(code: Code) -> &'static str {
    match code {
        Code::INVALID_PARAM => "invalid parameter",
        Code::UNAUTHORIZED => "not authorised",
        Code::BOT_BANNED => "the bot is banned",
        Code::CHAT_BANNED => "the chat is banned",
        Code::RATE_LIMITED => "rate limited",
        Code::BUSINESS => "refused",
        _ => "error",
    }
}

/// The English meaning of one bot API error.
pub fn meaning(error: &ApiError) -> &'static str {
    MEANINGS
        .iter()
        .find(|(patterns, _)| patterns.iter().any(|p| error.msg.contains(p)))
        .map_or_else(|| code_meaning(error.code), |(_, meaning)| meaning)
}

/// `code 1002: 请求方法错误：… (wrong HTTP method)`: the SDK's `code N: msg`, which scripts
/// may already match, with the meaning after it.
fn api_line(error: &ApiError) -> String {
    format!("code {}: {} ({})", error.code.0, error.msg, meaning(error))
}

/// The text `cloudlake` prints for a failed command: a bot API error explained in English,
/// anything else with its chain of causes.
pub fn error_text(error: &anyhow::Error) -> String {
    match error.downcast_ref::<Error>() {
        Some(Error::Api(api)) => api_line(api),
        Some(Error::Batch { sent, source }) => match source.as_ref() {
            Error::Api(api) => format!(
                "batch_send stopped after {} recipients were sent to: {}",
                sent.success_count,
                api_line(api)
            ),
            _ => format!("{error:#}"),
        },
        _ => format!("{error:#}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_brief_example_and_the_code_fallback() {
        let e = ApiError::invalid_param("请求方法错误：不支持GET，请使用POST");
        assert_eq!(
            api_line(&e),
            "code 1002: 请求方法错误：不支持GET，请使用POST (wrong HTTP method)"
        );
        assert_eq!(
            meaning(&ApiError::new(Code::BOT_BANNED, "封禁")),
            "the bot is banned"
        );
        assert_eq!(
            meaning(&ApiError::invalid_param(
                "recvType取值错误，取值仅支持group、user"
            )),
            "a field has a value that is not allowed"
        );
    }

    /// Every message in wire §4's table of cloudlake's errors has a meaning of its own, not
    /// only its code's: a new error added to the table without one fails here.
    #[test]
    fn every_documented_message_is_explained() {
        let wire = include_str!("../../../docs/wire.md");
        let start = wire.find("| code | `msg` |").unwrap_or(0);
        let mut checked = 0;
        for row in wire[start..].lines().skip(2) {
            if !row.starts_with('|') {
                break;
            }
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let code: i64 = cells[1].parse().unwrap_or(0);
            // A cell may list several texts, each between backticks.
            // Fragments standing for a sibling of the full text (`after…`, `视频…20MB`, `视频`)
            // are not texts themselves.
            let texts = cells[2].split('`').skip(1).step_by(2);
            let chinese = |t: &&str| t.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
            let fragment = |t: &&str| t.contains('…') && !t.contains('，');
            for text in texts.filter(|t| chinese(t) && t.chars().count() > 3 && !fragment(t)) {
                let error = ApiError::new(Code(code), text);
                assert_ne!(
                    meaning(&error),
                    code_meaning(Code(code)),
                    "no meaning for {text}"
                );
                checked += 1;
            }
        }
        assert!(checked > 40, "the table was read: {checked} texts");
    }
}
