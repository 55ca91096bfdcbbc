//! Tip messages: the gray lines Yunhu posts into a group when a member's standing changes
//! (made or no longer an administrator, gagged, removed). Wire §7.3: `contentType: "tip"`,
//! content `{"text": …}`, delivered to the group's bots as `message.receive.normal` with the
//! operator as sender and an empty nickname; nonebot routes them to its tip events, Koishi
//! maps "added as administrator" to a role update.
//!
//! A tip is written in the same transaction as the change it tells of: it is part of the
//! group's history, and no tip is lost or told of a change that did not happen.

use std::sync::Arc;

use cloudlake_protocol::{
    Content, Event, EventChat, EventMessage, EventSender, MessageEvent, SenderType,
};

use super::StoreError;
use super::group_admin::Gag;
use super::messages::{MessageView, Outgoing, Sender, append, nickname};
use super::model::Chat;
use super::outbox::{bots_in_group, enqueue};
use super::tx::Tx;
use crate::clock::now_ms;
use crate::ids::new_tip_msg_id;

/// What a tip tells of, about one member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tip {
    /// Made an administrator.
    MadeAdministrator,
    /// No longer an administrator.
    NoLongerAdministrator,
    /// Gagged, or the gag lifted.
    Gagged(Gag),
    /// Removed from the group by someone else.
    Removed,
}

impl Tip {
    /// The line as Yunhu words it where known (the administrator line is Yunhu's, wire
    /// §7.3); the others are cloudlake's, in the same style.
    pub(crate) fn text(self, nickname: &str) -> String {
        match self {
            Tip::MadeAdministrator => format!("已将\"{nickname}\"添加为群管理员"),
            Tip::NoLongerAdministrator => format!("已取消\"{nickname}\"的群管理员身份"),
            Tip::Gagged(Gag::Lift) => format!("\"{nickname}\"已被解除禁言"),
            Tip::Gagged(Gag::Forever) => format!("\"{nickname}\"已被永久禁言"),
            Tip::Gagged(Gag::For(secs)) => {
                format!("\"{nickname}\"已被禁言{}", duration(secs.max(0)))
            }
            Tip::Removed => format!("\"{nickname}\"已被移出群聊"),
        }
    }
}

/// A gag's length the way people say it: whole days, hours or minutes.
fn duration(secs: i64) -> String {
    const MINUTE: i64 = 60;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;
    match secs {
        s if s >= DAY && s % DAY == 0 => format!("{}天", s / DAY),
        s if s >= HOUR && s % HOUR == 0 => format!("{}小时", s / HOUR),
        s => format!("{}分钟", (s + MINUTE - 1) / MINUTE),
    }
}

/// Who made the change: a bot (by the bot API), or the operator (`None`: the admin API,
/// which acts as no user).
pub(crate) type Operator<'a> = Option<&'a str>;

/// Posts `tip` about `user` into `group_id`: a message of the group's history, seen live by
/// its members, and `message.receive.normal` to each of its bots but the one that acted.
pub(crate) fn post(
    tx: &mut Tx<'_>,
    group_id: &str,
    operator: Operator<'_>,
    user: &str,
    tip: Tip,
) -> Result<(), StoreError> {
    let now = now_ms();
    let name = nickname(tx.conn(), SenderType::User, user)?;
    let content = Content {
        text: Some(tip.text(&name)),
        ..Content::default()
    };
    let json = serde_json::to_string(&content)
        .map_err(|e| StoreError::Internal(format!("a tip does not encode: {e}")))?;
    let message = Outgoing {
        content_type: "tip".into(),
        content: json,
        parent_id: None,
        send_time: now,
        media_keys: Vec::new(),
        // Nothing to mark up: clients draw a tip as a line of their own.
        view: Arc::new(MessageView {
            content: content.clone(),
            html: None,
        }),
    };
    // Stored under the bot that acted, or as the operator no user is (empty ID), with the
    // empty nickname Yunhu gives tips.
    let sender = Sender {
        kind: if operator.is_some() {
            SenderType::Bot
        } else {
            SenderType::User
        },
        id: operator.unwrap_or(""),
        nickname: "",
    };
    let chat = Chat::Group {
        group_id: group_id.to_owned(),
    };
    let row = append(tx, &chat, &new_tip_msg_id(), &sender, &message)?;
    let event = Event::MessageNormal(MessageEvent {
        // Yunhu's message events always name a user as sender (nonebot validates it).
        sender: EventSender {
            sender_id: operator.unwrap_or("").to_owned(),
            sender_type: "user".into(),
            sender_user_level: "unknown".into(),
            sender_nickname: String::new(),
            sender_avatar_url: String::new(),
        },
        chat: EventChat {
            chat_id: group_id.to_owned(),
            chat_type: "group".into(),
        },
        message: EventMessage {
            msg_id: row.msg_id.clone(),
            parent_id: String::new(),
            send_time: row.send_time,
            chat_id: group_id.to_owned(),
            chat_type: "group".into(),
            content_type: "tip".into(),
            content,
            instruction_id: 0,
            instruction_name: String::new(),
            command_id: 0,
            command_name: String::new(),
        },
    });
    for bot in bots_in_group(tx.conn(), group_id)? {
        if Some(bot.as_str()) != operator {
            enqueue(tx, &bot, &event)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tips_read_as_yunhus_do() {
        assert_eq!(
            Tip::MadeAdministrator.text("小小学？"),
            "已将\"小小学？\"添加为群管理员"
        );
        assert_eq!(
            Tip::Gagged(Gag::For(600)).text("Bob"),
            "\"Bob\"已被禁言10分钟"
        );
        assert_eq!(
            Tip::Gagged(Gag::For(21_600)).text("Bob"),
            "\"Bob\"已被禁言6小时"
        );
        assert_eq!(
            Tip::Gagged(Gag::For(86_400)).text("Bob"),
            "\"Bob\"已被禁言1天"
        );
        // The length asked for, whatever the time it took to write it.
        assert_eq!(
            Tip::Gagged(Gag::For(3_600)).text("Bob"),
            "\"Bob\"已被禁言1小时"
        );
        assert_eq!(Tip::Gagged(Gag::For(1)).text("Bob"), "\"Bob\"已被禁言1分钟");
        assert_eq!(Tip::Removed.text("Bob"), "\"Bob\"已被移出群聊");
    }
}
