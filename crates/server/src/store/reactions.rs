//! Reactions to messages (a cloudlake extension): a person in a chat reacts to one of its
//! messages with an emoji, or takes the reaction back. Each change is a chat log entry (so a
//! client that reconnects replays it, like an edit) and, for the chat's bots that asked for
//! `message.reaction`, an event in the outbox, both in the change's transaction.

use cloudlake_protocol::{
    EXTENSION_EVENT_TYPES, Event, MAX_REACTION_USERS_SHOWN, MessageReactionEvent, Reaction,
    ReactionUser,
};

use super::db::{Connection, OptionalExtension, params};
use super::messages::{load, log};
use super::model::{Chat, LogKind, StoredMessage};
use super::outbox::enqueue;
use super::{Store, StoreError};

/// How many different emojis one person may have on one message at once: enough for any
/// real use, and it bounds what one person can add to a message's frame.
pub const MAX_REACTIONS_PER_USER: i64 = 10;

/// The event type bots ask for to learn of reactions.
const REACTION_EVENT: &str = "message.reaction";

/// What became of a reaction or its removal.
#[derive(Debug, Clone, PartialEq)]
pub enum React {
    /// Added or removed; the message with its reactions as they now stand.
    Changed(Box<StoredMessage>),
    /// Nothing to do (the reaction was there already, or was not there to remove); the
    /// message with its reactions.
    Unchanged(Box<StoredMessage>),
    /// No such message.
    NoMessage,
    /// The message is in a chat the user cannot read.
    NoAccess,
    /// The message was recalled.
    Recalled,
    /// The user has [`MAX_REACTIONS_PER_USER`] reactions on the message already.
    TooMany,
}

impl Store {
    /// Adds (`add`) or removes `user_id`'s reaction `emoji` (checked by the caller) to message
    /// `msg_id`, at epoch ms `at`.
    pub async fn react(
        &self,
        user_id: String,
        msg_id: String,
        emoji: String,
        add: bool,
        at: i64,
    ) -> Result<React, StoreError> {
        self.writer
            .write_tx(move |tx| {
                let conn = tx.conn();
                let Some(mut message) = load(conn, &msg_id)? else {
                    return Ok(React::NoMessage);
                };
                let chat = Chat::from_key(&message.chat_key).ok_or_else(|| {
                    StoreError::Corrupt(format!("chat key {:?}", message.chat_key))
                })?;
                if !super::user_side::in_chat(conn, &user_id, &chat)? {
                    return Ok(React::NoAccess);
                }
                if message.recalled {
                    return Ok(React::Recalled);
                }
                let changed = if add {
                    let exists = conn
                        .prepare_cached(
                            "SELECT 1 FROM message_reactions \
                             WHERE msg_id = ?1 AND user_id = ?2 AND emoji = ?3",
                        )?
                        .query_row(params![msg_id, user_id, emoji], |row| row.get::<_, i64>(0))
                        .optional()?
                        .is_some();
                    if !exists {
                        let mine: i64 = conn
                            .prepare_cached(
                                "SELECT COUNT(*) FROM message_reactions \
                                 WHERE msg_id = ?1 AND user_id = ?2",
                            )?
                            .query_row(params![msg_id, user_id], |row| row.get(0))?;
                        if mine >= MAX_REACTIONS_PER_USER {
                            return Ok(React::TooMany);
                        }
                        conn.prepare_cached(
                            "INSERT INTO message_reactions (msg_id, user_id, emoji, at) \
                             VALUES (?1, ?2, ?3, ?4)",
                        )?
                        .execute(params![msg_id, user_id, emoji, at])?;
                    }
                    !exists
                } else {
                    conn.prepare_cached(
                        "DELETE FROM message_reactions \
                         WHERE msg_id = ?1 AND user_id = ?2 AND emoji = ?3",
                    )?
                    .execute(params![msg_id, user_id, emoji])?
                        > 0
                };
                if !changed {
                    message.reactions = of_message(conn, &msg_id)?;
                    return Ok(React::Unchanged(Box::new(message)));
                }
                let bots = subscribed_bots(conn, &chat)?;
                if !bots.is_empty() {
                    // As message events name the chat (wire §7.11): a group, or `bot` with
                    // the bot's ID; a direct chat between two people has no bots.
                    let place = chat.chat_ref();
                    let event = Event::MessageReaction(MessageReactionEvent {
                        time: at,
                        msg_id: msg_id.clone(),
                        chat_id: place.chat_id,
                        chat_type: place.chat_type,
                        user_id: user_id.clone(),
                        nickname: conn
                            .prepare_cached("SELECT nickname FROM users WHERE id = ?1")?
                            .query_row([&user_id], |row| row.get(0))
                            .optional()?
                            .unwrap_or_default(),
                        emoji,
                        action: if add { "added" } else { "removed" }.to_owned(),
                    });
                    for bot in bots {
                        enqueue(tx, &bot, &event)?;
                    }
                }
                log(tx, LogKind::Reaction, message.clone(), at)?;
                message.reactions = of_message(tx.conn(), &msg_id)?;
                Ok(React::Changed(Box::new(message)))
            })
            .await
    }
}

