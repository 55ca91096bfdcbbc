//! What users do with a bot's interactive parts besides typing (issue 20): fill in a form
//! command. Each is stored and reported to that bot alone, in one write, through the outbox.

use std::sync::Arc;

use cloudlake_protocol::{
    Content, Event, EventChat, EventMessage, EventSender, MessageEvent, SenderType,
};
use serde_json::{Map, Value};

use super::commands::{CommandKind, find_command_by_id};
use super::db::params;
use super::forms;
use super::group_admin::{SendPolicy, send_policy};
use super::messages::{MessageView, Outgoing, Sender, append};
use super::model::{Chat, StoredMessage};
use super::outbox::{bots_in_group, enqueue};
use super::user_side::sender_level;
use super::{Store, StoreError};

/// What became of a filled-in form command.
#[derive(Debug, Clone)]
pub enum FormSend {
    /// Stored and reported to the bot.
    Sent(Box<StoredMessage>),
    /// The user is not in that chat (or it does not exist).
    NotInChat,
    /// The bot is not in that chat, or has no form command with that ID.
    NoCommand,
    /// The values do not fit the form; the reason, for the user.
    Invalid(String),
    /// The group refuses the user's messages (a gag, or text is not allowed there).
    Refused(SendPolicy),
}

/// A bot's place in a chat, as its events name it: `(chatId, chatType)`, or `None` when the
/// bot is not in that chat (wire §7.11: `bot` with the bot's ID for a private chat).
pub(crate) fn bot_event_chat(
    conn: &super::db::Connection,
    bot_id: &str,
    chat: &Chat,
) -> Result<Option<EventChat>, StoreError> {
    Ok(match chat {
        Chat::Private { bot_id: b, .. } => (b == bot_id).then(|| EventChat {
            chat_id: bot_id.to_owned(),
            chat_type: "bot".into(),
        }),
        Chat::Group { group_id } => bots_in_group(conn, group_id)?
            .iter()
            .any(|b| b == bot_id)
            .then(|| EventChat {
                chat_id: group_id.clone(),
                chat_type: "group".into(),
            }),
        // Bots are never in a chat between two people (wire §7.7b).
        Chat::Direct { .. } => None,
    })
}

impl Store {
    /// A user filled in form command `command_id` of `bot_id` in `chat` with `values` (field
    /// ID → value, [`forms::fill`]): stores a `form` message with its `formJson`, the
    /// command's ID and name, and reports `message.receive.instruction` to that bot alone
    /// (wire §7.4; the other bots of a group get nothing, as for any command). The form is
    /// checked as it stands in this write, so a command changed meanwhile cannot slip by.
    pub async fn send_form(
        &self,
        user_id: String,
        chat: Chat,
        msg_id: String,
        bot_id: String,
        command_id: i64,
        values: Map<String, Value>,
    ) -> Result<FormSend, StoreError> {
        self.writer
            .write_tx(move |tx| {
                let conn = tx.conn();
                let Some(level) = sender_level(conn, &user_id, &chat)? else {
                    return Ok(FormSend::NotInChat);
                };
                let Some(event_chat) = bot_event_chat(conn, &bot_id, &chat)? else {
                    return Ok(FormSend::NoCommand);
                };
                let command = find_command_by_id(conn, &bot_id, command_id)?;
                let Some((command, fields)) = command.and_then(|c| {
                    let fields = c.form.clone().filter(|_| c.kind == CommandKind::Form)?;
                    Some((c, fields))
                }) else {
                    return Ok(FormSend::NoCommand);
                };
                if let Chat::Group { group_id } = &chat {
                    // A form is what the user typed into the command's fields: a group that
                    // takes text from them takes it (a gag stops it like any message).
                    match send_policy(conn, group_id, &user_id, "text")? {
                        SendPolicy::Allowed => {}
                        refused => return Ok(FormSend::Refused(refused)),
                    }
                }
                let form_json = match forms::fill(&fields, &values) {
                    Ok(form_json) => form_json,
                    Err(reason) => return Ok(FormSend::Invalid(reason)),
                };
                let mut content = Content::default();
                content.extra.insert("formJson".into(), form_json);
                let encoded = serde_json::to_string(&content)
                    .map_err(|e| StoreError::Internal(format!("a form does not encode: {e}")))?;
                let message = Outgoing {
                    content_type: "form".into(),
                    content: encoded,
                    parent_id: None,
                    send_time: crate::clock::now_ms(),
                    media_keys: Vec::new(),
                    // Nothing to mark up: clients draw the fields from `formJson`.
                    view: Arc::new(MessageView {
                        content: content.clone(),
                        html: None,
                    }),
                };
                let (nickname, avatar_url): (String, String) = conn
                    .prepare_cached("SELECT nickname, avatar_url FROM users WHERE id = ?1")?
                    .query_row([&user_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
                let sender = Sender {
                    kind: SenderType::User,
                    id: &user_id,
                    nickname: &nickname,
                };
                let mut row = append(tx, &chat, &msg_id, &sender, &message)?;
                // The message keeps the command it invoked, as Yunhu's history does
                // (`commandId` / `commandName` of GET /bot/messages).
                tx.conn()
                    .prepare_cached(
                        "UPDATE messages SET command_id = ?2, command_name = ?3 WHERE msg_id = ?1",
                    )?
                    .execute(params![row.msg_id, command.command_id, command.name])?;
                row.command_id = command.command_id;
                row.command_name = command.name.clone();
                // The event's content is Yunhu's sample: `formJson` and the user's shortcut-menu
                // choices for this bot in the chat (`{}` when none).
                let menu = super::menus::menu_state(tx.conn(), &row.chat_key, &user_id, &bot_id)?;
                content.extra.insert("menu".into(), menu.into());
                let event = Event::MessageInstruction(MessageEvent {
                    sender: EventSender {
                        sender_id: user_id.clone(),
                        sender_type: "user".into(),
                        sender_user_level: level,
                        sender_nickname: nickname.clone(),
                        sender_avatar_url: avatar_url,
                    },
                    chat: event_chat.clone(),
                    message: EventMessage {
                        msg_id: row.msg_id.clone(),
                        parent_id: row.parent_id.clone(),
                        send_time: row.send_time,
                        chat_id: event_chat.chat_id,
                        chat_type: event_chat.chat_type,
                        content_type: "form".into(),
                        content,
                        instruction_id: command.command_id,
                        instruction_name: command.name.clone(),
                        command_id: command.command_id,
                        command_name: command.name,
                    },
                });
                enqueue(tx, &bot_id, &event)?;
                Ok(FormSend::Sent(Box::new(row)))
            })
            .await
    }
}
