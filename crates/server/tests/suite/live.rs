//! Live delivery with real WebSocket clients: fan-out, exact replay from a cursor, edits,
//! recalls, membership changes, and boards.

#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};

use crate::common::{TestServer, next_frame, quiet, text};
use reqwest::Method;
use serde_json::{Value, json};

const BOT: &str = "86297657";
const GROUP: &str = "307149245";
const OTHER_GROUP: &str = "665344168";

/// A bot in two groups, `n` users in the first group (the first also in the second group and
/// following the bot). Returns the bot token and the user tokens.
async fn setup(n: usize) -> (TestServer, String, Vec<(String, String)>) {
    let server = TestServer::start().await;
    let token = server.bot(BOT).await;
    let mut users = Vec::new();
    for i in 0..n {
        let id = format!("{}", 1_000_000 + i);
        let user_token = server.user(&id, &format!("user {i}")).await;
        users.push((id, user_token));
    }
    let ids: Vec<&str> = users.iter().map(|(id, _)| id.as_str()).collect();
    server.group(GROUP, &ids).await;
    server.group(OTHER_GROUP, &ids[..1]).await;
    server.join(BOT, GROUP).await;
    server.join(BOT, OTHER_GROUP).await;
    server.follow(BOT, &users[0].0).await;
    (server, token, users)
}

