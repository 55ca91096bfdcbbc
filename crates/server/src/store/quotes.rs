//! What a quoting message carries of the message it quotes. On Yunhu a reply's `content`
//! has, beside its `parentId`, `parent` — the quoted message as one line, `"昵称 : 内容"` —
//! and, when an image is quoted, `parentImgName`; Koishi's adapter also types
//! `parentFileName` for a quoted file and `parentVideoUrl` (wire §5.4, §6.6, §7.3). They are worked
//! out once, when the reply is written, and stored in its content: history and events read
//! them as they were then, whatever happens to the quoted message later.

use serde_json::{Map, Value};

use super::StoreError;
use super::db::{Connection, OptionalExtension};
use super::messages::nickname;
use cloudlake_protocol::SenderType;

/// The content keys a quote owns. The server writes them from `parentId`; a sender's own
/// (dropped before anything is stored, `service::outgoing`) would fake a quote.
pub const QUOTE_FIELDS: [&str; 4] = [
    "parent",
    "parentImgName",
    "parentFileName",
    "parentVideoUrl",
];

/// The longest `parent` text, in characters: a quote is a glimpse, not a copy.
const MAX_PARENT_CHARS: usize = 100;

/// A quoted message as a reply shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Quote {
    /// The quoted message's ID.
    pub(crate) msg_id: String,
    /// `"<sender's nickname> : <text or [kind]>"`.
    pub(crate) parent: String,
    /// The quoted image's stored name, for an image.
    pub(crate) parent_img_name: Option<String>,
    /// The quoted file's name, for a file.
    pub(crate) parent_file_name: Option<String>,
}

/// The message `parent_id` of the chat `chat_key` as a quote, if there is one (a quote of
/// another chat's message, or of none, is no quote: wire §12 item 5).
pub(crate) fn quoted(
    conn: &Connection,
    parent_id: &str,
    chat_key: &str,
) -> Result<Option<Quote>, StoreError> {
    let row = conn
        .prepare_cached(
            "SELECT sender_type, sender_id, content_type, content, recall_time IS NOT NULL \
             FROM messages WHERE msg_id = ?1 AND chat_key = ?2",
        )?
        .query_row([parent_id, chat_key], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, bool>(4)?,
            ))
        })
        .optional()?;
    let Some((sender_type, sender_id, content_type, content, recalled)) = row else {
        return Ok(None);
    };
    let kind = if sender_type == "bot" {
        SenderType::Bot
    } else {
        SenderType::User
    };
    let name = nickname(conn, kind, &sender_id)?;
    let content: Map<String, Value> = serde_json::from_str(&content)
        .map_err(|e| StoreError::Corrupt(format!("content of {parent_id}: {e}")))?;
    let text = |key: &str| content.get(key).and_then(Value::as_str).map(str::to_owned);
    let glimpse = if recalled {
        "[消息已撤回]".to_owned()
    } else {
        match content_type.as_str() {
            "image" => "[图片]".to_owned(),
            "video" => "[视频]".to_owned(),
            "file" => format!("[文件] {}", text("fileName").unwrap_or_default()),
            _ => text("text").unwrap_or_default(),
        }
    };
    let glimpse: String = glimpse.chars().take(MAX_PARENT_CHARS).collect();
    Ok(Some(Quote {
        msg_id: parent_id.to_owned(),
        parent: format!("{name} : {}", glimpse.trim_end()),
        parent_img_name: (content_type == "image" && !recalled)
            .then(|| text("imageName"))
            .flatten(),
        parent_file_name: (content_type == "file" && !recalled)
            .then(|| text("fileName"))
            .flatten(),
    }))
}

impl Quote {
    /// `content` (JSON text) with `parent`, and `parentImgName` or `parentFileName`, added.
    pub(crate) fn add_to(&self, content: &str) -> Result<String, StoreError> {
        let mut fields: Map<String, Value> = serde_json::from_str(content)
            .map_err(|e| StoreError::Internal(format!("content to quote in: {e}")))?;
        fields.insert("parent".into(), Value::String(self.parent.clone()));
        if let Some(name) = &self.parent_img_name {
            fields.insert("parentImgName".into(), Value::String(name.clone()));
        }
        if let Some(name) = &self.parent_file_name {
            fields.insert("parentFileName".into(), Value::String(name.clone()));
        }
        serde_json::to_string(&fields)
            .map_err(|e| StoreError::Internal(format!("a quote does not encode: {e}")))
    }
}

/// `edited` (JSON text) with the quote fields `before` had: an edit replaces the content,
/// not what the message quotes.
pub(crate) fn with_quote_fields_of(before: &str, edited: &str) -> Result<String, StoreError> {
    let Ok(Value::Object(before)) = serde_json::from_str::<Value>(before) else {
        return Ok(edited.to_owned());
    };
    let kept: Vec<(String, Value)> = before
        .into_iter()
        .filter(|(key, _)| QUOTE_FIELDS.contains(&key.as_str()))
        .collect();
    if kept.is_empty() {
        return Ok(edited.to_owned());
    }
    let mut fields: Map<String, Value> = serde_json::from_str(edited)
        .map_err(|e| StoreError::Internal(format!("edited content: {e}")))?;
    fields.extend(kept);
    serde_json::to_string(&fields)
        .map_err(|e| StoreError::Internal(format!("an edit does not encode: {e}")))
}
