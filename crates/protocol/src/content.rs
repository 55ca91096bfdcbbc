//! A message's `content` object (wire §5.1, §6.6, §7.3): one flat object whose meaningful
//! fields depend on the `contentType` beside it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::button::{ButtonRows, parse_rows};
use crate::lenient::{Object, opt_string, string_like};
use crate::{ApiError, Button, ContentType};

/// The `content` of a message, sent or received. Empty fields are left out of the JSON, so a
/// text message serializes as `{"text": "…"}` and buttons appear only when there are some.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Content {
    /// The text of `text`, `markdown`, `html` and `a2ui` messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Mentioned user IDs in order of appearance, duplicates kept (wire §5.3).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub at: Vec<String>,
    /// Button rows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: ButtonRows,
    /// An uploaded image's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_key: Option<String>,
    /// An image's address (the legacy send shape, and the receive side).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// An image's stored name (receive side).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_name: Option<String>,
    /// An image's width in pixels (receive side).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_width: Option<u32>,
    /// An image's height in pixels (receive side).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_height: Option<u32>,
    /// An uploaded file's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_key: Option<String>,
    /// A file's name (the legacy send shape, and the receive side).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// A file's address (the legacy send shape, and the receive side).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_url: Option<String>,
    /// A file's size in bytes (receive side).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_size: Option<u64>,
    /// An uploaded video's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_key: Option<String>,
    /// A video's address (receive side).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_url: Option<String>,
    /// A video's length in seconds (receive side).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_duration: Option<u64>,
    /// Fields this crate has no name for (`menu`, `tip`, `formJson`, …), kept so that content
    /// read from the wire serializes back unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Content {
    /// Text content (also the shape of `markdown` and `html`).
    pub fn text(text: impl Into<String>) -> Self {
        Content {
            text: Some(text.into()),
            ..Content::default()
        }
    }

    /// Image content by upload key.
    pub fn image(image_key: impl Into<String>) -> Self {
        Content {
            image_key: Some(image_key.into()),
            ..Content::default()
        }
    }

    /// File content by upload key.
    pub fn file(file_key: impl Into<String>) -> Self {
        Content {
            file_key: Some(file_key.into()),
            ..Content::default()
        }
    }

    /// Video content by upload key.
    pub fn video(video_key: impl Into<String>) -> Self {
        Content {
            video_key: Some(video_key.into()),
            ..Content::default()
        }
    }

    /// The same content with these user IDs mentioned.
    pub fn with_at(mut self, at: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.at = at.into_iter().map(Into::into).collect();
        self
    }

    /// The same content with one more row of buttons.
    pub fn with_row(mut self, row: impl IntoIterator<Item = Button>) -> Self {
        let row: Vec<Button> = row.into_iter().collect();
        if !row.is_empty() {
            self.buttons.push(row);
        }
        self
    }

    /// Reads the `content` of a send or edit request leniently, keeping only the fields that
    /// mean something for `content_type`: extra keys that clients add (`raw`, `url`, an empty
    /// `text` beside an image) are dropped, and a content with nothing to show is refused.
    pub fn parse(content_type: ContentType, value: Option<&Value>) -> Result<Content, ApiError> {
        let obj = match value {
            None | Some(Value::Null) => return Err(ApiError::content_empty()),
            Some(Value::Object(obj)) => obj,
            Some(_) => return Err(ApiError::field_type("content", "对象")),
        };
        let mut content = Content {
            buttons: parse_rows(obj.get("buttons"))?,
            ..Content::default()
        };
        match content_type {
            ContentType::Text | ContentType::Markdown | ContentType::Html | ContentType::A2ui => {
                let text = non_empty(obj, "text")?.ok_or_else(ApiError::content_empty)?;
                // A card that is not one would reach people as a blank or raw JSON: refused
                // here, with the reason (wire §5.1).
                if content_type == ContentType::A2ui {
                    crate::a2ui::Card::parse(&text).map_err(|why| {
                        ApiError::invalid_param(format!("a2ui 内容不是有效的 A2UI 文档：{why}"))
                    })?;
                }
                content.text = Some(text);
                content.at = parse_at(obj.get("at"))?;
            }
            ContentType::Image => {
                content.image_key = non_empty(obj, "imageKey")?;
                if content.image_key.is_none() {
                    content.image_url = non_empty(obj, "imageUrl")?;
                }
                if content.image_key.is_none() && content.image_url.is_none() {
                    return Err(ApiError::content_empty());
                }
            }
            ContentType::File => {
                content.file_key = non_empty(obj, "fileKey")?;
                if content.file_key.is_none() {
                    content.file_url = non_empty(obj, "fileUrl")?;
                    content.file_name = non_empty(obj, "fileName")?;
                }
                if content.file_key.is_none() && content.file_url.is_none() {
                    return Err(ApiError::content_empty());
                }
            }
            ContentType::Video => {
                content.video_key = non_empty(obj, "videoKey")?;
                if content.video_key.is_none() {
                    content.video_url = non_empty(obj, "videoUrl")?;
                }
                if content.video_key.is_none() && content.video_url.is_none() {
                    return Err(ApiError::content_empty());
                }
            }
        }
        Ok(content)
    }
}

fn non_empty(obj: &Object, field: &str) -> Result<Option<String>, ApiError> {
    Ok(opt_string(obj, field)?.filter(|s| !s.is_empty()))
}

/// `at` is a list of user IDs, or one comma-joined string (yhchatAPI documents `"123,123"`).
fn parse_at(v: Option<&Value>) -> Result<Vec<String>, ApiError> {
    let bad = || ApiError::field_type("at", "用户ID数组");
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(s
            .split(',')
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
            .collect()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| string_like(item).ok_or_else(bad))
            .filter(|id| id.as_ref().map_or(true, |id| !id.is_empty()))
            .collect(),
        Some(_) => Err(bad()),
    }
}
