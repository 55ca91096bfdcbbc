//! A2UI cards in a real browser (wire §5.1, §7.10, issue 20): a bot's card is drawn as a card,
//! not as raw JSON; markup inside its texts stays text and runs nothing; a person types into
//! it, ticks a box and clicks a button, and the bot gets `a2ui.button.report` with those
//! values; the bot answers the click (wire §7.7d) and Alice sees its notice and the message
//! updated in place. At desktop and phone width; `a2ui-card.png` for the README.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_a2ui_card_is_drawn_and_its_button_reports_in_a_real_browser() {
    a2ui_card((1280, 800)).await;
    a2ui_card((390, 844)).await;
}

async fn a2ui_card(size: (u32, u32)) {
    let phone = size.0 < 600;
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    server.group(GROUP, &[ALICE]).await;
    let token = server.bot(BOT).await;
    server.join(BOT, GROUP).await;
    let hostile = "<img src=x onerror=\"window.pwned=1\">Order #4821";
    let card = [
        json!({"createSurface": {"surfaceId": "order", "catalogId": "https://a2ui.org/specification/v0_9/standard_catalog.json"}}),
        json!({"updateComponents": {"surfaceId": "order", "components": [
            {"id": "root", "component": "Card", "child": "col"},
            {"id": "col", "component": "Column", "children": ["title", "who", "pic", "note", "gift", "buttons"]},
            {"id": "title", "component": "Text", "text": hostile, "variant": "h2"},
            {"id": "who", "component": "Text", "text": {"path": "/order/customer"}, "variant": "caption"},
            {"id": "pic", "component": "Image", "url": "javascript:window.pwned=2"},
            {"id": "note", "component": "TextField", "label": "Note"},
            {"id": "gift", "component": "CheckBox", "label": "Gift wrap", "value": false},
            {"id": "buttons", "component": "Row", "children": ["ok", "no"]},
            {"id": "ok_label", "component": "Text", "text": "Confirm"},
            {"id": "ok", "component": "Button", "child": "ok_label", "primary": true,
             "action": {"name": "confirm", "context": {"order": 4821}}},
            {"id": "no_label", "component": "Text", "text": "Cancel"},
            {"id": "no", "component": "Button", "child": "no_label", "action": {"name": "cancel"}}
        ]}}),
        json!({"updateDataModel": {"surfaceId": "order", "path": "/order", "value": {"customer": "for Ming Li"}}}),
    ]
    .iter()
    .map(Value::to_string)
    .collect::<Vec<_>>()
    .join("\n");
    let sent = server
        .post(
            "/bot/send",
            &token,
            json!({"recvId": GROUP, "recvType": "group", "contentType": "a2ui", "content": {"text": card}}),
        )
        .await;
    assert_eq!(sent["code"], 1, "{sent}");
    let msg_id = sent["data"]["messageInfo"]["msgId"]
        .as_str()
        .unwrap()
        .to_owned();
    let Some((driver, _profile)) = signed_in(&server, &alice, size).await else {
        return;
    };
    open_chat(&driver, &format!("group:{GROUP}")).await;
    let at = format!("#message-list .msg[data-msg-id='{msg_id}'] .a2ui-card");
    let drawn = driver
        .wait_for(
            "the card",
            &format!(
                "const c = document.querySelector(\"{at}\"); if (!c) return null; \
                 const r = c.getBoundingClientRect(); \
                 return {{texts: [...c.querySelectorAll('.a2ui-text')].map((t) => t.textContent), \
                         buttons: [...c.querySelectorAll('button')].map((b) => b.textContent), \
                         fields: [...c.querySelectorAll('label')].map((l) => l.textContent.trim()), \
                         rawJson: c.closest('.msg').textContent.includes('updateComponents'), \
                         imgs: document.querySelectorAll('#message-list img[src^=\"javascript\"], #message-list img[src=\"x\"]').length, \
                         pwned: window.pwned ?? null, \
                         fits: r.left >= 0 && r.right <= innerWidth + 0.5, \
                         preview: document.querySelector('.chat-item .chat-preview')?.textContent ?? null}}"
            ),
        )
        .await;
    assert_eq!(
        drawn,
        json!({"texts": [hostile, "for Ming Li"],
               "buttons": ["Confirm", "Cancel"], "fields": ["Note", "Gift wrap"],
               "rawJson": false, "imgs": 0, "pwned": null, "fits": true,
               "preview": format!("bot {BOT}: [card]")}),
        "{size:?}"
    );

    driver
        .type_into(&format!("{at} input[data-component=note]"), "ring twice")
        .await;
    driver
        .click(&format!("{at} input[data-component=gift]"))
        .await;
    let shots = std::env::var("CLOUDLAKE_SCREENSHOTS")
        .ok()
        .map(PathBuf::from);
    if !phone {
        driver.screenshot(shots.as_deref(), "a2ui-card.png").await;
    }
    driver
        .click(&format!("{at} button[data-component=ok]"))
        .await;
    driver
        .wait_for(
            "Sent",
            &format!(
                "return document.querySelector(\"{at} .a2ui-status\")?.textContent === 'Sent: Confirm'"
            ),
        )
        .await;
    let event = server
        .outbox(BOT)
        .into_iter()
        .rfind(|e| e["header"]["eventType"] == "a2ui.button.report")
        .expect("a2ui.button.report in the bot's outbox");
    let e = &event["event"];
    assert_eq!(
        (
            &e["msgId"],
            &e["userId"],
            &e["actionName"],
            &e["sourceComponentId"],
            &e["formContext"]
        ),
        (
            &json!(msg_id),
            &json!(ALICE),
            &json!("confirm"),
            &json!("ok"),
            &json!({"note": "ring twice", "gift": true})
        ),
        "{size:?}"
    );

    // The bot answers the click: a notice for Alice, and the card replaced in place.
    let answered = server
        .post(
            "/bot/answer-click",
            &token,
            json!({"msgId": msg_id, "userId": ALICE, "notice": "Order confirmed",
                   "contentType": "markdown", "content": {"text": "**Order #4821** confirmed"}}),
        )
        .await;
    assert_eq!(answered["code"], 1, "{answered}");
    let shown = driver
        .wait_for(
            "the notice and the updated message",
            &format!(
                "const t = document.querySelector('#toasts .toast'); \
                 const m = document.querySelector(\"#message-list .msg[data-msg-id='{msg_id}'] .msg-body\"); \
                 if (!t || !m || m.querySelector('.a2ui-card')) return null; \
                 const r = t.getBoundingClientRect(); \
                 return {{toast: t.textContent, body: m.textContent.trim(), \
                         inView: r.left >= 0 && r.right <= innerWidth + 0.5 && r.bottom <= innerHeight}}"
            ),
        )
        .await;
    assert_eq!(
        shown,
        json!({"toast": format!("bot {BOT}: Order confirmed"), "body": "Order #4821 confirmed", "inView": true}),
        "{size:?}"
    );

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}
