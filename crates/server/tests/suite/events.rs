//! The events users cause, as they land in the outbox, against Yunhu's samples (wire §7) field
//! for field: the same keys at every level and the same JSON types (content compared apart,
//! since samples carry their own text).

#![allow(clippy::unwrap_used)]

use crate::common::{TestServer, text};
use reqwest::Method;
use serde_json::{Value, json};

const BOT: &str = "37090343";
const GROUP: &str = "307149245";
const ALICE: &str = "7756242";
const BOB: &str = "4827368";

/// Keys and JSON types, recursively; values dropped.
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(shape).collect()),
        Value::String(_) => json!("string"),
        Value::Number(_) => json!("number"),
        Value::Bool(_) => json!("bool"),
        Value::Null => json!("null"),
    }
}

fn without_content(mut v: Value) -> Value {
    if let Some(message) = v.pointer_mut("/event/message") {
        message.as_object_mut().unwrap().remove("content");
    }
    v
}

fn assert_shaped_like(produced: &Value, sample: Value) {
    assert_eq!(
        shape(&without_content(produced.clone())),
        shape(&without_content(sample)),
        "produced: {produced}"
    );
    let id = produced["header"]["eventId"].as_str().unwrap();
    assert!(
        id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id}"
    );
    assert!(
        produced["header"]["eventTime"].as_i64().unwrap() > 1_700_000_000_000,
        "eventTime is in ms"
    );
}

fn message_sample(event_type: &str, chat_id: &str, chat_type: &str) -> Value {
    // wire §7.3, with senderAvatarUrl (required by nonebot, wire §11).
    json!({"version":"1.0",
     "header":{"eventId":"d1ae39a31063408099b5961ed637f10c","eventType":event_type,"eventTime":1761214759404i64},
     "event":{
      "sender":{"senderId":"7756242","senderType":"user","senderUserLevel":"owner","senderNickname":"小学不在这里哦","senderAvatarUrl":"https://chat-storage1.jwznb.com/a.jpg"},
      "chat":{"chatId":chat_id,"chatType":chat_type},
      "message":{"msgId":"930a7bad5d8144c5b25bc161031bb82b","parentId":"","sendTime":1761214759381i64,
       "chatId":chat_id,"chatType":chat_type,"contentType":"text",
       "content":{"text":"这是一条普通消息"},
       "instructionId":0,"instructionName":"","commandId":0,"commandName":""}}})
}

fn member_sample(event_type: &str, chat_id: &str, chat_type: &str) -> Value {
    // wire §7.5 / §7.6.
    json!({"version":"1.0","header":{"eventId":"8e3c15c090894cedb5df2032daf6839f","eventType":event_type,"eventTime":1761936136441i64},
     "event":{"time":1761936136291i64,"chatId":chat_id,"chatType":chat_type,"userId":"4827368","nickname":"小小学？","avatarUrl":""}})
}

fn button_sample(recv_type: &str) -> Value {
    // wire §7.7.
    json!({"version":"1.0","header":{"eventId":"f6e70610f8934d56afc31185b5aed6fa","eventType":"button.report.inline","eventTime":1761936422152i64},
     "event":{"time":1761936422147i64,"msgId":"a412dd8074c0467f99c3f8f411af269a","recvId":"307149245","recvType":recv_type,"userId":"4827368","value":"action按钮"}})
}

async fn setup() -> (TestServer, String, String, String) {
    let server = TestServer::start().await;
    let bot_token = server.bot(BOT).await;
    let alice = server.user(ALICE, "小学不在这里哦").await;
    let bob = server.user(BOB, "小小学？").await;
    server.group(GROUP, &[]).await;
    let (status, _) = server
        .admin(
            Method::PUT,
            &format!("/groups/{GROUP}/members/{ALICE}"),
            Some(json!({"role": "owner"})),
        )
        .await;
    assert_eq!(status, 200);
    server.join(BOT, GROUP).await;
    (server, bot_token, alice, bob)
}

fn events_of(server: &TestServer, event_type: &str) -> Vec<Value> {
    server
        .outbox(BOT)
        .into_iter()
        .filter(|e| e["header"]["eventType"] == event_type)
        .collect()
}

