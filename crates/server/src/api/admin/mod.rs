//! The admin API under `/admin/v1`: users, groups, bots and their relations. Authorised by
//! `Authorization: Bearer <admin token>`; answers with ordinary HTTP statuses and JSON bodies,
//! errors as `{"error": {"code": "...", "message": "..."}}`.

mod bot_profile;
mod bot_settings;
mod deliveries;
mod handlers;
mod menus;
mod request;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{delete, get, post, put};

use super::AppState;
use super::problem::Problem;
use crate::secret::TokenHash;

/// Admin bodies are small: a name, an ID, a URL.
const MAX_ADMIN_BODY: usize = 64 * 1024;

/// The admin routes, to be nested under `/admin/v1`.
pub fn router(state: AppState) -> Router<AppState> {
    use handlers::*;
    Router::new()
        .route("/users", post(create_user).get(list_users))
        .route("/users/{id}", get(show_user).delete(delete_user))
        .route("/users/{id}/token", post(rotate_user_token))
        .route(
            "/users/{id}/password",
            put(set_user_password).delete(clear_user_password),
        )
        .route("/groups", post(create_group).get(list_groups))
        .route("/groups/{id}", get(show_group).delete(delete_group))
        .route(
            "/groups/{id}/members/{user}",
            put(set_member).delete(remove_member),
        )
        .route(
            "/groups/{id}/bots/{bot}",
            put(add_bot_to_group).delete(remove_bot_from_group),
        )
        .route(
            "/groups/{id}/bots/{bot}/permissions",
            put(set_bot_permissions),
        )
        .route("/bots", post(create_bot).get(list_bots))
        .route(
            "/bots/{id}",
            get(show_bot)
                .delete(delete_bot)
                .patch(bot_profile::update_bot),
        )
        .route("/bots/{id}/token", post(rotate_bot_token))
        .route("/bots/{id}/followers/{user}", put(follow).delete(unfollow))
        .route("/bots/{id}/commands", post(add_command).get(list_commands))
        .route("/bots/{id}/commands/{name}", delete(remove_command))
        .route(
            "/bots/{id}/menus",
            post(menus::add_menu).get(menus::list_menus),
        )
        .route("/bots/{id}/menus/{menu_id}", delete(menus::remove_menu))
        .route(
            "/bots/{id}/settings-form",
            get(bot_settings::settings_form).put(bot_settings::set_settings_form),
        )
        .route(
            "/bots/{id}/webhook",
            get(deliveries::show_webhook).put(deliveries::set_webhook),
        )
        .route("/bots/{id}/deliveries", get(deliveries::show_deliveries))
        .route("/bots/{id}/replay", post(deliveries::replay))
        .route(
            "/bots/{id}/secret",
            get(deliveries::show_secret).post(deliveries::rotate_secret),
        )
        .layer(DefaultBodyLimit::max(MAX_ADMIN_BODY))
        .route_layer(middleware::from_fn_with_state(state, require_admin))
        .layer(middleware::map_response(super::problem::json_errors))
}

/// Whether the request carries the admin token (`Authorization: Bearer …`), compared in
/// constant time.
pub(crate) fn is_admin(state: &AppState, headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .is_some_and(|token| TokenHash::of(token).matches(&state.admin_token))
}

/// Lets a request through only with the admin token.
async fn require_admin(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, Problem> {
    match is_admin(&state, req.headers()) {
        true => Ok(next.run(req).await),
        false => Err(Problem::Unauthorized(
            "missing or wrong admin token (send Authorization: Bearer <token>)",
        )),
    }
}
