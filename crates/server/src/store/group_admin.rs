//! Group administration by bots (wire §6.9): the operator's per-group permissions for a bot,
//! gags, message-type limits and member tags, and the policy a member's send is held to.

use std::collections::BTreeMap;

use super::db::{Connection, OptionalExtension, params};
use cloudlake_protocol::GroupTag;
use serde::{Deserialize, Serialize};

use super::directory::leave_group;
use super::tips::{self, Tip};
use super::{Store, StoreError};
use crate::clock::now_ms;

/// What the operator lets a bot do in one group. All false by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct BotPermissions {
    /// `/group/gag-member`.
    pub allow_gag_member: bool,
    /// `/group/remove-member`.
    pub allow_remove_member: bool,
    /// `/group/msg-type-limit`.
    pub allow_edit_group_info: bool,
    /// `/group/tag/create`, `edit`, `delete`, `user-relate`, `user-relate-cancel`.
    pub allow_group_tag_manage: bool,
}

/// A gag to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gag {
    /// Unmute (`gag: 0`).
    Lift,
    /// Muted for this many seconds from the write (the tip says the length asked for, not
    /// one worked back from an end time, which a busy writer would make a second short).
    For(i64),
    /// Muted until unmuted (`gag: -1`).
    Forever,
}

/// Whether a member may send a message of some type into a group now: what the user-send
/// path checks (see [`Store::group_send_policy`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendPolicy {
    /// The member may send it.
    Allowed,
    /// The member is muted: until that time (epoch ms), or until unmuted when `None`.
    Gagged {
        /// When the gag ends, epoch ms; `None` for a permanent gag.
        until_ms: Option<i64>,
    },
    /// The group's message-type limit does not include this type.
    TypeNotAllowed,
}

/// What became of a change to a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberChange {
    /// Done.
    Done,
    /// The user is not a member of the group; nothing changed.
    NotMember,
    /// The user is the group's owner, who cannot be gagged or removed; nothing changed.
    Owner,
}

/// What became of a change to tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagChange {
    /// Done.
    Done,
    /// No tag of that name in the group; nothing changed.
    TagMissing,
    /// The (new) name is taken by another tag of the group; nothing changed.
    NameTaken,
    /// The user is not a member of the group; nothing changed.
    NotMember,
}

/// The changes a tag edit makes; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagEdit {
    /// A new name.
    pub new_tag: Option<String>,
    /// A new colour.
    pub color: Option<String>,
    /// A new description.
    pub desc: Option<String>,
    /// A new sort order.
    pub sort: Option<i64>,
}

/// A muted member, as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GagEntry {
    /// The member.
    pub user_id: String,
    /// When the gag ends, epoch ms; `null` for a permanent gag.
    pub until_ms: Option<i64>,
    /// The bot that set it.
    pub set_by_bot: String,
}

/// A group's administration state, as the admin API shows it beside the group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupAdminState {
    /// Each bot in the group with its permissions.
    pub bot_permissions: BTreeMap<String, BotPermissions>,
    /// The message types members may send; empty means any.
    pub msg_type_limit: Vec<String>,
    /// Members muted now.
    pub gags: Vec<GagEntry>,
}

