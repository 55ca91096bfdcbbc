//! A bot's per-group settings (wire §7.9): the bot declares a settings form (fields as a form
//! command's, `forms`), a group's owner or administrator fills it in for that group, and the
//! bot gets `bot.setting` with the values as `formJson` items, through the outbox. The values
//! are kept per group and bot, and shown again against the form as it stands then (a value
//! that no longer fits is dropped, `forms::fitting`).

use cloudlake_protocol::{BotSettingEvent, Event};
use serde::Serialize;
use serde_json::{Map, Value};

use super::db::{Connection, OptionalExtension, params};
use super::forms::{self, FormField};
use super::outbox::enqueue;
use super::{Store, StoreError};

/// A bot's settings form in a group, with the values saved there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupSettings {
    /// The bot.
    pub bot_id: String,
    /// The group.
    pub group_id: String,
    /// The form, as the bot declares it now.
    pub fields: Vec<FormField>,
    /// The saved values that fit it, by field ID (as [`forms::fill`] takes them); a field
    /// without one shows its default.
    pub values: Map<String, Value>,
}

/// What a user asking for (or saving) a bot's settings in a group gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settings {
    /// The form and its values (after a save, the values saved).
    Shown(GroupSettings),
    /// The user is not in that group (or there is no such group).
    NotMember,
    /// The user is a member, but neither its owner nor an administrator.
    NotAdmin,
    /// No such bot in that group.
    NoBot,
    /// The bot has no settings form.
    NoForm,
    /// Saving: the values do not fit the form; why. Nothing was stored or sent.
    Invalid(String),
}

/// A bot's settings form (empty: none); `None` when there is no such bot.
fn form_of(conn: &Connection, bot_id: &str) -> Result<Option<Vec<FormField>>, StoreError> {
    let stored: Option<String> = conn
        .prepare_cached("SELECT settings_form FROM bots WHERE id = ?1")?
        .query_row([bot_id], |row| row.get(0))
        .optional()?;
    stored
        .map(|json| {
            serde_json::from_str(&json)
                .map_err(|e| StoreError::Corrupt(format!("settings form of bot {bot_id}: {e}")))
        })
        .transpose()
}

/// The checks both reading and saving make: the user an owner or administrator of the group,
/// the bot in it with a form. The form, when they pass.
fn admin_form(
    conn: &Connection,
    user_id: &str,
    group_id: &str,
    bot_id: &str,
) -> Result<Result<Vec<FormField>, Settings>, StoreError> {
    let role: Option<String> = conn
        .prepare_cached("SELECT role FROM group_members WHERE group_id = ?1 AND user_id = ?2")?
        .query_row([group_id, user_id], |row| row.get(0))
        .optional()?;
    match role.as_deref() {
        None => return Ok(Err(Settings::NotMember)),
        Some("owner" | "administrator") => {}
        Some(_) => return Ok(Err(Settings::NotAdmin)),
    }
    let in_group = conn
        .prepare_cached("SELECT 1 FROM group_bots WHERE group_id = ?1 AND bot_id = ?2")?
        .query_row([group_id, bot_id], |_| Ok(()))
        .optional()?
        .is_some();
    if !in_group {
        return Ok(Err(Settings::NoBot));
    }
    Ok(match form_of(conn, bot_id)? {
        Some(fields) if !fields.is_empty() => Ok(fields),
        _ => Err(Settings::NoForm),
    })
}

/// The values saved for `bot_id` in `group_id` (empty before the first save).
fn saved_values(
    conn: &Connection,
    group_id: &str,
    bot_id: &str,
) -> Result<Map<String, Value>, StoreError> {
    let stored: Option<String> = conn
        .prepare_cached(
            "SELECT settings FROM bot_group_settings WHERE group_id = ?1 AND bot_id = ?2",
        )?
        .query_row([group_id, bot_id], |row| row.get(0))
        .optional()?;
    stored.map_or(Ok(Map::new()), |json| {
        serde_json::from_str(&json).map_err(|e| {
            StoreError::Corrupt(format!("settings of bot {bot_id} in {group_id}: {e}"))
        })
    })
}

