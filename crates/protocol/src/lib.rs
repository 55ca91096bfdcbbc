//! Wire types of the Yunhu (云湖) bot open API, shared by the cloudlake server, SDK and CLI.
//!
//! Two directions live here side by side:
//! - **typed values** (`SendRequest`, `Content`, `Button`, …) that serialize to exactly the JSON a
//!   Yunhu client sends or receives, and
//! - **lenient parsers** (`SendRequest::parse`, `Content::parse`, …) that accept everything real
//!   clients were seen to send (wire §12: nulls, unknown keys, 1-D buttons, `at` as a string,
//!   `parentId: "False"`, legacy content shapes) and answer anything else with Yunhu's error
//!   text in an [`ApiError`].
//!
//! The crate has no I/O: it is plain serde, so the server and the SDK cannot drift apart.
//!
//! ```
//! use cloudlake_protocol::{BatchSendRequest, RecvType};
//!
//! let body = br#"{"recvIds":["307149245","665344168"],"recvType":"group","contentType":"text",
//!   "content":{"text":"hi","buttons":[{"text":"a","actionType":3,"value":"v"}]}}"#;
//! let req = BatchSendRequest::parse(body).unwrap();
//! assert_eq!(req.recv_type, RecvType::Group);
//! // A flat button list becomes one button per row (wire §5.2).
//! assert_eq!(req.message.content.buttons.len(), 1);
//! ```

pub mod a2ui;
mod board;
mod button;
mod content;
mod envelope;
mod error;
mod event;
mod lenient;
mod live;
mod request;
mod response;
mod vocabulary;

pub use board::{
    BoardAllRequest, BoardContent, BoardContentType, BoardDismissRequest, BoardRequest, BoardTarget,
};
// Uploads and group administration (issue 5).
mod group_admin;
mod upload;

pub use button::{ActionType, Button, ButtonRows};
pub use content::Content;
pub use envelope::Envelope;
pub use error::{ApiError, Code};
pub use event::{
    A2uiButtonReportEvent, BotSettingEvent, ButtonReportEvent, ChatMemberEvent, EVENT_VERSION,
    EXTENSION_EVENT_TYPES, Event, EventChat, EventEnvelope, EventHeader, EventMessage, EventSender,
    MessageEvent, MessageReactionEvent, ShortcutMenuEvent,
};
pub use live::{
    Board, ChatMessage, ChatRef, LIVE_VERSION, LiveFrame, MAX_REACTION_USERS_SHOWN, Reaction,
    ReactionUser,
};
pub use request::{
    AnswerClickRequest, BatchSendRequest, EditRequest, MAX_BATCH_RECIPIENTS,
    MAX_CLICK_NOTICE_CHARS, MAX_HISTORY_PAGE, MessagesQuery, OutgoingMessage, RecallRequest,
    SendRequest, SendStreamQuery,
};
pub use response::{BatchSendData, EditData, MessageInfo, MessageItem, MessagesData, SendData};
pub use vocabulary::{ContentType, RecvType, SenderType};

// Uploads and group administration (issue 5).
pub use group_admin::{
    GROUP_MSG_TYPES, GagMemberRequest, GroupTag, MAX_TAG_CHARS, MsgTypeLimitRequest,
    RemoveMemberRequest, TagCreateData, TagCreateRequest, TagDeleteRequest, TagEditRequest,
    TagListData, TagListRequest, TagUserRequest,
};
pub use upload::{FileUploadData, ImageUploadData, UploadData, UploadKind, VideoUploadData};
