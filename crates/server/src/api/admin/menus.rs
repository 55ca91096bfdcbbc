//! A bot's shortcut menu (wire §7.8) in the admin API: `GET`/`POST /bots/{id}/menus`,
//! `DELETE /bots/{id}/menus/{menuId}`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

use super::request::{Result, body};
use crate::api::AppState;
use crate::api::problem::Problem;
use crate::store::{MAX_MENUS, MenuType};

/// The longest caption or option, in characters.
const MAX_MENU_CHARS: usize = 30;
/// The most options a drop-down has.
const MAX_MENU_OPTIONS: usize = 20;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct NewMenu {
    name: Option<String>,
    menu_type: Option<MenuType>,
    #[serde(default)]
    options: Vec<String>,
}

/// `POST /bots/{id}/menus` with `{"name", "menuType"?: 1|2|3, "options"?: [...]}` → 201 and
/// the button with its new `menuId`, at the end of the bot's menu. Type 1 (the default) is a
/// plain button, 2 a toggle, 3 a drop-down, which alone has (and needs) `options`.
pub(crate) async fn add_menu(
    State(state): State<AppState>,
    Path(bot): Path<String>,
    raw: Bytes,
) -> Result<impl IntoResponse> {
    let req: NewMenu = body(&raw)?;
    let name = req.name.map(|n| n.trim().to_owned()).unwrap_or_default();
    // Captions are one line of text: no control characters (PostgreSQL refuses NUL in text).
    if name.is_empty()
        || name.chars().count() > MAX_MENU_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(Problem::BadRequest(format!(
            "name (the button's caption) must be 1 to {MAX_MENU_CHARS} characters, without control characters"
        )));
    }
    let menu_type = req.menu_type.unwrap_or(MenuType::Button);
    let options: Vec<String> = req.options.iter().map(|o| o.trim().to_owned()).collect();
    match menu_type {
        MenuType::Dropdown => {
            if options.is_empty() || options.len() > MAX_MENU_OPTIONS {
                return Err(Problem::BadRequest(format!(
                    "a drop-down (menuType 3) needs 1 to {MAX_MENU_OPTIONS} options"
                )));
            }
            for (i, option) in options.iter().enumerate() {
                if option.is_empty()
                    || option.chars().count() > MAX_MENU_CHARS
                    || option.chars().any(char::is_control)
                {
                    return Err(Problem::BadRequest(format!(
                        "option {i} must be 1 to {MAX_MENU_CHARS} characters, without control characters"
                    )));
                }
                if options[..i].contains(option) {
                    return Err(Problem::BadRequest(format!(
                        "option {option:?} is there twice"
                    )));
                }
            }
        }
        _ if !options.is_empty() => {
            return Err(Problem::BadRequest(
                "only a drop-down (menuType 3) has options".into(),
            ));
        }
        _ => {}
    }
    match state.store.add_menu(bot, name, menu_type, options).await? {
        Some(menu) => Ok((StatusCode::CREATED, Json(menu))),
        None => Err(Problem::Conflict(format!(
            "the bot's menu has {MAX_MENUS} buttons already, the most it may have"
        ))),
    }
}

/// `GET /bots/{id}/menus` → `{"menus": [...]}`, in the order users see them.
pub(crate) async fn list_menus(
    State(state): State<AppState>,
    Path(bot): Path<String>,
) -> Result<impl IntoResponse> {
    let menus = state
        .store
        .menus(bot.clone())
        .await?
        .ok_or_else(|| Problem::NotFound(format!("bot {bot} not found")))?;
    Ok(Json(json!({ "menus": menus })))
}

/// `DELETE /bots/{id}/menus/{menuId}` → 204.
pub(crate) async fn remove_menu(
    State(state): State<AppState>,
    Path((bot, menu_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    state.store.remove_menu(bot, menu_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
