//! A bot's slash commands (指令), defined by the operator. A user message `/name …` to a bot
//! that has command `name` becomes `message.receive.instruction` with its `commandId`, and
//! the text Yunhu would send for that kind of command (wire §7.4). A form command is not typed:
//! the user fills its form and the bot gets `contentType: "form"` with `formJson`
//! ([`super::forms`]).

use super::db::{Connection, DbError, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use super::forms::FormField;
use super::{Store, StoreError};

/// How a command is invoked, as in Yunhu's bot console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommandKind {
    /// 直接发送: picking it sends `/name` at once; the user types nothing after it.
    Direct,
    /// 普通指令: picking it puts the preset text in the input box; the user adds to it and
    /// the bot gets the preset text and the user's input, without `/name`.
    Normal,
    /// 自定义输入: picking it opens the command's form; the bot gets what the user filled in
    /// as `formJson` (wire §7.4).
    Form,
}

impl CommandKind {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CommandKind::Direct => "direct",
            CommandKind::Normal => "normal",
            CommandKind::Form => "form",
        }
    }

    fn from_stored(kind: &str) -> Result<Self, StoreError> {
        match kind {
            "direct" => Ok(CommandKind::Direct),
            "normal" => Ok(CommandKind::Normal),
            "form" => Ok(CommandKind::Form),
            other => Err(StoreError::Corrupt(format!("command kind {other:?}"))),
        }
    }
}

/// One command of a bot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Command {
    /// The `commandId` events carry.
    pub command_id: i64,
    /// The name typed after `/`.
    pub name: String,
    /// How it is invoked.
    pub kind: CommandKind,
    /// A normal command's preset text (默认文字), put before the user's input; `""` for none.
    pub preset_text: String,
    /// A normal command's hint text (提示文字), the input box's placeholder once it is picked;
    /// left out of the JSON when there is none.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub hint_text: String,
    /// A form command's fields, in order; left out of the JSON for the other kinds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<Vec<FormField>>,
}

impl Command {
    /// The `content.text` Yunhu sends the bot when a user invokes this command with `input`
    /// (what they typed after `/name`, trimmed): `None` when Yunhu could not produce it, i.e.
    /// a direct command with input, which Yunhu's client sends the moment it is picked.
    pub fn event_text(&self, input: &str) -> Option<String> {
        match self.kind {
            CommandKind::Direct if input.is_empty() => Some(format!("/{}", self.name)),
            CommandKind::Direct => None,
            // A form command is filled in, never typed: `/name …` is an ordinary message.
            CommandKind::Form => None,
            CommandKind::Normal => Some(match (self.preset_text.is_empty(), input.is_empty()) {
                (true, _) => input.to_owned(),
                (false, true) => self.preset_text.clone(),
                (false, false) => format!("{} {input}", self.preset_text),
            }),
        }
    }
}

const SELECT_COMMAND: &str =
    "SELECT id, name, kind, preset_text, hint_text, form FROM bot_commands";

type CommandRow = (i64, String, String, String, String, String);

fn command_from_row(row: &Row<'_>) -> Result<CommandRow, DbError> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
    ))
}

fn command_of(
    (command_id, name, kind, preset_text, hint_text, form): CommandRow,
) -> Result<Command, StoreError> {
    let kind = CommandKind::from_stored(&kind)?;
    let form = match kind {
        CommandKind::Form => Some(
            serde_json::from_str(&form)
                .map_err(|e| StoreError::Corrupt(format!("form of command {command_id}: {e}")))?,
        ),
        _ => None,
    };
    Ok(Command {
        command_id,
        name,
        kind,
        preset_text,
        hint_text,
        form,
    })
}

/// The bot's command with this ID, if it has one.
pub(crate) fn find_command_by_id(
    conn: &Connection,
    bot_id: &str,
    command_id: i64,
) -> Result<Option<Command>, StoreError> {
    conn.prepare_cached(&format!("{SELECT_COMMAND} WHERE bot_id = ?1 AND id = ?2"))?
        .query_row(params![bot_id, command_id], command_from_row)
        .optional()?
        .map(command_of)
        .transpose()
}

