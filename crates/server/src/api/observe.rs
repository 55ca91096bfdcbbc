//! What every request leaves behind: a span naming its method and path (never the query: the
//! bot token travels there), one log line at info with its status and latency under that
//! span, and the HTTP metrics by route template (see [`crate::metrics`]).
//!
//! One middleware, where there were two layers (tower-http's `TraceLayer` and a metrics
//! layer): each layer is another future to poll on every wake-up and another boxed service
//! to clone per request, and the trace layer wraps every response body in one of its own.
//! Measured on batch_send to one group (BENCHMARKS.md, issue 19, "the request's own cost"),
//! the middleware around a bot call cost more server CPU per request than the handler's own
//! work on the HTTP side. The labels are interned once per route, so counting a request
//! allocates nothing.

use std::collections::HashSet;
use std::sync::{LazyLock, PoisonError, RwLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::metrics::{RequestLabels, RouteLabels, metrics};

/// The target of the per-request log lines, so that they can be left out on their own
/// (`RUST_LOG=info,cloudlake::requests=warn`, README).
const REQUESTS: &str = "cloudlake::requests";

/// Middleware: the span, the log line and the metrics of one request (see the module doc).
pub(crate) async fn observe(req: Request, next: Next) -> Response {
    let span = tracing::info_span!("request", method = %req.method(), path = %req.uri().path());
    let route = RouteLabels {
        method: method_label(req.method()),
        route: req
            .extensions()
            .get::<MatchedPath>()
            .map_or("unmatched", |p| intern(p.as_str())),
    };
    let started = Instant::now();
    let response = next.run(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status();
    span.in_scope(|| {
        // Whole microseconds: a float prints with all its binary noise in both log formats.
        let latency_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        // As tower-http's trace layer did: a server error is a failure, logged as one.
        if status.is_server_error() {
            tracing::error!(target: REQUESTS, latency_us, status = status.as_u16(), "response failed");
        } else {
            tracing::info!(
                target: REQUESTS,
                latency_us,
                status = status.as_u16(),
                "finished processing request"
            );
        }
    });
    let m = metrics();
    m.request_seconds
        .get_or_create(&route)
        .observe(elapsed.as_secs_f64());
    m.requests
        .get_or_create(&RequestLabels {
            method: route.method,
            route: route.route,
            status: status.as_u16(),
        })
        .inc();
    response
}

/// The method as a label: the standard ones by name, any other as `other` (a client may send
/// any token as a method, and each would otherwise be a series of its own).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// A route template as a `'static` label. The templates are the router's, a fixed set, so
/// each is leaked once and looked up after that.
fn intern(template: &str) -> &'static str {
    static SEEN: LazyLock<RwLock<HashSet<&'static str>>> = LazyLock::new(Default::default);
    if let Some(&known) = SEEN
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(template)
    {
        return known;
    }
    let mut seen = SEEN.write().unwrap_or_else(PoisonError::into_inner);
    if let Some(&known) = seen.get(template) {
        return known;
    }
    let leaked: &'static str = Box::leak(template.into());
    seen.insert(leaked);
    leaked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_is_interned_once() {
        let a = intern("/open-apis/v1/bot/send");
        let b = intern(&String::from("/open-apis/v1/bot/send"));
        assert!(std::ptr::eq(a, b), "the same leaked string both times");
        assert_eq!(a, "/open-apis/v1/bot/send");
    }

    #[test]
    fn an_unknown_method_is_one_label() {
        let made_up = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&made_up), "other");
        assert_eq!(method_label(&Method::POST), "POST");
    }
}
