//! The rows of the directory and of the message log, as the rest of the server sees them.

use cloudlake_protocol::{ChatRef, Reaction, RecvType, SenderType};
use serde::Serialize;

/// A user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// The user ID.
    pub user_id: String,
    /// The display name.
    pub nickname: String,
    /// The avatar's address, `""` when none.
    pub avatar_url: String,
    /// Creation time, epoch ms.
    pub created_at: i64,
}

/// A group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// The group ID.
    pub group_id: String,
    /// The group's name.
    pub name: String,
    /// The avatar's address, `""` when none.
    pub avatar_url: String,
    /// Whether users may join and leave by themselves.
    pub open: bool,
    /// Creation time, epoch ms.
    pub created_at: i64,
}

/// A bot. Its token is never part of it: only the token's hash is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bot {
    /// The bot ID.
    pub bot_id: String,
    /// The display name.
    pub nickname: String,
    /// The avatar's address, `""` when none.
    pub avatar_url: String,
    /// Where its events are POSTed, if anywhere.
    pub webhook_url: Option<String>,
    /// Creation time, epoch ms.
    pub created_at: i64,
}

/// A member's role in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The group's owner.
    Owner,
    /// An administrator.
    Administrator,
    /// An ordinary member.
    Member,
}

impl Role {
    /// The stored and wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Administrator => "administrator",
            Role::Member => "member",
        }
    }

    /// Parses the stored and wire spelling.
    pub fn from_wire(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(Role::Owner),
            "administrator" => Some(Role::Administrator),
            "member" => Some(Role::Member),
            _ => None,
        }
    }
}

/// A user's membership of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    /// The member's user ID.
    pub user_id: String,
    /// The member's nickname.
    pub nickname: String,
    /// The member's role.
    pub role: Role,
}

/// A group with who is in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupDetail {
    /// The group.
    #[serde(flatten)]
    pub group: Group,
    /// Its user members.
    pub members: Vec<Member>,
    /// The IDs of the bots in it.
    pub bots: Vec<String>,
}

/// A bot with its relations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BotDetail {
    /// The bot.
    #[serde(flatten)]
    pub bot: Bot,
    /// The IDs of the users who follow it.
    pub followers: Vec<String>,
    /// The IDs of the groups it is in.
    pub groups: Vec<String>,
}

/// A chat: one group, the private chat of one bot with one user, or the direct messages
/// between two users.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Chat {
    /// A group chat.
    Group {
        /// The group.
        group_id: String,
    },
    /// The private chat between a bot and a user.
    Private {
        /// The bot.
        bot_id: String,
        /// The user.
        user_id: String,
    },
    /// The direct messages between two users. The pair is kept in order (`low < high`, by
    /// bytes), so that whoever starts it, the two users have one chat with one key: build it
    /// with [`Chat::direct`]. No bot is in it or hears of it.
    Direct {
        /// The lesser of the two user IDs.
        low: String,
        /// The greater of the two user IDs.
        high: String,
    },
}

impl Chat {
    /// How the chat looks to a user: a group, or the private chat with a bot.
    pub fn chat_ref(&self) -> ChatRef {
        match self {
            Chat::Group { group_id } => ChatRef {
                chat_type: "group".into(),
                chat_id: group_id.clone(),
            },
            Chat::Private { bot_id, .. } => ChatRef {
                chat_type: "bot".into(),
                chat_id: bot_id.clone(),
            },
            // The same for both users (a live frame is encoded once for every recipient):
            // the pair, which names the chat whoever looks at it.
            Chat::Direct { low, high } => ChatRef {
                chat_type: "dm".into(),
                chat_id: format!("{low}:{high}"),
            },
        }
    }

    /// The direct chat between two users, in whichever order they are named; `None` for a
    /// user and themselves.
    pub fn direct(a: &str, b: &str) -> Option<Self> {
        let (low, high) = match a.cmp(b) {
            std::cmp::Ordering::Less => (a, b),
            std::cmp::Ordering::Greater => (b, a),
            std::cmp::Ordering::Equal => return None,
        };
        Some(Chat::Direct {
            low: low.to_owned(),
            high: high.to_owned(),
        })
    }

    /// The direct chat a `dm` chat ID (`<userId>:<userId>`, as [`Chat::chat_ref`] spells it)
    /// names; `None` unless it is two different users' IDs in order.
    pub fn from_dm_id(chat_id: &str) -> Option<Self> {
        let (low, high) = chat_id.split_once(':')?;
        if low.is_empty() || high.contains(':') || low >= high {
            return None;
        }
        Chat::direct(low, high)
    }

    /// For a direct chat, the user in it who is not `user_id` (`None` for other chats, or if
    /// `user_id` is not one of the two).
    pub fn other_user(&self, user_id: &str) -> Option<&str> {
        match self {
            Chat::Direct { low, high } if low == user_id => Some(high),
            Chat::Direct { low, high } if high == user_id => Some(low),
            _ => None,
        }
    }

