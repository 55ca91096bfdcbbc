//! Tips: the `contentType:"tip"` lines a group gets for role changes, gags and removals
//! (docs/wire.md §7.3), in history, live to the members, and as `message.receive.normal` to
//! the group's bots.

#![allow(clippy::unwrap_used)]

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{TestServer, Ws, next_frame, quiet};

const BOT: &str = "86297657";
const GROUP: &str = "307149245";
const ALICE: &str = "7756242";
const BOB: &str = "4827368";

/// Alice owns the group, Bob ("小小学？") is a member, the bot is in it and may gag and remove.
async fn setup() -> (TestServer, String, String, String) {
    let server = TestServer::start().await;
    let token = server.bot(BOT).await;
    let alice = server.user(ALICE, "小学不在这里哦").await;
    let bob = server.user(BOB, "小小学？").await;
    server.group(GROUP, &[BOB]).await;
    let (status, body) = server
        .admin(
            Method::PUT,
            &format!("/groups/{GROUP}/members/{ALICE}"),
            Some(json!({"role": "owner"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    server.join(BOT, GROUP).await;
    let (status, body) = server
        .admin(
            Method::PUT,
            &format!("/groups/{GROUP}/bots/{BOT}/permissions"),
            Some(json!({"allowGagMember": true, "allowRemoveMember": true})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    (server, token, alice, bob)
}

/// The group's history as the bot reads it, newest first.
async fn history(server: &TestServer, token: &str) -> Vec<Value> {
    let reply = server
        .messages(
            token,
            &[("chat-id", GROUP), ("chat-type", "group"), ("before", "20")],
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    reply["data"]["list"].as_array().unwrap().clone()
}

fn tips(list: &[Value]) -> Vec<Value> {
    list.iter()
        .filter(|m| m["contentType"] == "tip")
        .cloned()
        .collect()
}

/// The bot's `message.receive.normal` events whose content is a tip, oldest first.
fn tip_events(server: &TestServer) -> Vec<Value> {
    server
        .outbox(BOT)
        .into_iter()
        .filter(|e| e["event"]["message"]["contentType"] == "tip")
        .collect()
}

/// Yunhu's tip msgIds are dashed UUIDs (8-4-4-4-12 lowercase hex).
fn is_dashed_uuid(id: &Value) -> bool {
    let Some(s) = id.as_str() else { return false };
    let groups: Vec<&str> = s.split('-').collect();
    groups.iter().map(|g| g.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && groups.iter().all(|g| {
            g.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

/// The history item of a tip, exactly.
fn tip_item(item: &Value, sender_id: &str, sender_type: &str, text: &str) -> Value {
    assert!(is_dashed_uuid(&item["msgId"]), "{item}");
    assert!(item["sendTime"].as_i64().unwrap() > 0);
    json!({"msgId": item["msgId"], "parentId": "", "senderId": sender_id, "senderType": sender_type,
           "senderNickname": "", "contentType": "tip", "content": {"text": text},
           "sendTime": item["sendTime"], "commandName": "", "commandId": 0})
}

/// The event of a tip, exactly (the envelope's header checked apart: its IDs are fresh).
fn tip_event(event: &Value, item: &Value, sender_id: &str, level: &str, text: &str) -> Value {
    assert_eq!(event["version"], "1.0");
    assert_eq!(event["header"]["eventType"], "message.receive.normal");
    json!({"sender": {"senderId": sender_id, "senderType": "user", "senderUserLevel": level,
                      "senderNickname": "", "senderAvatarUrl": ""},
           "chat": {"chatId": GROUP, "chatType": "group"},
           "message": {"msgId": item["msgId"], "parentId": "", "sendTime": item["sendTime"],
                       "chatId": GROUP, "chatType": "group", "contentType": "tip",
                       "content": {"text": text}, "instructionId": 0, "instructionName": "",
                       "commandId": 0, "commandName": ""}})
}

/// The next frame on `ws`, which must be the tip `text`.
async fn live_tip(ws: &mut Ws, text: &str) -> Value {
    let frame = next_frame(ws).await.expect("a tip frame");
    assert_eq!(frame["type"], "message", "{frame}");
    assert_eq!(frame["message"]["contentType"], "tip", "{frame}");
    assert_eq!(
        frame["message"]["content"],
        json!({"text": text}),
        "{frame}"
    );
    assert_eq!(frame["message"]["senderNickname"], "", "{frame}");
    frame
}

#[tokio::test]
async fn made_and_unmade_administrator_post_tips_from_the_owner() {
    let (server, token, _, bob) = setup().await;
    let (mut ws, _) = server.live(&bob, None).await;
    let role = |role: &'static str| {
        let server = &server;
        async move {
            let (status, body) = server
                .admin(
                    Method::PUT,
                    &format!("/groups/{GROUP}/members/{BOB}"),
                    Some(json!({"role": role})),
                )
                .await;
            assert_eq!(status, 200, "{body}");
        }
    };

    role("administrator").await;
    let made = "已将\"小小学？\"添加为群管理员";
    let frame = live_tip(&mut ws, made).await;
    let list = history(&server, &token).await;
    assert_eq!(list[0], tip_item(&list[0], ALICE, "user", made));
    assert_eq!(frame["message"]["msgId"], list[0]["msgId"]);
    let events = tip_events(&server);
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0]["event"],
        tip_event(&events[0], &list[0], ALICE, "owner", made)
    );

    // The same role again changes nothing and tells nobody.
    role("administrator").await;
    role("member").await;
    let unmade = "已将\"小小学？\"从群管理员中移除";
    live_tip(&mut ws, unmade).await;
    let list = history(&server, &token).await;
    assert_eq!(tips(&list).len(), 2);
    assert_eq!(list[0], tip_item(&list[0], ALICE, "user", unmade));
    assert_eq!(tip_events(&server).len(), 2);
}

#[tokio::test]
async fn gags_by_a_bot_post_tips_and_refusals_post_none() {
    let (server, token, alice, _) = setup().await;
    let (mut ws, _) = server.live(&alice, None).await;
    let gag = |user: &'static str, gag: i64| {
        let server = &server;
        let token = &token;
        async move {
            server
                .post(
                    "/group/gag-member",
                    token,
                    json!({"groupId": GROUP, "userId": user, "gag": gag}),
                )
                .await
        }
    };
    let ok = json!({"code": 1, "msg": "success"});

    // Lifting a gag nobody has, and gagging the owner: nothing to tell.
    assert_eq!(gag(BOB, 0).await, ok);
    assert_eq!(
        gag(ALICE, 600).await,
        json!({"code": -1, "msg": "不可以禁言群主！"})
    );
    assert!(quiet(&mut ws, 200).await);
    assert!(tips(&history(&server, &token).await).is_empty());

    let expected = [
        (600, "已将\"小小学？\"禁言10分钟"),
        (-1, "已将\"小小学？\"永久禁言"),
        (0, "已解除\"小小学？\"的禁言"),
    ];
    for (seconds, text) in expected {
        assert_eq!(gag(BOB, seconds).await, ok);
        live_tip(&mut ws, text).await;
        let list = history(&server, &token).await;
        // The bot is the operator in history; its event's sender is a `user` of level
        // "unknown" (message events have only user senders; nonebot drops others).
        assert_eq!(list[0], tip_item(&list[0], BOT, "bot", text));
        let event = tip_events(&server).pop().unwrap();
        assert_eq!(
            event["event"],
            tip_event(&event, &list[0], BOT, "unknown", text)
        );
    }
    // Lifting again: Bob is no longer muted, so no tip.
    assert_eq!(gag(BOB, 0).await, ok);
    assert!(quiet(&mut ws, 200).await);
    assert_eq!(tip_events(&server).len(), 3);

    // The bot cannot edit or recall the tips it caused: they are the group's record.
    let tip_id = history(&server, &token).await[0]["msgId"].clone();
    let not_found = json!({"code": -1, "msg": "消息不存在或无权限修改"});
    let edit = json!({"msgId": tip_id, "recvId": GROUP, "recvType": "group",
                      "contentType": "text", "content": {"text": "nothing happened"}});
    assert_eq!(server.post("/bot/edit", &token, edit).await, not_found);
    let recall = json!({"msgId": tip_id, "chatId": GROUP, "chatType": "group"});
    assert_eq!(server.post("/bot/recall", &token, recall).await, not_found);
    assert_eq!(
        history(&server, &token).await[0],
        tip_item(
            &history(&server, &token).await[0],
            BOT,
            "bot",
            "已解除\"小小学？\"的禁言"
        )
    );
}

#[tokio::test]
async fn removals_post_a_tip_to_those_who_stay() {
    let (server, token, alice, bob) = setup().await;
    let carol = "5566778";
    server.user(carol, "Carol").await;
    let (status, _) = server
        .admin(
            Method::PUT,
            &format!("/groups/{GROUP}/members/{carol}"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (mut alice_ws, _) = server.live(&alice, None).await;
    let (mut bob_ws, _) = server.live(&bob, None).await;

    let reply = server
        .post(
            "/group/remove-member",
            &token,
            json!({"groupId": GROUP, "userId": BOB}),
        )
        .await;
    assert_eq!(reply, json!({"code": 1, "msg": "success"}));
    let removed = "已将\"小小学？\"移出群聊";
    live_tip(&mut alice_ws, removed).await;
    let list = history(&server, &token).await;
    assert_eq!(list[0], tip_item(&list[0], BOT, "bot", removed));
    let event = tip_events(&server).pop().unwrap();
    assert_eq!(
        event["event"],
        tip_event(&event, &list[0], BOT, "unknown", removed)
    );
    // Bob is gone before the tip: his session hears nothing more of the group.
    while let Ok(Some(frame)) = tokio::time::timeout(
        std::time::Duration::from_millis(300),
        next_frame(&mut bob_ws),
    )
    .await
    {
        assert_ne!(frame["type"], "message", "{frame}");
    }

    // Through the admin API: the owner is the operator.
    let (status, _) = server
        .admin(
            Method::DELETE,
            &format!("/groups/{GROUP}/members/{carol}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let removed = "已将\"Carol\"移出群聊";
    live_tip(&mut alice_ws, removed).await;
    let list = history(&server, &token).await;
    assert_eq!(list[0], tip_item(&list[0], ALICE, "user", removed));
    let event = tip_events(&server).pop().unwrap();
    assert_eq!(
        event["event"],
        tip_event(&event, &list[0], ALICE, "owner", removed)
    );
}

#[tokio::test]
async fn nobody_can_send_a_tip() {
    let (server, token, alice, _) = setup().await;
    let (status, body) = server
        .user_api(
            Method::POST,
            &alice,
            &format!("/chats/group/{GROUP}/messages"),
            Some(json!({"contentType": "tip", "content": {"text": "已将\"x\"添加为群管理员"}})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let reply = server
        .post(
            "/bot/send",
            &token,
            json!({"recvId": GROUP, "recvType": "group", "contentType": "tip",
                   "content": {"text": "已将\"x\"添加为群管理员"}}),
        )
        .await;
    assert_eq!(reply["code"], 1002, "{reply}");
    assert!(history(&server, &token).await.is_empty());
}
