//! Issue 20's interactive parts: form commands (wire §7.4) and normal commands' hint texts,
//! configured through the admin API and used through the user API, with the event the bot
//! receives compared field for field against Yunhu's samples.

#![allow(clippy::unwrap_used)]

use crate::common::TestServer;
use reqwest::Method;
use serde_json::{Value, json};

const BOT: &str = "37090343";
const OTHER_BOT: &str = "55500001";
const GROUP: &str = "307149245";
const ALICE: &str = "7756242";
const BOB: &str = "4827368";

async fn setup() -> (TestServer, String, String) {
    let server = TestServer::start().await;
    server.bot(BOT).await;
    server.bot(OTHER_BOT).await;
    let alice = server.user(ALICE, "小学不在这里哦").await;
    let bob = server.user(BOB, "小小学？").await;
    server.group(GROUP, &[ALICE]).await;
    server.join(BOT, GROUP).await;
    server.join(OTHER_BOT, GROUP).await;
    (server, alice, bob)
}

/// The sample's form command (wire §7.4) with one field of every other type besides.
fn form_command() -> Value {
    json!({"name": "这是自定义输入指令", "kind": "form", "form": [
        {"id": "loktny", "type": "input", "label": "这是自定义输入指令的标签", "default": "默认内容"},
        {"id": "notes", "type": "textarea"},
        {"id": "city", "type": "radio", "label": "城市", "options": ["北京", "上海"], "default": 0},
        {"id": "size", "type": "select", "label": "大小", "options": ["小", "中", "大"]},
        {"id": "tags", "type": "checkbox", "label": "标签", "options": ["a", "b", "c"], "default": [1]},
        {"id": "loud", "type": "switch", "label": "大声"}
    ]})
}

async fn add(server: &TestServer, body: Value) -> Value {
    let (status, command) = server
        .admin(Method::POST, &format!("/bots/{BOT}/commands"), Some(body))
        .await;
    assert_eq!(status, 200, "{command}");
    command
}

fn instructions(server: &TestServer, bot: &str) -> Vec<Value> {
    server
        .outbox(bot)
        .into_iter()
        .filter(|e| e["header"]["eventType"] == "message.receive.instruction")
        .collect()
}

#[tokio::test]
async fn commands_of_three_kinds_are_configured_through_the_admin_api() {
    let (server, _, bob) = setup().await;
    let normal = add(
        &server,
        json!({"name": "weather", "presetText": "天气", "hintText": "输入城市名"}),
    )
    .await;
    assert_eq!(
        normal,
        json!({"commandId": normal["commandId"], "name": "weather", "kind": "normal",
               "presetText": "天气", "hintText": "输入城市名"})
    );
    let form = add(&server, form_command()).await;
    assert_eq!(
        form,
        json!({"commandId": form["commandId"], "name": "这是自定义输入指令", "kind": "form",
               "presetText": "", "form": form_command()["form"]}),
        "the fields are kept as defined, in order"
    );
    let (_, listed) = server
        .admin(Method::GET, &format!("/bots/{BOT}/commands"), None)
        .await;
    assert_eq!(listed, json!({"commands": [normal, form]}));

    // Each refused definition names its fault, and changes nothing.
    for (bad, says) in [
        (json!({"name": "f", "kind": "form"}), "at least one field"),
        (
            json!({"name": "f", "kind": "form", "form": [{"id": "a", "type": "radio"}]}),
            "options",
        ),
        (
            json!({"name": "f", "kind": "form", "form": [{"id": "a", "type": "color"}]}),
            "unknown variant `color`",
        ),
        (
            json!({"name": "f", "kind": "form", "form": [{"id": "a", "type": "input"}, {"id": "a", "type": "switch"}]}),
            "twice",
        ),
        (
            json!({"name": "f", "kind": "form", "form": [{"id": "a", "type": "select", "options": ["x"], "default": 1}]}),
            "default",
        ),
        (
            json!({"name": "f", "kind": "form", "form": [{"id": "a", "type": "switch", "default": "on"}]}),
            "default",
        ),
        (
            json!({"name": "f", "form": [{"id": "a", "type": "input"}]}),
            "only a form command",
        ),
        (
            json!({"name": "f", "kind": "direct", "hintText": "x"}),
            "only a normal command",
        ),
        (
            json!({"name": "weather", "hintText": "h".repeat(1001)}),
            "hintText",
        ),
        (
            json!({"name": "weather", "hintText": "a\u{0}b"}),
            "control characters",
        ),
    ] {
        let (status, body) = server
            .admin(
                Method::POST,
                &format!("/bots/{BOT}/commands"),
                Some(bad.clone()),
            )
            .await;
        assert_eq!(status, 400, "{bad} → {body}");
        assert!(body.to_string().contains(says), "{bad} → {body}");
    }
    let (_, again) = server
        .admin(Method::GET, &format!("/bots/{BOT}/commands"), None)
        .await;
    assert_eq!(again, listed, "a refused command changes nothing");

    // The user API lists them for the composer's picker, hint text and form included.
    server.follow(BOT, BOB).await;
    let (status, picker) = server
        .user_api(Method::GET, &bob, &format!("/bots/{BOT}/commands"), None)
        .await;
    assert_eq!(status, 200, "{picker}");
    assert_eq!(picker, listed);
}

