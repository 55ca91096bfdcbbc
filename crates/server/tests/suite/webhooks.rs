//! Webhook delivery against real receivers on 127.0.0.1: retries with one `webhook-id`,
//! Standard Webhooks signatures checked by an independent implementation, durability across
//! a restart, isolation from a dead endpoint, the SSRF guard, event-type filters and replays.

#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::TestServer;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cloudlake_server::Config;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;

const BOT: &str = "11110001";
const OTHER_BOT: &str = "11110002";
const USER: &str = "2220001";

// ---- a receiver ----

#[derive(Clone, Debug)]
struct Hit {
    headers: HeaderMap,
    body: String,
    answered: u16,
}

/// A webhook receiver: fails the first `fail_first` requests with 500 (the first of them
/// with `Retry-After: 1`), fails everything while `down` is set, and sleeps `delay` before
/// answering.
#[derive(Clone)]
struct Receiver {
    url: String,
    hits: Arc<Mutex<Vec<Hit>>>,
    down: Arc<AtomicBool>,
}

impl Receiver {
    async fn start(fail_first: usize, delay: Duration) -> Receiver {
        let hits: Arc<Mutex<Vec<Hit>>> = Arc::default();
        let down = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(AtomicUsize::new(0));
        let (h, d) = (hits.clone(), down.clone());
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let (hits, down, seen) = (h.clone(), d.clone(), seen.clone());
                async move {
                    tokio::time::sleep(delay).await;
                    let n = seen.fetch_add(1, Ordering::SeqCst);
                    let fail = n < fail_first || down.load(Ordering::SeqCst);
                    let status = if fail {
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        StatusCode::OK
                    };
                    hits.lock().unwrap().push(Hit {
                        headers,
                        body,
                        answered: status.as_u16(),
                    });
                    let mut resp = axum::response::Response::new(axum::body::Body::from(if fail {
                        "no"
                    } else {
                        "success"
                    }));
                    *resp.status_mut() = status;
                    if fail && n == 0 {
                        resp.headers_mut()
                            .insert("retry-after", "1".parse().unwrap());
                    }
                    resp
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { url, hits, down }
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    fn delivered_ids(&self) -> Vec<String> {
        self.hits()
            .iter()
            .filter(|h| h.answered == 200)
            .map(|h| header(&h.headers, "webhook-id"))
            .collect()
    }

    /// Waits (at most `secs`) until `done` holds for the hits.
    async fn wait_for(&self, secs: u64, done: impl Fn(&[Hit]) -> bool) -> Vec<Hit> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let hits = self.hits();
            if done(&hits) || Instant::now() > deadline {
                return hits;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn header(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

// ---- the server side ----

/// Short retries for tests; loopback receivers allowed.
fn fast(config: &mut Config) {
    config.delivery.allow_private = true;
    config.delivery.retry_schedule = vec![
        Duration::ZERO,
        Duration::from_millis(200),
        Duration::from_millis(200),
        Duration::from_millis(200),
        Duration::from_millis(200),
    ];
    config.delivery.attempt_timeout = Duration::from_secs(2);
}

async fn bot_with_webhook(server: &TestServer, id: &str, url: &str) {
    let (status, body) = server
        .admin(
            Method::POST,
            "/bots",
            Some(json!({"id": id, "nickname": "hooked", "webhookUrl": url})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

/// Makes `n` events for `bot`: follow, unfollow, follow, …
async fn events(server: &TestServer, bot: &str, n: usize) {
    // The outbox alternates followed / unfollowed, so its length says which comes next.
    let done = server.outbox(bot).len();
    for i in done..done + n {
        let method = if i % 2 == 0 {
            Method::PUT
        } else {
            Method::DELETE
        };
        let (status, body) = server
            .admin(method, &format!("/bots/{bot}/followers/{USER}"), None)
            .await;
        assert!(status == 200 || status == 204, "{status} {body}");
    }
}

fn outbox_states(server: &TestServer, bot: &str) -> Vec<(String, String, i64)> {
    server
        .db_rows(&format!(
            "SELECT event_id, state, attempts FROM outbox WHERE bot_id = '{bot}' ORDER BY id"
        ))
        .into_iter()
        .map(|row| {
            (
                row[0].as_str().unwrap().to_owned(),
                row[1].as_str().unwrap().to_owned(),
                row[2].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Verifies a Standard Webhooks signature with the `hmac` and `sha2` crates directly.
fn verify(secret: &str, hit: &Hit) {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .unwrap();
    let id = header(&hit.headers, "webhook-id");
    let timestamp = header(&hit.headers, "webhook-timestamp");
    let ts: i64 = timestamp.parse().expect("timestamp in seconds");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now - ts).abs() < 60, "timestamp {ts} is seconds, near now");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.{}", hit.body).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    let signatures = header(&hit.headers, "webhook-signature");
    assert!(
        signatures.split(' ').any(|s| s == expected),
        "{signatures} has {expected}"
    );
}

async fn secret(server: &TestServer, bot: &str) -> String {
    let (status, body) = server
        .admin(Method::GET, &format!("/bots/{bot}/secret"), None)
        .await;
    assert_eq!(status, 200, "{body}");
    body["secret"].as_str().unwrap().to_owned()
}

async fn deliveries(server: &TestServer, bot: &str) -> Value {
    let (status, body) = server
        .admin(Method::GET, &format!("/bots/{bot}/deliveries"), None)
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

// ---- tests ----

#[tokio::test]
async fn a_receiver_failing_three_times_gets_one_webhook_id_and_the_event_is_delivered_once() {
    let receiver = Receiver::start(3, Duration::ZERO).await;
    let server = TestServer::start_with(fast).await;
    server.user(USER, "Alice").await;
    bot_with_webhook(&server, BOT, &receiver.url).await;
    events(&server, BOT, 1).await;

    let hits = receiver
        .wait_for(10, |h| h.iter().any(|h| h.answered == 200))
        .await;
    assert_eq!(hits.len(), 4, "3 failures, then the success");
    let outbox = server.outbox(BOT);
    assert_eq!(outbox.len(), 1);
    let event_id = outbox[0]["header"]["eventId"].as_str().unwrap();
    let secret = secret(&server, BOT).await;
    let stored_payload = server.db_rows("SELECT payload FROM outbox")[0][0]
        .as_str()
        .unwrap()
        .to_owned();
    for hit in &hits {
        assert_eq!(header(&hit.headers, "webhook-id"), event_id);
        assert_eq!(header(&hit.headers, "content-type"), "application/json");
        assert_eq!(hit.body, stored_payload, "the exact envelope");
        verify(&secret, hit);
    }
    let envelope: Value = serde_json::from_str(&hits[0].body).unwrap();
    assert_eq!(envelope["version"], "1.0");
    assert_eq!(envelope["header"]["eventType"], "bot.followed");

    // Delivered once: nothing more arrives, and the row says so.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(receiver.hits().len(), 4);
    assert_eq!(
        outbox_states(&server, BOT),
        vec![(event_id.to_owned(), "delivered".to_owned(), 4)]
    );
    let report = deliveries(&server, BOT).await;
    assert_eq!(report["delivered"], 1, "{report}");
    assert_eq!(report["pending"], 0, "{report}");
    assert_eq!(report["dead"], 0, "{report}");
}

#[tokio::test]
async fn retry_after_is_honoured() {
    // The first failure says Retry-After: 1 while the schedule says 200 ms.
    let receiver = Receiver::start(1, Duration::ZERO).await;
    let server = TestServer::start_with(fast).await;
    server.user(USER, "Alice").await;
    bot_with_webhook(&server, BOT, &receiver.url).await;
    let start = Instant::now();
    events(&server, BOT, 1).await;
    let hits = receiver.wait_for(10, |h| h.len() >= 2).await;
    assert_eq!(hits.len(), 2);
    assert!(
        start.elapsed() >= Duration::from_millis(900),
        "second attempt after about 1 s, not 200 ms: {:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn a_receiver_that_never_succeeds_leaves_a_dead_letter_that_can_be_replayed() {
    let receiver = Receiver::start(0, Duration::ZERO).await;
    receiver.down.store(true, Ordering::SeqCst);
    let server = TestServer::start_with(fast).await;
    server.user(USER, "Alice").await;
    bot_with_webhook(&server, BOT, &receiver.url).await;
    events(&server, BOT, 1).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let report = loop {
        let report = deliveries(&server, BOT).await;
        if report["dead"] == 1 || Instant::now() > deadline {
            break report;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(report["dead"], 1, "{report}");
    assert_eq!(report["pending"], 0, "{report}");
    assert_eq!(
        report["deadLetters"][0]["attempts"], 5,
        "the whole schedule"
    );
    assert_eq!(
        report["lastError"], "HTTP 500 Internal Server Error",
        "{report}"
    );
    assert_eq!(receiver.hits().len(), 5);

    // The receiver recovers; the admin replays the dead letter: same webhook-id.
    receiver.down.store(false, Ordering::SeqCst);
    let event_id = report["deadLetters"][0]["eventId"].as_str().unwrap();
    let (status, body) = server
        .admin(
            Method::POST,
            &format!("/bots/{BOT}/replay"),
            Some(json!({"eventId": event_id})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["replayed"], 1);
    let hits = receiver
        .wait_for(5, |h| h.iter().any(|h| h.answered == 200))
        .await;
    assert_eq!(receiver.delivered_ids(), vec![event_id.to_owned()]);
    assert_eq!(hits.len(), 6);

    // A time range replays delivered events too.
    let (status, body) = server
        .admin(
            Method::POST,
            &format!("/bots/{BOT}/replay"),
            Some(json!({"since": 0})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["replayed"], 1);
    receiver.wait_for(5, |h| h.len() >= 7).await;
    assert_eq!(receiver.delivered_ids(), vec![event_id.to_owned(); 2]);
}

#[tokio::test]
async fn events_pending_when_the_server_stops_are_delivered_after_the_restart() {
    let receiver = Receiver::start(0, Duration::ZERO).await;
    receiver.down.store(true, Ordering::SeqCst);
    let long_retry = |config: &mut Config| {
        fast(config);
        // After the first failure the next attempt is 1 s later, when the server is already
        // stopped: only the stored state carries the events across the restart.
        config.delivery.retry_schedule = vec![
            Duration::ZERO,
            Duration::from_secs(1),
            Duration::from_secs(1),
        ];
    };
    let server = TestServer::start_with(long_retry).await;
    server.user(USER, "Alice").await;
    bot_with_webhook(&server, BOT, &receiver.url).await;
    events(&server, BOT, 3).await;
    receiver.wait_for(5, |h| h.len() >= 3).await;
    let before = outbox_states(&server, BOT);
    assert_eq!(before.len(), 3);
    assert!(
        before.iter().all(|(_, state, _)| state == "pending"),
        "{before:?}"
    );
    let dir = server.stop().await;
    // Let every retry fall due while the server is down, so the restart finds all three due
    // (events due at different times go out by due time, not strictly in order).
    tokio::time::sleep(Duration::from_millis(1300)).await;

    receiver.down.store(false, Ordering::SeqCst);
    let server = TestServer::start_in(dir, long_retry).await;
    receiver
        .wait_for(10, |h| h.iter().filter(|h| h.answered == 200).count() >= 3)
        .await;
    let ids: Vec<String> = before.iter().map(|(id, _, _)| id.clone()).collect();
    assert_eq!(receiver.delivered_ids(), ids, "each once, in order");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.delivered_ids().len(), 3, "nothing twice");
    assert!(
        outbox_states(&server, BOT)
            .iter()
            .all(|(_, state, _)| state == "delivered")
    );
}

#[tokio::test]
async fn a_dead_endpoint_does_not_delay_another_bots_events() {
    // Answers after 30 s; the attempt timeout is 3 s. Had the other bot's events waited
    // behind even one of the dead endpoint's attempts, they would take over 3 s.
    let dead = Receiver::start(0, Duration::from_secs(30)).await;
    let alive = Receiver::start(0, Duration::ZERO).await;
    let server = TestServer::start_with(|config| {
        fast(config);
        config.delivery.attempt_timeout = Duration::from_secs(3);
    })
    .await;
    server.user(USER, "Alice").await;
    bot_with_webhook(&server, BOT, &dead.url).await;
    bot_with_webhook(&server, OTHER_BOT, &alive.url).await;
    events(&server, BOT, 5).await;
    let start = Instant::now();
    events(&server, OTHER_BOT, 5).await;
    let hits = alive.wait_for(10, |h| h.len() >= 5).await;
    assert_eq!(hits.len(), 5);
    assert!(
        start.elapsed() < Duration::from_millis(2500),
        "the other bot's events were held up: {:?}",
        start.elapsed()
    );
    let ids: Vec<String> = server
        .outbox(OTHER_BOT)
        .iter()
        .map(|e| e["header"]["eventId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(alive.delivered_ids(), ids, "in order");

    // The dead endpoint's first attempt times out and is recorded as such.
    let deadline = Instant::now() + Duration::from_secs(8);
    let report = loop {
        let report = deliveries(&server, BOT).await;
        if report["lastError"].is_string() || Instant::now() > deadline {
            break report;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(report["lastError"], "timed out", "{report}");
    assert_eq!(report["delivered"], 0, "{report}");
}

#[tokio::test]
async fn unwanted_event_types_are_skipped() {
    let receiver = Receiver::start(0, Duration::ZERO).await;
    let server = TestServer::start_with(fast).await;
    server.user(USER, "Alice").await;
    bot_with_webhook(&server, BOT, &receiver.url).await;
    let (status, body) = server
        .admin(
            Method::PUT,
            &format!("/bots/{BOT}/webhook"),
            Some(json!({"eventTypes": ["bot.unfollowed"]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["eventTypes"], json!(["bot.unfollowed"]));
    assert_eq!(body["webhookUrl"], receiver.url.as_str());
    events(&server, BOT, 2).await; // followed (skipped), unfollowed (delivered)
    let hits = receiver.wait_for(5, |h| !h.is_empty()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(hits.len(), 1);
    let envelope: Value = serde_json::from_str(&hits[0].body).unwrap();
    assert_eq!(envelope["header"]["eventType"], "bot.unfollowed");
    let report = deliveries(&server, BOT).await;
    assert_eq!(report["skipped"], 1, "{report}");
    assert_eq!(report["delivered"], 1, "{report}");
}

#[tokio::test]
async fn a_rotated_secret_signs_the_next_attempts() {
    let receiver = Receiver::start(0, Duration::ZERO).await;
    let server = TestServer::start_with(fast).await;
    server.user(USER, "Alice").await;
    bot_with_webhook(&server, BOT, &receiver.url).await;
    let old = secret(&server, BOT).await;
    let (status, body) = server
        .admin(Method::POST, &format!("/bots/{BOT}/secret"), None)
        .await;
    assert_eq!(status, 200, "{body}");
    let new = body["secret"].as_str().unwrap().to_owned();
    assert_ne!(old, new);
    assert!(new.starts_with("whsec_"));
    assert_eq!(secret(&server, BOT).await, new);
    events(&server, BOT, 1).await;
    let hits = receiver.wait_for(5, |h| !h.is_empty()).await;
    verify(&new, &hits[0]);
}

#[tokio::test]
async fn the_ssrf_guard_refuses_loopback_unless_allowed() {
    let receiver = Receiver::start(0, Duration::ZERO).await;
    let guarded = |config: &mut Config| {
        fast(config);
        config.delivery.allow_private = false;
    };
    let server = TestServer::start_with(guarded).await;
    server.user(USER, "Alice").await;

    // Refused when set through the admin API.
    for url in [
        receiver.url.clone(),
        "http://localhost:9/hook".to_owned(),
        "http://[::ffff:127.0.0.1]/hook".to_owned(),
        "http://169.254.169.254/latest/meta-data".to_owned(),
        "http://10.0.0.1/hook".to_owned(),
    ] {
        let (status, body) = server
            .admin(
                Method::POST,
                "/bots",
                Some(json!({"id": BOT, "nickname": "b", "webhookUrl": url})),
            )
            .await;
        assert_eq!(status, 400, "{url}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("private, loopback or link-local"),
            "{message}"
        );
    }
    server.bot(BOT).await;
    let (status, body) = server
        .admin(
            Method::PUT,
            &format!("/bots/{BOT}/webhook"),
            Some(json!({"url": receiver.url})),
        )
        .await;
    assert_eq!(status, 400, "{body}");

    // Accepted while allowed; refused at delivery once the allowance is gone.
    let dir = server.stop().await;
    let server = TestServer::start_in(dir, fast).await;
    let (status, body) = server
        .admin(
            Method::PUT,
            &format!("/bots/{BOT}/webhook"),
            Some(json!({"url": receiver.url})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let dir = server.stop().await;
    let server = TestServer::start_in(dir, guarded).await;
    events(&server, BOT, 1).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    let report = loop {
        let report = deliveries(&server, BOT).await;
        if report["dead"] == 1 || Instant::now() > deadline {
            break report;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(report["dead"], 1, "dead-lettered at once: {report}");
    assert_eq!(report["deadLetters"][0]["attempts"], 1, "{report}");
    let error = report["lastError"].as_str().unwrap();
    assert!(
        error.contains("127.0.0.1") && error.contains("refused"),
        "{error}"
    );
    assert!(receiver.hits().is_empty(), "nothing reached the receiver");
}

/// A menu press reaches the bot's webhook as `bot.shortcut.menu` when the bot subscribes to
/// that type, and is skipped when it does not (issue 20, wire §7.8).
#[tokio::test]
async fn a_menu_press_is_delivered_only_to_a_bot_that_subscribes_to_it() {
    let receiver = Receiver::start(0, Duration::ZERO).await;
    let server = TestServer::start_with(fast).await;
    let user = server.user(USER, "Alice").await;
    bot_with_webhook(&server, BOT, &receiver.url).await;
    let subscribe = |types: Value| {
        let server = &server;
        async move {
            let (status, body) = server
                .admin(
                    Method::PUT,
                    &format!("/bots/{BOT}/webhook"),
                    Some(json!({"eventTypes": types})),
                )
                .await;
            assert_eq!(status, 200, "{body}");
        }
    };
    subscribe(json!(["bot.shortcut.menu"])).await;
    server.follow(BOT, USER).await; // bot.followed: skipped
    let (status, menu) = server
        .admin(
            Method::POST,
            &format!("/bots/{BOT}/menus"),
            Some(json!({"name": "签到"})),
        )
        .await;
    assert_eq!(status, 201, "{menu}");
    let path = format!(
        "/chats/bot/{BOT}/menus/{}",
        menu["menuId"].as_str().unwrap()
    );
    let (status, _) = server.user_api(Method::POST, &user, &path, None).await;
    assert_eq!(status, 200);
    let hits = receiver.wait_for(5, |h| !h.is_empty()).await;
    let envelope: Value = serde_json::from_str(&hits[0].body).unwrap();
    assert_eq!(envelope["header"]["eventType"], "bot.shortcut.menu");
    assert_eq!(envelope["event"]["menuId"], menu["menuId"]);
    assert_eq!(envelope["event"]["chatType"], "bot");

    // Not subscribed: the next press stays in the outbox, skipped.
    subscribe(json!(["message.receive.normal"])).await;
    let (status, _) = server.user_api(Method::POST, &user, &path, None).await;
    assert_eq!(status, 200);
    let deadline = Instant::now() + Duration::from_secs(5);
    let report = loop {
        let report = deliveries(&server, BOT).await;
        if report["skipped"] == 2 || Instant::now() > deadline {
            break report;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(report["skipped"], 2, "{report}");
    assert_eq!(report["delivered"], 1, "{report}");
    assert_eq!(receiver.wait_for(1, |_| true).await.len(), 1);
}
