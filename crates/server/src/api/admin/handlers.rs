//! The admin handlers: validate, call the store, answer with the resource.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};

use super::request::{Result, body};
use crate::api::AppState;
use crate::api::problem::Problem;
use crate::api::user::MAX_PASSWORD_CHARS;
use crate::ids::check_id;
use crate::secret::{TokenHash, hash_password, new_token};
use crate::store::{BotPermissions, CommandKind, CommandSpec, FormField, Role, check_form};

/// The longest nickname or group name accepted, in characters.
const MAX_NAME_CHARS: usize = 64;

fn id(wanted: Option<String>) -> Result<Option<String>> {
    match wanted {
        Some(id) => {
            check_id(&id).map_err(Problem::BadRequest)?;
            Ok(Some(id))
        }
        None => Ok(None),
    }
}

fn name(field: &str, value: Option<String>) -> Result<String> {
    let value = value.map(|v| v.trim().to_owned()).unwrap_or_default();
    if value.is_empty() {
        return Err(Problem::BadRequest(format!("{field} is required")));
    }
    if value.chars().count() > MAX_NAME_CHARS {
        return Err(Problem::BadRequest(format!(
            "{field} is longer than {MAX_NAME_CHARS} characters"
        )));
    }
    Ok(value)
}

fn merge(resource: impl serde::Serialize, extra: Value) -> Result<Value> {
    let mut value = serde_json::to_value(resource)
        .map_err(|e| Problem::BadRequest(format!("unencodable resource: {e}")))?;
    if let (Value::Object(map), Value::Object(extra)) = (&mut value, extra) {
        map.extend(extra);
    }
    Ok(value)
}

// ---- users ----

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct NewUser {
    id: Option<String>,
    nickname: Option<String>,
}

/// `POST /users` → 201 with the user and its token (shown this once).
pub(crate) async fn create_user(
    State(state): State<AppState>,
    raw: Bytes,
) -> Result<impl IntoResponse> {
    let req: NewUser = body(&raw)?;
    let id = id(req.id)?;
    let nickname = name("nickname", req.nickname)?;
    let token = new_token();
    let user = state
        .store
        .create_user(id, nickname, TokenHash::of(&token))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(merge(user, json!({"token": token}))?),
    ))
}

/// `GET /users`.
pub(crate) async fn list_users(State(state): State<AppState>) -> Result<impl IntoResponse> {
    Ok(Json(json!({"users": state.store.list_users().await?})))
}

