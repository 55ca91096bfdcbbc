//! The conformance suite of REAL Yunhu clients: each client, installed from its registry at
//! the version pinned in `.ci/clients-requirements.txt`, runs against a real `cloudlake serve`
//! on loopback, and each scenario asserts what the client's own handler received and what
//! landed in the chat's history.
//!
//! Run it with the clients venv (`.ci/clients.sh` creates or reuses it):
//!
//! ```sh
//! export CLOUDLAKE_CLIENTS_PYTHON=$(bash .ci/clients.sh)
//! cargo test -p cloudlake-cli --test real_clients
//! ```
//!
//! Without `CLOUDLAKE_CLIENTS_PYTHON` every test prints why and passes as skipped, except under
//! CI (`CI=true`) or with `CLOUDLAKE_REQUIRE_CLIENTS=1`, where it fails. The results, client by
//! client, are in `docs/compatibility.md`.

#![allow(clippy::unwrap_used)]

mod common;
#[path = "real_clients/harness.rs"]
mod harness;

use harness::{BOT_ID, BOT_NICKNAME, COMMAND, DIRECT_COMMAND, PRESET_COMMAND, PRESET_TEXT, World};
use reqwest::Method;
use serde_json::{Value, json};

/// The scenarios, each written once against the records every client script emits (see
/// `real_clients/common.py`), and run for each client that supports it.
mod scenarios {
    use super::*;

    /// A person's text in a group reaches the client's message handler, with its sender and
    /// chat.
    pub fn receives_a_message(w: &mut World) {
        let sent = w.say(&w.alice.clone(), "hello from alice");
        let seen = w.expect("message", |r| r["text"] == "hello from alice");
        assert_eq!(seen["sender"], w.alice.id.as_str());
        assert_eq!(seen["chat_id"], w.group.as_str());
        assert_eq!(seen["chat_type"], "group");
        assert_eq!(seen["msg_id"], sent["msgId"]);
        assert!(
            w.group_history(&w.bob.clone())
                .iter()
                .any(|m| m["msgId"] == sent["msgId"] && m["content"]["text"] == "hello from alice"),
            "the message is in history"
        );
    }

    /// A person's text in their private chat with the bot reaches the client's message
    /// handler as a private message.
    pub fn receives_a_private_message(w: &mut World) {
        let alice = w.alice.clone();
        let sent = w.user_call(
            &alice,
            Method::POST,
            &format!("/chats/bot/{BOT_ID}/messages"),
            Some(json!({"contentType": "text", "content": {"text": "just between us"}})),
        );
        let seen = w.expect("message", |r| r["text"] == "just between us");
        assert_eq!(seen["sender"], alice.id.as_str(), "{seen}");
        assert_eq!(seen["msg_id"], sent["msgId"], "{seen}");
        // Each client names a private chat its own way: Yunhu's `bot`, OneBot's `private`.
        let kind = seen["chat_type"].as_str().unwrap_or_default();
        assert!(kind == "bot" || kind == "private", "{seen}");
    }

