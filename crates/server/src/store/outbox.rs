//! The events outbox: every event for a bot is a row written in the same transaction as what
//! caused it, so an event exists exactly when its cause does. Delivering the rows (webhook,
//! bot WebSocket) reads from here.

use super::db::{Connection, OptionalExtension, params};
use cloudlake_protocol::{ChatMemberEvent, Event, EventEnvelope};

use super::tx::Tx;
use super::{Store, StoreError};
use crate::clock::now_ms;
use crate::ids::new_msg_id;

/// An event waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEvent {
    /// The row's position (delivery order).
    pub id: i64,
    /// The bot it is for.
    pub bot_id: String,
    /// The envelope's `eventId`.
    pub event_id: String,
    /// The envelope's `eventType`.
    pub event_type: String,
    /// The whole envelope, as JSON text.
    pub payload: String,
}

/// Who must look at the outbox again after a commit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wake {
    /// Bots with new deliverable events (new, replayed, or a changed subscription).
    pub bots: Vec<String>,
    /// A webhook retry was scheduled: the dispatcher must learn its due time.
    pub dispatcher: bool,
}

impl Wake {
    /// Whether this concerns the bot's WebSocket.
    pub fn concerns(&self, bot_id: &str) -> bool {
        self.bots.iter().any(|b| b == bot_id)
    }

    /// Whether it wakes no one.
    pub(crate) fn is_empty(&self) -> bool {
        self.bots.is_empty() && !self.dispatcher
    }
}

/// Writes an event for `bot_id` into the outbox of the current transaction.
pub(crate) fn enqueue(tx: &mut Tx<'_>, bot_id: &str, event: &Event) -> Result<(), StoreError> {
    tx.wake_bot(bot_id);
    let conn = tx.conn();
    let envelope = EventEnvelope::new(new_msg_id(), now_ms(), event);
    let payload = serde_json::to_string(&envelope)
        .map_err(|e| StoreError::Internal(format!("event does not encode: {e}")))?;
    conn.prepare_cached(
        "INSERT INTO outbox (bot_id, event_id, event_type, payload, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        bot_id,
        envelope.header.event_id,
        envelope.header.event_type,
        payload,
        envelope.header.event_time
    ])?;
    Ok(())
}

/// The payload of `bot.followed` / `bot.unfollowed` / `group.join` / `group.leave` for a user.
pub(crate) fn member_event(
    conn: &Connection,
    user_id: &str,
    chat_id: &str,
    chat_type: &str,
) -> Result<ChatMemberEvent, StoreError> {
    let (nickname, avatar_url): (String, String) = conn
        .prepare_cached("SELECT nickname, avatar_url FROM users WHERE id = ?1")?
        .query_row([user_id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?
        .unwrap_or_default();
    Ok(ChatMemberEvent {
        time: now_ms(),
        chat_id: chat_id.to_owned(),
        chat_type: chat_type.to_owned(),
        user_id: user_id.to_owned(),
        nickname,
        avatar_url,
    })
}

/// The bots in a group.
pub(crate) fn bots_in_group(conn: &Connection, group_id: &str) -> Result<Vec<String>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT bot_id FROM group_bots WHERE group_id = ?1 ORDER BY bot_id")?;
    let rows = stmt.query_map([group_id], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

impl Store {
    /// A bot's events after position `after`, oldest first, at most `limit`.
    pub async fn outbox_after(
        &self,
        bot_id: String,
        after: i64,
        limit: u32,
    ) -> Result<Vec<OutboxEvent>, StoreError> {
        self.readers
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT id, bot_id, event_id, event_type, payload FROM outbox \
                     WHERE bot_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
                )?;
                let rows = stmt.query_map(params![bot_id, after, limit], |row| {
                    Ok(OutboxEvent {
                        id: row.get(0)?,
                        bot_id: row.get(1)?,
                        event_id: row.get(2)?,
                        event_type: row.get(3)?,
                        payload: row.get(4)?,
                    })
                })?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
    }
}
