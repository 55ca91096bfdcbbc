//! A bot's profile: the description the admin sets (`PATCH /admin/v1/bots/{id}`), shown by
//! `GET /admin/v1/bots/{id}` and, with whether the reader follows the bot, in a group's
//! members (`GET /api/v1/groups/{id}/members`), which the group's info panel draws.

#![allow(clippy::unwrap_used)]

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::TestServer;

const GROUP: &str = "665344168";
const ALICE: &str = "7756242";
const BOT: &str = "86297657";

async fn describe(server: &TestServer, bot: &str, body: Value) -> (u16, Value) {
    server
        .admin(Method::PATCH, &format!("/bots/{bot}"), Some(body))
        .await
}

async fn description(server: &TestServer) -> Value {
    let (status, body) = server
        .admin(Method::GET, &format!("/bots/{BOT}"), None)
        .await;
    assert_eq!(status, 200, "{body}");
    body["description"].clone()
}

/// The bot as Alice's group's members list it.
async fn listed(server: &TestServer, alice: &str) -> Value {
    let (status, body) = server
        .user_api(
            Method::GET,
            alice,
            &format!("/groups/{GROUP}/members"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "bot")
        .cloned()
        .unwrap()
}

#[tokio::test]
async fn the_admin_describes_a_bot_and_members_see_it_with_whether_they_follow() {
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    server.bot(BOT).await;
    server.group(GROUP, &[ALICE]).await;
    server.join(BOT, GROUP).await;
    assert_eq!(description(&server).await, "");

    let (status, body) = describe(
        &server,
        BOT,
        json!({"description": "  Posts the build status.\nAsk it /status.  "}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let text = "Posts the build status.\nAsk it /status.";
    assert_eq!(body, json!({"botId": BOT, "description": text}));
    assert_eq!(description(&server).await, text);
    assert_eq!(
        listed(&server, &alice).await,
        json!({"kind": "bot", "userId": BOT, "nickname": format!("bot {BOT}"), "avatarUrl": "",
               "description": text, "followed": false, "commands": [], "hasSettings": false})
    );
    server.follow(BOT, ALICE).await;
    assert_eq!(listed(&server, &alice).await["followed"], true);

    // Refused, changing nothing.
    for (bad, why) in [
        (json!({"description": "x".repeat(501)}), "too long"),
        (json!({"description": "a\u{0007}b"}), "a control character"),
        (json!({"description": 5}), "not a string"),
        (json!({"nickname": "other"}), "an unknown field"),
        (json!({}), "nothing to change"),
    ] {
        let (status, body) = describe(&server, BOT, bad).await;
        assert_eq!(status, 400, "{why}: {body}");
        assert!(body["error"]["message"].is_string(), "{why}: {body}");
        assert_eq!(description(&server).await, text, "{why}");
    }
    let (status, body) = describe(&server, "11112222", json!({"description": "x"})).await;
    assert_eq!(status, 404, "{body}");
    // 500 characters are kept whole; "" clears.
    let longest = "界".repeat(500);
    assert_eq!(
        describe(&server, BOT, json!({"description": longest}))
            .await
            .0,
        200
    );
    assert_eq!(description(&server).await, longest.as_str());
    assert_eq!(
        describe(&server, BOT, json!({"description": ""})).await.0,
        200
    );
    assert_eq!(description(&server).await, "");
}
