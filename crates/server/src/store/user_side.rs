//! What users do and see: their chats, history, sends, button clicks, joins, read markers,
//! and the replay of everything they missed.
//!
//! Every read here is scoped to the chats the user is in (a group they are a member of, the
//! private chat with a bot they follow, or their direct messages with another user): a user
//! can never read or act elsewhere.

use std::collections::HashSet;

use super::db::{Connection, OptionalExtension, params};
use cloudlake_protocol::{
    ActionType, ButtonReportEvent, Content, Event, EventChat, EventMessage, EventSender,
    MessageEvent, SenderType,
};

use super::commands::{Command, find_command};
use super::directory::{join_group, leave_group};
use super::group_admin::{SendPolicy, send_policy};
use super::messages::{Outgoing, SELECT_MESSAGE, Sender, append, collect, load};
use super::model::{Chat, LogKind, Role, StoredMessage};
use super::outbox::{bots_in_group, enqueue};
use super::{Store, StoreError};

/// The chat keys a user may see: the groups they are in, the bots they follow, and their
/// direct messages with other users (looked up from either side of the pair, each by its own
/// index).
pub(crate) const USER_CHAT_KEYS: &str = "SELECT 'g:' || group_id AS chat_key FROM group_members WHERE user_id = ?1 \
     UNION ALL SELECT 'p:' || bot_id || ':' || ?1 FROM bot_followers WHERE user_id = ?1 \
     UNION ALL SELECT 'd:' || user_lo || ':' || user_hi FROM direct_chats WHERE user_lo = ?1 \
     UNION ALL SELECT 'd:' || user_lo || ':' || user_hi FROM direct_chats WHERE user_hi = ?1";

/// One chat in a user's chat list.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatSummary {
    /// The chat.
    pub chat: Chat,
    /// The group's name or the bot's nickname.
    pub name: String,
    /// The group's or bot's avatar.
    pub avatar_url: String,
    /// The user's role, for groups.
    pub role: Option<Role>,
    /// The newest message, if any.
    pub last_message: Option<StoredMessage>,
    /// Messages from others after the user's read marker.
    pub unread: i64,
    /// Those of them that @-mention the user (by ID, or `all`), at most [`MAX_MENTIONS`].
    pub mentions: i64,
    /// The chat's newest sequence number (0 when empty).
    pub last_seq: i64,
}

/// What a replay found: chat log entries after the cursor, oldest first.
#[derive(Debug, Clone)]
pub struct Replay {
    /// `(cursor, kind, message)` for each entry.
    pub entries: Vec<(i64, LogKind, StoredMessage)>,
    /// Whether more entries exist than were asked for.
    pub truncated: bool,
}

/// What became of a user's send.
#[derive(Debug, Clone)]
pub enum UserSend {
    /// Stored and published.
    Sent(Box<StoredMessage>),
    /// The user is not in that chat (or it does not exist).
    NotInChat,
    /// The group refuses it: the user is gagged, or the type is not allowed there.
    Refused(SendPolicy),
}

/// What became of a button click.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Click {
    /// Reported to the bot.
    Reported,
    /// No such message in a chat the user is in.
    NoMessage,
    /// The message has no actionType 3 button with that value.
    NoButton,
}

/// What became of a request to leave a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leave {
    /// The user left.
    Left,
    /// The user was not a member.
    NotMember,
    /// The owner cannot leave: the group would have none.
    Owner,
}

/// What became of a request to join a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Join {
    /// The user is now a member.
    Joined,
    /// The user already was.
    AlreadyMember,
    /// The group does not let users join by themselves.
    Closed,
    /// No such group.
    NoGroup,
}

impl Store {
    /// The keys of every chat `user_id` may see.
    pub async fn chat_keys(&self, user_id: String) -> Result<HashSet<String>, StoreError> {
        self.readers
            .read(move |conn| chat_keys(conn, &user_id))
            .await
    }

    /// The newest cursor handed out (0 on an empty database).
    pub async fn latest_cursor(&self) -> Result<i64, StoreError> {
        self.readers
            .read(|conn| {
                Ok(conn
                    .prepare_cached(super::numbers::LAST_CURSOR)?
                    .query_row([], |row| row.get(0))?)
            })
            .await
    }

