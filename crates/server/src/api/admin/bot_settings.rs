//! A bot's per-group settings form (wire §7.9) in the admin API:
//! `GET`/`PUT /bots/{id}/settings-form`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

use super::request::{Result, body};
use crate::api::AppState;
use crate::api::problem::Problem;
use crate::store::{FormField, check_form};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SettingsForm {
    fields: Option<Vec<FormField>>,
}

/// `PUT /bots/{id}/settings-form` with `{"fields": [...]}` (a form command's fields: `id`,
/// `type`, `label`?, `options`?, `default`?) → 200 and the form as stored. An empty list
/// removes the form, and every group's values of it.
pub(crate) async fn set_settings_form(
    State(state): State<AppState>,
    Path(bot): Path<String>,
    raw: Bytes,
) -> Result<impl IntoResponse> {
    let req: SettingsForm = body(&raw)?;
    let fields = req.fields.ok_or_else(|| {
        Problem::BadRequest("fields (the settings form's fields, [] for none) is required".into())
    })?;
    if !fields.is_empty() {
        check_form(&fields).map_err(Problem::BadRequest)?;
    }
    state
        .store
        .set_settings_form(bot.clone(), fields.clone())
        .await?;
    Ok(Json(json!({ "botId": bot, "fields": fields })))
}

/// `GET /bots/{id}/settings-form` → `{"botId", "fields"}` (`[]`: the bot has none).
pub(crate) async fn settings_form(
    State(state): State<AppState>,
    Path(bot): Path<String>,
) -> Result<impl IntoResponse> {
    let fields = state
        .store
        .settings_form(bot.clone())
        .await?
        .ok_or_else(|| Problem::NotFound(format!("bot {bot} not found")))?;
    Ok(Json(json!({ "botId": bot, "fields": fields })))
}
