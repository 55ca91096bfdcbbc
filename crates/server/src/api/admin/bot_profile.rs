//! A bot's profile as the admin edits it: `PATCH /bots/{id}` with `{"description"}`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

use super::request::{Result, body};
use crate::api::AppState;
use crate::api::problem::Problem;
use crate::store::MAX_BOT_DESCRIPTION_CHARS;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct BotUpdate {
    /// What the bot is for; `""` clears it.
    description: Option<String>,
}

/// `PATCH /bots/{id}` `{"description"}` → `{"botId", "description"}`: the description people
/// see with the bot in a group's info. Trimmed; at most [`MAX_BOT_DESCRIPTION_CHARS`]
/// characters, line breaks kept, other control characters refused.
pub(crate) async fn update_bot(
    State(state): State<AppState>,
    Path(id): Path<String>,
    raw: Bytes,
) -> Result<impl IntoResponse> {
    let update: BotUpdate = body(&raw)?;
    let description = update
        .description
        .ok_or_else(|| Problem::BadRequest("nothing to change: send {\"description\"}".into()))?;
    let description = description.trim().to_owned();
    let chars = description.chars().count();
    if chars > MAX_BOT_DESCRIPTION_CHARS {
        return Err(Problem::BadRequest(format!(
            "description is {chars} characters; at most {MAX_BOT_DESCRIPTION_CHARS}"
        )));
    }
    if description.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Problem::BadRequest(
            "description may hold line breaks but no other control characters".into(),
        ));
    }
    if !state
        .store
        .set_bot_description(id.clone(), description.clone())
        .await?
    {
        return Err(Problem::NotFound(format!("bot {id} not found")));
    }
    Ok(Json(json!({ "botId": id, "description": description })))
}
