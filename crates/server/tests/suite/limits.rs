//! Resource limits: a request that takes too long (here: a body that never finishes arriving)
//! is answered with a time-out — the envelope on the bot API, 408 on ours — and WebSockets are
//! capped in all and per IP address, the places given back when sockets close.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::Duration;

use crate::common::{TestServer, Ws};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Sends a request head announcing a 100-byte body, and only 10 bytes of it; returns the
/// status and body of the answer (read for at most 10 s).
async fn slow_body(server: &TestServer, path: &str, auth: &str) -> (u16, Value) {
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: 100\r\nConnection: close\r\n\r\n{{\"recvId\":"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("answered within 10 s")
        .unwrap();
    let answer = String::from_utf8(answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer.split_once("\r\n\r\n").unwrap().1;
    (status, serde_json::from_str(body).unwrap())
}

#[tokio::test]
async fn a_request_that_takes_too_long_is_answered_with_a_time_out() {
    let server =
        TestServer::start_with(|c| c.limits.request_timeout = Duration::from_secs(1)).await;
    let user = server.user("7756242", "Alice").await;
    server.group("307149245", &["7756242"]).await;
    let bot = server.bot("86297657").await;
    server.join("86297657", "307149245").await;

    let (status, reply) =
        slow_body(&server, &format!("/open-apis/v1/bot/send?token={bot}"), "").await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["code"], -1, "{reply}");
    assert_eq!(reply["msg"], "请求超时");

    let (status, reply) = slow_body(
        &server,
        "/api/v1/chats/group/307149245/messages",
        &format!("Authorization: Bearer {user}\r\n"),
    )
    .await;
    assert_eq!(status, 408, "{reply}");
    assert_eq!(reply["error"]["code"], "timeout");
    // Nothing was stored.
    assert!(
        server
            .history_ids(&bot, "group", "307149245")
            .await
            .is_empty()
    );
}

/// Opens a user's live socket from `from` (a loopback address); `Err(status)` if refused.
async fn live_from(server: &TestServer, token: &str, from: [u8; 4]) -> Result<Ws, u16> {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((from, 0))).unwrap();
    let stream = socket.connect(server.addr).await.unwrap();
    let url = format!("ws://{}/api/v1/live?token={token}", server.addr);
    match tokio_tungstenite::client_async(url, tokio_tungstenite::MaybeTlsStream::Plain(stream))
        .await
    {
        Ok((mut ws, _)) => {
            let hello = crate::common::next_frame(&mut ws).await.unwrap();
            assert_eq!(hello["type"], "hello");
            Ok(ws)
        }
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => Err(resp.status().as_u16()),
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test]
async fn websockets_are_capped_in_all_and_per_ip() {
    let server = TestServer::start_with(|c| {
        c.limits.max_websockets = 3;
        c.limits.max_websockets_per_ip = 2;
    })
    .await;
    let alice = server.user("7756242", "Alice").await;
    let bot = server.bot("86297657").await;
    const A: [u8; 4] = [127, 0, 0, 1];
    const B: [u8; 4] = [127, 0, 0, 2];

    let a1 = live_from(&server, &alice, A).await.unwrap();
    let _a2 = live_from(&server, &alice, A).await.unwrap();
    assert_eq!(
        live_from(&server, &alice, A).await.err(),
        Some(429),
        "per IP"
    );
    // Bot sockets count too, against the same caps.
    let refused =
        tokio_tungstenite::connect_async(format!("ws://{}/subscribe?token={bot}", server.addr))
            .await;
    assert!(
        matches!(refused, Err(tokio_tungstenite::tungstenite::Error::Http(ref r)) if r.status() == 429),
        "{refused:?}"
    );
    let _b1 = live_from(&server, &alice, B).await.unwrap();
    assert_eq!(
        live_from(&server, &alice, B).await.err(),
        Some(429),
        "in all"
    );

    // A socket that closes gives its place back.
    drop(a1);
    let mut again = Err(0);
    for _ in 0..100 {
        again = live_from(&server, &alice, A).await;
        if again.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(again.is_ok(), "the place is given back: {:?}", again.err());
}
