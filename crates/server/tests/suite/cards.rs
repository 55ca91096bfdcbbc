//! A2UI cards (wire §5.1, §7.10, issue 20): a bot sends one (an invalid one is refused with
//! the reason), a person clicks one of its buttons through the user API, and the bot gets
//! `a2ui.button.report` with the go-sdk's fields.

#![allow(clippy::unwrap_used)]

use crate::common::TestServer;
use reqwest::Method;
use serde_json::{Value, json};

const BOT: &str = "37090343";
const OTHER_BOT: &str = "55500001";
const GROUP: &str = "307149245";
const ALICE: &str = "7756242";
const BOB: &str = "4827368";

/// A card of v0.9 messages as JSON Lines: a title, a text field, a check box and two buttons.
pub(crate) fn card() -> String {
    [
        json!({"createSurface": {"surfaceId": "order", "catalogId": "https://a2ui.org/specification/v0_9/standard_catalog.json"}}),
        json!({"updateComponents": {"surfaceId": "order", "components": [
            {"id": "root", "component": "Card", "child": "col"},
            {"id": "col", "component": "Column", "children": ["title", "note", "gift", "buttons"]},
            {"id": "title", "component": "Text", "text": "Order #4821", "variant": "h2"},
            {"id": "note", "component": "TextField", "label": "Note"},
            {"id": "gift", "component": "CheckBox", "label": "Gift wrap", "value": false},
            {"id": "buttons", "component": "Row", "children": ["ok", "no"]},
            {"id": "ok_label", "component": "Text", "text": "Confirm"},
            {"id": "ok", "component": "Button", "child": "ok_label", "primary": true,
             "action": {"name": "confirm", "context": {"order": 4821}}},
            {"id": "no_label", "component": "Text", "text": "Cancel"},
            {"id": "no", "component": "Button", "child": "no_label", "action": {"name": "cancel"}}
        ]}}),
    ]
    .iter()
    .map(Value::to_string)
    .collect::<Vec<_>>()
    .join("\n")
}

async fn setup() -> (TestServer, String, String, String) {
    let server = TestServer::start().await;
    let token = server.bot(BOT).await;
    server.bot(OTHER_BOT).await;
    let alice = server.user(ALICE, "Alice").await;
    let bob = server.user(BOB, "Bob").await;
    server.group(GROUP, &[ALICE]).await;
    server.join(BOT, GROUP).await;
    server.join(OTHER_BOT, GROUP).await;
    (server, token, alice, bob)
}

