//! `GET /metrics`: the admin token is required; per-route counts and latencies are labelled by
//! route template (never the raw path or query, which carries bot tokens); messages stored,
//! live deliveries, connected clients, webhook attempts / failures / dead letters, the
//! outbox depth and the search index's lag move with what the server does (the lag's exact
//! counts are the store's tests, `store/tests/search_lag.rs`).
//!
//! The registry is process-wide, so this file holds one test, reads deltas, and is a test
//! binary of its own rather than a module of `suite` (a test beside it would move the counts).

#![allow(clippy::unwrap_used)]

#[path = "suite/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use crate::common::{ADMIN_TOKEN, TestServer, next_frame, text};
use reqwest::Method;
use serde_json::json;

/// The value of one series (`name{labels}`) in a scrape, 0 when absent.
fn value(scrape: &str, series: &str) -> f64 {
    scrape
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |v| {
            v.split_whitespace().next().unwrap().parse().unwrap()
        })
}

async fn scrape(server: &TestServer) -> String {
    let resp = server
        .http
        .get(server.url("/metrics"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    resp.text().await.unwrap()
}

/// Scrapes until `check` holds (the dispatcher works in the background), for at most 10 s.
async fn eventually(server: &TestServer, check: impl Fn(&str) -> bool) -> String {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let s = scrape(server).await;
        if check(&s) || Instant::now() > until {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const SEND: &str = r#"cloudlake_http_requests_total{method="POST",route="/open-apis/v1/bot/batch_send",status="200"}"#;
const STORED: &str = "cloudlake_messages_stored_total";
const USERS: &str = r#"cloudlake_connected_clients{kind="user"}"#;
const LIVE: &str = "cloudlake_live_deliveries_total";
const DEPTH: &str = "cloudlake_outbox_depth";
const LAG: &str = "cloudlake_search_index_lag";

#[tokio::test]
async fn metrics_follow_what_the_server_does() {
    let server = TestServer::start_with(|config| {
        config.delivery.allow_private = true;
        config.delivery.retry_schedule = vec![Duration::ZERO];
        config.delivery.attempt_timeout = Duration::from_secs(2);
    })
    .await;

    // Without the admin token: refused.
    let resp = server
        .http
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let resp = server
        .http
        .get(server.url("/metrics"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    let alice = server.user("7756242", "Alice").await;
    server.group("307149245", &["7756242"]).await;
    let bot = server.bot("86297657").await;
    server.join("86297657", "307149245").await;

    let before = scrape(&server).await;
    let (mut ws, _) = server.live(&alice, None).await;
    let connected = scrape(&server).await;
    assert_eq!(value(&connected, USERS), value(&before, USERS) + 1.0);

    // Two messages stored by one batch_send; one live frame reaches Alice.
    let reply = server
        .post(
            "/bot/batch_send",
            &bot,
            json!({"recvIds": ["307149245", "404"], "recvType": "group", "contentType": "text",
                   "content": {"text": "hi"}}),
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    let reply = server
        .post("/bot/send", &bot, text("group", "307149245", "again"))
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    assert_eq!(next_frame(&mut ws).await.unwrap()["type"], "message");
    assert_eq!(next_frame(&mut ws).await.unwrap()["type"], "message");

    // (The hello frame counted too: the baseline is taken after it.)
    let after = eventually(&server, |s| value(s, LIVE) >= value(&connected, LIVE) + 2.0).await;
    assert_eq!(value(&after, SEND), value(&before, SEND) + 1.0, "{after}");
    assert_eq!(value(&after, STORED), value(&before, STORED) + 2.0);
    assert_eq!(value(&after, LIVE), value(&connected, LIVE) + 2.0);
    // The writer's time on each batch, by phase: the two sends were two batches at least.
    for phase in ["begin", "jobs", "commit", "publish"] {
        let count = format!(r#"cloudlake_writer_phase_seconds_count{{phase="{phase}"}}"#);
        assert!(
            value(&after, &count) >= value(&before, &count) + 2.0,
            "{phase}: {after}"
        );
    }
    // Latency histograms by route template.
    let count = r#"cloudlake_http_request_duration_seconds_count{method="POST",route="/open-apis/v1/bot/batch_send"}"#;
    assert_eq!(value(&after, count), value(&before, count) + 1.0);
    assert!(after.contains(
        r#"cloudlake_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/open-apis/v1/bot/batch_send"}"#
    ) || after.contains(
        r#"cloudlake_http_request_duration_seconds_bucket{method="POST",route="/open-apis/v1/bot/batch_send",le="0.005"}"#
    ), "{after}");
    // Templates, not raw paths: one series for every user ID.
    let (status, _) = server.admin(Method::GET, "/users/7756242", None).await;
    assert_eq!(status, 200);
    let (status, _) = server.admin(Method::GET, "/users/404", None).await;
    assert_eq!(status, 404);
    let _ = server
        .http
        .get(server.url(&format!("/no/such/path?token={bot}")))
        .send()
        .await
        .unwrap();
    let s = scrape(&server).await;
    assert!(
        s.contains(r#"route="/admin/v1/users/{id}",status="200""#),
        "{s}"
    );
    assert!(
        s.contains(r#"route="/admin/v1/users/{id}",status="404""#),
        "{s}"
    );
    assert!(s.contains(r#"route="unmatched""#), "{s}");
    assert!(
        !s.contains("7756242") && !s.contains("/no/such/path"),
        "{s}"
    );
    assert!(!s.contains(&bot) && !s.contains(&alice) && !s.contains("token="));

    // The search index catches up with the two messages: the gauge is there, and 0.
    let s = eventually(&server, |s| s.contains(LAG) && value(s, LAG) == 0.0).await;
    assert!(s.contains(&format!("{LAG} 0")), "{s}");

    ws.close(None).await.unwrap();
    let closed = eventually(&server, |s| value(s, USERS) == value(&before, USERS)).await;
    assert_eq!(value(&closed, USERS), value(&before, USERS));

    // A follow makes an event for a bot that has no webhook and no socket: it waits.
    let depth = value(&closed, DEPTH);
    server.follow("86297657", "7756242").await;
    let s = scrape(&server).await;
    assert_eq!(value(&s, DEPTH), depth + 1.0, "{s}");

    // A webhook that refuses connections: one attempt, one failure, one dead letter (the
    // schedule has a single attempt).
    let attempts = value(&s, "cloudlake_webhook_attempts_total");
    let failures = value(&s, "cloudlake_webhook_failures_total");
    let dead = value(&s, "cloudlake_webhook_dead_letters_total");
    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (status, body) = server
        .admin(
            Method::POST,
            "/bots",
            Some(json!({"id": "44444444", "nickname": "h",
                        "webhookUrl": format!("http://127.0.0.1:{closed_port}/hook")})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    server.follow("44444444", "7756242").await;
    // Wait for both: the depth is read from the store at each scrape, and one run (of ~30 on a
    // busy machine) saw the dead letter counted beside the depth before it. A gauge that
    // catches up is what a scraper relies on; one that never does still fails below.
    let s = eventually(&server, |s| {
        value(s, "cloudlake_webhook_dead_letters_total") > dead && value(s, DEPTH) == depth + 1.0
    })
    .await;
    assert_eq!(
        value(&s, "cloudlake_webhook_attempts_total"),
        attempts + 1.0
    );
    assert_eq!(
        value(&s, "cloudlake_webhook_failures_total"),
        failures + 1.0
    );
    assert_eq!(
        value(&s, "cloudlake_webhook_dead_letters_total"),
        dead + 1.0
    );
    // The dead letter no longer waits: the depth is back to the first bot's one event.
    assert_eq!(value(&s, DEPTH), depth + 1.0, "{s}");

    // The bot's event socket counts as a connected client.
    let bots = r#"cloudlake_connected_clients{kind="bot"}"#;
    let (bot_ws, _) =
        tokio_tungstenite::connect_async(format!("ws://{}/subscribe?token={bot}", server.addr))
            .await
            .unwrap();
    let s = eventually(&server, |s| value(s, bots) == value(&before, bots) + 1.0).await;
    assert_eq!(value(&s, bots), value(&before, bots) + 1.0);
    drop(bot_ws);
    server.stop().await;
}
