//! The small enumerations of the wire: recipient types, content types, sender types.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Who a message is sent to: a user (private chat with the bot) or a group (wire §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecvType {
    /// A user who follows the bot.
    User,
    /// A group the bot is a member of.
    Group,
}

impl RecvType {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RecvType::User => "user",
            RecvType::Group => "group",
        }
    }

    /// Parses the wire spelling; anything else is `None`.
    pub fn from_wire(s: &str) -> Option<Self> {
        match s {
            "user" => Some(RecvType::User),
            "group" => Some(RecvType::Group),
            _ => None,
        }
    }
}

impl fmt::Display for RecvType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A message's `contentType` (wire §5.1): the kinds a bot may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContentType {
    /// Plain text, with optional @mentions.
    Text,
    /// Markdown text.
    Markdown,
    /// HTML text (sanitized before any browser sees it).
    Html,
    /// An image, by `imageKey` (or the legacy `imageUrl`).
    Image,
    /// A file, by `fileKey` (or the legacy `fileName` + `fileUrl`).
    File,
    /// A video, by `videoKey`.
    Video,
    /// An A2UI card: the document is carried in `text` (unofficial, sent by eris and koishi).
    A2ui,
}

impl ContentType {
    /// Every content type, in wire order.
    pub const ALL: [ContentType; 7] = [
        ContentType::Text,
        ContentType::Markdown,
        ContentType::Html,
        ContentType::Image,
        ContentType::File,
        ContentType::Video,
        ContentType::A2ui,
    ];

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ContentType::Text => "text",
            ContentType::Markdown => "markdown",
            ContentType::Html => "html",
            ContentType::Image => "image",
            ContentType::File => "file",
            ContentType::Video => "video",
            ContentType::A2ui => "a2ui",
        }
    }

    /// Parses the wire spelling; anything else is `None`.
    pub fn from_wire(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Whether the content of this type is carried in `content.text`.
    pub fn is_textual(self) -> bool {
        matches!(
            self,
            ContentType::Text | ContentType::Markdown | ContentType::Html | ContentType::A2ui
        )
    }
}

impl fmt::Display for ContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who sent a message in the history (wire §6.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SenderType {
    /// A user.
    User,
    /// A bot.
    Bot,
}

impl SenderType {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SenderType::User => "user",
            SenderType::Bot => "bot",
        }
    }

    /// Parses the wire spelling; anything else is `None`.
    pub fn from_wire(s: &str) -> Option<Self> {
        match s {
            "user" => Some(SenderType::User),
            "bot" => Some(SenderType::Bot),
            _ => None,
        }
    }
}