    /// The chat a bot addresses with `recv_id` / `recv_type`.
    pub fn from_bot(bot_id: &str, recv_type: RecvType, recv_id: &str) -> Self {
        match recv_type {
            RecvType::Group => Chat::Group {
                group_id: recv_id.to_owned(),
            },
            RecvType::User => Chat::Private {
                bot_id: bot_id.to_owned(),
                user_id: recv_id.to_owned(),
            },
        }
    }

    /// Reads a stored chat key back.
    pub fn from_key(key: &str) -> Option<Self> {
        if let Some(group_id) = key.strip_prefix("g:") {
            return Some(Chat::Group {
                group_id: group_id.to_owned(),
            });
        }
        if let Some(pair) = key.strip_prefix("d:") {
            return Chat::from_dm_id(pair);
        }
        let (bot_id, user_id) = key.strip_prefix("p:")?.split_once(':')?;
        Some(Chat::Private {
            bot_id: bot_id.to_owned(),
            user_id: user_id.to_owned(),
        })
    }

    /// The key the chat is stored under. IDs cannot contain ':' (see `ids::check_id`), so
    /// the key is unambiguous; IDs from requests that are not valid never reach a stored row.
    pub fn key(&self) -> String {
        match self {
            Chat::Group { group_id } => format!("g:{group_id}"),
            Chat::Private { bot_id, user_id } => format!("p:{bot_id}:{user_id}"),
            Chat::Direct { low, high } => format!("d:{low}:{high}"),
        }
    }
}

/// A message as stored, with its sender's current nickname.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMessage {
    /// The message ID (32 hex).
    pub msg_id: String,
    /// The chat it is in.
    pub chat_key: String,
    /// Its position in its chat, from 1 without gaps.
    pub seq: i64,
    /// Who sent it.
    pub sender_type: SenderType,
    /// The sender's ID.
    pub sender_id: String,
    /// The sender's nickname now, `""` if the sender was deleted.
    pub sender_nickname: String,
    /// The content type.
    pub content_type: String,
    /// The content, as JSON text.
    pub content: String,
    /// The quoted message, `""` when none.
    pub parent_id: String,
    /// The command's ID, 0 for normal messages.
    pub command_id: i64,
    /// The command's name, `""` for normal messages.
    pub command_name: String,
    /// Epoch ms.
    pub send_time: i64,
    /// When it was last edited, epoch ms.
    pub edit_time: Option<i64>,
    /// Whether it was recalled.
    pub recalled: bool,
    /// The content's sanitized HTML, rendered once before the message (or its last edit) was
    /// written; `None` when there is nothing to mark up.
    pub html: Option<String>,
    /// Its reactions, where a read asked for them (history pages, and the records of an
    /// edit or a reaction); empty otherwise.
    pub reactions: Vec<Reaction>,
}

/// What happened to a message, as recorded in the chat log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogKind {
    /// It was sent.
    Message,
    /// Its content changed.
    Edit,
    /// It was recalled.
    Recall,
    /// Its reactions changed.
    Reaction,
}

impl LogKind {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            LogKind::Message => "message",
            LogKind::Edit => "edit",
            LogKind::Recall => "recall",
            LogKind::Reaction => "reaction",
        }
    }

    /// Parses the stored spelling.
    pub fn from_stored(s: &str) -> Option<Self> {
        match s {
            "message" => Some(LogKind::Message),
            "edit" => Some(LogKind::Edit),
            "recall" => Some(LogKind::Recall),
            "reaction" => Some(LogKind::Reaction),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whoever starts it, a pair of users has one direct chat, whose key and chat ID read back
    /// to it; anything but two different IDs in order names none.
    #[test]
    fn a_direct_chat_is_the_ordered_pair() {
        let chat = Chat::direct("7756242", "1234567").unwrap();
        assert_eq!(Chat::direct("1234567", "7756242"), Some(chat.clone()));
        assert_eq!(chat.key(), "d:1234567:7756242");
        assert_eq!(Chat::from_key(&chat.key()), Some(chat.clone()));
        let seen = chat.chat_ref();
        assert_eq!(
            (seen.chat_type.as_str(), seen.chat_id.as_str()),
            ("dm", "1234567:7756242")
        );
        assert_eq!(Chat::from_dm_id("1234567:7756242"), Some(chat.clone()));
        assert_eq!(chat.other_user("1234567"), Some("7756242"));
        assert_eq!(chat.other_user("7756242"), Some("1234567"));
        assert_eq!(chat.other_user("5550001"), None);
        assert_eq!(Chat::direct("a", "a"), None);
        for bad in ["7756242:1234567", "a:a", ":a", "a:", "a", "a:b:c", ""] {
            assert_eq!(Chat::from_dm_id(bad), None, "{bad}");
        }
    }
}
