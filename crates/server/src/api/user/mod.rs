//! The user client API under `/api/v1`: what a person's client (the web client, or any other)
//! uses to read and answer. Authorised by the user's token, `Authorization: Bearer <token>`
//! (the live WebSocket also takes `?token=`, since browsers cannot set headers on it). Answers
//! with HTTP statuses and JSON; errors as `{"error": {"code", "message"}}`.

mod cards;
mod direct;
mod handlers;
mod live;
mod session;
mod settings;
mod uploads;

pub(crate) use live::{MAX_CLIENT_MESSAGE, READ_BUFFER};
pub(crate) use session::MAX_PASSWORD_CHARS;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Query};
use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::routing::{delete, get, post, put};
use serde::Deserialize;

use super::AppState;
use super::problem::Problem;
use crate::clock::now_ms;
use crate::secret::TokenHash;
use crate::store::{StoreError, User};

/// User bodies are messages: the same limit as the bot API's default.
const MAX_USER_BODY: usize = crate::config::DEFAULT_MAX_BODY_BYTES;

/// The user API routes, to be nested under `/api/v1`.
pub fn router() -> Router<AppState> {
    use handlers::*;
    Router::new()
        .route("/me", get(me))
        .route("/chats", get(chats))
        .route(
            "/chats/{chat_type}/{chat_id}/messages",
            get(history).post(send),
        )
        .route("/chats/{chat_type}/{chat_id}/read", post(mark_read))
        .route("/chats/{chat_type}/{chat_id}/forms", post(send_form))
        .route("/chats/{chat_type}/{chat_id}/menus", get(chat_menus))
        .route(
            "/chats/{chat_type}/{chat_id}/menus/{menu_id}",
            post(press_menu),
        )
        .route("/messages/{msg_id}", delete(recall))
        .route("/messages/{msg_id}/edit", post(edit))
        .route("/messages/{msg_id}/click", post(click))
        .route("/messages/{msg_id}/a2ui-action", post(cards::action))
        .route(
            "/messages/{msg_id}/reactions/{emoji}",
            put(react).delete(unreact),
        )
        .route("/search", get(search))
        .route("/bots", get(bots))
        .route("/bots/{bot_id}/follow", put(follow).delete(unfollow))
        .route("/bots/{bot_id}/commands", get(bot_commands))
        .route("/groups", get(groups))
        .route("/groups/{group_id}/members", get(members))
        .route("/groups/{group_id}/join", post(join))
        .route("/groups/{group_id}/leave", post(leave))
        .route(
            "/groups/{group_id}/bots/{bot_id}/settings",
            get(settings::show).put(settings::save),
        )
        .route("/dms", post(direct::start))
        .route("/users", get(direct::people))
        .route("/live", get(live::live))
        .route("/session", post(session::sign_in).delete(session::sign_out))
        .layer(DefaultBodyLimit::max(MAX_USER_BODY))
        .layer(axum::Extension(session::SignInLimiter::new()))
        .layer(axum::middleware::map_response(super::problem::json_errors))
}

/// The upload route, to be nested under `/api/v1` outside the request time limit: uploads
/// have their own (see [`uploads`]). Bodies are streamed to disk, bounded by the upload
/// limits rather than [`DefaultBodyLimit`].
pub fn upload_router() -> Router<AppState> {
    Router::new()
        .route("/uploads/{kind}", post(uploads::upload))
        .layer(axum::middleware::map_response(super::problem::json_errors))
}

/// The user whose token came with the request.
pub(crate) struct AuthedUser(pub User);

/// The name of the cookie that carries a session token in a browser. The web client sends
/// its token as a bearer header to the API; the cookie is for what a page loads by URL
/// (`<img src="/media/…">`), which cannot carry a header.
pub(crate) const SESSION_COOKIE: &str = "cloudlake_session";

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// The bearer token of a request, if it has one.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// The session token in the request's cookie, if any.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// The user a credential belongs to: their user token, or the token of an unexpired session.
pub(crate) async fn user_for_credential(
    state: &AppState,
    token: &str,
) -> Result<Option<User>, StoreError> {
    user_for_hash(state, TokenHash::of(token)).await
}

/// [`user_for_credential`] for a token already hashed.
pub(crate) async fn user_for_hash(
    state: &AppState,
    hash: TokenHash,
) -> Result<Option<User>, StoreError> {
    if let Some(user) = state.store.user_by_token(hash).await? {
        return Ok(Some(user));
    }
    state.store.user_by_session(hash, now_ms()).await
}

/// The token a request presents: its bearer header, or on the live socket `?token=`.
fn presented_token(parts: &Parts) -> Option<String> {
    // Only the WebSocket may carry the token in the query string.
    let query = if parts.uri.path().ends_with("/live") {
        Query::<TokenQuery>::try_from_uri(&parts.uri)
            .ok()
            .and_then(|Query(q)| q.token)
    } else {
        None
    };
    bearer(&parts.headers).or(query).filter(|t| !t.is_empty())
}

impl FromRequestParts<AppState> for AuthedUser {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        const REFUSED: &str =
            "missing or wrong user or session token (send Authorization: Bearer <token>)";
        let token = presented_token(parts).ok_or(Problem::Unauthorized(REFUSED))?;
        user_for_credential(state, &token)
            .await?
            .map(AuthedUser)
            .ok_or(Problem::Unauthorized(REFUSED))
    }
}

/// The hash of the token the request presents (checked by [`AuthedUser`], not here): a live
/// socket is registered under it, so signing out of that session ends that socket.
pub(crate) struct PresentedCredential(pub Option<TokenHash>);

impl<S: Send + Sync> FromRequestParts<S> for PresentedCredential {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        Ok(PresentedCredential(
            presented_token(parts).map(|t| TokenHash::of(&t)),
        ))
    }
}
