//! Boards as a bot sets them (wire §6.8).

use cloudlake_protocol::{
    ApiError, BoardAllRequest, BoardContent, BoardDismissRequest, BoardRequest, BoardTarget,
    RecvType,
};

use super::{Messaging, ServiceError};
use crate::store::{Bot, Chat, NewBoard};

impl Messaging {
    /// `/bot/board`: the board of one chat, or of one member of a group. The bot must reach
    /// the chat like a send would.
    pub async fn board(&self, bot: &Bot, req: BoardRequest) -> Result<(), ServiceError> {
        let BoardRequest { target, board } = req;
        let chat = Chat::from_bot(&bot.bot_id, target.chat_type, &target.chat_id);
        let set = self
            .store
            .set_board(
                bot.bot_id.clone(),
                chat,
                target.member_id.clone(),
                new_board(board).await?,
            )
            .await?;
        if set {
            Ok(())
        } else {
            Err(unreachable_target(&target, bot))
        }
    }

    /// `/bot/board-all`: the bot's board in every chat it has; returns how many.
    pub async fn board_all(&self, bot: &Bot, req: BoardAllRequest) -> Result<u64, ServiceError> {
        Ok(self
            .store
            .set_board_all(bot.bot_id.clone(), new_board(req.board).await?)
            .await?)
    }

    /// `/bot/board-dismiss`.
    pub async fn board_dismiss(
        &self,
        bot: &Bot,
        req: BoardDismissRequest,
    ) -> Result<(), ServiceError> {
        let target = req.target;
        let chat = Chat::from_bot(&bot.bot_id, target.chat_type, &target.chat_id);
        Ok(self
            .store
            .dismiss_board(bot.bot_id.clone(), Some(chat), target.member_id)
            .await?)
    }

    /// `/bot/board-all-dismiss`.
    pub async fn board_all_dismiss(&self, bot: &Bot) -> Result<(), ServiceError> {
        Ok(self
            .store
            .dismiss_board(bot.bot_id.clone(), None, None)
            .await?)
    }
}

/// The board to store, rendered once here: a board-all is shown in every chat of the bot, and
/// every live session's `hello` carries it. Markup past the render bounds is refused.
async fn new_board(board: BoardContent) -> Result<NewBoard, ServiceError> {
    let content_type = board.content_type.as_str();
    Ok(NewBoard {
        html: crate::render::try_render(content_type, &board.content).await?,
        content_type: content_type.to_owned(),
        content: board.content,
        // The wire counts seconds; the store, like every other time here, milliseconds.
        expire_at: board.expire_time.saturating_mul(1000),
    })
}

fn unreachable_target(target: &BoardTarget, bot: &Bot) -> ServiceError {
    match target.chat_type {
        RecvType::Group => ApiError::bot_not_in_group(&target.chat_id, &bot.bot_id).into(),
        RecvType::User => ApiError::not_friend().into(),
    }
}
