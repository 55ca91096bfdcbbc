//! REST handlers of the user API.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use cloudlake_protocol::{ContentType, OutgoingMessage, RecvType};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AuthedUser;
use crate::api::AppState;
use crate::api::problem::Problem;
use crate::bus::frame::chat_message;
use crate::clock::now_ms;
use crate::ids::new_msg_id;
use crate::service::media::outgoing_with_media;
use crate::service::reactions::is_single_emoji;
use crate::store::{
    Chat, ChatSummary, Click, FormSend, Join, Leave, MAX_REACTIONS_PER_USER, MediaOwner, Press,
    React, SearchHit, SearchQuery, SendPolicy, UserEdit, UserRecall, UserSend,
};

type Result<T> = std::result::Result<T, Problem>;

/// The largest history page.
const MAX_PAGE: u32 = 200;
/// The history page size when none is asked for.
const DEFAULT_PAGE: u32 = 50;

/// The chat a user names in a path: `group/{groupId}`, `bot/{botId}`, or `dm/{low}:{high}`
/// (direct messages, named by the two users' IDs in order, as the chat list gives them).
fn chat(user_id: &str, chat_type: &str, chat_id: String) -> Result<Chat> {
    match chat_type {
        "group" => Ok(Chat::Group { group_id: chat_id }),
        "bot" => Ok(Chat::Private {
            bot_id: chat_id,
            user_id: user_id.to_owned(),
        }),
        "dm" => Chat::from_dm_id(&chat_id).ok_or_else(|| {
            Problem::BadRequest(format!(
                "dm chat ID {chat_id:?} is not two different user IDs in order, <low>:<high> \
                 (start one with POST /api/v1/dms)"
            ))
        }),
        other => Err(Problem::BadRequest(format!(
            "chat type {other:?} is not group, bot or dm"
        ))),
    }
}

fn not_in_chat() -> Problem {
    Problem::NotFound("no such chat among yours".into())
}

fn json_body<T: serde::de::DeserializeOwned>(raw: &Bytes) -> Result<T> {
    serde_json::from_slice(raw).map_err(|e| Problem::BadRequest(format!("invalid JSON body: {e}")))
}

fn message_json(row: &crate::store::StoredMessage) -> Result<Value> {
    let message = chat_message(row)?;
    serde_json::to_value(message)
        .map_err(|e| Problem::Internal(format!("message does not encode: {e}")))
}

/// `GET /me`.
pub(crate) async fn me(AuthedUser(user): AuthedUser) -> impl IntoResponse {
    Json(user)
}

/// `GET /chats`: the groups the user is in, the bots they follow and their direct messages,
/// most recent first, with the last message, the unread count and how many of those mention
/// the user.
pub(crate) async fn chats(
    State(state): State<AppState>,
    AuthedUser(user): AuthedUser,
) -> Result<impl IntoResponse> {
    let list = state.store.chat_list(user.user_id.clone()).await?;
    let chats = list
        .iter()
        .map(|summary| summary_json(&user.user_id, summary))
        .collect::<Result<Vec<_>>>()?;
    Ok(Json(json!({ "chats": chats })))
}

