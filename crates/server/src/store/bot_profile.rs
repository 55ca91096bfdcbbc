//! A bot's profile beyond its name and avatar: its description, which the admin sets and
//! people see with the bot in a group's info.

use super::db::{OptionalExtension, params};
use super::{Store, StoreError};

/// The longest description kept, in characters: a few sentences, not a manual.
pub const MAX_BOT_DESCRIPTION_CHARS: usize = 500;

impl Store {
    /// The bot's description (`""` when none was set), or `None` if there is no such bot.
    pub async fn bot_description(&self, bot_id: String) -> Result<Option<String>, StoreError> {
        self.readers
            .read(move |conn| {
                Ok(conn
                    .prepare_cached("SELECT description FROM bots WHERE id = ?1")?
                    .query_row([&bot_id], |row| row.get(0))
                    .optional()?)
            })
            .await
    }

    /// Sets the bot's description (checked by the caller); `false` if there is no such bot.
    pub async fn set_bot_description(
        &self,
        bot_id: String,
        description: String,
    ) -> Result<bool, StoreError> {
        self.writer
            .write(move |conn| {
                Ok(conn
                    .prepare_cached("UPDATE bots SET description = ?2 WHERE id = ?1")?
                    .execute(params![bot_id, description])?
                    > 0)
            })
            .await
    }
}
