//! Typed builders for what a bot sends: the chat, the message with its button rows, a board.

use cloudlake_protocol::{
    BoardContent, BoardContentType, Button, Content, ContentType, MessagesQuery, OutgoingMessage,
    RecvType,
};

/// A chat a bot talks to: a user (private chat) or a group.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Chat {
    /// The user ID or group ID.
    pub id: String,
    /// Whether `id` names a user or a group.
    pub kind: RecvType,
}

impl Chat {
    /// The private chat with a user (who must follow the bot).
    pub fn user(id: impl Into<String>) -> Self {
        Chat {
            id: id.into(),
            kind: RecvType::User,
        }
    }

    /// A group (the bot must be a member).
    pub fn group(id: impl Into<String>) -> Self {
        Chat {
            id: id.into(),
            kind: RecvType::Group,
        }
    }

    /// The `messages` query for the latest `n` messages of this chat, newest first.
    pub fn latest(&self, n: u32) -> MessagesQuery {
        MessagesQuery {
            chat_id: self.id.clone(),
            chat_type: self.kind,
            message_id: None,
            before: n,
            after: 0,
        }
    }

    /// The `messages` query for `before` older and `after` newer messages around `msg_id`
    /// (the anchor itself included).
    pub fn around(&self, msg_id: impl Into<String>, before: u32, after: u32) -> MessagesQuery {
        MessagesQuery {
            chat_id: self.id.clone(),
            chat_type: self.kind,
            message_id: Some(msg_id.into()),
            before,
            after,
        }
    }
}

/// A message to send or to edit into place: content type, content, buttons, mentions, quote.
///
/// ```
/// use cloudlake_sdk::{Message, Row};
///
/// let msg = Message::markdown("**Pick one**")
///     .row(Row::new().report("Yes", "yes").report("No", "no"))
///     .row(Row::new().url("Docs", "https://example.com"))
///     .reply_to("a54ec67c089044dfa4241b9dd0a57f8d");
/// let json = serde_json::to_value(msg.into_outgoing()).unwrap();
/// assert_eq!(json["contentType"], "markdown");
/// assert_eq!(json["content"]["buttons"][0][1]["value"], "no");
/// assert_eq!(json["content"]["buttons"][1][0]["actionType"], 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    inner: OutgoingMessage,
}

impl Message {
    fn new(content_type: ContentType, content: Content) -> Self {
        Message {
            inner: OutgoingMessage::new(content_type, content),
        }
    }

    /// Plain text.
    pub fn text(text: impl Into<String>) -> Self {
        Self::new(ContentType::Text, Content::text(text))
    }

    /// Markdown.
    pub fn markdown(text: impl Into<String>) -> Self {
        Self::new(ContentType::Markdown, Content::text(text))
    }

    /// HTML (Yunhu supports a subset of tags; cloudlake sanitizes it).
    pub fn html(text: impl Into<String>) -> Self {
        Self::new(ContentType::Html, Content::text(text))
    }

    /// An A2UI card: `document` is an A2UI v0.9 document, one JSON message or JSON Lines of
    /// them (`createSurface`, `updateComponents`, …; a component with ID `root`). cloudlake
    /// refuses one that is not (code 1002, with the reason); a click on one of its buttons
    /// comes back as [`Event::A2uiButtonReport`](crate::Event::A2uiButtonReport).
    pub fn a2ui(document: impl Into<String>) -> Self {
        Self::new(ContentType::A2ui, Content::text(document))
    }

    /// An image, by the key [`Client::upload_image`](crate::Client::upload_image) returned.
    pub fn image(image_key: impl Into<String>) -> Self {
        Self::new(ContentType::Image, Content::image(image_key))
    }

    /// A file, by the key [`Client::upload_file`](crate::Client::upload_file) returned.
    pub fn file(file_key: impl Into<String>) -> Self {
        Self::new(ContentType::File, Content::file(file_key))
    }

    /// A video, by the key [`Client::upload_video`](crate::Client::upload_video) returned.
    pub fn video(video_key: impl Into<String>) -> Self {
        Self::new(ContentType::Video, Content::video(video_key))
    }

    /// Any content type with any content, for what the other constructors do not cover.
    pub fn raw(content_type: ContentType, content: Content) -> Self {
        Self::new(content_type, content)
    }

    /// Mentions these user IDs, in order of appearance in the text. Yunhu's clients write
    /// each mention in the text as `@nickname` followed by U+200B.
    pub fn at(mut self, user_ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.inner.content.at = user_ids.into_iter().map(Into::into).collect();
        self
    }

    /// Adds a row of buttons under the message; empty rows are left out.
    pub fn row(mut self, row: impl Into<Row>) -> Self {
        let row = row.into().0;
        if !row.is_empty() {
            self.inner.content.buttons.push(row);
        }
        self
    }

    /// Quotes the message `msg_id` (ignored by edit).
    pub fn reply_to(mut self, msg_id: impl Into<String>) -> Self {
        self.inner.parent_id = Some(msg_id.into());
        self
    }

    /// The wire value.
    pub fn into_outgoing(self) -> OutgoingMessage {
        self.inner
    }
}

impl From<Message> for OutgoingMessage {
    fn from(message: Message) -> Self {
        message.inner
    }
}

/// One horizontal row of buttons.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row(pub Vec<Button>);

impl Row {
    /// An empty row.
    pub fn new() -> Self {
        Row(Vec::new())
    }

    /// Adds a button that opens `url` (actionType 1).
    pub fn url(mut self, text: impl Into<String>, url: impl Into<String>) -> Self {
        self.0.push(Button::open_url(text, url));
        self
    }

    /// Adds a button that copies `value` to the clipboard (actionType 2).
    pub fn copy(mut self, text: impl Into<String>, value: impl Into<String>) -> Self {
        self.0.push(Button::copy(text, value));
        self
    }

    /// Adds a button whose click reaches the bot as a `button.report.inline` event carrying
    /// `value` (actionType 3).
    pub fn report(mut self, text: impl Into<String>, value: impl Into<String>) -> Self {
        self.0.push(Button::report(text, value));
        self
    }
}

impl From<Vec<Button>> for Row {
    fn from(buttons: Vec<Button>) -> Self {
        Row(buttons)
    }
}

impl From<Button> for Row {
    fn from(button: Button) -> Self {
        Row(vec![button])
    }
}

/// A board (看板): text shown above a chat, optionally until a time.
///
/// ```
/// use cloudlake_sdk::Board;
///
/// let board = Board::markdown("**on call**: Alice").expires_at(1_795_927_692);
/// assert_eq!(board.content().expire_time, 1_795_927_692);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Board {
    content: BoardContent,
}

impl Board {
    fn new(content_type: BoardContentType, content: impl Into<String>) -> Self {
        Board {
            content: BoardContent {
                content_type,
                content: content.into(),
                expire_time: 0,
            },
        }
    }

    /// A plain-text board that never expires.
    pub fn text(content: impl Into<String>) -> Self {
        Self::new(BoardContentType::Text, content)
    }

    /// A markdown board that never expires.
    pub fn markdown(content: impl Into<String>) -> Self {
        Self::new(BoardContentType::Markdown, content)
    }

    /// An HTML board that never expires.
    pub fn html(content: impl Into<String>) -> Self {
        Self::new(BoardContentType::Html, content)
    }

    /// The board disappears at this Unix time, in **seconds** (0 = never).
    pub fn expires_at(mut self, unix_seconds: i64) -> Self {
        self.content.expire_time = unix_seconds;
        self
    }

    /// The wire value.
    pub fn content(&self) -> &BoardContent {
        &self.content
    }
}
