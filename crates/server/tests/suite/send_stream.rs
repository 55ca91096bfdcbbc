//! `bot/send-stream`: raw bodies with or without chunking and Content-Type, visible to live
//! clients while streaming, stored whole at the end.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use crate::common::{TestServer, next_frame};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BOT: &str = "86297657";
const GROUP: &str = "307149245";
const USER: &str = "7756242";

async fn setup() -> (TestServer, String, String) {
    let server = TestServer::start().await;
    let bot = server.bot(BOT).await;
    let user = server.user(USER, "Alice").await;
    server.group(GROUP, &[USER]).await;
    server.join(BOT, GROUP).await;
    server.follow(BOT, USER).await;
    (server, bot, user)
}

#[tokio::test]
async fn a_content_length_body_without_content_type_is_stored_like_nonebot_sends_it() {
    let (server, bot, _) = setup().await;
    // nonebot: no Content-Type, no chunking.
    let resp = server
        .http
        .post(server.url(&format!(
            "/open-apis/v1/bot/send-stream?recvId={USER}&recvType=user&contentType=text&token={bot}"
        )))
        .body("echo:hello private")
        .send()
        .await
        .unwrap();
    let reply = crate::common::envelope(resp).await;
    assert_eq!(reply["code"], 1, "{reply}");
    let info = &reply["data"]["messageInfo"];
    assert!(crate::common::is_msg_id(&info["msgId"]));
    assert_eq!(
        (info["recvId"].as_str(), info["recvType"].as_str()),
        (Some(USER), Some("user"))
    );

    let history = server
        .messages(
            &bot,
            &[("chat-id", USER), ("chat-type", "user"), ("before", "1")],
        )
        .await;
    let message = &history["data"]["list"][0];
    assert_eq!(message["msgId"], info["msgId"]);
    assert_eq!(
        message["content"],
        json!({"text": "echo:hello private", "tip": "本内容由AI生成，仅供参考"})
    );
}

#[tokio::test]
async fn a_chunked_stream_is_visible_live_before_it_ends() {
    let (server, bot, user) = setup().await;
    let (mut ws, _) = server.live(&user, None).await;

    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST /open-apis/v1/bot/send-stream?recvId={GROUP}&recvType=group&contentType=markdown&token={bot} HTTP/1.1\r\n\
         Host: 127.0.0.1\r\nContent-Type: text/markdown\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let first = "# 你好，";
    tcp.write_all(format!("{:x}\r\n{first}\r\n", first.len()).as_bytes())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(250)).await;
    let second = "世界";
    tcp.write_all(format!("{:x}\r\n{second}\r\n", second.len()).as_bytes())
        .await
        .unwrap();

    // The first part is on screen while the request is still open.
    let frame = next_frame(&mut ws).await.expect("a streaming frame");
    assert_eq!(frame["type"], "message.streaming", "{frame}");
    assert_eq!(frame["message"]["seq"], 0);
    assert!(
        frame["message"]["content"]["text"]
            .as_str()
            .unwrap()
            .starts_with(first)
    );
    let msg_id = frame["message"]["msgId"].as_str().unwrap().to_owned();

    tcp.write_all(b"0\r\n\r\n").await.unwrap();
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&response).contains("\"msg\"") {
        let n = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "connection closed early");
        response.extend_from_slice(&buf[..n]);
    }
    let response = String::from_utf8(response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let body: Value = serde_json::from_str(response.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["data"]["messageInfo"]["msgId"], msg_id.as_str());

    // Then the stored message, whole, with the same msgId.
    let stored = loop {
        let frame = next_frame(&mut ws).await.expect("the stored message");
        if frame["type"] == "message" {
            break frame;
        }
    };
    assert_eq!(stored["message"]["msgId"], msg_id.as_str());
    assert_eq!(stored["message"]["content"]["text"], "# 你好，世界");
    assert_eq!(stored["message"]["contentType"], "markdown");
}

#[tokio::test]
async fn bad_streams_are_refused_and_store_nothing() {
    let (server, bot, _) = setup().await;
    let bot = &bot;
    let server = &server;
    let post = |query: String, body: &'static str| async move {
        let resp = server
            .http
            .post(server.url(&format!(
                "/open-apis/v1/bot/send-stream?{query}&token={bot}"
            )))
            .body(body)
            .send()
            .await
            .unwrap();
        crate::common::envelope(resp).await
    };
    assert_eq!(
        post(
            format!("recvId={GROUP}&recvType=group&contentType=html"),
            "x"
        )
        .await,
        json!({"code": 1002, "msg": "contentType取值错误，流式消息仅支持text、markdown"})
    );
    assert_eq!(
        post(
            format!("recvId={GROUP}&recvType=channel&contentType=text"),
            "x"
        )
        .await,
        json!({"code": 1002, "msg": "recvType取值错误，取值仅支持group、user"})
    );
    assert_eq!(
        post("recvId=404&recvType=group&contentType=text".into(), "x").await,
        json!({"code": -1, "msg": format!("群(ID:404)中未添加当前机器人(ID: {BOT})。")})
    );
    assert_eq!(
        post("recvId=4827368&recvType=user&contentType=text".into(), "x").await,
        json!({"code": 1003, "msg": "recvId值错误，该用户不是机器人好友"})
    );
    assert_eq!(
        post(
            format!("recvId={GROUP}&recvType=group&contentType=text"),
            ""
        )
        .await,
        json!({"code": 1002, "msg": "消息内容不能为空"})
    );
    assert!(server.history_ids(bot, "group", GROUP).await.is_empty());
}