#[tokio::test]
async fn group_and_private_messages_are_message_receive_normal() {
    let (server, _, alice, _) = setup().await;
    let (status, sent) = server
        .user_api(
            Method::POST,
            &alice,
            &format!("/chats/group/{GROUP}/messages"),
            Some(json!({"contentType": "text", "content": {"text": "这是一条普通消息"}})),
        )
        .await;
    assert_eq!(status, 201, "{sent}");
    server.follow(BOT, ALICE).await;
    let (status, private) = server
        .user_api(
            Method::POST,
            &alice,
            &format!("/chats/bot/{BOT}/messages"),
            Some(json!({"contentType": "markdown", "content": {"text": "**hi**"}})),
        )
        .await;
    assert_eq!(status, 201, "{private}");

    let events = events_of(&server, "message.receive.normal");
    assert_eq!(events.len(), 2);
    assert_shaped_like(
        &events[0],
        message_sample("message.receive.normal", GROUP, "group"),
    );
    let group = &events[0]["event"];
    assert_eq!(group["sender"]["senderId"], ALICE);
    assert_eq!(group["sender"]["senderUserLevel"], "owner");
    assert_eq!(group["sender"]["senderNickname"], "小学不在这里哦");
    assert_eq!(group["message"]["msgId"], sent["msgId"]);
    assert_eq!(
        group["message"]["content"],
        json!({"text": "这是一条普通消息"})
    );
    assert_eq!(group["message"]["sendTime"], sent["sendTime"]);

    // Private: chatType "bot" and chatId = the bot's own ID.
    assert_shaped_like(
        &events[1],
        message_sample("message.receive.normal", BOT, "bot"),
    );
    assert_eq!(
        events[1]["event"]["chat"],
        json!({"chatId": BOT, "chatType": "bot"})
    );
    assert_eq!(events[1]["event"]["message"]["contentType"], "markdown");
    assert_eq!(events[1]["event"]["sender"]["senderUserLevel"], "member");
}

async fn add_command(server: &TestServer, body: Value) -> i64 {
    let (status, command) = server
        .admin(Method::POST, &format!("/bots/{BOT}/commands"), Some(body))
        .await;
    assert_eq!(status, 200, "{command}");
    command["commandId"].as_i64().unwrap()
}

async fn say(server: &TestServer, user: &str, text: &str) {
    let (status, sent) = server
        .user_api(
            Method::POST,
            user,
            &format!("/chats/group/{GROUP}/messages"),
            Some(json!({"contentType": "text", "content": {"text": text}})),
        )
        .await;
    assert_eq!(status, 201, "{sent}");
}

#[tokio::test]
async fn a_command_of_the_bot_is_message_receive_instruction() {
    let (server, _, alice, _) = setup().await;
    let (status, command) = server
        .admin(
            Method::POST,
            &format!("/bots/{BOT}/commands"),
            Some(json!({"name": "weather"})),
        )
        .await;
    assert_eq!(status, 200, "{command}");
    assert_eq!(
        command,
        json!({"commandId": command["commandId"], "name": "weather", "kind": "normal", "presetText": ""}),
        "a command is normal, without preset text, unless said otherwise"
    );
    let command_id = command["commandId"].as_i64().unwrap();
    for text in ["/weather 北京", "/unknown x", "weather"] {
        say(&server, &alice, text).await;
    }
    let instructions = events_of(&server, "message.receive.instruction");
    assert_eq!(instructions.len(), 1);
    assert_shaped_like(
        &instructions[0],
        message_sample("message.receive.instruction", GROUP, "group"),
    );
    let message = &instructions[0]["event"]["message"];
    assert_eq!(message["commandId"], command_id);
    assert_eq!(message["commandName"], "weather");
    assert_eq!(
        message["instructionId"], command_id,
        "the deprecated duplicates are still sent"
    );
    assert_eq!(message["instructionName"], "weather");
    // A normal command gives the user's input without `/name` (wire §7.4): nonebot puts the
    // command name in front of it itself, so `on_command("weather")` gets `北京`.
    assert_eq!(message["content"], json!({"text": "北京"}));
    // "/unknown" is no command of any bot here, so it is an ordinary message.
    assert_eq!(events_of(&server, "message.receive.normal").len(), 2);
}

