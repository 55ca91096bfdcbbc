//! `GET /api/v1/live?token=…&cursor=N`: the user's one WebSocket.
//!
//! Start-up order is what makes replay exact. The session is registered with the gateway and
//! subscribed to the user's chats *before* storage is read, so every change committed after
//! that point is held for it ([`outgoing::Outgoing`]); everything committed before it is
//! found by the replay read. A change in both places is sent once, because frames are sent in
//! increasing cursor order and any frame at or below the last cursor sent is skipped. Before
//! it registers, the session waits until everything already committed has been published, so
//! that no change from before its reads (a subscription change, a close) reaches it after
//! them.
//!
//! Once live, the gateway writes the session's frames to its socket itself, as it fans them
//! out; the session's task writes only what the socket could not take at once, answers the
//! client's pings and closes, and ends the session (a resync when frames were dropped, a
//! close when its credential is revoked or the server stops).

mod outgoing;
mod socket;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::Response;
use bytes::Bytes;
use cloudlake_protocol::{LIVE_VERSION, LiveFrame};
use serde::Deserialize;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use super::{AuthedUser, PresentedCredential};
use crate::api::AppState;
use crate::api::limits::Admitted;
use crate::api::problem::Problem;
use crate::bus::frame;
use crate::clock::now_ms;
use crate::gateway::ws;
use crate::secret::TokenHash;
use crate::store::{StoreError, User};
use outgoing::{Outgoing, WriteError};
use socket::{Incoming, Reader, Upgrade};

/// The initial read buffer of a live socket. Small: clients send only pings and closes.
/// Larger frames still arrive: the buffer grows for them, up to [`MAX_CLIENT_MESSAGE`].
pub(crate) const READ_BUFFER: usize = 256;
/// The largest frame or message a client may send on a WebSocket. Clients send only pings
/// (at most 125 bytes) and closes; tungstenite's default, 64 MiB, let each socket buffer that
/// much data the server ignores (issue 22). Past it the socket is closed (1009).
pub(crate) const MAX_CLIENT_MESSAGE: usize = 4 * 1024;

/// The close code of a socket whose credential was revoked (sign-out, a new token or
/// password, the user deleted): in the range RFC 6455 leaves to applications, 4000 + HTTP's
/// 401. A client seeing it signs in again instead of reconnecting with the dead token.
pub const CLOSE_REVOKED: u16 = 4401;