#[tokio::test]
async fn a_filled_in_form_command_is_the_instruction_yunhu_sends() {
    let (server, alice, _) = setup().await;
    let command = add(&server, form_command()).await;
    let command_id = command["commandId"].as_i64().unwrap();
    let (status, sent) = server
        .user_api(
            Method::POST,
            &alice,
            &format!("/chats/group/{GROUP}/forms"),
            Some(json!({"botId": BOT, "commandId": command_id,
                        "values": {"notes": "多行\n文字", "size": 2, "tags": [0, 2], "loud": true}})),
        )
        .await;
    assert_eq!(status, 201, "{sent}");
    let form_json = json!({
        "loktny": {"id": "loktny", "type": "input", "label": "这是自定义输入指令的标签", "value": "默认内容"},
        "notes": {"id": "notes", "type": "textarea", "label": null, "value": "多行\n文字"},
        "city": {"id": "city", "type": "radio", "label": "城市", "selectIndex": 0, "selectValue": "北京"},
        "size": {"id": "size", "type": "select", "label": "大小", "selectIndex": 2, "selectValue": "大"},
        "tags": {"id": "tags", "type": "checkbox", "label": "标签", "selectStatus": [true, false, true], "selectValues": ["a", "b", "c"]},
        "loud": {"id": "loud", "type": "switch", "label": "大声", "value": true},
    });
    assert_eq!(sent["contentType"], "form");
    assert_eq!(sent["content"], json!({"formJson": form_json}));
    assert_eq!(sent["senderId"], ALICE);

    // Exactly one event, to that bot: the other bot in the group hears nothing of it.
    let events = instructions(&server, BOT);
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(server.outbox(OTHER_BOT).is_empty());
    let event = &events[0];
    let id = event["header"]["eventId"].as_str().unwrap();
    assert!(
        id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id}"
    );
    assert!(event["header"]["eventTime"].as_i64().unwrap() > 1_700_000_000_000);
    // Field for field the sample of wire §7.3/§7.4, with this form's formJson.
    assert_eq!(
        event,
        &json!({"version": "1.0",
          "header": {"eventId": id, "eventType": "message.receive.instruction",
                     "eventTime": event["header"]["eventTime"]},
          "event": {
            "sender": {"senderId": ALICE, "senderType": "user", "senderUserLevel": "member",
                       "senderNickname": "小学不在这里哦", "senderAvatarUrl": ""},
            "chat": {"chatId": GROUP, "chatType": "group"},
            "message": {"msgId": sent["msgId"], "parentId": "", "sendTime": sent["sendTime"],
              "chatId": GROUP, "chatType": "group", "contentType": "form",
              "content": {"formJson": form_json, "menu": {}},
              "instructionId": command_id, "instructionName": "这是自定义输入指令",
              "commandId": command_id, "commandName": "这是自定义输入指令"}}})
    );

    // The history keeps it, with the command, for the user and for the bot.
    let (_, page) = server
        .user_api(
            Method::GET,
            &alice,
            &format!("/chats/group/{GROUP}/messages"),
            None,
        )
        .await;
    assert_eq!(
        page["messages"][0]["content"],
        json!({"formJson": form_json})
    );
    let (status, rotated) = server
        .admin(Method::POST, &format!("/bots/{BOT}/token"), None)
        .await;
    assert_eq!(status, 200, "{rotated}");
    let history = server
        .messages(
            rotated["token"].as_str().unwrap(),
            &[("chat-id", GROUP), ("chat-type", "group"), ("before", "10")],
        )
        .await;
    let item = &history["data"]["list"][0];
    assert_eq!(
        (
            &item["msgId"],
            &item["contentType"],
            &item["content"],
            &item["commandId"],
            &item["commandName"]
        ),
        (
            &sent["msgId"],
            &json!("form"),
            &json!({"formJson": form_json}),
            &json!(command_id),
            &json!("这是自定义输入指令")
        ),
        "GET /bot/messages shows the form and its command, as Yunhu's history: {history}"
    );
    let rows = server.db_rows(&format!(
        "SELECT command_id, command_name FROM messages WHERE msg_id = '{}'",
        sent["msgId"].as_str().unwrap()
    ));
    assert_eq!(
        rows,
        vec![vec![json!(command_id), json!("这是自定义输入指令")]]
    );
}