    /// Chat log entries after `cursor` in the chats `user_id` may see now, oldest first, at
    /// most `limit`.
    pub async fn replay(
        &self,
        user_id: String,
        cursor: i64,
        limit: u32,
    ) -> Result<Replay, StoreError> {
        self.readers
            .read(move |conn| {
                // New messages are their own log entries (their id is their cursor); edits
                // and recalls are in chat_log. A chat's messages after the cursor are those
                // after the newest one at or below it: within a chat, ids grow with `seq`, so
                // the `(chat_key, seq)` index serves both, read backwards from the chat's end
                // only as far as the cursor.
                let sql = format!(
                    "SELECT id, kind, msg_id FROM (\
                       SELECT m.id AS id, 'message' AS kind, m.msg_id AS msg_id \
                       FROM ({USER_CHAT_KEYS}) AS k \
                       JOIN messages m ON m.chat_key = k.chat_key AND m.seq > COALESCE(\
                         (SELECT x.seq FROM messages x WHERE x.chat_key = k.chat_key \
                          AND x.id <= ?2 ORDER BY x.seq DESC LIMIT 1), 0) \
                       UNION ALL \
                       SELECT id, kind, msg_id FROM chat_log \
                       WHERE id > ?2 AND chat_key IN ({USER_CHAT_KEYS})) AS entries \
                     ORDER BY id LIMIT ?3"
                );
                let mut stmt = conn.prepare_cached(&sql)?;
                let rows = stmt
                    .query_map(params![user_id, cursor, i64::from(limit) + 1], |row| {
                        Ok((
                            row.get::<_, i64>(0)?,
                            row.get::<_, String>(1)?,
                            row.get::<_, String>(2)?,
                        ))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                let truncated = rows.len() > limit as usize;
                let mut entries = Vec::with_capacity(rows.len().min(limit as usize));
                for (id, kind, msg_id) in rows.into_iter().take(limit as usize) {
                    let kind = LogKind::from_stored(&kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("chat_log kind {kind:?}")))?;
                    // A message deleted with its group leaves no log either; skip defensively.
                    if let Some(mut message) = load(conn, &msg_id)? {
                        // As the live records carry them: an edit and a reaction change
                        // come with the message's reactions now.
                        if matches!(kind, LogKind::Edit | LogKind::Reaction) {
                            message.reactions = super::reactions::of_message(conn, &msg_id)?;
                        }
                        entries.push((id, kind, message));
                    }
                }
                Ok(Replay { entries, truncated })
            })
            .await
    }

    /// The chats `user_id` is in, most recently active first.
    pub async fn chat_list(&self, user_id: String) -> Result<Vec<ChatSummary>, StoreError> {
        // One snapshot for the whole list: each chat's unread count and last message must
        // describe the same moment, or a client takes a message as counted that was not.
        self.readers
            .read_snapshot(move |conn| {
                let mut list = Vec::new();
                let mut groups = conn.prepare_cached(
                    "SELECT g.id, g.name, g.avatar_url, m.role FROM group_members m \
                     JOIN chat_groups g ON g.id = m.group_id WHERE m.user_id = ?1",
                )?;
                let rows = groups
                    .query_map([&user_id], |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get(1)?,
                            row.get(2)?,
                            row.get::<_, String>(3)?,
                        ))
                    })?
                    .collect::<Result<Vec<(String, String, String, String)>, _>>()?;
                for (group_id, name, avatar_url, role) in rows {
                    let chat = Chat::Group { group_id };
                    list.push(summary(
                        conn,
                        &user_id,
                        chat,
                        name,
                        avatar_url,
                        Role::from_wire(&role),
                    )?);
                }
                let mut bots = conn.prepare_cached(
                    "SELECT b.id, b.nickname, b.avatar_url FROM bot_followers f \
                     JOIN bots b ON b.id = f.bot_id WHERE f.user_id = ?1",
                )?;
                let rows = bots
                    .query_map([&user_id], |row| {
                        Ok((row.get::<_, String>(0)?, row.get(1)?, row.get(2)?))
                    })?
                    .collect::<Result<Vec<(String, String, String)>, _>>()?;
                for (bot_id, name, avatar_url) in rows {
                    let chat = Chat::Private {
                        bot_id,
                        user_id: user_id.clone(),
                    };
                    list.push(summary(conn, &user_id, chat, name, avatar_url, None)?);
                }
                for (other, name, avatar_url) in super::direct::direct_peers(conn, &user_id)? {
                    if let Some(chat) = Chat::direct(&user_id, &other) {
                        list.push(summary(conn, &user_id, chat, name, avatar_url, None)?);
                    }
                }
                // Two chats written in the same millisecond are told apart by commit order
                // (the message row id), so the list never flickers between two orders.
                list.sort_by_key(|(c, last_row)| {
                    std::cmp::Reverse((
                        c.last_message.as_ref().map_or(0, |m| m.send_time),
                        *last_row,
                    ))
                });
                Ok(list.into_iter().map(|(c, _)| c).collect())
            })
            .await
    }

    /// Up to `limit` messages of `chat` with a sequence below `before_seq` (or the newest),
    /// oldest first, recalled ones included and marked. `None` if the user is not in the chat.
    pub async fn user_history(
        &self,
        user_id: String,
        chat: Chat,
        before_seq: Option<i64>,
        limit: u32,
    ) -> Result<Option<Vec<StoredMessage>>, StoreError> {
        self.readers
            .read(move |conn| {
                if !in_chat(conn, &user_id, &chat)? {
                    return Ok(None);
                }
                let sql = format!(
                    "{SELECT_MESSAGE} WHERE m.chat_key = ?1 AND m.seq < ?2 ORDER BY m.seq DESC LIMIT ?3"
                );
                let mut list = collect(
                    conn,
                    &sql,
                    params![chat.key(), before_seq.unwrap_or(i64::MAX), limit],
                )?;
                list.reverse();
                super::reactions::fill_page(conn, &chat.key(), &mut list)?;
                Ok(Some(list))
            })
            .await
    }

    /// Stores a user's message in `chat` and writes the events it causes: for a private chat,
    /// one for the bot; in a group, one for every bot in it — `message.receive.instruction` to
    /// the bots whose command it is, nothing to the other bots when it is a command of some
    /// bot, `message.receive.normal` to all otherwise.
    pub async fn send_from_user(
        &self,
        user_id: String,
        chat: Chat,
        msg_id: String,
        message: Outgoing,
    ) -> Result<UserSend, StoreError> {
        self.writer
            .write_tx(move |tx| {
                let conn = tx.conn();
                let Some(level) = sender_level(conn, &user_id, &chat)? else {
                    return Ok(UserSend::NotInChat);
                };
                if let Chat::Group { group_id } = &chat {
                    match send_policy(conn, group_id, &user_id, &message.content_type)? {
                        SendPolicy::Allowed => {}
                        refused => return Ok(UserSend::Refused(refused)),
                    }
                }
                let (nickname_now, avatar_url): (String, String) = conn
                    .prepare_cached("SELECT nickname, avatar_url FROM users WHERE id = ?1")?
                    .query_row([&user_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
                let sender = Sender {
                    kind: SenderType::User,
                    id: &user_id,
                    nickname: &nickname_now,
                };
                let row = append(tx, &chat, &msg_id, &sender, &message)?;
                let (bots, event_chat) = match &chat {
                    Chat::Group { group_id } => (
                        bots_in_group(conn, group_id)?,
                        EventChat {
                            chat_id: group_id.clone(),
                            chat_type: "group".into(),
                        },
                    ),
                    Chat::Private { bot_id, .. } => (
                        vec![bot_id.clone()],
                        EventChat {
                            chat_id: bot_id.clone(),
                            chat_type: "bot".into(),
                        },
                    ),
                    // Direct messages are between users only: no bot hears of them (a DM
                    // is no Yunhu chat type, so there is no event to send).
                    Chat::Direct { .. } => return Ok(UserSend::Sent(Box::new(row))),
                };
                let content: Content = serde_json::from_str(&row.content)
                    .map_err(|e| StoreError::Corrupt(format!("content: {e}")))?;
                // Each bot whose command it is gets it in the shape Yunhu sends (wire §7.4);
                // a direct command typed with input is no command (Yunhu cannot send one).
                let invocation = invoked_command(&row.content_type, &content);
                let commands: Vec<Option<(Command, String)>> = bots
                    .iter()
                    .map(|bot| {
                        let Some((name, input)) = invocation else {
                            return Ok(None);
                        };
                        Ok(find_command(conn, bot, name)?.and_then(|command| {
                            let text = command.event_text(input)?;
                            Some((command, text))
                        }))
                    })
                    .collect::<Result<_, StoreError>>()?;
                let is_someones_command = commands.iter().any(Option::is_some);
                for (bot, command) in bots.iter().zip(commands) {
                    let (command_id, command_name, content) = match command {
                        Some((command, text)) => {
                            let mut content = content.clone();
                            content.text = Some(text);
                            (command.command_id, command.name, content)
                        }
                        None if is_someones_command => continue,
                        None => (0, String::new(), content.clone()),
                    };
                    // The user's toggles and drop-downs of this bot's shortcut menu ride
                    // along (wire §7.3 `content.menu`); left out when they chose none.
                    let mut content = content;
                    let menu = super::menus::menu_state(conn, &row.chat_key, &user_id, bot)?;
                    if !menu.is_empty() {
                        content.extra.insert("menu".into(), menu.into());
                    }
                    let payload = MessageEvent {
                        sender: EventSender {
                            sender_id: user_id.clone(),
                            sender_type: "user".into(),
                            sender_user_level: level.clone(),
                            sender_nickname: nickname_now.clone(),
                            sender_avatar_url: avatar_url.clone(),
                        },
                        chat: event_chat.clone(),
                        message: EventMessage {
                            msg_id: row.msg_id.clone(),
                            parent_id: row.parent_id.clone(),
                            send_time: row.send_time,
                            chat_id: event_chat.chat_id.clone(),
                            chat_type: event_chat.chat_type.clone(),
                            content_type: row.content_type.clone(),
                            content,
                            instruction_id: command_id,
                            instruction_name: command_name.clone(),
                            command_id,
                            command_name,
                        },
                    };
                    let event = if command_id != 0 {
                        Event::MessageInstruction(payload)
                    } else {
                        Event::MessageNormal(payload)
                    };
                    enqueue(tx, bot, &event)?;
                }
                Ok(UserSend::Sent(Box::new(row)))
            })
            .await
    }

    /// A user clicked an actionType 3 button with `value` on message `msg_id`: reports
    /// `button.report.inline` to the bot that sent it.
    pub async fn click(
        &self,
        user_id: String,
        msg_id: String,
        value: String,
    ) -> Result<Click, StoreError> {
        self.writer
            .write_tx(move |tx| {
                let conn = tx.conn();
                let Some(message) = load(conn, &msg_id)? else {
                    return Ok(Click::NoMessage);
                };
                let chat = Chat::from_key(&message.chat_key).ok_or_else(|| {
                    StoreError::Corrupt(format!("chat key {:?}", message.chat_key))
                })?;
                if message.recalled || !in_chat(conn, &user_id, &chat)? {
                    return Ok(Click::NoMessage);
                }
                let content: Content = serde_json::from_str(&message.content)
                    .map_err(|e| StoreError::Corrupt(format!("content: {e}")))?;
                let has_button = content
                    .buttons
                    .iter()
                    .flatten()
                    .any(|b| b.action_type == ActionType::Report && b.value == value);
                if message.sender_type != SenderType::Bot || !has_button {
                    return Ok(Click::NoButton);
                }
                // In a private chat the event names the clicking user, so that a naive reply
                // to (recvId, recvType) reaches them (wire §7.7).
                let (recv_id, recv_type) = match &chat {
                    Chat::Group { group_id } => (group_id.clone(), "group"),
                    Chat::Private { user_id, .. } => (user_id.clone(), "user"),
                    // No bot message is in direct messages (checked above); defensively so.
                    Chat::Direct { .. } => return Ok(Click::NoButton),
                };
                let now = crate::clock::now_ms();
                super::clicks::remember_click(conn, &msg_id, &user_id, &message.sender_id, now)?;
                let event = Event::ButtonReport(ButtonReportEvent {
                    time: now,
                    msg_id,
                    recv_id,
                    recv_type: recv_type.into(),
                    user_id,
                    value,
                });
                enqueue(tx, &message.sender_id, &event)?;
                Ok(Click::Reported)
            })
            .await
    }

    /// A user joins an open group by themselves.
    pub async fn join_open_group(
        &self,
        user_id: String,
        group_id: String,
    ) -> Result<Join, StoreError> {
        self.writer
            .write_tx(move |tx| {
                let conn = tx.conn();
                let open: Option<bool> = conn
                    .prepare_cached("SELECT open FROM chat_groups WHERE id = ?1")?
                    .query_row([&group_id], |row| row.get(0))
                    .optional()?;
                match open {
                    None => Ok(Join::NoGroup),
                    Some(false) => Ok(Join::Closed),
                    Some(true) => Ok(if join_group(tx, &group_id, &user_id, Role::Member)? {
                        Join::Joined
                    } else {
                        Join::AlreadyMember
                    }),
                }
            })
            .await
    }

    /// A user leaves a group (`group.leave` to its bots).
    pub async fn leave(&self, user_id: String, group_id: String) -> Result<Leave, StoreError> {
        self.writer
            .write_tx(move |tx| {
                let conn = tx.conn();
                let role: Option<String> = conn
                    .prepare_cached(
                        "SELECT role FROM group_members WHERE group_id = ?1 AND user_id = ?2",
                    )?
                    .query_row([&group_id, &user_id], |row| row.get(0))
                    .optional()?;
                match role.as_deref() {
                    None => Ok(Leave::NotMember),
                    Some("owner") => Ok(Leave::Owner),
                    Some(_) => {
                        leave_group(tx, &group_id, &user_id)?;
                        Ok(Leave::Left)
                    }
                }
            })
            .await
    }

    /// Moves the user's read marker of `chat` forward to `seq` (never back). `None` if the
    /// user is not in the chat.
    pub async fn mark_read(
        &self,
        user_id: String,
        chat: Chat,
        seq: i64,
    ) -> Result<Option<i64>, StoreError> {
        self.writer
            .write(move |conn| {
                if !in_chat(conn, &user_id, &chat)? {
                    return Ok(None);
                }
                let key = chat.key();
                let last: i64 = conn
                    .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM messages WHERE chat_key = ?1")?
                    .query_row([&key], |row| row.get(0))?;
                let seq = seq.clamp(0, last);
                Ok(Some(
                    conn.prepare_cached(
                        "INSERT INTO read_markers (user_id, chat_key, seq) VALUES (?1, ?2, ?3) \
                         ON CONFLICT (user_id, chat_key) DO UPDATE SET seq = CASE WHEN excluded.seq > read_markers.seq \
                         THEN excluded.seq ELSE read_markers.seq END RETURNING seq",
                    )?
                    .query_row(params![user_id, key, seq], |row| row.get(0))?,
                ))
            })
            .await
    }
}

fn chat_keys(conn: &Connection, user_id: &str) -> Result<HashSet<String>, StoreError> {
    let mut stmt = conn.prepare_cached(USER_CHAT_KEYS)?;
    let rows = stmt.query_map([user_id], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether the user is in the chat: a member of the group, or a follower of the bot.
pub(crate) fn in_chat(conn: &Connection, user_id: &str, chat: &Chat) -> Result<bool, StoreError> {
    Ok(sender_level(conn, user_id, chat)?.is_some())
}

/// The user's `senderUserLevel` in the chat, or `None` if they are not in it. In a private
/// chat every follower is a `member` (cloudlake does not record who created a bot); so is
/// each of the two users of a direct chat that was started.
pub(crate) fn sender_level(
    conn: &Connection,
    user_id: &str,
    chat: &Chat,
) -> Result<Option<String>, StoreError> {
    match chat {
        Chat::Group { group_id } => Ok(conn
            .prepare_cached("SELECT role FROM group_members WHERE group_id = ?1 AND user_id = ?2")?
            .query_row([group_id, user_id], |row| row.get(0))
            .optional()?),
        Chat::Private {
            bot_id,
            user_id: owner,
        } => {
            if owner != user_id {
                return Ok(None);
            }
            Ok(conn
                .prepare_cached(
                    "SELECT 'member' FROM bot_followers WHERE bot_id = ?1 AND user_id = ?2",
                )?
                .query_row([bot_id, user_id], |row| row.get(0))
                .optional()?)
        }
        Chat::Direct { low, high } => {
            if low != user_id && high != user_id {
                return Ok(None);
            }
            Ok(conn
                .prepare_cached(
                    "SELECT 'member' FROM direct_chats WHERE user_lo = ?1 AND user_hi = ?2",
                )?
                .query_row([low, high], |row| row.get(0))
                .optional()?)
        }
    }
}

/// `/name rest…` → `(name, rest)` with `rest` trimmed, for text and markdown messages.
fn invoked_command<'a>(content_type: &str, content: &'a Content) -> Option<(&'a str, &'a str)> {
    if !matches!(content_type, "text" | "markdown") {
        return None;
    }
    let rest = content.text.as_deref()?.strip_prefix('/')?;
    let name_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let (name, input) = rest.split_at(name_end);
    (!name.is_empty()).then(|| (name, input.trim()))
}

fn summary(
    conn: &Connection,
    user_id: &str,
    chat: Chat,
    name: String,
    avatar_url: String,
    role: Option<Role>,
) -> Result<(ChatSummary, i64), StoreError> {
    let key = chat.key();
    let last_row: i64 = conn
        .prepare_cached(
            "SELECT COALESCE((SELECT id FROM messages WHERE chat_key = ?1 ORDER BY seq DESC LIMIT 1), 0)",
        )?
        .query_row([&key], |row| row.get(0))?;
    let last_message = collect(
        conn,
        &format!("{SELECT_MESSAGE} WHERE m.chat_key = ?1 ORDER BY m.seq DESC LIMIT 1"),
        [&key],
    )?
    .pop();
    let read: i64 = conn
        .prepare_cached("SELECT COALESCE((SELECT seq FROM read_markers WHERE user_id = ?1 AND chat_key = ?2), 0)")?
        .query_row([user_id, &key], |row| row.get(0))?;
    let unread: i64 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM messages WHERE chat_key = ?1 AND seq > ?2 AND recall_time IS NULL \
             AND NOT (sender_type = 'user' AND sender_id = ?3)",
        )?
        .query_row(params![key, read, user_id], |row| row.get(0))?;
    let mentions = if unread == 0 {
        0
    } else {
        mentions(conn, &key, read, user_id)?
    };
    let summary = ChatSummary {
        last_seq: last_message.as_ref().map_or(0, |m| m.seq),
        chat,
        name,
        avatar_url,
        role,
        last_message,
        unread,
        mentions,
    };
    Ok((summary, last_row))
}

/// The most unread mentions counted in one chat: a chat past it shows "99+" anyway, and the
/// count reads each candidate message's content.
const MAX_MENTIONS: i64 = 100;

/// How many of the unread messages after `read` in chat `key` mention `user_id` (or `all`) in
/// their content's `at` list. The LIKE finds the messages with an `at` list at all (content is
/// stored as normalised JSON, `"at":[…]`); each is then read, so that an ID that only appears
/// in a message's text does not count.
fn mentions(conn: &Connection, key: &str, read: i64, user_id: &str) -> Result<i64, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT content FROM messages WHERE chat_key = ?1 AND seq > ?2 AND recall_time IS NULL \
         AND NOT (sender_type = 'user' AND sender_id = ?3) AND content LIKE '%\"at\":[%' \
         ORDER BY seq DESC LIMIT ?4",
    )?;
    let rows = stmt.query_map(params![key, read, user_id, MAX_MENTIONS * 4], |row| {
        row.get::<_, String>(0)
    })?;
    let mut count = 0;
    for content in rows {
        let content: serde_json::Value = serde_json::from_str(&content?)
            .map_err(|e| StoreError::Corrupt(format!("content: {e}")))?;
        let named = content["at"]
            .as_array()
            .is_some_and(|at| at.iter().any(|id| id == user_id || id == "all"));
        if named {
            count += 1;
            if count == MAX_MENTIONS {
                break;
            }
        }
    }
    Ok(count)
}