/// Replay reads the log in pages of this many entries.
const REPLAY_PAGE: u32 = 500;
/// A client further behind than this is told to reload instead of replaying.
const MAX_REPLAY: usize = 10_000;
/// A client that takes nothing of what waits for it for this long is dropped. Generous, for
/// phones on bad networks: what a stalled client can hold is bounded by its queue, not by
/// this.
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
    upgrade: Upgrade,
) -> Result<Response, Problem> {
    Ok(upgrade.on_upgrade(move |read, already, write| async move {
        let _permit = permit;
        let _connected = crate::metrics::metrics().client_connected("user");
        if let Err(e) = session(state, user, credential, query.cursor, read, already, write).await {
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
    Write(#[from] WriteError),
}

/// A live frame as a WebSocket text frame.
fn framed(frame: &LiveFrame) -> Result<Bytes, StoreError> {
    Ok(ws::text_frame(frame::encode(frame)?.as_bytes()))
}

/// Queues a frame of the session's own and writes what waits.
async fn send(out: &Outgoing, frame: &LiveFrame) -> Result<(), SessionEnd> {
    out.push(framed(frame)?);
    Ok(out.flush(SEND_TIMEOUT).await?)
}

/// Ends the session with `last` (a resync or a close frame) after what was taken before it.
async fn end_with(out: &Outgoing, last: impl FnOnce(i64) -> Bytes) -> Result<(), SessionEnd> {
    out.end_with(last);
    Ok(out.flush(SEND_TIMEOUT).await?)
}

/// The close frame of a revoked credential.
fn revoked() -> Bytes {
    ws::close_frame(CLOSE_REVOKED, "signed out: the credential was revoked")
}

/// A `resync` frame naming `cursor`, then a normal close.
fn resync(cursor: i64, reason: &str) -> Bytes {
    let frame = LiveFrame::Resync {
        v: LIVE_VERSION,
        cursor,
        reason: reason.to_owned(),
    };
    let mut bytes = match framed(&frame) {
        Ok(text) => text.to_vec(),
        // A resync frame always encodes; without it the close alone still makes the client
        // reconnect from its cursor.
        Err(_) => Vec::new(),
    };
    bytes.extend_from_slice(&ws::bare_close());
    Bytes::from(bytes)
}

async fn session(
    state: AppState,
    user: User,
    credential: Option<TokenHash>,
    cursor: Option<i64>,
    read: OwnedReadHalf,
    already: Bytes,
    write: OwnedWriteHalf,
) -> Result<(), SessionEnd> {
    let user_id = user.user_id;
    let out = Arc::new(Outgoing::new(write));
    let mut reader = Reader::new(read, already);
    // Everything committed so far reaches the gateway before this session is in it: a change
    // from before the session's reads must not reach it after them (see `LiveSink::settled`).
    state.publishing.settled().await;
    let session =
        state
            .gateway
            .connect_direct(&user_id, credential.map(|hash| hash.0), out.clone());
    // Checked again now that the session is registered: a sign-out (or a new token)
    // committed between the upgrade's check and the registration closed no socket, so it
    // is caught here; one committed from now on closes this one.
    if let Some(hash) = credential {
        let still = super::user_for_hash(&state, hash).await?;
        if still.is_none_or(|u| u.user_id != user_id) {
            return end_with(&out, |_| revoked()).await;
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
    send(
        &out,
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
                out.push(framed(&frame::log_frame(*kind, *id, message)?)?);
                last_sent = *id;
            }
            out.flush(SEND_TIMEOUT).await?;
            replayed += page.entries.len();
            if !page.truncated {
                break;
            }
            if replayed >= MAX_REPLAY {
                let latest = state.store.latest_cursor().await?;
                return end_with(&out, |_| resync(latest, "gap")).await;
            }
        }
    }
    // From here the gateway writes this session's frames itself; this task writes what the
    // socket could not take at once, answers the client, and ends the session.
    out.go_live(last_sent);
    out.flush(SEND_TIMEOUT).await?;

    let mut shutdown = state.events.shutdown_signal();
    let stopping = async move {
        let _ = shutdown.wait_for(|stopping| *stopping).await;
    };
    tokio::pin!(stopping);
    loop {
        tokio::select! {
            () = &mut expiry => return end_with(&out, |_| revoked()).await,
            // The server is stopping: close cleanly; the client reconnects with its cursor.
            () = &mut stopping => return end_with(&out, |_| ws::bare_close()).await,
            () = out.alerted() => {
                out.flush(SEND_TIMEOUT).await?;
                if session.is_closed() {
                    // A revocation marks the session lagging too (so nothing more is offered
                    // to it); it ends as revoked, not with a resync to come back from.
                    return end_with(&out, |_| revoked()).await;
                }
                if session.is_lagging() {
                    return end_with(&out, |last| resync(last, "lagging")).await;
                }
            },
            incoming = reader.next() => match incoming {
                Ok(Incoming::Ping(data)) => {
                    out.push(ws::frame(ws::PONG, &data));
                    out.flush(SEND_TIMEOUT).await?;
                }
                Ok(Incoming::Close(code)) => {
                    // Answered with the same code (RFC 6455 §5.5.1) if it is one a frame may
                    // carry, else with none.
                    let reply = match code {
                        Some(code @ (1000..=1003 | 1007..=1014 | 3000..=4999)) => {
                            ws::close_frame(code, "")
                        }
                        _ => ws::bare_close(),
                    };
                    return end_with(&out, |_| reply).await;
                }
                Err(e) => {
                    tracing::debug!(error = %e, "a live client's frames ended");
                    match e.close_frame() {
                        Some(close) => return end_with(&out, |_| close).await,
                        None => return Ok(()),
                    }
                }
            },
        }
    }
}
