//! The web client's files and what the user API adds for it: pages with a strict
//! Content-Security-Policy and the right content types, sanitized `html` on messages (history
//! and live) and boards, and the group member list for mentions.

#![allow(clippy::unwrap_used)]

use crate::common::TestServer;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn pages_and_assets_are_served_with_a_strict_policy() {
    let server = TestServer::start().await;
    for (path, kind) in [
        ("/", "text/html"),
        ("/admin", "text/html"),
        ("/static/js/main.js", "text/javascript"),
        ("/static/js/admin/main.js", "text/javascript"),
        ("/static/app.css", "text/css"),
        ("/static/favicon.svg", "image/svg+xml"),
    ] {
        let resp = server.http.get(server.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let headers = resp.headers();
        let content_type = headers["content-type"].to_str().unwrap();
        assert!(content_type.starts_with(kind), "{path}: {content_type}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        let csp = headers["content-security-policy"].to_str().unwrap();
        for directive in [
            "default-src 'self'",
            "script-src 'self';",
            "frame-ancestors 'none'",
            "object-src 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{csp}"
        );
        assert!(
            csp.contains(&format!("ws://{}", server.addr)),
            "{path}: {csp}"
        );
    }
    // No inline script or inline handler in the pages (the policy would block them anyway).
    for path in ["/", "/admin"] {
        let page = server.http.get(server.url(path)).send().await.unwrap();
        let page = page.text().await.unwrap();
        assert!(
            !page.contains("<script>") && !page.contains(" onclick="),
            "{path}"
        );
    }
    // Nothing outside `web/`, however the path is spelled.
    for missing in [
        "/static/nope.js",
        "/static/index.html",
        "/static/../Cargo.toml",
        "/static/..%2f..%2fCargo.toml",
        "/static/%2e%2e/%2e%2e/Cargo.toml",
        "/static/..%2f..%2f..%2fcrates%2fserver%2fsrc%2fweb.rs",
    ] {
        let resp = server.http.get(server.url(missing)).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{missing}");
    }
}

#[tokio::test]
async fn messages_and_boards_carry_sanitized_html() {
    let server = TestServer::start().await;
    let bot = server.bot("30714924").await;
    let alice = server.user("7756242", "Alice").await;
    server.group("665344168", &["7756242"]).await;
    server.join("30714924", "665344168").await;
    let (mut ws, _) = server.live(&alice, None).await;
    let reply = server
        .post(
            "/bot/send",
            &bot,
            json!({"recvId": "665344168", "recvType": "group", "contentType": "markdown",
                   "content": {"text": "**hi** [x](javascript:alert(1)) <img src=x onerror=alert(1)>"}}),
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    let frame = crate::common::next_frame(&mut ws).await.unwrap();
    let html = frame["message"]["html"].as_str().unwrap();
    assert!(html.contains("<strong>hi</strong>"), "{html}");
    assert!(
        !html.contains("javascript") && !html.contains("onerror"),
        "{html}"
    );

    let (status, page) = server
        .user_api(Method::GET, &alice, "/chats/group/665344168/messages", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["messages"][0]["html"], html);

    let board = server
        .post(
            "/bot/board",
            &bot,
            json!({"chatId": "665344168", "chatType": "group", "contentType": "html",
                   "content": "<b>up</b><script>alert(1)</script>"}),
        )
        .await;
    assert_eq!(board["code"], 1, "{board}");
    let frame = crate::common::next_frame(&mut ws).await.unwrap();
    assert_eq!(frame["board"]["html"], "<b>up</b>");
    let (_, hello) = server.live(&alice, None).await;
    assert_eq!(hello["boards"][0]["html"], "<b>up</b>");
}

#[tokio::test]
async fn members_of_my_groups_only() {
    let server = TestServer::start().await;
    let alice = server.user("7756242", "Alice").await;
    let bob = server.user("4827368", "Bob").await;
    server.group("665344168", &["7756242", "4827368"]).await;
    server.group("307149245", &["4827368"]).await;
    server.bot("86297657").await;
    server.join("86297657", "665344168").await;
    let (status, body) = server
        .user_api(Method::GET, &alice, "/groups/665344168/members", None)
        .await;
    assert_eq!(status, 200, "{body}");
    // The users (in join order; the two joined in the same millisecond may tie), then the
    // group's bots: the composer's @-picker offers both.
    let members = body["members"].as_array().unwrap();
    assert_eq!(members.len(), 3, "{body}");
    let alice_entry =
        json!({"kind": "user", "userId": "7756242", "nickname": "Alice", "role": "member"});
    let bob_entry =
        json!({"kind": "user", "userId": "4827368", "nickname": "Bob", "role": "member"});
    assert!(
        members[..2] == [alice_entry.clone(), bob_entry.clone()]
            || members[..2] == [bob_entry, alice_entry],
        "{body}"
    );
    assert_eq!(
        members[2],
        json!({"kind": "bot", "userId": "86297657", "nickname": "bot 86297657", "avatarUrl": "",
               "description": "", "followed": false, "commands": [], "hasSettings": false})
    );
    // The bots' commands, for the group's info panel.
    let (status, _) = server
        .admin(
            Method::POST,
            "/bots/86297657/commands",
            Some(json!({"name": "weather", "kind": "normal", "presetText": "天气"})),
        )
        .await;
    assert_eq!(status, 200);
    let (_, body) = server
        .user_api(Method::GET, &alice, "/groups/665344168/members", None)
        .await;
    assert_eq!(
        body["members"][2]["commands"],
        json!([{"commandId": 1, "name": "weather", "kind": "normal", "presetText": "天气"}]),
        "{body}"
    );
    // A mention picked from that list reaches the bot with its own ID in `at`.
    let (status, sent) = server
        .user_api(
            Method::POST,
            &alice,
            "/chats/group/665344168/messages",
            Some(json!({"contentType": "text",
                        "content": {"text": "@bot 86297657 hi", "at": ["86297657"]}})),
        )
        .await;
    assert_eq!(status, 201, "{sent}");
    let events = server.outbox("86297657");
    let message = &events.last().unwrap()["event"]["message"];
    assert_eq!(message["content"]["at"], json!(["86297657"]), "{events:?}");
    let (status, _) = server
        .user_api(Method::GET, &alice, "/groups/307149245/members", None)
        .await;
    assert_eq!(status, 404, "not a member");
    let (status, _) = server
        .user_api(Method::GET, &bob, "/groups/nope/members", None)
        .await;
    assert_eq!(status, 404);
}
