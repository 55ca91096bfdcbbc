//! Quotes: what a message that quotes another (its `parentId`) carries about the quoted one.
//!
//! On Yunhu a quoting message's content carries `parent`, the quoted message as one line of
//! text (`"昵称 : 内容"`, the yhchatAPI sample `"我是1名字 : 12345"`), and for a quoted image
//! `parentImgName` (Koishi's adapter fetches the quoted picture from it), for a quoted file
//! `parentFileName` (Koishi's `types.ts`). Yunhu's client writes that text when the reply is
//! sent (the user API's `quote_msg_text`), so a later edit or recall of the quoted message does
//! not change it. cloudlake does the same: the quote is worked out once, in the transaction
//! that stores the reply, and kept in its own column, so that neither a read nor an edit of the
//! reply (which replaces `content`) has to work it out again or can lose it.

use cloudlake_protocol::Content;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::StoreError;
use super::db::{Connection, OptionalExtension};

/// What a quoting message shows of the message it quotes, merged into its content on every
/// read (see [`Quote::apply`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Quote {
    /// `"<sender nickname> : <summary>"`.
    pub parent: String,
    /// The quoted image's `imageName`, when the quoted message is an image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_img_name: Option<String>,
    /// The quoted file's `fileName`, when the quoted message is a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_file_name: Option<String>,
}

/// The content keys a quote owns: a sender cannot set them itself (Yunhu's server writes them,
/// and a bot that sent `parent` by hand would otherwise fake a quote).
const QUOTE_KEYS: [&str; 4] = [
    "parent",
    "parentImgName",
    "parentFileName",
    "parentVideoUrl",
];

impl Quote {
    /// Puts the quote's fields into `content`, or, for a message with no quote, takes away any
    /// a sender put there.
    pub fn apply(quote: Option<&Quote>, content: &mut Content) {
        for key in QUOTE_KEYS {
            content.extra.remove(key);
        }
        let Some(quote) = quote else { return };
        content
            .extra
            .insert("parent".into(), Value::String(quote.parent.clone()));
        if let Some(name) = &quote.parent_img_name {
            content
                .extra
                .insert("parentImgName".into(), Value::String(name.clone()));
        }
        if let Some(name) = &quote.parent_file_name {
            content
                .extra
                .insert("parentFileName".into(), Value::String(name.clone()));
        }
    }

    /// The stored form: JSON text, `''` for no quote.
    pub(crate) fn to_stored(quote: Option<&Quote>) -> Result<String, StoreError> {
        match quote {
            None => Ok(String::new()),
            Some(q) => serde_json::to_string(q)
                .map_err(|e| StoreError::Internal(format!("quote does not encode: {e}"))),
        }
    }

    /// Reads the stored form back.
    pub(crate) fn from_stored(stored: &str) -> Result<Option<Quote>, StoreError> {
        if stored.is_empty() {
            return Ok(None);
        }
        serde_json::from_str(stored)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("quote {stored:?}: {e}")))
    }
}

