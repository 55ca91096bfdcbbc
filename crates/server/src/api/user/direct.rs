//! Direct messages between people (issue 21): `POST /dms` starts one (or finds the one that
//! exists), `GET /users` finds the people to start one with. Once started, a direct chat is
//! read, sent to, marked read and searched through the same routes as any chat, as
//! `dm/{low}:{high}`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

use super::AuthedUser;
use super::handlers::summary_json;
use crate::api::AppState;
use crate::api::problem::Problem;
use crate::ids::check_id;
use crate::store::StartDirect;

type Result<T> = std::result::Result<T, Problem>;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StartBody {
    user_id: String,
}

fn no_user(user_id: &str) -> Problem {
    Problem::NotFound(format!("no user {user_id:?}"))
}

/// `POST /dms` with `{"userId": …}`: the direct chat with that user, as the chat list shows
/// it; started now (201) or earlier by either of the two (200). Any two users may write to
/// each other; a user cannot write to themselves (400), nor to a user that does not exist
/// (404).
pub(crate) async fn start(
    State(state): State<AppState>,
    AuthedUser(user): AuthedUser,
    raw: Bytes,
) -> Result<impl IntoResponse> {
    let body: StartBody = serde_json::from_slice(&raw).map_err(|e| {
        Problem::BadRequest(format!(
            "invalid JSON body (send {{\"userId\": \"…\"}}): {e}"
        ))
    })?;
    // An ID no user can have names no user: 404 without a lookup, as an unknown one.
    if check_id(&body.user_id).is_err() {
        return Err(no_user(&body.user_id));
    }
    let (chat, new) = match state
        .store
        .start_direct(user.user_id.clone(), body.user_id.clone())
        .await?
    {
        StartDirect::Started { chat, new } => (chat, new),
        StartDirect::Itself => {
            return Err(Problem::BadRequest(
                "you cannot start direct messages with yourself".into(),
            ));
        }
        StartDirect::NoUser => return Err(no_user(&body.user_id)),
    };
    let list = state.store.chat_list(user.user_id.clone()).await?;
    // Read after the commit, so it is there unless the other user was deleted since.
    let summary = list
        .iter()
        .find(|s| s.chat == chat)
        .ok_or_else(|| no_user(&body.user_id))?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(summary_json(&user.user_id, summary)?)))
}

/// The most people a search lists at once.
const MAX_PEOPLE: u32 = 50;
/// How many when none is asked for.
const DEFAULT_PEOPLE: u32 = 20;
/// The longest search text, in characters.
const MAX_PEOPLE_QUERY: usize = 100;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PeopleQuery {
    query: Option<String>,
    limit: Option<u32>,
}

/// `GET /users?query=&limit=`: the users whose nickname contains `query` (or whose ID is
/// it), by nickname, at most `limit` (1 to 50, default 20); every user, in that order, for
/// no query. `truncated` says more matched. Nicknames and avatars are what any user of the
/// server may see of another, in a group or a direct chat.
pub(crate) async fn people(
    State(state): State<AppState>,
    AuthedUser(_): AuthedUser,
    Query(params): Query<PeopleQuery>,
) -> Result<impl IntoResponse> {
    let limit = params.limit.unwrap_or(DEFAULT_PEOPLE);
    if !(1..=MAX_PEOPLE).contains(&limit) {
        return Err(Problem::BadRequest(format!(
            "limit {limit} is not between 1 and {MAX_PEOPLE}"
        )));
    }
    let query = params.query.unwrap_or_default().trim().to_owned();
    if query.chars().count() > MAX_PEOPLE_QUERY {
        return Err(Problem::BadRequest(format!(
            "query is longer than {MAX_PEOPLE_QUERY} characters"
        )));
    }
    if query.contains('\0') {
        return Err(Problem::BadRequest("query contains a NUL character".into()));
    }
    let (users, truncated) = state.store.find_people(query, limit).await?;
    Ok(Json(json!({ "users": users, "truncated": truncated })))
}
