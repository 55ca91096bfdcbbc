//! `GET /api/v1/live?token=…&cursor=N`: the user's one WebSocket.
//!
//! Start-up order is what makes replay exact. The session is registered with the gateway and
//! subscribed to the user's chats *before* storage is read, so every change committed after
//! that point is in the session's queue; everything committed before it is found by the
//! replay read. A change in both places is sent once, because frames are sent in increasing
//! cursor order and any frame at or below the last cursor sent is skipped. Before it registers,
//! the session waits until everything already committed has been published, so that no change
//! from before its reads (a subscription change, a close) reaches it after them.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use cloudlake_protocol::{LIVE_VERSION, LiveFrame};
use futures_util::SinkExt;
use serde::Deserialize;

use super::{AuthedUser, PresentedCredential};
use crate::api::AppState;
use crate::api::limits::Admitted;
use crate::api::problem::Problem;
use crate::bus::frame;
use crate::clock::now_ms;
use crate::gateway::Outbound;
use crate::secret::TokenHash;
use crate::store::{StoreError, User};

/// The initial read buffer of a live socket. Small: clients send only pings and closes, and
/// tungstenite zero-fills the buffer's free part before every read attempt, which a session
/// makes each time it wakes to deliver a frame (at 4 KiB that fill was 2% of the server's
/// fan-out CPU). Larger frames still arrive: the buffer grows for them.
pub(crate) const READ_BUFFER: usize = 256;
/// The largest frame or message a client may send on a WebSocket. Clients send only pings
/// (at most 125 bytes) and closes; tungstenite's default, 64 MiB, let each socket buffer that
/// much data the server ignores (issue 22). Past it the socket is closed.
pub(crate) const MAX_CLIENT_MESSAGE: usize = 4 * 1024;

/// The close code of a socket whose credential was revoked (sign-out, a new token or
/// password, the user deleted): in the range RFC 6455 leaves to applications, 4000 + HTTP's
/// 401. A client seeing it signs in again instead of reconnecting with the dead token.
pub const CLOSE_REVOKED: u16 = 4401;

/// How much a live socket buffers before writing to the network (tungstenite's default is
/// 128 KiB).
const WRITE_BUFFER: usize = 16 * 1024;

/// Replay reads the log in pages of this many entries.
const REPLAY_PAGE: u32 = 500;
/// A client further behind than this is told to reload instead of replaying.
const MAX_REPLAY: usize = 10_000;
/// At most this many queued frames are written before one flush.
const MAX_BATCH: usize = 256;
/// A client that does not take a frame within this long is dropped. Generous, for phones on
/// bad networks: what a stalled client can hold is bounded by its queue, not by this.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Deserialize)]
pub(crate) struct LiveQuery {
    cursor: Option<i64>,
}

/// Upgrades to the live WebSocket.
pub(crate) async fn live(
    State(state): State<AppState>,
    Admitted(permit): Admitted,
    AuthedUser(user): AuthedUser,
    PresentedCredential(credential): PresentedCredential,
    Query(query): Query<LiveQuery>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, Problem> {
    Ok(upgrade
        // tungstenite preallocates its read buffer (128 KiB by default) per connection; a live
        // client sends us nearly nothing, and this buffer was most of an idle socket's cost
        // (137 KiB measured, see BENCHMARKS.md). Frames larger than this still arrive: the
        // buffer grows for them.
        .read_buffer_size(READ_BUFFER)
        .max_message_size(MAX_CLIENT_MESSAGE)
        .max_frame_size(MAX_CLIENT_MESSAGE)
        // Queued frames are written together and flushed once; tungstenite writes its buffer
        // out whenever it holds this much, so a burst still costs few syscalls while the
        // buffer (which keeps its capacity) stays small per socket.
        .write_buffer_size(WRITE_BUFFER)
        .on_upgrade(move |socket| async move {
            let _permit = permit;
            if let Err(e) = session(state, user, credential, query.cursor, socket).await {
                tracing::warn!(error = %e, "live session ended with an error");
            }
        }))
}

/// Why a session stopped early.
#[derive(Debug, thiserror::Error)]
enum SessionEnd {
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("socket: {0}")]
    Socket(String),
}

