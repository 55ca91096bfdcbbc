//! Two `cloudlake serve` nodes sharing one PostgreSQL database and one NATS server, as a
//! cluster runs: a user connected to node A receives everything sent through node B, in
//! order and once; killing node A mid-burst loses nothing (the client resumes on node B from
//! its cursor); webhook events are delivered once across both nodes; a bot's WebSocket on one
//! node gets the events caused on the other, and a bot with a socket on each node gets each
//! event once; both nodes writing to one group keep its sequence numbers gap-free; on a
//! cluster of three NATS servers, losing one mid-burst loses no message and keeps the order;
//! and with media in a shared S3-compatible bucket, node B serves what was uploaded through
//! node A.
//!
//! Needs `CLOUDLAKE_TEST_DATABASE_URL` (a PostgreSQL server: `postgres://user@host:port/db`)
//! and `CLOUDLAKE_TEST_NATS_URL`; `.ci/run` starts both (see `.ci/postgres.sh` and
//! `.ci/nats.sh`). Without them the tests say they were skipped, unless
//! `CLOUDLAKE_REQUIRE_CLUSTER=1` (as in CI), when they fail. (The start-up error test needs
//! neither.)

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::Served;
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

const ADMIN: &str = "cluster-admin-token";
const BOT: &str = "86297657";
const GROUPS: [&str; 2] = ["307149245", "665344168"];
const USERS: [&str; 2] = ["7756242", "4827368"];

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Two nodes on one fresh database.
struct Cluster {
    a: Served,
    b: Served,
    database: String,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

impl Cluster {
    /// `None` (skipped) without PostgreSQL and NATS to run on.
    fn start() -> Option<Cluster> {
        Self::start_with(&[], &[])
    }

    /// The same, both nodes with `extra` flags and `env` variables too.
    fn start_with(extra: &[&str], env: &[(&str, &str)]) -> Option<Cluster> {
        let nats = std::env::var("CLOUDLAKE_TEST_NATS_URL").ok();
        Self::start_full(nats.map(|url| [url.clone(), url]), extra, env)
    }

