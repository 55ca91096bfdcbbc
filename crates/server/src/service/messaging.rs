//! Sending, editing, recalling and reading messages as a bot.

use cloudlake_protocol::{
    AnswerClickRequest, ApiError, BatchSendData, BatchSendRequest, Content, EditRequest,
    MessageInfo, MessageItem, MessagesData, MessagesQuery, RecallRequest, RecvType, SendRequest,
};

use std::sync::Arc;

use super::ServiceError;
use crate::bus::Bus;
use crate::clock::now_ms;
use crate::ids::new_msg_id;
use crate::media::MediaUrls;
use crate::secret::TokenHash;
use crate::store::{
    ANSWER_WINDOW_MS, AnswerClick, Bot, Chat, Delivery, GroupAccess, MediaOwner, Store, StoreError,
    StoredMessage,
};

// Sends and edits fill in the media fields of upload keys before storing (issue 5).
use super::media::outgoing_with_media;

/// The bot-facing message service.
#[derive(Clone)]
pub struct Messaging {
    pub(super) store: Store,
    /// Where uncommitted, ephemeral frames go (a message still streaming).
    pub(super) bus: Arc<dyn Bus>,
    /// The media URLs bots read in history.
    urls: MediaUrls,
}

impl Messaging {
    /// A service over `store`, publishing ephemeral frames on `bus`; media in history comes
    /// with URLs made by `urls`.
    pub fn new(store: Store, bus: Arc<dyn Bus>, urls: MediaUrls) -> Self {
        Messaging { store, bus, urls }
    }

    /// The bot a token belongs to: 1002 "token不存在" when there is no token, 1003 "非法token"
    /// when it matches no bot.
    pub async fn authenticate(&self, token: Option<&str>) -> Result<Bot, ServiceError> {
        let token = token
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(ApiError::token_missing)?;
        self.store
            .bot_by_token(TokenHash::of(token))
            .await?
            .ok_or_else(|| ApiError::token_invalid().into())
    }

    /// `/bot/send`: one recipient, whose failure is the call's failure.
    pub async fn send(&self, bot: &Bot, req: SendRequest) -> Result<MessageInfo, ServiceError> {
        let msg_id = new_msg_id();
        let deliveries = self
            .store
            .send_from_bot(
                bot.bot_id.clone(),
                req.recv_type,
                vec![(req.recv_id.clone(), msg_id.clone())],
                outgoing_with_media(&self.store, &owner(bot), req.message).await?,
            )
            .await?;
        match deliveries.first() {
            Some(Delivery::Stored) => Ok(MessageInfo {
                msg_id,
                recv_id: req.recv_id,
                recv_type: req.recv_type,
            }),
            Some(Delivery::NotFriend) => Err(ApiError::not_friend().into()),
            Some(Delivery::NotInGroup) => {
                Err(ApiError::bot_not_in_group(&req.recv_id, &bot.bot_id).into())
            }
            None => Err(StoreError::Internal("a send stored no delivery".into()).into()),
        }
    }

    /// `/bot/batch_send`: every recipient the bot may reach gets the message, all in one
    /// commit; the others are left out of `successList` (wire §6.2).
    pub async fn batch_send(
        &self,
        bot: &Bot,
        req: BatchSendRequest,
    ) -> Result<BatchSendData, ServiceError> {
        let recipients: Vec<(String, String)> = req
            .recv_ids
            .into_iter()
            .map(|id| (id, new_msg_id()))
            .collect();
        let deliveries = self
            .store
            .send_from_bot(
                bot.bot_id.clone(),
                req.recv_type,
                recipients.clone(),
                outgoing_with_media(&self.store, &owner(bot), req.message).await?,
            )
            .await?;
        let success_list: Vec<MessageInfo> = recipients
            .into_iter()
            .zip(deliveries)
            .filter(|(_, delivery)| matches!(delivery, Delivery::Stored))
            .map(|((recv_id, msg_id), _)| MessageInfo {
                msg_id,
                recv_id,
                recv_type: req.recv_type,
            })
            .collect();
        Ok(BatchSendData {
            success_count: success_list.len() as u64,
            success_list,
        })
    }

