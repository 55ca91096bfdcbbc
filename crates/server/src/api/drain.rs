//! Reading and discarding the rest of a refused upload, so that a client still sending reads
//! the refusal instead of a connection reset (most HTTP clients only read the answer once
//! they have sent the whole body).

use std::time::Duration;

use axum::body::BodyDataStream;
use futures_util::StreamExt;

/// How long a refused body is drained at most; past that the connection is simply closed.
const DRAIN_FOR: Duration = Duration::from_secs(5);

/// Reads and discards what is left of `body`, for at most [`DRAIN_FOR`] and at most twice
/// `limit` bytes. Nothing is kept.
pub(crate) async fn drain(body: &mut BodyDataStream, limit: u64) {
    let mut left = limit.saturating_mul(2);
    let _ = tokio::time::timeout(DRAIN_FOR, async {
        while let Some(Ok(chunk)) = body.next().await {
            left = left.saturating_sub(chunk.len() as u64);
            if left == 0 {
                break;
            }
        }
    })
    .await;
}
