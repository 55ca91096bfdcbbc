//! A bot's shortcut menu (快捷菜单, wire §7.8): buttons shown above the input box in the chats
//! with the bot (its private chats, and the groups it is in). Pressing one reports
//! `bot.shortcut.menu` to that bot alone; a toggle's or drop-down's current choice is kept per
//! user and chat and rides in `content.menu` of the user's later messages there (wire §7.3).
//!
//! Yunhu documents neither `menuType` nor `menuAction`; the samples show a plain button as
//! `menuType: 1, menuAction: 1` and a `content.menu` of `{"MW941CUD": "0", "S5VCMYU4": "北京"}`.
//! cloudlake reads them so [INF]: type 1 a plain button (action 1, a press), type 2 a toggle
//! (action the new state, 1 on, 0 off; `menu` value `"1"`/`"0"`), type 3 a drop-down (action
//! the chosen option's index; `menu` value the option's text).

use cloudlake_protocol::{Event, ShortcutMenuEvent};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::db::{Connection, OptionalExtension, params};
use super::interactive::bot_event_chat;
use super::model::Chat;
use super::outbox::{bots_in_group, enqueue};
use super::user_side::in_chat;
use super::{Store, StoreError};

/// How a menu button behaves (its `menuType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuType {
    /// 1: a plain button; each press is reported.
    Button,
    /// 2: on or off; each press flips it and is reported with the new state.
    Toggle,
    /// 3: one of its options; each choice is reported with the option's index.
    Dropdown,
}

impl MenuType {
    /// The wire number.
    pub fn number(self) -> i64 {
        match self {
            MenuType::Button => 1,
            MenuType::Toggle => 2,
            MenuType::Dropdown => 3,
        }
    }

    /// The type of a wire number, if it is one.
    pub fn from_number(n: i64) -> Option<Self> {
        match n {
            1 => Some(MenuType::Button),
            2 => Some(MenuType::Toggle),
            3 => Some(MenuType::Dropdown),
            _ => None,
        }
    }
}

impl Serialize for MenuType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.number())
    }
}

impl<'de> Deserialize<'de> for MenuType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = i64::deserialize(d)?;
        MenuType::from_number(n).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "menuType {n} is not 1 (button), 2 (toggle) or 3 (drop-down)"
            ))
        })
    }
}

/// One button of a bot's shortcut menu.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Menu {
    /// The `menuId` events carry: 8 upper-case letters and digits, as Yunhu's (`MNM1L2YC`).
    pub menu_id: String,
    /// The bot it belongs to.
    pub bot_id: String,
    /// Its caption.
    pub name: String,
    /// How it behaves.
    pub menu_type: MenuType,
    /// A drop-down's choices, in order; absent for the other types.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

/// A menu button as a user sees it in a chat: the button, and their current choice there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatMenu {
    /// The button.
    #[serde(flatten)]
    pub menu: Menu,
    /// The bot's nickname.
    pub bot_name: String,
    /// The user's choice in this chat, as `content.menu` carries it (`"1"`/`"0"` for a toggle,
    /// the option's text for a drop-down); `None` before the first press, and for buttons.
    pub value: Option<String>,
}

/// What became of a press.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Press {
    /// Reported to the bot; the user's choice now (`None` for a plain button).
    Pressed(Option<String>),
    /// The user is not in that chat.
    NotInChat,
    /// No such button of a bot in that chat.
    NoMenu,
    /// The action does not fit the button; why.
    BadAction(String),
}

/// The most buttons a bot's menu has.
pub const MAX_MENUS: usize = 10;

const SELECT_MENU: &str = "SELECT menu_id, bot_id, name, menu_type, options FROM bot_menus";

type MenuRow = (String, String, String, i64, String);

fn menu_row(row: &super::db::Row<'_>) -> Result<MenuRow, super::db::DbError> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}

fn menu_of((menu_id, bot_id, name, menu_type, options): MenuRow) -> Result<Menu, StoreError> {
    Ok(Menu {
        menu_type: MenuType::from_number(menu_type)
            .ok_or_else(|| StoreError::Corrupt(format!("menu {menu_id} type {menu_type}")))?,
        options: serde_json::from_str(&options)
            .map_err(|e| StoreError::Corrupt(format!("menu {menu_id} options: {e}")))?,
        menu_id,
        bot_id,
        name,
    })
}

fn bot_menus(conn: &Connection, bot_id: &str) -> Result<Vec<Menu>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT_MENU} WHERE bot_id = ?1 ORDER BY position, menu_id"
    ))?;
    let rows = stmt
        .query_map([bot_id], menu_row)?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(menu_of).collect()
}