#[tokio::test]
async fn a_batch_send_reaches_every_connected_member_exactly_once() {
    let (server, token, users) = setup(20).await;
    let mut clients = Vec::new();
    for (_, user_token) in &users {
        clients.push(server.live(user_token, None).await.0);
    }
    let mut sent = Vec::new();
    for i in 0..5 {
        let reply = server
            .post(
                "/bot/batch_send",
                &token,
                json!({"recvIds": [GROUP], "recvType": "group",
                  "contentType": "text", "content": {"text": format!("hello {i}")}}),
            )
            .await;
        sent.push(
            reply["data"]["successList"][0]["msgId"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    for ws in &mut clients {
        let mut got = Vec::new();
        for _ in 0..5 {
            let frame = next_frame(ws).await.expect("a message frame");
            assert_eq!(frame["type"], "message", "{frame}");
            assert_eq!(frame["v"], 1);
            assert_eq!(frame["message"]["chatType"], "group");
            assert_eq!(frame["message"]["chatId"], GROUP);
            assert_eq!(frame["message"]["senderType"], "bot");
            got.push(frame["message"]["msgId"].as_str().unwrap().to_owned());
        }
        assert_eq!(got, sent, "every message once, in order");
        assert!(quiet(ws, 200).await, "nothing more");
    }
}

#[tokio::test]
async fn a_client_disconnected_during_a_burst_replays_exactly_what_it_missed() {
    let (server, token, users) = setup(1).await;
    let user_token = users[0].1.clone();
    let (mut ws, hello) = server.live(&user_token, None).await;
    let start = hello["cursor"].as_i64().unwrap();

    // A burst across two groups and the private chat, sent while the client reads a little
    // and then goes away.
    let burst = {
        let http = server.http.clone();
        let base = server.url("/open-apis/v1/bot/send");
        let token = token.clone();
        let user = users[0].0.clone();
        tokio::spawn(async move {
            let targets = [
                ("group", GROUP.to_owned()),
                ("group", OTHER_GROUP.to_owned()),
                ("user", user),
            ];
            for i in 0..90 {
                let (recv_type, recv_id) = &targets[i % 3];
                let reply: Value = http
                    .post(format!("{base}?token={token}"))
                    .body(text(recv_type, recv_id, &format!("m{i}")).to_string())
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                assert_eq!(reply["code"], 1);
            }
        })
    };
    let mut seen: Vec<Value> = Vec::new();
    while seen.len() < 10 {
        seen.push(next_frame(&mut ws).await.expect("frames during the burst"));
    }
    let cursor = seen.last().unwrap()["cursor"].as_i64().unwrap();
    assert!(cursor > start);
    drop(ws);
    burst.await.unwrap();

    let (mut ws, hello) = server.live(&user_token, Some(cursor)).await;
    assert_eq!(hello["cursor"], cursor);
    while let Some(frame) = next_frame(&mut ws).await {
        seen.push(frame);
        if seen.len() == 90 {
            break;
        }
    }
    assert_eq!(seen.len(), 90);
    assert!(quiet(&mut ws, 200).await, "no duplicates after the replay");
    let ids: HashSet<&str> = seen
        .iter()
        .map(|f| f["message"]["msgId"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 90, "each message exactly once");
    let cursors: Vec<i64> = seen.iter().map(|f| f["cursor"].as_i64().unwrap()).collect();
    assert!(cursors.windows(2).all(|w| w[0] < w[1]), "cursors increase");
    let mut last_seq: HashMap<String, i64> = HashMap::new();
    for frame in &seen {
        let chat = frame["message"]["chatId"].as_str().unwrap().to_owned();
        let seq = frame["message"]["seq"].as_i64().unwrap();
        let previous = last_seq.insert(chat.clone(), seq).unwrap_or(0);
        assert_eq!(seq, previous + 1, "per-chat order without gaps in {chat}");
    }
    // And live frames continue after the replay.
    server
        .post("/bot/send", &token, text("group", GROUP, "after"))
        .await;
    let frame = next_frame(&mut ws).await.unwrap();
    assert_eq!(frame["message"]["content"]["text"], "after");
}

#[tokio::test]
async fn edits_and_recalls_propagate_live_and_in_replay() {
    let (server, token, users) = setup(1).await;
    let (mut ws, hello) = server.live(&users[0].1, None).await;
    let start = hello["cursor"].as_i64().unwrap();
    let reply = server
        .post("/bot/send", &token, text("group", GROUP, "v1"))
        .await;
    let msg_id = reply["data"]["messageInfo"]["msgId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(next_frame(&mut ws).await.unwrap()["type"], "message");

    let edit = json!({"msgId": msg_id, "recvId": GROUP, "recvType": "group", "contentType": "markdown", "content": {"text": "**v2**"}});
    assert_eq!(server.post("/bot/edit", &token, edit).await["code"], 1);
    let edited = next_frame(&mut ws).await.unwrap();
    assert_eq!(edited["type"], "message.edited");
    assert_eq!(edited["message"]["msgId"], msg_id.as_str());
    assert_eq!(edited["message"]["contentType"], "markdown");
    assert_eq!(edited["message"]["content"], json!({"text": "**v2**"}));
    assert!(edited["message"]["editTime"].as_i64().is_some());

    let recall = json!({"msgId": msg_id, "chatId": GROUP, "chatType": "group"});
    assert_eq!(server.post("/bot/recall", &token, recall).await["code"], 1);
    let recalled = next_frame(&mut ws).await.unwrap();
    assert_eq!(recalled["type"], "message.recalled");
    assert_eq!(recalled["message"]["recalled"], true);
    assert_eq!(recalled["message"]["content"], json!({}));

    // A client that was away sees the same three changes, in order.
    let (mut ws, _) = server.live(&users[0].1, Some(start)).await;
    let mut replayed = Vec::new();
    for _ in 0..3 {
        replayed.push(
            next_frame(&mut ws).await.unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(replayed, ["message", "message.edited", "message.recalled"]);
}

#[tokio::test]
async fn membership_changes_take_effect_on_open_sessions() {
    let (server, token, users) = setup(2).await;
    let newcomer = server.user("2000000", "newcomer").await;
    let (mut ws, _) = server.live(&newcomer, None).await;
    server
        .post("/bot/send", &token, text("group", GROUP, "before joining"))
        .await;
    assert!(quiet(&mut ws, 200).await, "not a member yet");

    let (status, _) = server
        .admin(
            Method::PUT,
            &format!("/groups/{GROUP}/members/2000000"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    server
        .post("/bot/send", &token, text("group", GROUP, "after joining"))
        .await;
    let frame = next_frame(&mut ws).await.unwrap();
    assert_eq!(frame["message"]["content"]["text"], "after joining");

    let (status, _) = server
        .user_api(
            Method::POST,
            &newcomer,
            &format!("/groups/{GROUP}/leave"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    server
        .post("/bot/send", &token, text("group", GROUP, "after leaving"))
        .await;
    assert!(quiet(&mut ws, 200).await, "left: nothing more");
    let _ = users;
}

#[tokio::test]
async fn a_user_message_is_live_for_the_others_and_an_event_for_the_bot() {
    let (server, _token, users) = setup(2).await;
    let (mut other, _) = server.live(&users[1].1, None).await;
    let (status, sent) = server
        .user_api(Method::POST, &users[0].1, &format!("/chats/group/{GROUP}/messages"),
            Some(json!({"contentType": "text", "content": {"text": "@user 1\u{200b} hi", "at": [users[1].0]}})))
        .await;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(sent["senderType"], "user");
    assert_eq!(sent["seq"], 1);
    let frame = next_frame(&mut other).await.unwrap();
    assert_eq!(frame["message"]["msgId"], sent["msgId"]);
    assert_eq!(frame["message"]["content"]["at"], json!([users[1].0]));

    let events = server.outbox(BOT);
    let event = events
        .iter()
        .find(|e| e["header"]["eventType"] == "message.receive.normal")
        .unwrap();
    assert_eq!(event["event"]["message"]["msgId"], sent["msgId"]);
    assert_eq!(event["event"]["sender"]["senderUserLevel"], "member");
}

#[tokio::test]
async fn boards_are_pushed_live_shown_in_hello_and_accept_every_alias() {
    let (server, token, users) = setup(2).await;
    let (alice, bob) = (&users[0], &users[1]);
    let (mut alice_ws, _) = server.live(&alice.1, None).await;
    let (mut bob_ws, _) = server.live(&bob.1, None).await;

    // py-sdk mixes chatId with recvType.
    let reply = server
        .post("/bot/board", &token, json!({"chatId": GROUP, "recvType": "group", "memberId": "", "contentType": "text", "content": "board", "expireTime": 0}))
        .await;
    assert_eq!(
        reply,
        json!({"code": 1, "msg": "success", "data": {"successCount": 1}})
    );
    for ws in [&mut alice_ws, &mut bob_ws] {
        let frame = next_frame(ws).await.unwrap();
        assert_eq!(frame["type"], "board", "{frame}");
        assert_eq!(frame["board"]["content"], "board");
        assert_eq!(frame["board"]["chatId"], GROUP);
    }
    // A board for one member reaches only that member (java's recvId/recvType shape).
    let reply = server
        .post("/bot/board", &token, json!({"recvId": GROUP, "recvType": "group", "memberId": bob.0, "contentType": "markdown", "content": "just bob"}))
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    assert_eq!(
        next_frame(&mut bob_ws).await.unwrap()["board"]["content"],
        "just bob"
    );
    assert!(quiet(&mut alice_ws, 200).await);

    // The boards in force come in every hello.
    let (_, hello) = server.live(&bob.1, None).await;
    let mut contents: Vec<&str> = hello["boards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["content"].as_str().unwrap())
        .collect();
    contents.sort();
    assert_eq!(contents, ["board", "just bob"]);

    // board-all: every chat of the bot (2 groups + 1 follower).
    let reply = server.post("/bot/board-all", &token, json!({"contentType": "text", "content": "everywhere", "expireTime": 0, "chatId": "", "recvId": null})).await;
    assert_eq!(reply["data"]["successCount"], 3, "{reply}");

    // Expired boards are not shown.
    let past = 1_600_000_000;
    server.post("/bot/board", &token, json!({"chatId": OTHER_GROUP, "chatType": "group", "contentType": "text", "content": "old", "expireTime": past})).await;
    let (_, hello) = server.live(&alice.1, None).await;
    assert!(
        hello["boards"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["content"] != "old")
    );

    // Dismissals, with every body form of board-all-dismiss.
    let reply = server
        .post(
            "/bot/board-dismiss",
            &token,
            json!({"chatId": GROUP, "chatType": "group"}),
        )
        .await;
    assert_eq!(reply, json!({"code": 1, "msg": "success"}));
    while let Some(frame) = next_frame(&mut alice_ws).await {
        if frame["type"] == "board.dismissed" {
            assert_eq!(frame["chat"]["chatId"], GROUP);
            break;
        }
    }
    for body in [None, Some(""), Some("{}")] {
        let mut req = server.http.post(server.url(&format!(
            "/open-apis/v1/bot/board-all-dismiss?token={token}"
        )));
        if let Some(body) = body {
            req = req.header("Content-Type", "application/json").body(body);
        }
        assert_eq!(
            crate::common::envelope(req.send().await.unwrap()).await,
            json!({"code": 1, "msg": "success"})
        );
    }

    // Bad boards are refused.
    let reply = server
        .post(
            "/bot/board",
            &token,
            json!({"chatId": GROUP, "chatType": "group", "contentType": "text", "content": ""}),
        )
        .await;
    assert_eq!(reply, json!({"code": 1002, "msg": "看板内容不能为空"}));
    let reply = server
        .post(
            "/bot/board",
            &token,
            json!({"chatId": "404", "chatType": "group", "contentType": "text", "content": "x"}),
        )
        .await;
    assert_eq!(reply["code"], -1);
    let reply = server
        .post(
            "/bot/board",
            &token,
            json!({"chatId": bob.0, "chatType": "user", "contentType": "text", "content": "x"}),
        )
        .await;
    assert_eq!(reply["code"], 1003, "bob does not follow the bot");
}

#[tokio::test]
async fn deleting_the_group_with_the_newest_entries_never_sends_cursors_backwards() {
    let (server, token, users) = setup(1).await;
    let user_token = users[0].1.clone();
    let send = |group: &'static str, body: &'static str| {
        let (server, token) = (&server, &token);
        async move {
            let reply = server
                .post("/bot/send", token, text("group", group, body))
                .await;
            assert_eq!(reply["code"], 1, "{reply}");
            reply["data"]["messageInfo"]["msgId"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    send(GROUP, "older, in the group that stays").await;
    send(OTHER_GROUP, "newest, in the group that goes").await;
    // The client is up to date: its cursor is the other group's message, the newest entry.
    let (_, hello) = server.live(&user_token, None).await;
    let cursor = hello["cursor"].as_i64().unwrap();

    let (status, body) = server
        .admin(Method::DELETE, &format!("/groups/{OTHER_GROUP}"), None)
        .await;
    assert!(status == 200 || status == 204, "{status} {body}");
    let after = send(GROUP, "after the deletion").await;

    // Resuming from its cursor, the client must get the new message: its cursor is above the
    // one the client holds, though the entries above it went with the deleted group.
    let (mut ws, _) = server.live(&user_token, Some(cursor)).await;
    let frame = next_frame(&mut ws)
        .await
        .expect("the message sent after the deletion");
    assert_eq!(frame["message"]["msgId"], after, "{frame}");
    assert!(frame["cursor"].as_i64().unwrap() > cursor);
}

/// The next WebSocket message of any kind, within 5 s.
async fn next_message(ws: &mut crate::common::Ws) -> tokio_tungstenite::tungstenite::Message {
    use futures_util::StreamExt;
    tokio::time::timeout(std::time::Duration::from_secs(5), ws.next())
        .await
        .expect("a message within 5 s")
        .expect("the socket is open")
        .expect("a well-formed message")
}

#[tokio::test]
async fn the_socket_answers_pings_and_refuses_bad_upgrades_and_oversized_messages() {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

    let (server, _, users) = setup(1).await;
    let user_token = &users[0].1;
    let live = format!("/api/v1/live?token={user_token}");

    // Not a WebSocket request: a clear 400 in the user API's error shape.
    let plain = server.http.get(server.url(&live)).send().await.unwrap();
    assert_eq!(plain.status(), 400);
    let body: Value = plain.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Connection: upgrade"),
        "{body}"
    );
    // Another WebSocket version.
    let old = server
        .http
        .get(server.url(&live))
        .header("connection", "keep-alive, Upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "8")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 400);

    // A ping is answered with a pong carrying the same data; the session goes on.
    let (mut ws, _) = server.live(user_token, None).await;
    ws.send(Message::Ping(b"are you there".to_vec().into()))
        .await
        .unwrap();
    assert_eq!(
        next_message(&mut ws).await,
        Message::Pong(b"are you there".to_vec().into())
    );

    // A message over 4 KiB ends the session with 1009.
    ws.send(Message::Text("x".repeat(5000).into()))
        .await
        .unwrap();
    match next_message(&mut ws).await {
        Message::Close(Some(frame)) => assert_eq!(frame.code, CloseCode::Size),
        other => panic!("expected a close, got {other:?}"),
    }
}
