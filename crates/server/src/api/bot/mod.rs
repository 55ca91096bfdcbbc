//! The Yunhu bot open API (wire §6): every reply is the `{code, msg, data}` envelope with
//! `Content-Type: application/json`, business errors included (HTTP 200).

/// A bot API path: every one is under `/open-apis/v1`. The routes carry the prefix and the
/// router is merged into the application's rather than nested under it: a nested router
/// rewrites every request's URI to strip its prefix (an allocation and a parse per request,
/// on the hottest routes there are).
macro_rules! at {
    ($path:literal) => {
        concat!("/open-apis/v1", $path)
    };
}

pub(crate) mod extract;
mod group_admin;
mod handlers;
mod rate_limit;
pub(crate) mod reply;
pub(crate) mod subscribe;
mod upload;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::post;

use super::AppState;
use super::limits::{self, Face};

/// The bot API routes, each under `/open-apis/v1`.
pub fn router(state: AppState) -> Router<AppState> {
    let router = Router::new()
        // Group administration (wire §6.9), in its own file.
        .merge(group_admin::routes())
        .route(at!("/bot/send"), post(handlers::send))
        .route(at!("/bot/batch_send"), post(handlers::batch_send))
        .route(at!("/bot/edit"), post(handlers::edit))
        .route(at!("/bot/recall"), post(handlers::recall))
        .route(at!("/bot/answer-click"), post(handlers::answer_click))
        // Every SDK uses GET; yhchatAPI documents POST. Both are answered (wire §12 item 11).
        .route(
            at!("/bot/messages"),
            post(handlers::messages_post).get(handlers::messages_get),
        )
        .route(at!("/bot/board"), post(handlers::board))
        .route(at!("/bot/board-all"), post(handlers::board_all))
        .route(at!("/bot/board-dismiss"), post(handlers::board_dismiss))
        .route(
            at!("/bot/board-all-dismiss"),
            post(handlers::board_all_dismiss),
        )
        .layer(middleware::from_fn_with_state(
            (state.request_timeout, Face::Bot),
            limits::timeout,
        ))
        // Uploads (wire §6.7) and send-stream read their bodies as they arrive, for as long
        // as the client takes (an LLM's answer, a large file on a slow link): no time limit.
        // Uploads enforce their own per-kind size limits while streaming: the body limit
        // below only bounds extractors that buffer, which they do not use.
        .merge(upload::routes())
        .route(at!("/bot/send-stream"), post(handlers::send_stream))
        // After every route: it applies to the routes registered before it.
        .method_not_allowed_fallback(reply::wrong_method)
        .layer(DefaultBodyLimit::max(state.max_body_bytes));
    // Every bot call, uploads included, counts against its bot's limit (wire §8).
    match rate_limit::BotRateLimiter::new(state.rate_limit) {
        Some(limiter) => {
            router.route_layer(middleware::from_fn_with_state(limiter, rate_limit::limit))
        }
        None => router,
    }
}
