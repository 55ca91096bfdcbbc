//! The stored form of a message, made before the write: the content normalised by the
//! protocol parser, encoded once and rendered once, outside the writer. Markup past the
//! render bounds is refused here, before anything is stored.

use std::sync::Arc;

use cloudlake_protocol::OutgoingMessage;

use super::ServiceError;
use crate::clock::now_ms;
use crate::store::{MessageView, Outgoing, QUOTE_FIELDS, StoreError};

/// See the module documentation.
pub(crate) async fn outgoing(message: OutgoingMessage) -> Result<Outgoing, ServiceError> {
    let OutgoingMessage {
        content_type,
        content: mut message_content,
        parent_id,
    } = message;
    // The quote fields are the server's, worked out from `parentId` when the message is
    // stored (`store::quotes`): a sender's own `parent` would show a quote of nothing, or
    // (on an edit) replace the real one.
    for key in QUOTE_FIELDS {
        message_content.extra.remove(key);
    }
    let content = serde_json::to_string(&message_content)
        .map_err(|e| StoreError::Internal(format!("content does not encode: {e}")))?;
    let content_type = content_type.as_str();
    Ok(Outgoing {
        content_type: content_type.to_owned(),
        content,
        parent_id,
        send_time: now_ms(),
        media_keys: Vec::new(),
        view: Arc::new(MessageView {
            html: crate::render::try_message_html(content_type, &message_content).await?,
            content: message_content,
        }),
    })
}
