//! Users, groups, bots and their relations: follows, memberships, bots in groups.

use super::db::{Connection, OptionalExtension, Row, params};

use cloudlake_protocol::Event;

use super::model::{Bot, BotDetail, Chat, Group, GroupDetail, Member, Role, User};
use super::outbox::{bots_in_group, enqueue, member_event};
use super::record::Record;
use super::tips::{self, Tip};
use super::tx::Tx;
use super::{Store, StoreError};
use crate::clock::now_ms;
use crate::ids::random_numeric_id;
use crate::secret::TokenHash;

/// How many random IDs to try before giving up on a collision-free one (practically never
/// more than one at these ID lengths).
const ID_ATTEMPTS: usize = 16;

impl Store {
    // ---- users ----

    /// Creates a user with `id`, or a random 7-digit ID.
    pub async fn create_user(
        &self,
        id: Option<String>,
        nickname: String,
        token: TokenHash,
    ) -> Result<User, StoreError> {
        self.writer
            .write(move |conn| {
                let now = now_ms();
                let id = pick_id(conn, "user", "users", id, 7)?;
                conn.prepare_cached(
                    "INSERT INTO users (id, nickname, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![id, nickname, token.0, now])?;
                Ok(User {
                    user_id: id,
                    nickname,
                    avatar_url: String::new(),
                    created_at: now,
                })
            })
            .await
    }

    /// Every user, by ID.
    pub async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        self.readers
            .read(|conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT id, nickname, avatar_url, created_at FROM users ORDER BY id",
                )?;
                let rows = stmt.query_map([], user_row)?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
    }

