//! Tips: the gray one-line messages (`contentType: "tip"`) a group gets when someone is made or
//! unmade an administrator, gagged or ungagged, or removed.
//!
//! On Yunhu a tip is a message of the group like any other (history, live, and for each bot in
//! the group a `message.receive.normal` event, which nonebot routes to its `group.tip` notice
//! and Koishi, for "添加为群管理员", to `guild-role-updated`). Its `content` is `{"text": …}`,
//! its sender is the operator with an empty nickname, and its `msgId` is a dashed UUID (the
//! mirror's sample, spec §7.3). The only text seen from Yunhu is the administrator one,
//! `已将"<nickname>"添加为群管理员`; the others here follow its pattern (docs/wire.md §7.3
//! says which are Yunhu's and which are cloudlake's).
//!
//! Every tip is written in the same transaction as the change it reports, so that a change
//! is never committed without its tip (nor a tip without its change).

use std::sync::Arc;

use cloudlake_protocol::{
    Content, Event, EventChat, EventMessage, EventSender, MessageEvent, SenderType,
};

use super::StoreError;
use super::db::{OptionalExtension, params};
use super::messages::{MessageView, Outgoing, Sender, append};
use super::model::Chat;
use super::outbox::{bots_in_group, enqueue};
use super::tx::Tx;
use crate::clock::now_ms;
use crate::ids::new_tip_msg_id;

/// What a tip reports, with the nickname of the member it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tip {
    /// The member was made an administrator.
    MadeAdmin {
        /// The member's nickname.
        nickname: String,
    },
    /// The member is no longer an administrator.
    UnmadeAdmin {
        /// The member's nickname.
        nickname: String,
    },
    /// The member was gagged: for this many seconds, or until ungagged when `None`.
    Gagged {
        /// The member's nickname.
        nickname: String,
        /// The gag's length in seconds; `None` for a gag until lifted.
        seconds: Option<i64>,
    },
    /// The member's gag was lifted.
    Ungagged {
        /// The member's nickname.
        nickname: String,
    },
    /// The member was removed from the group.
    Removed {
        /// The member's nickname.
        nickname: String,
    },
}

impl Tip {
    /// The tip's text, as the group's members and bots see it.
    pub fn text(&self) -> String {
        match self {
            // Yunhu's own text (the mirror's tip sample, spec §7.3); Koishi matches on
            // "添加为群管理员".
            Tip::MadeAdmin { nickname } => format!("已将\"{nickname}\"添加为群管理员"),
            Tip::UnmadeAdmin { nickname } => format!("已将\"{nickname}\"从群管理员中移除"),
            Tip::Gagged {
                nickname,
                seconds: None,
            } => format!("已将\"{nickname}\"永久禁言"),
            Tip::Gagged {
                nickname,
                seconds: Some(seconds),
            } => format!("已将\"{nickname}\"禁言{}", duration(*seconds)),
            Tip::Ungagged { nickname } => format!("已解除\"{nickname}\"的禁言"),
            Tip::Removed { nickname } => format!("已将\"{nickname}\"移出群聊"),
        }
    }
}

/// A gag's length in the largest whole unit that divides it: Yunhu's choices are 10 minutes,
/// 1, 6 and 12 hours (spec §6.9), which read "10分钟", "1小时", "6小时", "12小时".
fn duration(seconds: i64) -> String {
    const UNITS: [(i64, &str); 3] = [(86_400, "天"), (3_600, "小时"), (60, "分钟")];
    for (size, unit) in UNITS {
        if seconds >= size && seconds % size == 0 {
            return format!("{}{unit}", seconds / size);
        }
    }
    format!("{seconds}秒")
}

/// Who made the change a tip reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operator {
    /// A user (a member of the group, or its owner acting through the admin API).
    User(String),
    /// A bot, through the group administration API.
    Bot(String),
    /// Nobody cloudlake can name: the admin API in a group without an owner.
    Nobody,
}

/// The operator of a change made through the admin API: the group's owner, whose authority
/// the admin API has (on Yunhu only the owner makes administrators), or nobody when the group
/// has no owner (or it is the owner the change is about).
pub(crate) fn admin_operator(
    tx: &mut Tx<'_>,
    group_id: &str,
    about: &str,
) -> Result<Operator, StoreError> {
    let owner: Option<String> = tx
        .conn()
        .prepare_cached(
            "SELECT user_id FROM group_members WHERE group_id = ?1 AND role = 'owner' \
             ORDER BY joined_at, user_id LIMIT 1",
        )?
        .query_row([group_id], |row| row.get(0))
        .optional()?;
    Ok(match owner {
        Some(owner) if owner != about => Operator::User(owner),
        _ => Operator::Nobody,
    })
}