#[tokio::test]
async fn a_form_that_does_not_fit_is_refused_and_nothing_is_stored() {
    let (server, alice, bob) = setup().await;
    let command_id = add(&server, form_command()).await["commandId"]
        .as_i64()
        .unwrap();
    let normal_id = add(&server, json!({"name": "weather"})).await["commandId"]
        .as_i64()
        .unwrap();
    let path = format!("/chats/group/{GROUP}/forms");
    for (body, status, says) in [
        (
            json!({"botId": BOT, "commandId": command_id, "values": {"nope": 1}}),
            400,
            "no field",
        ),
        (
            json!({"botId": BOT, "commandId": command_id, "values": {"loktny": 5}}),
            400,
            "a string or null",
        ),
        (
            json!({"botId": BOT, "commandId": command_id, "values": {"loud": "yes"}}),
            400,
            "true or false",
        ),
        (
            json!({"botId": BOT, "commandId": command_id, "values": {"city": 2}}),
            400,
            "not an option index",
        ),
        (
            json!({"botId": BOT, "commandId": command_id, "values": {"size": -2}}),
            400,
            "not an option index",
        ),
        (
            json!({"botId": BOT, "commandId": command_id, "values": {"tags": [3]}}),
            400,
            "not an option index",
        ),
        (
            json!({"botId": BOT, "commandId": command_id, "values": {"tags": "a"}}),
            400,
            "list of option indexes",
        ),
        (
            json!({"botId": BOT, "commandId": command_id, "values": {"notes": "x".repeat(4001)}}),
            400,
            "longer than",
        ),
        (
            json!({"botId": BOT, "commandId": command_id, "values": [], }),
            400,
            "invalid JSON body",
        ),
        (
            json!({"botId": BOT, "commandId": normal_id}),
            404,
            "no form command",
        ),
        (
            json!({"botId": OTHER_BOT, "commandId": command_id}),
            404,
            "no form command",
        ),
        (json!({"commandId": command_id}), 400, "botId"),
    ] {
        let (got, problem) = server
            .user_api(Method::POST, &alice, &path, Some(body.clone()))
            .await;
        assert_eq!(got, status, "{body} → {problem}");
        assert!(problem.to_string().contains(says), "{body} → {problem}");
    }
    // Bob is not in the group.
    let (got, _) = server
        .user_api(
            Method::POST,
            &bob,
            &path,
            Some(json!({"botId": BOT, "commandId": command_id})),
        )
        .await;
    assert_eq!(got, 404);
    assert!(server.db_rows("SELECT msg_id FROM messages").is_empty());
    assert!(server.outbox(BOT).is_empty());

    // A form command is filled in, never typed: `/name` is an ordinary message.
    let (status, _) = server
        .user_api(
            Method::POST,
            &alice,
            &format!("/chats/group/{GROUP}/messages"),
            Some(json!({"contentType": "text", "content": {"text": "/这是自定义输入指令"}})),
        )
        .await;
    assert_eq!(status, 201);
    let events = server.outbox(BOT);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["header"]["eventType"], "message.receive.normal");
}

