//! The message log: bots' sends, edits and recalls, people's edits and recalls of their own
//! messages, and history pages. Every change to a message takes the next cursor (a new message's id is its cursor; an edit or recall is a
//! chat log row) and is recorded for live sessions.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::db::{Connection, OptionalExtension, Piped, PipedParam, Row, params};
use cloudlake_protocol::{Content, RecvType, SenderType};

use super::group_admin::{SendPolicy, send_policy};
use super::media::note_media_in_chat;
use super::model::{Chat, LogKind, StoredMessage};
use super::numbers::{Numbers, Shift, last_cursor, last_seq_of_k};
use super::record::Record;
use super::tx::Tx;
use super::{Store, StoreError};

// SQL fragments as macros, so that `concat!` makes each statement's text at compile time
// (the statement cache is keyed by the text: a `format!` per edit would allocate and hash anew).

/// A visible message bot `?3` sent, by ID `?1`, in chat `?2`: one it may edit or recall. A
/// tip the bot caused is stored under it but is the group's record of what it did: never.
macro_rules! bots_own_message {
    () => {
        "msg_id = ?1 AND chat_key = ?2 AND sender_type = 'bot' AND sender_id = ?3 \
         AND recall_time IS NULL AND content_type <> 'tip'"
    };
}

/// A visible message user `?3` sent, by ID `?1`, in chat `?2`: one they may edit or recall.
/// (Users cause no tips, but the guard says so anyway: a tip is never anyone's to change.)
macro_rules! users_own_message {
    () => {
        "msg_id = ?1 AND chat_key = ?2 AND sender_type = 'user' AND sender_id = ?3 \
         AND recall_time IS NULL AND content_type <> 'tip'"
    };
}

/// A message just changed, in `SELECT_MESSAGE`'s columns, for a `RETURNING` clause (which may
/// name only the table changed: the sender's nickname, from the `bots` or `users` table that
/// `?3` is an ID of, comes by subquery).
macro_rules! message_as_it_stands {
    () => {
        message_as_it_stands!("bots")
    };
    ($senders:literal) => {
        concat!(
            "msg_id, chat_key, seq, sender_type, sender_id, \
             COALESCE((SELECT nickname FROM ",
            $senders,
            " WHERE id = ?3), ''), content_type, content, \
             parent_id, command_id, command_name, send_time, edit_time, recall_time IS NOT NULL, html"
        )
    };
}

/// A message to store, apart from its recipients.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The content type, as on the wire.
    pub content_type: String,
    /// The normalised content, as JSON text.
    pub content: String,
    /// The message to quote; dropped where it names no message of the recipient's chat.
    pub parent_id: Option<String>,
    /// Epoch ms.
    pub send_time: i64,
    /// The uploads the content carries: everyone in the chat may then fetch them.
    pub media_keys: Vec<String>,
    /// The content parsed and rendered for live frames, made once per send outside the writer
    /// (rendering and sanitizing markdown is the costliest step of a send; a batch_send to
    /// many chats shares one rendering).
    pub view: Arc<MessageView>,
}

/// A message's content as live frames show it, made by the caller before the write: the store
/// keeps the HTML as it is given and never renders.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageView {
    /// The normalised content.
    pub content: Content,
    /// Its sanitized HTML; `None` when there is nothing to mark up.
    pub html: Option<String>,
}

/// What became of one recipient of a bot's send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Stored in the recipient's chat. (Its position there is not told: on PostgreSQL it is
    /// settled only as the batch commits; see `Tx::hold_message`.)
    Stored,
    /// The user does not exist or does not follow the bot.
    NotFriend,
    /// The group does not exist or the bot is not in it.
    NotInGroup,
}

/// What became of a person's edit of a message.
#[derive(Debug, Clone, PartialEq)]
pub enum UserEdit {
    /// Replaced; the message as it now stands.
    Edited(Box<StoredMessage>),
    /// No such message in a chat the user can read now.
    NoMessage,
    /// The message is someone else's, a bot's, or a tip.
    NotYours,
    /// The message was recalled: there is nothing left to edit.
    Recalled,
    /// The group refuses the new content from this user: they are muted, or its type is not
    /// allowed there (the rules of a send).
    Refused(SendPolicy),
}

/// What became of a person's recall of a message.
#[derive(Debug, Clone, PartialEq)]
pub enum UserRecall {
    /// Recalled; the message as it now stands.
    Recalled(Box<StoredMessage>),
    /// No such message in a chat the user can read now.
    NoMessage,
    /// The message is someone else's, a bot's, or a tip.
    NotYours,
    /// The message was recalled already.
    AlreadyRecalled,
}

/// Whether a user may change a message (read in the same write transaction), and if so, the
/// message's chat; if not, why not.
enum Ownership {
    Own(Chat),
    NoMessage,
    NotYours,
    Recalled,
}

