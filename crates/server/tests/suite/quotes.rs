//! Quotes (`parentId`): the `parent` / `parentImgName` / `parentFileName` a quoting message
//! carries in history and in the events bots receive, as on Yunhu (docs/wire.md §7.3, §6.6).

#![allow(clippy::unwrap_used)]

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{TestServer, text};
use crate::uploads::{png, upload};

const BOT: &str = "86297657";
const GROUP: &str = "307149245";
const ALICE: &str = "7756242";
const BOT_NICK: &str = "bot 86297657";
const ALICE_NICK: &str = "小学不在这里哦";

async fn setup() -> (TestServer, String, String) {
    let server = TestServer::start().await;
    let token = server.bot(BOT).await;
    let alice = server.user(ALICE, ALICE_NICK).await;
    server.group(GROUP, &[ALICE]).await;
    server.join(BOT, GROUP).await;
    server.follow(BOT, ALICE).await;
    (server, token, alice)
}

/// A user's message into the group, with an optional quote; the user API's answer.
async fn user_says(server: &TestServer, user: &str, body: Value) -> Value {
    let (status, sent) = server
        .user_api(
            Method::POST,
            user,
            &format!("/chats/group/{GROUP}/messages"),
            Some(body),
        )
        .await;
    assert_eq!(status, 201, "{sent}");
    sent
}