#[tokio::test]
async fn a_form_command_in_a_private_chat_names_the_bot_as_the_chat() {
    let (server, _, bob) = setup().await;
    server.follow(BOT, BOB).await;
    let command_id = add(&server, form_command()).await["commandId"]
        .as_i64()
        .unwrap();
    let (status, sent) = server
        .user_api(
            Method::POST,
            &bob,
            &format!("/chats/bot/{BOT}/forms"),
            Some(json!({"botId": BOT, "commandId": command_id, "values": {}})),
        )
        .await;
    assert_eq!(status, 201, "{sent}");
    let event = &instructions(&server, BOT)[0]["event"];
    assert_eq!(event["chat"], json!({"chatId": BOT, "chatType": "bot"}));
    assert_eq!(event["message"]["chatType"], "bot");
    assert_eq!(
        event["message"]["content"]["formJson"]["size"],
        json!({"id": "size", "type": "select", "label": "大小", "selectIndex": -1, "selectValue": ""}),
        "nothing chosen is -1"
    );
    // The other bot is not in this chat.
    let (status, _) = server
        .user_api(
            Method::POST,
            &bob,
            &format!("/chats/bot/{BOT}/forms"),
            Some(json!({"botId": OTHER_BOT, "commandId": command_id})),
        )
        .await;
    assert_eq!(status, 404);
}

// ---- shortcut menus (wire §7.8) ----

async fn add_menu(server: &TestServer, bot: &str, body: Value) -> Value {
    let (status, menu) = server
        .admin(Method::POST, &format!("/bots/{bot}/menus"), Some(body))
        .await;
    assert_eq!(status, 201, "{menu}");
    menu
}

fn menu_events(server: &TestServer, bot: &str) -> Vec<Value> {
    server
        .outbox(bot)
        .into_iter()
        .filter(|e| e["header"]["eventType"] == "bot.shortcut.menu")
        .collect()
}

