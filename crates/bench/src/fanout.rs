//! WebSocket fan-out: N members of one group, all connected; a bot batch_sends to the group;
//! every member's receipt is timed from the moment its message was sent.

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

/// Runs the fan-out benchmark: `members` clients, `messages` messages, `senders` requests in
/// flight. Returns the summary, with the server's RSS growth per idle connection when the
/// server's pid is given.
pub async fn run(
    admin: &Admin,
    members: usize,
    messages: usize,
    server_pid: Option<u32>,
) -> anyhow::Result<Value> {
    let (bot_id, bot_token) = admin.bot("fanout bench").await?;
    let group = admin.groups_with_bot(&bot_id, 1).await?.remove(0);
    let users = admin.users(&bot_id, Some(&group), members).await?;

    let rss_before = server_pid.and_then(rss_kib);
    let ws_base = admin.base().as_str().replacen("http", "ws", 1);
    let clients: Vec<_> = stream::iter(users.iter())
        .map(|(_, token)| {
            let url = format!("{ws_base}api/v1/live?token={token}");
            async move {
                let (mut ws, _) = tokio_tungstenite::connect_async(url)
                    .await
                    .context("connect")?;
                // Wait for hello so the session is subscribed before anything is sent.
                match ws.next().await {
                    Some(Ok(Message::Text(_))) => Ok(ws),
                    other => bail!("no hello: {other:?}"),
                }
            }
        })
        .buffer_unordered(CONNECT_CONCURRENCY)
        .collect::<Vec<anyhow::Result<_>>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;
    let rss_after = server_pid.and_then(rss_kib);

    let origin = Instant::now();
    let receivers: Vec<_> = clients
        .into_iter()
        .map(|mut ws| {
            tokio::spawn(async move {
                let mut h = histogram();
                let mut got = 0usize;
                let mut last = Instant::now();
                while got < messages {
                    let Ok(Some(Ok(msg))) = tokio::time::timeout(IDLE_TIMEOUT, ws.next()).await
                    else {
                        break;
                    };
                    if let Message::Text(text) = msg {
                        // The text carries the send time; no full JSON parse per frame.
                        if let Some(sent) = sent_at(&text) {
                            record(&mut h, origin.elapsed().saturating_sub(sent));
                            got += 1;
                            last = Instant::now();
                        }
                    }
                }
                (got, last, h)
            })
        })
        .collect();

    let http = reqwest::Client::new();
    let url = admin
        .base()
        .join(&format!("open-apis/v1/bot/batch_send?token={bot_token}"))?;
    let send_start = Instant::now();
    for _ in 0..messages {
        let body = json!({"recvIds": [group], "recvType": "group", "contentType": "text",
            "content": {"text": format!("t={}", origin.elapsed().as_micros())}});
        let reply: Value = http
            .post(url.clone())
            .json(&body)
            .send()
            .await?
            .json()
            .await?;
        anyhow::ensure!(reply["code"] == 1, "batch_send failed: {reply}");
    }
    let mut all = histogram();
    let mut delivered = 0u64;
    let mut finished = send_start;
    for receiver in receivers {
        let (got, last, h) = receiver.await?;
        delivered += got as u64;
        finished = finished.max(last);
        let _ = all.add(&h);
    }
    let expected = (members * messages) as u64;
    let mut report = summary(
        "fanout",
        delivered,
        expected - delivered.min(expected),
        finished - send_start,
        &all,
    );
    report["members"] = json!(members);
    report["messages"] = json!(messages);
    if let (Some(before), Some(after)) = (rss_before, rss_after) {
        report["server_rss_kib_per_idle_socket"] =
            json!(((after as f64 - before as f64) / members as f64 * 10.0).round() / 10.0);
    }
    Ok(report)
}

fn sent_at(frame: &str) -> Option<Duration> {
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