/// One chat of `user_id`'s chat list. Direct messages also name the other user (`userId`);
/// their `name` and `avatarUrl` are that user's.
pub(super) fn summary_json(user_id: &str, summary: &ChatSummary) -> Result<Value> {
    let chat = summary.chat.chat_ref();
    let mut value = json!({
        "chatType": chat.chat_type,
        "chatId": chat.chat_id,
        "name": summary.name,
        "avatarUrl": summary.avatar_url,
        "role": summary.role,
        "unread": summary.unread,
        "mentions": summary.mentions,
        "lastSeq": summary.last_seq,
        "lastMessage": summary.last_message.as_ref().map(message_json).transpose()?,
    });
    if let Some(other) = summary.chat.other_user(user_id) {
        value["userId"] = json!(other);
    }
    Ok(value)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HistoryQuery {
    before_seq: Option<i64>,
    limit: Option<u32>,
}

/// `GET /chats/{type}/{id}/messages?beforeSeq=&limit=`: a page of history, oldest first;
/// page back with `beforeSeq` = the first message's `seq`.
pub(crate) async fn history(
    State(state): State<AppState>,
    AuthedUser(user): AuthedUser,
    Path((chat_type, chat_id)): Path<(String, String)>,
    Query(query): Query<HistoryQuery>,
) -> Result<impl IntoResponse> {
    let chat = chat(&user.user_id, &chat_type, chat_id)?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let page = state
        .store
        .user_history(user.user_id, chat, query.before_seq, limit)
        .await?
        .ok_or_else(not_in_chat)?;
    let has_more = page.first().is_some_and(|m| m.seq > 1);
    let messages = page.iter().map(message_json).collect::<Result<Vec<_>>>()?;
    Ok(Json(json!({ "messages": messages, "hasMore": has_more })))
}

/// The largest search page.
const MAX_SEARCH_PAGE: u32 = 50;
/// The search page size when none is asked for.
const DEFAULT_SEARCH_PAGE: u32 = 20;

#[derive(Deserialize)]
pub(crate) struct SearchParams {
    q: Option<String>,
    limit: Option<u32>,
    before: Option<i64>,
}

/// `GET /search?q=&limit=&before=`: the messages of the user's chats (as they are now: not
/// a group they left) whose text contains `q`, newest first, each with its chat. Page back
/// with `before` = the last result's `cursor`, while `hasMore`.
pub(crate) async fn search(
    State(state): State<AppState>,
    AuthedUser(user): AuthedUser,
    Query(params): Query<SearchParams>,
) -> Result<impl IntoResponse> {
    let raw = params.q.ok_or_else(|| {
        Problem::BadRequest("the query parameter q (what to search for) is missing".into())
    })?;
    let query = SearchQuery::new(&raw).map_err(|e| Problem::BadRequest(e.to_string()))?;
    let limit = params.limit.unwrap_or(DEFAULT_SEARCH_PAGE);
    if !(1..=MAX_SEARCH_PAGE).contains(&limit) {
        return Err(Problem::BadRequest(format!(
            "limit {limit} is not between 1 and {MAX_SEARCH_PAGE}"
        )));
    }
    if let Some(before) = params.before.filter(|b| *b < 1) {
        return Err(Problem::BadRequest(format!(
            "before {before} is not a cursor (a positive integer)"
        )));
    }
    let page = state
        .store
        .search(user.user_id, query, params.before, limit)
        .await?;
    let results = page.hits.iter().map(hit_json).collect::<Result<Vec<_>>>()?;
    Ok(Json(
        json!({ "results": results, "hasMore": page.has_more }),
    ))
}

fn hit_json(hit: &SearchHit) -> Result<Value> {
    let chat = Chat::from_key(&hit.message.chat_key)
        .ok_or_else(|| Problem::Internal(format!("chat key {:?}", hit.message.chat_key)))?
        .chat_ref();
    Ok(json!({
        "cursor": hit.cursor,
        "chat": {"chatType": chat.chat_type, "chatId": chat.chat_id, "name": hit.chat_name},
        "message": message_json(&hit.message)?,
    }))
}

/// `POST /chats/{type}/{id}/messages` with `{"contentType", "content", "parentId"?}`: text or
/// markdown, with `content.at` mentions (wire §5.3). Buttons are for bots only and dropped.
pub(crate) async fn send(
    State(state): State<AppState>,
    AuthedUser(user): AuthedUser,
    Path((chat_type, chat_id)): Path<(String, String)>,
    raw: Bytes,
) -> Result<impl IntoResponse> {
    let chat = chat(&user.user_id, &chat_type, chat_id)?;
    let mut message = parse_user_message(&raw)?;
    message.content.buttons.clear();
    let owner = MediaOwner::User(user.user_id.clone());
    let stored = outgoing_with_media(&state.store, &owner, message).await?;
    match state
        .store
        .send_from_user(user.user_id, chat, new_msg_id(), stored)
        .await?
    {
        UserSend::Sent(row) => Ok((StatusCode::CREATED, Json(message_json(&row)?))),
        UserSend::NotInChat => Err(not_in_chat()),
        UserSend::Refused(policy) => Err(refused(policy)),
    }
}

/// Why a group refuses a user's message (a send or an edit).
fn refused(policy: SendPolicy) -> Problem {
    match policy {
        SendPolicy::Gagged {
            until_ms: Some(until),
        } => Problem::Forbidden(format!(
            "you are muted in this group until {until} (epoch ms)"
        )),
        SendPolicy::Gagged { until_ms: None } => {
            Problem::Forbidden("you are muted in this group".into())
        }
        SendPolicy::TypeNotAllowed | SendPolicy::Allowed => {
            Problem::Forbidden("this group does not allow that kind of message".into())
        }
    }
}

fn no_message() -> Problem {
    Problem::NotFound("no such message in your chats".into())
}

fn not_yours() -> Problem {
    Problem::Forbidden("only the sender may change a message (and never a bot's or a tip)".into())
}

/// `POST /messages/{msgId}/edit` with `{"contentType", "content"}`, as for a send: replaces
/// the content of one's own message under the same rules (and the same rendering) as a send.
/// A reply keeps its quote (`parentId` is ignored). Answers the message as it now stands,
/// with `editTime`; the chat's members see `message.edited`. Bots are not told.
pub(crate) async fn edit(
    State(state): State<AppState>,
    AuthedUser(user): AuthedUser,
    Path(msg_id): Path<String>,
    raw: Bytes,
) -> Result<impl IntoResponse> {
    let mut message = parse_user_message(&raw)?;
    message.content.buttons.clear();
    let owner = MediaOwner::User(user.user_id.clone());
    let stored = outgoing_with_media(&state.store, &owner, message).await?;
    match state
        .store
        .edit_from_user(user.user_id, msg_id, stored)
        .await?
    {
        UserEdit::Edited(row) => Ok(Json(message_json(&row)?)),
        UserEdit::NoMessage => Err(no_message()),
        UserEdit::NotYours => Err(not_yours()),
        UserEdit::Recalled => Err(Problem::Conflict(
            "the message was recalled and cannot be edited".into(),
        )),
        UserEdit::Refused(policy) => Err(refused(policy)),
    }
}

/// `DELETE /messages/{msgId}`: recalls one's own message. The chat's members see
/// `message.recalled`; history keeps it marked recalled, without its content. Bots are not
/// told.
pub(crate) async fn recall(
    State(state): State<AppState>,
    AuthedUser(user): AuthedUser,
    Path(msg_id): Path<String>,
) -> Result<StatusCode> {
    match state
        .store
        .recall_from_user(user.user_id, msg_id, now_ms())
        .await?
    {
        UserRecall::Recalled(_) => Ok(StatusCode::NO_CONTENT),
        UserRecall::NoMessage => Err(no_message()),
        UserRecall::NotYours => Err(not_yours()),
        UserRecall::AlreadyRecalled => {
            Err(Problem::Conflict("the message was recalled already".into()))
        }
    }
}

/// `PUT /messages/{msgId}/reactions/{emoji}`: reacts to a message of a chat one is in with
/// one emoji (percent-encoded in the path). Doing it again changes nothing. Answers
/// `{"msgId", "reactions"}` as they now stand; the chat's members see `message.reactions`,
/// and its bots that asked for `message.reaction` get one.
pub(crate) async fn react(
    state: State<AppState>,
    user: AuthedUser,
    Path((msg_id, emoji)): Path<(String, String)>,
) -> Result<impl IntoResponse> {
    change_reaction(state, user, msg_id, emoji, true).await
}

/// `DELETE /messages/{msgId}/reactions/{emoji}`: takes one's reaction back (nothing changes
/// if there was none). Answers as [`react`] does.
pub(crate) async fn unreact(
    state: State<AppState>,
    user: AuthedUser,
    Path((msg_id, emoji)): Path<(String, String)>,
) -> Result<impl IntoResponse> {
    change_reaction(state, user, msg_id, emoji, false).await
}

async fn change_reaction(
    State(state): State<AppState>,
    AuthedUser(user): AuthedUser,
    msg_id: String,
    emoji: String,
    add: bool,
) -> Result<Json<Value>> {
    // Checked before the message, so that a bad request is a 400 whatever it names.
    if !is_single_emoji(&emoji) {
        return Err(Problem::BadRequest(format!(
            "a reaction is one emoji, not {:?}",
            emoji.chars().take(16).collect::<String>()
        )));
    }
    let row = match state
        .store
        .react(user.user_id, msg_id, emoji, add, now_ms())
        .await?
    {
        React::Changed(row) | React::Unchanged(row) => row,
        React::NoMessage => return Err(Problem::NotFound("no such message".into())),
        React::NoAccess => {
            return Err(Problem::Forbidden(
                "the message is in a chat you are not in".into(),
            ));
        }
        React::Recalled => {
            return Err(Problem::Conflict(
                "the message was recalled: it takes no reactions".into(),
            ));
        }
        React::TooMany => {
            return Err(Problem::Conflict(format!(
                "you have {MAX_REACTIONS_PER_USER} reactions on this message already: take one back first"
            )));
        }
    };
    let message = chat_message(&row)?;
    Ok(Json(
        json!({ "msgId": message.msg_id, "reactions": message.reactions }),
    ))
}

/// Reads a user's message with the same lenient rules as a bot's, then keeps to the kinds a
/// person may send: text and markdown, and images, videos and files they uploaded (named by
/// `imageKey`, `videoKey` or `fileKey`; a URL of someone else's is not accepted).
fn parse_user_message(raw: &Bytes) -> Result<OutgoingMessage> {
    let message = OutgoingMessage::parse_body(raw).map_err(|e| Problem::BadRequest(e.msg))?;
    let content = &message.content;
    match message.content_type {
        ContentType::Text | ContentType::Markdown => Ok(message),
        ContentType::Image if content.image_key.is_some() => Ok(message),
        ContentType::Video if content.video_key.is_some() => Ok(message),
        ContentType::File if content.file_key.is_some() => Ok(message),
        ContentType::Image | ContentType::Video | ContentType::File => {
            Err(Problem::BadRequest(format!(
                "a {} message names an upload of yours by key (POST /api/v1/uploads/{} first)",
                message.content_type, message.content_type
            )))
        }
        other => Err(Problem::BadRequest(format!(
            "users can send text, markdown, image, video and file messages, not {other}"
        ))),
    }
}

#[derive(Deserialize)]
pub(crate) struct ReadBody {
    seq: i64,
}

/// `POST /chats/{type}/{id}/read` with `{"seq": N}`: everything up to N is read.
pub(crate) async fn mark_read(
    State(state): State<AppState>,
    AuthedUser(user): AuthedUser,
    Path((chat_type, chat_id)): Path<(String, String)>,
    raw: Bytes,
) -> Result<impl IntoResponse> {
    let chat = chat(&user.user_id, &chat_type, chat_id)?;
    let body: ReadBody = json_body(&raw)?;
    let seq = state
        .store
        .mark_read(user.user_id, chat, body.seq)
        .await?
        .ok_or_else(not_in_chat)?;
    Ok(Json(json!({ "seq": seq })))
}

#[derive(Deserialize)]
pub(crate) struct ClickBody {
    value: String,
}

/// `POST /messages/{msgId}/click` with `{"value": …}`: a click on the message's actionType 3
/// button with that value, reported to the bot as `button.report.inline`.
pub(crate) async fn click(
    State(state): State<AppState>,
    AuthedUser(user): AuthedUser,
    Path(msg_id): Path<String>,
    raw: Bytes,
) -> Result<impl IntoResponse> {
    let body: ClickBody = json_body(&raw)?;
    match state.store.click(user.user_id, msg_id, body.value).await? {
        Click::Reported => Ok(Json(json!({ "reported": true }))),
        Click::NoMessage => Err(no_message()),
        Click::NoButton => Err(Problem::BadRequest(
            "the message has no report button (actionType 3) with that value".into(),
        )),
    }
}

/// `PUT /bots/{botId}/follow`: add the bot as a friend (`bot.followed`).
pub(crate) async fn follow(
    State(state): State<AppState>,
    AuthedUser(user): AuthedUser,
    Path(bot_id): Path<String>,
) -> Result<impl IntoResponse> {
    let added = state.store.follow(bot_id, user.user_id).await?;
    Ok(Json(json!({ "following": true, "added": added })))
}

/// `DELETE /bots/{botId}/follow`: remove the bot (`bot.unfollowed`).
pub(crate) async fn unfollow(
    State(state): State<AppState>,
    AuthedUser(user): AuthedUser,
    Path(bot_id): Path<String>,
) -> Result<StatusCode> {
    state.store.unfollow(bot_id, user.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /bots/{botId}/commands`: the commands of a bot the user follows, for the composer's
/// `/` picker in their private chat (a group's bots' commands come with its members). A bot
/// the user does not follow is a 404, as if it did not exist.
pub(crate) async fn bot_commands(
    State(state): State<AppState>,
    AuthedUser(user): AuthedUser,
    Path(bot_id): Path<String>,
) -> Result<impl IntoResponse> {
    if !state
        .store
        .bot_reaches(bot_id.clone(), RecvType::User, user.user_id)
        .await?
    {
        return Err(not_in_chat());
    }
    let commands = state.store.commands(bot_id).await?;
    Ok(Json(json!({ "commands": commands })))
}

/// `GET /groups/{groupId}/members`: who is in a group the user is in, for mentions and the
/// group's info: its users (`kind: "user"`, with their role), then its bots (`kind: "bot"`,
/// with their avatar, description, whether the reader follows them, their commands, and
/// `hasSettings`: whether they have a settings form, which the group's admins may fill in). Bots are listed under `userId` too, since `at` holds either kind of ID and a
/// picker treats them alike; a bot @-mentioned this way sees itself in the event's `at`.
pub(crate) async fn members(
    State(state): State<AppState>,
    AuthedUser(user): AuthedUser,
    Path(group_id): Path<String>,
) -> Result<impl IntoResponse> {
    let detail = state
        .store
        .group_detail(group_id.clone())
        .await?
        .filter(|g| g.members.iter().any(|m| m.user_id == user.user_id))
        .ok_or_else(not_in_chat)?;
    let bots = state.store.group_bots(group_id).await?;
    let mut members = detail
        .members
        .iter()
        .map(|m| json!({"kind": "user", "userId": m.user_id, "nickname": m.nickname, "role": m.role}))
        .collect::<Vec<_>>();
    // A group has a handful of bots: their commands, description and whether the reader
    // follows each (for Follow / Open chat), a few reads each, for the group's info panel.
    for b in &bots {
        let commands = state.store.commands(b.bot_id.clone()).await?;
        let description = state
            .store
            .bot_description(b.bot_id.clone())
            .await?
            .unwrap_or_default();
        let followed = state
            .store
            .bot_reaches(b.bot_id.clone(), RecvType::User, user.user_id.clone())
            .await?;
        // Whether the bot has a settings form: the group's admins are offered Settings.
        let has_settings = state
            .store
            .settings_form(b.bot_id.clone())
            .await?
            .is_some_and(|fields| !fields.is_empty());
        members.push(
            json!({"kind": "bot", "userId": b.bot_id, "nickname": b.nickname,
                   "avatarUrl": b.avatar_url, "description": description,
                   "followed": followed, "commands": commands, "hasSettings": has_settings}),
        );
    }
    Ok(Json(json!({ "members": members })))
}

/// `POST /groups/{groupId}/join`: join an open group (`group.join` to its bots).
pub(crate) async fn join(
    State(state): State<AppState>,
    AuthedUser(user): AuthedUser,
    Path(group_id): Path<String>,
) -> Result<impl IntoResponse> {
    match state.store.join_open_group(user.user_id, group_id).await? {
        Join::Joined => Ok(Json(json!({ "member": true, "added": true }))),
        Join::AlreadyMember => Ok(Json(json!({ "member": true, "added": false }))),
        Join::Closed => Err(Problem::Forbidden(
            "this group does not let users join by themselves".into(),
        )),
        Join::NoGroup => Err(Problem::NotFound("no such group".into())),
    }
}

/// `POST /groups/{groupId}/leave`: leave a group (`group.leave` to its bots). The owner
/// cannot leave.
pub(crate) async fn leave(
    State(state): State<AppState>,
    AuthedUser(user): AuthedUser,
    Path(group_id): Path<String>,
) -> Result<StatusCode> {
    match state.store.leave(user.user_id, group_id).await? {
        Leave::Left => Ok(StatusCode::NO_CONTENT),
        Leave::NotMember => Err(Problem::NotFound("you are not in that group".into())),
        Leave::Owner => Err(Problem::Conflict("the owner cannot leave the group".into())),
    }
}

/// The most a discovery list shows at once.
const MAX_DISCOVER: u32 = 200;
/// A discovery list's length when none is asked for.
const DEFAULT_DISCOVER: u32 = 100;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GroupsQuery {
    open: Option<bool>,
    limit: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BotsQuery {
    limit: Option<u32>,
}

/// The asked-for length of a discovery list: refused outside 1..=[`MAX_DISCOVER`] rather
/// than clamped, so that a client asking for more learns it did not get everything.
fn discover_limit(limit: Option<u32>) -> Result<u32> {
    match limit {
        None => Ok(DEFAULT_DISCOVER),
        Some(n) if (1..=MAX_DISCOVER).contains(&n) => Ok(n),
        Some(n) => Err(Problem::BadRequest(format!(
            "limit {n} is not between 1 and {MAX_DISCOVER}"
        ))),
    }
}

/// `GET /groups?open=true&limit=`: the open groups a user may join, by name, with their
/// member count and whether the user is in each; `truncated` says more exist than `limit`.
/// Only open groups are listed (`open=true` is required, so that the query says what it
/// gets): a closed group's name is for its members.
pub(crate) async fn groups(
    State(state): State<AppState>,
    AuthedUser(user): AuthedUser,
    Query(query): Query<GroupsQuery>,
) -> Result<impl IntoResponse> {
    if query.open != Some(true) {
        return Err(Problem::BadRequest(
            "only open groups are listed: ask with open=true".into(),
        ));
    }
    let limit = discover_limit(query.limit)?;
    let (groups, truncated) = cut(
        state.store.open_groups(user.user_id, limit + 1).await?,
        limit,
    );
    Ok(Json(json!({ "groups": groups, "truncated": truncated })))
}

/// A list read with one row more than `limit`, cut to `limit`, and whether it had more.
fn cut<T>(mut list: Vec<T>, limit: u32) -> (Vec<T>, bool) {
    let truncated = list.len() > limit as usize;
    list.truncate(limit as usize);
    (list, truncated)
}

/// `GET /bots?limit=`: the bots a user may follow (every bot), by nickname, with whether the
/// user follows each; `truncated` says more exist than `limit`.
pub(crate) async fn bots(
    State(state): State<AppState>,
    AuthedUser(user): AuthedUser,
    Query(query): Query<BotsQuery>,
) -> Result<impl IntoResponse> {
    let limit = discover_limit(query.limit)?;
    let (bots, truncated) = cut(
        state.store.followable_bots(user.user_id, limit + 1).await?,
        limit,
    );
    Ok(Json(json!({ "bots": bots, "truncated": truncated })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct FormBody {
    bot_id: String,
    command_id: i64,
    #[serde(default)]
    values: serde_json::Map<String, Value>,
}

/// `POST /chats/{type}/{id}/forms` with `{"botId", "commandId", "values": {fieldId: value}}`:
/// fills in a form command of a bot in the chat (wire §7.4). A field left out takes its
/// default; an input or textarea takes a string (or null), a switch true/false, a radio or
/// select an option index (-1 or null for none), a checkbox a list of option indexes.
/// Answers 201 with the stored `form` message (`content.formJson`); the bot gets
/// `message.receive.instruction` with `contentType: "form"`. Values that do not fit the
/// form are refused with 400 and nothing is stored.
pub(crate) async fn send_form(
    State(state): State<AppState>,
    AuthedUser(user): AuthedUser,
    Path((chat_type, chat_id)): Path<(String, String)>,
    raw: Bytes,
) -> Result<impl IntoResponse> {
    let chat = chat(&user.user_id, &chat_type, chat_id)?;
    let body: FormBody = json_body(&raw)?;
    match state
        .store
        .send_form(
            user.user_id,
            chat,
            new_msg_id(),
            body.bot_id,
            body.command_id,
            body.values,
        )
        .await?
    {
        FormSend::Sent(row) => Ok((StatusCode::CREATED, Json(message_json(&row)?))),
        FormSend::NotInChat => Err(not_in_chat()),
        FormSend::NoCommand => Err(Problem::NotFound(
            "no form command with that ID of a bot in this chat".into(),
        )),
        FormSend::Invalid(reason) => Err(Problem::BadRequest(reason)),
        FormSend::Refused(policy) => Err(refused(policy)),
    }
}

/// `GET /chats/{type}/{id}/menus` → `{"menus": [{"menuId", "botId", "botName", "name",
/// "menuType", "options"?, "value"}]}`: the shortcut-menu buttons of the chat's bots (wire
/// §7.8), with the user's current choice of each toggle and drop-down (`null` for none).
pub(crate) async fn chat_menus(
    State(state): State<AppState>,
    AuthedUser(user): AuthedUser,
    Path((chat_type, chat_id)): Path<(String, String)>,
) -> Result<impl IntoResponse> {
    let chat = chat(&user.user_id, &chat_type, chat_id)?;
    let menus = state
        .store
        .chat_menus(user.user_id, chat)
        .await?
        .ok_or_else(not_in_chat)?;
    Ok(Json(json!({ "menus": menus })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PressBody {
    action: Option<i64>,
}

/// `POST /chats/{type}/{id}/menus/{menuId}` with `{"action"?}`: presses a shortcut-menu
/// button of a bot in the chat. A plain button takes no action (or 1); a toggle 1 (on) or 0
/// (off), or none to flip it; a drop-down the chosen option's index. The bot gets
/// `bot.shortcut.menu`; a toggle's or drop-down's choice rides in `content.menu` of the user's
/// later messages to it in this chat. Answers `{"menuId", "value"}`, the choice now.
pub(crate) async fn press_menu(
    State(state): State<AppState>,
    AuthedUser(user): AuthedUser,
    Path((chat_type, chat_id, menu_id)): Path<(String, String, String)>,
    raw: Bytes,
) -> Result<impl IntoResponse> {
    let chat = chat(&user.user_id, &chat_type, chat_id)?;
    let body: PressBody = if raw.iter().all(u8::is_ascii_whitespace) {
        PressBody { action: None }
    } else {
        json_body(&raw)?
    };
    match state
        .store
        .press_menu(user.user_id, chat, menu_id.clone(), body.action)
        .await?
    {
        Press::Pressed(value) => Ok(Json(json!({ "menuId": menu_id, "value": value }))),
        Press::NotInChat => Err(not_in_chat()),
        Press::NoMenu => Err(Problem::NotFound(
            "no such menu button of a bot in this chat".into(),
        )),
        Press::BadAction(reason) => Err(Problem::BadRequest(reason)),
    }
}
