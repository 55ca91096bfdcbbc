//! Events through the SDK: the ten types typed, the WebSocket subscriber against a running
//! cloudlake (typed events, reconnect after a restart, a refused token), and the webhook
//! receiver with cloudlake delivering to it (signed events accepted, bad signatures refused).

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cloudlake_sdk::webhook::{Secret, WebhookReceiver};
use cloudlake_sdk::{Chat, Code, Event, EventEnvelope, Message, Row};
use common::{TestServer, eventually};
use reqwest::Method;
use serde_json::json;
use tokio::sync::mpsc;

const BOT: &str = "86297657";
const ALICE: &str = "7756242";
const GROUP: &str = "307149245";

#[test]
fn all_ten_event_types_are_typed_and_unknown_ones_kept_raw() {
    let samples = [
        (
            "message.receive.normal",
            json!({"sender":{"senderId":"1","senderType":"user","senderUserLevel":"member","senderNickname":"n","senderAvatarUrl":""},
            "chat":{"chatId":"g","chatType":"group"},"message":{"msgId":"m","parentId":"","sendTime":1,"chatId":"g","chatType":"group","contentType":"text","content":{"text":"hi"}}}),
        ),
        (
            "message.receive.instruction",
            json!({"sender":{"senderId":"1","senderType":"user","senderUserLevel":"member","senderNickname":"n"},
            "chat":{"chatId":"b","chatType":"bot"},"message":{"msgId":"m","sendTime":1,"chatId":"b","chatType":"bot","contentType":"form",
            "content":{"formJson":{"a":{"id":"a","type":"input","label":null,"value":"v"}}},"commandId":7,"commandName":"c"}}),
        ),
        (
            "bot.followed",
            json!({"time":1,"chatId":"b","chatType":"bot","userId":"u","nickname":"n","avatarUrl":""}),
        ),
        (
            "bot.unfollowed",
            json!({"time":1,"chatId":"b","chatType":"bot","userId":"u","nickname":"n","avatarUrl":""}),
        ),
        (
            "group.join",
            json!({"time":1,"chatId":"g","chatType":"group","userId":"u","nickname":"n","avatarUrl":""}),
        ),
        (
            "group.leave",
            json!({"time":1,"chatId":"g","chatType":"group","userId":"u","nickname":"n","avatarUrl":""}),
        ),
        (
            "button.report.inline",
            json!({"time":1,"msgId":"m","recvId":"g","recvType":"group","userId":"u","value":"v"}),
        ),
        (
            "bot.shortcut.menu",
            json!({"botId":"b","menuId":"M","menuType":1,"menuAction":1,"chatId":"g","chatType":"group","senderType":"user","senderId":"u","sendTime":1761936125}),
        ),
        (
            "bot.setting",
            json!({"time":1,"chatId":"b","chatType":"bot","groupId":"g","groupName":"G","avatarUrl":"","settingJson":"{}"}),
        ),
        (
            "a2ui.button.report",
            json!({"time":1,"msgId":"m","recvId":"u","recvType":"user","userId":"u","userName":"n","actionName":"go",
            "sourceComponentId":"c","formContext":{"k":"v"},"interactionJson":"{}"}),
        ),
    ];
    for (event_type, event) in samples {
        let envelope: EventEnvelope = serde_json::from_value(json!({"version":"1.0",
            "header":{"eventId":"e","eventTime":1,"eventType":event_type},"event":event}))
        .unwrap();
        let typed = envelope.typed();
        assert_eq!(typed.event_type(), event_type);
        assert!(!matches!(typed, Event::Unknown { .. }), "{event_type}");
    }
    let future: EventEnvelope = serde_json::from_value(json!({"version":"1.0",
        "header":{"eventId":"e","eventTime":1,"eventType":"bot.future"},"event":{"x":[1]}}))
    .unwrap();
    assert_eq!(
        future.typed(),
        Event::Unknown {
            event_type: "bot.future".into(),
            raw: json!({"x":[1]})
        }
    );
}