/// The user's choices of `bot_id`'s toggles and drop-downs in the chat `chat_key`, as
/// `content.menu` carries them (menu ID → value); empty when they made none.
pub(crate) fn menu_state(
    conn: &Connection,
    chat_key: &str,
    user_id: &str,
    bot_id: &str,
) -> Result<Map<String, Value>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.menu_id, s.value FROM menu_states s JOIN bot_menus m ON m.menu_id = s.menu_id \
         WHERE s.chat_key = ?1 AND s.user_id = ?2 AND m.bot_id = ?3",
    )?;
    let rows = stmt.query_map([chat_key, user_id, bot_id], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
    })?;
    let mut state = Map::new();
    for row in rows {
        let (menu_id, value) = row?;
        state.insert(menu_id, Value::String(value));
    }
    Ok(state)
}

/// A new menu ID: 8 of `A-Z0-9`, from 128 random bits (collisions are retried by the caller).
fn new_menu_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut n = uuid::Uuid::new_v4().as_u128();
    (0..8)
        .map(|_| {
            let c = ALPHABET[(n % 36) as usize] as char;
            n /= 36;
            c
        })
        .collect()
}

impl Store {
    /// Adds a button to the end of a bot's shortcut menu. `options` must be given for a
    /// drop-down only (the caller checks them). `Ok(None)` when the menu is full.
    pub async fn add_menu(
        &self,
        bot_id: String,
        name: String,
        menu_type: MenuType,
        options: Vec<String>,
    ) -> Result<Option<Menu>, StoreError> {
        let encoded = serde_json::to_string(&options)
            .map_err(|e| StoreError::Internal(format!("options do not encode: {e}")))?;
        self.writer
            .write(move |conn| {
                conn.prepare_cached("SELECT 1 FROM bots WHERE id = ?1")?
                    .query_row([&bot_id], |_| Ok(()))
                    .optional()?
                    .ok_or_else(|| StoreError::not_found("bot", bot_id.clone()))?;
                let (count, last): (i64, Option<i64>) = conn
                    .prepare_cached(
                        "SELECT COUNT(*), MAX(position) FROM bot_menus WHERE bot_id = ?1",
                    )?
                    .query_row([&bot_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
                if count as usize >= MAX_MENUS {
                    return Ok(None);
                }
                // 36^8 IDs: a collision is all but impossible, and a retry settles it.
                let mut menu_id = new_menu_id();
                while conn
                    .prepare_cached("SELECT 1 FROM bot_menus WHERE menu_id = ?1")?
                    .query_row([&menu_id], |_| Ok(()))
                    .optional()?
                    .is_some()
                {
                    menu_id = new_menu_id();
                }
                conn.prepare_cached(
                    "INSERT INTO bot_menus (menu_id, bot_id, position, name, menu_type, options) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    menu_id,
                    bot_id,
                    last.unwrap_or(0) + 1,
                    name,
                    menu_type.number(),
                    encoded
                ])?;
                Ok(Some(Menu {
                    menu_id,
                    bot_id,
                    name,
                    menu_type,
                    options,
                }))
            })
            .await
    }

    /// Removes a button from a bot's menu (and everyone's choice of it).
    pub async fn remove_menu(&self, bot_id: String, menu_id: String) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| {
                // States first: a database without foreign keys enforced keeps none behind.
                conn.prepare_cached("DELETE FROM menu_states WHERE menu_id = ?1 AND menu_id IN (SELECT menu_id FROM bot_menus WHERE bot_id = ?2)")?
                    .execute(params![menu_id, bot_id])?;
                let n = conn
                    .prepare_cached("DELETE FROM bot_menus WHERE bot_id = ?1 AND menu_id = ?2")?
                    .execute(params![bot_id, menu_id])?;
                if n == 0 {
                    return Err(StoreError::not_found(
                        "menu",
                        format!("{menu_id} of {bot_id}"),
                    ));
                }
                Ok(())
            })
            .await
    }

    /// A bot's menu, in order. `None` if there is no such bot.
    pub async fn menus(&self, bot_id: String) -> Result<Option<Vec<Menu>>, StoreError> {
        self.readers
            .read(move |conn| {
                let exists = conn
                    .prepare_cached("SELECT 1 FROM bots WHERE id = ?1")?
                    .query_row([&bot_id], |_| Ok(()))
                    .optional()?
                    .is_some();
                if !exists {
                    return Ok(None);
                }
                bot_menus(conn, &bot_id).map(Some)
            })
            .await
    }

    /// The menus of the bots in `chat` with the user's choices there, bot by bot; `None` if
    /// the user is not in the chat.
    pub async fn chat_menus(
        &self,
        user_id: String,
        chat: Chat,
    ) -> Result<Option<Vec<ChatMenu>>, StoreError> {
        self.readers
            .read(move |conn| {
                if !in_chat(conn, &user_id, &chat)? {
                    return Ok(None);
                }
                let bots = match &chat {
                    Chat::Group { group_id } => bots_in_group(conn, group_id)?,
                    Chat::Private { bot_id, .. } => vec![bot_id.clone()],
                    // No bot is in a chat between two people.
                    Chat::Direct { .. } => Vec::new(),
                };
                let key = chat.key();
                let mut list = Vec::new();
                for bot in bots {
                    let bot_name: String = conn
                        .prepare_cached("SELECT nickname FROM bots WHERE id = ?1")?
                        .query_row([&bot], |row| row.get(0))
                        .optional()?
                        .unwrap_or_default();
                    let state = menu_state(conn, &key, &user_id, &bot)?;
                    for menu in bot_menus(conn, &bot)? {
                        let value = state
                            .get(&menu.menu_id)
                            .and_then(Value::as_str)
                            .map(str::to_owned);
                        list.push(ChatMenu {
                            menu,
                            bot_name: bot_name.clone(),
                            value,
                        });
                    }
                }
                Ok(Some(list))
            })
            .await
    }

    /// A user pressed menu button `menu_id` in `chat` with `action` (a plain button: 1 or
    /// none; a toggle: its new state, 1 or 0, or none to flip it; a drop-down: the chosen
    /// option's index). Keeps a toggle's or drop-down's choice and reports
    /// `bot.shortcut.menu` to the button's bot alone (wire §7.8, `sendTime` in seconds).
    pub async fn press_menu(
        &self,
        user_id: String,
        chat: Chat,
        menu_id: String,
        action: Option<i64>,
    ) -> Result<Press, StoreError> {
        self.writer
            .write_tx(move |tx| {
                let conn = tx.conn();
                if !in_chat(conn, &user_id, &chat)? {
                    return Ok(Press::NotInChat);
                }
                let menu = conn
                    .prepare_cached(&format!("{SELECT_MENU} WHERE menu_id = ?1"))?
                    .query_row([&menu_id], menu_row)
                    .optional()?
                    .map(menu_of)
                    .transpose()?;
                let Some(menu) = menu else {
                    return Ok(Press::NoMenu);
                };
                let Some(event_chat) = bot_event_chat(conn, &menu.bot_id, &chat)? else {
                    return Ok(Press::NoMenu);
                };
                let key = chat.key();
                let current = menu_state(conn, &key, &user_id, &menu.bot_id)?
                    .get(&menu.menu_id)
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                let (menu_action, value) = match (menu.menu_type, action) {
                    (MenuType::Button, None | Some(1)) => (1, None),
                    (MenuType::Button, Some(other)) => {
                        return Ok(Press::BadAction(format!(
                            "a plain button's action is 1, not {other}"
                        )));
                    }
                    (MenuType::Toggle, None) => {
                        let on = current.as_deref() != Some("1");
                        (i64::from(on), Some(if on { "1" } else { "0" }.to_owned()))
                    }
                    (MenuType::Toggle, Some(a @ (0 | 1))) => (a, Some(a.to_string())),
                    (MenuType::Toggle, Some(other)) => {
                        return Ok(Press::BadAction(format!(
                            "a toggle's action is 1 (on) or 0 (off), not {other}"
                        )));
                    }
                    (MenuType::Dropdown, Some(i)) => {
                        match usize::try_from(i).ok().and_then(|i| menu.options.get(i)) {
                            Some(option) => (i, Some(option.clone())),
                            None => {
                                return Ok(Press::BadAction(format!(
                                    "{i} is not an option index of this drop-down (0–{})",
                                    menu.options.len().saturating_sub(1)
                                )));
                            }
                        }
                    }
                    (MenuType::Dropdown, None) => {
                        return Ok(Press::BadAction(
                            "a drop-down's action is the chosen option's index".into(),
                        ));
                    }
                };
                if let Some(value) = &value {
                    conn.prepare_cached(
                        "INSERT INTO menu_states (chat_key, user_id, menu_id, value) VALUES (?1, ?2, ?3, ?4) \
                         ON CONFLICT (chat_key, user_id, menu_id) DO UPDATE SET value = excluded.value",
                    )?
                    .execute(params![key, user_id, menu.menu_id, value])?;
                }
                let event = Event::ShortcutMenu(ShortcutMenuEvent {
                    bot_id: menu.bot_id.clone(),
                    menu_id: menu.menu_id,
                    menu_type: menu.menu_type.number(),
                    menu_action,
                    chat_id: event_chat.chat_id,
                    chat_type: event_chat.chat_type,
                    sender_type: "user".into(),
                    sender_id: user_id,
                    // The one timestamp in seconds of Yunhu's events (wire §7.8).
                    send_time: crate::clock::now_ms() / 1000,
                });
                enqueue(tx, &menu.bot_id, &event)?;
                Ok(Press::Pressed(value))
            })
            .await
    }
}
