//! No token in any log line: the server runs at the most verbose level, with both log
//! formats, while bot, user and admin calls carry tokens in every place they can travel (the
//! query string, `Authorization`, WebSocket URLs, bodies of token rotation, wrong tokens too);
//! then every line it printed is searched for each token. The JSON format prints one JSON
//! object per line.

#![allow(clippy::unwrap_used)]

mod common;

use common::Served;
use serde_json::{Value, json};

const ADMIN: &str = "log-test-admin-token-0123456789ab";
/// A message text that goes out in a WebSocket frame, and so must not be in the logs.
const FRAME_MARKER: &str = "frame-marker-5c1e0b7a";

async fn exercise(server: &Served) -> Vec<String> {
    let http = reqwest::Client::new();
    let base = &server.base;
    let admin = |method: reqwest::Method, path: &str, body: Value| {
        http.request(method, format!("{base}/admin/v1{path}"))
            .bearer_auth(ADMIN)
            .json(&body)
    };
    let user: Value = admin(
        reqwest::Method::POST,
        "/users",
        json!({"id": "7756242", "nickname": "A"}),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let user = user["token"].as_str().unwrap().to_owned();
    let bot: Value = admin(
        reqwest::Method::POST,
        "/bots",
        json!({"id": "86297657", "nickname": "B"}),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let bot = bot["token"].as_str().unwrap().to_owned();
    admin(
        reqwest::Method::PUT,
        "/bots/86297657/followers/7756242",
        json!({}),
    )
    .send()
    .await
    .unwrap();
    let wrong = "wrongtoken0123456789abcdef012345".to_owned();

    // Bot API: good and bad tokens, good and bad bodies, a 404 with a token.
    for token in [&bot, &wrong] {
        for body in [
            json!({"recvId": "7756242", "recvType": "user", "contentType": "text", "content": {"text": "hi"}}),
            json!({"recvId": 5}),
        ] {
            http.post(format!("{base}/open-apis/v1/bot/send?token={token}"))
                .json(&body)
                .send()
                .await
                .unwrap();
        }
        http.get(format!(
            "{base}/open-apis/v1/bot/messages?token={token}&chat-id=7756242&chat-type=user&before=5"
        ))
        .send()
        .await
        .unwrap();
        http.get(format!("{base}/open-apis/v1/no/such/call?token={token}"))
            .send()
            .await
            .unwrap();
        // WebSocket URLs, without the upgrade (refused) — the URL is what could be logged.
        http.get(format!("{base}/subscribe?token={token}"))
            .send()
            .await
            .unwrap();
    }
    // Frames on a real bot WebSocket: tungstenite logs whole frames at trace, and an event
    // frame can carry signed media URLs. The marker must appear in no log line.
    {
        use futures_util::StreamExt;
        let ws_base = base.replace("http://", "ws://");
        let (mut ws, _) =
            tokio_tungstenite::connect_async(format!("{ws_base}/subscribe?token={bot}"))
                .await
                .unwrap();
        http.post(format!("{base}/api/v1/chats/bot/86297657/messages"))
            .bearer_auth(&user)
            .json(&json!({"contentType": "text", "content": {"text": FRAME_MARKER}}))
            .send()
            .await
            .unwrap();
        // The follow event comes first.
        let marked = tokio::time::timeout(std::time::Duration::from_secs(10), async {
            while let Some(Ok(frame)) = ws.next().await {
                if frame.to_text().is_ok_and(|t| t.contains(FRAME_MARKER)) {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(marked, Ok(true), "the marked event frame arrives");
    }
    // User API: header and query.
    for token in [&user, &wrong] {
        http.get(format!("{base}/api/v1/chats"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        http.post(format!("{base}/api/v1/chats/bot/86297657/messages"))
            .bearer_auth(token)
            .json(&json!({"contentType": "text", "content": {"text": "hello"}}))
            .send()
            .await
            .unwrap();
        http.get(format!("{base}/api/v1/live?token={token}"))
            .send()
            .await
            .unwrap();
    }
    // Admin API, metrics, and rotations (new tokens in response bodies).
    http.get(format!("{base}/admin/v1/users"))
        .bearer_auth(&wrong)
        .send()
        .await
        .unwrap();
    http.get(format!("{base}/metrics"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    let rotated: Value = admin(reqwest::Method::POST, "/bots/86297657/token", json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let new_bot = rotated["token"].as_str().unwrap().to_owned();
    let rotated: Value = admin(reqwest::Method::POST, "/users/7756242/token", json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let new_user = rotated["token"].as_str().unwrap().to_owned();
    // The old token, refused now.
    http.post(format!("{base}/open-apis/v1/bot/send?token={bot}"))
        .body("{}")
        .send()
        .await
        .unwrap();
    vec![
        ADMIN.to_owned(),
        user,
        bot,
        wrong,
        new_bot,
        new_user,
        FRAME_MARKER.to_owned(),
    ]
}

fn assert_no_token(lines: &[String], tokens: &[String]) {
    assert!(
        lines.len() > 20,
        "the server logged something: {}",
        lines.len()
    );
    for line in lines {
        for token in tokens {
            assert!(
                !line.contains(token.as_str()),
                "a token in a log line: {line}"
            );
        }
    }
}

/// Stops the server (SIGTERM) and returns every line it printed.
fn stop(mut server: Served) -> Vec<String> {
    server.sigterm();
    assert!(
        server
            .wait_exit(std::time::Duration::from_secs(30))
            .is_some()
    );
    // The drain thread may still be reading the last lines.
    std::thread::sleep(std::time::Duration::from_millis(200));
    server.output.lock().unwrap().clone()
}

#[tokio::test]
async fn no_token_in_any_text_log_line() {
    let dir = tempfile::tempdir().unwrap();
    let server = Served::start_logging(dir.path(), &["--admin-token", ADMIN], &[], "trace");
    let tokens = exercise(&server).await;
    let lines = stop(server);
    assert!(
        lines.iter().any(|l| l.contains("/open-apis/v1/bot/send")),
        "requests are logged, by path"
    );
    assert_no_token(&lines, &tokens);
}

#[tokio::test]
async fn no_token_in_any_json_log_line_and_each_line_is_json() {
    let dir = tempfile::tempdir().unwrap();
    let server = Served::start_logging(
        dir.path(),
        &["--admin-token", ADMIN, "--log-format", "json"],
        &[],
        "trace",
    );
    let tokens = exercise(&server).await;
    let lines = stop(server);
    // Every line is a JSON object, the banner's too.
    let logs: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(logs.len() > 20);
    for log in &logs {
        assert!(
            log["timestamp"].is_string() && log["level"].is_string(),
            "{log}"
        );
    }
    assert!(
        logs.iter()
            .any(|l| l["span"]["path"] == "/open-apis/v1/bot/send"),
        "request spans carry the path"
    );
    assert_no_token(&lines, &tokens);
}

/// The per-request lines have a target of their own, which the README's load-test setting
/// turns off while the rest of the log stays.
#[tokio::test]
async fn the_request_lines_can_be_left_out_on_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let count_request_lines = |lines: &[String]| {
        lines
            .iter()
            .filter(|l| l.contains("finished processing request"))
            .count()
    };
    for (rust_log, expect_lines) in [("info", true), ("info,cloudlake::requests=warn", false)] {
        let data = dir.path().join(rust_log);
        let server = Served::start_logging(&data, &["--admin-token", ADMIN], &[], rust_log);
        for _ in 0..3 {
            reqwest::get(format!("{}/healthz", server.base))
                .await
                .unwrap();
        }
        let lines = stop(server);
        assert!(
            lines.iter().any(|l| l.contains("shutting down")),
            "{rust_log}: the rest of the log is there: {lines:#?}"
        );
        assert_eq!(
            count_request_lines(&lines) >= 3,
            expect_lines,
            "{rust_log}: {lines:#?}"
        );
    }
}
