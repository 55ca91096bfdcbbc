//! `bot/send` and `bot/batch_send` against a running server: success shapes, per-recipient
//! failure, the exact error texts clients parse, and bad input that must change nothing.

#![allow(clippy::unwrap_used)]

use crate::common::{TestServer, is_msg_id, text};
use serde_json::{Value, json};

const BOT: &str = "86297657";
const G1: &str = "307149245";
const G2: &str = "665344168";

/// The original batch_send page's request body, byte for byte.
const PAGE_REQUEST: &str =
    include_str!("../../../protocol/tests/fixtures/batch_send_page_request.json");

/// Two groups with the IDs of Yunhu's examples with the bot in both, a follower and a stranger.
async fn setup() -> (TestServer, String) {
    let server = TestServer::start().await;
    let token = server.bot(BOT).await;
    server.user("7756242", "小学不在这里哦").await;
    server.user("4827368", "stranger").await;
    server.group(G1, &["7756242"]).await;
    server.group(G2, &[]).await;
    server.join(BOT, G1).await;
    server.join(BOT, G2).await;
    server.follow(BOT, "7756242").await;
    (server, token)
}

#[tokio::test]
async fn original_page_request_sends_to_both_groups_with_distinct_ids() {
    let (server, token) = setup().await;
    let reply = server
        .post_raw("/bot/batch_send", &token, PAGE_REQUEST)
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    assert_eq!(reply["msg"], "success");
    let data = &reply["data"];
    assert_eq!(data["successCount"], 2);
    let list = data["successList"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["recvId"], G1);
    assert_eq!(list[1]["recvId"], G2);
    assert!(
        list.iter()
            .all(|m| m["recvType"] == "group" && is_msg_id(&m["msgId"]))
    );
    assert_ne!(list[0]["msgId"], list[1]["msgId"]);

    for (entry, group) in list.iter().zip([G1, G2]) {
        let history = server
            .messages(
                &token,
                &[("chat-id", group), ("chat-type", "group"), ("before", "10")],
            )
            .await;
        assert_eq!(history["data"]["total"], 1);
        let message = &history["data"]["list"][0];
        assert_eq!(message["msgId"], entry["msgId"]);
        assert_eq!(
            message["content"],
            json!({"text": "这里是消息内容", "buttons": [[
                {"text": "复制", "actionType": 2, "value": "xxxx"},
                {"text": "点击跳转", "actionType": 1, "url": "http://www.baidu.com"}]]})
        );
        assert_eq!(message["senderId"], BOT);
        assert_eq!(message["senderType"], "bot");
        assert_eq!(message["senderNickname"], format!("bot {BOT}"));
        assert_eq!(message["parentId"], "");
        assert_eq!(message["commandName"], "");
        assert_eq!(message["commandId"], 0);
        assert!(message["sendTime"].as_i64().unwrap() > 1_700_000_000_000);
    }
}

#[tokio::test]
async fn send_to_a_group_and_to_a_follower_answers_message_info() {
    let (server, token) = setup().await;
    for (recv_type, recv_id) in [("group", G1), ("user", "7756242")] {
        let reply = server
            .post("/bot/send", &token, text(recv_type, recv_id, "hi"))
            .await;
        assert_eq!(reply["code"], 1, "{reply}");
        let info = &reply["data"]["messageInfo"];
        assert!(is_msg_id(&info["msgId"]), "{reply}");
        assert_eq!(info["recvId"], recv_id);
        assert_eq!(info["recvType"], recv_type);
        let ids = server.history_ids(&token, recv_type, recv_id).await;
        assert_eq!(ids, [info["msgId"].as_str().unwrap()]);
    }
}

#[tokio::test]
async fn send_to_a_group_without_the_bot_gives_the_text_adapters_parse() {
    let (server, token) = setup().await;
    server.group("112869497", &[]).await;
    // A group the bot is not in, and groups that do not exist (koishi's and eris' probes).
    for group in ["112869497", "不存在的群组ID", "999"] {
        let reply = server
            .post("/bot/send", &token, text("group", group, "x"))
            .await;
        assert_eq!(
            reply,
            json!({"code": -1, "msg": format!("群(ID:{group})中未添加当前机器人(ID: {BOT})。")})
        );
    }
}