/// A user's nickname, `""` if there is no such user.
pub(crate) fn user_nickname(tx: &mut Tx<'_>, user_id: &str) -> Result<String, StoreError> {
    Ok(tx
        .conn()
        .prepare_cached("SELECT nickname FROM users WHERE id = ?1")?
        .query_row([user_id], |row| row.get(0))
        .optional()?
        .unwrap_or_default())
}

/// Posts `tip` into the group: stored and recorded like any message (history, live frames to
/// the members), with a `message.receive.normal` event for every bot in the group.
pub(crate) fn post(
    tx: &mut Tx<'_>,
    group_id: &str,
    operator: &Operator,
    tip: &Tip,
) -> Result<(), StoreError> {
    let content = Content::text(tip.text());
    let content_json = serde_json::to_string(&content)
        .map_err(|e| StoreError::Internal(format!("tip content does not encode: {e}")))?;
    let send_time = now_ms();
    let message = Outgoing {
        content_type: "tip".into(),
        content: content_json,
        parent_id: None,
        send_time,
        media_keys: Vec::new(),
        // A tip is plain text: nothing to mark up.
        view: Arc::new(MessageView {
            content: content.clone(),
            html: None,
        }),
    };
    // A tip's sender has no nickname on Yunhu; an operator cloudlake cannot name is stored
    // as a user with no ID (the column admits only users and bots).
    let (kind, id) = match operator {
        Operator::User(id) => (SenderType::User, id.as_str()),
        Operator::Bot(id) => (SenderType::Bot, id.as_str()),
        Operator::Nobody => (SenderType::User, ""),
    };
    let sender = Sender {
        kind,
        id,
        nickname: "",
    };
    let chat = Chat::Group {
        group_id: group_id.to_owned(),
    };
    let row = append(tx, &chat, &new_tip_msg_id(), &sender, &message)?;

    // The event's sender: always a `user` (message events have no other sender type, and
    // nonebot drops any other), with the operator's level in the group; a bot or nobody is
    // "unknown", the level nonebot documents for tips.
    let (level, avatar_url) = match operator {
        Operator::User(user_id) => tx
            .conn()
            .prepare_cached(
                "SELECT m.role, u.avatar_url FROM group_members m JOIN users u ON u.id = m.user_id \
                 WHERE m.group_id = ?1 AND m.user_id = ?2",
            )?
            .query_row(params![group_id, user_id], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })
            .optional()?
            .unwrap_or_else(|| ("unknown".into(), String::new())),
        Operator::Bot(_) | Operator::Nobody => ("unknown".into(), String::new()),
    };
    let event_chat = EventChat {
        chat_id: group_id.to_owned(),
        chat_type: "group".into(),
    };
    let event = Event::MessageNormal(MessageEvent {
        sender: EventSender {
            sender_id: id.to_owned(),
            sender_type: "user".into(),
            sender_user_level: level,
            sender_nickname: String::new(),
            sender_avatar_url: avatar_url,
        },
        chat: event_chat.clone(),
        message: EventMessage {
            msg_id: row.msg_id.clone(),
            parent_id: String::new(),
            send_time,
            chat_id: event_chat.chat_id,
            chat_type: event_chat.chat_type,
            content_type: "tip".into(),
            content,
            instruction_id: 0,
            instruction_name: String::new(),
            command_id: 0,
            command_name: String::new(),
        },
    });
    for bot in bots_in_group(tx.conn(), group_id)? {
        enqueue(tx, &bot, &event)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts() {
        let n = || "小小学？".to_owned();
        assert_eq!(
            Tip::MadeAdmin { nickname: n() }.text(),
            "已将\"小小学？\"添加为群管理员"
        );
        assert_eq!(
            Tip::UnmadeAdmin { nickname: n() }.text(),
            "已将\"小小学？\"从群管理员中移除"
        );
        let gag = |seconds| {
            Tip::Gagged {
                nickname: n(),
                seconds,
            }
            .text()
        };
        assert_eq!(gag(Some(600)), "已将\"小小学？\"禁言10分钟");
        assert_eq!(gag(Some(3_600)), "已将\"小小学？\"禁言1小时");
        assert_eq!(gag(Some(43_200)), "已将\"小小学？\"禁言12小时");
        assert_eq!(gag(Some(172_800)), "已将\"小小学？\"禁言2天");
        assert_eq!(gag(Some(90)), "已将\"小小学？\"禁言90秒");
        assert_eq!(gag(None), "已将\"小小学？\"永久禁言");
        assert_eq!(
            Tip::Ungagged { nickname: n() }.text(),
            "已解除\"小小学？\"的禁言"
        );
        assert_eq!(
            Tip::Removed { nickname: n() }.text(),
            "已将\"小小学？\"移出群聊"
        );
    }
}