/// Resolves a send's `parentId` in one chat: the ID to store (`""` when it names no message
/// of the chat, spec §12 item 5) and the quote to store with it. A recalled message is still
/// quoted by ID, but shows nothing of what it said.
pub(crate) fn resolve(
    conn: &Connection,
    parent_id: Option<&str>,
    chat_key: &str,
) -> Result<(String, Option<Quote>), StoreError> {
    let Some(parent_id) = parent_id else {
        return Ok((String::new(), None));
    };
    let row = conn
        .prepare_cached(
            "SELECT m.msg_id, \
               COALESCE(CASE m.sender_type WHEN 'bot' THEN b.nickname ELSE u.nickname END, ''), \
               m.content_type, m.content, m.recall_time IS NOT NULL \
             FROM messages m \
             LEFT JOIN bots b ON m.sender_type = 'bot' AND b.id = m.sender_id \
             LEFT JOIN users u ON m.sender_type = 'user' AND u.id = m.sender_id \
             WHERE m.msg_id = ?1 AND m.chat_key = ?2",
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
    let Some((msg_id, nickname, content_type, content, recalled)) = row else {
        return Ok((String::new(), None));
    };
    if recalled {
        return Ok((msg_id, None));
    }
    let content: Content = serde_json::from_str(&content)
        .map_err(|e| StoreError::Corrupt(format!("message {msg_id} content: {e}")))?;
    Ok((msg_id, Some(quote_of(&nickname, &content_type, &content))))
}

/// The quote of a message by `nickname` with this content.
pub(crate) fn quote_of(nickname: &str, content_type: &str, content: &Content) -> Quote {
    let text = || content.text.clone().unwrap_or_default();
    let (summary, parent_img_name, parent_file_name) = match content_type {
        "text" | "markdown" | "html" | "tip" => (text(), None, None),
        "image" => ("[图片]".to_owned(), content.image_name.clone(), None),
        "file" => {
            let name = content.file_name.clone();
            (
                format!("[文件]{}", name.as_deref().unwrap_or_default()),
                None,
                name,
            )
        }
        "video" => ("[视频]".to_owned(), None, None),
        "audio" => ("[语音]".to_owned(), None, None),
        "expression" => ("[表情]".to_owned(), None, None),
        "post" => (
            format!(
                "[文章]{}",
                content
                    .extra
                    .get("postTitle")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
            ),
            None,
            None,
        ),
        _ => match &content.text {
            Some(text) => (text.clone(), None, None),
            None => ("[消息]".to_owned(), None, None),
        },
    };
    // A tip has no sender to name (its sender shows no nickname, see `tips`): its text alone.
    let parent = if content_type == "tip" {
        summary
    } else {
        format!("{nickname} : {summary}")
    };
    Quote {
        parent,
        parent_img_name,
        parent_file_name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_quoted_as_nickname_colon_text() {
        let q = quote_of("小明", "text", &Content::text("你好"));
        assert_eq!(q.parent, "小明 : 你好");
        assert_eq!((q.parent_img_name, q.parent_file_name), (None, None));
    }

    #[test]
    fn a_tip_is_quoted_by_its_text_alone() {
        let q = quote_of("owner", "tip", &Content::text("已将\"x\"移出群聊"));
        assert_eq!(q.parent, "已将\"x\"移出群聊");
    }

    #[test]
    fn an_image_names_its_picture() {
        let content = Content {
            image_name: Some("abc.png".into()),
            ..Content::default()
        };
        let q = quote_of("bot", "image", &content);
        assert_eq!(q.parent, "bot : [图片]");
        assert_eq!(q.parent_img_name.as_deref(), Some("abc.png"));
    }

    #[test]
    fn apply_replaces_what_a_sender_put_there() {
        let mut content = Content::text("x");
        content.extra.insert("parent".into(), "forged".into());
        content.extra.insert("parentImgName".into(), "f.png".into());
        Quote::apply(None, &mut content);
        assert!(content.extra.is_empty());
        let q = Quote {
            parent: "a : b".into(),
            ..Quote::default()
        };
        Quote::apply(Some(&q), &mut content);
        assert_eq!(
            serde_json::to_value(&content).unwrap_or_default(),
            serde_json::json!({"text": "x", "parent": "a : b"})
        );
    }

    #[test]
    fn the_stored_form_round_trips() {
        let q = Quote {
            parent: "a : [文件]r.pdf".into(),
            parent_img_name: None,
            parent_file_name: Some("r.pdf".into()),
        };
        let stored = Quote::to_stored(Some(&q)).unwrap_or_default();
        assert_eq!(
            stored,
            r#"{"parent":"a : [文件]r.pdf","parentFileName":"r.pdf"}"#
        );
        assert_eq!(Quote::from_stored(&stored).ok().flatten(), Some(q));
        assert_eq!(Quote::from_stored("").ok().flatten(), None);
    }
}
