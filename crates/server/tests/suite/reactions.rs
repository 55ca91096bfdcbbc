//! Reactions (`PUT`/`DELETE /api/v1/messages/{msgId}/reactions/{emoji}`): what the answer,
//! history and every live member show, the `message.reaction` extension event that only a bot
//! that asked for it receives, replay after a reconnect, and every refusal changing nothing.

#![allow(clippy::unwrap_used)]

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{TestServer, Ws, next_frame, quiet};

const GROUP: &str = "307149245";
const ALICE: &str = "7756242";
const BOB: &str = "4827368";
/// In no chat of the others.
const CAROL: &str = "5550001";
/// Asked for `message.reaction`.
const WATCHER: &str = "86297657";
/// Subscribed to every type (the default): a bot written for Yunhu.
const PLAIN: &str = "11112222";

struct Setup {
    server: TestServer,
    alice: String,
    bob: String,
    carol: String,
}

/// Alice and Bob in a group with two bots, one of which asked for `message.reaction`; Carol
/// elsewhere.
async fn setup() -> Setup {
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    let bob = server.user(BOB, "Bob").await;
    let carol = server.user(CAROL, "Carol").await;
    server.bot(WATCHER).await;
    server.bot(PLAIN).await;
    server.group(GROUP, &[ALICE, BOB]).await;
    server.join(WATCHER, GROUP).await;
    server.join(PLAIN, GROUP).await;
    subscribe(
        &server,
        WATCHER,
        json!(["message.receive.normal", "message.reaction"]),
    )
    .await;
    Setup {
        server,
        alice,
        bob,
        carol,
    }
}