/// Why the writer loop stops after the frames it has taken.
enum End {
    /// Frames were dropped for this session: the client must resync.
    Lagging,
    /// The session must end.
    Close,
}

/// Writes every frame in `batch` (emptying it) and flushes once.
async fn send_all(socket: &mut WebSocket, batch: &mut Vec<Utf8Bytes>) -> Result<(), SessionEnd> {
    if batch.is_empty() {
        return Ok(());
    }
    let count = batch.len() as u64;
    let write = async {
        for text in batch.drain(..) {
            socket.feed(Message::Text(text)).await?;
        }
        socket.flush().await
    };
    match tokio::time::timeout(SEND_TIMEOUT, write).await {
        Ok(Ok(())) => {
            crate::metrics::metrics().live_deliveries.inc_by(count);
            Ok(())
        }
        Ok(Err(e)) => Err(SessionEnd::Socket(e.to_string())),
        Err(_) => Err(SessionEnd::Socket("the client stopped reading".into())),
    }
}

async fn send(socket: &mut WebSocket, text: &str) -> Result<(), SessionEnd> {
    match tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Text(text.into()))).await {
        Ok(Ok(())) => {
            crate::metrics::metrics().live_deliveries.inc();
            Ok(())
        }
        Ok(Err(e)) => Err(SessionEnd::Socket(e.to_string())),
        Err(_) => Err(SessionEnd::Socket("the client stopped reading".into())),
    }
}

async fn send_frame(socket: &mut WebSocket, frame: &LiveFrame) -> Result<(), SessionEnd> {
    send(socket, &frame::encode(frame)?).await
}

