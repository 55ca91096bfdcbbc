//! `send-stream` (wire §6.3): a message shown to connected users while its text arrives, and
//! stored once, whole, when the stream ends — so history never holds half a message.

use cloudlake_protocol::{
    ApiError, ChatMessage, Content, LIVE_VERSION, LiveFrame, MessageInfo, OutgoingMessage,
    RecvType, SendStreamQuery, SenderType,
};

use super::outgoing::outgoing;
use super::{Messaging, ServiceError};
use crate::bus::Change;
use crate::bus::frame;
use crate::clock::now_ms;
use crate::ids::new_msg_id;
use crate::store::{Bot, Chat, Delivery};

/// The tip the Yunhu server adds to streamed messages.
const STREAM_TIP: &str = "本内容由AI生成，仅供参考";

/// A message being streamed.
pub struct Stream {
    messaging: Messaging,
    bot: Bot,
    query: SendStreamQuery,
    chat: Chat,
    msg_id: String,
    started: i64,
}

impl Messaging {
    /// Starts a stream after checking the bot may reach the recipient, so that a refused
    /// stream is refused before its body is read.
    pub async fn begin_stream(
        &self,
        bot: &Bot,
        query: SendStreamQuery,
    ) -> Result<Stream, ServiceError> {
        let reaches = self
            .store
            .bot_reaches(bot.bot_id.clone(), query.recv_type, query.recv_id.clone())
            .await?;
        if !reaches {
            return Err(refusal(bot, &query).into());
        }
        Ok(Stream {
            messaging: self.clone(),
            chat: Chat::from_bot(&bot.bot_id, query.recv_type, &query.recv_id),
            bot: bot.clone(),
            query,
            msg_id: new_msg_id(),
            started: now_ms(),
        })
    }
}

impl Stream {
    /// Shows the text so far to the chat's connected users.
    pub fn progress(&self, text: &str) {
        self.publish(text, false);
    }

    /// Tells connected users the stream broke off; nothing is stored.
    pub fn abort(&self) {
        self.publish("", true);
    }

    fn publish(&self, text: &str, aborted: bool) {
        let frame = LiveFrame::MessageStreaming {
            v: LIVE_VERSION,
            message: ChatMessage {
                chat: self.chat.chat_ref(),
                seq: 0,
                msg_id: self.msg_id.clone(),
                sender_id: self.bot.bot_id.clone(),
                sender_type: SenderType::Bot,
                sender_nickname: self.bot.nickname.clone(),
                content_type: self.query.content_type.as_str().to_owned(),
                content: Content::text(text),
                parent_id: String::new(),
                send_time: self.started,
                edit_time: None,
                recalled: false,
                reactions: Vec::new(),
                html: if aborted {
                    None
                } else {
                    crate::render::message_html(
                        self.query.content_type.as_str(),
                        &Content::text(text),
                    )
                },
            },
            aborted,
        };
        // An ephemeral frame that fails to encode is only a missed preview; the stored message
        // still follows.
        if let Ok(frame) = frame::encode(&frame) {
            self.messaging.bus.publish(vec![Change::ChatState {
                chat_key: self.chat.key(),
                only_user: None,
                frame,
            }]);
        }
    }

    /// Stores the whole text as one message (buttons cannot stream; the Yunhu tip is added)
    /// and answers like `/bot/send`.
    pub async fn finish(self, text: String) -> Result<MessageInfo, ServiceError> {
        if text.trim().is_empty() {
            self.abort();
            return Err(ApiError::content_empty().into());
        }
        let mut content = Content::text(text);
        content.extra.insert("tip".into(), STREAM_TIP.into());
        let message = OutgoingMessage {
            content_type: self.query.content_type,
            content,
            parent_id: self.query.parent_id.clone(),
        };
        let deliveries = self
            .messaging
            .store
            .send_from_bot(
                self.bot.bot_id.clone(),
                self.query.recv_type,
                vec![(self.query.recv_id.clone(), self.msg_id.clone())],
                outgoing(message).await?,
            )
            .await?;
        match deliveries.first() {
            Some(Delivery::Stored) => Ok(MessageInfo {
                msg_id: self.msg_id,
                recv_id: self.query.recv_id,
                recv_type: self.query.recv_type,
            }),
            // The bot lost the recipient while streaming.
            _ => {
                self.abort();
                Err(refusal(&self.bot, &self.query).into())
            }
        }
    }
}

fn refusal(bot: &Bot, query: &SendStreamQuery) -> ApiError {
    match query.recv_type {
        RecvType::Group => ApiError::bot_not_in_group(&query.recv_id, &bot.bot_id),
        RecvType::User => ApiError::not_friend(),
    }
}
