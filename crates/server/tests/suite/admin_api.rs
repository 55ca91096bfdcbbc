//! The admin API: authorisation, validation, relations, and token rotation.

#![allow(clippy::unwrap_used)]

use crate::common::{ADMIN_TOKEN, TestServer, text};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn the_admin_api_refuses_without_the_admin_token() {
    let server = TestServer::start().await;
    for auth in [None, Some("Bearer wrong"), Some(ADMIN_TOKEN)] {
        let mut req = server.http.get(server.url("/admin/v1/users"));
        if let Some(auth) = auth {
            req = req.header("Authorization", auth);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 401, "{auth:?}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthorized");
    }
    // Nothing was created by a refused call.
    let resp = server
        .http
        .post(server.url("/admin/v1/users"))
        .json(&json!({"nickname": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let (_, users) = server.admin(Method::GET, "/users", None).await;
    assert_eq!(users, json!({"users": []}));
}

#[tokio::test]
async fn users_groups_and_bots_are_created_listed_shown_and_deleted() {
    let server = TestServer::start().await;
    let (status, user) = server
        .admin(
            Method::POST,
            "/users",
            Some(json!({"nickname": "  Alice  "})),
        )
        .await;
    assert_eq!(status, 201);
    let user_id = user["userId"].as_str().unwrap().to_owned();
    assert_eq!(user_id.len(), 7, "random IDs look like Yunhu's");
    assert!(user_id.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(user["nickname"], "Alice");
    assert_eq!(user["token"].as_str().unwrap().len(), 32);

    let (status, group) = server
        .admin(Method::POST, "/groups", Some(json!({"name": "Team"})))
        .await;
    assert_eq!(status, 201);
    let group_id = group["groupId"].as_str().unwrap().to_owned();
    assert_eq!(group_id.len(), 9);

    let (status, bot) = server
        .admin(
            Method::POST,
            "/bots",
            Some(json!({"nickname": "Helper", "webhookUrl": "https://example.com/hook"})),
        )
        .await;
    assert_eq!(status, 201);
    let bot_id = bot["botId"].as_str().unwrap().to_owned();
    assert_eq!(bot_id.len(), 8);
    assert_eq!(bot["webhookUrl"], "https://example.com/hook");

    let (status, member) = server
        .admin(
            Method::PUT,
            &format!("/groups/{group_id}/members/{user_id}"),
            Some(json!({"role": "administrator"})),
        )
        .await;
    assert_eq!((status, member["added"].clone()), (200, json!(true)));
    let (_, again) = server
        .admin(
            Method::PUT,
            &format!("/groups/{group_id}/members/{user_id}"),
            Some(json!({"role": "owner"})),
        )
        .await;
    assert_eq!(again["added"], false, "a second PUT changes the role");
    server.join(&bot_id, &group_id).await;
    server.follow(&bot_id, &user_id).await;

    let (_, shown) = server
        .admin(Method::GET, &format!("/groups/{group_id}"), None)
        .await;
    assert_eq!(
        shown["members"],
        json!([{"userId": user_id, "nickname": "Alice", "role": "owner"}])
    );
    assert_eq!(shown["bots"], json!([bot_id]));
    let (_, shown) = server
        .admin(Method::GET, &format!("/bots/{bot_id}"), None)
        .await;
    assert_eq!(shown["followers"], json!([user_id]));
    assert_eq!(shown["groups"], json!([group_id]));
    assert!(
        shown.get("token").is_none(),
        "a stored bot never shows its token"
    );

    for (kind, key, id) in [
        ("users", "userId", &user_id),
        ("groups", "groupId", &group_id),
        ("bots", "botId", &bot_id),
    ] {
        let (_, list) = server.admin(Method::GET, &format!("/{kind}"), None).await;
        assert_eq!(list[kind][0][key], id.as_str());
    }

    let (status, _) = server
        .admin(Method::DELETE, &format!("/users/{user_id}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, body) = server
        .admin(Method::GET, &format!("/users/{user_id}"), None)
        .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (404, json!("not_found"))
    );
    let (_, shown) = server
        .admin(Method::GET, &format!("/groups/{group_id}"), None)
        .await;
    assert_eq!(
        shown["members"],
        json!([]),
        "deleting a user ends their memberships"
    );
    let (status, _) = server
        .admin(Method::DELETE, &format!("/users/{user_id}"), None)
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn bad_admin_requests_get_4xx_with_a_message() {
    let server = TestServer::start().await;
    server.user("7756242", "Alice").await;
    server.group("307149245", &[]).await;
    let cases = [
        (
            Method::POST,
            "/users",
            Some(json!({"id": "7756242", "nickname": "again"})),
            409,
        ),
        (
            Method::POST,
            "/users",
            Some(json!({"id": "a:b", "nickname": "x"})),
            400,
        ),
        (Method::POST, "/users", Some(json!({"nickname": ""})), 400),
        (
            Method::POST,
            "/users",
            Some(json!({"nickname": "x".repeat(65)})),
            400,
        ),
        (
            Method::POST,
            "/users",
            Some(json!({"nickname": "x", "extra": 1})),
            400,
        ),
        (
            Method::POST,
            "/bots",
            Some(json!({"nickname": "b", "webhookUrl": "ftp://x"})),
            400,
        ),
        // Bot IDs are digits, as Yunhu's are (Koishi's adapter reads them with \d+).
        (
            Method::POST,
            "/bots",
            Some(json!({"id": "bot1", "nickname": "b"})),
            400,
        ),
        (
            Method::POST,
            "/groups",
            Some(json!({"id": "307149245", "name": "dup"})),
            409,
        ),
        (
            Method::PUT,
            "/groups/307149245/members/7756242",
            Some(json!({"role": "king"})),
            400,
        ),
        (Method::PUT, "/groups/404/members/7756242", None, 404),
        (Method::PUT, "/groups/307149245/members/404", None, 404),
        (
            Method::DELETE,
            "/groups/307149245/members/7756242",
            None,
            404,
        ),
        (Method::PUT, "/bots/404/followers/7756242", None, 404),
        (Method::PUT, "/groups/307149245/bots/404", None, 404),
        (Method::POST, "/bots/404/token", None, 404),
    ];
    for (method, path, body, expected) in cases {
        let (status, reply) = server.admin(method.clone(), path, body.clone()).await;
        assert_eq!(status, expected, "{method} {path} {body:?}: {reply}");
        assert!(
            reply["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{reply}"
        );
    }
    let resp = server
        .http
        .post(server.url("/admin/v1/users"))
        .bearer_auth(ADMIN_TOKEN)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let (_, users) = server.admin(Method::GET, "/users", None).await;
    assert_eq!(
        users["users"].as_array().unwrap().len(),
        1,
        "no bad request created anything"
    );
}

#[tokio::test]
async fn rotating_a_bot_token_retires_the_old_one_at_once() {
    let server = TestServer::start().await;
    let old = server.bot("86297657").await;
    server.group("307149245", &[]).await;
    server.join("86297657", "307149245").await;
    assert_eq!(
        server
            .post("/bot/send", &old, text("group", "307149245", "a"))
            .await["code"],
        1
    );

    let (status, rotated) = server
        .admin(Method::POST, "/bots/86297657/token", None)
        .await;
    assert_eq!(status, 200);
    let new = rotated["token"].as_str().unwrap();
    assert_ne!(new, old);
    assert_eq!(
        server
            .post("/bot/send", &old, text("group", "307149245", "b"))
            .await,
        json!({"code": 1003, "msg": "非法token"})
    );
    assert_eq!(
        server
            .post("/bot/send", new, text("group", "307149245", "c"))
            .await["code"],
        1
    );
}

#[tokio::test]
async fn following_and_membership_gate_what_a_bot_may_send() {
    let server = TestServer::start().await;
    let token = server.bot("86297657").await;
    server.user("7756242", "Alice").await;
    server.group("307149245", &[]).await;
    assert_eq!(
        server
            .post("/bot/send", &token, text("user", "7756242", "x"))
            .await["code"],
        1003
    );
    server.follow("86297657", "7756242").await;
    assert_eq!(
        server
            .post("/bot/send", &token, text("user", "7756242", "x"))
            .await["code"],
        1
    );
    let (status, _) = server
        .admin(Method::DELETE, "/bots/86297657/followers/7756242", None)
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        server
            .post("/bot/send", &token, text("user", "7756242", "x"))
            .await["code"],
        1003
    );

    assert_eq!(
        server
            .post("/bot/send", &token, text("group", "307149245", "x"))
            .await["code"],
        -1
    );
    server.join("86297657", "307149245").await;
    assert_eq!(
        server
            .post("/bot/send", &token, text("group", "307149245", "x"))
            .await["code"],
        1
    );
    let (status, _) = server
        .admin(Method::DELETE, "/groups/307149245/bots/86297657", None)
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        server
            .post("/bot/send", &token, text("group", "307149245", "x"))
            .await["code"],
        -1
    );
}

#[tokio::test]
async fn healthz_answers_once_serving() {
    let server = TestServer::start().await;
    let resp = server
        .http
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap(),
        json!({"status": "ok"})
    );
}

#[tokio::test]
async fn data_survives_a_graceful_restart_and_the_admin_token_file_is_kept() {
    // Without CLOUDLAKE_ADMIN_TOKEN the first start writes DIR/admin-token (0600) once.
    let server = TestServer::start_with(|c| c.admin_token = None).await;
    let token_file = server.dir.path().join("admin-token");
    let written = std::fs::read_to_string(&token_file).unwrap();
    assert_eq!(written.trim().len(), 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let dir = server.stop().await;
    let server = TestServer::start_in(dir, |c| c.admin_token = None).await;
    assert_eq!(
        std::fs::read_to_string(server.dir.path().join("admin-token")).unwrap(),
        written
    );
    let resp = server
        .http
        .get(server.url("/admin/v1/users"))
        .bearer_auth(written.trim())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
}
