//! The peer row: the same closed-loop load against a Matrix homeserver (Synapse, from PyPI, on
//! SQLite), sending one text message per request to one room — the Matrix equivalent of a
//! bot's send to one group. Loopback only, bounded in time like every other mode.
//!
//! Setup goes through the client-server API: register a user (the homeserver must allow
//! registration without verification and must not rate-limit messages), create a room, then
//! `PUT /_matrix/client/v3/rooms/{room}/send/m.room.message/{txn}` with a fresh transaction ID
//! per request (a repeated one would be answered from Synapse's idempotency cache, storing
//! nothing).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use reqwest::Url;
use serde_json::{Value, json};

use crate::http_load::MAX_DURATION;
use crate::loopback::require_loopback;
use crate::report::{histogram, record, summary};

/// One run against a homeserver.
pub struct SynapseLoad {
    /// The homeserver's base URL (loopback).
    pub server: Url,
    /// Requests in flight.
    pub concurrency: usize,
    /// How long to run.
    pub duration: Duration,
}

/// Registers a user, creates a room and sends to it; returns the summary line.
pub async fn run(load: SynapseLoad) -> anyhow::Result<Value> {
    require_loopback(&load.server)?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(load.concurrency)
        .tcp_nodelay(true)
        .build()
        .context("http client")?;
    let username = format!("bench{}", uuid_like());
    let registered = post_json(
        &client,
        load.server.join("_matrix/client/v3/register")?,
        None,
        json!({"username": username, "password": "bench-password-1",
               "auth": {"type": "m.login.dummy"}, "inhibit_login": false}),
    )
    .await
    .context("register a user (the homeserver must allow registration without verification)")?;
    let token = registered["access_token"]
        .as_str()
        .context("no access_token in the register answer")?
        .to_owned();
    let room = post_json(
        &client,
        load.server.join("_matrix/client/v3/createRoom")?,
        Some(&token),
        json!({"preset": "private_chat", "name": "bench"}),
    )
    .await?;
    let room_id = room["room_id"]
        .as_str()
        .context("no room_id in the createRoom answer")?
        .to_owned();
    let base = load.server.join(&format!(
        "_matrix/client/v3/rooms/{}/send/m.room.message/",
        urlencode(&room_id)
    ))?;

    let stop_at = Instant::now() + load.duration.min(MAX_DURATION);
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let txn = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let begin = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..load.concurrency.max(1) {
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        let (ok, failed, txn, stop) = (ok.clone(), failed.clone(), txn.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            let mut h = histogram();
            while !stop.load(Ordering::Relaxed) && Instant::now() < stop_at {
                let n = txn.fetch_add(1, Ordering::Relaxed);
                let Ok(url) = base.join(&format!("t{n}")) else {
                    break;
                };
                let start = Instant::now();
                let sent = client
                    .put(url)
                    .bearer_auth(&token)
                    .json(&json!({"msgtype": "m.text", "body": "bench message"}))
                    .send()
                    .await;
                let good = match sent {
                    Ok(resp) if resp.status().is_success() => resp
                        .json::<Value>()
                        .await
                        .is_ok_and(|v| v["event_id"].is_string()),
                    _ => false,
                };
                record(&mut h, start.elapsed());
                if good { &ok } else { &failed }.fetch_add(1, Ordering::Relaxed);
            }
            h
        }));
    }
    let mut all = histogram();
    for worker in workers {
        if let Ok(h) = worker.await {
            let _ = all.add(&h);
        }
    }
    stop.store(true, Ordering::Relaxed);
    Ok(summary(
        "synapse send to a room",
        ok.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
        begin.elapsed(),
        &all,
    ))
}

async fn post_json(
    client: &reqwest::Client,
    url: Url,
    token: Option<&str>,
    body: Value,
) -> anyhow::Result<Value> {
    let mut req = client.post(url.clone()).json(&body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let resp = req.send().await.with_context(|| format!("POST {url}"))?;
    let status = resp.status();
    let text = resp.text().await?;
    if !status.is_success() {
        bail!("POST {url}: {status} {text}");
    }
    Ok(serde_json::from_str(&text)?)
}

/// A room ID (`!abc:localhost`) as one path segment.
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A short unique suffix for the bench user's name.
fn uuid_like() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}
