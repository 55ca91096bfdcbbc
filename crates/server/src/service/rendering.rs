//! Rendering once: a message's or board's sanitized HTML is made here, before the write, and
//! stored with it; reads serve the stored column and never render (a pathological message
//! once cost every member seconds per chat-list load).
//!
//! Rows written before the column existed are rendered by [`render_backlog`], once, at
//! start-up before the server listens. Rendering them on first read and storing the result
//! would have kept a renderer (and a write) on the read path for good; the backlog is paid
//! once per upgraded database, in pages, off the async workers.

use cloudlake_protocol::Content;

use crate::store::{MessageView, Store, StoreError};

/// How many rows are rendered and stored per write.
const BACKLOG_PAGE: u32 = 256;

/// A message's content with its sanitized HTML.
pub fn message_view(content_type: &str, content: Content) -> MessageView {
    let html = crate::render::message_html(content_type, &content);
    MessageView { content, html }
}

/// Renders and stores the HTML of every message and board written before HTML was stored.
/// Returns how many rows it rendered. A message whose stored content does not parse gets no
/// HTML (the client shows its text), as reads did before.
pub async fn render_backlog(store: &Store) -> Result<u64, StoreError> {
    let mut rendered = 0u64;
    let mut after = 0;
    loop {
        let page = store.unrendered_messages(after, BACKLOG_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.key;
        rendered += page.len() as u64;
        let html =
            off_workers(move || {
                page.into_iter()
                    .map(|row| {
                        let html = serde_json::from_str::<Content>(&row.content).ok().and_then(
                            |content| crate::render::message_html(&row.content_type, &content),
                        );
                        (row.key, html)
                    })
                    .collect()
            })
            .await?;
        store.store_message_html(html).await?;
    }
    loop {
        let page = store.unrendered_boards(BACKLOG_PAGE).await?;
        if page.is_empty() {
            break;
        }
        rendered += page.len() as u64;
        let html = off_workers(move || {
            page.into_iter()
                .map(|board| {
                    let html = crate::render::by_type(&board.content_type, &board.content);
                    (board.key, html)
                })
                .collect()
        })
        .await?;
        store.store_board_html(html).await?;
    }
    if rendered > 0 {
        tracing::info!(
            rows = rendered,
            "rendered the HTML of rows written before it was stored"
        );
    }
    Ok(rendered)
}

/// Runs `f` on the blocking pool: rendering may take long, and must not hold an async worker.
async fn off_workers<R: Send + 'static>(
    f: impl FnOnce() -> R + Send + 'static,
) -> Result<R, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| StoreError::TaskPanicked)
}
