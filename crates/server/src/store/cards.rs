//! A click on a button of an A2UI card (wire §7.10): reported to the bot that sent the card as
//! `a2ui.button.report`, in the write that checks it, through the outbox.

use cloudlake_protocol::a2ui::Card;
use cloudlake_protocol::{A2uiButtonReportEvent, Content, Event, SenderType};
use serde_json::{Map, Value, json};

use super::db::OptionalExtension;
use super::messages::load;
use super::model::Chat;
use super::outbox::enqueue;
use super::user_side::in_chat;
use super::{Store, StoreError};

/// What became of a click on a card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardClick {
    /// Reported to the bot.
    Reported,
    /// No such message in a chat the user is in (or it was recalled).
    NoMessage,
    /// The message is not a bot's A2UI card.
    NotACard,
    /// The card has no button with that component ID.
    NoButton,
    /// The input values do not fit the card; why.
    BadContext(String),
}

impl Store {
    /// A user clicked button `component_id` of the A2UI card `msg_id`, with the card's input
    /// values `form_context` (input component ID → value): reports `a2ui.button.report` to
    /// the bot that sent the card, with the button's action name and an `interactionJson` of
    /// the action (wire §7.10).
    pub async fn click_card(
        &self,
        user_id: String,
        msg_id: String,
        component_id: String,
        form_context: Map<String, Value>,
    ) -> Result<CardClick, StoreError> {
        self.writer
            .write_tx(move |tx| {
                let conn = tx.conn();
                let Some(message) = load(conn, &msg_id)? else {
                    return Ok(CardClick::NoMessage);
                };
                let chat = Chat::from_key(&message.chat_key).ok_or_else(|| {
                    StoreError::Corrupt(format!("chat key {:?}", message.chat_key))
                })?;
                if message.recalled || !in_chat(conn, &user_id, &chat)? {
                    return Ok(CardClick::NoMessage);
                }
                if message.sender_type != SenderType::Bot || message.content_type != "a2ui" {
                    return Ok(CardClick::NotACard);
                }
                let content: Content = serde_json::from_str(&message.content)
                    .map_err(|e| StoreError::Corrupt(format!("content: {e}")))?;
                // Checked when it was sent; a card stored before that check is not clickable.
                let Some(card) = content.text.as_deref().and_then(|t| Card::parse(t).ok()) else {
                    return Ok(CardClick::NotACard);
                };
                let Some(action) = card.button(&component_id) else {
                    return Ok(CardClick::NoButton);
                };
                if let Err(why) = card.check_form_context(&form_context) {
                    return Ok(CardClick::BadContext(why));
                }
                // As for button.report.inline, a private chat names the clicking user (§7.7).
                let (recv_id, recv_type) = match &chat {
                    Chat::Group { group_id } => (group_id.clone(), "group"),
                    Chat::Private { user_id, .. } => (user_id.clone(), "user"),
                    Chat::Direct { .. } => return Ok(CardClick::NotACard),
                };
                let user_name: String = conn
                    .prepare_cached("SELECT nickname FROM users WHERE id = ?1")?
                    .query_row([&user_id], |row| row.get(0))
                    .optional()?
                    .unwrap_or_default();
                // Yunhu's content of it is not known (only the go-sdk's field); cloudlake
                // sends the action as the card declares it, with where it came from [INF].
                let interaction = json!({
                    "actionName": action.name,
                    "sourceComponentId": component_id,
                    "context": action.context,
                });
                let now = crate::clock::now_ms();
                super::clicks::remember_click(conn, &msg_id, &user_id, &message.sender_id, now)?;
                let event = Event::A2uiButtonReport(A2uiButtonReportEvent {
                    time: now,
                    msg_id,
                    recv_id,
                    recv_type: recv_type.into(),
                    user_id,
                    user_name,
                    action_name: action.name,
                    source_component_id: component_id,
                    form_context: Value::Object(form_context),
                    interaction_json: interaction.to_string(),
                });
                enqueue(tx, &message.sender_id, &event)?;
                Ok(CardClick::Reported)
            })
            .await
    }
}