    /// Node A on the NATS URL(s) `nats[0]`, node B on `nats[1]`; `None` (skipped) without
    /// PostgreSQL, or without NATS URLs.
    fn start_full(
        nats: Option<[String; 2]>,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Option<Cluster> {
        let (base, [nats_a, nats_b]) = match (std::env::var("CLOUDLAKE_TEST_DATABASE_URL"), nats) {
            (Ok(db), Some(nats)) => (db, nats),
            _ => {
                assert!(
                    std::env::var("CLOUDLAKE_REQUIRE_CLUSTER").as_deref() != Ok("1"),
                    "CLOUDLAKE_REQUIRE_CLUSTER=1 but CLOUDLAKE_TEST_DATABASE_URL or \
                         CLOUDLAKE_TEST_NATS_URL is not set"
                );
                eprintln!(
                    "skipped: CLOUDLAKE_TEST_DATABASE_URL and CLOUDLAKE_TEST_NATS_URL not set"
                );
                return None;
            }
        };
        let database = fresh_database(&base);
        // Clusters sharing a NATS server must not share a subject (tests run side by side).
        let subject = format!("cloudlake.{}", database.rsplit('/').next().unwrap());
        let dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let node = |dir: &std::path::Path, nats: &str| {
            let mut flags = vec![
                "--admin-token",
                ADMIN,
                "--rate-limit",
                "off",
                "--webhook-allow-private",
                "--database-url",
                &database,
                "--nats-url",
                nats,
                "--nats-subject",
                &subject,
            ];
            flags.extend_from_slice(extra);
            Served::start_env(dir, &flags, env)
        };
        let a = node(dirs.0.path(), &nats_a);
        let b = node(dirs.1.path(), &nats_b);
        Some(Cluster {
            a,
            b,
            database,
            _dirs: dirs,
        })
    }

    /// Rows of `sql` on the cluster's database, every column read as text.
    fn rows(&self, sql: &str) -> Vec<Vec<String>> {
        let (url, sql) = (self.database.clone(), sql.to_owned());
        // The client runs a runtime of its own: not on the test's runtime thread.
        std::thread::spawn(move || {
            let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            client
                .simple_query(&sql)
                .unwrap()
                .into_iter()
                .filter_map(|m| match m {
                    postgres::SimpleQueryMessage::Row(row) => Some(
                        (0..row.len())
                            .map(|i| row.get(i).unwrap_or("").to_owned())
                            .collect(),
                    ),
                    _ => None,
                })
                .collect()
        })
        .join()
        .unwrap()
    }
}

/// A new, empty database on the server of `base`; its URL.
fn fresh_database(base: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let name = format!("cl_cluster_{}_{nanos}", std::process::id());
    let (server, _) = base.rsplit_once('/').unwrap();
    let (admin, create) = (base.to_owned(), format!("CREATE DATABASE {name}"));
    std::thread::spawn(move || {
        postgres::Client::connect(&admin, postgres::NoTls)
            .unwrap()
            .batch_execute(&create)
            .unwrap();
    })
    .join()
    .unwrap();
    format!("{server}/{name}")
}

async fn admin(node: &Served, method: reqwest::Method, path: &str, body: Value) -> Value {
    common::admin_call(&node.base, ADMIN, method, path, body).await
}

/// The bot (with a webhook to `webhook_port`), both users in both groups and following the
/// bot, all made through `node`.
async fn setup(node: &Served, webhook_port: u16) -> common::Seeded {
    common::seed(&node.base, ADMIN, BOT, &GROUPS, &USERS, webhook_port).await
}

/// `batch_send` of one text to both groups through the node at `base`: the reply.
async fn batch_send(http: &reqwest::Client, base: &str, bot: &str, text: &str) -> Value {
    http.post(format!("{base}/open-apis/v1/bot/batch_send?token={bot}"))
        .json(
            &json!({"recvIds": GROUPS, "recvType": "group", "contentType": "text",
                      "content": {"text": text}}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// [`batch_send`], every group reached: the msgIds, in group order.
async fn send_to_groups(http: &reqwest::Client, base: &str, bot: &str, text: &str) -> Vec<String> {
    let reply = batch_send(http, base, bot, text).await;
    assert_eq!(reply["code"], 1, "{reply}");
    let sent = reply["data"]["successList"].as_array().unwrap();
    assert_eq!(sent.len(), GROUPS.len(), "{reply}");
    sent.iter()
        .map(|s| s["msgId"].as_str().unwrap().to_owned())
        .collect()
}

/// A user's text message to the bot through `node` (an event for the bot); its msgId.
async fn message_bot(
    http: &reqwest::Client,
    node: &Served,
    user_token: &str,
    text: &str,
) -> String {
    let resp = http
        .post(format!("{}/api/v1/chats/bot/{BOT}/messages", node.base))
        .bearer_auth(user_token)
        .json(&json!({"contentType": "text", "content": {"text": text}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let reply: Value = resp.json().await.unwrap();
    reply["msgId"].as_str().unwrap().to_owned()
}

async fn live(node: &Served, user_token: &str, cursor: Option<i64>) -> (Ws, Value) {
    let host = node.base.strip_prefix("http://").unwrap();
    let mut url = format!("ws://{host}/api/v1/live?token={user_token}");
    if let Some(cursor) = cursor {
        url.push_str(&format!("&cursor={cursor}"));
    }
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let hello = next_frame(&mut ws).await.expect("hello");
    assert_eq!(hello["type"], "hello", "{hello}");
    (ws, hello)
}

/// The next text frame; `None` when the socket ends or nothing comes within 10 s.
async fn next_frame(ws: &mut Ws) -> Option<Value> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .ok()??
            .ok()?;
        match msg {
            Message::Text(text) => return Some(serde_json::from_str(&text).unwrap()),
            Message::Close(_) => return None,
            _ => {}
        }
    }
}

/// The bot's event WebSocket on `node`, its webhook cleared first (events then wait for the
/// socket).
async fn bot_socket(node: &Served, bot_token: &str) -> Ws {
    admin(
        node,
        reqwest::Method::PUT,
        &format!("/bots/{BOT}/webhook"),
        json!({"url": null}),
    )
    .await;
    let host = node.base.strip_prefix("http://").unwrap();
    let url = format!("ws://{host}/subscribe?token={bot_token}");
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

/// Whether nothing more arrives within `ms`.
async fn quiet(ws: &mut Ws, ms: u64) -> bool {
    loop {
        match tokio::time::timeout(Duration::from_millis(ms), ws.next()).await {
            Err(_) | Ok(None) => return true,
            Ok(Some(Ok(Message::Text(text)))) => {
                eprintln!("unexpected frame: {text}");
                return false;
            }
            Ok(Some(_)) => {}
        }
    }
}

/// Message frames until `n` have arrived.
async fn message_frames(ws: &mut Ws, n: usize) -> Vec<Value> {
    let mut frames = Vec::new();
    while frames.len() < n {
        let frame = next_frame(ws)
            .await
            .unwrap_or_else(|| panic!("only {} of {n} frames arrived", frames.len()));
        if frame["type"] == "message" {
            frames.push(frame);
        }
    }
    frames
}

fn msg_ids(frames: &[Value]) -> Vec<String> {
    frames
        .iter()
        .map(|f| f["message"]["msgId"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_on_node_a_gets_everything_sent_through_node_b_in_order_exactly_once() {
    let (port, _hooks) = common::webhook_sink();
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let tokens = setup(&cluster.a, port).await;
    let (mut ws, _) = live(&cluster.a, &tokens.users[0], None).await;

    let http = reqwest::Client::new();
    let mut sent = Vec::new();
    for i in 0..100 {
        sent.extend(send_to_groups(&http, &cluster.b.base, &tokens.bot, &format!("m{i}")).await);
    }
    let frames = message_frames(&mut ws, sent.len()).await;
    // One sender, one request after another: the frames come exactly in acknowledgement order.
    assert_eq!(msg_ids(&frames), sent);
    let cursors: Vec<i64> = frames
        .iter()
        .map(|f| f["cursor"].as_i64().unwrap())
        .collect();
    assert!(cursors.windows(2).all(|w| w[0] < w[1]), "cursors increase");
    for (i, frame) in frames.iter().enumerate() {
        assert_eq!(frame["message"]["chatId"], GROUPS[i % 2]);
        assert_eq!(frame["message"]["seq"], (i / 2 + 1) as i64, "{frame}");
    }
    assert!(quiet(&mut ws, 500).await, "nothing twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_node_a_mid_burst_loses_nothing_and_the_client_resumes_on_node_b() {
    let (port, _hooks) = common::webhook_sink();
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let Cluster { a, b, .. } = cluster;
    let tokens = setup(&a, port).await;
    let (mut ws, _) = live(&a, &tokens.users[1], None).await;

    let sender = {
        let (base, bot) = (b.base.clone(), tokens.bot.clone());
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut sent = Vec::new();
            for i in 0..150 {
                sent.extend(send_to_groups(&http, &base, &bot, &format!("burst {i}")).await);
            }
            sent
        })
    };
    // Read part of the burst on node A, then kill A with no warning.
    let mut frames = message_frames(&mut ws, 40).await;
    let cursor = frames.last().unwrap()["cursor"].as_i64().unwrap();
    a.kill_9();
    // The socket ends: the client notices and moves to node B with its cursor.
    let ended = Instant::now();
    while next_frame(&mut ws).await.is_some() {
        assert!(
            ended.elapsed() < Duration::from_secs(10),
            "node A's socket never ended"
        );
    }
    let sent = sender.await.unwrap();
    let (mut ws, hello) = live(&b, &tokens.users[1], Some(cursor)).await;
    assert_eq!(hello["cursor"], cursor);
    frames.extend(message_frames(&mut ws, sent.len() - frames.len()).await);
    assert_eq!(
        msg_ids(&frames),
        sent,
        "every message once, in order, across the move"
    );
    assert!(quiet(&mut ws, 500).await, "nothing twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_events_are_delivered_once_across_both_nodes() {
    let (port, hooks) = common::webhook_sink();
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let tokens = setup(&cluster.a, port).await;
    // Users message the bot through both nodes: each message is an event for the bot, and
    // both nodes' dispatchers are woken for it.
    let http = reqwest::Client::new();
    for i in 0..60 {
        let node = if i % 2 == 0 { &cluster.a } else { &cluster.b };
        message_bot(&http, node, &tokens.users[i % 2], &format!("u{i}")).await;
    }
    let events: HashSet<String> = cluster
        .rows(&format!(
            "SELECT event_id FROM outbox WHERE bot_id = '{BOT}'"
        ))
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert!(events.len() >= 60, "{} events", events.len());
    let until = Instant::now() + Duration::from_secs(30);
    while hooks.lock().unwrap().len() < events.len() {
        assert!(
            Instant::now() < until,
            "not every event was delivered within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Time for a second delivery to show up, if either node were to make one.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let delivered = hooks.lock().unwrap().clone();
    let unique: HashSet<String> = delivered.iter().cloned().collect();
    // A second delivery follows a failure one of the nodes logged (a storage error that paused
    // delivery, a rolled-back batch): show their warnings with the failure.
    let warnings = |node: &Served| -> Vec<String> {
        node.output
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains("WARN") || l.contains("ERROR"))
            .cloned()
            .collect()
    };
    assert_eq!(
        delivered.len(),
        unique.len(),
        "an event was delivered twice; node a warned {:#?}, node b warned {:#?}",
        warnings(&cluster.a),
        warnings(&cluster.b)
    );
    assert_eq!(unique, events, "exactly the outbox's events");
    let pending = cluster.rows(&format!(
        "SELECT COUNT(*) FROM outbox WHERE bot_id = '{BOT}' AND state <> 'delivered'"
    ));
    assert_eq!(pending[0][0], "0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_websocket_on_node_a_gets_the_events_caused_on_node_b() {
    let (port, hooks) = common::webhook_sink();
    let Some(cluster) = Cluster::start() else {
        return;
    };
    // Set up through node B, whose webhook deliverer (woken first, by its own commit) then
    // sends the set-up's events: both users following the bot.
    let tokens = setup(&cluster.b, port).await;
    let until = Instant::now() + Duration::from_secs(30);
    while hooks.lock().unwrap().len() < USERS.len() {
        assert!(
            Instant::now() < until,
            "the set-up's events were not delivered"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Then the bot moves to its WebSocket, on node A: node B's deliverer, having nothing
    // more to send, must not keep the bot from it.
    let mut ws = bot_socket(&cluster.a, &tokens.bot).await;
    let http = reqwest::Client::new();
    let mut sent = Vec::new();
    for i in 0..20 {
        let user = &tokens.users[i % 2];
        sent.push(message_bot(&http, &cluster.b, user, &format!("via b {i}")).await);
    }
    let mut got = Vec::new();
    while got.len() < sent.len() {
        let frame = next_frame(&mut ws)
            .await
            .unwrap_or_else(|| panic!("only {} of {} events arrived", got.len(), sent.len()));
        // The set-up's events (users followed the bot) may come first, if the webhook had
        // not delivered them yet when it was cleared.
        if frame["header"]["eventType"] == "message.receive.normal" {
            got.push(
                frame["event"]["message"]["msgId"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
    }
    assert_eq!(got, sent, "every event once, in order");
    assert!(quiet(&mut ws, 500).await, "nothing twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_with_a_websocket_on_each_node_gets_each_event_once() {
    let (port, _hooks) = common::webhook_sink();
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let tokens = setup(&cluster.a, port).await;
    let mut sockets = vec![
        bot_socket(&cluster.a, &tokens.bot).await,
        bot_socket(&cluster.b, &tokens.bot).await,
    ];
    let http = reqwest::Client::new();
    let mut sent = HashSet::new();
    for i in 0..30 {
        let node = if i % 2 == 0 { &cluster.a } else { &cluster.b };
        sent.insert(message_bot(&http, node, &tokens.users[i % 2], &format!("m{i}")).await);
    }
    // Read both sockets until every message's event has come through one of them, then a
    // little longer: an event sent on both would show up twice.
    let mut got = Vec::new();
    let until = Instant::now() + Duration::from_secs(30);
    while Instant::now() < until {
        for ws in &mut sockets {
            while let Ok(Some(Ok(Message::Text(text)))) =
                tokio::time::timeout(Duration::from_millis(100), ws.next()).await
            {
                let frame: Value = serde_json::from_str(&text).unwrap();
                if frame["header"]["eventType"] == "message.receive.normal" {
                    got.push(
                        frame["event"]["message"]["msgId"]
                            .as_str()
                            .unwrap()
                            .to_owned(),
                    );
                }
            }
        }
        let unique: HashSet<&String> = got.iter().collect();
        if unique.len() == sent.len() {
            break;
        }
    }
    for ws in &mut sockets {
        assert!(quiet(ws, 1_000).await, "nothing twice");
    }
    let unique: HashSet<String> = got.iter().cloned().collect();
    assert_eq!(unique, sent, "every event");
    assert_eq!(got.len(), sent.len(), "each event on one socket only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_nodes_writing_to_one_group_keep_its_sequence_gap_free() {
    let (port, _hooks) = common::webhook_sink();
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let tokens = setup(&cluster.a, port).await;
    let mut tasks = tokio::task::JoinSet::new();
    for (n, node) in [&cluster.a, &cluster.b, &cluster.a, &cluster.b]
        .into_iter()
        .enumerate()
    {
        let (base, bot) = (node.base.clone(), tokens.bot.clone());
        tasks.spawn(async move {
            let http = reqwest::Client::new();
            let mut sent = Vec::new();
            for i in 0..25 {
                sent.extend(send_to_groups(&http, &base, &bot, &format!("w{n} {i}")).await);
            }
            sent
        });
    }
    let mut acked = HashSet::new();
    while let Some(sent) = tasks.join_next().await {
        acked.extend(sent.unwrap());
    }
    assert_eq!(acked.len(), 200);
    for group in GROUPS {
        let seqs: Vec<i64> = cluster
            .rows(&format!(
                "SELECT seq FROM messages WHERE chat_key = 'g:{group}' ORDER BY seq"
            ))
            .into_iter()
            .map(|r| r[0].parse().unwrap())
            .collect();
        assert_eq!(seqs, (1..=100).collect::<Vec<i64>>(), "group {group}");
    }
    let stored: HashSet<String> = cluster
        .rows("SELECT msg_id FROM messages")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(stored, acked, "every acknowledged message, and only those");
}

/// A service the tests start (an object store, a NATS server), listening on a loopback port;
/// killed when dropped.
struct Listening(std::process::Child);

impl Listening {
    /// Runs `command` and waits up to 5 s for it to accept connections on `port`.
    async fn start(command: &mut std::process::Command, port: u16) -> Listening {
        let child = command
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{command:?}: {e}"));
        let service = Listening(child);
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return service;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("{command:?} did not listen on port {port} within 5 s");
    }

    /// SIGKILL, no warning.
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An `s3s-fs` (an S3-compatible server from crates.io, `.ci/s3.sh`) with the bucket `media`;
/// `None` (skipped) without one, except under CI.
struct ObjectStore {
    _process: Listening,
    port: u16,
    _root: tempfile::TempDir,
}

impl ObjectStore {
    async fn start() -> Option<ObjectStore> {
        let Some(binary) = std::env::var_os("CLOUDLAKE_TEST_S3FS") else {
            assert!(
                std::env::var_os("CLOUDLAKE_REQUIRE_S3").is_none(),
                "CLOUDLAKE_REQUIRE_S3 is set but CLOUDLAKE_TEST_S3FS is not"
            );
            eprintln!("skipped: CLOUDLAKE_TEST_S3FS not set (.ci/s3.sh installs s3s-fs)");
            return None;
        };
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("media")).unwrap();
        let port = common::free_port();
        let process = Listening::start(
            std::process::Command::new(binary)
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .args(["--access-key", "cluster", "--secret-key", "cluster-secret"])
                .arg(root.path()),
            port,
        )
        .await;
        Some(ObjectStore {
            _process: process,
            port,
            _root: root,
        })
    }
}

#[tokio::test]
async fn node_b_serves_an_upload_made_through_node_a_from_the_shared_bucket() {
    let Some(s3) = ObjectStore::start().await else {
        return;
    };
    let endpoint = format!("http://127.0.0.1:{}", s3.port);
    let flags = [
        "--media-s3-bucket",
        "media",
        "--media-s3-endpoint",
        &endpoint,
    ];
    let env = [
        ("AWS_ACCESS_KEY_ID", "cluster"),
        ("AWS_SECRET_ACCESS_KEY", "cluster-secret"),
    ];
    let Some(cluster) = Cluster::start_with(&flags, &env) else {
        return;
    };
    let (port, _hooks) = common::webhook_sink();
    let tokens = setup(&cluster.a, port).await;
    let http = reqwest::Client::new();
    let bytes: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let uploaded: Value = http
        .post(format!(
            "{}/api/v1/uploads/file?name=notes.bin",
            cluster.a.base
        ))
        .bearer_auth(&tokens.users[0])
        .body(bytes.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = uploaded["key"].as_str().unwrap();
    let served = http
        .get(format!("{}/media/{key}", cluster.b.base))
        .bearer_auth(&tokens.users[0])
        .send()
        .await
        .unwrap();
    assert_eq!(served.status().as_u16(), 200);
    assert_eq!(served.bytes().await.unwrap().as_ref(), bytes.as_slice());
}

/// Whether `nats-server` is on the PATH (under CI it must be; a test without it is skipped).
fn nats_server_found() -> bool {
    let found = std::process::Command::new("nats-server")
        .arg("--version")
        .output()
        .is_ok();
    if !found {
        assert!(
            std::env::var("CLOUDLAKE_REQUIRE_CLUSTER").as_deref() != Ok("1"),
            "CLOUDLAKE_REQUIRE_CLUSTER=1 but there is no nats-server (.ci/nats.sh installs it)"
        );
        eprintln!("skipped: no nats-server");
    }
    found
}

/// Three nats-servers in one NATS cluster (full mesh of routes) on loopback.
struct NatsCluster {
    servers: Vec<Listening>,
    ports: Vec<u16>,
}

impl NatsCluster {
    /// `None` (skipped) without `nats-server` on the PATH, except under CI.
    async fn start() -> Option<NatsCluster> {
        if !nats_server_found() {
            return None;
        }
        let ports: Vec<u16> = (0..3).map(|_| common::free_port()).collect();
        let routes: Vec<u16> = (0..3).map(|_| common::free_port()).collect();
        let monitors: Vec<u16> = (0..3).map(|_| common::free_port()).collect();
        let mut servers = Vec::new();
        for i in 0..3 {
            let others: Vec<String> = (0..3)
                .filter(|&j| j != i)
                .map(|j| format!("nats://127.0.0.1:{}", routes[j]))
                .collect();
            let mut command = std::process::Command::new("nats-server");
            command
                .args(["-a", "127.0.0.1", "-p", &ports[i].to_string()])
                .args(["-m", &monitors[i].to_string()])
                .args(["--cluster_name", "cloudlake-test"])
                .args(["--cluster", &format!("nats://127.0.0.1:{}", routes[i])])
                .args(["--routes", &others.join(",")]);
            servers.push(Listening::start(&mut command, ports[i]).await);
        }
        // Routes first: a message published before they are up would reach no other server.
        let http = reqwest::Client::new();
        for monitor in monitors {
            let started = Instant::now();
            loop {
                let routez: Value = http
                    .get(format!("http://127.0.0.1:{monitor}/routez"))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                if routez["num_routes"].as_u64() >= Some(2) {
                    break;
                }
                assert!(
                    started.elapsed() < Duration::from_secs(10),
                    "the NATS cluster's routes did not form: {routez}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Some(NatsCluster { servers, ports })
    }

    /// Every server's URL, server `first` first and the others after it in turn (a node
    /// connects to the first that answers).
    fn urls_from(&self, first: usize) -> String {
        (0..3)
            .map(|i| format!("nats://127.0.0.1:{}", self.ports[(first + i) % 3]))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// A person's live feed on `base`, read like a client does from the socket `ws` (already
/// past its hello): message frames collected, and on a `resync` frame or a closed socket, a
/// reconnect from the last cursor. Returns the message frames and the number of reconnects
/// once `target` (when it is known, not 0) have arrived, or after 30 s.
async fn follow(
    base: String,
    token: String,
    mut ws: Ws,
    from: i64,
    target: tokio::sync::watch::Receiver<usize>,
) -> (Vec<Value>, usize) {
    let host = base.strip_prefix("http://").unwrap().to_owned();
    let (mut frames, mut reconnects, mut cursor) = (Vec::new(), 0, from);
    let started = Instant::now();
    loop {
        loop {
            let want = *target.borrow();
            if want > 0 && frames.len() >= want {
                return (frames, reconnects);
            }
            if started.elapsed() > Duration::from_secs(30) {
                // What came is compared with what was sent below.
                return (frames, reconnects);
            }
            let frame = match tokio::time::timeout(Duration::from_millis(500), ws.next()).await {
                Err(_) => continue,
                Ok(Some(Ok(Message::Text(text)))) => serde_json::from_str::<Value>(&text).unwrap(),
                Ok(Some(Ok(_))) => continue,
                Ok(None | Some(Err(_))) => break,
            };
            match frame["type"].as_str() {
                Some("message") => {
                    cursor = frame["cursor"].as_i64().unwrap();
                    frames.push(frame);
                }
                Some("resync") => {
                    cursor = frame["cursor"].as_i64().unwrap();
                    break;
                }
                _ => {}
            }
        }
        reconnects += 1;
        let url = format!("ws://{host}/api/v1/live?token={token}&cursor={cursor}");
        ws = tokio_tungstenite::connect_async(url).await.unwrap().0;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_three_nats_servers_losing_one_mid_burst_loses_nothing_and_keeps_the_order() {
    let Some(mut nats) = NatsCluster::start().await else {
        return;
    };
    // Node A on server 0, node B on server 1: every commit of one reaches the other over a
    // route, and the two nodes' commits interleave.
    let Some(cluster) = Cluster::start_full(Some([nats.urls_from(0), nats.urls_from(1)]), &[], &[])
    else {
        return;
    };
    let (port, _hooks) = common::webhook_sink();
    let tokens = setup(&cluster.a, port).await;
    let (target_tx, target) = tokio::sync::watch::channel(0usize);
    // Connected before the first send, so that everything sent is theirs to receive.
    let mut readers = Vec::new();
    for (node, token) in [
        (&cluster.a, &tokens.users[0]),
        (&cluster.b, &tokens.users[1]),
    ] {
        let (ws, hello) = live(node, token, None).await;
        let from = hello["cursor"].as_i64().unwrap();
        let (base, token) = (node.base.clone(), token.clone());
        readers.push(tokio::spawn(follow(base, token, ws, from, target.clone())));
    }
    let requests = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let senders: Vec<_> = [&cluster.a, &cluster.b]
        .into_iter()
        .map(|node| {
            let (base, bot) = (node.base.clone(), tokens.bot.clone());
            let requests = requests.clone();
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let mut sent = Vec::new();
                for i in 0..150 {
                    sent.extend(send_to_groups(&http, &base, &bot, &format!("{base} {i}")).await);
                    requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                sent
            })
        })
        .collect();
    // A third of the way into the burst, node B's NATS server dies with no warning.
    while requests.load(std::sync::atomic::Ordering::Relaxed) < 100 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    nats.servers[1].kill();
    let mut sent = Vec::new();
    for sender in senders {
        sent.extend(sender.await.unwrap());
    }
    target_tx.send(sent.len()).unwrap();
    for reader in readers {
        let (frames, reconnects) = reader.await.unwrap();
        eprintln!("{} messages, {reconnects} reconnects", frames.len());
        let got: Vec<String> = msg_ids(&frames);
        let missing: Vec<&String> = sent.iter().filter(|id| !got.contains(id)).collect();
        assert!(
            missing.is_empty(),
            "{} of {} arrived; missing {missing:?}; cursors heard {:?}",
            got.len(),
            sent.len(),
            frames
                .iter()
                .map(|f| (
                    f["cursor"].as_i64().unwrap(),
                    f["message"]["msgId"]
                        .as_str()
                        .unwrap()
                        .get(..6)
                        .unwrap_or("")
                        .to_owned()
                ))
                .collect::<Vec<_>>()
        );
        assert_eq!(got.len(), sent.len(), "as many as were sent");
        let unique: HashSet<&String> = got.iter().collect();
        assert_eq!(unique.len(), got.len(), "each once");
        assert_eq!(unique, sent.iter().collect::<HashSet<_>>(), "every one");
        // In commit order: cursors increase, and each group's seq goes 1, 2, 3… with no gap.
        let cursors: Vec<i64> = frames
            .iter()
            .map(|f| f["cursor"].as_i64().unwrap())
            .collect();
        assert!(cursors.windows(2).all(|w| w[0] < w[1]), "cursors increase");
        for group in GROUPS {
            let seqs: Vec<i64> = frames
                .iter()
                .filter(|f| f["message"]["chatId"] == group)
                .map(|f| f["message"]["seq"].as_i64().unwrap())
                .collect();
            assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>(), "{group}");
        }
    }
}

/// A NATS server that stops answering (SIGSTOP: its sockets stay open, so the nodes do not
/// see it gone) does not hold up writes: callers are answered once their commit is durable,
/// and the publish waits on the node's publishing thread. (Published on the writer's thread,
/// each batch waited up to the 2 s publish timeout for NATS before its callers were
/// answered.) Nor does it hold up a live session long: after one timeout the publishing
/// thread stops waiting for echoes. Once the server answers again, a person on the other
/// node gets every message, live or by resyncing.
#[tokio::test]
async fn a_nats_server_that_stops_answering_does_not_hold_up_writes() {
    if !nats_server_found() {
        return;
    }
    let nats_port = common::free_port();
    let server = Listening::start(
        std::process::Command::new("nats-server").args([
            "-a",
            "127.0.0.1",
            "-p",
            &nats_port.to_string(),
        ]),
        nats_port,
    )
    .await;
    let url = format!("nats://127.0.0.1:{nats_port}");
    let Some(cluster) = Cluster::start_full(Some([url.clone(), url]), &[], &[]) else {
        return;
    };
    let (port, _hooks) = common::webhook_sink();
    let tokens = setup(&cluster.a, port).await;
    let (ws, hello) = live(&cluster.b, &tokens.users[1], None).await;
    let from = hello["cursor"].as_i64().unwrap();
    let (target_tx, target) = tokio::sync::watch::channel(0usize);
    let reader = tokio::spawn(follow(
        cluster.b.base.clone(),
        tokens.users[1].clone(),
        ws,
        from,
        target,
    ));
    let signal = |sig: &str| {
        let done = std::process::Command::new("kill")
            .args([sig, &server.0.id().to_string()])
            .status()
            .unwrap();
        assert!(done.success(), "kill {sig}");
    };
    signal("-STOP");
    let http = reqwest::Client::new();
    let started = Instant::now();
    let mut sent = Vec::new();
    for i in 0..5 {
        let text = format!("while NATS is stopped {i}");
        sent.extend(send_to_groups(&http, &cluster.a.base, &tokens.bot, &text).await);
    }
    let took = started.elapsed();
    // A person connecting to node A now is let in once the commits queued before them are
    // published: the first waits out the 2 s publish timeout; the rest, the bus failing,
    // do not wait for their echo.
    let connecting = Instant::now();
    let (_ws, _) = live(&cluster.a, &tokens.users[0], None).await;
    let let_in = connecting.elapsed();
    signal("-CONT");
    assert!(
        took < Duration::from_secs(5),
        "five sends took {took:?} with NATS stopped: the callers waited for the bus"
    );
    assert!(
        let_in < Duration::from_secs(5),
        "a live session waited {let_in:?} to register with NATS stopped"
    );
    target_tx.send(sent.len()).unwrap();
    let (frames, reconnects) = reader.await.unwrap();
    eprintln!("{} messages, {reconnects} reconnects", frames.len());
    let got: HashSet<String> = msg_ids(&frames).into_iter().collect();
    assert_eq!(frames.len(), sent.len(), "each once");
    assert_eq!(got, sent.into_iter().collect::<HashSet<_>>(), "every one");
}

#[tokio::test]
async fn what_node_a_remembers_between_batches_gives_way_to_a_change_made_on_node_b() {
    let (port, _hooks) = common::webhook_sink();
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let tokens = setup(&cluster.a, port).await;
    let http = reqwest::Client::new();
    // Node A's writer looks up the bot's groups and name once and keeps them while no other
    // node commits (issue 18's fast path); node B's commits must end that.
    assert_eq!(
        send_to_groups(&http, &cluster.a.base, &tokens.bot, "before")
            .await
            .len(),
        2
    );
    admin(
        &cluster.b,
        reqwest::Method::DELETE,
        &format!("/groups/{}/bots/{BOT}", GROUPS[0]),
        json!({}),
    )
    .await;
    let reply = batch_send(&http, &cluster.a.base, &tokens.bot, "after").await;
    let sent: Vec<&str> = reply["data"]["successList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["recvId"].as_str().unwrap())
        .collect();
    assert_eq!(
        sent,
        [GROUPS[1]],
        "the group the bot left on node B: {reply}"
    );
}

#[test]
fn an_unreachable_database_is_a_clear_error_at_start_and_its_password_is_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(common::BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        // Port 1 on loopback: nothing listens there.
        .args([
            "--database-url",
            "postgres://bob:hunter2@127.0.0.1:1/cloudlake",
        ])
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stderr.contains("cannot start: store: postgres: error connecting to server: "),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("error connecting to server").count(),
        1,
        "said once: {stderr}"
    );
    assert!(!stderr.contains("hunter2") && !stdout.contains("hunter2"));
    assert!(
        stdout.contains("postgres://***@127.0.0.1:1/cloudlake"),
        "{stdout}"
    );
}
