//! A click on a button of an A2UI card (wire §7.10): `POST /messages/{msgId}/a2ui-action`
//! with `{"componentId", "formContext"?}`; the bot that sent the card gets
//! `a2ui.button.report`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::AuthedUser;
use crate::api::AppState;
use crate::api::problem::Problem;
use crate::store::CardClick;

type Result<T> = std::result::Result<T, Problem>;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ActionBody {
    /// The button's component ID.
    component_id: Option<String>,
    /// The card's input values by component ID.
    #[serde(default)]
    form_context: Map<String, Value>,
}

/// `POST /messages/{msgId}/a2ui-action` → `{"reported": true}`; 404 for a message the user
/// cannot read, 400 for one that is no bot's card, a component that is not one of its buttons,
/// or input values that do not fit it (nothing is reported then).
pub(crate) async fn action(
    State(state): State<AppState>,
    AuthedUser(user): AuthedUser,
    Path(msg_id): Path<String>,
    raw: Bytes,
) -> Result<impl IntoResponse> {
    let body: ActionBody = serde_json::from_slice(&raw)
        .map_err(|e| Problem::BadRequest(format!("invalid JSON body: {e}")))?;
    let component_id = body
        .component_id
        .filter(|id| !id.is_empty())
        .ok_or_else(|| Problem::BadRequest("componentId (the button's) is required".into()))?;
    match state
        .store
        .click_card(user.user_id, msg_id, component_id, body.form_context)
        .await?
    {
        CardClick::Reported => Ok(Json(json!({ "reported": true }))),
        CardClick::NoMessage => Err(Problem::NotFound("no such message in your chats".into())),
        CardClick::NotACard => Err(Problem::BadRequest(
            "the message is not a bot's A2UI card".into(),
        )),
        CardClick::NoButton => Err(Problem::BadRequest(
            "the card has no button with that componentId".into(),
        )),
        CardClick::BadContext(why) => Err(Problem::BadRequest(why)),
    }
}
