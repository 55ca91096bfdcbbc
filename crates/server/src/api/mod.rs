//! The HTTP surface: the Yunhu bot API under `/open-apis/v1`, the admin API under
//! `/admin/v1`, and `/healthz`. Handlers only translate between HTTP and the services.

pub mod admin;
pub mod bot;
mod drain;
pub mod limits;
pub mod media;
mod observe;
pub mod problem;
pub mod user;
pub mod web_api;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use std::sync::Arc;

use crate::bus::sink::LiveSink;
use crate::config::RateLimit;
use crate::events::Events;
use crate::gateway::Gateway;
use crate::secret::TokenHash;
use crate::service::{Media, Messaging};
use crate::store::Store;

/// What every handler can reach, behind one `Arc`.
///
/// axum's `State` extractor clones the state for every request: as a struct of a dozen
/// services, each holding `Arc`s and channel senders, that clone and its drop were about 3%
/// of the server's CPU under a batch send at full load (perf, issue 19); now it is one
/// reference count.
#[derive(Clone)]
pub struct AppState(Arc<AppServices>);

impl AppState {
    /// Shares `services` with every handler.
    pub fn new(services: AppServices) -> Self {
        AppState(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppServices;

    fn deref(&self) -> &AppServices {
        &self.0
    }
}

/// The services and settings the handlers use (through [`AppState`]).
pub struct AppServices {
    /// The bot-facing message service.
    pub messaging: Messaging,
    /// The store, for the admin and user APIs.
    pub store: Store,
    /// Live sessions.
    pub gateway: Gateway,
    /// Where committed changes leave for the live layer (see [`LiveSink::settled`]).
    pub publishing: Arc<LiveSink>,
    /// The hash of the admin token.
    pub admin_token: TokenHash,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Uploads and their bytes.
    pub media: Media,
    /// The bot API's per-bot, per-API rate limit.
    pub rate_limit: RateLimit,
    /// Event delivery to bots (the bot WebSocket's state).
    pub events: Events,
    /// The longest a request may take (see [`crate::config::Limits`]).
    pub request_timeout: std::time::Duration,
    /// Open WebSockets, counted against their limits.
    pub ws_limits: limits::WsLimits,
    /// The longest an upload may take to arrive (see [`crate::config::Limits`]).
    pub upload_timeout: std::time::Duration,
}

/// The whole application's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/open-apis/v1/openapi.json", get(bot_openapi))
        .route("/metrics", get(metrics))
        .nest("/admin/v1", admin::router(state.clone()))
        .nest("/api/v1", user::router())
        .route("/media/{key}", get(media::serve))
        .nest("/v1", web_api::router())
        .route(
            &state.events.config().subscribe_path,
            get(bot::subscribe::subscribe),
        )
        .merge(crate::web::router())
        // Every route so far (a WebSocket only until its upgrade; a file until its head).
        .layer(axum::middleware::from_fn_with_state(
            (state.request_timeout, limits::Face::Platform),
            limits::timeout,
        ))
        // User uploads have the upload time limit instead (a large one on a slow link takes
        // longer than any other request).
        .nest("/api/v1", user::upload_router())
        // The bot API applies its own, enveloped, to all but its streaming routes.
        .merge(bot::router(state.clone()))
        .fallback(not_found)
        // Outside every route (Router::layer wraps each route), so it sees the matched
        // template and times the whole handling, limits and authentication included; its
        // span names the path only (see `observe`).
        .layer(axum::middleware::from_fn(observe::observe))
        .with_state(state)
}

async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

/// The OpenAPI description of the user and admin APIs, kept beside the handlers it describes
/// (a test checks every documented operation against the running router).
const OPENAPI: &str = include_str!("openapi.json");

/// The OpenAPI description of the bot API (the Yunhu-compatible routes under `/open-apis/v1`).
const BOT_OPENAPI: &str = include_str!("bot/openapi.json");

async fn bot_openapi() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        BOT_OPENAPI,
    )
}

async fn openapi() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI,
    )
}

/// `GET /metrics`: the Prometheus metrics, for the admin token only (see [`crate::metrics`]
/// for why).
async fn metrics(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<axum::response::Response, problem::Problem> {
    if !admin::is_admin(&state, &headers) {
        return Err(problem::Problem::Unauthorized(
            "missing or wrong admin token (send Authorization: Bearer <token>)",
        ));
    }
    let m = crate::metrics::metrics();
    match state.store.outbox_depth().await {
        Ok(depth) => {
            m.outbox_depth.set(depth);
        }
        // The other numbers are still worth having; the gauge keeps its last value.
        Err(e) => tracing::warn!(error = %e, "could not count the outbox for /metrics"),
    }
    match state.store.search_index_lag().await {
        Ok(lag) => {
            m.search_index_lag.set(lag);
        }
        Err(e) => tracing::warn!(error = %e, "could not read the search index's lag for /metrics"),
    }
    let text = m
        .encode()
        .map_err(|_| problem::Problem::Internal("metrics do not encode".into()))?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// No route: under `/open-apis/` the bot API's envelope with HTTP 200 (bot clients raise on
/// any other status before reading the body); elsewhere 404, with the same JSON.
async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    let envelope = Json(cloudlake_protocol::Envelope::<()>::error(
        cloudlake_protocol::ApiError::unknown_api(),
    ));
    if uri.path().starts_with("/open-apis/") {
        envelope.into_response()
    } else {
        (StatusCode::NOT_FOUND, envelope).into_response()
    }
}
