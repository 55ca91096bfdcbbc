//! Limits that keep one client from holding the server's resources: a time limit on every
//! request, and caps on open WebSockets (in all, and per IP address).
//!
//! Body sizes are bounded where bodies are read: the bot API by `--max-body-bytes`, the user
//! API by the same default, the admin API by 64 KiB, every other extractor by axum's 2 MB
//! default, and uploads by their per-kind limits while they stream.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cloudlake_protocol::{ApiError, Envelope};

use crate::config::Limits;

/// Which kind of error body a time-out gets.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Face {
    /// The bot API: HTTP 200 with the Yunhu envelope (clients read `code`, wire §3).
    Bot,
    /// Our own APIs: HTTP 408 with `{"error": …}`.
    Platform,
}

/// Middleware: answers a request that takes longer than `limit` with a time-out and drops
/// its handler. A write the handler had already queued is still committed, but was never
/// acknowledged: a client that retries may store it twice (as with any lost reply).
pub(crate) async fn timeout(
    State((limit, face)): State<(Duration, Face)>,
    req: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(
                limit_secs = limit.as_secs_f64(),
                "request timed out; answered with an error"
            );
            match face {
                Face::Bot => Json(Envelope::<()>::error(ApiError::business("请求超时"))).into_response(),
                Face::Platform => (
                    StatusCode::REQUEST_TIMEOUT,
                    Json(serde_json::json!({"error": {"code": "timeout", "message": "the request took too long"}})),
                )
                    .into_response(),
            }
        }
    }
}

/// Counts open WebSockets, in all and per peer IP. Cloning it is cheap.
#[derive(Clone)]
pub struct WsLimits {
    inner: Arc<WsInner>,
}

struct WsInner {
    max_total: usize,
    max_per_ip: usize,
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    total: usize,
    by_ip: HashMap<IpAddr, usize>,
}

/// Why a WebSocket was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WsRefused {
    /// The server has as many WebSockets open as it allows.
    #[error("too many WebSocket connections on this server; try again later")]
    Total,
    /// This IP address has as many open as it may.
    #[error("too many WebSocket connections from this address")]
    PerIp,
}

/// One open WebSocket's place; gives it back when dropped.
pub struct WsPermit {
    limits: WsLimits,
    ip: IpAddr,
}

impl WsLimits {
    /// Limits as configured.
    pub fn new(limits: &Limits) -> Self {
        WsLimits {
            inner: Arc::new(WsInner {
                max_total: limits.max_websockets,
                max_per_ip: limits.max_websockets_per_ip,
                open: Mutex::default(),
            }),
        }
    }

    /// Takes a place for a WebSocket from the request's peer, or says why not. Call it before
    /// upgrading and keep the permit for the socket's life.
    pub(crate) fn admit(&self, parts: &Parts) -> Result<WsPermit, WsRefused> {
        // The peer address comes from the listener; without it (a router served some other
        // way) every socket shares one bucket, still under the global cap. Behind a reverse
        // proxy every client has the proxy's address: no forwarded header is trusted.
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        let mut open = self
            .inner
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let refused = if open.total >= self.inner.max_total {
            Some(WsRefused::Total)
        } else if open.by_ip.get(&ip).copied().unwrap_or(0) >= self.inner.max_per_ip {
            Some(WsRefused::PerIp)
        } else {
            None
        };
        if let Some(refused) = refused {
            crate::metrics::metrics().ws_refused.inc();
            tracing::info!(%ip, reason = %refused, "WebSocket refused");
            return Err(refused);
        }
        open.total += 1;
        *open.by_ip.entry(ip).or_default() += 1;
        Ok(WsPermit {
            limits: self.clone(),
            ip,
        })
    }
}

impl Drop for WsPermit {
    fn drop(&mut self) {
        let mut open = self
            .limits
            .inner
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        open.total = open.total.saturating_sub(1);
        if let Some(n) = open.by_ip.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.by_ip.remove(&self.ip);
            }
        }
    }
}

/// The extractor form: a permit, or a refusal answered with HTTP 429.
pub(crate) struct Admitted(pub WsPermit);

impl axum::extract::FromRequestParts<super::AppState> for Admitted {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &super::AppState,
    ) -> Result<Self, Response> {
        state.ws_limits.admit(parts).map(Admitted).map_err(|e| {
            (
                StatusCode::TOO_MANY_REQUESTS,
                Json(serde_json::json!({"error": {"code": "too_many_connections", "message": e.to_string()}})),
            )
                .into_response()
        })
    }
}