/// A server with Alice (owner) in GROUP, the bot in GROUP; returns the server, the bot's
/// token and Alice's token.
async fn setup(allow_private_webhooks: bool) -> (TestServer, String, String) {
    let server =
        TestServer::start_with(|c| c.delivery.allow_private = allow_private_webhooks).await;
    let token = server.bot(BOT).await;
    let alice = server.user(ALICE, "Alice").await;
    server.group(GROUP, &[ALICE]).await;
    server.join(BOT, GROUP).await;
    (server, token, alice)
}

async fn next(events: &mut cloudlake_sdk::subscribe::Subscription) -> Event {
    tokio::time::timeout(Duration::from_secs(10), events.next())
        .await
        .expect("an event within 10 s")
        .unwrap()
        .typed()
}

#[tokio::test]
async fn the_subscriber_gets_typed_events_and_reconnects_after_a_restart() {
    let (server, token, alice) = setup(false).await;
    let client = server.client(&token);
    let mut events = client
        .subscriber()
        .unwrap()
        .reconnect_delay(Duration::from_millis(50), Duration::from_millis(200))
        .connect()
        .await
        .unwrap();

    let sent = server.user_says(&alice, "group", GROUP, "hello bot").await;
    let Event::MessageNormal(m) = next(&mut events).await else {
        panic!("a message event")
    };
    assert_eq!(m.message.msg_id, sent);
    assert_eq!(m.sender.sender_id, ALICE);
    assert_eq!(m.sender.sender_nickname, "Alice");
    assert_eq!(
        (m.chat.chat_id.as_str(), m.chat.chat_type.as_str()),
        (GROUP, "group")
    );
    assert_eq!(m.message.content.text.as_deref(), Some("hello bot"));

    let menu = client
        .send(
            &Chat::group(GROUP),
            Message::text("menu").row(Row::new().report("Tea", "tea")),
        )
        .await
        .unwrap();
    let (status, body) = server
        .user_api(
            Method::POST,
            &alice,
            &format!("/messages/{}/click", menu.msg_id),
            Some(json!({"value": "tea"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let Event::ButtonReport(click) = next(&mut events).await else {
        panic!("a click event")
    };
    assert_eq!(
        (
            click.msg_id.as_str(),
            click.recv_id.as_str(),
            click.recv_type.as_str()
        ),
        (menu.msg_id.as_str(), GROUP, "group")
    );
    assert_eq!(
        (click.user_id.as_str(), click.value.as_str()),
        (ALICE, "tea")
    );

    // The server goes away and comes back on the same address: the subscriber reconnects
    // and gets what happened meanwhile.
    let addr = server.addr.to_string();
    let dir = server.stop().await;
    let server = TestServer::start_in(dir, &addr, |_| {}).await;
    let later = server
        .user_says(&alice, "group", GROUP, "still there?")
        .await;
    let Event::MessageNormal(m) = next(&mut events).await else {
        panic!("a message event")
    };
    assert_eq!(m.message.msg_id, later);
    assert!(events.reconnects() >= 1);
    events.close().await;
}

#[tokio::test]
async fn a_refused_token_fails_the_subscription_with_the_servers_code() {
    let (server, _, _) = setup(false).await;
    let err = server
        .client("wrong-token")
        .subscriber()
        .unwrap()
        .connect()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(Code::UNAUTHORIZED), "{err:?}");
    assert!(!format!("{err:?}").contains("wrong-token"));
}

/// Serves `router` on 127.0.0.1; returns its base URL.
async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    url
}

fn receiver(secret: Option<&str>) -> (axum::Router, mpsc::UnboundedReceiver<EventEnvelope>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let receiver = WebhookReceiver::new(move |envelope: EventEnvelope| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(envelope);
        }
    });
    let receiver = match secret {
        Some(secret) => receiver.secret(secret).unwrap(),
        None => receiver,
    };
    (receiver.router("/yunhu"), rx)
}

async fn received(rx: &mut mpsc::UnboundedReceiver<EventEnvelope>) -> EventEnvelope {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("an event within 10 s")
        .unwrap()
}

