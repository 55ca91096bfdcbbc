//! The NATS bus between nodes, against a real nats-server on loopback (`.ci/nats.sh` starts
//! one; set `CLOUDLAKE_TEST_NATS_URL=nats://127.0.0.1:4222`). Without it these tests say they
//! are skipped and pass, unless `CLOUDLAKE_REQUIRE_CLUSTER=1` (CI), where they fail.
//!
//! Each test uses a subject of its own, so tests running in parallel on one server never hear
//! each other. The nodes here have a SQLite store each (shared storage is PostgreSQL's part),
//! so what is tested is the bus: what one node commits reaches its own sockets and every
//! other node's, once, in order, byte for byte; wake-ups cross nodes; failures are bounded.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{TestServer, Ws, next_frame, quiet};
use cloudlake_server::bus::Bus;
use cloudlake_server::bus::nats::{NatsBus, NatsOptions};
use cloudlake_server::config::ServiceUrl;
use cloudlake_server::gateway::{Gateway, Outbound};
use cloudlake_server::store::{Chat, Durability, NoSink, Store, Wake};
use cloudlake_server::{Config, ServeError, Server};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::mpsc;

const BOT: &str = "86297657";
const GROUP: &str = "307149245";
const USER: &str = "1000001";

/// The test NATS server, or `None` (and a note) when there is none to use.
fn nats_url() -> Option<String> {
    match std::env::var("CLOUDLAKE_TEST_NATS_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var("CLOUDLAKE_REQUIRE_CLUSTER").as_deref() == Ok("1") => {
            panic!("CLOUDLAKE_REQUIRE_CLUSTER=1 but CLOUDLAKE_TEST_NATS_URL is not set")
        }
        _ => {
            eprintln!("skipped: CLOUDLAKE_TEST_NATS_URL not set");
            None
        }
    }
}

/// A subject no other test uses.
fn subject() -> String {
    format!("cloudlake.test.{}", uuid::Uuid::new_v4().simple())
}

fn options(url: &str, subject: &str) -> NatsOptions {
    let mut options = NatsOptions::new(url);
    options.subject = subject.to_owned();
    options
}

async fn node(url: &str, subject: &str) -> TestServer {
    let (url, subject) = (url.to_owned(), subject.to_owned());
    TestServer::start_with(move |config| {
        config.nats_url = Some(ServiceUrl::new(url));
        config.nats_subject = subject;
    })
    .await
}

/// The next text frame as it came over the socket.
async fn next_text(ws: &mut Ws) -> String {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a frame within 5 s")
            .expect("the socket is open")
            .unwrap();
        if let tokio_tungstenite::tungstenite::Message::Text(text) = msg {
            return text.to_string();
        }
    }
}

/// The next frame a gateway session was handed, as text with its cursor.
async fn next_outbound(rx: &mut mpsc::Receiver<Outbound>) -> (Option<i64>, String) {
    match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
        Ok(Some(Outbound::Frame { cursor, text })) => (cursor, text.to_string()),
        other => panic!("expected a frame, got {other:?}"),
    }
}

/// A bot in a group with one user, on `server`; returns the bot and user tokens.
async fn setup(server: &TestServer) -> (String, String) {
    let bot = server.bot(BOT).await;
    let user = server.user(USER, "user").await;
    server.group(GROUP, &[USER]).await;
    server.join(BOT, GROUP).await;
    (bot, user)
}

