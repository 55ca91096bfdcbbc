//! The bot WebSocket `GET /subscribe?token=`: one text frame per event envelope, events from
//! before the first connection, exactly what was missed after a reconnect, pings answered.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use crate::common::{TestServer, Ws, next_frame, quiet};
use futures_util::{SinkExt, StreamExt};
use reqwest::Method;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

const BOT: &str = "33330001";
const USER: &str = "4440001";

async fn connect(server: &TestServer, token: &str) -> Ws {
    let url = format!("ws://{}/subscribe?token={token}", server.addr);
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

/// Makes `n` events: follow, unfollow, follow, …
async fn events(server: &TestServer, n: usize) {
    // The outbox alternates followed / unfollowed, so its length says which comes next.
    let done = server.outbox(BOT).len();
    for i in done..done + n {
        let method = if i % 2 == 0 {
            Method::PUT
        } else {
            Method::DELETE
        };
        let (status, body) = server
            .admin(method, &format!("/bots/{BOT}/followers/{USER}"), None)
            .await;
        assert!(status == 200 || status == 204, "{status} {body}");
    }
}

fn event_ids(server: &TestServer) -> Vec<String> {
    server
        .outbox(BOT)
        .iter()
        .map(|e| e["header"]["eventId"].as_str().unwrap().to_owned())
        .collect()
}

async fn receive(ws: &mut Ws, n: usize) -> Vec<Value> {
    let mut got = Vec::new();
    for _ in 0..n {
        got.push(next_frame(ws).await.expect("an event frame"));
    }
    got
}

fn ids(frames: &[Value]) -> Vec<String> {
    frames
        .iter()
        .map(|f| f["header"]["eventId"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn events_from_before_the_first_connection_then_live_then_what_was_missed() {
    let server = TestServer::start().await;
    let token = server.bot(BOT).await;
    server.user(USER, "Alice").await;
    events(&server, 3).await;

    let mut ws = connect(&server, &token).await;
    let first = receive(&mut ws, 3).await;
    assert_eq!(
        ids(&first),
        event_ids(&server),
        "every earlier event, in order"
    );
    assert_eq!(first[0]["version"], "1.0");
    assert_eq!(first[0]["header"]["eventType"], "bot.followed");
    assert_eq!(first[0]["event"]["userId"], USER);

    // Live.
    events(&server, 1).await;
    let live = receive(&mut ws, 1).await;
    assert_eq!(ids(&live), event_ids(&server)[3..].to_vec());
    assert!(quiet(&mut ws, 200).await, "nothing else on the wire");

    // Away for a while: what happened meanwhile arrives on reconnect, and nothing twice.
    ws.close(None).await.unwrap();
    drop(ws);
    events(&server, 2).await;
    let mut ws = connect(&server, &token).await;
    let missed = receive(&mut ws, 2).await;
    assert_eq!(ids(&missed), event_ids(&server)[4..].to_vec());
    assert!(quiet(&mut ws, 300).await, "nothing twice");

    // The same after a restart: delivery state is durable.
    drop(ws);
    let dir = server.stop().await;
    let server = TestServer::start_in(dir, |_| {}).await;
    events(&server, 1).await;
    let mut ws = connect(&server, &token).await;
    let after = receive(&mut ws, 1).await;
    assert_eq!(ids(&after), event_ids(&server)[6..].to_vec());
    assert!(quiet(&mut ws, 300).await, "nothing twice after the restart");
}

#[tokio::test]
async fn pings_are_answered_and_frames_are_text() {
    let server = TestServer::start().await;
    let token = server.bot(BOT).await;
    server.user(USER, "Alice").await;
    let mut ws = connect(&server, &token).await;
    ws.send(Message::Ping(b"hb".to_vec().into())).await.unwrap();
    let pong = tokio::time::timeout(Duration::from_secs(2), ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(pong, Message::Pong(b"hb".to_vec().into()));
    events(&server, 1).await;
    let msg = tokio::time::timeout(Duration::from_secs(2), ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let Message::Text(text) = msg else {
        panic!("a text frame, got {msg:?}");
    };
    let envelope: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(envelope["header"]["eventType"], "bot.followed");
}

#[tokio::test]
async fn a_wrong_token_is_refused() {
    let server = TestServer::start().await;
    server.bot(BOT).await;
    let url = format!("ws://{}/subscribe?token=nope", server.addr);
    assert!(tokio_tungstenite::connect_async(url).await.is_err());
    let url = format!("ws://{}/subscribe", server.addr);
    assert!(tokio_tungstenite::connect_async(url).await.is_err());
}

#[tokio::test]
async fn a_new_connection_takes_over_and_nothing_is_sent_twice() {
    let server = TestServer::start().await;
    let token = server.bot(BOT).await;
    server.user(USER, "Alice").await;
    let mut old = connect(&server, &token).await;
    events(&server, 1).await;
    assert_eq!(receive(&mut old, 1).await.len(), 1);
    let mut new = connect(&server, &token).await;
    // The old socket is closed by the server.
    assert!(next_frame(&mut old).await.is_none());
    events(&server, 1).await;
    let got = receive(&mut new, 1).await;
    assert_eq!(ids(&got), event_ids(&server)[1..].to_vec());
    assert!(quiet(&mut new, 200).await);
}

#[tokio::test]
async fn with_a_webhook_url_the_socket_stays_quiet_and_clearing_it_sends_the_backlog() {
    let server = TestServer::start_with(|c| c.delivery.allow_private = true).await;
    let token = server.bot(BOT).await;
    server.user(USER, "Alice").await;
    // A webhook that refuses connections: events stay pending between retries.
    let (status, body) = server
        .admin(
            Method::PUT,
            &format!("/bots/{BOT}/webhook"),
            Some(json!({"url": "http://127.0.0.1:9/hook"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut ws = connect(&server, &token).await;
    events(&server, 1).await;
    assert!(quiet(&mut ws, 500).await, "the webhook owns delivery");

    let (status, body) = server
        .admin(
            Method::PUT,
            &format!("/bots/{BOT}/webhook"),
            Some(json!({"url": null})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["webhookUrl"], Value::Null);
    let got = receive(&mut ws, 1).await;
    assert_eq!(ids(&got), event_ids(&server));
}