    /// `/bot/edit`: replaces the content of one of the bot's messages in the named chat.
    pub async fn edit(&self, bot: &Bot, req: EditRequest) -> Result<(), ServiceError> {
        let edit = outgoing_with_media(&self.store, &owner(bot), req.message).await?;
        let edited = self
            .store
            .edit_from_bot(
                bot.bot_id.clone(),
                Chat::from_bot(&bot.bot_id, req.recv_type, &req.recv_id),
                req.msg_id,
                edit,
            )
            .await?;
        if edited {
            Ok(())
        } else {
            Err(ApiError::message_not_found().into())
        }
    }

    /// `/bot/answer-click` (a cloudlake extension, wire §7.7d): answers a person's click on a
    /// button of the bot's message with a notice for them alone, a new content, or both.
    pub async fn answer_click(
        &self,
        bot: &Bot,
        req: AnswerClickRequest,
    ) -> Result<(), ServiceError> {
        let edit = match req.message {
            Some(message) => Some(outgoing_with_media(&self.store, &owner(bot), message).await?),
            None => None,
        };
        match self
            .store
            .answer_click(
                bot.bot_id.clone(),
                req.msg_id,
                req.user_id,
                req.notice,
                edit,
                now_ms(),
            )
            .await?
        {
            AnswerClick::Answered => Ok(()),
            AnswerClick::NoClick => Err(ApiError::invalid_param(format!(
                "没有可回应的点击：该用户在最近 {} 分钟内未点击此机器人消息的按钮，或已回应过",
                ANSWER_WINDOW_MS / 60_000
            ))
            .into()),
        }
    }

    /// `/bot/recall`: withdraws one of the bot's messages from the named chat.
    pub async fn recall(&self, bot: &Bot, req: RecallRequest) -> Result<(), ServiceError> {
        let recalled = self
            .store
            .recall_from_bot(
                bot.bot_id.clone(),
                Chat::from_bot(&bot.bot_id, req.chat_type, &req.chat_id),
                req.msg_id,
                now_ms(),
            )
            .await?;
        if recalled {
            Ok(())
        } else {
            Err(ApiError::message_not_found().into())
        }
    }

    /// `/bot/messages`: a page of a group's history (the bot must be in the group) or of the
    /// bot's private chat with a user.
    pub async fn history(
        &self,
        bot: &Bot,
        query: MessagesQuery,
    ) -> Result<MessagesData, ServiceError> {
        if query.chat_type == RecvType::Group {
            match self
                .store
                .group_access(bot.bot_id.clone(), query.chat_id.clone())
                .await?
            {
                GroupAccess::Member => {}
                GroupAccess::Missing => {
                    return Err(ApiError::group_not_found(&query.chat_id).into());
                }
                GroupAccess::NotMember => {
                    return Err(ApiError::bot_not_in_group(&query.chat_id, &bot.bot_id).into());
                }
            }
        }
        let chat = Chat::from_bot(&bot.bot_id, query.chat_type, &query.chat_id);
        let rows = self
            .store
            .history(chat, query.message_id, query.before, query.after)
            .await?;
        let list = rows
            .into_iter()
            .map(|row| message_item(row, &self.urls))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(MessagesData {
            total: list.len() as u64,
            list,
        })
    }
}

fn owner(bot: &Bot) -> MediaOwner {
    MediaOwner::Bot(bot.bot_id.clone())
}

fn message_item(row: StoredMessage, urls: &MediaUrls) -> Result<MessageItem, StoreError> {
    let mut content: Content = serde_json::from_str(&row.content)
        .map_err(|e| StoreError::Corrupt(format!("message {} content: {e}", row.msg_id)))?;
    urls.content_for_bot(&mut content);
    Ok(MessageItem {
        msg_id: row.msg_id,
        parent_id: row.parent_id,
        sender_id: row.sender_id,
        sender_type: row.sender_type,
        sender_nickname: row.sender_nickname,
        content_type: row.content_type,
        content,
        send_time: row.send_time,
        command_name: row.command_name,
        command_id: row.command_id,
    })
}