async fn send(server: &TestServer, bot: &str, text: &str) -> String {
    let reply = server
        .post(
            "/bot/send",
            bot,
            json!({"recvId": GROUP, "recvType": "group", "contentType": "text",
                   "content": {"text": text}}),
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    reply["data"]["messageInfo"]["msgId"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nodes_commits_reach_its_own_sockets_and_another_bus_once_in_order_byte_for_byte() {
    let Some(url) = nats_url() else { return };
    let subject = subject();
    let a = node(&url, &subject).await;
    let (bot, user) = setup(&a).await;

    // Another node's bus, with one session in the group.
    let spy = Gateway::new();
    let spy_bus = NatsBus::connect(&options(&url, &subject), spy.clone())
        .await
        .unwrap();
    let (session, mut spy_rx) = spy.connect(USER);
    session.subscribe([Chat::Group {
        group_id: GROUP.into(),
    }
    .key()]);

    let (mut ws, _) = a.live(&user, None).await;
    let texts = ["一", "two 🌊", "\"three\"\n", "four"];
    let mut sent = Vec::new();
    for text in texts {
        sent.push(send(&a, &bot, text).await);
    }
    let mut cursors = Vec::new();
    for (i, msg_id) in sent.iter().enumerate() {
        let on_a = next_text(&mut ws).await;
        let frame: Value = serde_json::from_str(&on_a).unwrap();
        assert_eq!(frame["type"], "message", "{frame}");
        assert_eq!(&frame["message"]["msgId"], msg_id.as_str());
        assert_eq!(frame["message"]["content"]["text"], texts[i]);
        // The other bus decoded the very same text.
        let (cursor, on_spy) = next_outbound(&mut spy_rx).await;
        assert_eq!(on_spy, on_a, "byte for byte");
        assert_eq!(cursor.unwrap(), frame["cursor"].as_i64().unwrap());
        cursors.push(cursor.unwrap());
    }
    assert!(cursors.windows(2).all(|w| w[0] < w[1]), "{cursors:?}");
    assert!(quiet(&mut ws, 300).await, "each frame once");
    assert!(spy_rx.try_recv().is_err(), "each frame once");
    drop(spy_bus);
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_committed_on_one_node_reaches_a_socket_on_another() {
    let Some(url) = nats_url() else { return };
    let subject = subject();
    // Separate SQLite files stand in for one shared database: the same user and group on
    // both, with B set up first so that A's cursors are past what B's session has seen.
    let b = node(&url, &subject).await;
    let user_b = b.user(USER, "user").await;
    b.group(GROUP, &[USER]).await;
    let (mut ws_b, _) = b.live(&user_b, None).await;

    let a = node(&url, &subject).await;
    let (bot, user_a) = setup(&a).await;
    let (mut ws_a, _) = a.live(&user_a, None).await;
    let msg_id = send(&a, &bot, "across nodes").await;
    for ws in [&mut ws_a, &mut ws_b] {
        // (B's socket may first see frames of A's set-up.)
        loop {
            let frame = next_frame(ws).await.expect("the message");
            if frame["type"] == "message" && frame["message"]["msgId"] == msg_id.as_str() {
                break;
            }
        }
        assert!(quiet(ws, 300).await, "once");
    }
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wake_ups_cross_nodes() {
    let Some(url) = nats_url() else { return };
    let subject = subject();
    let a = node(&url, &subject).await;

    // Another node: a bus and a store of its own, listening for wake-ups.
    let dir = tempfile::tempdir().unwrap();
    let (store, writer) = Store::open(dir.path(), Durability::Normal, Arc::new(NoSink)).unwrap();
    let spy_bus = NatsBus::connect(&options(&url, &subject), Gateway::new())
        .await
        .unwrap();
    spy_bus.deliver_wakes_to(&store);
    let mut woken = store.event_signal();

    // Following a bot writes a `bot.followed` event for it: a commit with a wake-up.
    a.bot(BOT).await;
    a.user(USER, "user").await;
    a.follow(BOT, USER).await;
    let wake = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let wake = woken.recv().await.unwrap();
            if wake.concerns(BOT) {
                return wake;
            }
        }
    })
    .await
    .expect("the wake-up crossed");
    assert!(wake.concerns(BOT));

    // A wake-up alone (no changes) crosses too; the node that sent it does not hear it back
    // (it woke its own deliverers already).
    let sender = spy_bus.clone();
    let mut own = store.event_signal();
    tokio::task::spawn_blocking(move || {
        sender.publish_wake(&Wake {
            bots: vec!["only-here".into()],
            dispatcher: false,
        });
    })
    .await
    .unwrap();
    // `publish_wake` returned: the bus's own subscription has heard it back already.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), own.recv())
            .await
            .is_err(),
        "a node ignores its own wake-ups"
    );

    drop(spy_bus);
    tokio::task::spawn_blocking(move || writer.join())
        .await
        .unwrap();
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wake_alone_reaches_another_bus() {
    let Some(url) = nats_url() else { return };
    let subject = subject();
    let dir = tempfile::tempdir().unwrap();
    let (store, writer) = Store::open(dir.path(), Durability::Normal, Arc::new(NoSink)).unwrap();
    let receiver = NatsBus::connect(&options(&url, &subject), Gateway::new())
        .await
        .unwrap();
    receiver.deliver_wakes_to(&store);
    let mut woken = store.event_signal();
    let sender = NatsBus::connect(&options(&url, &subject), Gateway::new())
        .await
        .unwrap();
    let wake = Wake {
        bots: vec!["b1".into(), "机器人".into()],
        dispatcher: true,
    };
    let sent = wake.clone();
    tokio::task::spawn_blocking(move || sender.publish_wake(&sent))
        .await
        .unwrap();
    let heard = tokio::time::timeout(Duration::from_secs(5), woken.recv())
        .await
        .expect("heard")
        .unwrap();
    assert_eq!(*heard, wake);
    drop(receiver);
    tokio::task::spawn_blocking(move || writer.join())
        .await
        .unwrap();
}

/// A private nats-server on a free port, to stop and start again.
struct PrivateNats {
    child: Option<std::process::Child>,
}

impl PrivateNats {
    fn start(port: u16) -> Option<PrivateNats> {
        let child = std::process::Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()?;
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "nats-server starts"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(PrivateNats { child: Some(child) })
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateNats {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_going_away_costs_a_bounded_wait_and_a_resync_then_works_again() {
    // Needs the nats-server binary rather than a running server: it is stopped and started.
    if nats_url().is_none() {
        return;
    }
    let port = free_port();
    let mut server = PrivateNats::start(port).expect("nats-server is installed");
    let url = format!("nats://127.0.0.1:{port}");
    let gateway = Gateway::new();
    let mut opts = options(&url, &subject());
    opts.publish_timeout = Duration::from_millis(500);
    let bus = NatsBus::connect(&opts, gateway.clone()).await.unwrap();
    let (session, mut rx) = gateway.connect(USER);
    session.subscribe(["g:1".to_owned()]);
    let frame = |cursor: i64| cloudlake_server::bus::Change::Chat {
        cursor,
        chat_key: "g:1".into(),
        frame: cloudlake_server::bus::frame::Frame::Encoded(Arc::from(format!(
            "{{\"c\":{cursor}}}"
        ))),
    };
    let publish = |bus: &NatsBus, cursor: i64| {
        let bus = bus.clone();
        let change = frame(cursor);
        tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            bus.publish(vec![change]);
            started.elapsed()
        })
    };

    publish(&bus, 1).await.unwrap();
    assert_eq!(next_outbound(&mut rx).await, (Some(1), "{\"c\":1}".into()));

    let failures = cloudlake_server::metrics::metrics()
        .bus_publish_failures
        .get();
    server.stop();
    // Whether the client has noticed yet or not, publishing gives up in bounded time.
    let took = publish(&bus, 2).await.unwrap();
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert!(
        cloudlake_server::metrics::metrics()
            .bus_publish_failures
            .get()
            > failures
    );

    // NATS comes back: the client reconnects by itself, the session is told to resync (it
    // may have missed something), and publishing works again.
    let _server = PrivateNats::start(port).expect("restarts");
    let started = Instant::now();
    loop {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "reconnects and publishes again"
        );
        publish(&bus, 3).await.unwrap();
        if session.is_lagging() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (mut session2, mut rx2) = gateway.connect(USER);
    session2.subscribe(["g:1".to_owned()]);
    let started = Instant::now();
    loop {
        // Generous: a loaded CI machine runs this beside the whole suite.
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "frames flow again (publish failures: {})",
            cloudlake_server::metrics::metrics()
                .bus_publish_failures
                .get()
        );
        // The reconnection is told twice, in either order: by the gap in the sequence numbers
        // and by the client's `Connected` event. The second can mark this new session lagging
        // too; a real client then resyncs over a new session, and so does this one.
        if session2.is_lagging() {
            (session2, rx2) = gateway.connect(USER);
            session2.subscribe(["g:1".to_owned()]);
        }
        publish(&bus, 4).await.unwrap();
        if let Ok(Outbound::Frame {
            cursor: Some(4), ..
        }) = rx2.try_recv()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(rx);
}

#[tokio::test]
async fn an_unreachable_nats_at_start_is_a_clear_error_without_credentials() {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.admin_token = Some(crate::common::ADMIN_TOKEN.into());
    config.nats_url = Some(ServiceUrl::new("nats://alice:s3cret@127.0.0.1:1"));
    let started = Instant::now();
    let err = match Server::bind(config).await {
        Ok(_) => panic!("started without NATS"),
        Err(err) => err,
    };
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(matches!(err, ServeError::Nats(_)), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("cannot connect to NATS at nats://***@127.0.0.1:1"),
        "{text}"
    );
    assert!(!text.contains("s3cret") && !format!("{err:?}").contains("s3cret"));
}
