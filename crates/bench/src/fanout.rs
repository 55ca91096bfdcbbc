//! WebSocket fan-out: N members of one group, all connected; a bot batch_sends to the group;
//! every member's receipt is timed from the moment its message was sent.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::{StreamExt, stream};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::report::{histogram, record, summary};
use crate::setup::Admin;

/// How many WebSockets connect at once.
const CONNECT_CONCURRENCY: usize = 64;
/// A receiver gives up when nothing arrives for this long.
const IDLE_TIMEOUT: Duration = Duration::from_secs(20);

/// Runs the fan-out benchmark: `members` clients, `messages` messages, `senders` batch_sends in
/// flight at most, at `rate` messages per second when given (open loop).
/// The clients run on a runtime of their own with `client_threads` threads, so that on a small
/// machine they cannot take every core from the server they measure. Returns the summary, with
/// the server's RSS growth per idle connection when the server's pid is given.
pub async fn run(
    admin: &Admin,
    members: usize,
    messages: usize,
    (senders, rate): (usize, Option<f64>),
    client_threads: usize,
    server_pid: Option<u32>,
) -> anyhow::Result<Value> {
    let (bot_id, bot_token) = admin.bot("fanout bench").await?;
    let group = admin.groups_with_bot(&bot_id, 1).await?.remove(0);
    let users = admin.users(&bot_id, Some(&group), members).await?;

    let clients_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(client_threads.max(1))
        .thread_name("fanout-client")
        .enable_all()
        .build()?;
    let target = Target {
        users: &users,
        group: &group,
        bot_token: &bot_token,
        rate,
    };
    let result = measure(admin, &clients_rt, &target, messages, senders, server_pid).await;
    // Not dropped here: dropping a runtime inside another one's task is not allowed.
    clients_rt.shutdown_background();
    let mut report = result?;
    report["members"] = json!(members);
    report["messages"] = json!(messages);
    report["senders"] = json!(senders);
    report["rate"] = json!(rate);
    report["client_threads"] = json!(client_threads);
    Ok(report)
}

/// What the messages go to: the group, its members, and the bot that sends.
struct Target<'a> {
    users: &'a [(String, String)],
    group: &'a str,
    bot_token: &'a str,
    /// Messages per second (open loop), or as fast as `senders` allows.
    rate: Option<f64>,
}