fn ownership(
    conn: &Connection,
    user_id: &str,
    message: Option<&StoredMessage>,
) -> Result<Ownership, StoreError> {
    let Some(message) = message else {
        return Ok(Ownership::NoMessage);
    };
    let chat = Chat::from_key(&message.chat_key)
        .ok_or_else(|| StoreError::Corrupt(format!("chat key {:?}", message.chat_key)))?;
    // A chat the user cannot read (any more) hides its messages altogether: the answer must
    // not tell them apart from messages that do not exist.
    if !super::user_side::in_chat(conn, user_id, &chat)? {
        return Ok(Ownership::NoMessage);
    }
    if message.sender_type != SenderType::User
        || message.sender_id != user_id
        || message.content_type == "tip"
    {
        return Ok(Ownership::NotYours);
    }
    if message.recalled {
        return Ok(Ownership::Recalled);
    }
    Ok(Ownership::Own(chat))
}

/// A bot's standing in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupAccess {
    /// No such group.
    Missing,
    /// The group exists and the bot is not in it.
    NotMember,
    /// The bot is in the group.
    Member,
}

impl Store {
    /// Stores one message from `bot_id` per recipient, each `(recv_id, msg_id)`, in a single
    /// transaction that commits before this returns. Recipients the bot may not reach are
    /// skipped and reported, not errors.
    pub async fn send_from_bot(
        &self,
        bot_id: String,
        recv_type: RecvType,
        recipients: Vec<(String, String)>,
        message: Outgoing,
    ) -> Result<Vec<Delivery>, StoreError> {
        // Numbered later: on PostgreSQL the sends of a batch run before it takes the
        // cluster's write lock (see `writer::CLUSTER_WRITE_LOCK`).
        self.writer
            .write_tx_numbered_later(move |tx| {
                let nickname = bot_nickname(tx, &bot_id)?;
                let sender = Sender {
                    kind: SenderType::Bot,
                    id: &bot_id,
                    nickname: &nickname,
                };
                let ids: Vec<&str> = recipients.iter().map(|(id, _)| id.as_str()).collect();
                let reachable = bot_reaches_in_batch(tx, &bot_id, recv_type, &ids)?;
                let targets: Vec<(Chat, &str)> = recipients
                    .iter()
                    .filter(|(recv_id, _)| reachable.contains(recv_id.as_str()))
                    .map(|(recv_id, msg_id)| {
                        (Chat::from_bot(&bot_id, recv_type, recv_id), msg_id.as_str())
                    })
                    .collect();
                let mut stored = append_many(tx, &targets, &sender, &message)?.into_iter();
                recipients
                    .iter()
                    .map(|(recv_id, _)| {
                        if !reachable.contains(recv_id.as_str()) {
                            return Ok(match recv_type {
                                RecvType::User => Delivery::NotFriend,
                                RecvType::Group => Delivery::NotInGroup,
                            });
                        }
                        stored.next().ok_or_else(|| {
                            StoreError::Internal("fewer messages stored than sent".into())
                        })?;
                        Ok(Delivery::Stored)
                    })
                    .collect()
            })
            .await
    }

    /// Replaces the content of a message `bot_id` sent into `chat`. Returns false when there
    /// is no such message (unknown, someone else's, in another chat, or recalled). A tip the
    /// bot caused is stored under it but is the group's record of what it did: never edited.
    pub async fn edit_from_bot(
        &self,
        bot_id: String,
        chat: Chat,
        msg_id: String,
        edit: Outgoing,
    ) -> Result<bool, StoreError> {
        self.writer
            .write_tx(move |tx| edit_bot_message(tx, &bot_id, &chat, &msg_id, &edit))
            .await
    }

    /// Recalls a message `bot_id` sent into `chat`. Returns false when there is no such
    /// message (unknown, someone else's, in another chat, already recalled, or a tip).
    pub async fn recall_from_bot(
        &self,
        bot_id: String,
        chat: Chat,
        msg_id: String,
        recall_time: i64,
    ) -> Result<bool, StoreError> {
        self.writer
            .write_tx(move |tx| {
                let recalled = tx
                    .conn()
                    .prepare_cached(concat!(
                        "UPDATE messages SET recall_time = ?4 WHERE ",
                        bots_own_message!(),
                        " RETURNING ",
                        message_as_it_stands!()
                    ))?
                    .query_row(
                        params![msg_id, chat.key(), bot_id, recall_time],
                        message_row,
                    )
                    .optional()?
                    .transpose()?;
                let Some(message) = recalled else {
                    return Ok(false);
                };
                log(tx, LogKind::Recall, message, recall_time)?;
                Ok(true)
            })
            .await
    }