async fn subscribe(server: &TestServer, bot: &str, types: Value) {
    let (status, body) = server
        .admin(
            Method::PUT,
            &format!("/bots/{bot}/webhook"),
            Some(json!({ "eventTypes": types })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// Sends `text` into the group as the token's user; returns the message's ID.
async fn send(server: &TestServer, token: &str, text: &str) -> String {
    let (status, body) = server
        .user_api(
            Method::POST,
            token,
            &format!("/chats/group/{GROUP}/messages"),
            Some(json!({"contentType": "text", "content": {"text": text}})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["msgId"].as_str().unwrap().to_owned()
}

/// The path of a reaction, the emoji percent-encoded as a client must.
fn reaction_path(msg_id: &str, emoji: &str) -> String {
    let encoded: String = emoji
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("/messages/{msg_id}/reactions/{encoded}")
}

async fn react(server: &TestServer, token: &str, msg_id: &str, emoji: &str) -> (u16, Value) {
    server
        .user_api(Method::PUT, token, &reaction_path(msg_id, emoji), None)
        .await
}

async fn unreact(server: &TestServer, token: &str, msg_id: &str, emoji: &str) -> (u16, Value) {
    server
        .user_api(Method::DELETE, token, &reaction_path(msg_id, emoji), None)
        .await
}

/// The message as the token's user reads it in the group's history.
async fn in_history(server: &TestServer, token: &str, msg_id: &str) -> Value {
    let (status, body) = server
        .user_api(
            Method::GET,
            token,
            &format!("/chats/group/{GROUP}/messages"),
            None,
        )
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

/// Reads frames until one of `kind` comes; panics if none does.
async fn frame_of(ws: &mut Ws, kind: &str) -> Value {
    loop {
        let frame = next_frame(ws).await.unwrap_or_else(|| panic!("no {kind}"));
        if frame["type"] == kind {
            return frame;
        }
    }
}

fn user(id: &str, nickname: &str) -> Value {
    json!({"userId": id, "nickname": nickname})
}

/// The reaction events in a bot's outbox.
fn reaction_events(server: &TestServer, bot: &str) -> Vec<Value> {
    server
        .outbox(bot)
        .into_iter()
        .filter(|e| e["header"]["eventType"] == "message.reaction")
        .collect()
}

/// Checks an event envelope field for field; its ID and time are checked for shape.
fn assert_event(
    envelope: &Value,
    msg_id: &str,
    user_id: &str,
    nickname: &str,
    emoji: &str,
    action: &str,
) {
    let event_id = envelope["header"]["eventId"].as_str().unwrap();
    assert_eq!(event_id.len(), 32, "{envelope}");
    let time = envelope["header"]["eventTime"].as_i64().unwrap();
    assert!(time > 1_700_000_000_000, "{envelope}");
    // When the reaction was given: the moment the event was written, or just before.
    let given = envelope["event"]["time"].as_i64().unwrap();
    assert!((time - 1000..=time).contains(&given), "{envelope}");
    assert_eq!(
        *envelope,
        json!({
            "version": "1.0",
            "header": {"eventId": event_id, "eventTime": time, "eventType": "message.reaction"},
            "event": {
                "time": given,
                "msgId": msg_id,
                "chatId": GROUP,
                "chatType": "group",
                "userId": user_id,
                "nickname": nickname,
                "emoji": emoji,
                "action": action,
            }
        })
    );
}

#[tokio::test]
async fn a_reaction_shows_in_the_answer_history_and_live_and_reaches_only_the_bot_that_asked() {
    let s = setup().await;
    let (mut alice_ws, _) = s.server.live(&s.alice, None).await;
    let (mut bob_ws, _) = s.server.live(&s.bob, None).await;
    let id = send(&s.server, &s.alice, "lunch?").await;
    frame_of(&mut alice_ws, "message").await;
    frame_of(&mut bob_ws, "message").await;
    let plain_before = s.server.outbox(PLAIN).len();

    // Bob reacts: the answer is the message's reactions as they now stand.
    let (status, body) = react(&s.server, &s.bob, &id, "👍").await;
    assert_eq!(status, 200, "{body}");
    let one = json!([{"emoji": "👍", "count": 1, "users": [user(BOB, "Bob")]}]);
    assert_eq!(body, json!({"msgId": id, "reactions": one}));

    // Everyone in the chat sees it live, in one frame naming the message.
    let frame = frame_of(&mut alice_ws, "message.reactions").await;
    let cursor = frame["cursor"].as_i64().unwrap();
    assert_eq!(
        frame,
        json!({"type": "message.reactions", "v": 1, "cursor": cursor,
               "chat": {"chatType": "group", "chatId": GROUP}, "msgId": id, "reactions": one})
    );
    assert_eq!(frame_of(&mut bob_ws, "message.reactions").await, frame);

    // Alice adds two: each emoji where it was first given, its people first first.
    assert_eq!(react(&s.server, &s.alice, &id, "❤️").await.0, 200);
    let (status, body) = react(&s.server, &s.alice, &id, "👍").await;
    assert_eq!(status, 200, "{body}");
    let three = json!([
        {"emoji": "👍", "count": 2, "users": [user(BOB, "Bob"), user(ALICE, "Alice")]},
        {"emoji": "❤️", "count": 1, "users": [user(ALICE, "Alice")]},
    ]);
    assert_eq!(body["reactions"], three);
    frame_of(&mut bob_ws, "message.reactions").await;
    let frame = frame_of(&mut bob_ws, "message.reactions").await;
    assert_eq!(frame["reactions"], three, "{frame}");
    assert!(frame["cursor"].as_i64().unwrap() > cursor);

    // History has them, on the message as the user API shows it.
    let read = in_history(&s.server, &s.bob, &id).await;
    assert_eq!(read["reactions"], three, "{read}");
    assert_eq!(read["content"], json!({"text": "lunch?"}));

    // The bot that asked is told of each, field for field; the other bot of none.
    let events = reaction_events(&s.server, WATCHER);
    assert_eq!(events.len(), 3, "{events:?}");
    assert_event(&events[0], &id, BOB, "Bob", "👍", "added");
    assert_event(&events[1], &id, ALICE, "Alice", "❤️", "added");
    assert_event(&events[2], &id, ALICE, "Alice", "👍", "added");
    assert_eq!(s.server.outbox(PLAIN).len(), plain_before);

    // Bob takes his back.
    let (status, body) = unreact(&s.server, &s.bob, &id, "👍").await;
    assert_eq!(status, 200, "{body}");
    // 👍's oldest reaction is now Alice's, given after her ❤️: the order is that of the
    // reactions that stand, not of ones taken back.
    let two = json!([
        {"emoji": "❤️", "count": 1, "users": [user(ALICE, "Alice")]},
        {"emoji": "👍", "count": 1, "users": [user(ALICE, "Alice")]},
    ]);
    assert_eq!(body["reactions"], two);
    assert_eq!(
        frame_of(&mut bob_ws, "message.reactions").await["reactions"],
        two
    );
    let events = reaction_events(&s.server, WATCHER);
    assert_eq!(events.len(), 4);
    assert_event(&events[3], &id, BOB, "Bob", "👍", "removed");

    // Doing either again changes nothing: same answer, no frame, no event.
    let (status, body) = unreact(&s.server, &s.bob, &id, "👍").await;
    assert_eq!((status, &body["reactions"]), (200, &two));
    let (status, body) = react(&s.server, &s.alice, &id, "❤️").await;
    assert_eq!((status, &body["reactions"]), (200, &two));
    assert!(quiet(&mut bob_ws, 300).await);
    assert_eq!(reaction_events(&s.server, WATCHER).len(), 4);

    // The last ones taken back: the list is empty and the history has none.
    assert_eq!(unreact(&s.server, &s.alice, &id, "👍").await.0, 200);
    let (_, body) = unreact(&s.server, &s.alice, &id, "❤️").await;
    assert_eq!(body, json!({"msgId": id, "reactions": []}));
    frame_of(&mut bob_ws, "message.reactions").await;
    let frame = frame_of(&mut bob_ws, "message.reactions").await;
    assert_eq!(frame["reactions"], json!([]), "{frame}");
    let read = in_history(&s.server, &s.bob, &id).await;
    assert!(read.get("reactions").is_none(), "{read}");
}

#[tokio::test]
async fn an_edit_keeps_the_reactions_and_a_recall_hides_them() {
    let s = setup().await;
    let (mut bob_ws, _) = s.server.live(&s.bob, None).await;
    let id = send(&s.server, &s.alice, "draft").await;
    assert_eq!(react(&s.server, &s.bob, &id, "🎉").await.0, 200);
    let (status, body) = s
        .server
        .user_api(
            Method::POST,
            &s.alice,
            &format!("/messages/{id}/edit"),
            Some(json!({"contentType": "text", "content": {"text": "final"}})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let party = json!([{"emoji": "🎉", "count": 1, "users": [user(BOB, "Bob")]}]);
    assert_eq!(body["reactions"], party, "{body}");
    // The edited message a client puts in place of the old one still shows them.
    let frame = frame_of(&mut bob_ws, "message.edited").await;
    assert_eq!(frame["message"]["reactions"], party, "{frame}");

    let (status, _) = s
        .server
        .user_api(Method::DELETE, &s.alice, &format!("/messages/{id}"), None)
        .await;
    assert_eq!(status, 204);
    let frame = frame_of(&mut bob_ws, "message.recalled").await;
    assert!(frame["message"].get("reactions").is_none(), "{frame}");
    let read = in_history(&s.server, &s.bob, &id).await;
    assert!(read.get("reactions").is_none(), "{read}");
}

#[tokio::test]
async fn a_reconnecting_member_gets_the_reactions_in_replay() {
    let s = setup().await;
    let id = send(&s.server, &s.alice, "vote").await;
    let (_, hello) = s.server.live(&s.bob, None).await;
    let cursor = hello["cursor"].as_i64().unwrap();
    assert_eq!(react(&s.server, &s.alice, &id, "👀").await.0, 200);
    let (mut ws, _) = s.server.live(&s.bob, Some(cursor)).await;
    let frame = frame_of(&mut ws, "message.reactions").await;
    assert_eq!(frame["msgId"], id.as_str());
    assert_eq!(
        frame["reactions"],
        json!([{"emoji": "👀", "count": 1, "users": [user(ALICE, "Alice")]}])
    );
}

#[tokio::test]
async fn in_a_private_chat_the_bot_that_asked_is_told_with_its_own_id_as_the_chat() {
    let s = setup().await;
    s.server.follow(WATCHER, ALICE).await;
    let (status, body) = s
        .server
        .user_api(
            Method::POST,
            &s.alice,
            &format!("/chats/bot/{WATCHER}/messages"),
            Some(json!({"contentType": "text", "content": {"text": "hi bot"}})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["msgId"].as_str().unwrap();
    assert_eq!(react(&s.server, &s.alice, id, "🙏").await.0, 200);
    let events = reaction_events(&s.server, WATCHER);
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0]["event"],
        json!({"time": events[0]["event"]["time"], "msgId": id, "chatId": WATCHER,
               "chatType": "bot", "userId": ALICE, "nickname": "Alice", "emoji": "🙏",
               "action": "added"})
    );
}

#[tokio::test]
async fn refusals_change_nothing() {
    let s = setup().await;
    let (mut bob_ws, _) = s.server.live(&s.bob, None).await;
    let id = send(&s.server, &s.alice, "hello").await;
    frame_of(&mut bob_ws, "message").await;
    assert_eq!(react(&s.server, &s.alice, &id, "👍").await.0, 200);
    frame_of(&mut bob_ws, "message.reactions").await;
    let before = in_history(&s.server, &s.alice, &id).await;
    let events = s.server.outbox(WATCHER).len();

    let problem = |status: u16, body: &Value| {
        assert!(body["error"]["code"].is_string(), "{status} {body}");
        assert!(body["error"]["message"].is_string(), "{status} {body}");
        status
    };
    // A message in a chat Carol is not in: 403, both ways.
    let (status, body) = react(&s.server, &s.carol, &id, "👍").await;
    assert_eq!(problem(status, &body), 403);
    let (status, body) = unreact(&s.server, &s.carol, &id, "👍").await;
    assert_eq!(problem(status, &body), 403);
    // No such message: 404.
    let (status, body) = react(&s.server, &s.bob, "0123456789abcdef0123456789abcdef", "👍").await;
    assert_eq!(problem(status, &body), 404);
    // Not one emoji: 400, whoever asks about whatever message.
    for bad in ["ok", "👍👍", "👍 ", "<b>", "1", "🇨"] {
        let (status, body) = react(&s.server, &s.bob, &id, bad).await;
        assert_eq!(problem(status, &body), 400, "{bad:?}");
        let (status, body) = unreact(&s.server, &s.alice, &id, bad).await;
        assert_eq!(problem(status, &body), 400, "{bad:?}");
    }
    // No token: 401.
    let (status, _) = react(&s.server, "nope", &id, "👍").await;
    assert_eq!(status, 401);

    assert!(quiet(&mut bob_ws, 300).await, "no frame for a refusal");
    assert_eq!(in_history(&s.server, &s.alice, &id).await, before);
    assert_eq!(s.server.outbox(WATCHER).len(), events);

    // Ten different emojis at most per person on one message: the eleventh is refused.
    let palette = ["❤️", "😂", "😮", "😢", "🎉", "🙏", "👀", "🦀", "✅"];
    for e in palette {
        assert_eq!(react(&s.server, &s.alice, &id, e).await.0, 200, "{e}");
    }
    let full = in_history(&s.server, &s.alice, &id).await;
    assert_eq!(full["reactions"].as_array().unwrap().len(), 10);
    let events = s.server.outbox(WATCHER).len();
    let (status, body) = react(&s.server, &s.alice, &id, "⭐").await;
    assert_eq!(problem(status, &body), 409);
    assert_eq!(in_history(&s.server, &s.alice, &id).await, full);
    assert_eq!(s.server.outbox(WATCHER).len(), events);
    // Someone else still may.
    assert_eq!(react(&s.server, &s.bob, &id, "⭐").await.0, 200);

    // A recalled message takes none: 409.
    let (status, _) = s
        .server
        .user_api(Method::DELETE, &s.alice, &format!("/messages/{id}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, body) = react(&s.server, &s.bob, &id, "👍").await;
    assert_eq!(problem(status, &body), 409);
}