#[tokio::test]
async fn the_webhook_receiver_takes_cloudlakes_signed_events() {
    let (server, _, alice) = setup(true).await;
    let secret = server
        .admin(Method::GET, &format!("/bots/{BOT}/secret"), None)
        .await["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let (router, mut rx) = receiver(Some(&secret));
    let url = format!("{}/yunhu", serve(router).await);
    server
        .admin(
            Method::PUT,
            &format!("/bots/{BOT}/webhook"),
            Some(json!({"url": url})),
        )
        .await;

    server.follow(BOT, ALICE).await;
    let followed = received(&mut rx).await;
    let Event::BotFollowed(f) = followed.typed() else {
        panic!("{followed:?}")
    };
    assert_eq!(
        (f.user_id.as_str(), f.chat_id.as_str(), f.chat_type.as_str()),
        (ALICE, BOT, "bot")
    );
    assert_eq!(f.nickname, "Alice");

    let sent = server.user_says(&alice, "bot", BOT, "private hello").await;
    let Event::MessageNormal(m) = received(&mut rx).await.typed() else {
        panic!("a message")
    };
    assert_eq!(m.message.msg_id, sent);
    assert_eq!(
        (m.chat.chat_id.as_str(), m.chat.chat_type.as_str()),
        (BOT, "bot")
    );
    assert_eq!(m.message.content.text.as_deref(), Some("private hello"));

    // Everything was delivered on the first attempt: nothing was refused.
    let deliveries = eventually(|| async {
        let d = server
            .admin(Method::GET, &format!("/bots/{BOT}/deliveries"), None)
            .await;
        (d["delivered"] == 2 && d["pending"] == 0).then_some(d)
    })
    .await;
    assert_eq!(deliveries["dead"], 0, "{deliveries}");
}

/// POSTs `body` to the receiver with the given `webhook-*` headers; returns the status.
async fn post(url: &str, body: &str, headers: &[(&str, String)]) -> u16 {
    let mut req = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_owned());
    for (name, value) in headers {
        req = req.header(*name, value);
    }
    req.send().await.unwrap().status().as_u16()
}

fn signed(secret: &Secret, id: &str, at: i64, body: &str) -> Vec<(&'static str, String)> {
    vec![
        ("webhook-id", id.to_owned()),
        ("webhook-timestamp", at.to_string()),
        ("webhook-signature", secret.sign(id, at, body.as_bytes())),
    ]
}

#[tokio::test]
async fn the_webhook_receiver_refuses_bad_signatures_and_keeps_unknown_types() {
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let secret = Secret::parse(SECRET).unwrap();
    let (router, mut rx) = receiver(Some(SECRET));
    let url = format!("{}/yunhu", serve(router).await);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let body =
        json!({"version":"1.0","header":{"eventId":"e1","eventTime":1,"eventType":"bot.future"},
                      "event":{"anything":[1,2]}})
        .to_string();

    // Signed: accepted, and the unknown type reaches the handler as raw JSON.
    assert_eq!(
        post(&url, &body, &signed(&secret, "e1", now, &body)).await,
        200
    );
    let got = received(&mut rx).await;
    assert_eq!(
        got.typed(),
        Event::Unknown {
            event_type: "bot.future".into(),
            raw: json!({"anything":[1,2]})
        }
    );

    // Refused: no headers, another key, a changed body, a replay from an hour ago.
    assert_eq!(post(&url, &body, &[]).await, 401);
    let other = Secret::parse("whsec_c2VjcmV0LWtleS1vZi1zb21lb25lLWVsc2U=").unwrap();
    assert_eq!(
        post(&url, &body, &signed(&other, "e1", now, &body)).await,
        401
    );
    let tampered = body.replace("[1,2]", "[1,3]");
    assert_eq!(
        post(&url, &tampered, &signed(&secret, "e1", now, &body)).await,
        401
    );
    assert_eq!(
        post(&url, &body, &signed(&secret, "e1", now - 3600, &body)).await,
        401
    );
    // Signed but not an envelope.
    assert_eq!(
        post(&url, "[]", &signed(&secret, "e2", now, "[]")).await,
        400
    );
    assert!(
        rx.try_recv().is_err(),
        "nothing refused reached the handler"
    );

    // Without a secret (Yunhu signs nothing), an unsigned envelope is taken.
    let (router, mut rx) = receiver(None);
    let url = format!("{}/yunhu", serve(router).await);
    assert_eq!(post(&url, &body, &[]).await, 200);
    assert_eq!(received(&mut rx).await.header.event_id, "e1");
}