    /// Replaces the content of a message `user_id` sent, in a chat they can still read, under
    /// the group's rules for a send (a muted member cannot edit; a type the group does not
    /// allow cannot be edited in). A reply keeps its quote. Causes no event for bots (Yunhu
    /// has no such event); live sessions see `message.edited`, as for a bot's edit.
    pub async fn edit_from_user(
        &self,
        user_id: String,
        msg_id: String,
        edit: Outgoing,
    ) -> Result<UserEdit, StoreError> {
        self.writer
            .write_tx(move |tx| {
                let conn = tx.conn();
                let before = load(conn, &msg_id)?;
                let chat = match ownership(conn, &user_id, before.as_ref())? {
                    Ownership::Own(chat) => chat,
                    Ownership::NoMessage => return Ok(UserEdit::NoMessage),
                    Ownership::NotYours => return Ok(UserEdit::NotYours),
                    Ownership::Recalled => return Ok(UserEdit::Recalled),
                };
                if let Chat::Group { group_id } = &chat {
                    match send_policy(conn, group_id, &user_id, &edit.content_type)? {
                        SendPolicy::Allowed => {}
                        refused => return Ok(UserEdit::Refused(refused)),
                    }
                }
                let chat_key = chat.key();
                // A reply keeps its quote: the quote fields worked out when it was written
                // live in the old content (as for a bot's edit).
                let content = match before.as_ref().filter(|m| !m.parent_id.is_empty()) {
                    Some(before) => {
                        super::quotes::with_quote_fields_of(&before.content, &edit.content)?
                    }
                    None => edit.content.clone(),
                };
                let edited = replace_content(
                    conn,
                    concat!(
                        "UPDATE messages SET content_type = ?4, content = ?5, edit_time = ?6, \
                         html = ?7 WHERE ",
                        users_own_message!(),
                        " RETURNING ",
                        message_as_it_stands!("users")
                    ),
                    [msg_id.as_str(), chat_key.as_str(), user_id.as_str()],
                    &edit,
                    &content,
                )?;
                // Checked above in this same transaction; the guard in the UPDATE only
                // repeats it, so that the statement alone can never change another's message.
                let Some(mut message) = edited else {
                    return Err(StoreError::Internal(
                        "a user's own message was not there to edit".into(),
                    ));
                };
                note_media_in_chat(conn, &edit.media_keys, &chat_key)?;
                // The answer shows the reactions too: the editor's client puts it in place
                // of the old message, as the others put the edit's frame.
                message.reactions = super::reactions::of_message(conn, &message.msg_id)?;
                log(tx, LogKind::Edit, message.clone(), edit.send_time)?;
                Ok(UserEdit::Edited(Box::new(message)))
            })
            .await
    }

    /// Recalls a message `user_id` sent, in a chat they can still read. Causes no event for
    /// bots; live sessions see `message.recalled`, as for a bot's recall.
    pub async fn recall_from_user(
        &self,
        user_id: String,
        msg_id: String,
        recall_time: i64,
    ) -> Result<UserRecall, StoreError> {
        self.writer
            .write_tx(move |tx| {
                let conn = tx.conn();
                let before = load(conn, &msg_id)?;
                let chat = match ownership(conn, &user_id, before.as_ref())? {
                    Ownership::Own(chat) => chat,
                    Ownership::NoMessage => return Ok(UserRecall::NoMessage),
                    Ownership::NotYours => return Ok(UserRecall::NotYours),
                    Ownership::Recalled => return Ok(UserRecall::AlreadyRecalled),
                };
                let recalled = conn
                    .prepare_cached(concat!(
                        "UPDATE messages SET recall_time = ?4 WHERE ",
                        users_own_message!(),
                        " RETURNING ",
                        message_as_it_stands!("users")
                    ))?
                    .query_row(
                        params![msg_id, chat.key(), user_id, recall_time],
                        message_row,
                    )
                    .optional()?
                    .transpose()?;
                let Some(message) = recalled else {
                    return Err(StoreError::Internal(
                        "a user's own message was not there to recall".into(),
                    ));
                };
                log(tx, LogKind::Recall, message.clone(), recall_time)?;
                Ok(UserRecall::Recalled(Box::new(message)))
            })
            .await
    }

    /// Whether a bot may send to this recipient now.
    pub async fn bot_reaches(
        &self,
        bot_id: String,
        recv_type: RecvType,
        recv_id: String,
    ) -> Result<bool, StoreError> {
        self.readers
            .read(move |conn| bot_may_reach(conn, &bot_id, recv_type, &recv_id))
            .await
    }

    /// Whether the group exists and has the bot in it.
    pub async fn group_access(
        &self,
        bot_id: String,
        group_id: String,
    ) -> Result<GroupAccess, StoreError> {
        self.readers
            .read(move |conn| {
                let row: Option<bool> = conn
                    .prepare_cached(
                        "SELECT EXISTS (SELECT 1 FROM group_bots WHERE group_id = g.id AND bot_id = ?2) \
                         FROM chat_groups g WHERE g.id = ?1",
                    )?
                    .query_row(params![group_id, bot_id], |row| row.get(0))
                    .optional()?;
                Ok(match row {
                    None => GroupAccess::Missing,
                    Some(false) => GroupAccess::NotMember,
                    Some(true) => GroupAccess::Member,
                })
            })
            .await
    }