    /// One user.
    pub async fn user(&self, id: String) -> Result<Option<User>, StoreError> {
        self.readers
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(
                        "SELECT id, nickname, avatar_url, created_at FROM users WHERE id = ?1",
                    )?
                    .query_row([&id], user_row)
                    .optional()?)
            })
            .await
    }

    /// Deletes a user with their memberships and follows; their live sessions end. Their
    /// messages stay in the history of groups and bots; their direct chats end, with their
    /// history (`direct::close_direct_chats`).
    pub async fn delete_user(&self, id: String) -> Result<(), StoreError> {
        self.writer
            .write_tx(move |tx| {
                super::direct::close_direct_chats(tx, &id)?;
                let conn = tx.conn();
                let n = conn
                    .prepare_cached("DELETE FROM users WHERE id = ?1")?
                    .execute([&id])?;
                expect_one(n, "user", id.clone())?;
                tx.record(Record::UserClosed {
                    user_id: id,
                    session: None,
                });
                Ok(())
            })
            .await
    }

    /// Replaces a user's token; their open live connections and sign-in sessions end.
    pub async fn set_user_token(&self, id: String, token: TokenHash) -> Result<(), StoreError> {
        self.writer
            .write_tx(move |tx| {
                // A new token is a fresh start: sessions opened before it end too. Ended
                // before the update, while the old token is the one to close sockets of.
                super::sessions::end_credentials(tx, &id)?;
                let n = tx
                    .conn()
                    .prepare_cached("UPDATE users SET token_hash = ?2 WHERE id = ?1")?
                    .execute(params![id, token.0])?;
                expect_one(n, "user", id)
            })
            .await
    }

    /// The user a token belongs to.
    pub async fn user_by_token(&self, token: TokenHash) -> Result<Option<User>, StoreError> {
        self.readers
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(
                        "SELECT id, nickname, avatar_url, created_at FROM users WHERE token_hash = ?1",
                    )?
                    .query_row([token.0], user_row)
                    .optional()?)
            })
            .await
    }

    // ---- groups ----

    /// Creates a group with `id`, or a random 9-digit ID. Users may join an `open` group by
    /// themselves.
    pub async fn create_group(
        &self,
        id: Option<String>,
        name: String,
        open: bool,
    ) -> Result<Group, StoreError> {
        self.writer
            .write(move |conn| {
                let now = now_ms();
                let id = pick_id(conn, "group", "chat_groups", id, 9)?;
                conn.prepare_cached(
                    "INSERT INTO chat_groups (id, name, open, created_at) VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![id, name, open, now])?;
                Ok(Group {
                    group_id: id,
                    name,
                    avatar_url: String::new(),
                    open,
                    created_at: now,
                })
            })
            .await
    }

    /// Every group, by ID.
    pub async fn list_groups(&self) -> Result<Vec<Group>, StoreError> {
        self.readers
            .read(|conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT id, name, avatar_url, open, created_at FROM chat_groups ORDER BY id",
                )?;
                let rows = stmt.query_map([], group_row)?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
    }

    /// One group with its members and bots.
    pub async fn group_detail(&self, id: String) -> Result<Option<GroupDetail>, StoreError> {
        self.readers
            .read(move |conn| {
                let Some(group) = conn
                    .prepare_cached(
                        "SELECT id, name, avatar_url, open, created_at FROM chat_groups WHERE id = ?1",
                    )?
                    .query_row([&id], group_row)
                    .optional()?
                else {
                    return Ok(None);
                };
                let mut stmt = conn.prepare_cached(
                    "SELECT m.user_id, u.nickname, m.role FROM group_members m \
                     JOIN users u ON u.id = m.user_id WHERE m.group_id = ?1 ORDER BY m.joined_at, m.user_id",
                )?;
                let members = stmt
                    .query_map([&id], |row| {
                        Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?))
                    })?
                    .map(|row| {
                        let (user_id, nickname, role) = row?;
                        let role = Role::from_wire(&role)
                            .ok_or_else(|| StoreError::Corrupt(format!("role {role:?}")))?;
                        Ok(Member {
                            user_id,
                            nickname,
                            role,
                        })
                    })
                    .collect::<Result<_, StoreError>>()?;
                let bots = ids(conn, "SELECT bot_id FROM group_bots WHERE group_id = ?1 ORDER BY bot_id", &id)?;
                Ok(Some(GroupDetail {
                    group,
                    members,
                    bots,
                }))
            })
            .await
    }

    /// Deletes a group with its memberships and its history; live subscriptions to it end.
    pub async fn delete_group(&self, id: String) -> Result<(), StoreError> {
        self.writer
            .write_tx(move |tx| {
                let conn = tx.conn();
                let n = conn
                    .prepare_cached("DELETE FROM chat_groups WHERE id = ?1")?
                    .execute([&id])?;
                expect_one(n, "group", id.clone())?;
                let key = Chat::Group { group_id: id }.key();
                // The newest cursors may be this chat's: remember the highest, since cursors
                // must never go back below one a client already holds (after a restart the
                // writer reads its cursor back from what is stored).
                let last = tx.numbers().last_cursor(conn)?;
                conn.prepare_cached("UPDATE cursor_floor SET last = ?1 WHERE last < ?1")?
                    .execute([last])?;
                for sql in [
                    "DELETE FROM messages WHERE chat_key = ?1",
                    "DELETE FROM chat_log WHERE chat_key = ?1",
                    "DELETE FROM read_markers WHERE chat_key = ?1",
                    "DELETE FROM boards WHERE chat_key = ?1",
                ] {
                    conn.prepare_cached(sql)?.execute([&key])?;
                }
                tx.numbers().forget_seq(&key);
                tx.record(Record::ChatClosed { chat_key: key });
                Ok(())
            })
            .await
    }

    /// Makes `user` a member of `group` with `role`, or changes their role. A new member
    /// causes `group.join` for every bot in the group. Returns whether the user is new.
    pub async fn set_member(
        &self,
        group: String,
        user: String,
        role: Role,
    ) -> Result<bool, StoreError> {
        self.writer
            .write_tx(move |tx| {
                let conn = tx.conn();
                require(
                    conn,
                    "group",
                    "SELECT 1 FROM chat_groups WHERE id = ?1",
                    &group,
                )?;
                require(conn, "user", "SELECT 1 FROM users WHERE id = ?1", &user)?;
                let before: Option<String> = conn
                    .prepare_cached(
                        "SELECT role FROM group_members WHERE group_id = ?1 AND user_id = ?2",
                    )?
                    .query_row([&group, &user], |row| row.get(0))
                    .optional()?;
                let added = join_group(tx, &group, &user, role)?;
                if !added {
                    tx.conn()
                        .prepare_cached(
                            "UPDATE group_members SET role = ?3 WHERE group_id = ?1 AND user_id = ?2",
                        )?
                        .execute(params![group, user, role.as_str()])?;
                }
                // Yunhu posts a tip when someone becomes, or stops being, an administrator.
                let was_admin = before.as_deref() == Some(Role::Administrator.as_str());
                let tip = match (was_admin, role) {
                    (false, Role::Administrator) => Some(Tip::MadeAdministrator),
                    (true, Role::Member) => Some(Tip::NoLongerAdministrator),
                    _ => None,
                };
                if let Some(tip) = tip {
                    tips::post(tx, &group, None, &user, tip)?;
                }
                Ok(added)
            })
            .await
    }

    /// Removes `user` from `group`, causing `group.leave` for every bot in the group.
    pub async fn remove_member(&self, group: String, user: String) -> Result<(), StoreError> {
        self.writer
            .write_tx(move |tx| {
                if leave_group(tx, &group, &user)? {
                    tips::post(tx, &group, None, &user, Tip::Removed)
                } else {
                    Err(StoreError::not_found(
                        "membership",
                        format!("{user} in {group}"),
                    ))
                }
            })
            .await
    }

    // ---- bots ----

    /// Creates a bot with `id`, or a random 8-digit ID.
    pub async fn create_bot(
        &self,
        id: Option<String>,
        nickname: String,
        webhook_url: Option<String>,
        token: TokenHash,
    ) -> Result<Bot, StoreError> {
        self.writer
            .write(move |conn| {
                let now = now_ms();
                let id = pick_id(conn, "bot", "bots", id, 8)?;
                conn.prepare_cached(
                    "INSERT INTO bots (id, nickname, token_hash, webhook_url, created_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![id, nickname, token.0, webhook_url, now])?;
                Ok(Bot {
                    bot_id: id,
                    nickname,
                    avatar_url: String::new(),
                    webhook_url,
                    created_at: now,
                })
            })
            .await
    }

    /// Every bot, by ID.
    pub async fn list_bots(&self) -> Result<Vec<Bot>, StoreError> {
        self.readers
            .read(|conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT id, nickname, avatar_url, webhook_url, created_at FROM bots ORDER BY id",
                )?;
                let rows = stmt.query_map([], bot_row)?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
    }

    /// The bots in `group`, by ID (none for a group that does not exist).
    pub async fn group_bots(&self, group: String) -> Result<Vec<Bot>, StoreError> {
        self.readers
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT b.id, b.nickname, b.avatar_url, b.webhook_url, b.created_at \
                     FROM group_bots g JOIN bots b ON b.id = g.bot_id WHERE g.group_id = ?1 \
                     ORDER BY b.id",
                )?;
                let rows = stmt.query_map([&group], bot_row)?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
    }

    /// One bot with its followers and groups.
    pub async fn bot_detail(&self, id: String) -> Result<Option<BotDetail>, StoreError> {
        self.readers
            .read(move |conn| {
                let Some(bot) = conn
                    .prepare_cached(
                        "SELECT id, nickname, avatar_url, webhook_url, created_at FROM bots WHERE id = ?1",
                    )?
                    .query_row([&id], bot_row)
                    .optional()?
                else {
                    return Ok(None);
                };
                let followers = ids(conn, "SELECT user_id FROM bot_followers WHERE bot_id = ?1 ORDER BY user_id", &id)?;
                let groups = ids(conn, "SELECT group_id FROM group_bots WHERE bot_id = ?1 ORDER BY group_id", &id)?;
                Ok(Some(BotDetail {
                    bot,
                    followers,
                    groups,
                }))
            })
            .await
    }

    /// The bot a token belongs to (cached: see `token_cache`).
    pub async fn bot_by_token(&self, token: TokenHash) -> Result<Option<Bot>, StoreError> {
        if let Some(bot) = self.bot_tokens.get(&token) {
            return Ok(Some(bot));
        }
        let generation = self.bot_tokens.generation();
        let bot = self
            .readers
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(
                        "SELECT id, nickname, avatar_url, webhook_url, created_at FROM bots WHERE token_hash = ?1",
                    )?
                    .query_row([token.0], bot_row)
                    .optional()?)
            })
            .await?;
        if let Some(bot) = &bot {
            self.bot_tokens.put(token, bot.clone(), generation);
        }
        Ok(bot)
    }

    /// Deletes a bot with its follows and group memberships; its followers' live sessions
    /// stop following the private chats. Its messages stay in history.
    pub async fn delete_bot(&self, id: String) -> Result<(), StoreError> {
        let result = self
            .writer
            .write_tx(move |tx| {
                let conn = tx.conn();
                let followers = ids(
                    conn,
                    "SELECT user_id FROM bot_followers WHERE bot_id = ?1",
                    &id,
                )?;
                let n = conn
                    .prepare_cached("DELETE FROM bots WHERE id = ?1")?
                    .execute([&id])?;
                expect_one(n, "bot", id.clone())?;
                for user_id in followers {
                    let chat_key = Chat::Private {
                        bot_id: id.clone(),
                        user_id,
                    }
                    .key();
                    tx.record(Record::ChatClosed { chat_key });
                }
                // Its sockets wake, find no bot, and close.
                tx.wake_bot(&id);
                Ok(())
            })
            .await;
        self.bot_tokens.clear();
        result
    }

    /// Whether `token` is the bot's token now, read from the database (not the token cache,
    /// which another node's rotation reaches only at its TTL): an open bot socket asks this
    /// before each page of events it sends.
    pub async fn bot_has_token(
        &self,
        bot_id: String,
        token: TokenHash,
    ) -> Result<bool, StoreError> {
        self.readers
            .read(move |conn| {
                Ok(conn
                    .prepare_cached("SELECT 1 FROM bots WHERE id = ?1 AND token_hash = ?2")?
                    .query_row(params![bot_id, token.0], |_| Ok(()))
                    .optional()?
                    .is_some())
            })
            .await
    }

    /// Replaces a bot's token; the old one stops working at once, and the bot's sockets
    /// opened with it are woken to find that out and close.
    pub async fn set_bot_token(&self, id: String, token: TokenHash) -> Result<(), StoreError> {
        let result = self
            .writer
            .write_tx(move |tx| {
                let n = tx
                    .conn()
                    .prepare_cached("UPDATE bots SET token_hash = ?2 WHERE id = ?1")?
                    .execute(params![id, token.0])?;
                expect_one(n, "bot", id.clone())?;
                tx.wake_bot(&id);
                Ok(())
            })
            .await;
        // After the commit: lookups from now on read the new token.
        self.bot_tokens.clear();
        result
    }

    /// `user` follows `bot` (adds it as a friend), causing `bot.followed`. Returns whether
    /// this is new; following again changes nothing and causes nothing.
    pub async fn follow(&self, bot: String, user: String) -> Result<bool, StoreError> {
        self.writer
            .write_tx(move |tx| {
                let conn = tx.conn();
                require(conn, "bot", "SELECT 1 FROM bots WHERE id = ?1", &bot)?;
                require(conn, "user", "SELECT 1 FROM users WHERE id = ?1", &user)?;
                let n = conn
                    .prepare_cached(
                        "INSERT INTO bot_followers (bot_id, user_id, followed_at) VALUES (?1, ?2, ?3) \
                         ON CONFLICT DO NOTHING",
                    )?
                    .execute(params![bot, user, now_ms()])?;
                if n == 1 {
                    enqueue(tx, &bot, &Event::BotFollowed(member_event(conn, &user, &bot, "bot")?))?;
                    let chat_key = Chat::Private { bot_id: bot, user_id: user.clone() }.key();
                    tx.record(Record::Joined { user_id: user, chat_key });
                }
                Ok(n == 1)
            })
            .await
    }

    /// `user` stops following `bot`, causing `bot.unfollowed`.
    pub async fn unfollow(&self, bot: String, user: String) -> Result<(), StoreError> {
        self.writer
            .write_tx(move |tx| {
                let conn = tx.conn();
                let n = conn
                    .prepare_cached("DELETE FROM bot_followers WHERE bot_id = ?1 AND user_id = ?2")?
                    .execute(params![bot, user])?;
                expect_one(n, "follow", format!("{user} of {bot}"))?;
                enqueue(
                    tx,
                    &bot,
                    &Event::BotUnfollowed(member_event(conn, &user, &bot, "bot")?),
                )?;
                let chat_key = Chat::Private {
                    bot_id: bot,
                    user_id: user.clone(),
                }
                .key();
                tx.record(Record::Left {
                    user_id: user,
                    chat_key,
                });
                Ok(())
            })
            .await
    }

    /// Adds `bot` to `group`. Returns whether this is new.
    pub async fn add_bot_to_group(&self, bot: String, group: String) -> Result<bool, StoreError> {
        self.writer
            .write(move |conn| {
                require(conn, "bot", "SELECT 1 FROM bots WHERE id = ?1", &bot)?;
                require(
                    conn,
                    "group",
                    "SELECT 1 FROM chat_groups WHERE id = ?1",
                    &group,
                )?;
                let n = conn
                    .prepare_cached(
                        "INSERT INTO group_bots (group_id, bot_id, joined_at) VALUES (?1, ?2, ?3) \
                         ON CONFLICT DO NOTHING",
                    )?
                    .execute(params![group, bot, now_ms()])?;
                Ok(n == 1)
            })
            .await
    }

    /// Removes `bot` from `group`.
    pub async fn remove_bot_from_group(
        &self,
        bot: String,
        group: String,
    ) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| {
                let n = conn
                    .prepare_cached("DELETE FROM group_bots WHERE group_id = ?1 AND bot_id = ?2")?
                    .execute(params![group, bot])?;
                // The group's settings of the bot go with it: added again, it starts afresh.
                conn.prepare_cached(
                    "DELETE FROM bot_group_settings WHERE group_id = ?1 AND bot_id = ?2",
                )?
                .execute(params![group, bot])?;
                expect_one(n, "bot membership", format!("{bot} in {group}"))
            })
            .await
    }
}

