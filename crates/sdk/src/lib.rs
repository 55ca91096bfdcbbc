//! A Rust SDK for the Yunhu (云湖) bot open API. The same code serves a bot on Yunhu and on a
//! self-hosted [cloudlake](https://example.invalid/cloudlake): only the base URL differs.
//!
//! - [`Client`]: every bot endpoint (send, batch_send, edit, recall, messages, send-stream,
//!   boards, uploads, group administration), the token in the query string, `code != 1` as
//!   [`Error::Api`] with its code and msg, optional retries with backoff ([`RetryPolicy`]).
//! - [`Message`], [`Row`], [`Board`], [`Chat`]: typed builders for what is sent.
//! - [`Event`] / [`EventEnvelope`]: the ten event types of wire §7, typed; an unknown type
//!   is kept as raw JSON, never an error.
//! - [`webhook::WebhookReceiver`]: an axum router a bot mounts, checking cloudlake's
//!   signature when given the secret (feature `webhook`).
//! - [`subscribe::Subscriber`]: the event WebSocket, reconnecting (feature `subscribe`).
//!
//! The wire types come from `cloudlake-protocol`, the crate the cloudlake server itself is
//! built on, so the SDK and the server cannot disagree about the JSON.
//!
//! # Example
//!
//! Pointing a client at Yunhu or at cloudlake, building a button menu, and answering a click
//! event (this example runs as a test; it needs no server):
//!
//! ```
//! use cloudlake_sdk::{Chat, Client, Event, EventEnvelope, Message, Row};
//!
//! // Yunhu is the default; a local cloudlake is one base URL away.
//! let yunhu = Client::new("BOT_TOKEN")?;
//! assert_eq!(yunhu.base_url(), "https://chat-go.jwzhd.com/open-apis/v1");
//! let local = Client::builder("BOT_TOKEN")
//!     .base_url("http://127.0.0.1:8080/open-apis/v1")
//!     .build()?;
//! assert_eq!(local.ws_url()?.as_str(), "ws://127.0.0.1:8080/subscribe");
//! // The token is a secret: it never shows in Debug output.
//! assert!(!format!("{local:?}").contains("BOT_TOKEN"));
//!
//! // A message with a row of buttons whose clicks come back as events.
//! let menu = Message::text("Tea or coffee?")
//!     .row(Row::new().report("Tea", "tea").report("Coffee", "coffee"));
//! let wire = serde_json::to_value(menu.into_outgoing())?;
//! assert_eq!(wire["content"]["buttons"][0][1]["actionType"], 3);
//!
//! // A click, as the platform delivers it (by webhook or WebSocket).
//! let envelope: EventEnvelope = serde_json::from_str(r#"{"version":"1.0",
//!   "header":{"eventId":"f6e70610f8934d56afc31185b5aed6fa","eventTime":1761936422152,
//!             "eventType":"button.report.inline"},
//!   "event":{"time":1761936422147,"msgId":"a412dd8074c0467f99c3f8f411af269a",
//!            "recvId":"307149245","recvType":"group","userId":"4827368","value":"tea"}}"#)?;
//! let Event::ButtonReport(click) = envelope.typed() else { panic!("a click") };
//! let (to, answer) = (Chat::group(click.recv_id), Message::text(format!("One {}", click.value)));
//! assert_eq!((to.id.as_str(), answer.into_outgoing().content.text.as_deref()),
//!            ("307149245", Some("One tea")));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! An echo bot on the WebSocket, against a running server:
//!
//! ```no_run
//! use cloudlake_sdk::{Chat, Client, Event, Message};
//!
//! # async fn echo() -> Result<(), cloudlake_sdk::Error> {
//! let client = Client::builder("BOT_TOKEN").base_url("http://127.0.0.1:8080/open-apis/v1").build()?;
//! let mut events = client.subscriber()?.connect().await?;
//! loop {
//!     if let Event::MessageNormal(m) = events.next().await?.typed() {
//!         // A private chat has chatType "bot": the answer goes to the sender.
//!         let to = if m.chat.chat_type == "group" {
//!             Chat::group(m.chat.chat_id)
//!         } else {
//!             Chat::user(m.sender.sender_id)
//!         };
//!         let text = m.message.content.text.unwrap_or_default();
//!         client.send(&to, Message::text(text)).await?;
//!     }
//! }
//! # }
//! ```

mod client;
mod error;
mod message;
#[cfg(feature = "subscribe")]
pub mod subscribe;
#[cfg(feature = "webhook")]
pub mod webhook;

pub use client::{Client, ClientBuilder, RetryPolicy, YUNHU_BASE_URL, YUNHU_WS_URL};
pub use error::Error;
pub use message::{Board, Chat, Message, Row};

/// The wire types, shared with the cloudlake server.
pub use cloudlake_protocol as protocol;
pub use cloudlake_protocol::{
    A2uiButtonReportEvent, ActionType, ApiError, BatchSendData, BotSettingEvent, Button,
    ButtonReportEvent, ChatMemberEvent, Code, Content, ContentType, Event, EventChat,
    EventEnvelope, EventHeader, EventMessage, EventSender, GagMemberRequest, GroupTag,
    MessageEvent, MessageInfo, MessageItem, MessageReactionEvent, MessagesData, MessagesQuery,
    MsgTypeLimitRequest, RecvType, RemoveMemberRequest, ShortcutMenuEvent, TagCreateRequest,
    TagDeleteRequest, TagEditRequest, TagUserRequest, UploadKind,
};