async fn measure(
    admin: &Admin,
    clients_rt: &tokio::runtime::Runtime,
    target: &Target<'_>,
    messages: usize,
    senders: usize,
    server_pid: Option<u32>,
) -> anyhow::Result<Value> {
    let Target {
        users,
        group,
        bot_token,
        rate,
    } = *target;
    let members = users.len();
    let rss_before = server_pid.and_then(rss_kib);
    let ws_base = admin.base().as_str().replacen("http", "ws", 1);
    let urls: Vec<String> = users
        .iter()
        .map(|(_, token)| format!("{ws_base}api/v1/live?token={token}"))
        .collect();
    // Connected on the clients' runtime, so their sockets are driven by its threads.
    let clients = clients_rt
        .spawn(async move {
            stream::iter(urls)
                .map(|url| async move {
                    let (mut ws, _) = tokio_tungstenite::connect_async(url)
                        .await
                        .context("connect")?;
                    // Wait for hello so the session is subscribed before anything is sent.
                    match ws.next().await {
                        Some(Ok(Message::Text(_))) => Ok(ws),
                        other => bail!("no hello: {other:?}"),
                    }
                })
                .buffer_unordered(CONNECT_CONCURRENCY)
                .collect::<Vec<anyhow::Result<_>>>()
                .await
                .into_iter()
                .collect::<anyhow::Result<Vec<_>>>()
        })
        .await??;
    let rss_after = server_pid.and_then(rss_kib);

    let origin = Instant::now();
    // When each message's batch_send was answered (µs after `origin`; 0: not yet).
    let replies: Arc<Vec<AtomicU64>> = Arc::new((0..messages).map(|_| AtomicU64::new(0)).collect());
    let receivers: Vec<_> = clients
        .into_iter()
        .map(|mut ws| {
            let replies = replies.clone();
            clients_rt.spawn(async move {
                let mut from_send = histogram();
                let mut from_reply = histogram();
                let mut got = 0usize;
                let mut last = Instant::now();
                while got < messages {
                    let Ok(Some(Ok(msg))) = tokio::time::timeout(IDLE_TIMEOUT, ws.next()).await
                    else {
                        break;
                    };
                    if let Message::Text(text) = msg {
                        // The text carries the send time and the message's number; no full
                        // JSON parse per frame.
                        if let Some(sent) = sent_at(&text) {
                            let now = origin.elapsed();
                            record(&mut from_send, now.saturating_sub(sent));
                            // A frame can arrive before its sender has read the reply: that
                            // counts as no wait after the reply.
                            let replied = number(&text)
                                .and_then(|n| replies.get(n))
                                .map_or(0, |r| r.load(Ordering::Acquire));
                            let replied = Duration::from_micros(replied);
                            record(&mut from_reply, now.saturating_sub(replied.max(sent)));
                            got += 1;
                            last = Instant::now();
                        }
                    }
                }
                (got, last, from_send, from_reply)
            })
        })
        .collect();

    let http = reqwest::Client::new();
    let url = admin
        .base()
        .join(&format!("open-apis/v1/bot/batch_send?token={bot_token}"))?;
    let send_start = Instant::now();
    let sends: Vec<anyhow::Result<()>> = stream::iter(replies.iter().enumerate())
        .map(|(n, replied)| {
            let (http, url) = (http.clone(), url.clone());
            // Open loop: message `n` is due `n / rate` seconds after the start.
            let due = rate.map(|r| send_start + Duration::from_secs_f64(n as f64 / r.max(0.001)));
            async move {
                if let Some(due) = due {
                    tokio::time::sleep_until(due.into()).await;
                }
                let body = json!({"recvIds": [group], "recvType": "group", "contentType": "text",
                    "content": {"text": format!("t={} n={n}", origin.elapsed().as_micros())}});
                let reply: Value = http.post(url).json(&body).send().await?.json().await?;
                replied.store(
                    u64::try_from(origin.elapsed().as_micros()).unwrap_or(u64::MAX),
                    Ordering::Release,
                );
                anyhow::ensure!(reply["code"] == 1, "batch_send failed: {reply}");
                Ok(())
            }
        })
        .buffer_unordered(senders.max(1))
        .collect()
        .await;
    sends.into_iter().collect::<anyhow::Result<()>>()?;
    let sent_in = send_start.elapsed();
    let mut all = histogram();
    let mut after_reply = histogram();
    let mut delivered = 0u64;
    let mut finished = send_start;
    for receiver in receivers {
        let (got, last, h, r) = receiver.await?;
        delivered += got as u64;
        finished = finished.max(last);
        let _ = all.add(&h);
        let _ = after_reply.add(&r);
    }
    let expected = (members * messages) as u64;
    let mut report = summary(
        "fanout",
        delivered,
        expected - delivered.min(expected),
        finished - send_start,
        &all,
    );
    let ms = |q: f64| after_reply.value_at_quantile(q) as f64 / 1000.0;
    report["after_reply_ms"] = json!({"p50": ms(0.5), "p90": ms(0.9), "p99": ms(0.99),
        "max": after_reply.max() as f64 / 1000.0});
    report["sends_per_second"] = json!((messages as f64 / sent_in.as_secs_f64().max(1e-9)).round());
    if let (Some(before), Some(after)) = (rss_before, rss_after) {
        report["server_rss_kib_per_idle_socket"] =
            json!(((after as f64 - before as f64) / members as f64 * 10.0).round() / 10.0);
    }
    Ok(report)
}

/// The message number `n=…` a frame's text carries.
fn number(frame: &str) -> Option<usize> {
    let start = frame.find(" n=")? + 3;
    let digits: String = frame[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The send time `t=…` (µs after the run's origin) a frame's text carries.
pub fn sent_at(frame: &str) -> Option<Duration> {
    let start = frame.find("\"t=")? + 3;
    let digits: String = frame[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok().map(Duration::from_micros)
}

/// A process's resident set size in KiB, from /proc.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
