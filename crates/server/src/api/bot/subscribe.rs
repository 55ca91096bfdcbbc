//! The bot WebSocket, `GET /subscribe?token=BOT_TOKEN` (path configurable): one text frame
//! per event envelope, nothing else on the wire; pings are answered.
//!
//! A bot's subscription is either its webhook URL or this socket. Without a webhook URL its
//! events wait in the outbox (from before its first connection too) and go out here, oldest
//! first. With a webhook URL the socket stays open but quiet: the webhook owns delivery.
//!
//! Delivered means written: an event is marked delivered once its frame has been flushed to
//! the connection. So a bot that disconnects and reconnects — however it disconnects — gets
//! every event it has not been sent, and nothing twice. Yunhu's socket has no
//! acknowledgements, so a frame still in flight when a connection breaks (written by the
//! server, never read by the bot) is not sent again; a bot that must not miss those uses the
//! webhook (acknowledged by the 2xx), or the admin replays the time range.
//!
//! A *clean* reconnect is one where the bot closed with a Close frame (or the server closed
//! the socket): the server looks for an arrived Close before writing each frame, so it does
//! not write events into a socket the bot has already closed, and those events wait for the
//! next connection. Only a connection that breaks without a close can lose frames in flight.
//!
//! A socket lives as long as the token it was opened with: after the bot's token is rotated
//! (or the bot deleted) it is closed before it sends anything more (the rotation wakes it,
//! and each page of events is read only after the token is checked again).
//!
//! One socket per bot receives: a new connection takes over from the previous one, which is
//! closed (after finishing the frame it is writing, so no event is sent on both).

use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{FutureExt, SinkExt, StreamExt};

use tokio::sync::broadcast::error::RecvError;

use crate::api::AppState;
use crate::api::bot::extract::{AuthedBot, QueryPairs};
use crate::api::limits::Admitted;
use crate::events::Events;
use crate::secret::TokenHash;
use crate::store::{Attempted, Store, StoreError};

/// How many pending events are read and sent per step.
const PAGE: u32 = 64;
/// A bot that does not read its socket for this long is disconnected (its events stay
/// pending past the frame that could not be written).
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a session ended early.
#[derive(Debug, thiserror::Error)]
enum SessionEnd {
    #[error("the bot closed the socket")]
    Closed,
    #[error("socket: {0}")]
    Socket(String),
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("the token it was opened with was replaced")]
    Revoked,
}

/// The upgrade handler. A missing or wrong token gets the bot API's error envelope.
pub(crate) async fn subscribe(
    State(state): State<AppState>,
    Admitted(permit): Admitted,
    AuthedBot(bot): AuthedBot,
    QueryPairs(query): QueryPairs,
    ws: WebSocketUpgrade,
) -> Response {
    // AuthedBot found the bot by this token; the session checks it again before each page.
    let token = query
        .iter()
        .find(|(key, _)| key == "token")
        .map(|(_, value)| TokenHash::of(value))
        .unwrap_or(TokenHash([0; 32]));
    // Bots send nothing but pings: a small initial read buffer, as for user sockets.
    ws.read_buffer_size(crate::api::user::READ_BUFFER)
        .max_message_size(crate::api::user::MAX_CLIENT_MESSAGE)
        .max_frame_size(crate::api::user::MAX_CLIENT_MESSAGE)
        .on_upgrade(move |socket| async move {
            let _permit = permit;
            let events = state.events.clone();
            if let Err(e) = session(&events, &state.store, &bot.bot_id, token, socket).await {
                tracing::info!(bot = %bot.bot_id, error = %e, "bot socket ended");
            }
        })
}

type Sink = SplitSink<WebSocket, Message>;
type Stream = SplitStream<WebSocket>;