    /// A page of `chat`'s history as a bot sees it: newest first, recalled messages left out
    /// (wire §6.6). Without an anchor, the newest `before` messages. With one, the anchor with
    /// up to `before` older and `after` newer messages around it; an anchor that is not a
    /// visible message of the chat gives an empty page.
    pub async fn history(
        &self,
        chat: Chat,
        anchor: Option<String>,
        before: u32,
        after: u32,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        self.readers
            .read(move |conn| {
                // Asking for nothing on either side gives nothing, anchor or not (wire §6.6).
                if before == 0 && after == 0 {
                    return Ok(Vec::new());
                }
                let key = chat.key();
                let Some(anchor) = &anchor else {
                    return page(conn, &key, Side::Older, i64::MAX, before, false);
                };
                let Some(anchor_seq) = conn
                    .prepare_cached(
                        "SELECT seq FROM messages WHERE msg_id = ?1 AND chat_key = ?2 AND recall_time IS NULL",
                    )?
                    .query_row(params![anchor, key], |row| row.get::<_, i64>(0))
                    .optional()?
                else {
                    return Ok(Vec::new());
                };
                let mut list = page(conn, &key, Side::Newer, anchor_seq, after, true)?;
                list.extend(page(conn, &key, Side::Older, anchor_seq, before, false)?);
                Ok(list)
            })
            .await
    }
}

/// Who is sending, as the writer needs it.
pub(crate) struct Sender<'a> {
    pub(crate) kind: SenderType,
    pub(crate) id: &'a str,
    pub(crate) nickname: &'a str,
}

/// The current nickname of a user or bot, `""` if it no longer exists.
pub(crate) fn nickname(
    conn: &Connection,
    kind: SenderType,
    id: &str,
) -> Result<String, StoreError> {
    let sql = match kind {
        SenderType::Bot => "SELECT nickname FROM bots WHERE id = ?1",
        SenderType::User => "SELECT nickname FROM users WHERE id = ?1",
    };
    Ok(conn
        .prepare_cached(sql)?
        .query_row([id], |row| row.get(0))
        .optional()?
        .unwrap_or_default())
}

/// A sending bot's nickname, looked up once until a write may have changed it (see
/// [`super::batch_memo`]).
fn bot_nickname(tx: &mut Tx<'_>, bot_id: &str) -> Result<String, StoreError> {
    let conn = tx.conn();
    if let Some(known) = tx.memo().nicknames.get(bot_id) {
        return Ok(known.clone());
    }
    let found = nickname(conn, SenderType::Bot, bot_id)?;
    tx.memo().nicknames.insert(bot_id.to_owned(), found.clone());
    Ok(found)
}

/// [`bot_reaches_which`], asking the database only about recipients the memo does not know
/// about yet (see [`super::batch_memo`]).
fn bot_reaches_in_batch<'a>(
    tx: &mut Tx<'_>,
    bot_id: &str,
    recv_type: RecvType,
    recv_ids: &[&'a str],
) -> Result<HashSet<&'a str>, StoreError> {
    let conn = tx.conn();
    let group = recv_type == RecvType::Group;
    let key = |id: &str| (bot_id.to_owned(), group, id.to_owned());
    let unknown: Vec<&'a str> = recv_ids
        .iter()
        .copied()
        .filter(|id| !tx.memo().reach.contains_key(&key(id)))
        .collect();
    if !unknown.is_empty() {
        let found = bot_reaches_which(conn, bot_id, recv_type, &unknown)?;
        for id in unknown {
            tx.memo().reach.insert(key(id), found.contains(id));
        }
    }
    let memo = tx.memo();
    Ok(recv_ids
        .iter()
        .copied()
        .filter(|id| memo.reach.get(&key(id)).copied().unwrap_or(false))
        .collect())
}