/// A bot send; its msgId.
async fn bot_sends(server: &TestServer, token: &str, body: Value) -> String {
    let reply = server.post("/bot/send", token, body).await;
    assert_eq!(reply["code"], 1, "{reply}");
    reply["data"]["messageInfo"]["msgId"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The newest history item of the group, as the bot reads it.
async fn newest(server: &TestServer, token: &str) -> Value {
    let reply = server
        .messages(
            token,
            &[("chat-id", GROUP), ("chat-type", "group"), ("before", "1")],
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    reply["data"]["list"][0].clone()
}

fn quoting(recv_type: &str, recv_id: &str, words: &str, parent_id: &str) -> Value {
    let mut body = text(recv_type, recv_id, words);
    body["parentId"] = json!(parent_id);
    body
}

#[tokio::test]
async fn a_bot_reply_shows_the_quoted_text_in_history_and_keeps_it_through_an_edit() {
    let (server, token, alice) = setup().await;
    let asked = user_says(
        &server,
        &alice,
        json!({"contentType": "text", "content": {"text": "这是一条普通消息"}}),
    )
    .await;
    let asked_id = asked["msgId"].as_str().unwrap();
    let reply_id = bot_sends(&server, &token, quoting("group", GROUP, "收到", asked_id)).await;

    let item = newest(&server, &token).await;
    assert_eq!(
        item,
        json!({"msgId": reply_id, "parentId": asked_id, "senderId": BOT, "senderType": "bot",
               "senderNickname": BOT_NICK, "contentType": "text",
               "content": {"text": "收到", "parent": format!("{ALICE_NICK} : 这是一条普通消息")},
               "sendTime": item["sendTime"], "commandName": "", "commandId": 0})
    );
    assert!(item["sendTime"].as_i64().unwrap() > 0);

    // The bot edits its reply: the new content, and still the quote.
    let edited = server
        .post(
            "/bot/edit",
            &token,
            json!({"msgId": reply_id, "recvId": GROUP, "recvType": "group",
                   "contentType": "markdown", "content": {"text": "**已收到**"}}),
        )
        .await;
    assert_eq!(edited["code"], 1, "{edited}");
    let item = newest(&server, &token).await;
    assert_eq!(item["parentId"], asked_id);
    assert_eq!(
        item["content"],
        json!({"text": "**已收到**", "parent": format!("{ALICE_NICK} : 这是一条普通消息")})
    );

    // What nonebot's reply detection reads: the quoted message itself, by its ID, first.
    let reply = server
        .messages(
            &token,
            &[
                ("message-id", asked_id),
                ("chat-id", GROUP),
                ("chat-type", "group"),
                ("before", "1"),
            ],
        )
        .await;
    assert_eq!(reply["data"]["list"][0]["msgId"], asked_id);
    assert_eq!(reply["data"]["list"][0]["parentId"], "");
    assert_eq!(
        reply["data"]["list"][0]["content"],
        json!({"text": "这是一条普通消息"})
    );
}

#[tokio::test]
async fn a_user_reply_to_an_image_reaches_the_bot_with_parent_and_parent_img_name() {
    let (server, token, alice) = setup().await;
    let key = upload(&server, &token, "image", "photo.png", &png(3, 2)).await;
    let image_id = bot_sends(
        &server,
        &token,
        json!({"recvId": GROUP, "recvType": "group", "contentType": "image",
               "content": {"imageKey": key}}),
    )
    .await;
    let sent = user_says(
        &server,
        &alice,
        json!({"contentType": "text", "content": {"text": "好图"}, "parentId": image_id}),
    )
    .await;
    let quoted = json!({"text": "好图", "parent": format!("{BOT_NICK} : [图片]"),
                        "parentImgName": format!("{key}.png")});
    // The web client gets the quote at once (it shows it above the reply).
    assert_eq!(sent["parentId"], image_id);
    assert_eq!(sent["content"], quoted);

    let events: Vec<Value> = server
        .outbox(BOT)
        .into_iter()
        .filter(|e| e["header"]["eventType"] == "message.receive.normal")
        .collect();
    assert_eq!(events.len(), 1);
    let message = &events[0]["event"]["message"];
    assert_eq!(
        *message,
        json!({"msgId": sent["msgId"], "parentId": image_id, "sendTime": sent["sendTime"],
               "chatId": GROUP, "chatType": "group", "contentType": "text", "content": quoted,
               "instructionId": 0, "instructionName": "", "commandId": 0, "commandName": ""})
    );

    // The user's history page shows it the same way.
    let (status, page) = server
        .user_api(
            Method::GET,
            &alice,
            &format!("/chats/group/{GROUP}/messages"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let mine = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["msgId"] == sent["msgId"])
        .cloned()
        .unwrap();
    assert_eq!(mine["content"], quoted);
}

#[tokio::test]
async fn a_quoted_file_names_its_file() {
    let (server, token, alice) = setup().await;
    let key = upload(&server, &token, "file", "报告.pdf", b"%PDF-1.4 tiny").await;
    let file_id = bot_sends(
        &server,
        &token,
        json!({"recvId": GROUP, "recvType": "group", "contentType": "file",
               "content": {"fileKey": key}}),
    )
    .await;
    let sent = user_says(
        &server,
        &alice,
        json!({"contentType": "text", "content": {"text": "收到文件"}, "parentId": file_id}),
    )
    .await;
    assert_eq!(
        sent["content"],
        json!({"text": "收到文件", "parent": format!("{BOT_NICK} : [文件]报告.pdf"),
               "parentFileName": "报告.pdf"})
    );
}

#[tokio::test]
async fn junk_foreign_forged_and_recalled_parents_degrade_without_failing_the_send() {
    let (server, token, _) = setup().await;
    let private_id = bot_sends(&server, &token, text("user", ALICE, "私聊")).await;

    // nonebot's "False", and a message of another chat: sent, with no quote.
    for parent in ["False", private_id.as_str()] {
        let id = bot_sends(&server, &token, quoting("group", GROUP, "hi", parent)).await;
        let item = newest(&server, &token).await;
        assert_eq!(item["msgId"], id);
        assert_eq!(item["parentId"], "", "{parent}");
        assert_eq!(item["content"], json!({"text": "hi"}), "{parent}");
    }

    // A sender cannot write the quote fields itself.
    bot_sends(
        &server,
        &token,
        json!({"recvId": GROUP, "recvType": "group", "contentType": "text",
               "content": {"text": "forged", "parent": "someone : else", "parentImgName": "x.png"}}),
    )
    .await;
    assert_eq!(
        newest(&server, &token).await["content"],
        json!({"text": "forged"})
    );

    // A recalled message is still quoted by ID, but shows nothing of what it said.
    let mine = bot_sends(&server, &token, text("group", GROUP, "bot says")).await;
    let recalled = server
        .post(
            "/bot/recall",
            &token,
            json!({"msgId": mine, "chatId": GROUP, "chatType": "group"}),
        )
        .await;
    assert_eq!(recalled["code"], 1, "{recalled}");
    bot_sends(&server, &token, quoting("group", GROUP, "re", &mine)).await;
    let item = newest(&server, &token).await;
    assert_eq!(item["parentId"], mine);
    assert_eq!(item["content"], json!({"text": "re"}));
}