async fn session(
    state: AppState,
    user: User,
    credential: Option<TokenHash>,
    cursor: Option<i64>,
    mut socket: WebSocket,
) -> Result<(), SessionEnd> {
    let _connected = crate::metrics::metrics().client_connected("user");
    let user_id = user.user_id;
    // Everything committed so far reaches the gateway before this session is in it: a change
    // from before the session's reads must not reach it after them (see `LiveSink::settled`).
    state.publishing.settled().await;
    let (session, mut queue) = state
        .gateway
        .connect_with(&user_id, credential.map(|hash| hash.0));
    // Checked again now that the session is registered: a sign-out (or a new token)
    // committed between the upgrade's check and the registration closed no socket, so it
    // is caught here; one committed from now on closes this one.
    if let Some(hash) = credential {
        let still = super::user_for_hash(&state, hash).await?;
        if still.is_none_or(|u| u.user_id != user_id) {
            return revoked(&mut socket).await;
        }
    }
    // A socket opened with a sign-in session lives no longer than the session: at its expiry
    // it closes as revoked (the client signs in again). One opened with the user token has
    // no expiry.
    let expires = match credential {
        Some(hash) => state.store.session_expiry(hash, now_ms()).await?,
        None => None,
    };
    let expiry = async move {
        match expires {
            Some(at) => {
                let left = u64::try_from(at.saturating_sub(now_ms())).unwrap_or(0);
                tokio::time::sleep(Duration::from_millis(left)).await;
            }
            None => std::future::pending::<()>().await,
        }
    };
    tokio::pin!(expiry);
    let chats = state.store.chat_keys(user_id.clone()).await?;
    session.subscribe(chats);
    // Read again: a chat left between the first read and the subscription is dropped here.
    session.retain(&state.store.chat_keys(user_id.clone()).await?);

    let latest = state.store.latest_cursor().await?;
    // A cursor from the future (another server's, or a reset database) cannot be trusted to
    // skip anything: start from now.
    let mut last_sent = cursor
        .filter(|c| (0..=latest).contains(c))
        .unwrap_or(latest);
    send_frame(
        &mut socket,
        &LiveFrame::Hello {
            v: LIVE_VERSION,
            user_id: user_id.clone(),
            cursor: last_sent,
            boards: state.store.boards_for_user(user_id.clone()).await?,
        },
    )
    .await?;

    if cursor.is_some() {
        let mut replayed = 0;
        loop {
            let page = state
                .store
                .replay(user_id.clone(), last_sent, REPLAY_PAGE)
                .await?;
            for (id, kind, message) in &page.entries {
                send_frame(&mut socket, &frame::log_frame(*kind, *id, message)?).await?;
                last_sent = *id;
            }
            replayed += page.entries.len();
            if !page.truncated {
                break;
            }
            if replayed >= MAX_REPLAY {
                let latest = state.store.latest_cursor().await?;
                return resync(&mut socket, latest, "gap").await;
            }
        }
    }

    let mut shutdown = state.events.shutdown_signal();
    // Made once, not at every turn of the loop: all sessions wait on the one signal, and a
    // wait made and dropped per delivery took the signal's lock once per frame.
    let stopping = async move {
        let _ = shutdown.wait_for(|stopping| *stopping).await;
    };
    tokio::pin!(stopping);
    let mut batch: Vec<Utf8Bytes> = Vec::new();
    loop {
        tokio::select! {
            () = &mut expiry => return revoked(&mut socket).await,
            // The server is stopping: close cleanly; the client reconnects with its cursor.
            () = &mut stopping => {
                let _ = socket.send(Message::Close(None)).await;
                return Ok(());
            }
            item = queue.recv() => {
                // Take this frame and every one already queued behind it (up to a bound), write
                // them all, and flush once: one write syscall for a burst instead of one per
                // frame (see BENCHMARKS.md, fan-out).
                let Some(first) = item else {
                    let _ = socket.send(Message::Close(None)).await;
                    return Ok(());
                };
                let mut next = Some(first);
                let mut end = None;
                while let Some(item) = next.take() {
                    match item {
                        Outbound::Frame { cursor, text } => {
                            if session.is_lagging() {
                                end = Some(End::Lagging);
                                break;
                            }
                            if let Some(cursor) = cursor {
                                if cursor <= last_sent {
                                    next = queue.try_recv().ok();
                                    continue;
                                }
                                last_sent = cursor;
                            }
                            batch.push(text);
                            if batch.len() < MAX_BATCH {
                                next = queue.try_recv().ok();
                            }
                        }
                        Outbound::Close => {
                            end = Some(End::Close);
                            break;
                        }
                    }
                }
                // What was taken is written before any resync or close, so `last_sent` (which
                // counts it) is what the client really got.
                send_all(&mut socket, &mut batch).await?;
                match end {
                    // A revocation marks the session lagging too (so nothing more is queued
                    // for it); it ends as revoked, not with a resync to come back from.
                    Some(End::Close) => return revoked(&mut socket).await,
                    Some(End::Lagging) if session.is_closed() => return revoked(&mut socket).await,
                    Some(End::Lagging) => return resync(&mut socket, last_sent, "lagging").await,
                    None => {}
                }
            },
            incoming = socket.recv() => match incoming {
                // Pings are answered by the WebSocket layer; clients send nothing else.
                Some(Ok(Message::Close(_)) | Err(_)) | None => return Ok(()),
                Some(Ok(_)) => {}
            },
        }
    }
}

/// Closes the socket with [`CLOSE_REVOKED`].
async fn revoked(socket: &mut WebSocket) -> Result<(), SessionEnd> {
    let close = CloseFrame {
        code: CLOSE_REVOKED,
        reason: Utf8Bytes::from_static("signed out: the credential was revoked"),
    };
    let _ = tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Close(Some(close)))).await;
    Ok(())
}

async fn resync(socket: &mut WebSocket, cursor: i64, reason: &str) -> Result<(), SessionEnd> {
    send_frame(
        socket,
        &LiveFrame::Resync {
            v: LIVE_VERSION,
            cursor,
            reason: reason.to_owned(),
        },
    )
    .await?;
    let _ = socket.send(Message::Close(None)).await;
    Ok(())
}