#[tokio::test]
async fn send_to_a_user_who_does_not_follow_the_bot_is_refused() {
    let (server, token) = setup().await;
    for user in ["4827368", "0000000"] {
        let reply = server
            .post("/bot/send", &token, text("user", user, "x"))
            .await;
        assert_eq!(
            reply,
            json!({"code": 1003, "msg": "recvId值错误，该用户不是机器人好友"})
        );
    }
    assert!(
        server
            .history_ids(&token, "user", "4827368")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn tokens_are_checked_on_every_call() {
    let (server, _) = setup().await;
    let body = text("group", G1, "x").to_string();
    for path in [
        "/bot/send",
        "/bot/batch_send",
        "/bot/edit",
        "/bot/recall",
        "/bot/messages",
    ] {
        let missing = server
            .http
            .post(server.url(&format!("/open-apis/v1{path}")))
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(
            crate::common::envelope(missing).await,
            json!({"code": 1002, "msg": "token不存在"})
        );
        let empty = server.post_raw(path, "", body.clone()).await;
        assert_eq!(empty, json!({"code": 1002, "msg": "token不存在"}));
        let wrong = server
            .post_raw(path, "016ec8e4d17a4fbda3ccb0e99b44aca0", body.clone())
            .await;
        assert_eq!(wrong, json!({"code": 1003, "msg": "非法token"}));
    }
}

#[tokio::test]
async fn any_content_type_header_or_none_is_read_as_json() {
    let (server, token) = setup().await;
    let body = text("group", G1, "x").to_string();
    for content_type in [
        None,
        Some("application/json; charset=utf-8"),
        Some("text/plain"),
    ] {
        let mut req = server
            .http
            .post(server.url(&format!("/open-apis/v1/bot/send?token={token}")))
            .body(body.clone());
        if let Some(ct) = content_type {
            req = req.header("Content-Type", ct);
        }
        let reply = crate::common::envelope(req.send().await.unwrap()).await;
        assert_eq!(reply["code"], 1, "{content_type:?}: {reply}");
    }
}

#[tokio::test]
async fn a_quote_is_kept_when_it_names_a_message_of_the_chat_and_dropped_otherwise() {
    let (server, token) = setup().await;
    let first = server
        .post("/bot/send", &token, text("group", G1, "first"))
        .await;
    let first_id = first["data"]["messageInfo"]["msgId"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = server
        .post("/bot/send", &token, text("group", G2, "elsewhere"))
        .await;
    let other_id = other["data"]["messageInfo"]["msgId"]
        .as_str()
        .unwrap()
        .to_owned();

    for (parent, expected) in [
        (json!(first_id), first_id.as_str()),
        (json!("False"), ""),
        (json!(other_id), ""),
        (json!(null), ""),
    ] {
        let mut body = text("group", G1, "reply");
        body["parentId"] = parent.clone();
        let reply = server.post("/bot/send", &token, body).await;
        assert_eq!(reply["code"], 1, "{parent}: {reply}");
        let history = server
            .messages(
                &token,
                &[("chat-id", G1), ("chat-type", "group"), ("before", "1")],
            )
            .await;
        assert_eq!(history["data"]["list"][0]["parentId"], expected, "{parent}");
    }
}

#[tokio::test]
async fn batch_send_leaves_out_the_recipients_it_cannot_reach() {
    let (server, token) = setup().await;
    server.group("555000111", &[]).await; // exists, bot not in it
    let reply = server
        .post(
            "/bot/batch_send",
            &token,
            json!({"recvIds": [G1, "555000111", "nope", G2, G1], "recvType": "group",
                   "contentType": "markdown", "content": {"text": "**hi**"}}),
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    assert_eq!(reply["data"]["successCount"], 2);
    let recv: Vec<&str> = reply["data"]["successList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["recvId"].as_str().unwrap())
        .collect();
    assert_eq!(recv, [G1, G2], "duplicates are sent once");
    assert_eq!(server.history_ids(&token, "group", G1).await.len(), 1);

    // Users: only the follower gets it.
    let reply = server
        .post(
            "/bot/batch_send",
            &token,
            json!({"recvIds": ["7756242", "4827368"], "recvType": "user", "contentType": "text",
                   "content": {"text": "hello"}}),
        )
        .await;
    assert_eq!(reply["data"]["successCount"], 1, "{reply}");
    assert_eq!(reply["data"]["successList"][0]["recvId"], "7756242");
}

#[tokio::test]
async fn batch_send_where_every_recipient_fails_is_code_1_with_an_empty_list() {
    let (server, token) = setup().await;
    let reply = server
        .post(
            "/bot/batch_send",
            &token,
            json!({"recvIds": ["4827368"], "recvType": "user", "contentType": "text", "content": {"text": "x"}}),
        )
        .await;
    assert_eq!(
        reply,
        json!({"code": 1, "msg": "success", "data": {"successCount": 0, "successList": []}})
    );
}

#[tokio::test]
async fn batch_send_takes_200_recipients_and_refuses_201_without_storing_anything() {
    let (server, token) = setup().await;
    let mut ids: Vec<String> = (0..199).map(|i| format!("9{i:08}")).collect();
    ids.push(G1.into());
    let ok = server
        .post(
            "/bot/batch_send",
            &token,
            json!({"recvIds": ids, "recvType": "group", "contentType": "text", "content": {"text": "x"}}),
        )
        .await;
    assert_eq!(ok["data"]["successCount"], 1, "{ok}");

    ids.push(G2.into());
    let refused = server
        .post(
            "/bot/batch_send",
            &token,
            json!({"recvIds": ids, "recvType": "group", "contentType": "text", "content": {"text": "x"}}),
        )
        .await;
    assert_eq!(refused["code"], 1002, "{refused}");
    assert!(server.history_ids(&token, "group", G2).await.is_empty());
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let (server, token) = setup().await;
    let cases: Vec<(&str, Vec<u8>, Value)> = vec![
        ("/bot/send", b"not json".to_vec(), json!({"code": 1002, "msg": "请求参数应为json格式，Body内容为: not json"})),
        ("/bot/send", b"".to_vec(), json!({"code": 1002, "msg": "recvType取值错误，取值仅支持group、user"})),
        ("/bot/send", br#"{"recvId":"307149245","recvType":"bot","contentType":"text","content":{"text":"x"}}"#.to_vec(),
            json!({"code": 1002, "msg": "recvType取值错误，取值仅支持group、user"})),
        ("/bot/send", br#"{"recvId":"307149245","recvType":"group","contentType":"audio","content":{"text":"x"}}"#.to_vec(),
            json!({"code": 1002, "msg": "contentType取值错误，请翻看文档"})),
        ("/bot/send", br#"{"recvId":"307149245","recvType":"group","contentType":"text","content":{"text":""}}"#.to_vec(),
            json!({"code": 1002, "msg": "消息内容不能为空"})),
        ("/bot/send", br#"{"recvId":307149245,"recvType":"group","contentType":"text","content":"x"}"#.to_vec(),
            json!({"code": 1002, "msg": "content类型错误，应为对象"})),
        ("/bot/batch_send", br#"{"recvIds":"307149245","recvType":"group","contentType":"text","content":{"text":"x"}}"#.to_vec(),
            json!({"code": 1002, "msg": "recvIds类型错误，应为字符串数组"})),
        ("/bot/batch_send", br#"{"recvIds":[],"recvType":"group","contentType":"text","content":{"text":"x"}}"#.to_vec(),
            json!({"code": 1002, "msg": "recvIds值错误，值不能为空"})),
        ("/bot/send", "[".repeat(10_000).into_bytes(), json!(1002)),
        ("/bot/send", vec![0xff, 0xfe, b'{'], json!(1002)),
    ];
    for (path, body, expected) in cases {
        let reply = server.post_raw(path, &token, body.clone()).await;
        if expected.is_number() {
            assert_eq!(
                reply["code"],
                expected,
                "{}: {reply}",
                String::from_utf8_lossy(&body)
            );
        } else {
            assert_eq!(reply, expected, "{}", String::from_utf8_lossy(&body));
        }
    }
    assert!(server.history_ids(&token, "group", G1).await.is_empty());
}

#[tokio::test]
async fn an_oversize_body_is_refused_in_the_envelope() {
    let server = TestServer::start_with(|c| c.max_body_bytes = 64 * 1024).await;
    let token = server.bot(BOT).await;
    server.group(G1, &[]).await;
    server.join(BOT, G1).await;
    let huge = text("group", G1, &"x".repeat(100 * 1024));
    let reply = server.post("/bot/send", &token, huge).await;
    assert_eq!(
        reply,
        json!({"code": 1002, "msg": "请求体过大，上限为65536字节"})
    );
    assert!(server.history_ids(&token, "group", G1).await.is_empty());
}

#[tokio::test]
async fn concurrent_sends_all_land_with_gap_free_sequences() {
    let (server, token) = setup().await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let http = server.http.clone();
        let url = server.url(&format!("/open-apis/v1/bot/batch_send?token={token}"));
        tasks.push(tokio::spawn(async move {
            let body = json!({"recvIds": [G1, G2, "7756242"], "recvType": "group", "contentType": "text",
                              "content": {"text": format!("burst {i}")}});
            let reply: Value = http.post(url).body(body.to_string()).send().await.unwrap().json().await.unwrap();
            assert_eq!(reply["data"]["successCount"], 2, "{reply}");
            reply
        }));
    }
    let mut acknowledged = Vec::new();
    for task in tasks {
        let reply = task.await.unwrap();
        for entry in reply["data"]["successList"].as_array().unwrap() {
            acknowledged.push(entry["msgId"].as_str().unwrap().to_owned());
        }
    }
    let mut stored = server.history_ids(&token, "group", G1).await;
    stored.extend(server.history_ids(&token, "group", G2).await);
    acknowledged.sort();
    stored.sort();
    assert_eq!(acknowledged, stored);

    // Each chat's sequence is 1..=n without a gap or a repeat.
    let dir = server.stop().await;
    for group in [G1, G2] {
        let seqs: Vec<i64> = crate::common::db_rows(
            dir.path(),
            &format!("SELECT seq FROM messages WHERE chat_key = 'g:{group}' ORDER BY seq"),
        )
        .iter()
        .map(|row| row[0].as_i64().unwrap())
        .collect();
        assert_eq!(seqs, (1..=40).collect::<Vec<i64>>(), "group {group}");
    }
}