async fn session(
    events: &Events,
    store: &Store,
    bot_id: &str,
    token: TokenHash,
    socket: WebSocket,
) -> Result<(), SessionEnd> {
    let _connected = crate::metrics::metrics().client_connected("bot");
    let claim = events.claim(bot_id);
    let (mut sink, mut stream) = socket.split();
    let mut signal = store.event_signal();
    let mut shutdown = events.shutdown_signal();
    let result = async {
        loop {
            {
                // Held while reading, sending and marking: a socket taking over waits here.
                let _turn = claim.turn.lock().await;
                if !events.is_current(bot_id, claim.generation) {
                    return Ok(());
                }
                match send_pending(store, events, bot_id, token, &mut sink, &mut stream).await {
                    Err(SessionEnd::Closed) => return Ok(()),
                    other => other?,
                }
            }
            // Wait for this bot's events (or the safety-net poll), ignoring other bots'.
            let poll_at = tokio::time::Instant::now() + events.config().poll_interval;
            loop {
                tokio::select! {
                    // A close that has arrived is seen before anything is sent again.
                    biased;
                    msg = stream.next() => match msg {
                        // Pings are answered by the WebSocket layer itself; the bot sends
                        // nothing else that means anything (wire §7.1).
                        Some(Ok(Message::Close(_))) | None => return Ok(()),
                        Some(Ok(_)) => continue,
                        Some(Err(e)) => return Err(SessionEnd::Socket(e.to_string())),
                    },
                    woken = signal.recv() => match woken {
                        Ok(wake) if !wake.concerns(bot_id) => continue,
                        Ok(_) | Err(RecvError::Lagged(_)) => break,
                        Err(RecvError::Closed) => return Ok(()),
                    },
                    () = claim.kick.notified() => return Ok(()),
                    _ = shutdown.changed() => return Ok(()),
                    () = tokio::time::sleep_until(poll_at) => break,
                }
            }
        }
    }
    .await;
    events.release(bot_id, claim.generation);
    events.leases().release(bot_id).await;
    let _ = sink.send(Message::Close(None)).await;
    result
}

/// Sends every pending event of the bot (if it has no webhook URL), marking each page.
async fn send_pending(
    store: &Store,
    events: &Events,
    bot_id: &str,
    token: TokenHash,
    sink: &mut Sink,
    stream: &mut Stream,
) -> Result<(), SessionEnd> {
    loop {
        // The token first: events read after a rotation must not reach the old token's
        // holder. One indexed read per page, from the database itself (the rotation's wake
        // can arrive before the token cache is cleared, and on another node before its
        // cache's TTL).
        if !store.bot_has_token(bot_id.to_owned(), token).await? {
            return Err(SessionEnd::Revoked);
        }
        let Some(sub) = store.subscription(bot_id.to_owned()).await? else {
            return Err(SessionEnd::Socket("the bot was deleted".into()));
        };
        if sub.webhook_url.is_some() {
            return Ok(());
        }
        let page = store.pending_events(bot_id.to_owned(), None, PAGE).await?;
        if page.is_empty() {
            return Ok(());
        }
        let mut done = Vec::with_capacity(page.len());
        let mut failed = None;
        let mut elsewhere = false;
        for event in page {
            if !sub.wants(&event.event_type) {
                done.push((event.id, Attempted::Skipped));
                continue;
            }
            // With several nodes, the bot's socket on another node may be the one sending.
            if !events.leases().hold(bot_id).await? {
                elsewhere = true;
                break;
            }
            // A bot that has closed its side would drop what follows: stop before sending.
            match stream.next().now_or_never() {
                Some(Some(Ok(Message::Close(_))) | None) => {
                    failed = Some(SessionEnd::Closed);
                    break;
                }
                Some(Some(Err(e))) => {
                    failed = Some(SessionEnd::Socket(e.to_string()));
                    break;
                }
                Some(Some(Ok(_))) | None => {}
            }
            let frame = Message::Text(
                events
                    .media_urls()
                    .event_for_bot(&event.payload)
                    .into_owned()
                    .into(),
            );
            match tokio::time::timeout(SEND_TIMEOUT, sink.send(frame)).await {
                Ok(Ok(())) => {
                    crate::metrics::metrics().bot_socket_deliveries.inc();
                    done.push((event.id, Attempted::Delivered));
                }
                Ok(Err(e)) => {
                    failed = Some(SessionEnd::Socket(e.to_string()));
                    break;
                }
                Err(_) => {
                    failed = Some(SessionEnd::Socket("the bot stopped reading".into()));
                    break;
                }
            }
        }
        // What was written is recorded even when the socket then failed.
        store.record_attempts(done).await?;
        if let Some(e) = failed {
            return Err(e);
        }
        if elsewhere {
            return Ok(());
        }
    }
}