impl Store {
    /// Sets a bot's settings form (the caller checked it with `check_form`); an empty one
    /// removes it, and every group's values with it.
    pub async fn set_settings_form(
        &self,
        bot_id: String,
        fields: Vec<FormField>,
    ) -> Result<(), StoreError> {
        let encoded = serde_json::to_string(&fields)
            .map_err(|e| StoreError::Internal(format!("a settings form does not encode: {e}")))?;
        self.writer
            .write(move |conn| {
                let n = conn
                    .prepare_cached("UPDATE bots SET settings_form = ?2 WHERE id = ?1")?
                    .execute(params![bot_id, encoded])?;
                if n == 0 {
                    return Err(StoreError::not_found("bot", bot_id));
                }
                if fields.is_empty() {
                    conn.prepare_cached("DELETE FROM bot_group_settings WHERE bot_id = ?1")?
                        .execute([&bot_id])?;
                }
                Ok(())
            })
            .await
    }

    /// A bot's settings form (empty: none); `None` when there is no such bot.
    pub async fn settings_form(
        &self,
        bot_id: String,
    ) -> Result<Option<Vec<FormField>>, StoreError> {
        self.readers.read(move |conn| form_of(conn, &bot_id)).await
    }

    /// `bot_id`'s settings form in `group_id` with the values saved there, for one of the
    /// group's owner and administrators.
    pub async fn group_settings(
        &self,
        user_id: String,
        group_id: String,
        bot_id: String,
    ) -> Result<Settings, StoreError> {
        self.readers
            .read(move |conn| {
                let fields = match admin_form(conn, &user_id, &group_id, &bot_id)? {
                    Ok(fields) => fields,
                    Err(outcome) => return Ok(outcome),
                };
                let values = forms::fitting(&fields, &saved_values(conn, &group_id, &bot_id)?);
                Ok(Settings::Shown(GroupSettings {
                    bot_id: bot_id.clone(),
                    group_id: group_id.clone(),
                    fields,
                    values,
                }))
            })
            .await
    }

    /// An owner or administrator of `group_id` saves `values` (field ID → value, as
    /// [`forms::fill`] takes them; a field left out takes its default) as `bot_id`'s settings
    /// there: they replace the saved ones, and `bot.setting` goes to that bot alone with every
    /// field's `formJson` item in `settingJson` (wire §7.9). Checked against the form as it
    /// stands in this write.
    pub async fn save_group_settings(
        &self,
        user_id: String,
        group_id: String,
        bot_id: String,
        values: Map<String, Value>,
    ) -> Result<Settings, StoreError> {
        self.writer
            .write_tx(move |tx| {
                let conn = tx.conn();
                let fields = match admin_form(conn, &user_id, &group_id, &bot_id)? {
                    Ok(fields) => fields,
                    Err(outcome) => return Ok(outcome),
                };
                let setting_json = match forms::fill(&fields, &values) {
                    Ok(items) => items.to_string(),
                    Err(why) => return Ok(Settings::Invalid(why)),
                };
                let (group_name, avatar_url): (String, String) = conn
                    .prepare_cached("SELECT name, avatar_url FROM chat_groups WHERE id = ?1")?
                    .query_row([&group_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
                let encoded = Value::Object(values.clone()).to_string();
                let now = crate::clock::now_ms();
                conn.prepare_cached(
                    "INSERT INTO bot_group_settings (group_id, bot_id, settings, updated_at) \
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (group_id, bot_id) \
                     DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at",
                )?
                .execute(params![group_id, bot_id, encoded, now])?;
                let event = Event::BotSetting(BotSettingEvent {
                    time: now,
                    // The bot's own ID and `bot`, as Yunhu's sample has them (wire §7.9).
                    chat_id: bot_id.clone(),
                    chat_type: "bot".into(),
                    group_id: group_id.clone(),
                    group_name,
                    avatar_url,
                    setting_json,
                });
                enqueue(tx, &bot_id, &event)?;
                Ok(Settings::Shown(GroupSettings {
                    bot_id,
                    group_id,
                    fields,
                    values,
                }))
            })
            .await
    }
}