impl Store {
    /// The bot's permissions in the group, or `None` when the bot is not in it (or there is
    /// no such group).
    pub async fn bot_permissions(
        &self,
        bot_id: String,
        group_id: String,
    ) -> Result<Option<BotPermissions>, StoreError> {
        self.readers
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(
                        "SELECT COALESCE(p.allow_gag_member, 0), COALESCE(p.allow_remove_member, 0), \
                                COALESCE(p.allow_edit_group_info, 0), COALESCE(p.allow_group_tag_manage, 0) \
                         FROM group_bots b LEFT JOIN group_bot_permissions p \
                           ON p.group_id = b.group_id AND p.bot_id = b.bot_id \
                         WHERE b.group_id = ?1 AND b.bot_id = ?2",
                    )?
                    .query_row(params![group_id, bot_id], |row| {
                        Ok(BotPermissions {
                            allow_gag_member: row.get(0)?,
                            allow_remove_member: row.get(1)?,
                            allow_edit_group_info: row.get(2)?,
                            allow_group_tag_manage: row.get(3)?,
                        })
                    })
                    .optional()?)
            })
            .await
    }

    /// Sets the bot's permissions in a group it is in (`NotFound` otherwise).
    pub async fn set_bot_permissions(
        &self,
        bot_id: String,
        group_id: String,
        permissions: BotPermissions,
    ) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| {
                let member = conn
                    .prepare_cached("SELECT 1 FROM group_bots WHERE group_id = ?1 AND bot_id = ?2")?
                    .query_row(params![group_id, bot_id], |_| Ok(()))
                    .optional()?;
                if member.is_none() {
                    return Err(StoreError::not_found(
                        "bot membership",
                        format!("{bot_id} in {group_id}"),
                    ));
                }
                let p = permissions;
                conn.prepare_cached(
                    "INSERT INTO group_bot_permissions (group_id, bot_id, allow_gag_member, \
                       allow_remove_member, allow_edit_group_info, allow_group_tag_manage) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                     ON CONFLICT (group_id, bot_id) DO UPDATE SET \
                       allow_gag_member = excluded.allow_gag_member, \
                       allow_remove_member = excluded.allow_remove_member, \
                       allow_edit_group_info = excluded.allow_edit_group_info, \
                       allow_group_tag_manage = excluded.allow_group_tag_manage",
                )?
                .execute(params![
                    group_id,
                    bot_id,
                    p.allow_gag_member,
                    p.allow_remove_member,
                    p.allow_edit_group_info,
                    p.allow_group_tag_manage
                ])?;
                Ok(())
            })
            .await
    }

    /// Mutes or unmutes a member on behalf of `bot_id`. The owner cannot be muted.
    pub async fn gag_member(
        &self,
        bot_id: String,
        group_id: String,
        user_id: String,
        gag: Gag,
    ) -> Result<MemberChange, StoreError> {
        self.writer
            .write_tx(move |tx| {
                let conn = tx.conn();
                match member_role(conn, &group_id, &user_id)?.as_deref() {
                    None => return Ok(MemberChange::NotMember),
                    Some("owner") => return Ok(MemberChange::Owner),
                    Some(_) => {}
                }
                match gag {
                    Gag::Lift => {
                        // A tip only for a gag in force: lifting one that has run out (its row
                        // stays until the next gag call) tells of nothing that changed.
                        let lifted = conn
                            .prepare_cached(
                                "DELETE FROM group_gags WHERE group_id = ?1 AND user_id = ?2 \
                                   AND (until_ms IS NULL OR until_ms > ?3)",
                            )?
                            .execute(params![group_id, user_id, now_ms()])?;
                        conn.prepare_cached(
                            "DELETE FROM group_gags WHERE group_id = ?1 AND user_id = ?2",
                        )?
                        .execute(params![group_id, user_id])?;
                        if lifted == 0 {
                            return Ok(MemberChange::Done);
                        }
                    }
                    Gag::For(_) | Gag::Forever => {
                        let until = match gag {
                            Gag::For(secs) => Some(now_ms().saturating_add(secs.saturating_mul(1000))),
                            _ => None,
                        };
                        conn.prepare_cached(
                            "INSERT INTO group_gags (group_id, user_id, until_ms, set_by_bot, set_at) \
                             VALUES (?1, ?2, ?3, ?4, ?5) \
                             ON CONFLICT (group_id, user_id) DO UPDATE SET until_ms = excluded.until_ms, \
                               set_by_bot = excluded.set_by_bot, set_at = excluded.set_at",
                        )?
                        .execute(params![group_id, user_id, until, bot_id, now_ms()])?;
                    }
                }
                tips::post(tx, &group_id, Some(&bot_id), &user_id, Tip::Gagged(gag))?;
                Ok(MemberChange::Done)
            })
            .await
    }

    /// Removes a member on behalf of a bot, with the `group.leave` events and live
    /// unsubscription of any other leave. The owner cannot be removed. The member's gag and
    /// tags go with the membership (foreign keys).
    pub async fn remove_member_by_bot(
        &self,
        bot_id: String,
        group_id: String,
        user_id: String,
    ) -> Result<MemberChange, StoreError> {
        self.writer
            .write_tx(move |tx| {
                let conn = tx.conn();
                match member_role(conn, &group_id, &user_id)?.as_deref() {
                    None => return Ok(MemberChange::NotMember),
                    Some("owner") => return Ok(MemberChange::Owner),
                    Some(_) => {}
                }
                leave_group(tx, &group_id, &user_id)?;
                tips::post(tx, &group_id, Some(&bot_id), &user_id, Tip::Removed)?;
                Ok(MemberChange::Done)
            })
            .await
    }

    /// Sets which message types members may send; an empty list lifts the limit.
    pub async fn set_msg_type_limit(
        &self,
        group_id: String,
        types: Vec<String>,
    ) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| {
                if types.is_empty() {
                    conn.prepare_cached("DELETE FROM group_msg_type_limits WHERE group_id = ?1")?
                        .execute([&group_id])?;
                } else {
                    conn.prepare_cached(
                        "INSERT INTO group_msg_type_limits (group_id, types) VALUES (?1, ?2) \
                         ON CONFLICT (group_id) DO UPDATE SET types = excluded.types",
                    )?
                    .execute(params![group_id, types.join(",")])?;
                }
                Ok(())
            })
            .await
    }

    /// The group's tags, by sort order then name.
    pub async fn group_tags(&self, group_id: String) -> Result<Vec<GroupTag>, StoreError> {
        self.readers
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT tag, \"desc\", color, sort FROM group_tags WHERE group_id = ?1 \
                     ORDER BY sort, tag",
                )?;
                let rows = stmt.query_map([&group_id], |row| {
                    Ok(GroupTag {
                        tag: row.get(0)?,
                        desc: row.get(1)?,
                        color: row.get(2)?,
                        sort: row.get(3)?,
                    })
                })?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
    }

    /// Creates a tag; `None` when the group already has one of that name.
    pub async fn create_tag(
        &self,
        group_id: String,
        tag: GroupTag,
    ) -> Result<Option<i64>, StoreError> {
        self.writer
            .write(move |conn| {
                if tag_id(conn, &group_id, &tag.tag)?.is_some() {
                    return Ok(None);
                }
                let id = conn
                    .prepare_cached(
                        "INSERT INTO group_tags (group_id, tag, color, \"desc\", sort, created_at) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
                    )?
                    .query_row(
                        params![group_id, tag.tag, tag.color, tag.desc, tag.sort, now_ms()],
                        |row| row.get(0),
                    )?;
                Ok(Some(id))
            })
            .await
    }

    /// Renames or restyles a tag.
    pub async fn edit_tag(
        &self,
        group_id: String,
        tag: String,
        edit: TagEdit,
    ) -> Result<TagChange, StoreError> {
        self.writer
            .write(move |conn| {
                let Some(id) = tag_id(conn, &group_id, &tag)? else {
                    return Ok(TagChange::TagMissing);
                };
                if let Some(new_tag) = &edit.new_tag
                    && tag_id(conn, &group_id, new_tag)?.is_some_and(|other| other != id)
                {
                    return Ok(TagChange::NameTaken);
                }
                conn.prepare_cached(
                    "UPDATE group_tags SET tag = COALESCE(?2, tag), color = COALESCE(?3, color), \
                       \"desc\" = COALESCE(?4, \"desc\"), sort = COALESCE(?5, sort) WHERE id = ?1",
                )?
                .execute(params![
                    id,
                    edit.new_tag,
                    edit.color,
                    edit.desc,
                    edit.sort
                ])?;
                Ok(TagChange::Done)
            })
            .await
    }

    /// Deletes a tag and takes it from every member.
    pub async fn delete_tag(&self, group_id: String, tag: String) -> Result<TagChange, StoreError> {
        self.writer
            .write(move |conn| {
                let n = conn
                    .prepare_cached("DELETE FROM group_tags WHERE group_id = ?1 AND tag = ?2")?
                    .execute(params![group_id, tag])?;
                Ok(if n == 0 {
                    TagChange::TagMissing
                } else {
                    TagChange::Done
                })
            })
            .await
    }

    /// Gives a member a tag (`relate`) or takes it away. Giving twice or taking a tag the
    /// member does not have is not an error.
    pub async fn relate_tag(
        &self,
        group_id: String,
        user_id: String,
        tag: String,
        relate: bool,
    ) -> Result<TagChange, StoreError> {
        self.writer
            .write(move |conn| {
                let Some(id) = tag_id(conn, &group_id, &tag)? else {
                    return Ok(TagChange::TagMissing);
                };
                if member_role(conn, &group_id, &user_id)?.is_none() {
                    return Ok(TagChange::NotMember);
                }
                let sql = if relate {
                    "INSERT INTO group_tag_members (tag_id, group_id, user_id) VALUES (?1, ?2, ?3) \
                     ON CONFLICT DO NOTHING"
                } else {
                    "DELETE FROM group_tag_members WHERE tag_id = ?1 AND group_id = ?2 AND user_id = ?3"
                };
                conn.prepare_cached(sql)?
                    .execute(params![id, group_id, user_id])?;
                Ok(TagChange::Done)
            })
            .await
    }

    /// The tags a member holds, by sort order then name.
    pub async fn member_tags(
        &self,
        group_id: String,
        user_id: String,
    ) -> Result<Vec<String>, StoreError> {
        self.readers
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT t.tag FROM group_tag_members m JOIN group_tags t ON t.id = m.tag_id \
                     WHERE m.group_id = ?1 AND m.user_id = ?2 ORDER BY t.sort, t.tag",
                )?;
                let rows = stmt.query_map(params![group_id, user_id], |row| row.get(0))?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
    }

    /// Whether `user_id` may send a message of `content_type` (the wire spelling) into the
    /// group now: a gag in force comes first, then the group's message-type limit. Membership
    /// itself is not checked here.
    pub async fn group_send_policy(
        &self,
        group_id: String,
        user_id: String,
        content_type: String,
    ) -> Result<SendPolicy, StoreError> {
        self.readers
            .read(move |conn| send_policy(conn, &group_id, &user_id, &content_type))
            .await
    }

    /// The group's administration state for the admin API.
    pub async fn group_admin_state(&self, group_id: String) -> Result<GroupAdminState, StoreError> {
        self.readers
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT b.bot_id, COALESCE(p.allow_gag_member, 0), COALESCE(p.allow_remove_member, 0), \
                            COALESCE(p.allow_edit_group_info, 0), COALESCE(p.allow_group_tag_manage, 0) \
                     FROM group_bots b LEFT JOIN group_bot_permissions p \
                       ON p.group_id = b.group_id AND p.bot_id = b.bot_id \
                     WHERE b.group_id = ?1 ORDER BY b.bot_id",
                )?;
                let bot_permissions = stmt
                    .query_map([&group_id], |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            BotPermissions {
                                allow_gag_member: row.get(1)?,
                                allow_remove_member: row.get(2)?,
                                allow_edit_group_info: row.get(3)?,
                                allow_group_tag_manage: row.get(4)?,
                            },
                        ))
                    })?
                    .collect::<Result<_, _>>()?;
                let mut stmt = conn.prepare_cached(
                    "SELECT user_id, until_ms, set_by_bot FROM group_gags \
                     WHERE group_id = ?1 AND (until_ms IS NULL OR until_ms > ?2) ORDER BY user_id",
                )?;
                let gags = stmt
                    .query_map(params![group_id, now_ms()], |row| {
                        Ok(GagEntry {
                            user_id: row.get(0)?,
                            until_ms: row.get(1)?,
                            set_by_bot: row.get(2)?,
                        })
                    })?
                    .collect::<Result<_, _>>()?;
                Ok(GroupAdminState {
                    bot_permissions,
                    msg_type_limit: msg_type_limit(conn, &group_id)?,
                    gags,
                })
            })
            .await
    }
}

