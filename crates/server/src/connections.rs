//! The HTTP listener: accepts connections up to a cap and serves each with HTTP/1.1 under a
//! header-read timeout, and shuts down gracefully.
//!
//! axum's own `serve` sets no timer, so a connection that never finishes its request head (or
//! never sends one) was held forever: 1,050 of them used up the file descriptors and
//! `/healthz` stopped answering. Here hyper's header-read timeout runs from the moment a
//! connection waits for a request head — when it is accepted, and again after each response on
//! a kept-alive connection — so it is both the slowloris bound and the idle timeout. HTTP/1.1
//! only: every client of this server speaks it, TLS and HTTP/2 end at a reverse proxy, and
//! one protocol keeps one set of time limits.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tower::ServiceExt;

/// File descriptors kept free beyond the connection cap: the database, its write-ahead log,
/// uploads being written, media being served, outgoing webhooks.
const SPARE_DESCRIPTORS: u64 = 256;

/// Raises the soft limit on open files to the hard limit (what the system allows this process
/// without privileges) and returns the limit now in force, if it is known.
pub fn raise_open_files_limit() -> Option<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        if let Err(e) = setrlimit(Resource::Nofile, raised) {
            tracing::warn!(error = %e, "cannot raise the open files limit");
            return limit.current;
        }
    }
    // `None` is "unlimited".
    Some(getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX))
}

/// The connection cap actually used: the configured one, lowered (with a warning) to what the
/// open files limit leaves beside `websockets` upgraded sockets, so that accepting never fails
/// for want of descriptors.
pub fn effective_cap(configured: usize, websockets: usize, open_files: Option<u64>) -> usize {
    let Some(open_files) = open_files else {
        return configured;
    };
    let room = usize::try_from(open_files.saturating_sub(SPARE_DESCRIPTORS)).unwrap_or(usize::MAX);
    // Half the room at least: a WebSocket cap above the system's means sockets get refused
    // at the limit, not that plain requests stop being accepted.
    let room = room.saturating_sub(websockets).max(room / 2).max(1);
    if room < configured {
        tracing::warn!(
            configured,
            open_files,
            cap = room,
            "the open files limit is below the connection cap: lowering the cap (raise the hard limit, e.g. LimitNOFILE= in systemd)"
        );
        room
    } else {
        configured
    }
}

/// Serves `app` on `listener` until `shutdown` completes; then stops accepting, asks every
/// connection to finish its request in flight and close, and returns once all have closed.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    max_connections: usize,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let slots = Arc::new(Semaphore::new(max_connections));
    let (stopping, stop) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = take_slot(&slots, max_connections) => slot,
            () = &mut shutdown => break,
        };
        let Some(slot) = slot else { break };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors or memory, or a connection reset before it was
                    // accepted: wait a little rather than spin.
                    tracing::error!(error = %e, "accept error");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        tokio::spawn(connection(
            stream,
            remote,
            app.clone(),
            header_read_timeout,
            stop.clone(),
            slot,
        ));
    }
    drop(listener);
    let _ = stopping.send(true);
    // Every connection holds a slot until it closes.
    let all = u32::try_from(max_connections).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
}

/// A free connection slot, waiting (and saying so in the log) while the cap is reached.
async fn take_slot(slots: &Arc<Semaphore>, cap: usize) -> Option<OwnedSemaphorePermit> {
    if let Ok(slot) = Arc::clone(slots).try_acquire_owned() {
        return Some(slot);
    }
    tracing::warn!(
        cap,
        "connection cap reached: new connections wait in the listen queue until one closes"
    );
    Arc::clone(slots).acquire_owned().await.ok()
}

async fn connection(
    stream: tokio::net::TcpStream,
    remote: SocketAddr,
    app: Router,
    header_read_timeout: Duration,
    mut stop: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    // Without TCP_NODELAY, a live frame written while the socket's previous one is still
    // unacknowledged waits for that ACK, which a receiver that sends nothing back delays
    // by up to 40 ms (Nagle's algorithm against delayed ACKs).
    if let Err(e) = stream.set_nodelay(true) {
        tracing::debug!(error = %e, "TCP_NODELAY");
    }
    let service = app.map_request(move |mut request: Request<Incoming>| {
        // What `into_make_service_with_connect_info` would add: the per-IP limits read it.
        request.extensions_mut().insert(ConnectInfo(remote));
        request.map(axum::body::Body::new)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let conn = builder
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
        .with_upgrades();
    let mut conn = std::pin::pin!(conn);
    let mut stopping = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended");
                }
                return;
            }
            changed = stop.wait_for(|stop| *stop), if !stopping => {
                stopping = true;
                if changed.is_ok() {
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}