#[tokio::test]
async fn a_bots_menu_is_configured_through_the_admin_api() {
    let (server, _, _) = setup().await;
    let button = add_menu(&server, BOT, json!({"name": "签到"})).await;
    let id = button["menuId"].as_str().unwrap().to_owned();
    assert!(
        id.len() == 8
            && id
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
        "{id}"
    );
    assert_eq!(
        button,
        json!({"menuId": id, "botId": BOT, "name": "签到", "menuType": 1})
    );
    let toggle = add_menu(&server, BOT, json!({"name": "静音", "menuType": 2})).await;
    let city = add_menu(
        &server,
        BOT,
        json!({"name": "城市", "menuType": 3, "options": ["北京", "上海"]}),
    )
    .await;
    assert_eq!(city["options"], json!(["北京", "上海"]));
    let (status, listed) = server
        .admin(Method::GET, &format!("/bots/{BOT}/menus"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(listed, json!({"menus": [button, toggle, city]}));

    for (bad, says) in [
        (json!({}), "name"),
        (json!({"name": " "}), "name"),
        (json!({"name": "x", "menuType": 4}), "menuType 4"),
        (json!({"name": "x", "menuType": 3}), "needs 1 to 20 options"),
        (
            json!({"name": "x", "menuType": 3, "options": ["a", "a"]}),
            "twice",
        ),
        (json!({"name": "x", "options": ["a"]}), "only a drop-down"),
        (json!({"name": "x", "colour": "red"}), "unknown field"),
        (json!({"name": "a\u{0}b"}), "control characters"),
        (
            json!({"name": "x", "menuType": 3, "options": ["a\nb"]}),
            "control characters",
        ),
    ] {
        let (status, body) = server
            .admin(
                Method::POST,
                &format!("/bots/{BOT}/menus"),
                Some(bad.clone()),
            )
            .await;
        assert_eq!(status, 400, "{bad} → {body}");
        assert!(body.to_string().contains(says), "{bad} → {body}");
    }
    let (status, _) = server
        .admin(
            Method::POST,
            "/bots/nobody/menus",
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(status, 404);
    for i in 3..10 {
        add_menu(&server, BOT, json!({"name": format!("b{i}")})).await;
    }
    let (status, body) = server
        .admin(
            Method::POST,
            &format!("/bots/{BOT}/menus"),
            Some(json!({"name": "b10"})),
        )
        .await;
    assert_eq!(status, 409, "ten buttons at most: {body}");

    let (status, _) = server
        .admin(Method::DELETE, &format!("/bots/{BOT}/menus/{id}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = server
        .admin(Method::DELETE, &format!("/bots/{BOT}/menus/{id}"), None)
        .await;
    assert_eq!(status, 404);
    let (_, listed) = server
        .admin(Method::GET, &format!("/bots/{BOT}/menus"), None)
        .await;
    assert_eq!(listed["menus"].as_array().unwrap().len(), 9);
    assert_eq!(listed["menus"][0], toggle);
}

#[tokio::test]
async fn pressing_a_menu_button_is_the_event_yunhu_sends() {
    let (server, alice, bob) = setup().await;
    let menu = add_menu(&server, BOT, json!({"name": "签到"})).await;
    let menu_id = menu["menuId"].as_str().unwrap();
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (status, pressed) = server
        .user_api(
            Method::POST,
            &alice,
            &format!("/chats/group/{GROUP}/menus/{menu_id}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{pressed}");
    assert_eq!(pressed, json!({"menuId": menu_id, "value": null}));
    let events = menu_events(&server, BOT);
    assert_eq!(events.len(), 1);
    assert!(
        server.outbox(OTHER_BOT).is_empty(),
        "only the button's bot hears of it"
    );
    let event = &events[0];
    let id = event["header"]["eventId"].as_str().unwrap();
    assert!(
        id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id}"
    );
    let send_time = event["event"]["sendTime"].as_i64().unwrap();
    assert!(
        (before..before + 5).contains(&send_time),
        "sendTime is in SECONDS (wire §7.8): {send_time}"
    );
    // Field for field the sample of wire §7.8.
    assert_eq!(
        event,
        &json!({"version": "1.0",
          "header": {"eventId": id, "eventType": "bot.shortcut.menu",
                     "eventTime": event["header"]["eventTime"]},
          "event": {"botId": BOT, "menuId": menu_id, "menuType": 1, "menuAction": 1,
                    "chatId": GROUP, "chatType": "group",
                    "senderType": "user", "senderId": ALICE, "sendTime": send_time}})
    );
    assert!(event["header"]["eventTime"].as_i64().unwrap() > 1_700_000_000_000);

    // In the private chat the chat is the bot (chatType "bot").
    server.follow(BOT, BOB).await;
    let (status, _) = server
        .user_api(
            Method::POST,
            &bob,
            &format!("/chats/bot/{BOT}/menus/{menu_id}"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let private = &menu_events(&server, BOT)[1]["event"];
    assert_eq!(
        (
            &private["chatId"],
            &private["chatType"],
            &private["senderId"]
        ),
        (&json!(BOT), &json!("bot"), &json!(BOB))
    );

    // Refused: a chat one is not in, a bot not in the chat, an unknown button, a bad action.
    let other = add_menu(&server, OTHER_BOT, json!({"name": "x"})).await;
    for (who, path, body, status) in [
        (
            &bob,
            format!("/chats/group/{GROUP}/menus/{menu_id}"),
            None,
            404,
        ),
        (
            &bob,
            format!(
                "/chats/bot/{BOT}/menus/{}",
                other["menuId"].as_str().unwrap()
            ),
            None,
            404,
        ),
        (
            &alice,
            format!("/chats/group/{GROUP}/menus/NOPE1234"),
            None,
            404,
        ),
        (
            &alice,
            format!("/chats/group/{GROUP}/menus/{menu_id}"),
            Some(json!({"action": 2})),
            400,
        ),
        (
            &alice,
            format!("/chats/group/{GROUP}/menus/{menu_id}"),
            Some(json!({"action": "x"})),
            400,
        ),
    ] {
        let (got, problem) = server.user_api(Method::POST, who, &path, body).await;
        assert_eq!(got, status, "{path} → {problem}");
    }
    assert_eq!(
        menu_events(&server, BOT).len(),
        2,
        "a refused press reports nothing"
    );
}

#[tokio::test]
async fn a_toggles_and_a_drop_downs_choice_ride_in_content_menu() {
    let (server, alice, bob) = setup().await;
    server
        .admin(
            Method::PUT,
            &format!("/groups/{GROUP}/members/{BOB}"),
            Some(json!({"role": "member"})),
        )
        .await;
    let mute = add_menu(&server, BOT, json!({"name": "静音", "menuType": 2})).await;
    let city = add_menu(
        &server,
        BOT,
        json!({"name": "城市", "menuType": 3, "options": ["北京", "上海"]}),
    )
    .await;
    let (mute_id, city_id) = (
        mute["menuId"].as_str().unwrap(),
        city["menuId"].as_str().unwrap(),
    );
    let press = |who: String, menu: String, body: Option<Value>| {
        let server = &server;
        async move {
            let (status, answer) = server
                .user_api(
                    Method::POST,
                    &who,
                    &format!("/chats/group/{GROUP}/menus/{menu}"),
                    body,
                )
                .await;
            assert_eq!(status, 200, "{answer}");
            answer["value"].clone()
        }
    };
    // A toggle flips (on, off, on); an explicit action sets it; a drop-down takes an index.
    assert_eq!(press(alice.clone(), mute_id.into(), None).await, "1");
    assert_eq!(press(alice.clone(), mute_id.into(), None).await, "0");
    assert_eq!(
        press(alice.clone(), mute_id.into(), Some(json!({"action": 1}))).await,
        "1"
    );
    assert_eq!(
        press(alice.clone(), city_id.into(), Some(json!({"action": 1}))).await,
        "上海"
    );
    let (status, _) = server
        .user_api(
            Method::POST,
            &alice,
            &format!("/chats/group/{GROUP}/menus/{city_id}"),
            Some(json!({"action": 2})),
        )
        .await;
    assert_eq!(status, 400, "no option 2");
    let actions: Vec<(Value, Value)> = menu_events(&server, BOT)
        .iter()
        .map(|e| {
            (
                e["event"]["menuType"].clone(),
                e["event"]["menuAction"].clone(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [(2, 1), (2, 0), (2, 1), (3, 1)].map(|(t, a)| (json!(t), json!(a)))
    );

    // The user's chat menus show the choices; another user's are their own.
    let (_, mine) = server
        .user_api(
            Method::GET,
            &alice,
            &format!("/chats/group/{GROUP}/menus"),
            None,
        )
        .await;
    assert_eq!(
        mine,
        json!({"menus": [
            {"menuId": mute_id, "botId": BOT, "botName": format!("bot {BOT}"), "name": "静音", "menuType": 2, "value": "1"},
            {"menuId": city_id, "botId": BOT, "botName": format!("bot {BOT}"), "name": "城市", "menuType": 3,
             "options": ["北京", "上海"], "value": "上海"},
        ]})
    );
    let (_, bobs) = server
        .user_api(
            Method::GET,
            &bob,
            &format!("/chats/group/{GROUP}/menus"),
            None,
        )
        .await;
    assert_eq!(bobs["menus"][0]["value"], Value::Null);

    // Alice's later message: the bot gets her choices in content.menu; the other bot (whose
    // menu she never touched) and Bob's message carry none.
    for (who, text) in [(&alice, "你好"), (&bob, "hi")] {
        let (status, _) = server
            .user_api(
                Method::POST,
                who,
                &format!("/chats/group/{GROUP}/messages"),
                Some(json!({"contentType": "text", "content": {"text": text}})),
            )
            .await;
        assert_eq!(status, 201);
    }
    let normal: Vec<Value> = server
        .outbox(BOT)
        .into_iter()
        .filter(|e| e["header"]["eventType"] == "message.receive.normal")
        .map(|e| e["event"]["message"]["content"].clone())
        .collect();
    let menu = json!({mute_id: "1", city_id: "上海"});
    assert_eq!(
        normal,
        vec![json!({"text": "你好", "menu": menu}), json!({"text": "hi"})]
    );
    let other: Vec<Value> = server
        .outbox(OTHER_BOT)
        .into_iter()
        .filter(|e| e["header"]["eventType"] == "message.receive.normal")
        .map(|e| e["event"]["message"]["content"].clone())
        .collect();
    assert_eq!(other, vec![json!({"text": "你好"}), json!({"text": "hi"})]);

    // A form command's event carries them too.
    let command_id = add(&server, form_command()).await["commandId"]
        .as_i64()
        .unwrap();
    let (status, _) = server
        .user_api(
            Method::POST,
            &alice,
            &format!("/chats/group/{GROUP}/forms"),
            Some(json!({"botId": BOT, "commandId": command_id})),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(
        instructions(&server, BOT)[0]["event"]["message"]["content"]["menu"],
        menu
    );

    // A button removed takes its choices with it.
    server
        .admin(
            Method::DELETE,
            &format!("/bots/{BOT}/menus/{mute_id}"),
            None,
        )
        .await;
    let (_, mine) = server
        .user_api(
            Method::GET,
            &alice,
            &format!("/chats/group/{GROUP}/menus"),
            None,
        )
        .await;
    assert_eq!(mine["menus"].as_array().unwrap().len(), 1);
    assert!(
        server
            .db_rows(&format!(
                "SELECT value FROM menu_states WHERE menu_id = '{mute_id}'"
            ))
            .is_empty()
    );
}