fn member_role(
    conn: &Connection,
    group_id: &str,
    user_id: &str,
) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT role FROM group_members WHERE group_id = ?1 AND user_id = ?2")?
        .query_row([group_id, user_id], |row| row.get(0))
        .optional()?)
}

fn tag_id(conn: &Connection, group_id: &str, tag: &str) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT id FROM group_tags WHERE group_id = ?1 AND tag = ?2")?
        .query_row([group_id, tag], |row| row.get(0))
        .optional()?)
}

fn msg_type_limit(conn: &Connection, group_id: &str) -> Result<Vec<String>, StoreError> {
    let types: Option<String> = conn
        .prepare_cached("SELECT types FROM group_msg_type_limits WHERE group_id = ?1")?
        .query_row([group_id], |row| row.get(0))
        .optional()?;
    Ok(types
        .map(|t| {
            t.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default())
}

/// [`Store::group_send_policy`] inside a transaction: the user-send path checks it in the same
/// write that stores the message, so a gag set a moment earlier is always honoured.
pub(crate) fn send_policy(
    conn: &Connection,
    group_id: &str,
    user_id: &str,
    content_type: &str,
) -> Result<SendPolicy, StoreError> {
    let gag: Option<Option<i64>> = conn
        .prepare_cached("SELECT until_ms FROM group_gags WHERE group_id = ?1 AND user_id = ?2")?
        .query_row(params![group_id, user_id], |row| row.get(0))
        .optional()?;
    match gag {
        // An expired gag is simply not in force; its row is overwritten or removed by the next
        // gag call for the member.
        Some(until_ms) if until_ms.is_none_or(|t| t > now_ms()) => {
            return Ok(SendPolicy::Gagged { until_ms });
        }
        _ => {}
    }
    let limit = msg_type_limit(conn, group_id)?;
    if !limit.is_empty() && !limit.iter().any(|t| t == content_type) {
        return Ok(SendPolicy::TypeNotAllowed);
    }
    Ok(SendPolicy::Allowed)
}
