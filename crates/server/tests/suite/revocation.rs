//! Revocation closes sockets (issue 22 finding 3): a socket lives only as long as the
//! credential it was opened with. A rotated bot token ends the bot's `/subscribe` sockets
//! opened with it; a sign-out ends that session's `/api/v1/live` sockets (and no other); a new
//! user token or password ends every live socket of the user.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use crate::common::{TestServer, Ws, next_frame, quiet};
use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

const BOT: &str = "33330077";
const ALICE: &str = "4440077";
const GROUP: &str = "5550077";

/// Whether the server ends the socket (a close frame, or the stream ends) within 5 s without
/// sending it another text frame first. A frame, or silence, is `false`.
async fn ends(ws: &mut Ws) -> bool {
    let wait = async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return true,
                Some(Ok(Message::Text(text))) => {
                    eprintln!("still delivering after revocation: {text}");
                    return false;
                }
                Some(Ok(_)) => continue,
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), wait)
        .await
        .unwrap_or(false)
}

/// Whether the server ends a live socket as revoked (close code 4401, which the web client
/// takes as "sign in again") within 5 s, without another text frame first.
async fn ends_revoked(ws: &mut Ws) -> bool {
    let wait = async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(Some(frame)))) => return u16::from(frame.code) == 4401,
                None | Some(Err(_)) | Some(Ok(Message::Close(None))) => return false,
                Some(Ok(Message::Text(text))) => {
                    eprintln!("still delivering after revocation: {text}");
                    return false;
                }
                Some(Ok(_)) => continue,
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), wait)
        .await
        .unwrap_or(false)
}

async fn subscribe(server: &TestServer, token: &str) -> Result<Ws, String> {
    let url = format!("ws://{}/subscribe?token={token}", server.addr);
    tokio_tungstenite::connect_async(url)
        .await
        .map(|(ws, _)| ws)
        .map_err(|e| e.to_string())
}

/// Alice writes to the bot in their private chat (an event the bot receives).
async fn alice_writes_to_bot(server: &TestServer, alice: &str, text: &str) {
    let (status, body) = server
        .user_api(
            Method::POST,
            alice,
            &format!("/chats/bot/{BOT}/messages"),
            Some(json!({"contentType": "text", "content": {"text": text}})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn rotating_a_bot_token_closes_the_sockets_opened_with_the_old_one() {
    let server = TestServer::start().await;
    let old_token = server.bot(BOT).await;
    let alice = server.user(ALICE, "Alice").await;
    server.follow(BOT, ALICE).await;
    let mut old = subscribe(&server, &old_token).await.unwrap();
    let followed = next_frame(&mut old).await.expect("the follow event");
    assert_eq!(followed["header"]["eventType"], "bot.followed");

    let (status, body) = server
        .admin(Method::POST, &format!("/bots/{BOT}/token"), None)
        .await;
    assert_eq!(status, 200, "{body}");
    let new_token = body["token"].as_str().unwrap().to_owned();
    alice_writes_to_bot(&server, &alice, "private, after the rotation").await;

    assert!(
        ends(&mut old).await,
        "the old token's socket is closed, without the private message"
    );
    assert!(
        subscribe(&server, &old_token).await.is_err(),
        "the old token opens no new socket"
    );
    // The message waits for the new token's holder.
    let mut new = subscribe(&server, &new_token).await.unwrap();
    let message = next_frame(&mut new).await.expect("the message event");
    assert_eq!(message["header"]["eventType"], "message.receive.normal");
    assert_eq!(
        message["event"]["message"]["content"]["text"],
        "private, after the rotation"
    );
}

#[tokio::test]
async fn deleting_a_bot_closes_its_sockets() {
    let server = TestServer::start().await;
    let token = server.bot(BOT).await;
    let mut ws = subscribe(&server, &token).await.unwrap();
    assert!(quiet(&mut ws, 100).await);
    let (status, _) = server
        .admin(Method::DELETE, &format!("/bots/{BOT}"), None)
        .await;
    assert_eq!(status, 204);
    assert!(ends(&mut ws).await);
}

/// Signs Alice in with her password; the session token.
async fn sign_in(server: &TestServer, password: &str) -> String {
    let resp = server
        .http
        .post(server.url("/api/v1/session"))
        .json(&json!({"userId": ALICE, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let body: Value = resp.json().await.unwrap();
    body["sessionToken"].as_str().unwrap().to_owned()
}

async fn set_password(server: &TestServer, password: &str) {
    let (status, body) = server
        .admin(
            Method::PUT,
            &format!("/users/{ALICE}/password"),
            Some(json!({"password": password})),
        )
        .await;
    assert!(status == 200 || status == 204, "{status} {body}");
}

/// A bot message to the group: a frame every member's live socket receives.
async fn group_message(server: &TestServer, bot: &str, text: &str) {
    let reply = server
        .post(
            "/bot/send",
            bot,
            json!({"recvId": GROUP, "recvType": "group", "contentType": "text",
                "content": {"text": text}}),
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
}

#[tokio::test]
async fn signing_out_closes_that_sessions_live_sockets_and_no_others() {
    let server = TestServer::start().await;
    let bot = server.bot(BOT).await;
    let alice = server.user(ALICE, "Alice").await;
    server.group(GROUP, &[ALICE]).await;
    server.join(BOT, GROUP).await;
    set_password(&server, "correct horse battery").await;
    let phone = sign_in(&server, "correct horse battery").await;
    let laptop = sign_in(&server, "correct horse battery").await;
    let (mut phone_ws, _) = server.live(&phone, None).await;
    let (mut laptop_ws, _) = server.live(&laptop, None).await;
    let (mut token_ws, _) = server.live(&alice, None).await;

    let resp = server
        .http
        .delete(server.url("/api/v1/session"))
        .bearer_auth(&phone)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    group_message(&server, &bot, "after the phone signed out").await;
    assert!(
        ends_revoked(&mut phone_ws).await,
        "the signed-out session's socket"
    );
    for ws in [&mut laptop_ws, &mut token_ws] {
        let frame = next_frame(ws).await.expect("the other sockets go on");
        assert_eq!(frame["type"], "message", "{frame}");
    }

    // A new password signs every session out, and the user token's socket too.
    set_password(&server, "another horse battery").await;
    assert!(
        ends_revoked(&mut laptop_ws).await,
        "the other session's socket"
    );
    assert!(ends_revoked(&mut token_ws).await, "the user token's socket");
    let (status, _) = server.user_api(Method::GET, &laptop, "/me", None).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_live_socket_ends_when_its_session_expires() {
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    set_password(&server, "correct horse battery").await;
    let session = sign_in(&server, "correct horse battery").await;
    // The session ends in 1.5 s (sessions last 30 days; the test moves the end closer).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    crate::common::db_execute(
        server.dir.path(),
        &format!("UPDATE user_sessions SET expires_at = {}", now + 1500),
    );
    let (mut session_ws, _) = server.live(&session, None).await;
    let (mut token_ws, _) = server.live(&alice, None).await;
    assert!(
        ends_revoked(&mut session_ws).await,
        "the expired session's socket"
    );
    assert!(quiet(&mut token_ws, 300).await, "the user token's stays");
}