/// Adds a member (if new) with the events and live subscription that go with joining.
/// Returns whether the user was not a member before.
pub(crate) fn join_group(
    tx: &mut Tx<'_>,
    group: &str,
    user: &str,
    role: Role,
) -> Result<bool, StoreError> {
    let n = tx
        .conn()
        .prepare_cached(
            "INSERT INTO group_members (group_id, user_id, role, joined_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (group_id, user_id) DO NOTHING",
        )?
        .execute(params![group, user, role.as_str(), now_ms()])?;
    if n == 1 {
        announce_membership(tx, group, user, true)?;
    }
    Ok(n == 1)
}

/// Removes a member with the events and live unsubscription that go with leaving. Returns
/// whether the user was a member.
pub(crate) fn leave_group(tx: &mut Tx<'_>, group: &str, user: &str) -> Result<bool, StoreError> {
    let n = tx
        .conn()
        .prepare_cached("DELETE FROM group_members WHERE group_id = ?1 AND user_id = ?2")?
        .execute(params![group, user])?;
    if n == 1 {
        announce_membership(tx, group, user, false)?;
    }
    Ok(n == 1)
}

/// The ID to insert under: the one asked for if free, otherwise a fresh random one.
fn pick_id(
    conn: &Connection,
    kind: &'static str,
    table: &'static str,
    wanted: Option<String>,
    digits: u32,
) -> Result<String, StoreError> {
    let taken = |id: &str| -> Result<bool, StoreError> {
        Ok(conn
            .prepare_cached(&format!("SELECT 1 FROM {table} WHERE id = ?1"))?
            .query_row([id], |_| Ok(()))
            .optional()?
            .is_some())
    };
    if let Some(id) = wanted {
        if taken(&id)? {
            return Err(StoreError::Conflict { kind, id });
        }
        return Ok(id);
    }
    for _ in 0..ID_ATTEMPTS {
        let id = random_numeric_id(digits);
        if !taken(&id)? {
            return Ok(id);
        }
    }
    Err(StoreError::Conflict {
        kind,
        id: "(random)".to_owned(),
    })
}

