//! A bot's settings in a group (wire §7.9), for the group's owner and administrators:
//! `GET /groups/{groupId}/bots/{botId}/settings` shows the bot's settings form with the values
//! saved there; `PUT` the same saves new ones, and the bot gets `bot.setting`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::AuthedUser;
use crate::api::AppState;
use crate::api::problem::Problem;
use crate::store::Settings;

type Result<T> = std::result::Result<T, Problem>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsBody {
    /// Field ID → value, as a form command's values (a field left out takes its default).
    values: Option<Map<String, Value>>,
}

/// The answer for every outcome: the settings as JSON, or the status that says why not.
fn answer(outcome: Settings) -> Result<impl IntoResponse> {
    match outcome {
        Settings::Shown(settings) => Ok(Json(settings)),
        // As for any chat the user cannot read: nothing said about the group.
        Settings::NotMember => Err(Problem::NotFound("no such chat among yours".into())),
        Settings::NotAdmin => Err(Problem::Forbidden(
            "only the group's owner and administrators set its bots' settings".into(),
        )),
        Settings::NoBot => Err(Problem::NotFound("no such bot in this group".into())),
        Settings::NoForm => Err(Problem::NotFound("this bot has no settings form".into())),
        Settings::Invalid(reason) => Err(Problem::BadRequest(reason)),
    }
}

/// `GET /groups/{groupId}/bots/{botId}/settings` → `{"botId", "groupId", "fields", "values"}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    AuthedUser(user): AuthedUser,
    Path((group_id, bot_id)): Path<(String, String)>,
) -> Result<impl IntoResponse> {
    answer(
        state
            .store
            .group_settings(user.user_id, group_id, bot_id)
            .await?,
    )
}

/// `PUT /groups/{groupId}/bots/{botId}/settings` with `{"values": {...}}` → the settings as
/// saved (the same shape as `GET`); the bot gets `bot.setting`. Values that do not fit the
/// form: 400, and nothing is saved or sent.
pub(crate) async fn save(
    State(state): State<AppState>,
    AuthedUser(user): AuthedUser,
    Path((group_id, bot_id)): Path<(String, String)>,
    raw: Bytes,
) -> Result<impl IntoResponse> {
    let body: SettingsBody = serde_json::from_slice(&raw)
        .map_err(|e| Problem::BadRequest(format!("invalid JSON body: {e}")))?;
    let values = body
        .values
        .ok_or_else(|| Problem::BadRequest("values (field ID → value) is required".into()))?;
    answer(
        state
            .store
            .save_group_settings(user.user_id, group_id, bot_id, values)
            .await?,
    )
}
