//! People editing and recalling their own messages through the user API
//! (`POST /api/v1/messages/{msgId}/edit`, `DELETE /api/v1/messages/{msgId}`): what history
//! and live members see, and every refusal leaving the message as it was.

#![allow(clippy::unwrap_used)]

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{TestServer, Ws, next_frame, quiet};

const GROUP: &str = "307149245";
const ALICE: &str = "7756242";
const BOB: &str = "4827368";
/// In no chat of the others.
const CAROL: &str = "5550001";
const BOT: &str = "86297657";

struct Setup {
    server: TestServer,
    alice: String,
    bob: String,
    carol: String,
    bot: String,
}

/// Alice and Bob in a group with a bot that may gag; Carol elsewhere.
async fn setup() -> Setup {
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    let bob = server.user(BOB, "Bob").await;
    let carol = server.user(CAROL, "Carol").await;
    let bot = server.bot(BOT).await;
    server.group(GROUP, &[ALICE, BOB]).await;
    server.join(BOT, GROUP).await;
    let (status, body) = server
        .admin(
            Method::PUT,
            &format!("/groups/{GROUP}/bots/{BOT}/permissions"),
            Some(json!({"allowGagMember": true})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    Setup {
        server,
        alice,
        bob,
        carol,
        bot,
    }
}

fn group_messages() -> String {
    format!("/chats/group/{GROUP}/messages")
}

/// Sends `text` into the group as the token's user; returns the stored message.
async fn send(server: &TestServer, token: &str, text: &str) -> Value {
    let (status, body) = server
        .user_api(
            Method::POST,
            token,
            &group_messages(),
            Some(json!({"contentType": "text", "content": {"text": text}})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body
}

async fn edit(server: &TestServer, token: &str, msg_id: &str, body: Value) -> (u16, Value) {
    server
        .user_api(
            Method::POST,
            token,
            &format!("/messages/{msg_id}/edit"),
            Some(body),
        )
        .await
}

async fn recall(server: &TestServer, token: &str, msg_id: &str) -> (u16, Value) {
    server
        .user_api(Method::DELETE, token, &format!("/messages/{msg_id}"), None)
        .await
}

/// The message as the token's user reads it in the group's history.
async fn in_history(server: &TestServer, token: &str, msg_id: &str) -> Value {
    let (status, body) = server
        .user_api(Method::GET, token, &group_messages(), None)
        .await;
    assert_eq!(status, 200, "{body}");
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["msgId"] == msg_id)
        .cloned()
        .unwrap_or_else(|| panic!("{msg_id} is not in {body}"))
}

fn text_edit(text: &str) -> Value {
    json!({"contentType": "text", "content": {"text": text}})
}

/// Reads frames until one of `kind` comes; panics if none does.
async fn frame_of(ws: &mut Ws, kind: &str) -> Value {
    loop {
        let frame = next_frame(ws).await.unwrap_or_else(|| panic!("no {kind}"));
        if frame["type"] == kind {
            return frame;
        }
    }
}

/// Asserts the message reads exactly as before in history: same content, no edit, not recalled.
async fn unchanged(server: &TestServer, token: &str, before: &Value) {
    let now = in_history(server, token, before["msgId"].as_str().unwrap()).await;
    assert_eq!(now["content"], before["content"], "{now}");
    assert_eq!(now["contentType"], before["contentType"], "{now}");
    assert_eq!(now["recalled"], false, "{now}");
    assert!(now.get("editTime").is_none_or(Value::is_null), "{now}");
}

#[tokio::test]
async fn an_edit_shows_in_history_and_live_with_its_edit_time_and_tells_no_bot() {
    let s = setup().await;
    let (mut bob_ws, _) = s.server.live(&s.bob, None).await;
    let sent = send(&s.server, &s.alice, "hello").await;
    let id = sent["msgId"].as_str().unwrap();
    assert_eq!(
        frame_of(&mut bob_ws, "message").await["message"]["msgId"],
        id
    );
    let events_before = s.server.outbox(BOT).len();

    let (status, edited) = edit(
        &s.server,
        &s.alice,
        id,
        json!({"contentType": "markdown", "content": {"text": "**hello** again"}}),
    )
    .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["msgId"], id);
    assert_eq!(edited["contentType"], "markdown");
    assert_eq!(edited["content"]["text"], "**hello** again");
    // Rendered as a send is: the same sanitized HTML.
    assert!(
        edited["html"]
            .as_str()
            .unwrap()
            .contains("<strong>hello</strong>"),
        "{edited}"
    );
    let edit_time = edited["editTime"].as_i64().unwrap();
    assert!(edit_time >= sent["sendTime"].as_i64().unwrap());
    assert_eq!(edited["sendTime"], sent["sendTime"]);

    // Another member sees it in place, live, as a bot's edit shows.
    let frame = frame_of(&mut bob_ws, "message.edited").await;
    assert_eq!(frame["message"]["msgId"], id, "{frame}");
    assert_eq!(frame["message"]["content"]["text"], "**hello** again");
    assert_eq!(frame["message"]["editTime"], edit_time);
    assert_eq!(frame["message"]["html"], edited["html"]);
    assert!(frame["cursor"].as_i64().unwrap() > 0);

    // And in history.
    let read = in_history(&s.server, &s.bob, id).await;
    assert_eq!(read["content"]["text"], "**hello** again", "{read}");
    assert_eq!(read["editTime"], edit_time);
    assert_eq!(read["seq"], sent["seq"]);

    // Bots are not told (Yunhu has no such event).
    assert_eq!(s.server.outbox(BOT).len(), events_before);
    // The bot reads the new content in its history too.
    let reply = s
        .server
        .messages(
            &s.bot,
            &[("chat-id", GROUP), ("chat-type", "group"), ("before", "5")],
        )
        .await;
    assert_eq!(
        reply["data"]["list"][0]["content"]["text"],
        "**hello** again"
    );
}

#[tokio::test]
async fn a_reconnecting_member_gets_the_edit_in_replay() {
    let s = setup().await;
    let (_, hello) = s.server.live(&s.bob, None).await;
    let cursor = hello["cursor"].as_i64().unwrap();
    let sent = send(&s.server, &s.alice, "first").await;
    let id = sent["msgId"].as_str().unwrap();
    let (status, body) = edit(&s.server, &s.alice, id, text_edit("second")).await;
    assert_eq!(status, 200, "{body}");
    let (mut ws, _) = s.server.live(&s.bob, Some(cursor)).await;
    assert_eq!(frame_of(&mut ws, "message").await["message"]["msgId"], id);
    let frame = frame_of(&mut ws, "message.edited").await;
    assert_eq!(frame["message"]["content"]["text"], "second", "{frame}");
}

#[tokio::test]
async fn someone_elses_message_is_refused_and_stays_as_it_was() {
    let s = setup().await;
    let sent = send(&s.server, &s.alice, "mine").await;
    let id = sent["msgId"].as_str().unwrap();
    let (mut alice_ws, _) = s.server.live(&s.alice, None).await;

    // Bob is in the chat: he sees it is not his to change.
    let (status, body) = edit(&s.server, &s.bob, id, text_edit("forged")).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("sender")
    );
    let (status, body) = recall(&s.server, &s.bob, id).await;
    assert_eq!(status, 403, "{body}");

    // Carol cannot read the chat: to her the message does not exist.
    let (status, body) = edit(&s.server, &s.carol, id, text_edit("forged")).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = recall(&s.server, &s.carol, id).await;
    assert_eq!(status, 404, "{body}");

    // Nor does an unknown ID, for anyone.
    let unknown = "0123456789abcdef0123456789abcdef";
    assert_eq!(
        edit(&s.server, &s.alice, unknown, text_edit("x")).await.0,
        404
    );
    assert_eq!(recall(&s.server, &s.alice, unknown).await.0, 404);

    unchanged(&s.server, &s.alice, &sent).await;
    assert!(quiet(&mut alice_ws, 300).await, "a refusal sent a frame");
}

#[tokio::test]
async fn a_recall_hides_the_message_in_history_and_is_final() {
    let s = setup().await;
    let (mut bob_ws, _) = s.server.live(&s.bob, None).await;
    let sent = send(&s.server, &s.alice, "oops").await;
    let id = sent["msgId"].as_str().unwrap();
    frame_of(&mut bob_ws, "message").await;
    let events_before = s.server.outbox(BOT).len();

    let (status, body) = recall(&s.server, &s.alice, id).await;
    assert_eq!(status, 204, "{body}");

    let frame = frame_of(&mut bob_ws, "message.recalled").await;
    assert_eq!(frame["message"]["msgId"], id, "{frame}");
    assert_eq!(frame["message"]["recalled"], true);
    assert!(frame["message"]["content"].get("text").is_none(), "{frame}");

    // Users' history keeps its place, marked recalled and without its content, as for a
    // bot's recalled message; bots' history leaves it out.
    let read = in_history(&s.server, &s.bob, id).await;
    assert_eq!(read["recalled"], true, "{read}");
    assert!(read["content"].get("text").is_none(), "{read}");
    assert!(read.get("html").is_none_or(Value::is_null), "{read}");
    assert!(
        !s.server
            .history_ids(&s.bot, "group", GROUP)
            .await
            .contains(&id.to_owned())
    );
    assert_eq!(
        s.server.outbox(BOT).len(),
        events_before,
        "bots are not told"
    );

    // Nothing left to edit or recall.
    let (status, body) = edit(&s.server, &s.alice, id, text_edit("back")).await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = recall(&s.server, &s.alice, id).await;
    assert_eq!(status, 409, "{body}");
    assert!(quiet(&mut bob_ws, 300).await);
    let read = in_history(&s.server, &s.bob, id).await;
    assert_eq!(read["recalled"], true);
    assert!(read.get("editTime").is_none_or(Value::is_null), "{read}");
}

#[tokio::test]
async fn bots_messages_and_tips_cannot_be_touched_by_people() {
    let s = setup().await;
    let reply = s
        .server
        .post(
            "/bot/send",
            &s.bot,
            json!({"recvId": GROUP, "recvType": "group", "contentType": "text", "content": {"text": "from the bot"}}),
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    // The bot gags Bob for a minute: the group gets a tip.
    let reply = s
        .server
        .post(
            "/group/gag-member",
            &s.bot,
            json!({"groupId": GROUP, "userId": BOB, "gag": 60}),
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    let (status, page) = s
        .server
        .user_api(Method::GET, &s.alice, &group_messages(), None)
        .await;
    assert_eq!(status, 200);
    let messages = page["messages"].as_array().unwrap();
    let by_bot = messages
        .iter()
        .find(|m| m["senderType"] == "bot" && m["contentType"] == "text")
        .unwrap()
        .clone();
    let tip = messages
        .iter()
        .find(|m| m["contentType"] == "tip")
        .unwrap()
        .clone();

    for target in [&by_bot, &tip] {
        let id = target["msgId"].as_str().unwrap();
        for token in [&s.alice, &s.bob] {
            let (status, body) = edit(&s.server, token, id, text_edit("mine now")).await;
            assert_eq!(status, 403, "{target} {body}");
            let (status, body) = recall(&s.server, token, id).await;
            assert_eq!(status, 403, "{target} {body}");
        }
        unchanged(&s.server, &s.alice, target).await;
    }
}

#[tokio::test]
async fn bad_content_is_refused_and_changes_nothing() {
    let s = setup().await;
    let sent = send(&s.server, &s.alice, "keep me").await;
    let id = sent["msgId"].as_str().unwrap();
    for body in [
        json!({"contentType": "bogus", "content": {"text": "x"}}),
        json!({"content": {"text": "no type"}}),
        json!({"contentType": "text", "content": {}}),
        json!({"contentType": "form", "content": {"text": "x"}}),
        // Media only by one's own upload key, as for a send.
        json!({"contentType": "image", "content": {"imageUrl": "https://example.com/a.png"}}),
        json!({"contentType": "image", "content": {"imageKey": "0123456789abcdef0123456789abcdef"}}),
    ] {
        let (status, reply) = edit(&s.server, &s.alice, id, body.clone()).await;
        assert_eq!(status, 400, "{body} → {reply}");
        assert!(reply["error"]["message"].is_string(), "{reply}");
    }
    // Not JSON at all.
    let resp = s
        .server
        .http
        .post(s.server.url(&format!("/api/v1/messages/{id}/edit")))
        .bearer_auth(&s.alice)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    // No token.
    let resp = s
        .server
        .http
        .post(s.server.url(&format!("/api/v1/messages/{id}/edit")))
        .json(&text_edit("anonymous"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    unchanged(&s.server, &s.alice, &sent).await;
}

#[tokio::test]
async fn a_muted_member_cannot_edit_but_may_recall() {
    let s = setup().await;
    let sent = send(&s.server, &s.bob, "before the gag").await;
    let id = sent["msgId"].as_str().unwrap();
    let reply = s
        .server
        .post(
            "/group/gag-member",
            &s.bot,
            json!({"groupId": GROUP, "userId": BOB, "gag": 600}),
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    // Editing is saying something new: a gag stops it as it stops a send.
    let (status, body) = edit(&s.server, &s.bob, id, text_edit("sneaky")).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("muted"));
    unchanged(&s.server, &s.alice, &sent).await;
    let (status, body) = recall(&s.server, &s.bob, id).await;
    assert_eq!(status, 204, "{body}");
}

#[tokio::test]
async fn after_leaving_a_group_ones_messages_there_are_out_of_reach() {
    let s = setup().await;
    let sent = send(&s.server, &s.bob, "bye").await;
    let id = sent["msgId"].as_str().unwrap();
    let (status, body) = s
        .server
        .user_api(
            Method::POST,
            &s.bob,
            &format!("/groups/{GROUP}/leave"),
            None,
        )
        .await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(edit(&s.server, &s.bob, id, text_edit("x")).await.0, 404);
    assert_eq!(recall(&s.server, &s.bob, id).await.0, 404);
    unchanged(&s.server, &s.alice, &sent).await;
}

#[tokio::test]
async fn a_reply_keeps_its_quote_and_a_private_chat_works_alike() {
    let s = setup().await;
    let first = send(&s.server, &s.bob, "the question").await;
    let (status, reply) = s
        .server
        .user_api(
            Method::POST,
            &s.alice,
            &group_messages(),
            Some(json!({"contentType": "text", "content": {"text": "an answer"}, "parentId": first["msgId"]})),
        )
        .await;
    assert_eq!(status, 201, "{reply}");
    let quote = reply["content"]["parent"].clone();
    assert!(quote.is_string(), "{reply}");
    let (status, edited) = edit(
        &s.server,
        &s.alice,
        reply["msgId"].as_str().unwrap(),
        text_edit("a better answer"),
    )
    .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["parentId"], first["msgId"]);
    assert_eq!(edited["content"]["parent"], quote);
    assert_eq!(edited["content"]["text"], "a better answer");

    // In the private chat with a bot.
    s.server.follow(BOT, ALICE).await;
    let (status, sent) = s
        .server
        .user_api(
            Method::POST,
            &s.alice,
            &format!("/chats/bot/{BOT}/messages"),
            Some(text_edit("hi bot")),
        )
        .await;
    assert_eq!(status, 201, "{sent}");
    let id = sent["msgId"].as_str().unwrap();
    let (status, edited) = edit(&s.server, &s.alice, id, text_edit("hello bot")).await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["chatType"], "bot");
    assert_eq!(recall(&s.server, &s.alice, id).await.0, 204);
}
