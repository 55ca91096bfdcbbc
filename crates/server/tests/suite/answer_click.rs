//! Answering a click (a cloudlake extension, wire §7.7d, issue 20): after a person clicks a
//! button of a bot's message, `POST /bot/answer-click` shows them — and only them — a notice,
//! and may replace the message's content in place; each click is answered at most once, within
//! the window, by the bot whose message it is.

#![allow(clippy::unwrap_used)]

use crate::common::{TestServer, db_execute, next_frame, quiet};
use reqwest::Method;
use serde_json::{Value, json};

const BOT: &str = "37090343";
const OTHER_BOT: &str = "55500001";
const GROUP: &str = "307149245";
const ALICE: &str = "7756242";
const BOB: &str = "4827368";

struct Setup {
    server: TestServer,
    bot: String,
    other_bot: String,
    alice: String,
    bob: String,
    msg_id: String,
}

async fn setup() -> Setup {
    let server = TestServer::start().await;
    let bot = server.bot(BOT).await;
    let other_bot = server.bot(OTHER_BOT).await;
    let alice = server.user(ALICE, "Alice").await;
    let bob = server.user(BOB, "Bob").await;
    server.group(GROUP, &[ALICE, BOB]).await;
    server.join(BOT, GROUP).await;
    server.join(OTHER_BOT, GROUP).await;
    let sent = server
        .post(
            "/bot/send",
            &bot,
            json!({"recvId": GROUP, "recvType": "group", "contentType": "text",
                   "content": {"text": "Deploy #42?", "buttons": [[
                       {"text": "Approve", "actionType": 3, "value": "approve-42"}]]}}),
        )
        .await;
    assert_eq!(sent["code"], 1, "{sent}");
    let msg_id = sent["data"]["messageInfo"]["msgId"]
        .as_str()
        .unwrap()
        .to_owned();
    Setup {
        server,
        bot,
        other_bot,
        alice,
        bob,
        msg_id,
    }
}