/// Whether a bot may send to this recipient: a user must follow it, a group must have it.
pub(crate) fn bot_may_reach(
    conn: &Connection,
    bot_id: &str,
    recv_type: RecvType,
    recv_id: &str,
) -> Result<bool, StoreError> {
    let sql = match recv_type {
        RecvType::User => "SELECT 1 FROM bot_followers WHERE bot_id = ?1 AND user_id = ?2",
        RecvType::Group => "SELECT 1 FROM group_bots WHERE bot_id = ?1 AND group_id = ?2",
    };
    Ok(conn
        .prepare_cached(sql)?
        .query_row([bot_id, recv_id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Which of `recv_ids` a bot may send to, in one query (a batch_send names up to 200; one
/// lookup per recipient was a round trip each on PostgreSQL).
fn bot_reaches_which<'a>(
    conn: &Connection,
    bot_id: &str,
    recv_type: RecvType,
    recv_ids: &[&'a str],
) -> Result<HashSet<&'a str>, StoreError> {
    let mut reachable = HashSet::with_capacity(recv_ids.len());
    for chunk in recv_ids.chunks(REACH_CHUNK) {
        // Lists are padded (repeating an ID changes nothing) to a few lengths, so that a few
        // statements serve every list and stay in the statement cache.
        let width = REACH_WIDTHS
            .iter()
            .copied()
            .find(|w| *w >= chunk.len())
            .unwrap_or(REACH_CHUNK);
        let placeholders = (2..width + 2)
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = match recv_type {
            RecvType::User => format!(
                "SELECT user_id FROM bot_followers WHERE bot_id = ?1 AND user_id IN ({placeholders})"
            ),
            RecvType::Group => format!(
                "SELECT group_id FROM group_bots WHERE bot_id = ?1 AND group_id IN ({placeholders})"
            ),
        };
        let mut params: Vec<&dyn super::db::Param> = Vec::with_capacity(chunk.len() + 1);
        params.push(&bot_id);
        params.extend(chunk.iter().map(|id| id as &dyn super::db::Param));
        while params.len() < width + 1 {
            params.push(&chunk[0]);
        }
        let found = conn
            .prepare_cached(&sql)?
            .query_map(params.as_slice(), |row| row.get::<_, String>(0))?;
        for id in found {
            let id = id?;
            if let Some(asked) = chunk.iter().find(|asked| **asked == id) {
                reachable.insert(*asked);
            }
        }
    }
    Ok(reachable)
}

/// The most recipients looked up by one reachability query.
const REACH_CHUNK: usize = 50;
/// The list lengths reachability queries are padded to.
const REACH_WIDTHS: [usize; 6] = [1, 2, 4, 10, 20, REACH_CHUNK];

/// Appends a message to a chat: the next sequence number and cursor, the row, and its record.
/// Returns the stored message.
pub(crate) fn append(
    tx: &mut Tx<'_>,
    chat: &Chat,
    msg_id: &str,
    sender: &Sender<'_>,
    message: &Outgoing,
) -> Result<StoredMessage, StoreError> {
    append_many(tx, &[(chat.clone(), msg_id)], sender, message)?
        .pop()
        .ok_or_else(|| StoreError::Internal("a message append stored nothing".into()))
}

/// Appends the same message to several chats (a batch_send), in order: for each, the next
/// sequence number and cursor, the row and its record. On PostgreSQL the rows go in one
/// statement rather than one per chat (each statement is a round trip). Returns
/// the stored messages, in `targets` order.
pub(crate) fn append_many(
    tx: &mut Tx<'_>,
    targets: &[(Chat, &str)],
    sender: &Sender<'_>,
    message: &Outgoing,
) -> Result<Vec<StoredMessage>, StoreError> {
    let conn = tx.conn();
    // Numbers first (a chat named twice gets two), remembered only once the rows are written.
    let mut numbered: HashMap<String, i64> = HashMap::new();
    let mut rows = Vec::with_capacity(targets.len());
    for (chat, msg_id) in targets {
        let chat_key = chat.key();
        let seq = match numbered.get(&chat_key) {
            Some(seq) => seq + 1,
            None => tx.numbers().last_seq(conn, &chat_key)? + 1,
        };
        numbered.insert(chat_key.clone(), seq);
        // A quote must name a message of the same chat; anything else (nonebot's "False", an
        // ID from another chat) degrades to no quote rather than failing the send (wire §12
        // item 5).
        let parent = match &message.parent_id {
            Some(parent) => super::quotes::quoted(conn, parent, &chat_key)?,
            None => None,
        };
        let (parent_id, content) = match parent {
            Some(quote) => {
                let content = quote.add_to(&message.content)?;
                (quote.msg_id, content)
            }
            None => (String::new(), message.content.clone()),
        };
        rows.push(StoredMessage {
            msg_id: (*msg_id).to_owned(),
            chat_key,
            seq,
            sender_type: sender.kind,
            sender_id: sender.id.to_owned(),
            sender_nickname: sender.nickname.to_owned(),
            content_type: message.content_type.clone(),
            content,
            parent_id,
            command_id: 0,
            command_name: String::new(),
            send_time: message.send_time,
            edit_time: None,
            recalled: false,
            html: message.view.html.clone(),
            reactions: Vec::new(),
        });
    }
    let sender_type = sender.kind.as_str();
    let html = stored_html(message.view.html.as_deref());
    // Each message's id is its cursor: a new message is its own chat log entry.
    let cursors = rows
        .iter()
        .map(|_| tx.numbers().next_cursor(conn))
        .collect::<Result<Vec<i64>, StoreError>>()?;
    for (row, id) in rows.iter().zip(&cursors) {
        // On PostgreSQL the row waits to go with the batch's other rows (`defer_insert`): a
        // batch of sends is then a few statements, not one (a network round trip) per job.
        // Its id and `seq` may be provisional until then (see `Tx::hold_message`).
        tx.hold_message(*id, row, sender_type, html)?;
        if !message.media_keys.is_empty() {
            let (media_keys, chat_key) = (message.media_keys.clone(), row.chat_key.clone());
            // The media notes are held back too: a batch that writes before the lock could
            // wait on a row another node's batch wrote, while that one waits for the lock.
            tx.write_after_lock(Box::new(move |conn| {
                note_media_in_chat(conn, &media_keys, &chat_key)
            }))?;
        }
    }
    for (row, cursor) in rows.iter().zip(cursors) {
        tx.note_message_stored();
        tx.numbers().remember_seq(&row.chat_key, row.seq);
        // A reply's live view shows its quote fields too, as its stored content does.
        let view = if row.parent_id.is_empty() {
            message.view.clone()
        } else {
            Arc::new(MessageView {
                content: serde_json::from_str(&row.content)
                    .map_err(|e| StoreError::Internal(format!("a quoting content: {e}")))?,
                html: message.view.html.clone(),
            })
        };
        tx.record(Record::Appended {
            cursor,
            message: row.clone(),
            view,
        });
    }
    Ok(rows)
}

/// The columns a new message's row is given, in the order of [`insert_message`].
macro_rules! message_columns {
    () => {
        "id, msg_id, chat_key, seq, sender_type, sender_id, content_type, content, parent_id, \
         send_time, html"
    };
}

/// A message's row (see [`super::db::Connection::defer_insert`]).
const MESSAGES_INSERT: &str = concat!(
    "INSERT INTO messages (",
    message_columns!(),
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
);

/// A new message's row, its id (cursor) and `seq` provisional while its batch has not taken
/// the cluster's write lock (see `Tx::hold_message`).
pub(crate) struct HeldMessage {
    id: i64,
    row: StoredMessage,
    sender_type: &'static str,
    html: String,
}

/// Inserts `row` into `messages` as message `id` at `seq` (see [`MESSAGES_INSERT`]).
pub(crate) fn insert_message(
    conn: &Connection,
    id: i64,
    seq: i64,
    row: &StoredMessage,
    sender_type: &str,
    html: &str,
) -> Result<(), StoreError> {
    let values: [&dyn super::db::Param; 11] = [
        &id,
        &row.msg_id,
        &row.chat_key,
        &seq,
        &sender_type,
        &row.sender_id,
        &row.content_type,
        &row.content,
        &row.parent_id,
        &row.send_time,
        &html,
    ];
    Ok(conn.defer_insert(MESSAGES_INSERT, &values)?)
}

impl HeldMessage {
    /// `row`, to be inserted as message `id` once the numbers are settled (a copy: the job
    /// that made it ends before that).
    pub(crate) fn new(id: i64, row: &StoredMessage, sender_type: &'static str, html: &str) -> Self {
        HeldMessage {
            id,
            row: row.clone(),
            sender_type,
            html: html.to_owned(),
        }
    }

    /// Inserts the row into `messages`, its numbers moved by `shift`.
    pub(crate) fn insert(&self, conn: &Connection, shift: &Shift) -> Result<(), StoreError> {
        let row = &self.row;
        let seq = shift.seq(&row.chat_key, row.seq);
        insert_message(
            conn,
            shift.cursor(self.id),
            seq,
            row,
            self.sender_type,
            &self.html,
        )
    }

    /// PostgreSQL: the statement that inserts `held` into `messages` ([`SETTLED_INSERT`]),
    /// their numbers settled by the database under the cluster's write lock (see
    /// [`Numbers::settle_params`]), so that it can go in the one round trip that takes the
    /// lock and commits (`Batch::commit_sends`). The rows are its parameters, an array a
    /// column.
    pub(crate) fn settled_insert<'a>(held: &'a [HeldMessage], numbers: &'a Numbers) -> Piped<'a> {
        let texts = |column: fn(&HeldMessage) -> &str| PipedParam::texts(held.iter().map(column));
        let numbers_of =
            |column: fn(&HeldMessage) -> i64| PipedParam::ints(held.iter().map(column));
        let [cursor_base, chats, bases] = numbers.settle_params();
        Piped::run(
            SETTLED_INSERT,
            vec![
                numbers_of(|m| m.id),
                texts(|m| &m.row.msg_id),
                texts(|m| &m.row.chat_key),
                numbers_of(|m| m.row.seq),
                texts(|m| m.sender_type),
                texts(|m| &m.row.sender_id),
                texts(|m| &m.row.content_type),
                texts(|m| &m.row.content),
                texts(|m| &m.row.parent_id),
                numbers_of(|m| m.row.send_time),
                texts(|m| &m.html),
                cursor_base,
                chats,
                bases,
            ],
        )
    }
}

/// PostgreSQL: inserts held messages (`$1`–`$11`, an array a column of `message_columns!`)
/// with their provisional numbers moved as [`Numbers::settle`] would move them: each cursor by
/// how far the last cursor has moved past `$12` (none if NULL), each `seq` by how far its
/// chat's last has moved past its base (`$13` the chats, `$14` their bases). A row whose chat
/// has no base would get no `seq`, which `messages` refuses (NOT NULL): the batch fails rather
/// than store a row misnumbered.
const SETTLED_INSERT: &str = concat!(
    "INSERT INTO messages (",
    message_columns!(),
    ") SELECT h.id + COALESCE((",
    last_cursor!(),
    ") - $12::BIGINT, 0), h.msg_id, h.chat_key, h.seq + m.moved, h.sender_type, \
       h.sender_id, h.content_type, h.content, h.parent_id, h.send_time, h.html \
     FROM unnest($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::BIGINT[], $5::TEXT[], $6::TEXT[], \
       $7::TEXT[], $8::TEXT[], $9::TEXT[], $10::BIGINT[], $11::TEXT[]) AS h(",
    message_columns!(),
    ") LEFT JOIN (SELECT k AS chat_key, ",
    last_seq_of_k!(),
    " - base AS moved FROM unnest($13::TEXT[], $14::BIGINT[]) AS v(k, base)) AS m \
     ON m.chat_key = h.chat_key"
);

/// Replaces the content of a message `bot_id` sent into `chat`, in the caller's write (see
/// [`Store::edit_from_bot`]); false when there is no such message.
pub(crate) fn edit_bot_message(
    tx: &mut Tx<'_>,
    bot_id: &str,
    chat: &Chat,
    msg_id: &str,
    edit: &Outgoing,
) -> Result<bool, StoreError> {
    let conn = tx.conn();
    let chat_key = chat.key();
    let who = [msg_id, chat_key.as_str(), bot_id];
    // Most edits are of a message that quotes nothing: one UPDATE that hands back
    // the message as it now stands, for the record, where checking the row before
    // and reading it back after took two more statements (two more round trips
    // on PostgreSQL).
    let mut edited = replace_content(
        conn,
        concat!(
            "UPDATE messages SET content_type = ?4, content = ?5, edit_time = ?6, \
             html = ?7 WHERE ",
            bots_own_message!(),
            " AND parent_id = '' RETURNING ",
            message_as_it_stands!()
        ),
        who,
        edit,
        &edit.content,
    )?;
    if edited.is_none() {
        // A reply keeps its quote: its parentId stays, and so do the quote fields
        // worked out when it was written, which live in the old content.
        let Some(before) = conn
            .prepare_cached(concat!(
                "SELECT content FROM messages WHERE ",
                bots_own_message!(),
                " AND parent_id <> ''"
            ))?
            .query_row(params![msg_id, chat_key, bot_id], |row| {
                row.get::<_, String>(0)
            })
            .optional()?
        else {
            return Ok(false);
        };
        let content = super::quotes::with_quote_fields_of(&before, &edit.content)?;
        edited = replace_content(
            conn,
            concat!(
                "UPDATE messages SET content_type = ?4, content = ?5, edit_time = ?6, \
                 html = ?7 WHERE ",
                bots_own_message!(),
                " RETURNING ",
                message_as_it_stands!()
            ),
            who,
            edit,
            &content,
        )?;
    }
    let Some(message) = edited else {
        return Ok(false);
    };
    note_media_in_chat(conn, &edit.media_keys, &chat_key)?;
    log(tx, LogKind::Edit, message, edit.send_time)?;
    Ok(true)
}

/// Runs one of the content-replacing UPDATEs (`?1` the message ID, `?2` its chat key, `?3` its
/// sender, `who` in that order; `?4`–`?7` the new content type, `content`, edit time and HTML
/// from `edit`; `RETURNING` `message_as_it_stands!`), and hands back the message as it now
/// stands if the UPDATE found it.
fn replace_content(
    conn: &Connection,
    sql: &str,
    who: [&str; 3],
    edit: &Outgoing,
    content: &str,
) -> Result<Option<StoredMessage>, StoreError> {
    conn.prepare_cached(sql)?
        .query_row(
            params![
                who[0],
                who[1],
                who[2],
                edit.content_type,
                content,
                edit.send_time,
                stored_html(edit.view.html.as_deref())
            ],
            message_row,
        )
        .optional()?
        .transpose()
}

/// Appends an edit, recall or reaction change of a stored message to the chat log under the
/// next cursor, and records it (`Edited`, `Recalled` or `Reacted`) with the message as it now
/// stands. An edit's record carries the message's reactions, so that a client replacing the
/// message with the edited one keeps showing them.
pub(crate) fn log(
    tx: &mut Tx<'_>,
    kind: LogKind,
    mut message: StoredMessage,
    at: i64,
) -> Result<(), StoreError> {
    let record: fn(i64, StoredMessage) -> Record = match kind {
        LogKind::Edit => |cursor, message| Record::Edited { cursor, message },
        LogKind::Recall => |cursor, message| Record::Recalled { cursor, message },
        LogKind::Reaction => |cursor, message| Record::Reacted { cursor, message },
        LogKind::Message => {
            return Err(StoreError::Internal(
                "a new message is logged when it is appended, not here".into(),
            ));
        }
    };
    if matches!(kind, LogKind::Edit | LogKind::Reaction) {
        message.reactions = super::reactions::of_message(tx.conn(), &message.msg_id)?;
    }
    let conn = tx.conn();
    let cursor = tx.numbers().next_cursor(conn)?;
    conn.prepare_cached(
        "INSERT INTO chat_log (id, chat_key, kind, msg_id, at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        cursor,
        message.chat_key,
        kind.as_str(),
        message.msg_id,
        at
    ])?;
    tx.record(record(cursor, message));
    Ok(())
}

/// Selects a message with its sender's current nickname; `message_row` reads it.
/// A tip's sender shows no nickname, as on Yunhu and as its live frame (see `tips`).
pub(crate) const SELECT_MESSAGE: &str = "SELECT m.msg_id, m.chat_key, m.seq, m.sender_type, m.sender_id, \
        CASE WHEN m.content_type = 'tip' THEN '' \
          ELSE COALESCE(CASE m.sender_type WHEN 'bot' THEN b.nickname ELSE u.nickname END, '') END, \
        m.content_type, m.content, m.parent_id, m.command_id, m.command_name, m.send_time, \
        m.edit_time, m.recall_time IS NOT NULL, m.html \
     FROM messages m \
     LEFT JOIN bots b ON m.sender_type = 'bot' AND b.id = m.sender_id \
     LEFT JOIN users u ON m.sender_type = 'user' AND u.id = m.sender_id";

/// One message by ID.
pub(crate) fn load(conn: &Connection, msg_id: &str) -> Result<Option<StoredMessage>, StoreError> {
    conn.prepare_cached(&format!("{SELECT_MESSAGE} WHERE m.msg_id = ?1"))?
        .query_row([msg_id], message_row)
        .optional()?
        .transpose()
}

#[derive(Clone, Copy)]
enum Side {
    Older,
    Newer,
}

/// Up to `limit` visible messages on one side of `seq` (the anchor itself too when
/// `with_anchor`), newest first.
fn page(
    conn: &Connection,
    chat_key: &str,
    side: Side,
    seq: i64,
    limit: u32,
    with_anchor: bool,
) -> Result<Vec<StoredMessage>, StoreError> {
    let (condition, order) = match (side, with_anchor) {
        (Side::Older, false) => ("m.seq < ?2", "DESC"),
        (Side::Older, true) => ("m.seq <= ?2", "DESC"),
        (Side::Newer, false) => ("m.seq > ?2", "ASC"),
        (Side::Newer, true) => ("m.seq >= ?2", "ASC"),
    };
    // The anchor is counted on top of `limit` (anchor + before=10 returns 11).
    let limit = i64::from(limit) + i64::from(with_anchor);
    if limit == 0 {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{SELECT_MESSAGE} WHERE m.chat_key = ?1 AND m.recall_time IS NULL AND {condition} \
         ORDER BY m.seq {order} LIMIT ?3"
    );
    let mut list = collect(conn, &sql, params![chat_key, seq, limit])?;
    if matches!(side, Side::Newer) {
        list.reverse();
    }
    Ok(list)
}

/// Runs a `SELECT_MESSAGE` query and reads every row.
pub(crate) fn collect(
    conn: &Connection,
    sql: &str,
    params: impl super::db::Params,
) -> Result<Vec<StoredMessage>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params, message_row)?;
    let mut list = Vec::new();
    for row in rows {
        list.push(row??);
    }
    Ok(list)
}

fn message_row(row: &Row<'_>) -> super::db::Result<Result<StoredMessage, StoreError>> {
    let sender_type: String = row.get(3)?;
    let Some(sender_type) = SenderType::from_wire(&sender_type) else {
        return Ok(Err(StoreError::Corrupt(format!(
            "sender_type {sender_type:?}"
        ))));
    };
    Ok(Ok(StoredMessage {
        msg_id: row.get(0)?,
        chat_key: row.get(1)?,
        seq: row.get(2)?,
        sender_type,
        sender_id: row.get(4)?,
        sender_nickname: row.get(5)?,
        content_type: row.get(6)?,
        content: row.get(7)?,
        parent_id: row.get(8)?,
        command_id: row.get(9)?,
        command_name: row.get(10)?,
        send_time: row.get(11)?,
        edit_time: row.get(12)?,
        recalled: row.get(13)?,
        html: row
            .get::<_, Option<String>>(14)?
            .filter(|html| !html.is_empty()),
        reactions: Vec::new(),
    }))
}

/// The `html` column's value for rendered HTML: `''` when there is nothing to mark up, so that
/// NULL keeps meaning "written before HTML was stored" (see the schema's `RENDERED_HTML`).
pub(crate) fn stored_html(html: Option<&str>) -> &str {
    html.unwrap_or("")
}
