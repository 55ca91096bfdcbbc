//! Quotes (`parentId`): the `parent` / `parentImgName` / `parentFileName` a quoting message
//! carries, exactly, in history and in the events bots receive (wire §5.4, §7.3); and that a
//! sender cannot write them itself.

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
    (server, token, alice)
}

/// A user's message into the group; the user API's answer.
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

/// The bot's newest `message.receive.normal` event.
fn newest_event(server: &TestServer) -> Value {
    server
        .outbox(BOT)
        .into_iter()
        .rfind(|e| e["header"]["eventType"] == "message.receive.normal")
        .unwrap()
}

#[tokio::test]
async fn a_bot_reply_is_a_history_item_with_parent_exactly() {
    let (server, token, alice) = setup().await;
    let asked = user_says(
        &server,
        &alice,
        json!({"contentType": "text", "content": {"text": "这是一条普通消息"}}),
    )
    .await;
    let asked_id = asked["msgId"].as_str().unwrap();
    let mut body = text("group", GROUP, "收到");
    body["parentId"] = json!(asked_id);
    let reply_id = bot_sends(&server, &token, body).await;
    let item = newest(&server, &token).await;
    assert!(item["sendTime"].as_i64().unwrap() > 0);
    assert_eq!(
        item,
        json!({"msgId": reply_id, "parentId": asked_id, "senderId": BOT, "senderType": "bot",
               "senderNickname": BOT_NICK, "contentType": "text",
               "content": {"text": "收到", "parent": format!("{ALICE_NICK} : 这是一条普通消息")},
               "sendTime": item["sendTime"], "commandName": "", "commandId": 0})
    );
}

#[tokio::test]
async fn a_reply_to_an_image_or_a_file_names_it_in_the_bots_event() {
    let (server, token, alice) = setup().await;
    let image = upload(&server, &token, "image", "photo.png", &png(3, 2)).await;
    let file = upload(&server, &token, "file", "报告.pdf", b"%PDF-1.4 tiny").await;
    let image_id = bot_sends(
        &server,
        &token,
        json!({"recvId": GROUP, "recvType": "group", "contentType": "image",
               "content": {"imageKey": image}}),
    )
    .await;
    let file_id = bot_sends(
        &server,
        &token,
        json!({"recvId": GROUP, "recvType": "group", "contentType": "file",
               "content": {"fileKey": file}}),
    )
    .await;

    let cases = [
        (
            image_id,
            json!({"text": "好图", "parent": format!("{BOT_NICK} : [图片]"),
                   "parentImgName": format!("{image}.png")}),
        ),
        (
            file_id,
            json!({"text": "好图", "parent": format!("{BOT_NICK} : [文件] 报告.pdf"),
                   "parentFileName": "报告.pdf"}),
        ),
    ];
    for (quoted_id, content) in cases {
        let sent = user_says(
            &server,
            &alice,
            json!({"contentType": "text", "content": {"text": "好图"}, "parentId": quoted_id}),
        )
        .await;
        // The web client gets the quote at once, in the send's answer.
        assert_eq!(sent["content"], content);
        let event = newest_event(&server);
        assert_eq!(
            event["event"]["message"],
            json!({"msgId": sent["msgId"], "parentId": quoted_id, "sendTime": sent["sendTime"],
                   "chatId": GROUP, "chatType": "group", "contentType": "text",
                   "content": content, "instructionId": 0, "instructionName": "",
                   "commandId": 0, "commandName": ""})
        );
    }
}

#[tokio::test]
async fn a_sender_cannot_write_the_quote_fields_itself() {
    let (server, token, alice) = setup().await;
    let forged = json!({"parent": "someone : else", "parentImgName": "x.png",
                        "parentFileName": "x.pdf", "parentVideoUrl": "x.mp4"});
    let with_forged = |words: &str| {
        let mut content = forged.clone();
        content["text"] = json!(words);
        content
    };

    // No parentId: no quote, whatever the content says.
    let plain = bot_sends(
        &server,
        &token,
        json!({"recvId": GROUP, "recvType": "group", "contentType": "text",
               "content": with_forged("forged")}),
    )
    .await;
    assert_eq!(
        newest(&server, &token).await["content"],
        json!({"text": "forged"})
    );
    // Nor through an edit.
    let edited = server
        .post(
            "/bot/edit",
            &token,
            json!({"msgId": plain, "recvId": GROUP, "recvType": "group",
                   "contentType": "text", "content": with_forged("edited")}),
        )
        .await;
    assert_eq!(edited["code"], 1, "{edited}");
    assert_eq!(
        newest(&server, &token).await["content"],
        json!({"text": "edited"})
    );

    // A real quote wins over a forged one, on send and on edit.
    let asked = user_says(
        &server,
        &alice,
        json!({"contentType": "text", "content": {"text": "问"}}),
    )
    .await;
    let real = json!(format!("{ALICE_NICK} : 问"));
    let reply = bot_sends(
        &server,
        &token,
        json!({"recvId": GROUP, "recvType": "group", "contentType": "text",
               "content": with_forged("答"), "parentId": asked["msgId"]}),
    )
    .await;
    assert_eq!(
        newest(&server, &token).await["content"],
        json!({"text": "答", "parent": real})
    );
    let edited = server
        .post(
            "/bot/edit",
            &token,
            json!({"msgId": reply, "recvId": GROUP, "recvType": "group",
                   "contentType": "text", "content": with_forged("答！")}),
        )
        .await;
    assert_eq!(edited["code"], 1, "{edited}");
    assert_eq!(
        newest(&server, &token).await["content"],
        json!({"text": "答！", "parent": real})
    );

    // A person's client cannot either.
    let sent = user_says(
        &server,
        &alice,
        json!({"contentType": "text", "content": with_forged("我")}),
    )
    .await;
    assert_eq!(sent["content"], json!({"text": "我"}));
    assert_eq!(
        newest_event(&server)["event"]["message"]["content"],
        json!({"text": "我"})
    );
}
