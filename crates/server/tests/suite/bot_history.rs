//! `bot/messages` (anchor semantics of wire §6.6), `bot/edit` and `bot/recall`.

#![allow(clippy::unwrap_used)]

use crate::common::{TestServer, text};
use serde_json::{Value, json};

const BOT: &str = "86297657";
const OTHER_BOT: &str = "37090343";
const GROUP: &str = "307149245";
const USER: &str = "7756242";

/// A group with both bots, a follower, and `n` messages "m0".."m{n-1}" in the group.
async fn setup(n: usize) -> (TestServer, String, String, Vec<String>) {
    let server = TestServer::start().await;
    let token = server.bot(BOT).await;
    let other = server.bot(OTHER_BOT).await;
    server.user(USER, "Alice").await;
    server.group(GROUP, &[USER]).await;
    server.join(BOT, GROUP).await;
    server.join(OTHER_BOT, GROUP).await;
    server.follow(BOT, USER).await;
    let mut ids = Vec::new();
    for i in 0..n {
        let reply = server
            .post("/bot/send", &token, text("group", GROUP, &format!("m{i}")))
            .await;
        ids.push(
            reply["data"]["messageInfo"]["msgId"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    (server, token, other, ids)
}

fn texts(reply: &Value) -> Vec<String> {
    assert_eq!(reply["code"], 1, "{reply}");
    let list = reply["data"]["list"].as_array().unwrap();
    assert_eq!(
        reply["data"]["total"],
        list.len(),
        "total is the list's length"
    );
    list.iter()
        .map(|m| m["content"]["text"].as_str().unwrap().to_owned())
        .collect()
}

fn range(from: usize, to: usize) -> Vec<String> {
    // Newest first: from the higher index down.
    (to..=from).rev().map(|i| format!("m{i}")).collect()
}

#[tokio::test]
async fn history_pages_follow_the_anchor_rules_newest_first() {
    let (server, token, _, ids) = setup(25).await;
    let q = |extra: Vec<(&'static str, String)>| {
        let mut query = vec![
            ("chat-id", GROUP.to_owned()),
            ("chat-type", "group".to_owned()),
        ];
        query.extend(extra);
        query
    };
    let get = |query: Vec<(&'static str, String)>| {
        let server = &server;
        let token = &token;
        async move {
            let pairs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
            server.messages(token, &pairs).await
        }
    };
    let anchor = ids[12].clone();

    // No anchor: the newest N.
    assert_eq!(
        texts(&get(q(vec![("before", "10".into())])).await),
        range(24, 15)
    );
    // Anchor + before=10: 11, the anchor first, then older.
    assert_eq!(
        texts(
            &get(q(vec![
                ("message-id", anchor.clone()),
                ("before", "10".into())
            ]))
            .await
        ),
        range(12, 2)
    );
    // Anchor + after=10: 11, newer ones first, the anchor last.
    assert_eq!(
        texts(
            &get(q(vec![
                ("message-id", anchor.clone()),
                ("after", "10".into())
            ]))
            .await
        ),
        range(22, 12)
    );
    // Anchor + both: 21.
    assert_eq!(
        texts(
            &get(q(vec![
                ("message-id", anchor.clone()),
                ("before", "10".into()),
                ("after", "10".into())
            ]))
            .await
        ),
        range(22, 2)
    );
    // nonebot's reply lookup: before=1 and list[0] is the anchor.
    let reply = get(q(vec![
        ("message-id", anchor.clone()),
        ("before", "1".into()),
    ]))
    .await;
    assert_eq!(reply["data"]["list"][0]["msgId"], anchor.as_str());
    assert_eq!(texts(&reply), range(12, 11));
    // Near the ends the page is simply shorter.
    assert_eq!(
        texts(
            &get(q(vec![
                ("message-id", ids[1].clone()),
                ("before", "10".into())
            ]))
            .await
        ),
        range(1, 0)
    );
    // before=0&after=0 is empty, with or without an anchor.
    assert_eq!(
        get(q(vec![("before", "0".into()), ("after", "0".into())])).await,
        json!({"code": 1, "msg": "success", "data": {"list": [], "total": 0}})
    );
    assert_eq!(
        texts(&get(q(vec![("message-id", anchor.clone())])).await),
        Vec::<String>::new()
    );
    // An anchor that is not a message of this chat: an empty page.
    assert_eq!(
        texts(
            &get(q(vec![
                ("message-id", "0".repeat(32)),
                ("before", "5".into())
            ]))
            .await
        ),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn history_answers_post_too() {
    let (server, token, _, _) = setup(3).await;
    let resp = server
        .http
        .post(server.url(&format!(
            "/open-apis/v1/bot/messages?token={token}&chat-id={GROUP}&chat-type=group&before=2"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(texts(&crate::common::envelope(resp).await), range(2, 1));
    // Keys in a JSON body fill in what the query string leaves out.
    let reply = server
        .post(
            "/bot/messages",
            &token,
            json!({"chat-id": GROUP, "chat-type": "group", "before": 1}),
        )
        .await;
    assert_eq!(texts(&reply), range(2, 2));
}

#[tokio::test]
async fn history_errors_name_the_problem() {
    let (server, token, _, _) = setup(1).await;
    server.group("112869497", &[]).await;
    for (query, expected) in [
        (
            vec![("chat-id", "1"), ("chat-type", "bot")],
            json!({"code": 1002, "msg": "chat-type取值错误，取值仅支持group、user"}),
        ),
        (
            vec![("chat-type", "group")],
            json!({"code": 1002, "msg": "chat-id值错误，值不能为空"}),
        ),
        (
            vec![
                ("chat-id", "404404"),
                ("chat-type", "group"),
                ("before", "1"),
            ],
            json!({"code": -1, "msg": "群(ID:404404)不存在。"}),
        ),
        (
            vec![
                ("chat-id", "112869497"),
                ("chat-type", "group"),
                ("before", "1"),
            ],
            json!({"code": -1, "msg": format!("群(ID:112869497)中未添加当前机器人(ID: {BOT})。")}),
        ),
        (
            vec![
                ("chat-id", GROUP),
                ("chat-type", "group"),
                ("before", "many"),
            ],
            json!({"code": 1002, "msg": "before取值错误，应为非负整数"}),
        ),
    ] {
        assert_eq!(server.messages(&token, &query).await, expected, "{query:?}");
    }
}

#[tokio::test]
async fn private_history_is_the_bots_own_chat_with_the_user() {
    let (server, token, other, _) = setup(0).await;
    server.follow(OTHER_BOT, USER).await;
    server
        .post("/bot/send", &token, text("user", USER, "from bot"))
        .await;
    server
        .post(
            "/bot/send",
            &other,
            text("user", USER, "from the other bot"),
        )
        .await;
    let mine = server
        .messages(
            &token,
            &[("chat-id", USER), ("chat-type", "user"), ("before", "10")],
        )
        .await;
    assert_eq!(texts(&mine), ["from bot"]);
}

#[tokio::test]
async fn edit_replaces_the_content_and_answers_success_count() {
    let (server, token, _, ids) = setup(2).await;
    let reply = server
        .post(
            "/bot/edit",
            &token,
            json!({"msgId": ids[0], "recvId": GROUP, "recvType": "group", "contentType": "markdown",
                   "content": {"text": "**edited**", "buttons": [{"text": "ok", "actionType": 3, "value": "v"}]}}),
        )
        .await;
    assert_eq!(
        reply,
        json!({"code": 1, "msg": "success", "data": {"successCount": 1}})
    );
    let history = server
        .messages(
            &token,
            &[
                ("chat-id", GROUP),
                ("chat-type", "group"),
                ("message-id", &ids[0]),
                ("before", "1"),
            ],
        )
        .await;
    let message = &history["data"]["list"][0];
    assert_eq!(message["contentType"], "markdown");
    assert_eq!(
        message["content"],
        json!({"text": "**edited**", "buttons": [[{"text": "ok", "actionType": 3, "value": "v"}]]})
    );
}

#[tokio::test]
async fn edit_of_an_unknown_foreign_or_mismatched_message_is_refused() {
    let (server, token, other, ids) = setup(1).await;
    let not_found = json!({"code": -1, "msg": "消息不存在或无权限修改"});
    let edit = |msg_id: &str, recv_type: &str, recv_id: &str| {
        json!({"msgId": msg_id, "recvId": recv_id, "recvType": recv_type, "contentType": "text",
               "content": {"text": "changed"}})
    };
    assert_eq!(
        server
            .post("/bot/edit", &token, edit(&"a".repeat(32), "group", GROUP))
            .await,
        not_found
    );
    assert_eq!(
        server
            .post("/bot/edit", &token, edit(&ids[0], "user", USER))
            .await,
        not_found
    );
    assert_eq!(
        server
            .post("/bot/edit", &token, edit(&ids[0], "group", "665344168"))
            .await,
        not_found
    );
    assert_eq!(
        server
            .post("/bot/edit", &other, edit(&ids[0], "group", GROUP))
            .await,
        not_found
    );
    // Invalid bodies are refused before anything is looked up.
    let reply = server
        .post("/bot/edit", &token, json!({"msgId": ids[0], "recvId": GROUP, "recvType": "group", "contentType": "text", "content": {}}))
        .await;
    assert_eq!(reply, json!({"code": 1002, "msg": "消息内容不能为空"}));
    let reply = server
        .post("/bot/edit", &token, json!({"recvId": GROUP, "recvType": "group", "contentType": "text", "content": {"text": "x"}}))
        .await;
    assert_eq!(
        reply,
        json!({"code": 1002, "msg": "msgId值错误，值不能为空"})
    );
    assert_eq!(
        texts(
            &server
                .messages(
                    &token,
                    &[("chat-id", GROUP), ("chat-type", "group"), ("before", "5")]
                )
                .await
        ),
        ["m0"]
    );
}

#[tokio::test]
async fn recall_removes_the_message_from_history_once() {
    let (server, token, other, ids) = setup(3).await;
    let recall = |msg_id: &str| json!({"msgId": msg_id, "chatId": GROUP, "chatType": "group"});
    let not_found = json!({"code": -1, "msg": "消息不存在或无权限修改"});

    assert_eq!(
        server.post("/bot/recall", &other, recall(&ids[1])).await,
        not_found
    );
    assert_eq!(
        server
            .post(
                "/bot/recall",
                &token,
                json!({"msgId": ids[1], "chatId": USER, "chatType": "user"})
            )
            .await,
        not_found
    );
    assert_eq!(
        server.post("/bot/recall", &token, recall(&ids[1])).await,
        json!({"code": 1, "msg": "success"})
    );
    assert_eq!(
        server.post("/bot/recall", &token, recall(&ids[1])).await,
        not_found
    );
    assert_eq!(
        texts(
            &server
                .messages(
                    &token,
                    &[("chat-id", GROUP), ("chat-type", "group"), ("before", "5")]
                )
                .await
        ),
        ["m2", "m0"]
    );
    // A recalled message cannot be edited, nor used as an anchor.
    let edit = json!({"msgId": ids[1], "recvId": GROUP, "recvType": "group", "contentType": "text", "content": {"text": "x"}});
    assert_eq!(server.post("/bot/edit", &token, edit).await, not_found);
    assert!(
        texts(
            &server
                .messages(
                    &token,
                    &[
                        ("chat-id", GROUP),
                        ("chat-type", "group"),
                        ("message-id", &ids[1]),
                        ("before", "1")
                    ]
                )
                .await
        )
        .is_empty()
    );
    let reply = server
        .post(
            "/bot/recall",
            &token,
            json!({"msgId": ids[0], "chatId": GROUP, "chatType": "bot"}),
        )
        .await;
    assert_eq!(
        reply,
        json!({"code": 1002, "msg": "chatType取值错误，取值仅支持group、user"})
    );
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods_answer_the_envelope_with_http_200() {
    let (server, token, _, _) = setup(0).await;
    // nonebot-adapter-yunhu raises on any non-2xx status before it reads the body: every bot
    // API refusal is HTTP 200 with the envelope.
    let cases = [
        (
            reqwest::Method::POST,
            format!("/open-apis/v1/bot/nope?token={token}"),
            json!({"code": -1, "msg": "接口不存在"}),
        ),
        (
            reqwest::Method::GET,
            format!("/open-apis/v2/bot/send?token={token}"),
            json!({"code": -1, "msg": "接口不存在"}),
        ),
        (
            reqwest::Method::GET,
            format!("/open-apis/v1/bot/send?token={token}"),
            json!({"code": 1002, "msg": "请求方法错误：不支持GET，请使用POST"}),
        ),
        (
            reqwest::Method::PUT,
            format!("/open-apis/v1/bot/messages?token={token}"),
            json!({"code": 1002, "msg": "请求方法错误：不支持PUT，请使用POST"}),
        ),
        (
            reqwest::Method::DELETE,
            format!("/open-apis/v1/image/upload?token={token}"),
            json!({"code": 1002, "msg": "请求方法错误：不支持DELETE，请使用POST"}),
        ),
    ];
    for (method, path, expected) in cases {
        let resp = server
            .http
            .request(method.clone(), server.url(&path))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{method} {path}");
        assert_eq!(
            resp.headers()["content-type"],
            "application/json",
            "{method} {path}"
        );
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body, expected, "{method} {path}");
    }
    // Outside the bot API, an unknown path is a plain 404.
    let resp = server
        .http
        .get(server.url("/api/v1/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
}