#[tokio::test]
async fn command_text_is_what_yunhu_sends_for_each_kind() {
    let (server, _, alice, _) = setup().await;
    let direct = add_command(&server, json!({"name": "ping", "kind": "direct"})).await;
    let preset = add_command(
        &server,
        json!({"name": "eat", "kind": "normal", "presetText": "这是普通指令的默认文字"}),
    )
    .await;
    for text in ["/ping", "/eat 饿啊", "/eat", "/ping now"] {
        say(&server, &alice, text).await;
    }
    let seen: Vec<(Value, Value, Value)> = events_of(&server, "message.receive.instruction")
        .iter()
        .map(|e| {
            let m = &e["event"]["message"];
            (
                m["commandId"].clone(),
                m["commandName"].clone(),
                m["content"].clone(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (json!(direct), json!("ping"), json!({"text": "/ping"})),
            (
                json!(preset),
                json!("eat"),
                json!({"text": "这是普通指令的默认文字 饿啊"})
            ),
            (
                json!(preset),
                json!("eat"),
                json!({"text": "这是普通指令的默认文字"})
            ),
        ]
    );
    // Yunhu sends a direct command the moment it is picked, so "/ping now" can only be typed
    // text: an ordinary message, as typed.
    let normal = events_of(&server, "message.receive.normal");
    assert_eq!(normal.len(), 1);
    assert_eq!(
        normal[0]["event"]["message"]["content"],
        json!({"text": "/ping now"})
    );
    assert_eq!(normal[0]["event"]["message"]["commandId"], 0);

    // Adding the name again changes the kind and keeps the ID; nonsense is refused.
    assert_eq!(
        add_command(&server, json!({"name": "ping", "kind": "normal"})).await,
        direct
    );
    for bad in [
        json!({"name": "x", "kind": "form"}),
        json!({"name": "x", "kind": "direct", "presetText": "t"}),
        json!({"name": "x", "presetText": "t".repeat(1001)}),
    ] {
        let (status, body) = server
            .admin(Method::POST, &format!("/bots/{BOT}/commands"), Some(bad))
            .await;
        assert_eq!(status, 400, "{body}");
    }
    let (_, listed) = server
        .admin(Method::GET, &format!("/bots/{BOT}/commands"), None)
        .await;
    assert_eq!(
        listed,
        json!({"commands": [
            {"commandId": direct, "name": "ping", "kind": "normal", "presetText": ""},
            {"commandId": preset, "name": "eat", "kind": "normal", "presetText": "这是普通指令的默认文字"},
        ]})
    );
}

#[tokio::test]
async fn follows_joins_and_leaves_by_admin_or_user_cause_their_events() {
    let (server, _, _, bob) = setup().await;
    // Admin follow, user unfollow, user follow again.
    server.follow(BOT, BOB).await;
    let (status, _) = server
        .user_api(Method::DELETE, &bob, &format!("/bots/{BOT}/follow"), None)
        .await;
    assert_eq!(status, 204);
    let (status, body) = server
        .user_api(Method::PUT, &bob, &format!("/bots/{BOT}/follow"), None)
        .await;
    assert_eq!((status, body["added"].clone()), (200, json!(true)));
    let followed = events_of(&server, "bot.followed");
    assert_eq!(followed.len(), 2);
    for event in &followed {
        assert_shaped_like(event, member_sample("bot.followed", BOT, "bot"));
        assert_eq!(event["event"]["userId"], BOB);
        assert_eq!(event["event"]["nickname"], "小小学？");
        assert_eq!(event["event"]["chatId"], BOT);
    }
    let unfollowed = events_of(&server, "bot.unfollowed");
    assert_eq!(unfollowed.len(), 1);
    assert_shaped_like(&unfollowed[0], member_sample("bot.unfollowed", BOT, "bot"));

    // Admin add-member → group.join (also ALICE's, from setup), user leave → group.leave.
    let (status, _) = server
        .admin(Method::PUT, &format!("/groups/{GROUP}/members/{BOB}"), None)
        .await;
    assert_eq!(status, 200);
    let (status, _) = server
        .user_api(Method::POST, &bob, &format!("/groups/{GROUP}/leave"), None)
        .await;
    assert_eq!(status, 204);
    let joins = events_of(&server, "group.join");
    assert_eq!(
        joins.len(),
        1,
        "alice joined before the bot was in the group"
    );
    assert_shaped_like(&joins[0], member_sample("group.join", GROUP, "group"));
    assert_eq!(joins[0]["event"]["userId"], BOB);
    let leaves = events_of(&server, "group.leave");
    assert_eq!(leaves.len(), 1);
    assert_shaped_like(&leaves[0], member_sample("group.leave", GROUP, "group"));
}

#[tokio::test]
async fn button_clicks_report_to_the_bot_with_the_recipient_to_answer() {
    let (server, bot_token, alice, _) = setup().await;
    server.follow(BOT, ALICE).await;
    let mut ids = Vec::new();
    for (recv_type, recv_id) in [("group", GROUP), ("user", ALICE)] {
        let mut body = text(recv_type, recv_id, "menu");
        body["content"]["buttons"] = json!([[{"text": "go", "actionType": 3, "value": "action按钮"},
                                            {"text": "copy", "actionType": 2, "value": "not reported"}]]);
        let reply = server.post("/bot/send", &bot_token, body).await;
        ids.push(
            reply["data"]["messageInfo"]["msgId"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    for id in &ids {
        let (status, body) = server
            .user_api(
                Method::POST,
                &alice,
                &format!("/messages/{id}/click"),
                Some(json!({"value": "action按钮"})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    // Only actionType 3 buttons report.
    let (status, _) = server
        .user_api(
            Method::POST,
            &alice,
            &format!("/messages/{}/click", ids[0]),
            Some(json!({"value": "not reported"})),
        )
        .await;
    assert_eq!(status, 400);

    let clicks = events_of(&server, "button.report.inline");
    assert_eq!(clicks.len(), 2);
    assert_shaped_like(&clicks[0], button_sample("group"));
    assert_eq!(clicks[0]["event"]["recvId"], GROUP);
    assert_eq!(clicks[0]["event"]["recvType"], "group");
    assert_eq!(clicks[0]["event"]["msgId"], ids[0].as_str());
    assert_eq!(clicks[0]["event"]["userId"], ALICE);
    assert_eq!(clicks[0]["event"]["value"], "action按钮");
    // Private chat: recvType user and recvId = the clicking user (wire §7.7).
    assert_shaped_like(&clicks[1], button_sample("user"));
    assert_eq!(clicks[1]["event"]["recvId"], ALICE);
    assert_eq!(clicks[1]["event"]["recvType"], "user");
}

#[tokio::test]
async fn a_bot_does_not_receive_messages_from_bots() {
    let (server, bot_token, _, _) = setup().await;
    server
        .post(
            "/bot/send",
            &bot_token,
            text("group", GROUP, "from the bot"),
        )
        .await;
    assert!(events_of(&server, "message.receive.normal").is_empty());
}

#[tokio::test]
async fn a_bot_removing_a_member_causes_group_leave() {
    let (server, bot_token, _, bob) = setup().await;
    let (status, _) = server
        .admin(Method::PUT, &format!("/groups/{GROUP}/members/{BOB}"), None)
        .await;
    assert_eq!(status, 200);
    let (status, _) = server
        .admin(
            Method::PUT,
            &format!("/groups/{GROUP}/bots/{BOT}/permissions"),
            Some(json!({"allowRemoveMember": true})),
        )
        .await;
    assert_eq!(status, 200);
    let (mut ws, _) = server.live(&bob, None).await;
    let reply = server
        .post(
            "/group/remove-member",
            &bot_token,
            json!({"groupId": GROUP, "userId": BOB}),
        )
        .await;
    assert_eq!(reply, json!({"code": 1, "msg": "success"}));
    let leaves = events_of(&server, "group.leave");
    assert_eq!(leaves.len(), 1);
    assert_shaped_like(&leaves[0], member_sample("group.leave", GROUP, "group"));
    assert_eq!(leaves[0]["event"]["userId"], BOB);
    // The removed member's open session stops receiving the group.
    server
        .post(
            "/bot/send",
            &bot_token,
            text("group", GROUP, "after removal"),
        )
        .await;
    assert!(crate::common::quiet(&mut ws, 200).await);
}
