//! Admin of event delivery: a bot's webhook URL and wanted event types, its signing secret,
//! its delivery report (pending, last error, dead letters), and replays.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};

use super::request::{Result, body};
use crate::api::AppState;
use crate::api::problem::Problem;
use crate::events::signature::display_secret;
use crate::events::ssrf::{UrlRefused, check_url};
use crate::store::Subscription;

/// The longest event type name accepted.
const MAX_EVENT_TYPE_CHARS: usize = 64;

/// Refuses a webhook URL that is malformed or (unless allowed) points inside the network.
pub(super) async fn check_webhook_url(state: &AppState, url: &str) -> Result<()> {
    match check_url(url, state.events.config().allow_private).await {
        Ok(_) => Ok(()),
        Err(e @ (UrlRefused::Invalid(_) | UrlRefused::Private { .. })) => {
            Err(Problem::BadRequest(e.to_string()))
        }
        // A name that does not resolve yet may resolve later; delivery checks again.
        Err(UrlRefused::Unresolvable { .. }) => Ok(()),
    }
}

fn subscription_json(sub: &Subscription) -> Value {
    json!({
        "botId": sub.bot_id,
        "webhookUrl": sub.webhook_url,
        "eventTypes": sub.event_types,
    })
}

async fn subscription(state: &AppState, id: &str) -> Result<Subscription> {
    state
        .store
        .subscription(id.to_owned())
        .await?
        .ok_or_else(|| Problem::NotFound(format!("bot {id} not found")))
}

/// `GET /bots/{id}/webhook` → `{"botId", "webhookUrl", "eventTypes"}` (`null`: the bot
/// WebSocket / every type).
pub(crate) async fn show_webhook(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse> {
    Ok(Json(subscription_json(&subscription(&state, &id).await?)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct SetWebhook {
    /// The new URL; `null` or `""` clears it (events then go to the bot WebSocket).
    #[serde(default, with = "double_option")]
    url: Option<Option<String>>,
    /// The wanted types; `null` or `[]` means every type.
    #[serde(default, with = "double_option")]
    event_types: Option<Option<Vec<String>>>,
}

/// Tells a missing field (leave as is) from an explicit `null` (clear).
mod double_option {
    use serde::{Deserialize, Deserializer};

    pub(super) fn deserialize<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// `PUT /bots/{id}/webhook` `{"url"?, "eventTypes"?}`: a field left out stays as it is.
pub(crate) async fn set_webhook(
    State(state): State<AppState>,
    Path(id): Path<String>,
    raw: Bytes,
) -> Result<impl IntoResponse> {
    let req: SetWebhook = body(&raw)?;
    let url = match req.url {
        Some(Some(url)) if !url.trim().is_empty() => {
            let url = url.trim().to_owned();
            check_webhook_url(&state, &url).await?;
            Some(Some(url))
        }
        Some(_) => Some(None),
        None => None,
    };
    let types = match req.event_types {
        Some(Some(types)) if !types.is_empty() => {
            let mut clean = Vec::with_capacity(types.len());
            for t in types {
                let t = t.trim().to_owned();
                if t.is_empty()
                    || t.chars().count() > MAX_EVENT_TYPE_CHARS
                    || !t
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
                {
                    return Err(Problem::BadRequest(format!(
                        "event type {t:?} is not a name like message.receive.normal"
                    )));
                }
                clean.push(t);
            }
            Some(Some(clean))
        }
        Some(_) => Some(None),
        None => None,
    };
    let sub = state.store.set_subscription(id, url, types).await?;
    Ok(Json(subscription_json(&sub)))
}

/// `GET /bots/{id}/deliveries`: counts per state, the last error, the newest dead letters.
pub(crate) async fn show_deliveries(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse> {
    let stats = state
        .store
        .delivery_stats(id.clone())
        .await?
        .ok_or_else(|| Problem::NotFound(format!("bot {id} not found")))?;
    Ok(Json(stats))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Replay {
    event_id: Option<String>,
    since: Option<i64>,
    until: Option<i64>,
}

/// `POST /bots/{id}/replay` `{"eventId"}` (a dead letter) or `{"since", "until"}` (epoch ms,
/// inclusive: every finished event of that time) → `{"replayed": n}`.
pub(crate) async fn replay(
    State(state): State<AppState>,
    Path(id): Path<String>,
    raw: Bytes,
) -> Result<impl IntoResponse> {
    let req: Replay = body(&raw)?;
    subscription(&state, &id).await?;
    let replayed = match (req.event_id, req.since, req.until) {
        (Some(event), None, None) => state.store.replay_event(id.clone(), event).await?,
        (None, Some(since), until) => {
            let until = until.unwrap_or(i64::MAX);
            if until < since {
                return Err(Problem::BadRequest("until is before since".into()));
            }
            state.store.replay_range(id.clone(), since, until).await?
        }
        _ => {
            return Err(Problem::BadRequest(
                "give either eventId, or since (and optionally until) in epoch ms".into(),
            ));
        }
    };
    Ok(Json(json!({"botId": id, "replayed": replayed})))
}

/// `GET /bots/{id}/secret` → `{"botId", "secret": "whsec_…"}`.
pub(crate) async fn show_secret(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse> {
    let sub = subscription(&state, &id).await?;
    Ok(Json(
        json!({"botId": id, "secret": display_secret(&sub.secret)}),
    ))
}

/// `POST /bots/{id}/secret` → a new secret; signatures with the old one stop at once.
pub(crate) async fn rotate_secret(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse> {
    let secret = state.store.rotate_webhook_secret(id.clone()).await?;
    Ok(Json(
        json!({"botId": id, "secret": display_secret(&secret)}),
    ))
}
