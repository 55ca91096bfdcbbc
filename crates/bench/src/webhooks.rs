//! Webhook throughput: a fast receiver on loopback, a bot whose webhook points at it, and N
//! `message.receive.normal` events made by users sending the bot messages.
//!
//! Two ways to run. By default (backlog) the N events are made while the bot has no webhook,
//! so they wait in the outbox; then the webhook is set and the dispatcher's drain is timed
//! from that moment to the last receipt: this measures delivery alone. With `--live` the
//! webhook is set first and the rate is timed from the first send to the last receipt, so it
//! is bounded by how fast the events are made as well.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use futures_util::{StreamExt, stream};
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::report::{histogram, record, summary};
use crate::setup::Admin;

/// Users sending the messages (each follows the bot).
const SENDERS: usize = 16;
/// The run ends when no event has arrived for this long.
const IDLE_TIMEOUT: Duration = Duration::from_secs(20);

/// What the receiver has seen.
struct Received {
    origin: Instant,
    state: Mutex<Tally>,
    done: Notify,
    expected: usize,
}

struct Tally {
    ids: HashSet<String>,
    duplicates: u64,
    last: Option<Instant>,
    latency: Histogram<u64>,
}

/// The receiver: answers 200 at once, counts distinct `webhook-id`s, and times each event from
/// the send time its text carries.
async fn receive(
    State(received): State<Arc<Received>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let Some(id) = headers.get("webhook-id").and_then(|v| v.to_str().ok()) else {
        return StatusCode::BAD_REQUEST;
    };
    let now = Instant::now();
    let sent = crate::fanout::sent_at(&body);
    let mut tally = received
        .state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if tally.ids.insert(id.to_owned()) {
        if let Some(sent) = sent {
            record(
                &mut tally.latency,
                now.duration_since(received.origin).saturating_sub(sent),
            );
        }
        tally.last = Some(now);
        if tally.ids.len() >= received.expected {
            received.done.notify_one();
        }
    } else {
        tally.duplicates += 1;
    }
    StatusCode::OK
}

async fn start_receiver(received: Arc<Received>) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = Router::new()
        .route("/hook", post(receive))
        .with_state(received);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("webhook receiver stopped: {e}");
        }
    });
    Ok(addr)
}

/// Runs the webhook benchmark: `events` events, `concurrency` user sends in flight.
pub async fn run(
    admin: &Admin,
    events: usize,
    concurrency: usize,
    live: bool,
) -> anyhow::Result<Value> {
    let origin = Instant::now();
    let received = Arc::new(Received {
        origin,
        state: Mutex::new(Tally {
            ids: HashSet::with_capacity(events),
            duplicates: 0,
            last: None,
            latency: histogram(),
        }),
        done: Notify::new(),
        expected: events,
    });
    let addr = start_receiver(received.clone()).await?;
    let hook = format!("http://{addr}/hook");

    let (bot_id, _) = admin.bot("webhook bench").await?;
    let users = admin.users(&bot_id, None, SENDERS).await?;
    let set_webhook = || async {
        // Only messages: the follows made above are skipped, so exactly `events` arrive.
        admin
            .put(
                &format!("bots/{bot_id}/webhook"),
                json!({"url": hook, "eventTypes": ["message.receive.normal"]}),
            )
            .await
    };

    if live {
        set_webhook().await?;
    }
    let http = reqwest::Client::new();
    let url = admin
        .base()
        .join(&format!("api/v1/chats/bot/{bot_id}/messages"))?;
    let send_start = Instant::now();
    let sent: Vec<anyhow::Result<()>> = stream::iter(0..events)
        .map(|i| {
            let (_, token) = &users[i % users.len()];
            let request = http
                .post(url.clone())
                .bearer_auth(token)
                .json(&json!({"contentType": "text",
                    "content": {"text": format!("t={} event {i}", origin.elapsed().as_micros())}}));
            async move {
                let resp = request.send().await.context("user send")?;
                if !resp.status().is_success() {
                    bail!("user send: {} {}", resp.status(), resp.text().await?);
                }
                Ok(())
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    sent.into_iter().collect::<anyhow::Result<()>>()?;
    let made = send_start.elapsed();

    let start = if live {
        send_start
    } else {
        let start = Instant::now();
        set_webhook().await?;
        start
    };
    // Wait for every event, or until nothing new arrives for a while.
    loop {
        let seen = received
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .ids
            .len();
        if seen >= events {
            break;
        }
        if tokio::time::timeout(IDLE_TIMEOUT, received.done.notified())
            .await
            .is_err()
        {
            let tally = received
                .state
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if tally.ids.len() == seen {
                break;
            }
        }
    }

    let tally = received
        .state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let delivered = tally.ids.len() as u64;
    let elapsed = tally.last.map_or(Duration::ZERO, |last| last - start);
    let mut report = summary(
        if live {
            "webhooks live"
        } else {
            "webhooks backlog"
        },
        delivered,
        events as u64 - delivered.min(events as u64),
        elapsed,
        &tally.latency,
    );
    report["duplicates"] = json!(tally.duplicates);
    report["events_made_per_second"] =
        json!((events as f64 / made.as_secs_f64().max(1e-9)).round());
    Ok(report)
}
