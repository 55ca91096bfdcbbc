//! The served OpenAPI document describes routes that exist: every documented operation is
//! answered by its handler, not by the fallback or a 405.

#![allow(clippy::unwrap_used)]

use crate::common::{ADMIN_TOKEN, TestServer};
use reqwest::Method;
use serde_json::Value;

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let server = TestServer::start().await;
    let user_token = server.user("7756242", "Alice").await;
    let doc: Value = server
        .http
        .get(server.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() > 20);
    let mut checked = 0;
    for (path, item) in paths {
        for (method, _) in item.as_object().unwrap() {
            if method == "parameters" {
                continue;
            }
            let method = method.to_uppercase().parse::<Method>().unwrap();
            let concrete = path
                .replace("{chatType}", "group")
                .split('/')
                .map(|seg| if seg.starts_with('{') { "404404" } else { seg })
                .collect::<Vec<_>>()
                .join("/");
            let token = if path.starts_with("/admin") {
                ADMIN_TOKEN
            } else {
                user_token.as_str()
            };
            let resp = server
                .http
                .request(method.clone(), server.url(&concrete))
                .bearer_auth(token)
                .header("Content-Type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            assert_ne!(status, 405, "{method} {path}");
            assert!(
                body.get("msg") != Some(&Value::from("接口不存在")),
                "{method} {path} is not routed"
            );
            checked += 1;
        }
    }
    assert!(checked >= 30, "checked {checked} operations");
}

/// The bot API's document lists every Yunhu route cloudlake serves, each answered by its
/// handler in the envelope (a refusal is fine: the body is empty), none by the fallback.
#[tokio::test]
async fn every_documented_bot_operation_is_routed() {
    let server = TestServer::start().await;
    let bot_token = server.bot("86297657").await;
    let doc: Value = server
        .http
        .get(server.url("/open-apis/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    let mut checked = 0;
    for (path, item) in paths {
        for (method, _) in item.as_object().unwrap() {
            let method = method.to_uppercase().parse::<Method>().unwrap();
            let resp = server
                .http
                .request(
                    method.clone(),
                    server.url(&format!("{path}?token={bot_token}")),
                )
                .header("Content-Type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status().as_u16(), 200, "{method} {path}");
            let body: Value = resp.json().await.unwrap();
            assert!(body["code"].is_i64(), "{method} {path}: {body}");
            assert_ne!(body["msg"], "接口不存在", "{method} {path} is not routed");
            checked += 1;
        }
    }
    // send, batch_send, edit, recall, messages ×2, send-stream, four boards, three uploads,
    // and the group administration calls.
    assert!(checked >= 23, "checked {checked} operations");
}
