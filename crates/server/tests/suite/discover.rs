//! Discovery: the open groups a user may join and the bots they may follow, with whether
//! they are in or follow each; joining or following puts the chat in `/chats`. A closed group
//! is never listed, and bad queries are refused without changing anything.

#![allow(clippy::unwrap_used)]

use crate::common::TestServer;
use reqwest::Method;
use serde_json::{Value, json};

const ALICE: &str = "7756242";
const BOB: &str = "8812345";
/// Named so that by-name order differs from ID order.
const OPEN_B: &str = "100000001";
const OPEN_A: &str = "900000009";
const CLOSED: &str = "307149245";
const BOT_Z: &str = "11111111";
const BOT_A: &str = "99999999";

async fn open_group(server: &TestServer, id: &str, name: &str) {
    let (status, body) = server
        .admin(
            Method::POST,
            "/groups",
            Some(json!({"id": id, "name": name, "open": true})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

async fn setup() -> (TestServer, String, String) {
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    let bob = server.user(BOB, "Bob").await;
    open_group(&server, OPEN_A, "alpha").await;
    open_group(&server, OPEN_B, "beta").await;
    // A closed group Alice is in: hers to see in /chats, never in discovery.
    server.group(CLOSED, &[ALICE, BOB]).await;
    let (status, body) = server
        .admin(
            Method::POST,
            "/bots",
            Some(json!({"id": BOT_Z, "nickname": "zeta"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = server
        .admin(
            Method::POST,
            "/bots",
            Some(json!({"id": BOT_A, "nickname": "alef"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    (server, alice, bob)
}

fn ids(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|x| x[field].as_str().unwrap().to_owned())
        .collect()
}

fn in_chats(chats: &Value, chat_type: &str, chat_id: &str) -> bool {
    chats["chats"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["chatType"] == chat_type && c["chatId"] == chat_id)
}

#[tokio::test]
async fn open_groups_are_listed_with_membership_and_joining_puts_one_in_chats() {
    let (server, alice, bob) = setup().await;
    let (status, body) = server
        .user_api(Method::GET, &alice, "/groups?open=true", None)
        .await;
    assert_eq!(status, 200, "{body}");
    // By name, open ones only: the closed group Alice is in is not there.
    assert_eq!(ids(&body["groups"], "groupId"), [OPEN_A, OPEN_B]);
    assert_eq!(body["truncated"], false);
    assert_eq!(
        body["groups"][0],
        json!({"groupId": OPEN_A, "name": "alpha", "avatarUrl": "", "memberCount": 0, "member": false})
    );

    let (status, joined) = server
        .user_api(Method::POST, &bob, &format!("/groups/{OPEN_B}/join"), None)
        .await;
    assert_eq!((status, joined["added"].clone()), (200, json!(true)));
    let (_, chats) = server.user_api(Method::GET, &bob, "/chats", None).await;
    assert!(in_chats(&chats, "group", OPEN_B), "{chats}");

    // Bob sees himself in; Alice sees the count but not herself.
    let (_, body) = server
        .user_api(Method::GET, &bob, "/groups?open=true", None)
        .await;
    assert_eq!(body["groups"][1]["groupId"], OPEN_B);
    assert_eq!(body["groups"][1]["member"], true);
    assert_eq!(body["groups"][1]["memberCount"], 1);
    assert_eq!(body["groups"][0]["member"], false);
    let (_, body) = server
        .user_api(Method::GET, &alice, "/groups?open=true", None)
        .await;
    assert_eq!(body["groups"][1]["member"], false);
    assert_eq!(body["groups"][1]["memberCount"], 1);

    // Bounded: a limit cuts the list and says so.
    let (status, body) = server
        .user_api(Method::GET, &alice, "/groups?open=true&limit=1", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(ids(&body["groups"], "groupId"), [OPEN_A]);
    assert_eq!(body["truncated"], true);
}

#[tokio::test]
async fn a_closed_group_is_never_listed_even_to_its_members() {
    let (server, alice, _) = setup().await;
    let (status, body) = server
        .admin(
            Method::POST,
            "/groups",
            Some(json!({"id": "555555555", "name": "aaa closed"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = server
        .user_api(Method::GET, &alice, "/groups?open=true&limit=200", None)
        .await;
    assert_eq!(status, 200, "{body}");
    let listed = ids(&body["groups"], "groupId");
    assert!(!listed.contains(&CLOSED.to_owned()), "{body}");
    assert!(!listed.contains(&"555555555".to_owned()), "{body}");
    assert_eq!(listed.len(), 2);
}

#[tokio::test]
async fn bots_are_listed_with_followed_flags_and_following_puts_one_in_chats() {
    let (server, alice, bob) = setup().await;
    server.follow(BOT_Z, BOB).await;
    let (status, body) = server.user_api(Method::GET, &alice, "/bots", None).await;
    assert_eq!(status, 200, "{body}");
    // By nickname: alef before zeta, though its ID sorts after.
    assert_eq!(ids(&body["bots"], "botId"), [BOT_A, BOT_Z]);
    assert_eq!(
        body["bots"][0],
        json!({"botId": BOT_A, "nickname": "alef", "avatarUrl": "", "followed": false})
    );
    assert_eq!(body["bots"][1]["followed"], false);
    assert_eq!(body["truncated"], false);
    let (_, body) = server.user_api(Method::GET, &bob, "/bots", None).await;
    assert_eq!(body["bots"][1]["followed"], true);
    assert_eq!(body["bots"][0]["followed"], false);

    let (status, _) = server
        .user_api(Method::PUT, &alice, &format!("/bots/{BOT_A}/follow"), None)
        .await;
    assert_eq!(status, 200);
    let (_, chats) = server.user_api(Method::GET, &alice, "/chats", None).await;
    assert!(in_chats(&chats, "bot", BOT_A), "{chats}");
    let (_, body) = server.user_api(Method::GET, &alice, "/bots", None).await;
    assert_eq!(body["bots"][0]["followed"], true);
    assert_eq!(body["bots"][1]["followed"], false);

    let (_, body) = server
        .user_api(Method::GET, &alice, "/bots?limit=1", None)
        .await;
    assert_eq!(ids(&body["bots"], "botId"), [BOT_A]);
    assert_eq!(body["truncated"], true);
}

#[tokio::test]
async fn bad_queries_are_refused_and_change_nothing() {
    let (server, alice, _) = setup().await;
    let (_, before) = server.user_api(Method::GET, &alice, "/chats", None).await;
    for path in [
        "/groups",
        "/groups?open=false",
        "/groups?open=yes",
        "/groups?open=true&limit=0",
        "/groups?open=true&limit=201",
        "/groups?open=true&limit=lots",
        "/groups?open=true&limit=-1",
        "/groups?open=true&sort=name",
        "/bots?limit=0",
        "/bots?limit=100000",
        "/bots?limit=many",
        "/bots?followed=true",
    ] {
        let (status, body) = server.user_api(Method::GET, &alice, path, None).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["error"]["code"], "bad_request", "{path}: {body}");
        assert!(body["error"]["message"].is_string(), "{path}: {body}");
    }
    // Without a token: 401, not a list.
    for path in ["/groups?open=true", "/bots"] {
        let resp = server
            .http
            .get(server.url(&format!("/api/v1{path}")))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 401, "{path}");
    }
    let (_, after) = server.user_api(Method::GET, &alice, "/chats", None).await;
    assert_eq!(before, after);
}