fn require(conn: &Connection, kind: &'static str, sql: &str, id: &str) -> Result<(), StoreError> {
    conn.prepare_cached(sql)?
        .query_row([id], |_| Ok(()))
        .optional()?
        .ok_or_else(|| StoreError::not_found(kind, id))
}

pub(super) fn expect_one(changed: usize, kind: &'static str, id: String) -> Result<(), StoreError> {
    if changed == 0 {
        Err(StoreError::not_found(kind, id))
    } else {
        Ok(())
    }
}

fn ids(conn: &Connection, sql: &str, key: &str) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([key], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn user_row(row: &Row<'_>) -> super::db::Result<User> {
    Ok(User {
        user_id: row.get(0)?,
        nickname: row.get(1)?,
        avatar_url: row.get(2)?,
        created_at: row.get(3)?,
    })
}

fn group_row(row: &Row<'_>) -> super::db::Result<Group> {
    Ok(Group {
        group_id: row.get(0)?,
        name: row.get(1)?,
        avatar_url: row.get(2)?,
        open: row.get(3)?,
        created_at: row.get(4)?,
    })
}

fn bot_row(row: &Row<'_>) -> super::db::Result<Bot> {
    Ok(Bot {
        bot_id: row.get(0)?,
        nickname: row.get(1)?,
        avatar_url: row.get(2)?,
        webhook_url: row.get(3)?,
        created_at: row.get(4)?,
    })
}

/// What a join or leave causes: `group.join` / `group.leave` for every bot in the group, and
/// the user's open sessions subscribing to or leaving the group's chat.
fn announce_membership(
    tx: &mut Tx<'_>,
    group: &str,
    user: &str,
    joined: bool,
) -> Result<(), StoreError> {
    let conn = tx.conn();
    let payload = member_event(conn, user, group, "group")?;
    let event = if joined {
        Event::GroupJoin(payload)
    } else {
        Event::GroupLeave(payload)
    };
    for bot in bots_in_group(conn, group)? {
        enqueue(tx, &bot, &event)?;
    }
    let (user_id, chat_key) = (
        user.to_owned(),
        Chat::Group {
            group_id: group.to_owned(),
        }
        .key(),
    );
    tx.record(if joined {
        Record::Joined { user_id, chat_key }
    } else {
        Record::Left { user_id, chat_key }
    });
    Ok(())
}