async fn click(s: &Setup, token: &str) {
    let (status, body) = s
        .server
        .user_api(
            Method::POST,
            token,
            &format!("/messages/{}/click", s.msg_id),
            Some(json!({"value": "approve-42"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn answer(s: &Setup, token: &str, body: Value) -> Value {
    s.server.post("/bot/answer-click", token, body).await
}

async fn text_of(s: &Setup) -> Value {
    let (_, history) = s
        .server
        .user_api(
            Method::GET,
            &s.alice,
            &format!("/chats/group/{GROUP}/messages"),
            None,
        )
        .await;
    let message = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["msgId"] == s.msg_id.as_str())
        .cloned()
        .unwrap();
    message["content"]["text"].clone()
}

#[tokio::test]
async fn the_clicker_alone_sees_the_notice_and_everyone_the_updated_message() {
    let s = setup().await;
    let (mut alice_ws, _) = s.server.live(&s.alice, None).await;
    let (mut bob_ws, _) = s.server.live(&s.bob, None).await;
    click(&s, &s.alice).await;
    let answered = answer(
        &s,
        &s.bot,
        json!({"msgId": s.msg_id, "userId": ALICE, "notice": "Approved, deploying…",
               "contentType": "text", "content": {"text": "Deploy #42: approved by Alice", "buttons": [[
                   {"text": "Approve", "actionType": 3, "value": "approve-42"}]]}}),
    )
    .await;
    assert_eq!(answered, json!({"code": 1, "msg": "success"}), "{answered}");

    // Alice: the notice for her, and the edit; Bob: the edit only.
    let mut alice_got = Vec::new();
    for _ in 0..2 {
        alice_got.push(next_frame(&mut alice_ws).await.unwrap());
    }
    let notice = alice_got
        .iter()
        .find(|f| f["type"] == "click.answered")
        .unwrap_or_else(|| panic!("{alice_got:?}"));
    assert_eq!(
        notice,
        &json!({"type": "click.answered", "v": notice["v"], "msgId": s.msg_id,
                "chat": {"chatType": "group", "chatId": GROUP}, "notice": "Approved, deploying…"})
    );
    assert!(alice_got.iter().any(|f| f["type"] == "message.edited"));
    let bob_got = next_frame(&mut bob_ws).await.unwrap();
    assert_eq!(bob_got["type"], "message.edited", "{bob_got}");
    assert!(quiet(&mut bob_ws, 300).await, "Bob gets no notice");
    assert_eq!(text_of(&s).await, "Deploy #42: approved by Alice");

    // A click is answered once; a notice alone answers the next one.
    let again = answer(
        &s,
        &s.bot,
        json!({"msgId": s.msg_id, "userId": ALICE, "notice": "again"}),
    )
    .await;
    assert_eq!(again["code"], 1002, "{again}");
    click(&s, &s.alice).await;
    let second = answer(
        &s,
        &s.bot,
        json!({"msgId": s.msg_id, "userId": ALICE, "notice": "Already approved"}),
    )
    .await;
    assert_eq!(second["code"], 1, "{second}");
    assert_eq!(text_of(&s).await, "Deploy #42: approved by Alice");
}

#[tokio::test]
async fn answers_that_do_not_match_a_click_are_refused_and_change_nothing() {
    let s = setup().await;
    click(&s, &s.alice).await;
    for (token, body, says) in [
        // Bob did not click; another bot's token; an unknown message.
        (
            &s.bot,
            json!({"msgId": s.msg_id, "userId": BOB, "notice": "x"}),
            "没有可回应的点击",
        ),
        (
            &s.other_bot,
            json!({"msgId": s.msg_id, "userId": ALICE, "notice": "x"}),
            "没有可回应的点击",
        ),
        (
            &s.bot,
            json!({"msgId": "nope", "userId": ALICE, "notice": "x"}),
            "没有可回应的点击",
        ),
        // Nothing to say, a notice too long or of two lines, a content that is none.
        (
            &s.bot,
            json!({"msgId": s.msg_id, "userId": ALICE}),
            "至少需要一个",
        ),
        (
            &s.bot,
            json!({"msgId": s.msg_id, "userId": ALICE, "notice": "x".repeat(201)}),
            "notice",
        ),
        (
            &s.bot,
            json!({"msgId": s.msg_id, "userId": ALICE, "notice": "a\nb"}),
            "notice",
        ),
        (
            &s.bot,
            json!({"msgId": s.msg_id, "userId": ALICE, "contentType": "text", "content": {}}),
            "",
        ),
        (&s.bot, json!({"userId": ALICE, "notice": "x"}), "msgId"),
    ] {
        let refused = answer(&s, token, body.clone()).await;
        assert_eq!(refused["code"], 1002, "{body} → {refused}");
        assert!(
            refused["msg"].as_str().unwrap().contains(says),
            "{body} → {refused}"
        );
    }
    assert_eq!(text_of(&s).await, "Deploy #42?", "nothing edited");

    // Past the window the click cannot be answered.
    db_execute(
        s.server.dir.path(),
        "UPDATE bot_clicks SET clicked_at = clicked_at - 16 * 60 * 1000",
    );
    let late = answer(
        &s,
        &s.bot,
        json!({"msgId": s.msg_id, "userId": ALICE, "notice": "late"}),
    )
    .await;
    assert_eq!(late["code"], 1002, "{late}");
    // And the unanswered click, still in the window, still can be.
    click(&s, &s.alice).await;
    let ok = answer(
        &s,
        &s.bot,
        json!({"msgId": s.msg_id, "userId": ALICE, "notice": "ok"}),
    )
    .await;
    assert_eq!(ok["code"], 1, "{ok}");
}

#[tokio::test]
async fn a_click_on_an_a2ui_card_is_answered_too() {
    let s = setup().await;
    let card = crate::cards::card();
    let sent = s
        .server
        .post(
            "/bot/send",
            &s.bot,
            json!({"recvId": GROUP, "recvType": "group", "contentType": "a2ui",
                   "content": {"text": card}}),
        )
        .await;
    let msg_id = sent["data"]["messageInfo"]["msgId"].as_str().unwrap();
    let (mut alice_ws, _) = s.server.live(&s.alice, None).await;
    let (status, _) = s
        .server
        .user_api(
            Method::POST,
            &s.alice,
            &format!("/messages/{msg_id}/a2ui-action"),
            Some(json!({"componentId": "ok"})),
        )
        .await;
    assert_eq!(status, 200);
    let answered = answer(
        &s,
        &s.bot,
        json!({"msgId": msg_id, "userId": ALICE, "notice": "Order confirmed"}),
    )
    .await;
    assert_eq!(answered["code"], 1, "{answered}");
    let frame = next_frame(&mut alice_ws).await.unwrap();
    assert_eq!(
        (&frame["type"], &frame["notice"]),
        (&json!("click.answered"), &json!("Order confirmed"))
    );
}