/// The chat's bots whose subscription names `message.reaction`. An extension event goes only
/// to a bot that asked for it by name (see [`EXTENSION_EVENT_TYPES`]), so no row is written
/// for the others: a bot subscribed to every type must not find Yunhu-unknown events even
/// among its skipped deliveries.
fn subscribed_bots(conn: &Connection, chat: &Chat) -> Result<Vec<String>, StoreError> {
    debug_assert!(EXTENSION_EVENT_TYPES.contains(&REACTION_EVENT));
    // Event types are stored comma-joined (`store::deliveries`); a name is matched whole.
    let pattern = format!("%,{REACTION_EVENT},%");
    let (sql, id) = match chat {
        Chat::Group { group_id } => (
            "SELECT g.bot_id FROM group_bots g JOIN bots b ON b.id = g.bot_id \
             WHERE g.group_id = ?1 AND (',' || b.event_types || ',') LIKE ?2 ORDER BY g.bot_id",
            group_id,
        ),
        Chat::Private { bot_id, .. } => (
            "SELECT id FROM bots WHERE id = ?1 AND (',' || event_types || ',') LIKE ?2",
            bot_id,
        ),
        // No bot is in a chat between two people, and none hears of it (wire §7.7b).
        Chat::Direct { .. } => return Ok(Vec::new()),
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params![id, pattern], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One message's reactions.
pub(crate) fn of_message(conn: &Connection, msg_id: &str) -> Result<Vec<Reaction>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.emoji, r.user_id, COALESCE(u.nickname, '') FROM message_reactions r \
         LEFT JOIN users u ON u.id = r.user_id WHERE r.msg_id = ?1 ORDER BY r.id",
    )?;
    let rows = stmt.query_map([msg_id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
    let mut list = Vec::new();
    for row in rows {
        let (emoji, user_id, nickname): (String, String, String) = row?;
        add_to(&mut list, emoji, user_id, nickname);
    }
    Ok(list)
}

/// Fills in the reactions of a page of `chat_key`'s messages (one query for the page: its
/// messages' sequence numbers span a range of the chat).
pub(crate) fn fill_page(
    conn: &Connection,
    chat_key: &str,
    page: &mut [StoredMessage],
) -> Result<(), StoreError> {
    let (Some(first), Some(last)) = (
        page.iter().map(|m| m.seq).min(),
        page.iter().map(|m| m.seq).max(),
    ) else {
        return Ok(());
    };
    let mut stmt = conn.prepare_cached(
        "SELECT r.msg_id, r.emoji, r.user_id, COALESCE(u.nickname, '') \
         FROM messages m JOIN message_reactions r ON r.msg_id = m.msg_id \
         LEFT JOIN users u ON u.id = r.user_id \
         WHERE m.chat_key = ?1 AND m.seq >= ?2 AND m.seq <= ?3 AND m.recall_time IS NULL \
         ORDER BY r.id",
    )?;
    let rows = stmt.query_map(params![chat_key, first, last], |row| {
        Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
    })?;
    for row in rows {
        let (msg_id, emoji, user_id, nickname): (String, String, String, String) = row?;
        if let Some(message) = page.iter_mut().find(|m| m.msg_id == msg_id) {
            add_to(&mut message.reactions, emoji, user_id, nickname);
        }
    }
    Ok(())
}

/// Adds one person's reaction to a list read in reaction order.
fn add_to(list: &mut Vec<Reaction>, emoji: String, user_id: String, nickname: String) {
    let index = match list.iter().position(|r| r.emoji == emoji) {
        Some(i) => i,
        None => {
            list.push(Reaction {
                emoji,
                count: 0,
                users: Vec::new(),
            });
            list.len() - 1
        }
    };
    let reaction = &mut list[index];
    reaction.count += 1;
    if reaction.users.len() < MAX_REACTION_USERS_SHOWN {
        reaction.users.push(ReactionUser { user_id, nickname });
    }
}