    /// The client answers a private message in the private chat.
    pub fn replies_in_private(w: &mut World) {
        let alice = w.alice.clone();
        let path = format!("/chats/bot/{BOT_ID}/messages");
        w.user_call(
            &alice,
            Method::POST,
            &path,
            Some(json!({"contentType": "text", "content": {"text": "say text"}})),
        );
        let sent = w.expect("sent", |r| r["what"] == "say text");
        assert_eq!(sent["code"], 1, "the client's send: {sent}");
        let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let history = w.user_call(&alice, Method::GET, &path, None);
            let found = history["messages"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["senderId"] == BOT_ID && m["content"]["text"] == "text reply");
            if found {
                return;
            }
            assert!(
                std::time::Instant::now() < until,
                "no reply in the private chat: {history}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// `/weather 北京` for the bot's command reaches the client's command handler as the
    /// command `weather` with the argument `北京`.
    pub fn command_with_arguments(w: &mut World) {
        w.say(&w.alice.clone(), &format!("/{COMMAND} 北京"));
        let seen = w.expect("command", |_| true);
        assert_eq!(seen["name"], COMMAND, "{seen}");
        assert_eq!(seen["args"], "北京", "{seen}");
    }

    /// `/weather` alone reaches the command handler with no argument.
    pub fn command_without_arguments(w: &mut World) {
        w.say(&w.alice.clone(), &format!("/{COMMAND}"));
        let seen = w.expect("command", |_| true);
        assert_eq!(seen["name"], COMMAND, "{seen}");
        assert_eq!(seen["args"], "", "{seen}");
    }

    /// `/ping`, a direct command (sent the moment it is picked, so never with input), reaches
    /// the command handler as `ping` with no argument.
    pub fn direct_command(w: &mut World) {
        w.say(&w.alice.clone(), &format!("/{DIRECT_COMMAND}"));
        let seen = w.expect("command", |_| true);
        assert_eq!(seen["name"], DIRECT_COMMAND, "{seen}");
        // A library's parser gives no argument; a raw handler (the official SDK) sees Yunhu's
        // text of a direct command, `/name`.
        let expected = if seen["raw"] == true {
            format!("/{DIRECT_COMMAND}")
        } else {
            String::new()
        };
        assert_eq!(seen["args"], expected.as_str(), "{seen}");
    }

    /// `/forecast 北京` for a command with the preset text `明天` reaches the command handler
    /// with Yunhu's text: the preset text, then the input.
    pub fn command_with_preset_text(w: &mut World) {
        w.say(&w.alice.clone(), &format!("/{PRESET_COMMAND} 北京"));
        let seen = w.expect("command", |_| true);
        assert_eq!(seen["name"], PRESET_COMMAND, "{seen}");
        assert_eq!(seen["args"], format!("{PRESET_TEXT} 北京"), "{seen}");
    }

    /// Bob adding the bot as a friend reaches the client's follow handler.
    pub fn follow(w: &mut World) {
        let bob = w.bob.clone();
        w.user_call(&bob, Method::PUT, &format!("/bots/{BOT_ID}/follow"), None);
        let seen = w.expect("follow", |r| r["user"] == bob.id.as_str());
        assert_eq!(seen["user"], bob.id.as_str());
    }

    /// Bob joining an open group with the bot reaches the client's join handler.
    pub fn join(w: &mut World) {
        let bob = w.bob.clone();
        let path = format!("/groups/{}/join", w.open_group);
        w.user_call(&bob, Method::POST, &path, None);
        let seen = w.expect("join", |r| r["user"] == bob.id.as_str());
        assert_eq!(seen["group"], w.open_group.as_str());
    }

    /// The bot's reply for `trigger`: the client reports the send succeeded (code 1) and the
    /// history holds it from the bot with that content type and text.
    fn reply(w: &mut World, trigger: &str, content_type: &str, text: &str) -> Value {
        w.say(&w.alice.clone(), trigger);
        let sent = w.expect("sent", |r| r["what"] == trigger);
        assert_eq!(sent["code"], 1, "the client's send: {sent}");
        w.bot_message_in_group(|m| m["contentType"] == content_type && m["content"]["text"] == text)
    }

    /// The client replies with text.
    pub fn replies_text(w: &mut World) {
        reply(w, "say text", "text", "text reply");
    }

    /// The client replies with markdown, which history also carries rendered.
    pub fn replies_markdown(w: &mut World) {
        let m = reply(w, "say markdown", "markdown", "**markdown** reply");
        let html = m["html"].as_str().unwrap_or_default();
        assert!(html.contains("<strong>markdown</strong>"), "{m}");
    }

    /// The client replies with html.
    pub fn replies_html(w: &mut World) {
        let m = reply(w, "say html", "html", "<b>html</b> reply");
        assert!(
            m["html"]
                .as_str()
                .unwrap_or_default()
                .contains("<b>html</b>"),
            "{m}"
        );
    }

    /// The bot's message with a report button (`say buttons`): text, or markdown for clients
    /// that carry a text beside buttons only that way (nonebot).
    fn buttons_message(w: &mut World) -> Value {
        w.say(&w.alice.clone(), "say buttons");
        let sent = w.expect("sent", |r| r["what"] == "say buttons");
        assert_eq!(sent["code"], 1, "the client's send: {sent}");
        w.bot_message_in_group(|m| {
            (m["contentType"] == "text" || m["contentType"] == "markdown")
                && m["content"]["text"] == "pick one"
        })
    }

    /// The client replies with a report button, kept in history as sent.
    pub fn replies_with_buttons(w: &mut World) {
        let m = buttons_message(w);
        assert_eq!(
            m["content"]["buttons"],
            json!([[{"text": "Tea", "actionType": 3, "value": "tea"}]]),
            "{m}"
        );
    }

    /// A click on the report button of `m` (from the bot) reaches the client's button
    /// handler with the button's value, the person and the message.
    fn click(w: &mut World, m: &Value) {
        let alice = w.alice.clone();
        let path = format!("/messages/{}/click", m["msgId"].as_str().unwrap());
        w.user_call(&alice, Method::POST, &path, Some(json!({"value": "tea"})));
        let seen = w.expect("click", |_| true);
        assert_eq!(seen["value"], "tea", "{seen}");
        assert_eq!(seen["user"], alice.id.as_str(), "{seen}");
        assert_eq!(seen["msg_id"], m["msgId"], "{seen}");
    }

    /// A click on the button of a message the client sent.
    pub fn button_click(w: &mut World) {
        let m = buttons_message(w);
        click(w, &m);
    }

    /// A click on the button of a message sent through the bot API by the harness, for
    /// clients that only receive events.
    pub fn button_click_on_a_bot_api_message(w: &mut World) {
        let group = w.group.clone();
        let sent = w.bot_api(
            "bot/send",
            json!({"recvId": group, "recvType": "group", "contentType": "text",
                   "content": {"text": "pick one",
                               "buttons": [[{"text": "Tea", "actionType": 3, "value": "tea"}]]}}),
        );
        assert_eq!(sent["code"], 1, "{sent}");
        let m = w.bot_message_in_group(|m| m["content"]["text"] == "pick one");
        click(w, &m);
    }

    /// A person's image reaches the client, which sends the same image back the way the
    /// client does it (the key taken from the event).
    pub fn echoes_an_image(w: &mut World) {
        let alice = w.alice.clone();
        let upload = w.upload_png(&alice);
        let key = upload["key"].as_str().unwrap().to_owned();
        w.send_to_group(
            &alice,
            json!({"contentType": "image", "content": {"imageKey": key}}),
        );
        let seen = w.expect("message", |r| r["content_type"] == "image");
        assert_eq!(seen["sender"], alice.id.as_str());
        let sent = w.expect("sent", |r| r["what"] == "image");
        assert_eq!(sent["code"], 1, "the client's send: {sent}");
        let m = w.bot_message_in_group(|m| m["contentType"] == "image");
        let name = m["content"]["imageName"].as_str().unwrap();
        assert!(name.starts_with(&key), "the same image: {m}");
        assert_eq!(m["content"]["imageWidth"], 5, "{m}");
    }

    /// Text with an image, which the client sends as markdown with a Yunhu CDN URL built from
    /// the key it uploaded: people see the image, served by cloudlake.
    pub fn text_and_image_via_a_cdn_url(w: &mut World) {
        w.say(&w.alice.clone(), "say text and image");
        let sent = w.expect("sent", |r| r["what"] == "say text and image");
        assert_eq!(sent["code"], 1, "the client's send: {sent}");
        let m = w.bot_message_in_group(|m| m["contentType"] == "markdown");
        let text = m["content"]["text"].as_str().unwrap();
        assert!(text.starts_with("look"), "{m}");
        let html = m["html"].as_str().unwrap_or_default();
        let src = html
            .split("<img")
            .nth(1)
            .and_then(|img| img.split("src=\"").nth(1))
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("no image in the rendered message: {m}"));
        assert!(
            !src.contains("jwznb.com") && src.contains("/media/"),
            "the image is served by cloudlake, not Yunhu's CDN: {src}"
        );
        // And it is that image: people fetch it with their session token.
        let alice = w.alice.clone();
        let url = if src.starts_with("http") {
            src.to_owned()
        } else {
            format!("{}{src}", w.server.base)
        };
        let bytes = w.rt.block_on(async {
            let resp = w
                .http
                .get(url)
                .bearer_auth(&alice.token)
                .send()
                .await
                .unwrap();
            assert!(resp.status().is_success(), "{src}: {}", resp.status());
            resp.bytes().await.unwrap()
        });
        assert!(bytes.starts_with(b"\x89PNG"), "{src}");
    }

    /// A message that @-mentions the bot reaches the client as addressed to it.
    pub fn mention(w: &mut World) {
        w.send_to_group(
            &w.alice.clone(),
            json!({"contentType": "text",
                   "content": {"text": "@Helper are you there", "at": [BOT_ID]}}),
        );
        let seen = w.expect("message", |r| {
            r["text"]
                .as_str()
                .is_some_and(|t| t.contains("are you there"))
        });
        assert_eq!(seen["to_me"], true, "{seen}");
    }

    /// The bot can be @-mentioned from the group's member list, as the web client's picker
    /// does it: the list has the bot, and a mention of that entry reaches the client.
    pub fn mention_from_the_members_list(w: &mut World) {
        let alice = w.alice.clone();
        let members = w.user_call(
            &alice,
            Method::GET,
            &format!("/groups/{}/members", w.group),
            None,
        );
        let entry = members["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["userId"] == BOT_ID || m["botId"] == BOT_ID || m["id"] == BOT_ID)
            .cloned()
            .unwrap_or_else(|| panic!("the bot is not in the member list: {members}"));
        let id = ["userId", "botId", "id"]
            .iter()
            .find_map(|k| entry[*k].as_str())
            .unwrap()
            .to_owned();
        w.send_to_group(
            &alice,
            json!({"contentType": "text",
                   "content": {"text": "@Helper picked from the list", "at": [id]}}),
        );
        let seen = w.expect("message", |r| {
            r["text"]
                .as_str()
                .is_some_and(|t| t.contains("picked from the list"))
        });
        assert_eq!(seen["to_me"], true, "{seen}");
    }

    /// A person's reply quoting the bot's message reaches the client with the quoted message
    /// named.
    pub fn quote(w: &mut World) {
        let quoted = reply(w, "say text", "text", "text reply");
        let msg_id = quoted["msgId"].as_str().unwrap().to_owned();
        w.send_to_group(
            &w.alice.clone(),
            json!({"contentType": "text", "content": {"text": "about that"}, "parentId": msg_id}),
        );
        let seen = w.expect("message", |r| r["text"] == "about that");
        assert_eq!(seen["parent_id"], msg_id.as_str(), "{seen}");
    }

    /// The quote also carries Yunhu's `parent` (the quoted text) in the event's content, as
    /// clients show it.
    pub fn quote_fields(w: &mut World) {
        let quoted = reply(w, "say text", "text", "text reply");
        w.send_to_group(
            &w.alice.clone(),
            json!({"contentType": "text", "content": {"text": "quoting"},
                   "parentId": quoted["msgId"]}),
        );
        let seen = w.expect("message", |r| r["text"] == "quoting");
        // Yunhu's shape: "<sender's nickname> : <text>" (wire §5.4).
        assert_eq!(
            seen["parent"],
            format!("{BOT_NICKNAME} : text reply"),
            "{seen}"
        );
    }

    /// A bot API call with the wrong method is answered in Yunhu's envelope (HTTP 200, code ≠
    /// 1), which the client surfaces as a failed action, not a network error.
    pub fn api_error_in_the_envelope(w: &mut World) {
        w.say(&w.alice.clone(), "call wrong method");
        let seen = w.expect("api_error", |r| r["what"] == "call wrong method");
        assert_eq!(seen["type"], "ActionFailed", "{seen}");
    }

    /// A bot API call to an unknown path is answered in the envelope too (HTTP 200), a failed
    /// action for the client.
    pub fn api_error_unknown_path_in_the_envelope(w: &mut World) {
        w.say(&w.alice.clone(), "call unknown path");
        let seen = w.expect("api_error", |r| r["what"] == "call unknown path");
        assert_eq!(seen["type"], "ActionFailed", "{seen}");
    }

    /// Removing a member posts Yunhu's `tip` line into the group, which reaches the client's
    /// tip handler.
    pub fn tip_on_removal(w: &mut World) {
        let (group, bob) = (w.group.clone(), w.bob.id.clone());
        w.admin(&["group", "remove-member", &group, &bob]);
        let seen = w.expect("tip", |_| true);
        assert_eq!(seen["group"], group.as_str(), "{seen}");
        // Yunhu's tip names people by nickname; an ID will do too.
        let content = seen["content"].as_str().unwrap_or_default();
        assert!(content.contains("Bob") || content.contains(&bob), "{seen}");
    }

    /// A form command (wire §7.4) filled in through the user API reaches the client's command
    /// handler with `contentType: "form"` and the `formJson` of every field.
    pub fn form_command(w: &mut World) {
        let form = r#"[{"id": "city", "type": "select", "label": "城市", "options": ["北京", "上海"]},
                       {"id": "note", "type": "input", "label": "备注", "default": "无"},
                       {"id": "loud", "type": "switch", "label": "大声"},
                       {"id": "tags", "type": "checkbox", "label": "标签", "options": ["a", "b"]}]"#;
        let command = w.admin(&["bot", "add-command", BOT_ID, "order", "--form", form]);
        let command_id = command["commandId"].as_i64().unwrap();
        let alice = w.alice.clone();
        let sent = w.user_call(
            &alice,
            Method::POST,
            &format!("/chats/group/{}/forms", w.group),
            Some(json!({"botId": BOT_ID, "commandId": command_id,
                        "values": {"city": 1, "loud": true, "tags": [1]}})),
        );
        assert_eq!(sent["contentType"], "form", "{sent}");
        let seen = w.expect("command", |r| r["content_type"] == "form");
        assert_eq!(seen["name"], "order", "{seen}");
        assert_eq!(seen["command_id"], command_id, "{seen}");
        assert_eq!(seen["chat_type"], "group", "{seen}");
        assert_eq!(
            seen["form"],
            json!({
                "city": {"id": "city", "type": "select", "label": "城市", "selectIndex": 1, "selectValue": "上海"},
                "note": {"id": "note", "type": "input", "label": "备注", "value": "无"},
                "loud": {"id": "loud", "type": "switch", "label": "大声", "value": true},
                "tags": {"id": "tags", "type": "checkbox", "label": "标签", "selectStatus": [false, true], "selectValues": ["a", "b"]},
            }),
            "{seen}"
        );
    }

    /// A press of the bot's shortcut-menu buttons (wire §7.8) reaches the client's menu
    /// handler with the sample's fields, `sendTime` in seconds; a drop-down's choice rides in
    /// `content.menu` of the person's next message.
    pub fn shortcut_menu(w: &mut World) {
        let button = w.admin(&["bot", "add-menu", BOT_ID, "签到"]);
        let city = w.admin(&[
            "bot", "add-menu", BOT_ID, "城市", "--type", "dropdown", "--option", "北京",
            "--option", "上海",
        ]);
        let (button_id, city_id) = (
            button["menuId"].as_str().unwrap().to_owned(),
            city["menuId"].as_str().unwrap().to_owned(),
        );
        let alice = w.alice.clone();
        let group = w.group.clone();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        w.user_call(
            &alice,
            Method::POST,
            &format!("/chats/group/{group}/menus/{button_id}"),
            None,
        );
        let seen = w.expect("menu", |r| r["menu_id"] == button_id.as_str());
        let send_time = seen["send_time"].as_i64().unwrap();
        assert!((now..now + 10).contains(&send_time), "seconds: {seen}");
        assert_eq!(
            seen,
            json!({"kind": "menu", "bot": BOT_ID, "menu_id": button_id, "menu_type": 1,
                   "menu_action": 1, "chat_id": group, "chat_type": "group",
                   "sender_type": "user", "sender": alice.id, "send_time": send_time})
        );
        w.user_call(
            &alice,
            Method::POST,
            &format!("/chats/group/{group}/menus/{city_id}"),
            Some(json!({"action": 1})),
        );
        let seen = w.expect("menu", |r| r["menu_id"] == city_id.as_str());
        assert_eq!(
            (&seen["menu_type"], &seen["menu_action"]),
            (&json!(3), &json!(1))
        );
        w.say(&alice, "天气如何");
        let seen = w.expect("message", |r| r["text"] == "天气如何");
        assert_eq!(seen["menu"], json!({city_id: "上海"}), "{seen}");
    }

    /// The bot sends an A2UI card and a person clicks its button (wire §7.10): the converter
    /// makes a `yunhu_a2ui_button` notice with the action, the component, the input values
    /// and the interaction.
    pub fn a2ui_button(w: &mut World) {
        let card = [
            json!({"createSurface": {"surfaceId": "s", "catalogId": "c"}}),
            json!({"updateComponents": {"surfaceId": "s", "components": [
                {"id": "root", "component": "Column", "children": ["note", "ok"]},
                {"id": "note", "component": "TextField", "label": "备注"},
                {"id": "ok_label", "component": "Text", "text": "确认"},
                {"id": "ok", "component": "Button", "child": "ok_label",
                 "action": {"name": "confirm", "context": {"order": 7}}}
            ]}}),
        ]
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join("\n");
        let group = w.group.clone();
        let sent = w.bot_api(
            "bot/send",
            json!({"recvId": group, "recvType": "group",
                                     "contentType": "a2ui", "content": {"text": card}}),
        );
        assert_eq!(sent["code"], 1, "{sent}");
        let msg_id = sent["data"]["messageInfo"]["msgId"]
            .as_str()
            .unwrap()
            .to_owned();
        let alice = w.alice.clone();
        w.user_call(
            &alice,
            Method::POST,
            &format!("/messages/{msg_id}/a2ui-action"),
            Some(json!({"componentId": "ok", "formContext": {"note": "快"}})),
        );
        let seen = w.expect("a2ui", |_| true);
        assert_eq!(
            seen,
            json!({"kind": "a2ui", "user": alice.id, "msg_id": msg_id, "a2ui": {
                "recv_id": group, "recv_type": "group", "action_name": "confirm",
                "source_component_id": "ok", "form_context": {"note": "快"},
                "interaction_json": seen["a2ui"]["interaction_json"]}}),
            "{seen}"
        );
        let interaction: Value =
            serde_json::from_str(seen["a2ui"]["interaction_json"].as_str().unwrap()).unwrap();
        assert_eq!(interaction["context"], json!({"order": 7}));
    }

    /// A group's owner saves the bot's settings (wire §7.9): the converter makes a
    /// `yunhu_bot_setting` notice of the group with the `settingJson` string, each field's
    /// `formJson` item inside.
    pub fn bot_setting(w: &mut World) {
        w.admin(&[
            "bot",
            "settings-form",
            BOT_ID,
            "--field",
            "lokola:radio:时间:早上,晚上",
            "--field",
            "ngcezg:input",
        ]);
        let alice = w.alice.clone();
        let group = w.group.clone();
        w.user_call(
            &alice,
            Method::PUT,
            &format!("/groups/{group}/bots/{BOT_ID}/settings"),
            Some(json!({"values": {"lokola": 1, "ngcezg": "每天"}})),
        );
        let seen = w.expect("setting", |_| true);
        assert_eq!(seen["group"], group.as_str(), "{seen}");
        let setting: Value = serde_json::from_str(seen["setting"].as_str().unwrap()).unwrap();
        assert_eq!(
            setting,
            json!({
                "lokola": {"id": "lokola", "type": "radio", "label": "时间", "selectIndex": 1, "selectValue": "晚上"},
                "ngcezg": {"id": "ngcezg", "type": "input", "label": null, "value": "每天"}
            }),
            "{seen}"
        );
    }

    /// A form command and a shortcut-menu press as a OneBot 12 converter reads them: the form
    /// as a `yunhu_form` segment with each field's value, the press as a
    /// `yunhu_shortcut_menu` notice with the menu's ID, type and action.
    pub fn form_and_menu_as_onebot(w: &mut World) {
        let form = r#"[{"id": "city", "type": "radio", "label": "城市", "options": ["北京", "上海"]},
                       {"id": "tags", "type": "checkbox", "label": "标签", "options": ["a", "b", "c"]},
                       {"id": "loud", "type": "switch", "label": "大声"},
                       {"id": "note", "type": "input", "label": "备注", "default": "无"}]"#;
        let command = w.admin(&["bot", "add-command", BOT_ID, "order", "--form", form]);
        let command_id = command["commandId"].as_i64().unwrap();
        let alice = w.alice.clone();
        let group = w.group.clone();
        w.user_call(
            &alice,
            Method::POST,
            &format!("/chats/group/{group}/forms"),
            Some(json!({"botId": BOT_ID, "commandId": command_id,
                        "values": {"city": 1, "tags": [0, 2], "loud": true}})),
        );
        let seen = w.expect("form", |_| true);
        assert_eq!(seen["name"], "order", "{seen}");
        assert_eq!(seen["id"], command_id, "{seen}");
        let mut fields: Vec<(String, String)> = seen["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["id"].as_str().unwrap().to_owned(),
                    f["value"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        fields.sort();
        assert_eq!(
            fields,
            [
                ("city", "上海"),
                ("loud", "True"),
                ("note", "无"),
                ("tags", "a,c")
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );

        let menu = w.admin(&["bot", "add-menu", BOT_ID, "静音", "--type", "toggle"]);
        let menu_id = menu["menuId"].as_str().unwrap().to_owned();
        w.user_call(
            &alice,
            Method::POST,
            &format!("/chats/group/{group}/menus/{menu_id}"),
            None,
        );
        let seen = w.expect("menu", |_| true);
        assert_eq!(
            seen,
            json!({"kind": "menu", "user": alice.id, "group": group,
                   "menu": {"id": menu_id, "type": 2, "action": 1}})
        );
    }
}

/// One test per scenario for a client: starts a server and the client, runs the scenario.
macro_rules! client_tests {
    ($module:ident, $client:expr, [$($(#[$attr:meta])* $scenario:ident),* $(,)?]) => {
        mod $module {
            use super::*;
            $(
                $(#[$attr])*
                #[test]
                fn $scenario() {
                    let Some(python) = harness::python() else { return };
                    let mut world = World::start(&python, $client);
                    scenarios::$scenario(&mut world);
                    let errors = world.records("error");
                    assert!(errors.is_empty(), "the client's handlers failed: {errors:#?}");
                }
            )*
        }
    };
}

client_tests!(
    yunhu_sdk,
    harness::YUNHU_SDK,
    [
        receives_a_message,
        receives_a_private_message,
        replies_in_private,
        command_with_arguments,
        command_without_arguments,
        direct_command,
        command_with_preset_text,
        follow,
        join,
        replies_text,
        replies_markdown,
        replies_html,
        replies_with_buttons,
        button_click,
        echoes_an_image,
        mention,
        quote,
        mention_from_the_members_list,
        quote_fields,
        form_command,
        shortcut_menu,
    ]
);

client_tests!(
    nonebot,
    harness::NONEBOT,
    [
        receives_a_message,
        receives_a_private_message,
        replies_in_private,
        command_with_arguments,
        command_without_arguments,
        direct_command,
        command_with_preset_text,
        follow,
        join,
        replies_text,
        replies_markdown,
        replies_html,
        replies_with_buttons,
        button_click,
        echoes_an_image,
        mention,
        quote,
        mention_from_the_members_list,
        text_and_image_via_a_cdn_url,
        api_error_in_the_envelope,
        api_error_unknown_path_in_the_envelope,
        tip_on_removal,
    ]
);

client_tests!(
    yunhu2onebot12,
    harness::YUNHU2ONEBOT12,
    [
        receives_a_message,
        receives_a_private_message,
        command_with_arguments,
        command_without_arguments,
        direct_command,
        command_with_preset_text,
        follow,
        join,
        button_click_on_a_bot_api_message,
        bot_setting,
    ]
);

client_tests!(
    erispulse,
    harness::ERISPULSE,
    [
        receives_a_message,
        receives_a_private_message,
        replies_in_private,
        command_with_arguments,
        command_without_arguments,
        direct_command,
        command_with_preset_text,
        follow,
        join,
        replies_text,
        replies_markdown,
        replies_html,
        replies_with_buttons,
        button_click,
        echoes_an_image,
        mention,
        quote,
        mention_from_the_members_list,
        form_and_menu_as_onebot,
        bot_setting,
        a2ui_button,
    ]
);
