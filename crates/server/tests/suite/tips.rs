//! Tips, each kind exactly: the `contentType:"tip"` lines a group gets for role changes,
//! gags and removals (wire §7.3) — the history item, the live frame, and the
//! `message.receive.normal` the group's bots get — and what posts none.

#![allow(clippy::unwrap_used)]

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{TestServer, Ws, next_frame, quiet};

const BOT: &str = "86297657";
/// A second bot in the group: tips a bot causes go to the group's other bots.
const OTHER: &str = "37090343";
const GROUP: &str = "307149245";
const ALICE: &str = "7756242";
const BOB: &str = "4827368";

/// Alice owns the group, Bob ("小小学？") is a member, both bots are in it and BOT may gag
/// and remove.
async fn setup() -> (TestServer, String, String, String) {
    let server = TestServer::start().await;
    let token = server.bot(BOT).await;
    server.bot(OTHER).await;
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
    server.join(OTHER, GROUP).await;
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

/// The group's history as `token`'s bot reads it, newest first.
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

/// A bot's events whose content is a tip, oldest first.
fn tip_events(server: &TestServer, bot: &str) -> Vec<Value> {
    server
        .outbox(bot)
        .into_iter()
        .filter(|e| e["event"]["message"]["contentType"] == "tip")
        .collect()
}

/// Yunhu's tip msgIds are dashed UUIDs (8-4-4-4-12 lowercase hex), unlike other messages'.
fn is_dashed_uuid(id: &Value) -> bool {
    let Some(s) = id.as_str() else { return false };
    let groups: Vec<&str> = s.split('-').collect();
    groups.iter().map(|g| g.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && groups.iter().all(|g| {
            g.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

/// A tip's history item, exactly.
fn tip_item(item: &Value, sender_id: &str, sender_type: &str, text: &str) -> Value {
    assert!(is_dashed_uuid(&item["msgId"]), "{item}");
    assert!(item["sendTime"].as_i64().unwrap() > 0);
    json!({"msgId": item["msgId"], "parentId": "", "senderId": sender_id, "senderType": sender_type,
           "senderNickname": "", "contentType": "tip", "content": {"text": text},
           "sendTime": item["sendTime"], "commandName": "", "commandId": 0})
}

/// A tip's event, exactly (its header's fresh IDs checked apart).
fn tip_event(event: &Value, item: &Value, sender_id: &str, text: &str) -> Value {
    assert_eq!(event["version"], "1.0");
    assert_eq!(event["header"]["eventType"], "message.receive.normal");
    json!({"sender": {"senderId": sender_id, "senderType": "user", "senderUserLevel": "unknown",
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
async fn role_changes_by_the_admin_api_post_tips_to_every_bot() {
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
    for (new_role, text) in [
        ("administrator", "已将\"小小学？\"添加为群管理员"),
        ("member", "已取消\"小小学？\"的群管理员身份"),
    ] {
        role(new_role).await;
        let frame = live_tip(&mut ws, text).await;
        let item = history(&server, &token).await[0].clone();
        // The admin API acts as no user: an empty sender ID.
        assert_eq!(item, tip_item(&item, "", "user", text));
        assert_eq!(frame["message"]["msgId"], item["msgId"]);
        for bot in [BOT, OTHER] {
            let event = tip_events(&server, bot).pop().unwrap();
            assert_eq!(event["event"], tip_event(&event, &item, "", text), "{bot}");
        }
    }
    // The same role again changes nothing and tells nobody.
    role("member").await;
    assert!(quiet(&mut ws, 200).await);
    assert_eq!(tip_events(&server, OTHER).len(), 2);
}

#[tokio::test]
async fn gags_by_a_bot_post_tips_and_what_changes_nothing_posts_none() {
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

    // Lifting a gag nobody has, and gagging the owner (refused): nothing to tell.
    assert_eq!(gag(BOB, 0).await, ok);
    assert_eq!(
        gag(ALICE, 600).await,
        json!({"code": -1, "msg": "不可以禁言群主！"})
    );
    assert!(quiet(&mut ws, 200).await);

    for (seconds, text) in [
        (600, "\"小小学？\"已被禁言10分钟"),
        (21_600, "\"小小学？\"已被禁言6小时"),
        (-1, "\"小小学？\"已被永久禁言"),
        (0, "\"小小学？\"已被解除禁言"),
    ] {
        assert_eq!(gag(BOB, seconds).await, ok);
        live_tip(&mut ws, text).await;
        // In history the bot is the operator; its event's sender is a `user` (message events
        // have no other sender type, and nonebot drops any other) of level "unknown".
        let item = history(&server, &token).await[0].clone();
        assert_eq!(item, tip_item(&item, BOT, "bot", text));
        let event = tip_events(&server, OTHER).pop().unwrap();
        assert_eq!(event["event"], tip_event(&event, &item, BOT, text));
    }
    // The bot that acted is not told of its own act.
    assert!(tip_events(&server, BOT).is_empty());
    // Lifting again: Bob is no longer muted, so no tip.
    assert_eq!(gag(BOB, 0).await, ok);
    assert!(quiet(&mut ws, 200).await);
    assert_eq!(tip_events(&server, OTHER).len(), 4);

    // The bot cannot edit or recall the tips it caused: they are the group's record.
    let tip_id = history(&server, &token).await[0]["msgId"].clone();
    let not_found = json!({"code": -1, "msg": "消息不存在或无权限修改"});
    let edit = json!({"msgId": tip_id, "recvId": GROUP, "recvType": "group",
                      "contentType": "text", "content": {"text": "nothing happened"}});
    assert_eq!(server.post("/bot/edit", &token, edit).await, not_found);
    let recall = json!({"msgId": tip_id, "chatId": GROUP, "chatType": "group"});
    assert_eq!(server.post("/bot/recall", &token, recall).await, not_found);
    let item = history(&server, &token).await[0].clone();
    assert_eq!(
        item,
        tip_item(&item, BOT, "bot", "\"小小学？\"已被解除禁言")
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
    let removed = "\"小小学？\"已被移出群聊";
    live_tip(&mut alice_ws, removed).await;
    let item = history(&server, &token).await[0].clone();
    assert_eq!(item, tip_item(&item, BOT, "bot", removed));
    let event = tip_events(&server, OTHER).pop().unwrap();
    assert_eq!(event["event"], tip_event(&event, &item, BOT, removed));
    // Bob is gone before the tip: his session hears no more messages of the group.
    while let Ok(Some(frame)) = tokio::time::timeout(
        std::time::Duration::from_millis(300),
        next_frame(&mut bob_ws),
    )
    .await
    {
        assert_ne!(frame["type"], "message", "{frame}");
    }

    // Through the admin API: the same line, from no user.
    let (status, _) = server
        .admin(
            Method::DELETE,
            &format!("/groups/{GROUP}/members/{carol}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let removed = "\"Carol\"已被移出群聊";
    live_tip(&mut alice_ws, removed).await;
    let item = history(&server, &token).await[0].clone();
    assert_eq!(item, tip_item(&item, "", "user", removed));
    for bot in [BOT, OTHER] {
        let event = tip_events(&server, bot).pop().unwrap();
        assert_eq!(event["event"], tip_event(&event, &item, "", removed));
    }
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

#[tokio::test]
async fn lifting_a_gag_that_has_run_out_tells_nobody() {
    let (server, token, _, _) = setup().await;
    let gag = |seconds: i64| {
        let server = &server;
        let token = &token;
        async move {
            server
                .post(
                    "/group/gag-member",
                    token,
                    json!({"groupId": GROUP, "userId": BOB, "gag": seconds}),
                )
                .await
        }
    };
    let ok = json!({"code": 1, "msg": "success"});
    assert_eq!(gag(1).await, ok);
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    assert_eq!(gag(0).await, ok);
    let texts: Vec<Value> = tip_events(&server, OTHER)
        .iter()
        .map(|e| e["event"]["message"]["content"]["text"].clone())
        .collect();
    assert_eq!(texts, [json!("\"小小学？\"已被禁言1分钟")]);
}
