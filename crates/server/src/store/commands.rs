//! A bot's slash commands (指令), defined by the operator. A user message `/name …` to a bot
//! that has command `name` becomes `message.receive.instruction` with its `commandId`.

use super::db::{OptionalExtension, params};
use serde::Serialize;

use super::{Store, StoreError};

/// One command of a bot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Command {
    /// The `commandId` events carry.
    pub command_id: i64,
    /// The name typed after `/`.
    pub name: String,
}

impl Store {
    /// Adds a command to a bot; adding an existing name returns the existing command.
    pub async fn add_command(&self, bot_id: String, name: String) -> Result<Command, StoreError> {
        self.writer
            .write(move |conn| {
                conn.prepare_cached("SELECT 1 FROM bots WHERE id = ?1")?
                    .query_row([&bot_id], |_| Ok(()))
                    .optional()?
                    .ok_or_else(|| StoreError::not_found("bot", bot_id.clone()))?;
                conn.prepare_cached("INSERT INTO bot_commands (bot_id, name) VALUES (?1, ?2) ON CONFLICT DO NOTHING")?
                    .execute(params![bot_id, name])?;
                let command_id = conn
                    .prepare_cached("SELECT id FROM bot_commands WHERE bot_id = ?1 AND name = ?2")?
                    .query_row(params![bot_id, name], |row| row.get(0))?;
                Ok(Command { command_id, name })
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
                let mut stmt = conn.prepare_cached(
                    "SELECT id, name FROM bot_commands WHERE bot_id = ?1 ORDER BY id",
                )?;
                let rows = stmt.query_map([bot_id], |row| {
                    Ok(Command {
                        command_id: row.get(0)?,
                        name: row.get(1)?,
                    })
                })?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
    }
}
