//! The Yunhu bot open API (spec §6): every reply is the `{code, msg, data}` envelope with
//! `Content-Type: application/json`, business errors included (HTTP 200).

mod extract;
mod group_admin;
mod handlers;
mod rate_limit;
mod reply;
mod upload;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::post;

use super::AppState;

/// The bot API routes, to be nested under `/open-apis/v1`.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/bot/send", post(handlers::send))
        .route("/bot/batch_send", post(handlers::batch_send))
        .route("/bot/edit", post(handlers::edit))
        .route("/bot/recall", post(handlers::recall))
        // Every SDK uses GET; yhchatAPI documents POST. Both are answered (spec §12 item 11).
        .route(
            "/bot/messages",
            post(handlers::messages_post).get(handlers::messages_get),
        )
        .route("/group/gag-member", post(group_admin::gag_member))
        .route("/group/remove-member", post(group_admin::remove_member))
        .route("/group/msg-type-limit", post(group_admin::msg_type_limit))
        // eris calls it both ways (spec §12 item 12).
        .route(
            "/group/tag/list",
            post(group_admin::tag_list).get(group_admin::tag_list),
        )
        .route("/group/tag/create", post(group_admin::tag_create))
        .route("/group/tag/edit", post(group_admin::tag_edit))
        .route("/group/tag/delete", post(group_admin::tag_delete))
        .route("/group/tag/user-relate", post(group_admin::tag_user_relate))
        .route(
            "/group/tag/user-relate-cancel",
            post(group_admin::tag_user_relate_cancel),
        )
        .layer(DefaultBodyLimit::max(state.max_body_bytes))
        // Uploads read their body as a stream and enforce their own per-kind limits, so they
        // are added after the body limit above, which does not apply to them.
        .route("/image/upload", post(upload::image))
        .route("/video/upload", post(upload::video))
        .route("/file/upload", post(upload::file))
        // Every bot call, uploads included, counts against its bot's limit (spec §8).
        .route_layer(middleware::from_fn_with_state(
            rate_limit::BotRateLimiter::new(state.rate_limit),
            rate_limit::limit,
        ))
}