async fn send_card(server: &TestServer, token: &str, recv_type: &str, recv_id: &str) -> String {
    let sent = server
        .post(
            "/bot/send",
            token,
            json!({"recvId": recv_id, "recvType": recv_type, "contentType": "a2ui",
                   "content": {"text": card()}}),
        )
        .await;
    assert_eq!(sent["code"], 1, "{sent}");
    sent["data"]["messageInfo"]["msgId"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn card_events(server: &TestServer, bot: &str) -> Vec<Value> {
    server
        .outbox(bot)
        .into_iter()
        .filter(|e| e["header"]["eventType"] == "a2ui.button.report")
        .collect()
}

#[tokio::test]
async fn a_document_that_is_no_card_is_refused_with_the_reason() {
    let (server, token, _, _) = setup().await;
    for (text, says) in [
        ("{\"hello\": 1}", "exactly one of"),
        ("not json", "not JSON"),
        (
            r#"{"updateComponents":{"surfaceId":"s","components":[{"id":"a","component":"Text"}]}}"#,
            "root",
        ),
    ] {
        let refused = server
            .post(
                "/bot/send",
                &token,
                json!({"recvId": GROUP, "recvType": "group", "contentType": "a2ui",
                       "content": {"text": text}}),
            )
            .await;
        assert_eq!(refused["code"], 1002, "{text} → {refused}");
        assert!(
            refused["msg"].as_str().unwrap().contains(says),
            "{text} → {refused}"
        );
    }
    assert_eq!(
        server.db_rows("SELECT COUNT(*) FROM messages"),
        vec![vec![json!(0)]],
        "nothing stored"
    );
}

#[tokio::test]
async fn clicking_a_cards_button_is_a2ui_button_report_to_its_bot() {
    let (server, token, alice, _) = setup().await;
    let msg_id = send_card(&server, &token, "group", GROUP).await;
    let (status, body) = server
        .user_api(
            Method::POST,
            &alice,
            &format!("/messages/{msg_id}/a2ui-action"),
            Some(json!({"componentId": "ok", "formContext": {"note": "ring twice", "gift": true}})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"reported": true}));
    let events = card_events(&server, BOT);
    assert_eq!(events.len(), 1);
    assert!(
        card_events(&server, OTHER_BOT).is_empty(),
        "only the card's bot"
    );
    let event = &events[0];
    let id = event["header"]["eventId"].as_str().unwrap();
    let time = event["event"]["time"].as_i64().unwrap();
    assert!(time > 1_700_000_000_000, "ms: {time}");
    // The go-sdk's fields (wire §7.10), each as it reads them.
    assert_eq!(
        event,
        &json!({"version": "1.0",
          "header": {"eventId": id, "eventType": "a2ui.button.report",
                     "eventTime": event["header"]["eventTime"]},
          "event": {"time": time, "msgId": msg_id, "recvId": GROUP, "recvType": "group",
                    "userId": ALICE, "userName": "Alice", "actionName": "confirm",
                    "sourceComponentId": "ok",
                    "formContext": {"note": "ring twice", "gift": true},
                    "interactionJson": event["event"]["interactionJson"]}})
    );
    let interaction: Value =
        serde_json::from_str(event["event"]["interactionJson"].as_str().unwrap()).unwrap();
    assert_eq!(
        interaction,
        json!({"actionName": "confirm", "sourceComponentId": "ok", "context": {"order": 4821}})
    );

    // In the private chat the event names the clicking user, as button.report.inline does.
    server.follow(BOT, ALICE).await;
    let private = send_card(&server, &token, "user", ALICE).await;
    let (status, _) = server
        .user_api(
            Method::POST,
            &alice,
            &format!("/messages/{private}/a2ui-action"),
            Some(json!({"componentId": "no"})),
        )
        .await;
    assert_eq!(status, 200);
    let event = &card_events(&server, BOT)[1]["event"];
    assert_eq!(
        (
            &event["recvId"],
            &event["recvType"],
            &event["actionName"],
            &event["formContext"]
        ),
        (&json!(ALICE), &json!("user"), &json!("cancel"), &json!({}))
    );
}

#[tokio::test]
async fn clicks_that_do_not_fit_the_card_are_refused_and_report_nothing() {
    let (server, token, alice, bob) = setup().await;
    let msg_id = send_card(&server, &token, "group", GROUP).await;
    let text = server
        .post(
            "/bot/send",
            &token,
            json!({"recvId": GROUP, "recvType": "group", "contentType": "text",
                   "content": {"text": "plain"}}),
        )
        .await;
    let plain = text["data"]["messageInfo"]["msgId"].as_str().unwrap();
    let path = format!("/messages/{msg_id}/a2ui-action");
    for (who, path, body, want) in [
        // Bob is not in the group: the message is not his to see.
        (&bob, path.clone(), json!({"componentId": "ok"}), 404),
        (
            &alice,
            "/messages/nope/a2ui-action".to_owned(),
            json!({"componentId": "ok"}),
            404,
        ),
        (
            &alice,
            format!("/messages/{plain}/a2ui-action"),
            json!({"componentId": "ok"}),
            400,
        ),
        // A text, not a button; no such component; no component.
        (&alice, path.clone(), json!({"componentId": "title"}), 400),
        (&alice, path.clone(), json!({"componentId": "zzz"}), 400),
        (&alice, path.clone(), json!({}), 400),
        // Input values of what is no input, or of a shape no input has.
        (
            &alice,
            path.clone(),
            json!({"componentId": "ok", "formContext": {"title": "x"}}),
            400,
        ),
        (
            &alice,
            path.clone(),
            json!({"componentId": "ok", "formContext": {"note": {"a": 1}}}),
            400,
        ),
    ] {
        let (status, problem) = server
            .user_api(Method::POST, who, &path, Some(body.clone()))
            .await;
        assert_eq!(status, want, "{path} {body} → {problem}");
        assert!(problem["error"]["message"].is_string(), "{problem}");
    }
    assert!(card_events(&server, BOT).is_empty(), "nothing reported");
}