/// `GET /users/{id}`.
pub(crate) async fn show_user(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse> {
    let user = state
        .store
        .user(id.clone())
        .await?
        .ok_or_else(|| Problem::NotFound(format!("user {id} not found")))?;
    Ok(Json(user))
}

/// `DELETE /users/{id}` → 204.
pub(crate) async fn delete_user(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    state.store.delete_user(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /users/{id}/token` → a new token; the old one stops working.
pub(crate) async fn rotate_user_token(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse> {
    let token = new_token();
    state
        .store
        .set_user_token(id.clone(), TokenHash::of(&token))
        .await?;
    Ok(Json(json!({"userId": id, "token": token})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewPassword {
    password: String,
}

/// The shortest password the admin may set.
const MIN_PASSWORD_CHARS: usize = 8;

/// `PUT /users/{id}/password` with `{"password"}` → 204: the user may now sign in with it.
/// Their sessions end (whoever knew the old one is signed out).
pub(crate) async fn set_user_password(
    State(state): State<AppState>,
    Path(id): Path<String>,
    raw: Bytes,
) -> Result<impl IntoResponse> {
    let NewPassword { password } = body(&raw)?;
    let chars = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
        return Err(Problem::BadRequest(format!(
            "a password has {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"
        )));
    }
    let phc = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|_| Problem::Internal("the password hashing task panicked".into()))?
        .map_err(|e| Problem::Internal(format!("password hashing: {e}")))?;
    state.store.set_user_password(id, Some(phc)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /users/{id}/password` → 204: token sign-in only again; sessions end.
pub(crate) async fn clear_user_password(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse> {
    state.store.set_user_password(id, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- groups ----

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct NewGroup {
    id: Option<String>,
    name: Option<String>,
    /// Whether users may join and leave by themselves (default false).
    open: Option<bool>,
}

/// `POST /groups` → 201 with the group.
pub(crate) async fn create_group(
    State(state): State<AppState>,
    raw: Bytes,
) -> Result<impl IntoResponse> {
    let req: NewGroup = body(&raw)?;
    let id = id(req.id)?;
    let group_name = name("name", req.name)?;
    let group = state
        .store
        .create_group(id, group_name, req.open.unwrap_or(false))
        .await?;
    Ok((StatusCode::CREATED, Json(group)))
}

/// `GET /groups`.
pub(crate) async fn list_groups(State(state): State<AppState>) -> Result<impl IntoResponse> {
    Ok(Json(json!({"groups": state.store.list_groups().await?})))
}

/// `GET /groups/{id}`: the group with its members and bots.
pub(crate) async fn show_group(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse> {
    let group = state
        .store
        .group_detail(id.clone())
        .await?
        .ok_or_else(|| Problem::NotFound(format!("group {id} not found")))?;
    // What bots may do there, and who is muted: `botPermissions`, `msgTypeLimit`, `gags`.
    let admin_state = state.store.group_admin_state(id).await?;
    Ok(Json(merge(
        group,
        serde_json::to_value(admin_state).unwrap_or_default(),
    )?))
}

/// `DELETE /groups/{id}` → 204; the group's history goes with it.
pub(crate) async fn delete_group(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    state.store.delete_group(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Membership {
    role: Option<String>,
}

/// `PUT /groups/{id}/members/{user}` with `{"role": "member" | "administrator" | "owner"}`
/// (default member): adds the user, or changes their role.
pub(crate) async fn set_member(
    State(state): State<AppState>,
    Path((group, user)): Path<(String, String)>,
    raw: Bytes,
) -> Result<impl IntoResponse> {
    let req: Membership = body(&raw)?;
    let role = match req.role.as_deref() {
        None => Role::Member,
        Some(r) => Role::from_wire(r).ok_or_else(|| {
            Problem::BadRequest(format!(
                "role {r:?} is not one of member, administrator, owner"
            ))
        })?,
    };
    let added = state
        .store
        .set_member(group.clone(), user.clone(), role)
        .await?;
    Ok(Json(
        json!({"groupId": group, "userId": user, "role": role, "added": added}),
    ))
}

/// `DELETE /groups/{id}/members/{user}` → 204.
pub(crate) async fn remove_member(
    State(state): State<AppState>,
    Path((group, user)): Path<(String, String)>,
) -> Result<StatusCode> {
    state.store.remove_member(group, user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /groups/{id}/bots/{bot}`: the bot joins the group.
pub(crate) async fn add_bot_to_group(
    State(state): State<AppState>,
    Path((group, bot)): Path<(String, String)>,
) -> Result<impl IntoResponse> {
    let added = state
        .store
        .add_bot_to_group(bot.clone(), group.clone())
        .await?;
    Ok(Json(
        json!({"groupId": group, "botId": bot, "added": added}),
    ))
}

/// `DELETE /groups/{id}/bots/{bot}` → 204.
pub(crate) async fn remove_bot_from_group(
    State(state): State<AppState>,
    Path((group, bot)): Path<(String, String)>,
) -> Result<StatusCode> {
    state.store.remove_bot_from_group(bot, group).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /groups/{id}/bots/{bot}/permissions` with any of `allowGagMember`,
/// `allowRemoveMember`, `allowEditGroupInfo`, `allowGroupTagManage` (booleans; absent means
/// false): replaces what the bot may do in the group. The bot must be in the group.
pub(crate) async fn set_bot_permissions(
    State(state): State<AppState>,
    Path((group, bot)): Path<(String, String)>,
    raw: Bytes,
) -> Result<impl IntoResponse> {
    let permissions: BotPermissions = body(&raw)?;
    state
        .store
        .set_bot_permissions(bot.clone(), group.clone(), permissions)
        .await?;
    Ok(Json(merge(
        permissions,
        json!({"groupId": group, "botId": bot}),
    )?))
}

// ---- bots ----

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct NewBot {
    id: Option<String>,
    nickname: Option<String>,
    webhook_url: Option<String>,
}

/// `POST /bots` → 201 with the bot and its token (shown this once).
pub(crate) async fn create_bot(
    State(state): State<AppState>,
    raw: Bytes,
) -> Result<impl IntoResponse> {
    let req: NewBot = body(&raw)?;
    let id = match req.id {
        Some(id) => {
            crate::ids::check_bot_id(&id).map_err(Problem::BadRequest)?;
            Some(id)
        }
        None => None,
    };
    let nickname = name("nickname", req.nickname)?;
    let webhook_url = match req.webhook_url.map(|u| u.trim().to_owned()) {
        Some(url) if url.is_empty() => None,
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => Some(url),
        Some(url) => {
            return Err(Problem::BadRequest(format!(
                "webhookUrl {url:?} is not an http:// or https:// URL"
            )));
        }
        None => None,
    };
    if let Some(url) = &webhook_url {
        super::deliveries::check_webhook_url(&state, url).await?;
    }
    let token = new_token();
    let bot = state
        .store
        .create_bot(id, nickname, webhook_url, TokenHash::of(&token))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(merge(bot, json!({"token": token}))?),
    ))
}

/// `GET /bots`.
pub(crate) async fn list_bots(State(state): State<AppState>) -> Result<impl IntoResponse> {
    Ok(Json(json!({"bots": state.store.list_bots().await?})))
}

/// `GET /bots/{id}`: the bot with its description, followers and groups.
pub(crate) async fn show_bot(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse> {
    let bot = state
        .store
        .bot_detail(id.clone())
        .await?
        .ok_or_else(|| Problem::NotFound(format!("bot {id} not found")))?;
    // Read apart from the bot's row, which the hot paths (token checks) read without it.
    let description = state.store.bot_description(id).await?.unwrap_or_default();
    Ok(Json(merge(bot, json!({ "description": description }))?))
}

/// `DELETE /bots/{id}` → 204.
pub(crate) async fn delete_bot(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    state.store.delete_bot(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /bots/{id}/token` → a new token; the old one stops working at once.
pub(crate) async fn rotate_bot_token(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse> {
    let token = new_token();
    state
        .store
        .set_bot_token(id.clone(), TokenHash::of(&token))
        .await?;
    Ok(Json(json!({"botId": id, "token": token})))
}

/// `PUT /bots/{id}/followers/{user}`: the user adds the bot as a friend.
pub(crate) async fn follow(
    State(state): State<AppState>,
    Path((bot, user)): Path<(String, String)>,
) -> Result<impl IntoResponse> {
    let added = state.store.follow(bot.clone(), user.clone()).await?;
    Ok(Json(json!({"botId": bot, "userId": user, "added": added})))
}

/// `DELETE /bots/{id}/followers/{user}` → 204.
pub(crate) async fn unfollow(
    State(state): State<AppState>,
    Path((bot, user)): Path<(String, String)>,
) -> Result<StatusCode> {
    state.store.unfollow(bot, user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The longest preset text of a normal command, in characters.
const MAX_PRESET_CHARS: usize = 1000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct NewCommand {
    name: Option<String>,
    kind: Option<CommandKind>,
    preset_text: Option<String>,
    hint_text: Option<String>,
    form: Option<Vec<FormField>>,
}

/// `POST /bots/{id}/commands` with `{"name": "weather", "kind": "normal", "presetText": "",
/// "hintText": ""}` → the command and its ID (again for an existing name, whose kind, texts
/// and form it sets). `kind` is `normal` unless given: the bot gets the preset text and what
/// the user typed after `/weather`, and the input box shows the hint text meanwhile; a
/// `direct` command gets `/weather` alone and takes no input; a `form` command has `form`, its
/// fields (`{"id", "type", "label"?, "options"?, "default"?}`), which the user fills in.
pub(crate) async fn add_command(
    State(state): State<AppState>,
    Path(bot): Path<String>,
    raw: Bytes,
) -> Result<impl IntoResponse> {
    let req: NewCommand = body(&raw)?;
    let command = name("name", req.name)?;
    let command = command.strip_prefix('/').unwrap_or(&command).to_owned();
    if command.is_empty() || command.chars().any(char::is_whitespace) {
        return Err(Problem::BadRequest(
            "a command name is one word, without spaces".into(),
        ));
    }
    let kind = req.kind.unwrap_or(CommandKind::Normal);
    let trimmed = |t: Option<String>| t.map(|t| t.trim().to_owned()).unwrap_or_default();
    let preset_text = trimmed(req.preset_text);
    let hint_text = trimmed(req.hint_text);
    if kind != CommandKind::Normal && !(preset_text.is_empty() && hint_text.is_empty()) {
        return Err(Problem::BadRequest(format!(
            "only a normal command has presetText and hintText (a {} command takes no typed input)",
            kind.as_str()
        )));
    }
    for (field, text) in [("presetText", &preset_text), ("hintText", &hint_text)] {
        if text.chars().count() > MAX_PRESET_CHARS {
            return Err(Problem::BadRequest(format!(
                "{field} is longer than {MAX_PRESET_CHARS} characters"
            )));
        }
    }
    // A placeholder is one line, and PostgreSQL refuses NUL in text.
    if hint_text.chars().any(char::is_control) {
        return Err(Problem::BadRequest(
            "hintText is one line, without control characters".into(),
        ));
    }
    let form = match (kind, req.form) {
        (CommandKind::Form, form) => {
            let form = form.unwrap_or_default();
            check_form(&form).map_err(Problem::BadRequest)?;
            form
        }
        (_, None) => Vec::new(),
        (_, Some(_)) => {
            return Err(Problem::BadRequest(format!(
                "only a form command has a form (kind is {})",
                kind.as_str()
            )));
        }
    };
    let spec = CommandSpec {
        preset_text,
        hint_text,
        form,
    };
    Ok(Json(
        state.store.add_command(bot, command, kind, spec).await?,
    ))
}

/// `GET /bots/{id}/commands`.
pub(crate) async fn list_commands(
    State(state): State<AppState>,
    Path(bot): Path<String>,
) -> Result<impl IntoResponse> {
    Ok(Json(json!({"commands": state.store.commands(bot).await?})))
}

/// `DELETE /bots/{id}/commands/{name}` → 204.
pub(crate) async fn remove_command(
    State(state): State<AppState>,
    Path((bot, command)): Path<(String, String)>,
) -> Result<StatusCode> {
    state.store.remove_command(bot, command).await?;
    Ok(StatusCode::NO_CONTENT)
}