/// What an operator sets on a command besides its name (see [`Store::add_command`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandSpec {
    /// A normal command's preset text; `""` for none.
    pub preset_text: String,
    /// A normal command's hint text; `""` for none.
    pub hint_text: String,
    /// A form command's fields, already checked ([`super::forms::check_definition`]).
    pub form: Vec<FormField>,
}

/// The bot's command named `name`, if it has one.
pub(crate) fn find_command(
    conn: &Connection,
    bot_id: &str,
    name: &str,
) -> Result<Option<Command>, StoreError> {
    conn.prepare_cached(&format!("{SELECT_COMMAND} WHERE bot_id = ?1 AND name = ?2"))?
        .query_row([bot_id, name], command_from_row)
        .optional()?
        .map(command_of)
        .transpose()
}

impl Store {
    /// Adds a command to a bot, or changes the kind, texts and form of the command of that
    /// name (its `commandId` stays).
    pub async fn add_command(
        &self,
        bot_id: String,
        name: String,
        kind: CommandKind,
        spec: CommandSpec,
    ) -> Result<Command, StoreError> {
        let form = serde_json::to_string(&spec.form)
            .map_err(|e| StoreError::Internal(format!("a form does not encode: {e}")))?;
        let CommandSpec {
            preset_text,
            hint_text,
            ..
        } = spec;
        self.writer
            .write(move |conn| {
                conn.prepare_cached("SELECT 1 FROM bots WHERE id = ?1")?
                    .query_row([&bot_id], |_| Ok(()))
                    .optional()?
                    .ok_or_else(|| StoreError::not_found("bot", bot_id.clone()))?;
                conn.prepare_cached(
                    "INSERT INTO bot_commands (bot_id, name, kind, preset_text, hint_text, form) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                     ON CONFLICT (bot_id, name) DO UPDATE SET kind = excluded.kind, \
                     preset_text = excluded.preset_text, hint_text = excluded.hint_text, \
                     form = excluded.form",
                )?
                .execute(params![
                    bot_id,
                    name,
                    kind.as_str(),
                    preset_text,
                    hint_text,
                    form
                ])?;
                find_command(conn, &bot_id, &name)?
                    .ok_or_else(|| StoreError::Corrupt("a stored command is missing".into()))
            })
            .await
    }

    /// Removes a command from a bot.
    pub async fn remove_command(&self, bot_id: String, name: String) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| {
                let n = conn
                    .prepare_cached("DELETE FROM bot_commands WHERE bot_id = ?1 AND name = ?2")?
                    .execute(params![bot_id, name])?;
                if n == 0 {
                    return Err(StoreError::not_found(
                        "command",
                        format!("/{name} of {bot_id}"),
                    ));
                }
                Ok(())
            })
            .await
    }

    /// A bot's commands, by ID.
    pub async fn commands(&self, bot_id: String) -> Result<Vec<Command>, StoreError> {
        self.readers
            .read(move |conn| {
                let mut stmt = conn
                    .prepare_cached(&format!("{SELECT_COMMAND} WHERE bot_id = ?1 ORDER BY id"))?;
                let rows = stmt
                    .query_map([&bot_id], command_from_row)?
                    .collect::<Result<Vec<_>, _>>()?;
                rows.into_iter().map(command_of).collect()
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(kind: CommandKind, preset_text: &str) -> Command {
        Command {
            command_id: 1,
            name: "weather".into(),
            kind,
            preset_text: preset_text.into(),
            hint_text: String::new(),
            form: None,
        }
    }

    #[test]
    fn a_direct_command_is_its_name_alone_and_takes_no_input() {
        let direct = command(CommandKind::Direct, "");
        assert_eq!(direct.event_text("").as_deref(), Some("/weather"));
        assert_eq!(direct.event_text("北京"), None);
    }

    #[test]
    fn a_normal_command_is_its_preset_text_and_the_input_without_the_name() {
        let bare = command(CommandKind::Normal, "");
        assert_eq!(bare.event_text("北京").as_deref(), Some("北京"));
        assert_eq!(bare.event_text("").as_deref(), Some(""));
        let preset = command(CommandKind::Normal, "这是普通指令的默认文字");
        assert_eq!(
            preset.event_text("饿啊").as_deref(),
            Some("这是普通指令的默认文字 饿啊")
        );
        assert_eq!(
            preset.event_text("").as_deref(),
            Some("这是普通指令的默认文字")
        );
    }
}
