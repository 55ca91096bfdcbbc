//! The user client API under `/api/v1`: what a person's client (the web client, or any other)
//! uses to read and answer. Authorised by the user's token, `Authorization: Bearer <token>`
//! (the live WebSocket also takes `?token=`, since browsers cannot set headers on it). Answers
//! with HTTP statuses and JSON; errors as `{"error": {"code", "message"}}`.

mod handlers;
mod live;

pub(crate) use live::READ_BUFFER;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Query};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::routing::{get, post, put};
use serde::Deserialize;

use super::AppState;
use super::problem::Problem;
use crate::secret::TokenHash;
use crate::store::User;

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
        .route("/messages/{msg_id}/click", post(click))
        .route("/bots/{bot_id}/follow", put(follow).delete(unfollow))
        .route("/groups/{group_id}/members", get(members))
        .route("/groups/{group_id}/join", post(join))
        .route("/groups/{group_id}/leave", post(leave))
        .route("/live", get(live::live))
        .layer(DefaultBodyLimit::max(MAX_USER_BODY))
}

/// The user whose token came with the request.
pub(crate) struct AuthedUser(pub User);

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

impl FromRequestParts<AppState> for AuthedUser {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        const REFUSED: &str = "missing or wrong user token (send Authorization: Bearer <token>)";
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_owned());
        // Only the WebSocket may carry the token in the query string.
        let query = if parts.uri.path().ends_with("/live") {
            Query::<TokenQuery>::try_from_uri(&parts.uri)
                .ok()
                .and_then(|Query(q)| q.token)
        } else {
            None
        };
        let token = header
            .or(query)
            .filter(|t| !t.is_empty())
            .ok_or(Problem::Unauthorized(REFUSED))?;
        state
            .store
            .user_by_token(TokenHash::of(&token))
            .await?
            .map(AuthedUser)
            .ok_or(Problem::Unauthorized(REFUSED))
    }
}
