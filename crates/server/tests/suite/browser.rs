//! The web client in a real browser: headless Chromium driven through chromedriver's W3C
//! WebDriver HTTP API (with reqwest; no browser-automation crate). A bot's markdown message
//! with buttons shows up live, a report button click reaches the bot's webhook receiver as
//! `button.report.inline`, the composer sends, and an html message carrying `<script>` and an
//! `onerror` handler stays inert.
//!
//! Needs `chromium` and `chromedriver` (Debian: `apt-get install chromium chromium-driver`;
//! `.ci/run` installs them). Without them the test prints why and passes, except under
//! `CI=true`, where a missing browser is a failure. With `CLOUDLAKE_SCREENSHOTS=<dir>` it also
//! saves screenshots of the main views there (the README's pictures come from this).

#![allow(clippy::unwrap_used)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{ADMIN_TOKEN, TestServer};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ALICE: &str = "7756242";
const BOB: &str = "4827368";
const BOT: &str = "30714924";
const GROUP: &str = "665344168";
const GROUP2: &str = "307149245";

/// The W3C WebDriver key for an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// WebDriver's Enter key.
const ENTER: &str = "\u{E007}";
/// WebDriver's Escape key.
const ESCAPE: &str = "\u{E00C}";
/// WebDriver's Alt key.
const ALT: &str = "\u{E00A}";
/// WebDriver's arrow keys.
const ARROW_UP: &str = "\u{E013}";
const ARROW_DOWN: &str = "\u{E015}";

fn find_binary(env: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Ok(path) = std::env::var(env) {
        return Some(PathBuf::from(path));
    }
    candidates.iter().map(PathBuf::from).find(|p| p.exists())
}

/// chromedriver on a free port, killed when dropped.
struct Driver {
    child: Child,
    base: String,
    http: reqwest::Client,
    session: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    async fn start(chromedriver: &Path, chromium: &Path, profile: &Path) -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut driver = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
            session: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = driver
                .http
                .get(format!("{}/status", driver.base))
                .send()
                .await
                .ok()
                .map(|r| r.status().is_success())
                .unwrap_or(false);
            if ready {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Headless on a machine with no outside network: without these flags Chromium waits
        // on network services and hangs.
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,800",
            // Dates and times in a known language (the day lines' text).
            "--lang=en-US",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([format!("--user-data-dir={}", profile.display())])
        .collect::<Vec<_>>();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium.display().to_string(), "args": args},
        }}});
        let created = driver.call("POST", "/session", Some(caps)).await;
        driver.session = created["sessionId"].as_str().unwrap().to_owned();
        driver
    }

    /// A WebDriver command; returns `value`, panicking on a WebDriver error.
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (ok, value) = self.try_call(method, path, body).await;
        assert!(ok, "{method} {path}: {value}");
        value
    }

    async fn try_call(&self, method: &str, path: &str, body: Option<Value>) -> (bool, Value) {
        let url = format!("{}{path}", self.base);
        let req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body.unwrap_or(json!({}))),
        };
        let resp = req.send().await.unwrap();
        let ok = resp.status().is_success();
        let mut body: Value = resp.json().await.unwrap();
        (ok, body["value"].take())
    }

    fn s(&self, path: &str) -> String {
        format!("/session/{}{path}", self.session)
    }

    async fn goto(&self, url: &str) {
        self.call("POST", &self.s("/url"), Some(json!({"url": url})))
            .await;
    }

    async fn js(&self, script: &str) -> Value {
        self.call(
            "POST",
            &self.s("/execute/sync"),
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    /// Waits until the script returns something truthy, and returns it.
    async fn wait_for(&self, what: &str, script: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let v = self.js(script).await;
            let truthy =
                !matches!(&v, Value::Null | Value::Bool(false)) && v != json!(0) && v != json!("");
            if truthy {
                return v;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn element(&self, css: &str) -> String {
        let found = self
            .call(
                "POST",
                &self.s("/element"),
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("{css}: {found}"))
            .to_owned()
    }

    async fn click(&self, css: &str) {
        self.on_element(css, "click", None).await;
    }

    async fn type_into(&self, css: &str, text: &str) {
        self.on_element(css, "value", Some(json!({"text": text})))
            .await;
    }

    /// Finds the element and acts on it (`/element/{id}/{action}`). The page may render the
    /// element anew between the two steps (a form refreshed after a save, a list after a live
    /// update): then the action goes to the element there now, as a person would click what
    /// they see, rather than failing on a stale reference.
    async fn on_element(&self, css: &str, action: &str, body: Option<Value>) {
        for _ in 0..5 {
            let el = self.element(css).await;
            let path = self.s(&format!("/element/{el}/{action}"));
            let (ok, value) = self.try_call("POST", &path, body.clone()).await;
            if ok {
                return;
            }
            assert_eq!(
                value["error"], "stale element reference",
                "{action} on {css}: {value}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{css} was rendered anew five times while being acted on");
    }

    async fn resize(&self, width: u32, height: u32) {
        self.call(
            "POST",
            &self.s("/window/rect"),
            Some(json!({"width": width, "height": height})),
        )
        .await;
    }

    /// Presses and releases one key (a WebDriver key code such as [`ESCAPE`]) wherever the
    /// focus is.
    async fn press(&self, key: &str) {
        self.chord(&[key]).await;
    }

    /// Presses keys together (modifiers first, as [`ALT`], [`ARROW_DOWN`]), then releases them.
    async fn chord(&self, keys: &[&str]) {
        let down = keys.iter().map(|k| json!({"type": "keyDown", "value": k}));
        let up = keys
            .iter()
            .rev()
            .map(|k| json!({"type": "keyUp", "value": k}));
        let actions = json!({"actions": [{"type": "key", "id": "keyboard",
                                          "actions": down.chain(up).collect::<Vec<_>>()}]});
        self.call("POST", &self.s("/actions"), Some(actions)).await;
    }

    /// Emulates the system's colour scheme (`light` or `dark`) through Chromium's DevTools
    /// protocol, as the system setting would set it.
    async fn color_scheme(&self, scheme: &str) {
        self.call(
            "POST",
            &self.s("/goog/cdp/execute"),
            Some(json!({"cmd": "Emulation.setEmulatedMedia", "params": {
                "features": [{"name": "prefers-color-scheme", "value": scheme}]}})),
        )
        .await;
    }

    /// Saves a PNG screenshot into `dir`, if screenshots were asked for.
    async fn screenshot(&self, dir: Option<&Path>, name: &str) {
        let Some(dir) = dir else { return };
        let png = self.call("GET", &self.s("/screenshot"), None).await;
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join(name), base64(png.as_str().unwrap())).unwrap();
    }
}

/// Standard base64 decoding (WebDriver screenshots), without a crate for it.
fn base64(s: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let digits: Vec<u8> = s
        .bytes()
        .filter(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/')
        .map(value)
        .collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, d)| acc | (u32::from(*d) << (18 - 6 * i)));
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

async fn bot_send(server: &TestServer, token: &str, body: Value) -> Value {
    let reply = server.post("/bot/batch_send", token, body).await;
    assert_eq!(reply["code"], 1, "{reply}");
    reply
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_client_in_a_real_browser() {
    let chromium = find_binary(
        "CLOUDLAKE_CHROMIUM",
        &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
    );
    let chromedriver = find_binary("CLOUDLAKE_CHROMEDRIVER", &["/usr/bin/chromedriver"]);
    let (Some(chromium), Some(chromedriver)) = (chromium, chromedriver) else {
        let reason = "browser test skipped: chromium and chromedriver not found \
                      (apt-get install chromium chromium-driver, or set CLOUDLAKE_CHROMIUM \
                      and CLOUDLAKE_CHROMEDRIVER)";
        assert!(std::env::var("CI").is_err(), "{reason}, and CI must run it");
        eprintln!("{reason}");
        return;
    };
    let shots = std::env::var("CLOUDLAKE_SCREENSHOTS")
        .ok()
        .map(PathBuf::from);
    let shots = shots.as_deref();
    let started = Instant::now();

    // The bot's events go to a webhook receiver on loopback, as a real bot's would.
    let (hook_url, received) = webhook_receiver().await;
    let server = TestServer::start_with(|c| c.delivery.allow_private = true).await;
    let (status, bot) = server
        .admin(
            Method::POST,
            "/bots",
            Some(json!({"id": BOT, "nickname": "DeployBot", "webhookUrl": hook_url})),
        )
        .await;
    assert_eq!(status, 201, "{bot}");
    let bot_token = bot["token"].as_str().unwrap().to_owned();
    let alice = server.user(ALICE, "Alice").await;
    server.user(BOB, "Bob").await;
    for (id, name, members) in [
        (GROUP, "Release crew", &[ALICE, BOB][..]),
        (GROUP2, "Ops alerts", &[ALICE][..]),
    ] {
        let (status, body) = server
            .admin(
                Method::POST,
                "/groups",
                Some(json!({"id": id, "name": name})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        for member in members {
            let path = format!("/groups/{id}/members/{member}");
            assert_eq!(server.admin(Method::PUT, &path, None).await.0, 200);
        }
    }
    server.join(BOT, GROUP).await;
    server.join(BOT, GROUP2).await;
    server.follow(BOT, ALICE).await;
    // A long history in the bot's private chat, for paging.
    for i in 1..=120 {
        let reply = server
            .post(
                "/bot/send",
                &bot_token,
                crate::common::text("user", ALICE, &format!("log line {i}")),
            )
            .await;
        assert_eq!(reply["code"], 1, "{reply}");
    }
    // Read already, so that the chat opens at its end (a chat with unread messages opens at
    // the first of them).
    let (status, body) = server
        .user_api(
            Method::POST,
            &alice,
            &format!("/chats/bot/{BOT}/read"),
            Some(json!({"seq": 120})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    bot_send(
        &server,
        &bot_token,
        json!({"recvIds": [GROUP2], "recvType": "group", "contentType": "text",
               "content": {"text": "Daily report is ready: https://example.com/report"}}),
    )
    .await;
    let board = server
        .post(
            "/bot/board",
            &bot_token,
            json!({"chatId": GROUP, "chatType": "group", "contentType": "markdown",
                   "content": "**On call:** Bob · deploy freeze until Friday"}),
        )
        .await;
    assert_eq!(board["code"], 1, "{board}");

    let profile = tempfile::tempdir().unwrap();
    let driver = Driver::start(&chromedriver, &chromium, profile.path()).await;

    // Sign in through the form.
    driver.goto(&server.url("/")).await;
    driver
        .wait_for(
            "the sign-in form",
            "return !document.getElementById('signin').hidden",
        )
        .await;
    // Alice signs in with the password the admin set (the token alone works too).
    let (status, body) = server
        .admin(
            Method::PUT,
            &format!("/users/{ALICE}/password"),
            Some(json!({"password": "correct horse"})),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    driver.type_into("#signin-user", ALICE).await;
    driver.type_into("#signin-token", "wrong horse").await;
    driver.click("#signin-form button[type=submit]").await;
    driver
        .wait_for(
            "the refusal",
            "return document.getElementById('signin-error').textContent === 'Wrong user ID or password.'",
        )
        .await;
    driver.type_into("#signin-token", "correct horse").await;
    driver.click("#signin-form button[type=submit]").await;
    driver
        .wait_for(
            "the chat list",
            "return document.querySelectorAll('.chat-item').length >= 3",
        )
        .await;
    // The page keeps a session token, never the password or the user token.
    let stored = driver
        .js("return Object.values(localStorage).join(' ')")
        .await;
    let stored = stored.as_str().unwrap_or_default();
    assert!(
        !stored.contains(&alice) && !stored.contains("correct horse"),
        "{stored}"
    );

    // Open the group; the board shows above the chat.
    driver
        .click(&format!("[data-chat-key='group:{GROUP}']"))
        .await;
    driver
        .wait_for(
            "the open chat and its board",
            "return !document.getElementById('composer').hidden \
             && document.querySelector('#boards .board strong')?.textContent === 'On call:' \
             && document.getElementById('history-status').textContent !== 'Loading…'",
        )
        .await;

    // A bot batch_sends markdown with buttons: it appears live, without a reload.
    let marker = driver.js("window.__sameDocument = 'yes'; return 1").await;
    assert_eq!(marker, 1);
    let deploy = bot_send(
        &server,
        &bot_token,
        json!({"recvIds": [GROUP, GROUP2], "recvType": "group", "contentType": "markdown",
               "content": {"text": "## Deploy 42\n\n**Approve** the release? See [notes](https://example.com/notes).",
                           "buttons": [[
                               {"text": "Approve", "actionType": 3, "value": "approve-42"},
                               {"text": "Copy ID", "actionType": 2, "value": "deploy-42"},
                               {"text": "Open CI", "actionType": 1, "url": "https://ci.example.com/42"},
                               {"text": "Sneaky", "actionType": 1, "url": "javascript:alert(1)"}
                           ]]}}),
    )
    .await;
    driver
        .wait_for(
            "the live markdown message",
            "return document.querySelector('#message-list .msg-body h2')?.textContent === 'Deploy 42'",
        )
        .await;
    assert_eq!(
        driver.js("return window.__sameDocument").await,
        "yes",
        "the page reloaded"
    );
    let links = driver
        .js(
            "return [...document.querySelectorAll('#message-list .msg-buttons a')]\
             .map(a => [a.href, a.target, a.rel])",
        )
        .await;
    assert_eq!(
        links,
        json!([["https://ci.example.com/42", "_blank", "noopener noreferrer"]]),
        "only the http(s) link button is live"
    );

    // Clicking the report button reaches the bot as button.report.inline.
    driver.click("button[data-report='approve-42']").await;
    driver
        .wait_for(
            "the click feedback",
            "return document.querySelector('.button-status.ok')?.textContent",
        )
        .await;
    // It arrives at the bot's webhook receiver.
    let deadline = Instant::now() + std::time::Duration::from_secs(15);
    let clicks: Vec<Value> = loop {
        let clicks: Vec<Value> = received
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e["header"]["eventType"] == "button.report.inline")
            .cloned()
            .collect();
        if !clicks.is_empty() || Instant::now() > deadline {
            break clicks;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(clicks.len(), 1, "{clicks:?}");
    assert_eq!(clicks[0]["event"]["value"], "approve-42");
    assert_eq!(clicks[0]["event"]["userId"], ALICE);
    assert_eq!(clicks[0]["event"]["recvId"], GROUP);

    // The composer: Enter sends; the other member sees it in the history.
    driver
        .type_into(
            "#composer-text",
            &format!("Approved from the browser{ENTER}"),
        )
        .await;
    driver
        .wait_for(
            "the sent message",
            "return [...document.querySelectorAll('#message-list .msg.own')]\
             .some(m => m.textContent.includes('Approved from the browser'))",
        )
        .await;

    // Mentions: `@Bo` offers Bob; Enter picks him, the next Enter sends `content.at`.
    driver.type_into("#composer-text", "Thanks @Bo").await;
    driver
        .wait_for(
            "the mention list",
            "return !document.getElementById('mention-list').hidden \
             && document.querySelector('#mention-list li.active strong')?.textContent === 'Bob'",
        )
        .await;
    driver
        .type_into("#composer-text", &format!("{ENTER}!{ENTER}"))
        .await;
    driver
        .wait_for(
            "the message with a mention",
            "return document.querySelector('#message-list .msg.own:last-child .mention')?.textContent === '@Bob'",
        )
        .await;
    let (_, page) = server
        .user_api(
            Method::GET,
            &alice,
            &format!("/chats/group/{GROUP}/messages"),
            None,
        )
        .await;
    let last = page["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["content"]["text"], "Thanks @Bob\u{200b} !", "{last}");
    assert_eq!(last["content"]["at"], json!([BOB]), "{last}");

    // Reply: a bot message's Reply action quotes it; the answer goes with its parentId and
    // shows Yunhu's quote line.
    driver.click("#message-list .msg.bot .msg-reply").await;
    driver
        .wait_for(
            "the reply bar",
            "return !document.getElementById('composer-reply').hidden",
        )
        .await;
    driver
        .type_into("#composer-text", &format!("On it{ENTER}"))
        .await;
    driver
        .wait_for(
            "the reply with its quote line",
            "const last = document.querySelector('#message-list .msg.own:last-child'); \
             return last && last.textContent.includes('On it') \
               && (last.querySelector('.msg-quote')?.textContent ?? '').startsWith('DeployBot : ') \
               && document.getElementById('composer-reply').hidden",
        )
        .await;
    let (_, page) = server
        .user_api(
            Method::GET,
            &alice,
            &format!("/chats/group/{GROUP}/messages"),
            None,
        )
        .await;
    let last = page["messages"].as_array().unwrap().last().unwrap().clone();
    let quoted = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["senderType"] == "bot")
        .unwrap();
    assert_eq!(last["parentId"], quoted["msgId"], "{last}");

    // The paper clip uploads an image and sends it; the browser loads it from /media with
    // the session cookie, and the bot gets it as an event with a signed URL.
    let image = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lake.png");
    let image_bytes = std::fs::read(&image).unwrap();
    driver
        .type_into("#composer-file", image.to_str().unwrap())
        .await;
    driver
        .wait_for(
            "the sent image, loaded",
            "const img = document.querySelector('#message-list .msg.own:last-child img.msg-image'); \
             return img && img.complete && img.naturalWidth === 320 && img.naturalHeight === 180",
        )
        .await;
    let deadline = Instant::now() + Duration::from_secs(15);
    let image_url = loop {
        let url = received
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e["event"]["message"]["contentType"] == "image")
            .find_map(|e| {
                e["event"]["message"]["content"]["imageUrl"]
                    .as_str()
                    .map(str::to_owned)
            });
        if let Some(url) = url {
            break url;
        }
        assert!(Instant::now() < deadline, "no image event reached the bot");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let resp = server.http.get(&image_url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200, "{image_url}");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), image_bytes.as_slice());

    // An html message with a script and an onerror handler renders inert.
    let inert = bot_send(
        &server,
        &bot_token,
        json!({"recvIds": [GROUP], "recvType": "group", "contentType": "html",
               "content": {"text": "<p id=\"inert\">Status <b>green</b></p>\
                   <script>window.__pwned = 1; alert(1)</script>\
                   <img src=\"x\" onerror=\"window.__pwned = 2; document.title = 'pwned'; alert(2)\">\
                   <a href=\"javascript:window.__pwned = 3\">click</a>\
                   <iframe src=\"https://example.com\"></iframe>"}}),
    )
    .await;
    driver
        .wait_for(
            "the html message",
            "return document.querySelector('#message-list b')?.textContent === 'green'",
        )
        .await;
    // Give a handler that slipped through the time to run.
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The title carries the unread count ("(2) cloudlake"): a handler would have replaced it.
    let report = driver
        .js("const list = document.getElementById('message-list'); return {\
               scripts: list.querySelectorAll('script').length,\
               iframes: list.querySelectorAll('iframe').length,\
               handlers: [...list.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,\
               jsLinks: [...list.querySelectorAll('a')].filter(a => a.href.startsWith('javascript:')).length,\
               pwned: window.__pwned ?? null, title: document.title.replace(/^\\(\\d+\\) /, '') }")
        .await;
    assert_eq!(
        report,
        json!({"scripts": 0, "iframes": 0, "handlers": 0, "jsLinks": 0, "pwned": null, "title": "cloudlake"})
    );
    let (alert_open, _) = driver.try_call("GET", &driver.s("/alert/text"), None).await;
    assert!(!alert_open, "an alert opened");

    // Edits and recalls show in place.
    let deploy_id = deploy["data"]["successList"][0]["msgId"].as_str().unwrap();
    let edit = json!({"msgId": deploy_id, "recvId": GROUP, "recvType": "group",
                      "contentType": "markdown", "content": {"text": "## Deploy 42 approved\n\nShipping to **production** now. Details in [notes](https://example.com/notes).",
                      "buttons": [[{"text": "Copy ID", "actionType": 2, "value": "deploy-42"},
                                   {"text": "Open CI", "actionType": 1, "url": "https://ci.example.com/42"}]]}});
    assert_eq!(server.post("/bot/edit", &bot_token, edit).await["code"], 1);
    driver
        .wait_for(
            "the edited message",
            &format!(
                "const m = document.querySelector(\"[data-msg-id='{deploy_id}']\"); \
                      return m?.querySelector('h2')?.textContent === 'Deploy 42 approved' \
                      && m.querySelector('.edited')?.textContent === 'edited'"
            ),
        )
        .await;
    let inert_id = inert["data"]["successList"][0]["msgId"].as_str().unwrap();
    let recall = json!({"msgId": inert_id, "chatId": GROUP, "chatType": "group"});
    assert_eq!(
        server.post("/bot/recall", &bot_token, recall).await["code"],
        1
    );
    driver
        .wait_for(
            "the recalled message",
            &format!(
                "return document.querySelector(\"[data-msg-id='{inert_id}'] .recalled\")\
                      ?.textContent === 'This message was recalled.'"
            ),
        )
        .await;

    // A streamed bot message grows, then becomes the stored message with the same msgId.
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST /open-apis/v1/bot/send-stream?recvId={GROUP}&recvType=group&contentType=markdown&token={bot_token} HTTP/1.1\r\n\
         Host: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    // The server shows progress at most every 100 ms, on the chunk after that.
    for part in ["Thinking ", "about **it**"] {
        tcp.write_all(format!("{:x}\r\n{part}\r\n", part.len()).as_bytes())
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    driver
        .wait_for(
            "the streaming message",
            "return document.querySelector('#message-list .msg.streaming strong')?.textContent === 'it'",
        )
        .await;
    let rest = " and done.";
    tcp.write_all(format!("{:x}\r\n{rest}\r\n0\r\n\r\n", rest.len()).as_bytes())
        .await
        .unwrap();
    let mut reply = vec![0u8; 4096];
    let _ = tcp.read(&mut reply).await.unwrap();
    driver
        .wait_for(
            "the finished streamed message",
            "const all = [...document.querySelectorAll('#message-list .msg')]\
               .filter(m => m.textContent.includes('Thinking about')); \
             return all.length === 1 && !all[0].classList.contains('streaming') \
               && all[0].textContent.includes('and done.')",
        )
        .await;

    // Unread counts: a message to the other group shows as unread there.
    bot_send(
        &server,
        &bot_token,
        json!({"recvIds": [GROUP2], "recvType": "group", "contentType": "text",
               "content": {"text": "Backup finished"}}),
    )
    .await;
    driver
        .wait_for(
            "the unread badge",
            &format!("return document.querySelector(\"[data-chat-key='group:{GROUP2}'] .unread\")?.textContent === '3'"),
        )
        .await;
    driver.screenshot(shots, "web-client.png").await;
    if shots.is_some() {
        driver.color_scheme("dark").await;
        driver
            .wait_for(
                "the dark scheme",
                "return matchMedia('(prefers-color-scheme: dark)').matches",
            )
            .await;
        driver.screenshot(shots, "web-client-dark.png").await;
        driver.color_scheme("light").await;
    }

    // History pages in upward as the reader scrolls, without moving what they look at.
    driver.click(&format!("[data-chat-key='bot:{BOT}']")).await;
    driver
        .wait_for(
            "the newest page of the private chat",
            "return document.querySelectorAll('#message-list .msg').length === 50 \
             && document.querySelector('#message-list .msg:last-child')?.textContent.includes('log line 120')",
        )
        .await;
    let before = driver
        .js(
            "const m = document.getElementById('messages'); m.scrollTop = 0; \
             const first = document.querySelector('#message-list .msg'); \
             window.__anchor = first; return first.getBoundingClientRect().top",
        )
        .await;
    driver
        .wait_for(
            "the older pages",
            "return document.querySelectorAll('#message-list .msg').length >= 100",
        )
        .await;
    let after = driver
        .js("return window.__anchor.getBoundingClientRect().top")
        .await;
    let moved = (before.as_f64().unwrap() - after.as_f64().unwrap()).abs();
    assert!(
        moved < 2.0,
        "the view jumped by {moved}px ({before} → {after})"
    );
    let m = "document.getElementById('messages')";
    driver.js(&format!("{m}.scrollTop = 0; return 1")).await;
    driver
        .wait_for(
            "the start of the conversation",
            "return document.querySelectorAll('#message-list .msg').length === 120 \
             && document.getElementById('history-status').textContent === 'Start of the conversation'",
        )
        .await;
    driver
        .click(&format!("[data-chat-key='group:{GROUP}']"))
        .await;
    driver
        .wait_for(
            "the group again",
            "return document.querySelector('#message-list .msg h2')?.textContent === 'Deploy 42 approved'",
        )
        .await;

    // Phone width: one pane at a time.
    driver.resize(390, 844).await;
    driver
        .wait_for(
            "the phone layout",
            "return getComputedStyle(document.getElementById('sidebar')).display === 'none' \
             && getComputedStyle(document.getElementById('back')).display !== 'none'",
        )
        .await;
    driver.screenshot(shots, "web-client-phone.png").await;
    driver.click("#back").await;
    driver
        .wait_for(
            "the chat list on a phone",
            "return getComputedStyle(document.getElementById('sidebar')).display !== 'none'",
        )
        .await;
    driver.resize(1280, 800).await;

    // A new password ends Alice's sessions: the server closes the page's live socket as
    // revoked, and the page asks her to sign in again instead of reconnecting forever.
    let (status, _) = server
        .admin(
            Method::PUT,
            &format!("/users/{ALICE}/password"),
            Some(json!({"password": "correct horse"})),
        )
        .await;
    assert_eq!(status, 204);
    driver
        .wait_for(
            "the sign-in form after the revocation",
            "return !document.getElementById('signin').hidden \
             && document.getElementById('signin-error').textContent === 'Your session has ended; sign in again.'",
        )
        .await;

    // The admin console lists the bot with its groups.
    driver.goto(&server.url("/admin")).await;
    driver
        .wait_for(
            "the admin sign-in",
            "return !document.getElementById('signin').hidden",
        )
        .await;
    driver.type_into("#signin-token", ADMIN_TOKEN).await;
    driver.click("#signin-form button[type=submit]").await;
    driver
        .wait_for(
            "the users table",
            "return document.querySelector('#view table')?.textContent.includes('Alice')",
        )
        .await;
    // The console sets Bob a password; he can then sign in with it.
    driver
        .click(&format!(
            "#view form select[name=userId] option[value='{BOB}']"
        ))
        .await;
    driver
        .type_into("#view form input[name=password]", " bob's passphrase ")
        .await;
    driver
        .click("#view form input[name=password] ~ button[type=submit]")
        .await;
    driver
        .wait_for(
            "the password notice",
            &format!("return document.querySelector('#notice .notice.ok')?.textContent === 'Password set for Bob ({BOB}).'"),
        )
        .await;
    let resp = server
        .http
        .post(server.url("/api/v1/session"))
        .json(&json!({"userId": BOB, "password": " bob's passphrase "}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    // A command, so the screenshot of the bot's page shows one.
    let (status, body) = server
        .admin(
            Method::POST,
            &format!("/bots/{BOT}/commands"),
            Some(json!({"name": "deploy", "presetText": "branch:"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    driver.click("#tab-bots").await;
    driver
        .wait_for(
            "the bots table",
            &format!("return document.querySelector('#view table')?.textContent.includes('{BOT}')"),
        )
        .await;
    driver.click("#view td.actions button").await;
    driver
        .wait_for(
            "the bot's details",
            &format!(
                "return document.querySelector('#bot-detail')?.textContent.includes('{GROUP2}')"
            ),
        )
        .await;
    // Delivery health comes from the event-delivery admin endpoints when the server has them.
    driver
        .wait_for(
            "the delivery health panel",
            "const t = document.querySelector('#delivery-health')?.textContent ?? ''; \
             return t.includes('not available') || t.includes('Pending')",
        )
        .await;
    // The bot's page is what the picture is about: its top at the top of the window.
    driver
        .js("document.getElementById('bot-detail').scrollIntoView(); return true")
        .await;
    driver.screenshot(shots, "admin-console.png").await;

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
    eprintln!(
        "browser test passed in {:.1}s",
        started.elapsed().as_secs_f64()
    );
}

/// A tip arrives live as a centered gray line of its own: no bubble, no sender, no actions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tip_is_a_centered_gray_line_in_a_real_browser() {
    let chromium = find_binary(
        "CLOUDLAKE_CHROMIUM",
        &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
    );
    let chromedriver = find_binary("CLOUDLAKE_CHROMEDRIVER", &["/usr/bin/chromedriver"]);
    let (Some(chromium), Some(chromedriver)) = (chromium, chromedriver) else {
        let reason = "browser test skipped: chromium and chromedriver not found";
        assert!(std::env::var("CI").is_err(), "{reason}, and CI must run it");
        eprintln!("{reason}");
        return;
    };
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    server.user(BOB, "Bob").await;
    server.group(GROUP, &[ALICE, BOB]).await;

    let profile = tempfile::tempdir().unwrap();
    let driver = Driver::start(&chromedriver, &chromium, profile.path()).await;
    driver.goto(&server.url("/")).await;
    driver
        .wait_for(
            "the sign-in form",
            "return !document.getElementById('signin').hidden",
        )
        .await;
    driver.type_into("#signin-token", &alice).await;
    driver.click("#signin-form button[type=submit]").await;
    let chat = format!("[data-chat-key='group:{GROUP}']");
    driver
        .wait_for(
            "the chat list",
            &format!("return !!document.querySelector(\"{chat}\")"),
        )
        .await;
    driver.click(&chat).await;
    driver
        .wait_for(
            "the open chat",
            "return !document.getElementById('composer').hidden \
             && document.getElementById('history-status').textContent !== 'Loading…'",
        )
        .await;

    let (status, _) = server
        .admin(
            Method::PUT,
            &format!("/groups/{GROUP}/members/{BOB}"),
            Some(json!({"role": "administrator"})),
        )
        .await;
    assert_eq!(status, 200);
    let tip = driver
        .wait_for(
            "the tip line",
            "const t = document.querySelector('#message-list .msg.tip'); \
             if (!t) return null; const s = getComputedStyle(t); \
             return {text: t.textContent, align: s.textAlign, self: s.alignSelf, \
                     border: s.borderTopStyle, background: s.backgroundColor, \
                     actions: t.querySelectorAll('button, .msg-meta').length}",
        )
        .await;
    assert_eq!(
        tip,
        json!({"text": "已将\"Bob\"添加为群管理员", "align": "center", "self": "center",
               "border": "none", "background": "rgba(0, 0, 0, 0)", "actions": 0})
    );

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// chromium and chromedriver, or `None` (saying why) when they are not installed outside CI.
fn browser_binaries() -> Option<(PathBuf, PathBuf)> {
    let chromium = find_binary(
        "CLOUDLAKE_CHROMIUM",
        &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
    );
    let chromedriver = find_binary("CLOUDLAKE_CHROMEDRIVER", &["/usr/bin/chromedriver"]);
    if let (Some(chromium), Some(chromedriver)) = (chromium, chromedriver) {
        return Some((chromium, chromedriver));
    }
    let reason = "browser test skipped: chromium and chromedriver not found";
    assert!(std::env::var("CI").is_err(), "{reason}, and CI must run it");
    eprintln!("{reason}");
    None
}

/// A browser at `width`×`height`, signed in to the web client with `token`, its chat list
/// shown. The profile directory lives as long as the returned guard.
async fn signed_in(
    server: &TestServer,
    token: &str,
    (width, height): (u32, u32),
) -> Option<(Driver, tempfile::TempDir)> {
    let (chromium, chromedriver) = browser_binaries()?;
    let profile = tempfile::tempdir().unwrap();
    let driver = Driver::start(&chromedriver, &chromium, profile.path()).await;
    driver.resize(width, height).await;
    driver.goto(&server.url("/")).await;
    driver
        .wait_for(
            "the sign-in form",
            "return !document.getElementById('signin').hidden",
        )
        .await;
    driver.type_into("#signin-token", token).await;
    driver.click("#signin-form button[type=submit]").await;
    driver
        .wait_for(
            "the chat list",
            "return document.querySelectorAll('.chat-item').length > 0",
        )
        .await;
    Some((driver, profile))
}

/// Opens a chat from the list and waits for its history.
async fn open_chat(driver: &Driver, key: &str) {
    driver.click(&format!("[data-chat-key='{key}']")).await;
    driver
        .wait_for(
            "the open chat",
            &format!(
                "return !document.getElementById('composer').hidden \
                 && document.querySelector('.chat-item.active')?.dataset.chatKey === '{key}' \
                 && document.getElementById('history-status').textContent !== 'Loading…' \
                 && (document.getElementById('history-status').textContent !== '' \
                     || !!document.querySelector('#message-list .msg'))"
            ),
        )
        .await;
}

/// A user's unread count in a group, as the server keeps it.
async fn unread(server: &TestServer, token: &str, group: &str) -> i64 {
    let (status, body) = server.user_api(Method::GET, token, "/chats", None).await;
    assert_eq!(status, 200, "{body}");
    body["chats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["chatId"] == group)
        .unwrap_or_else(|| panic!("{group} not in {body}"))["unread"]
        .as_i64()
        .unwrap()
}

/// Waits until the server's unread count for the group is `want`.
async fn wait_unread(server: &TestServer, token: &str, group: &str, want: i64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = unread(server, token, group).await;
        if now == want {
            return;
        }
        assert!(Instant::now() < deadline, "unread stayed {now}, not {want}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// At phone width the chat list fits the screen: one long preview ends in an ellipsis inside
/// it instead of widening the list, and Sign out stays on screen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chat_list_fits_a_phone_screen_in_a_real_browser() {
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    let bob = server.user(BOB, "Bob").await;
    server.group(GROUP, &[ALICE, BOB]).await;
    let long = "The release notes for this week are long: deploy freeze, database migration, \
                new on-call rota and the holiday schedule for everyone";
    let (status, body) = server
        .user_api(
            Method::POST,
            &bob,
            &format!("/chats/group/{GROUP}/messages"),
            Some(json!({"contentType": "text", "content": {"text": long}})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let Some((driver, _profile)) = signed_in(&server, &alice, (390, 844)).await else {
        return;
    };
    let layout = driver
        .js("const p = document.querySelector('.chat-preview'); \
             const side = document.getElementById('sidebar').getBoundingClientRect(); \
             const out = document.getElementById('signout').getBoundingClientRect(); \
             return {phone: innerWidth <= 400, \
                     sidebarFits: side.right <= innerWidth, \
                     signOutVisible: out.left >= 0 && out.right <= innerWidth, \
                     previewInside: p.getBoundingClientRect().right <= innerWidth, \
                     previewCut: p.scrollWidth > p.clientWidth, \
                     ellipsis: getComputedStyle(p).textOverflow}")
        .await;
    assert_eq!(
        layout,
        json!({"phone": true, "sidebarFits": true, "signOutVisible": true,
               "previewInside": true, "previewCut": true, "ellipsis": "ellipsis"})
    );

    // The open chat's empty composer shows its whole placeholder on one line, no scroll bar.
    open_chat(&driver, &format!("group:{GROUP}")).await;
    let composer = driver
        .js("const t = document.getElementById('composer-text'); \
             return {overflow: t.scrollHeight - t.clientHeight, \
                     oneLine: t.getBoundingClientRect().height < 3 * parseFloat(getComputedStyle(t).fontSize), \
                     inside: t.getBoundingClientRect().right <= innerWidth}")
        .await;
    assert_eq!(
        composer,
        json!({"overflow": 0, "oneLine": true, "inside": true})
    );

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// The search box in the chat list's header: hits (Chinese, two characters or more) replace
/// the list, never one from a group the reader is not in; choosing one opens its chat at that
/// message, three pages back, marked and in view; Esc brings the list back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_a_message_and_opens_the_chat_at_it_in_a_real_browser() {
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    server.user(BOB, "Bob").await;
    server.group(GROUP, &[ALICE]).await;
    server.group(GROUP2, &[BOB]).await;
    let bot_token = server.bot(BOT).await;
    server.join(BOT, GROUP).await;
    server.join(BOT, GROUP2).await;
    let send = async |group: &str, text: String| {
        let reply = server
            .post(
                "/bot/send",
                &bot_token,
                crate::common::text("group", group, &text),
            )
            .await;
        assert_eq!(reply["code"], 1, "{reply}");
    };
    send(GROUP2, "Bob's 会议纪要, not for Alice".into()).await;
    for i in 1..=5 {
        send(GROUP, format!("early line {i}")).await;
    }
    send(GROUP, "周五的会议纪要 meeting notes".into()).await;
    // Enough after it that the chat's first pages do not reach it.
    for i in 1..=130 {
        send(GROUP, format!("later line {i}")).await;
    }
    let Some((driver, _profile)) = signed_in(&server, &alice, (1280, 800)).await else {
        return;
    };
    driver.type_into("#search-input", "会议").await;
    let hits = driver
        .wait_for(
            "the hits",
            "const hits = [...document.querySelectorAll('#search-results .search-hit')]; \
             if (!hits.length || document.getElementById('search-status').textContent === 'Searching…') return null; \
             return {hits: hits.map((h) => h.querySelector('.chat-preview').textContent), \
                     chat: hits[0].querySelector('.chat-name').textContent, \
                     listHidden: document.getElementById('chat-list').hidden, \
                     status: document.getElementById('search-status').textContent}",
        )
        .await;
    assert_eq!(
        hits,
        json!({"hits": [format!("bot {BOT}: 周五的会议纪要 meeting notes")],
               "chat": format!("group {GROUP}"), "listHidden": true,
               "status": "1 message found"})
    );

    driver.click("#search-results .search-hit").await;
    let shown = driver
        .wait_for(
            "the chat at the message",
            "const el = document.querySelector('#message-list .msg.highlight'); \
             if (!el) return null; \
             const box = document.getElementById('messages').getBoundingClientRect(); \
             const r = el.getBoundingClientRect(); \
             return {text: el.querySelector('.msg-body').textContent, \
                     inView: r.top >= box.top && r.bottom <= box.bottom, \
                     title: document.getElementById('chat-title').textContent, \
                     composer: !document.getElementById('composer').hidden}",
        )
        .await;
    assert_eq!(
        shown,
        json!({"text": "周五的会议纪要 meeting notes", "inView": true,
               "title": format!("group {GROUP}"), "composer": true})
    );

    // A word only in Bob's group finds nothing; Esc brings the chat list back.
    driver
        .js(
            "const i = document.getElementById('search-input'); i.value = 'not for Alice'; \
             i.dispatchEvent(new Event('input')); return 1",
        )
        .await;
    driver
        .wait_for(
            "nothing found",
            "return document.getElementById('search-status').textContent === 'Nothing found for “not for Alice”'",
        )
        .await;
    driver.click("#search-input").await;
    driver.press(ESCAPE).await;
    driver
        .wait_for(
            "the chat list back",
            "return !document.getElementById('chat-list').hidden \
             && document.getElementById('search-results').hidden \
             && document.getElementById('search-input').value === ''",
        )
        .await;

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// A message that arrives while the reader is scrolled up is not marked read: it stays unread
/// (on the server and in the list), a "new messages" line marks where it starts, and a button
/// jumps there; reaching the bottom marks it read. At desktop and at phone width.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_below_the_fold_stays_unread_until_seen_in_a_real_browser() {
    below_the_fold((1280, 800)).await;
    below_the_fold((390, 844)).await;
}

async fn below_the_fold(size: (u32, u32)) {
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    server.group(GROUP, &[ALICE]).await;
    let bot_token = server.bot(BOT).await;
    server.join(BOT, GROUP).await;
    // More than a screenful, fewer than a page (no older page to load at the top).
    for i in 1..=40 {
        let reply = server
            .post(
                "/bot/send",
                &bot_token,
                crate::common::text("group", GROUP, &format!("status line {i}")),
            )
            .await;
        assert_eq!(reply["code"], 1, "{reply}");
    }
    // Read already: the chat opens at its end.
    let (status, body) = server
        .user_api(
            Method::POST,
            &alice,
            &format!("/chats/group/{GROUP}/read"),
            Some(json!({"seq": 40})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let Some((driver, _profile)) = signed_in(&server, &alice, size).await else {
        return;
    };
    open_chat(&driver, &format!("group:{GROUP}")).await;
    wait_unread(&server, &alice, GROUP, 0).await;

    // The reader scrolls up to the top; a new message arrives below.
    let m = "document.getElementById('messages')";
    assert_eq!(
        driver
            .js(&format!(
                "{m}.scrollTop = 0; return {m}.scrollHeight > 2 * {m}.clientHeight"
            ))
            .await,
        true
    );
    let reply = server
        .post(
            "/bot/send",
            &bot_token,
            crate::common::text("group", GROUP, "fresh news"),
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    driver
        .wait_for(
            "the new message, below the fold",
            "return [...document.querySelectorAll('#message-list .msg')].some(m => m.textContent.includes('fresh news'))",
        )
        .await;
    // Past the client's half-second read delay, the server still counts it unread.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(unread(&server, &alice, GROUP).await, 1);
    let jump = driver
        .wait_for(
            "the new-messages button",
            "const b = document.getElementById('new-messages'); \
             return b && !b.hidden && b.getBoundingClientRect().height > 0 && b.textContent",
        )
        .await;
    assert_eq!(jump, "↓ 1 new message");
    // The line stands right before the new message; the reader's place did not move.
    let state = driver
        .js(&format!(
            "const line = document.querySelector('#message-list .new-divider'); \
             return {{line: line?.textContent ?? null, \
                     next: line?.nextElementSibling?.textContent.includes('fresh news') ?? false, \
                     top: {m}.scrollTop, \
                     badge: document.querySelector(\"[data-chat-key='group:{GROUP}'] .unread\")?.textContent ?? null}}"
        ))
        .await;
    assert_eq!(
        state,
        json!({"line": "New messages", "next": true, "top": 0, "badge": "1"})
    );

    // The button jumps to it; seen at the bottom, it is read.
    driver.click("#new-messages").await;
    driver
        .wait_for(
            "the jump to the new message",
            &format!(
                "return {m}.scrollHeight - {m}.scrollTop - {m}.clientHeight < 80 \
                 && document.getElementById('new-messages').hidden \
                 && !document.querySelector(\"[data-chat-key='group:{GROUP}'] .unread\")"
            ),
        )
        .await;
    wait_unread(&server, &alice, GROUP, 0).await;

    // A message that arrives while the reader is at the bottom is read at once, with no button.
    let reply = server
        .post(
            "/bot/send",
            &bot_token,
            crate::common::text("group", GROUP, "seen right away"),
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    driver
        .wait_for(
            "the message seen at the bottom",
            "return document.querySelector('#message-list .msg:last-child')?.textContent.includes('seen right away')",
        )
        .await;
    wait_unread(&server, &alice, GROUP, 0).await;
    assert_eq!(
        driver
            .js("return document.getElementById('new-messages').hidden")
            .await,
        true
    );

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// A chat with unread messages opens at the first of them, under the "New messages" line
/// (not at the end, which would mark read what the reader never saw); they stay unread until
/// the reader reaches the end. At desktop and at phone width.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_opens_at_its_first_unread_message_in_a_real_browser() {
    opens_at_first_unread((1280, 800)).await;
    opens_at_first_unread((390, 844)).await;
}

async fn opens_at_first_unread(size: (u32, u32)) {
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    server.group(GROUP, &[ALICE]).await;
    let bot_token = server.bot(BOT).await;
    server.join(BOT, GROUP).await;
    let send = async |text: String| {
        let reply = server
            .post(
                "/bot/send",
                &bot_token,
                crate::common::text("group", GROUP, &text),
            )
            .await;
        assert_eq!(reply["code"], 1, "{reply}");
    };
    for i in 1..=40 {
        send(format!("old line {i}")).await;
    }
    let (status, body) = server
        .user_api(
            Method::POST,
            &alice,
            &format!("/chats/group/{GROUP}/read"),
            Some(json!({"seq": 40})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // More than a screenful of unread messages.
    for i in 1..=20 {
        send(format!("new line {i}")).await;
    }
    assert_eq!(unread(&server, &alice, GROUP).await, 20);

    let Some((driver, _profile)) = signed_in(&server, &alice, size).await else {
        return;
    };
    open_chat(&driver, &format!("group:{GROUP}")).await;
    let m = "document.getElementById('messages')";
    let start = driver
        .wait_for(
            "the chat opened at its first unread message",
            &format!(
                "const line = document.querySelector('#message-list .new-divider'); \
                 if (!line) return null; \
                 return {{next: line.nextElementSibling?.querySelector('.msg-body')?.textContent ?? null, \
                         atTop: Math.abs(line.getBoundingClientRect().top - {m}.getBoundingClientRect().top) < 2, \
                         jump: document.getElementById('new-messages').textContent}}"
            ),
        )
        .await;
    assert_eq!(
        start,
        json!({"next": "new line 1", "atTop": true, "jump": "↓ 20 new messages"}),
        "at {size:?}"
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(
        unread(&server, &alice, GROUP).await,
        20,
        "read unseen at {size:?}"
    );

    // Scrolling to the end reads them.
    driver
        .js(&format!("{m}.scrollTop = {m}.scrollHeight; return 1"))
        .await;
    driver
        .wait_for(
            "the button gone at the end",
            "return document.getElementById('new-messages').hidden",
        )
        .await;
    wait_unread(&server, &alice, GROUP, 0).await;

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// A large image shows at most 22rem (352 px) each way, with its own proportions (no empty
/// bands); file sizes read in B, KB and MB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_and_file_sizes_show_true_to_size_in_a_real_browser() {
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    server.group(GROUP, &[ALICE]).await;
    let Some((driver, _profile)) = signed_in(&server, &alice, (1280, 800)).await else {
        return;
    };
    open_chat(&driver, &format!("group:{GROUP}")).await;
    let files = tempfile::tempdir().unwrap();

    // A 1600×900 PNG, drawn by the browser's own canvas, sent with the paper clip.
    let png = driver
        .js(
            "const c = document.createElement('canvas'); c.width = 1600; c.height = 900; \
             const g = c.getContext('2d'); g.fillStyle = '#3a7bd5'; g.fillRect(0, 0, 1600, 900); \
             return c.toDataURL('image/png').split(',')[1]",
        )
        .await;
    let wide = files.path().join("wide.png");
    std::fs::write(&wide, base64(png.as_str().unwrap())).unwrap();
    driver
        .type_into("#composer-file", wide.to_str().unwrap())
        .await;
    let size = "const img = document.querySelector('#message-list .msg:last-child img.msg-image'); \
                if (!img || !img.complete || img.naturalWidth !== 1600) return null; \
                const r = img.getBoundingClientRect(); \
                return [Math.round(r.width), Math.round(r.height)]";
    let shown = driver.wait_for("the sent image, loaded", size).await;
    assert_eq!(shown, json!([352, 198]), "width and height in px");

    // At phone width it narrows with the bubble and keeps its proportions.
    driver.resize(390, 844).await;
    let narrow = driver
        .wait_for(
            "the phone layout",
            "const img = document.querySelector('#message-list .msg:last-child img.msg-image'); \
             const r = img.getBoundingClientRect(); \
             const bubble = img.closest('.msg').getBoundingClientRect(); \
             return innerWidth <= 400 && {inside: r.left >= bubble.left && r.right <= bubble.right, \
                                          ratio: Math.round(r.width / r.height * 100) / 100}",
        )
        .await;
    assert_eq!(narrow, json!({"inside": true, "ratio": 1.78}));
    driver.resize(1280, 800).await;

    // A 26-byte file reads "26 B"; 1536 bytes read "1.5 KB"; 3 MiB "3 MB".
    for (name, len, label) in [
        ("notes.txt", 26, "26 B"),
        ("table.csv", 1536, "1.5 KB"),
        ("dump.bin", 3 * 1024 * 1024, "3 MB"),
    ] {
        let path = files.path().join(name);
        std::fs::write(&path, vec![b'x'; len]).unwrap();
        driver
            .type_into("#composer-file", path.to_str().unwrap())
            .await;
        driver
            .wait_for(
                &format!("the file {name}"),
                &format!(
                    "return document.querySelector('#message-list .msg:last-child .msg-file')\
                     ?.textContent === '📎 {name} ({label})'"
                ),
            )
            .await;
    }

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// The console's delivery health shows no literal "null" when there is no last error, and
/// shows the error when there is one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_health_without_an_error_shows_no_null_in_a_real_browser() {
    let Some((chromium, chromedriver)) = browser_binaries() else {
        return;
    };
    let server = TestServer::start_with(|c| c.delivery.allow_private = true).await;
    server.bot(BOT).await;
    // A second bot whose webhook refuses connections: its delivery fails.
    let broken = "30714925";
    let (status, body) = server
        .admin(
            Method::POST,
            "/bots",
            Some(json!({"id": broken, "nickname": "BrokenBot", "webhookUrl": "http://127.0.0.1:1/hook"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let alice = server.user(ALICE, "Alice").await;
    server.follow(broken, ALICE).await;
    let (status, body) = server
        .user_api(
            Method::POST,
            &alice,
            &format!("/chats/bot/{broken}/messages"),
            Some(json!({"contentType": "text", "content": {"text": "hello"}})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, stats) = server
            .admin(Method::GET, &format!("/bots/{broken}/deliveries"), None)
            .await;
        if stats["lastError"].is_string() {
            break;
        }
        assert!(Instant::now() < deadline, "no delivery error: {stats}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let profile = tempfile::tempdir().unwrap();
    let driver = Driver::start(&chromedriver, &chromium, profile.path()).await;
    driver.goto(&server.url("/admin")).await;
    driver
        .wait_for(
            "the admin sign-in",
            "return !document.getElementById('signin').hidden",
        )
        .await;
    driver.type_into("#signin-token", ADMIN_TOKEN).await;
    driver.click("#signin-form button[type=submit]").await;
    driver
        .wait_for(
            "the users table",
            "return document.querySelector('#view table')?.textContent.includes('Alice')",
        )
        .await;
    driver.click("#tab-bots").await;
    driver
        .wait_for(
            "the bots table",
            &format!(
                "return document.querySelector('#view table')?.textContent.includes('{broken}')"
            ),
        )
        .await;
    for bot in [BOT, broken] {
        let clicked = driver
            .js(&format!(
                "const row = [...document.querySelectorAll('#view table tbody tr')]                    .find(r => r.cells[0].textContent === '{bot}');                  row?.querySelector('td.actions button').click(); return !!row"
            ))
            .await;
        assert_eq!(clicked, true, "{bot} has a row");
        let health = driver
            .wait_for(
                "the delivery health panel",
                &format!(
                    "const d = document.querySelector('#bot-detail'); \
                     const t = d?.querySelector('#delivery-health')?.textContent ?? ''; \
                     return !!d && d.querySelector('h2').textContent.includes('{bot}') && t.includes('Pending') \
                       && [...document.querySelectorAll('#delivery-health > *')].map(e => e.textContent).concat( \
                            [...document.getElementById('delivery-health').childNodes] \
                              .filter(n => n.nodeType === Node.TEXT_NODE).map(n => n.textContent))"
                ),
            )
            .await;
        let parts: Vec<&str> = health
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(!parts.contains(&"null"), "{bot}: {parts:?}");
        let error = parts.iter().any(|p| p.starts_with("Last error: "));
        assert_eq!(error, bot == broken, "{bot}: {parts:?}");
    }

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// Day lines stand between messages of different days; a sender's consecutive messages stand
/// under one header (the name once); every time shows its full date and time on hover.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn day_lines_and_grouped_messages_in_a_real_browser() {
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    let bob = server.user(BOB, "Bob").await;
    server.group(GROUP, &[ALICE, BOB]).await;
    let bot_token = server.bot(BOT).await;
    server.join(BOT, GROUP).await;
    // seq 1-2 from the bot, 3 from Bob, 4-5 from the bot, 6 from the bot today.
    for (i, who) in ["bot", "bot", "bob", "bot", "bot", "bot"]
        .iter()
        .enumerate()
    {
        let text = format!("message {}", i + 1);
        if *who == "bob" {
            let (status, body) = server
                .user_api(
                    Method::POST,
                    &bob,
                    &format!("/chats/group/{GROUP}/messages"),
                    Some(json!({"contentType": "text", "content": {"text": text}})),
                )
                .await;
            assert_eq!(status, 201, "{body}");
        } else {
            let reply = server
                .post(
                    "/bot/send",
                    &bot_token,
                    crate::common::text("group", GROUP, &text),
                )
                .await;
            assert_eq!(reply["code"], 1, "{reply}");
        }
    }
    // Back-date 1-3 to 2 March 2025 and 4-5 to 3 March, at noon UTC: the same dates in any
    // time zone within 11 hours of UTC. 1 and 2 are a minute apart, 4 and 5 a minute apart.
    let noon = 1_740_916_800_000_i64; // 2025-03-02T12:00:00Z
    let minute = 60_000;
    let day = 86_400_000;
    let times = [
        noon,
        noon + minute,
        noon + 2 * minute,
        noon + day,
        noon + day + minute,
    ];
    let sql: String = times
        .iter()
        .enumerate()
        .map(|(i, t)| {
            format!(
                "UPDATE messages SET send_time = {t} WHERE chat_key LIKE '%{GROUP}%' AND seq = {};",
                i + 1
            )
        })
        .collect();
    let rows = server.db_rows(&format!(
        "SELECT COUNT(*) FROM messages WHERE chat_key LIKE '%{GROUP}%'"
    ));
    assert_eq!(
        rows,
        vec![vec![json!(6)]],
        "the chat's rows are found by its key"
    );
    crate::common::db_execute(server.dir.path(), &sql);

    let Some((driver, _profile)) = signed_in(&server, &alice, (1280, 800)).await else {
        return;
    };
    open_chat(&driver, &format!("group:{GROUP}")).await;
    // The same at desktop and at phone width.
    for (width, height) in [(1280, 800), (390, 844)] {
        driver.resize(width, height).await;
        let layout = driver
            .js(
                // A name counts as shown when it is drawn inside its bubble (a grouped message
                // keeps it for screen readers only).
                "const shown = (s) => { const r = s.getBoundingClientRect(); \
                   const b = s.closest('.msg').getBoundingClientRect(); \
                   return r.width > 1 && r.left >= b.left && r.right <= b.right; }; \
                 return [...document.querySelectorAll('#message-list > .msg, #message-list > .day-divider')].map(el => \
                   el.classList.contains('day-divider') ? 'day: ' + el.textContent \
                   : (el.classList.contains('grouped') ? '  ' : '') \
                     + (shown(el.querySelector('.sender')) ? el.querySelector('.sender').textContent + ': ' : '') \
                     + el.querySelector('.msg-body').textContent)",
            )
            .await;
        assert_eq!(
            layout,
            json!([
                "day: Sunday, March 2, 2025",
                "bot 30714924: message 1",
                "  message 2",
                "Bob: message 3",
                "day: Monday, March 3, 2025",
                "bot 30714924: message 4",
                "  message 5",
                "day: Today",
                "bot 30714924: message 6",
            ]),
            "at {width}x{height}"
        );
    }
    driver.resize(1280, 800).await;
    // The full date and time on hover; the bubble shows the time of day.
    let first = driver
        .js(
            "const t = document.querySelector('#message-list .msg time'); \
             return {datetime: t.getAttribute('datetime'), title: t.title, \
                     text: t.textContent, \
                     expect: new Date(1740916800000).toLocaleString([], {dateStyle: 'full', timeStyle: 'short'})}",
        )
        .await;
    assert_eq!(first["datetime"], "2025-03-02T12:00:00.000Z", "{first}");
    assert_eq!(first["title"], first["expect"], "{first}");
    assert!(
        first["title"].as_str().unwrap().contains("March 2, 2025"),
        "{first}"
    );
    assert!(
        !first["text"].as_str().unwrap().contains("Mar"),
        "the day line says the day: {first}"
    );

    // A live message from the same sender joins the group under today's header; the day
    // lines already there stay the same elements (the list is an aria-live region: a line
    // put in again would be read out again).
    driver
        .js("window.__lines = [...document.querySelectorAll('#message-list .day-divider')]; return 1")
        .await;
    let reply = server
        .post(
            "/bot/send",
            &bot_token,
            crate::common::text("group", GROUP, "message 7"),
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    driver
        .wait_for(
            "the live message, grouped",
            "const last = document.querySelector('#message-list .msg:last-child'); \
             return last?.textContent.includes('message 7') && last.classList.contains('grouped') \
               && document.querySelectorAll('#message-list .day-divider').length === 3",
        )
        .await;
    let same = driver
        .js(
            "return [...document.querySelectorAll('#message-list .day-divider')] \
               .every((line, i) => line === window.__lines[i])",
        )
        .await;
    assert_eq!(same, true, "the day lines were put in again");

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// The tab's title counts the unread messages of all chats: "(3) cloudlake"; none, "cloudlake".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tab_title_counts_unread_messages_in_a_real_browser() {
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    server.group(GROUP, &[ALICE]).await;
    server.group(GROUP2, &[ALICE]).await;
    let bot_token = server.bot(BOT).await;
    server.join(BOT, GROUP).await;
    server.join(BOT, GROUP2).await;
    let send = |group: &'static str, text: &'static str| {
        let server = &server;
        let bot_token = &bot_token;
        async move {
            let reply = server
                .post(
                    "/bot/send",
                    bot_token,
                    crate::common::text("group", group, text),
                )
                .await;
            assert_eq!(reply["code"], 1, "{reply}");
        }
    };
    send(GROUP, "hello there").await;
    send(GROUP2, "alert one").await;
    send(GROUP2, "alert two").await;
    let Some((driver, _profile)) = signed_in(&server, &alice, (1280, 800)).await else {
        return;
    };
    let title = "return document.title";
    driver
        .wait_for("three unread", "return document.title === '(3) cloudlake'")
        .await;
    // Reading a chat takes its messages off; a live one elsewhere adds to the count.
    open_chat(&driver, &format!("group:{GROUP}")).await;
    driver
        .wait_for("two unread", "return document.title === '(2) cloudlake'")
        .await;
    send(GROUP2, "alert three").await;
    driver
        .wait_for(
            "three unread again",
            "return document.title === '(3) cloudlake'",
        )
        .await;
    // A message in the open chat, seen as it comes, does not count.
    send(GROUP, "seen at once").await;
    driver
        .wait_for(
            "the message in the open chat",
            "return document.querySelector('#message-list .msg:last-child')?.textContent.includes('seen at once')",
        )
        .await;
    assert_eq!(driver.js(title).await, "(3) cloudlake");
    open_chat(&driver, &format!("group:{GROUP2}")).await;
    driver
        .wait_for("nothing unread", "return document.title === 'cloudlake'")
        .await;

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// The colours of the main surfaces, as `[name, background luminance, text contrast]`: the
/// background is the first opaque one among the element and its ancestors; the contrast is
/// WCAG's ratio of the text colour to it.
const SURFACES: &str = "\
    const rgb = (c) => c.match(/[\\d.]+/g).map(Number); \
    const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }; \
                                 return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); }; \
    const bg = (el) => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor); \
                           if (c.length < 4 || c[3] > 0) return c; } return [255, 255, 255]; }; \
    const pick = { page: '#messages', sidebar: '#sidebar', chat: '.chat-name', preview: '.chat-preview', \
                   message: '#message-list .msg:not(.own) .msg-body', own: '#message-list .msg.own .msg-body', \
                   sender: '#message-list .msg:not(.own) .sender', composer: '#composer-text', \
                   badge: '.unread', board: '.board', send: '#composer button[type=submit]', \
                   time: '#message-list .msg:not(.own) time', day: '.day-divider', \
                   newLine: '.new-divider', jump: '#new-messages' }; \
    return Object.entries(pick).map(([name, css]) => { const el = document.querySelector(css); \
      if (!el) return [name, null, null]; \
      const b = lum(bg(el)), t = lum(rgb(getComputedStyle(el).color)); \
      const ratio = (Math.max(b, t) + 0.05) / (Math.min(b, t) + 0.05); \
      return [name, Math.round(b * 100) / 100, Math.round(ratio * 10) / 10]; })";

/// The client follows the system's colour scheme: dark surfaces with light, readable text
/// when the system is dark, the light theme otherwise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dark_mode_follows_the_system_setting_in_a_real_browser() {
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    server.group(GROUP, &[ALICE]).await;
    server.group(GROUP2, &[ALICE]).await;
    let bot_token = server.bot(BOT).await;
    server.join(BOT, GROUP).await;
    server.join(BOT, GROUP2).await;
    for (group, text) in [(GROUP, "build is green"), (GROUP2, "disk at 91%")] {
        let reply = server
            .post(
                "/bot/send",
                &bot_token,
                crate::common::text("group", group, text),
            )
            .await;
        assert_eq!(reply["code"], 1, "{reply}");
    }
    let board = server
        .post(
            "/bot/board",
            &bot_token,
            json!({"chatId": GROUP2, "chatType": "group", "contentType": "text",
                   "content": "deploy freeze until Friday"}),
        )
        .await;
    assert_eq!(board["code"], 1, "{board}");
    let Some((driver, _profile)) = signed_in(&server, &alice, (1280, 800)).await else {
        return;
    };
    // Its unread message gets the "New messages" line; the other chat keeps its badge.
    open_chat(&driver, &format!("group:{GROUP2}")).await;
    driver
        .type_into("#composer-text", &format!("thanks{ENTER}"))
        .await;
    driver
        .wait_for(
            "the sent message and the board",
            "return !!document.querySelector('#message-list .msg.own') && !!document.querySelector('.board') \
               && !!document.querySelector('.new-divider')",
        )
        .await;
    // The jump button shows only with unseen messages; its colours are checked all the same.
    driver
        .js(
            "document.getElementById('new-messages').textContent = '↓ 2 new messages'; \
             document.getElementById('new-messages').hidden = false; return 1",
        )
        .await;

    for ((width, height), scheme) in [
        ((1280, 800), "light"),
        ((1280, 800), "dark"),
        ((390, 844), "dark"),
        ((390, 844), "light"),
    ] {
        driver.resize(width, height).await;
        driver.color_scheme(scheme).await;
        driver
            .wait_for(
                "the emulated scheme",
                &format!("return matchMedia('(prefers-color-scheme: {scheme})').matches"),
            )
            .await;
        let surfaces = driver.js(SURFACES).await;
        for surface in surfaces.as_array().unwrap() {
            let name = &surface[0];
            let background = surface[1]
                .as_f64()
                .unwrap_or_else(|| panic!("{name} not found: {surfaces}"));
            let contrast = surface[2].as_f64().unwrap();
            // The badge and the buttons are accent-coloured in both schemes.
            if !["badge", "send", "jump"].contains(&name.as_str().unwrap()) {
                if scheme == "dark" {
                    assert!(
                        background < 0.1,
                        "{width} {scheme}: {name} is not dark: {surfaces}"
                    );
                } else {
                    assert!(
                        background > 0.7,
                        "{width} {scheme}: {name} is not light: {surfaces}"
                    );
                }
            }
            // WCAG AA for text (4.5:1).
            assert!(
                contrast >= 4.5,
                "{width} {scheme}: {name} is hard to read: {surfaces}"
            );
        }
    }

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// An image, clicked (or Enter on it), opens full size in a lightbox; Esc closes it and the
/// focus returns to the image.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_opens_in_a_lightbox_in_a_real_browser() {
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    server.group(GROUP, &[ALICE]).await;
    let Some((driver, _profile)) = signed_in(&server, &alice, (1280, 800)).await else {
        return;
    };
    open_chat(&driver, &format!("group:{GROUP}")).await;
    let png = driver
        .js(
            "const c = document.createElement('canvas'); c.width = 1600; c.height = 900; \
             const g = c.getContext('2d'); g.fillStyle = '#2e8b57'; g.fillRect(0, 0, 1600, 900); \
             return c.toDataURL('image/png').split(',')[1]",
        )
        .await;
    let files = tempfile::tempdir().unwrap();
    let wide = files.path().join("wide.png");
    std::fs::write(&wide, base64(png.as_str().unwrap())).unwrap();
    driver
        .type_into("#composer-file", wide.to_str().unwrap())
        .await;
    driver
        .wait_for(
            "the sent image, loaded",
            "const img = document.querySelector('#message-list .msg:last-child img.msg-image'); \
             return img?.complete && img.naturalWidth === 1600",
        )
        .await;

    let opened = "const d = document.getElementById('lightbox'); \
                  const img = d?.querySelector('img'); \
                  if (!d?.open || !img.complete || img.naturalWidth !== 1600) return null; \
                  const r = img.getBoundingClientRect(); \
                  return {src: img.src === document.querySelector('#message-list img.msg-image').src, \
                          width: Math.round(r.width), ratio: Math.round(r.width / r.height * 100) / 100, \
                          fits: r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight, \
                          large: r.width >= innerWidth * 0.9 || r.height >= innerHeight * 0.9}";
    let closed = "return !document.getElementById('lightbox').open \
                  && document.activeElement === document.querySelector('#message-list .msg:last-child .msg-image-open')";
    driver
        .click("#message-list .msg:last-child img.msg-image")
        .await;
    let view = driver.wait_for("the lightbox", opened).await;
    assert_eq!(view["src"], true, "{view}");
    assert_eq!(view["ratio"], 1.78, "{view}");
    assert_eq!(view["fits"], true, "{view}");
    assert_eq!(view["large"], true, "{view}");
    driver.press(ESCAPE).await;
    driver.wait_for("the lightbox closed by Esc", closed).await;

    // From the keyboard: Enter on the focused image opens it; Esc closes it again.
    driver.press(ENTER).await;
    driver
        .wait_for("the lightbox from the keyboard", opened)
        .await;
    driver.press(ESCAPE).await;
    driver.wait_for("the lightbox closed again", closed).await;

    // At phone width it fills the screen's width, in proportion.
    driver.resize(390, 844).await;
    driver
        .click("#message-list .msg:last-child img.msg-image")
        .await;
    let view = driver.wait_for("the lightbox on a phone", opened).await;
    assert_eq!(view["ratio"], 1.78, "{view}");
    assert_eq!(view["fits"], true, "{view}");
    assert_eq!(view["large"], true, "{view}");
    driver.press(ESCAPE).await;
    driver
        .wait_for("the lightbox closed on a phone", closed)
        .await;

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// Keyboard shortcuts: Alt+↓ / Alt+↑ open the next and the previous chat of the list; Esc
/// cancels a reply being written, and at phone width goes back to the chat list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyboard_shortcuts_in_a_real_browser() {
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    server.group(GROUP, &[ALICE]).await;
    server.group(GROUP2, &[ALICE]).await;
    let bot_token = server.bot(BOT).await;
    server.join(BOT, GROUP).await;
    server.join(BOT, GROUP2).await;
    // GROUP2 gets the newest message: it is first in the list, GROUP second.
    for group in [GROUP, GROUP2] {
        let reply = server
            .post(
                "/bot/send",
                &bot_token,
                crate::common::text("group", group, &format!("hello {group}")),
            )
            .await;
        assert_eq!(reply["code"], 1, "{reply}");
    }
    let Some((driver, _profile)) = signed_in(&server, &alice, (1280, 800)).await else {
        return;
    };
    let order = driver
        .js("return [...document.querySelectorAll('.chat-item')].map(c => c.dataset.chatKey)")
        .await;
    assert_eq!(
        order,
        json!([format!("group:{GROUP2}"), format!("group:{GROUP}")])
    );
    let open_is = |key: String| {
        format!(
            "return document.querySelector('.chat-item.active')?.dataset.chatKey === '{key}' \
             && document.getElementById('chat-title').textContent === 'group {}' \
             && !!document.querySelector('#message-list .msg')",
            key.trim_start_matches("group:")
        )
    };
    let first = format!("group:{GROUP2}");
    let second = format!("group:{GROUP}");
    // With no chat open, Alt+↓ opens the first; again, the second; Alt+↑ goes back up. The
    // focus is in the composer of the chat opened, and the shortcuts work from there.
    driver.js("document.activeElement.blur(); return 1").await;
    driver.chord(&[ALT, ARROW_DOWN]).await;
    driver
        .wait_for("the first chat", &open_is(first.clone()))
        .await;
    driver.chord(&[ALT, ARROW_DOWN]).await;
    driver
        .wait_for("the second chat", &open_is(second.clone()))
        .await;
    assert_eq!(
        driver.js("return document.activeElement.id").await,
        "composer-text"
    );
    driver.chord(&[ALT, ARROW_DOWN]).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    driver
        .wait_for("still the second chat, the last", &open_is(second.clone()))
        .await;
    driver.chord(&[ALT, ARROW_UP]).await;
    driver
        .wait_for("the first chat again", &open_is(first.clone()))
        .await;

    // Esc cancels a reply.
    driver.click("#message-list .msg .msg-reply").await;
    driver
        .wait_for(
            "the reply bar",
            "return !document.getElementById('composer-reply').hidden",
        )
        .await;
    driver.press(ESCAPE).await;
    driver
        .wait_for(
            "the reply cancelled",
            "return document.getElementById('composer-reply').hidden",
        )
        .await;

    // At phone width Esc goes back from the chat to the list.
    driver.resize(390, 844).await;
    driver
        .wait_for(
            "the phone layout",
            "return getComputedStyle(document.getElementById('sidebar')).display === 'none'",
        )
        .await;
    driver.press(ESCAPE).await;
    driver
        .wait_for(
            "the chat list on a phone",
            "return getComputedStyle(document.getElementById('sidebar')).display !== 'none' \
             && !document.querySelector('.chat-item.active')",
        )
        .await;

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// Desktop notifications: the bell asks for permission; once it is given, a message the reader
/// has not seen while the page is in the background shows as a notification (sender and
/// text), and clicking it opens its chat. The browser's Notification is replaced by a recorder:
/// headless Chromium shows none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desktop_notifications_in_a_real_browser() {
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    let bob = server.user(BOB, "Bob").await;
    server.group(GROUP, &[ALICE, BOB]).await;
    server.group(GROUP2, &[ALICE, BOB]).await;
    let Some((driver, _profile)) = signed_in(&server, &alice, (1280, 800)).await else {
        return;
    };
    // The recorder, in place before the page's own scripts run (then the page is loaded
    // again; the session keeps Alice signed in): permission "default" until asked.
    driver
        .call(
            "POST",
            &driver.s("/goog/cdp/execute"),
            Some(json!({"cmd": "Page.addScriptToEvaluateOnNewDocument", "params": {"source":
                "window.__shown = []; \
                 window.Notification = class { \
                   static permission = 'default'; \
                   static async requestPermission() { Notification.permission = 'granted'; return 'granted'; } \
                   constructor(title, options) { this.title = title; this.options = options; window.__shown.push(this); } \
                   close() {} };"}})),
        )
        .await;
    driver.goto(&server.url("/")).await;
    driver
        .wait_for(
            "the chat list again",
            "return document.querySelectorAll('.chat-item').length === 2 && window.__shown?.length === 0",
        )
        .await;
    open_chat(&driver, &format!("group:{GROUP}")).await;
    driver
        .wait_for(
            "the bell",
            "const b = document.getElementById('notify'); return b && !b.hidden",
        )
        .await;
    driver.click("#notify").await;
    driver
        .wait_for(
            "the bell gone once allowed",
            "return document.getElementById('notify').hidden",
        )
        .await;

    let post = |group: &'static str, text: &'static str| {
        let server = &server;
        let bob = &bob;
        async move {
            let (status, body) = server
                .user_api(
                    Method::POST,
                    bob,
                    &format!("/chats/group/{group}/messages"),
                    Some(json!({"contentType": "text", "content": {"text": text}})),
                )
                .await;
            assert_eq!(status, 201, "{body}");
        }
    };
    // In the foreground, a message is seen in the open chat or counted in the list: no
    // notification.
    post(GROUP, "you see this one").await;
    post(GROUP2, "and this one is badged").await;
    driver
        .wait_for(
            "both messages shown",
            &format!(
                "return document.querySelector(\"[data-chat-key='group:{GROUP2}'] .unread\")?.textContent === '1' \
                 && document.querySelector('#message-list .msg:last-child')?.textContent.includes('you see this one')"
            ),
        )
        .await;
    assert_eq!(driver.js("return window.__shown.length").await, 0);

    // In the background (another window has the focus), a message is notified.
    driver.js("document.hasFocus = () => false; return 1").await;
    post(GROUP2, "deploy done").await;
    let shown = driver
        .wait_for(
            "the notification",
            "const n = window.__shown[0]; return n && {title: n.title, body: n.options.body, count: window.__shown.length}",
        )
        .await;
    assert_eq!(
        shown,
        json!({"title": format!("group {GROUP2}"), "body": "Bob: deploy done", "count": 1})
    );
    // Clicking it opens that chat.
    driver.js("window.__shown[0].onclick(); return 1").await;
    driver
        .wait_for(
            "the notified chat open",
            &format!(
                "return document.querySelector('.chat-item.active')?.dataset.chatKey === 'group:{GROUP2}' \
                 && document.querySelector('#message-list .msg:last-child')?.textContent.includes('deploy done')"
            ),
        )
        .await;

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// A group's info: its people with their roles, its bots with their commands; leaving the
/// group asks first (Cancel keeps it), then closes the chat and drops it from the list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_info_shows_roles_and_bot_commands_and_leaves_in_a_real_browser() {
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    server.user(BOB, "Bob").await;
    server.group(GROUP, &[ALICE, BOB]).await;
    let (status, body) = server
        .admin(
            Method::PUT,
            &format!("/groups/{GROUP}/members/{BOB}"),
            Some(json!({"role": "administrator"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    server.bot(BOT).await;
    server.join(BOT, GROUP).await;
    for command in [
        json!({"name": "weather", "kind": "normal", "presetText": "天气"}),
        json!({"name": "help", "kind": "direct"}),
    ] {
        let (status, body) = server
            .admin(
                Method::POST,
                &format!("/bots/{BOT}/commands"),
                Some(command),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let Some((driver, _profile)) = signed_in(&server, &alice, (390, 844)).await else {
        return;
    };
    open_chat(&driver, &format!("group:{GROUP}")).await;
    driver.click("#chat-info").await;
    let shown = driver
        .wait_for(
            "the group's members",
            "const d = document.getElementById('group-info'); \
             if (!d.open || !d.querySelector('.member-list.bots li')) return null; \
             const box = d.getBoundingClientRect(); \
             return {people: [...d.querySelectorAll('.people > li')].map((li) => li.textContent).sort(), \
                     bots: [...d.querySelectorAll('.bots > li > .member-name')].map((e) => e.textContent), \
                     commands: [...d.querySelectorAll('.command-list li')].map((li) => li.textContent), \
                     fits: box.left >= 0 && box.right <= innerWidth}",
        )
        .await;
    assert_eq!(
        shown,
        json!({"people": [format!("Alice {ALICE}"), format!("Bob {BOB}adminMessage")],
               "bots": [format!("bot {BOT}")],
               "commands": ["/weather starts with \"天气\"", "/help sends at once"],
               "fits": true})
    );
    // Leave: asked first; Cancel keeps the membership.
    driver.click("#group-info .leave-row button.danger").await;
    driver.click("#group-info .leave-row button.link").await;
    let (status, _) = server
        .user_api(
            Method::GET,
            &alice,
            &format!("/groups/{GROUP}/members"),
            None,
        )
        .await;
    assert_eq!(status, 200, "still a member after Cancel");
    driver.click("#group-info .leave-row button.danger").await;
    driver.click("#group-info .leave-row button.danger").await;
    driver
        .wait_for(
            "the chat gone from the list",
            &format!(
                "return !document.getElementById('group-info').open \
                 && !document.querySelector('[data-chat-key=\"group:{GROUP}\"]') \
                 && document.getElementById('chat-info').hidden"
            ),
        )
        .await;
    let (status, _) = server
        .user_api(
            Method::GET,
            &alice,
            &format!("/groups/{GROUP}/members"),
            None,
        )
        .await;
    assert_eq!(status, 404, "not a member any more");

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// `/` at the start of the composer offers the chat's bots' commands: a direct one is sent at
/// once, a normal one waits for the user's input; the bot gets each as a command.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slash_picks_a_bots_command_in_a_real_browser() {
    slash_picks((1280, 800)).await;
    slash_picks((390, 844)).await;
}

async fn slash_picks(size: (u32, u32)) {
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    server.group(GROUP, &[ALICE]).await;
    server.bot(BOT).await;
    server.join(BOT, GROUP).await;
    for command in [
        json!({"name": "weather", "kind": "normal", "presetText": "天气"}),
        json!({"name": "help", "kind": "direct"}),
    ] {
        let (status, body) = server
            .admin(
                Method::POST,
                &format!("/bots/{BOT}/commands"),
                Some(command),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let Some((driver, _profile)) = signed_in(&server, &alice, size).await else {
        return;
    };
    open_chat(&driver, &format!("group:{GROUP}")).await;
    let options = "const l = document.getElementById('mention-list'); \
                   return l.hidden ? null : [...l.querySelectorAll('li strong')].map((e) => e.textContent)";
    driver.type_into("#composer-text", "/").await;
    let all = driver.wait_for("the command list", options).await;
    assert_eq!(all, json!(["/weather", "/help"]));
    // Narrowed by what is typed; Enter picks: a direct command goes at once.
    driver.type_into("#composer-text", "he").await;
    assert_eq!(
        driver.wait_for("one command", options).await,
        json!(["/help"])
    );
    driver.press(ENTER).await;
    driver
        .wait_for(
            "/help sent",
            "return document.querySelector('#message-list .msg:last-child .msg-body')?.textContent === '/help' \
                    && document.getElementById('composer-text').value === ''",
        )
        .await;
    // A normal command is put in the box; the user adds to it.
    driver.type_into("#composer-text", "/we").await;
    assert_eq!(
        driver.wait_for("one command", options).await,
        json!(["/weather"])
    );
    driver.press(ENTER).await;
    assert_eq!(
        driver
            .js("return document.getElementById('composer-text').value")
            .await,
        "/weather "
    );
    driver.type_into("#composer-text", "北京").await;
    driver.press(ENTER).await;
    let bot = server.outbox(BOT);
    let commands = |events: &Vec<Value>| {
        events
            .iter()
            .filter(|e| e["header"]["eventType"] == "message.receive.instruction")
            .map(|e| {
                let m = &e["event"]["message"];
                json!([m["commandName"], m["content"]["text"]])
            })
            .collect::<Vec<_>>()
    };
    let mut got = commands(&bot);
    for _ in 0..50 {
        if got.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        got = commands(&server.outbox(BOT));
    }
    assert_eq!(
        got,
        vec![json!(["help", "/help"]), json!(["weather", "天气 北京"])]
    );

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// Unread mentions are badged apart from the unread count ("@1" beside "2"), counted live as
/// they arrive, and gone once the chat is read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mentions_are_badged_apart_from_unread_in_a_real_browser() {
    mentions_badged((1280, 800)).await;
    mentions_badged((390, 844)).await;
}

async fn mentions_badged(size: (u32, u32)) {
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    server.group(GROUP, &[ALICE]).await;
    let bot_token = server.bot(BOT).await;
    server.join(BOT, GROUP).await;
    let send = async |text: &str, at: Value| {
        let reply = server
            .post(
                "/bot/send",
                &bot_token,
                json!({"recvId": GROUP, "recvType": "group", "contentType": "text",
                       "content": {"text": text, "at": at}}),
            )
            .await;
        assert_eq!(reply["code"], 1, "{reply}");
    };
    send("@Alice\u{200b} can you look", json!([ALICE])).await;
    send("just news", json!([])).await;
    let Some((driver, _profile)) = signed_in(&server, &alice, size).await else {
        return;
    };
    let badges = format!(
        "const item = document.querySelector('[data-chat-key=\"group:{GROUP}\"]'); \
         return item && [item.querySelector('.mentions')?.textContent ?? null, \
                         item.querySelector('.unread')?.textContent ?? null];"
    );
    driver
        .wait_for(
            "one mention of two unread",
            &format!(
                "const b = (() => {{ {badges} }})(); return b && b[0] === '@1' && b[1] === '2'"
            ),
        )
        .await;
    // A live one to everyone counts too.
    send("@all\u{200b} release at five", json!(["all"])).await;
    driver
        .wait_for(
            "two mentions of three unread",
            &format!(
                "const b = (() => {{ {badges} }})(); return b && b[0] === '@2' && b[1] === '3'"
            ),
        )
        .await;
    open_chat(&driver, &format!("group:{GROUP}")).await;
    driver
        .wait_for(
            "no badges once read",
            &format!(
                "const b = (() => {{ {badges} }})(); return b && b[0] === null && b[1] === null"
            ),
        )
        .await;
    // The read reaches the server (half a second later, batched): its counts end too.
    wait_unread(&server, &alice, GROUP, 0).await;
    let (_, body) = server.user_api(Method::GET, &alice, "/chats", None).await;
    assert_eq!(body["chats"][0]["mentions"], 0, "{body}");

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// Markdown looks like a chat message, not a web page: headings sized for a bubble, lists
/// indented a little, code set apart (blocks and inline) in a monospace font, bare links and
/// e-mail addresses live.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markdown_sized_for_a_bubble_in_a_real_browser() {
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    server.group(GROUP, &[ALICE]).await;
    let bot_token = server.bot(BOT).await;
    server.join(BOT, GROUP).await;
    let reply = server
        .post(
            "/bot/send",
            &bot_token,
            json!({"recvId": GROUP, "recvType": "group", "contentType": "markdown",
                   "content": {"text": "# Release 1.2\n\n## Changes\n\n- faster start\n- smaller binary\n\n\
                                        ```\ncargo build --release\n```\n\nThen run `cargo test`.\n\n\
                                        Notes at https://example.com/notes_1_2, questions to ops@example.com."}}),
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    let Some((driver, _profile)) = signed_in(&server, &alice, (1280, 800)).await else {
        return;
    };
    open_chat(&driver, &format!("group:{GROUP}")).await;
    let looks = driver
        .js(
            "const body = document.querySelector('#message-list .msg-body'); \
             const px = (el, p) => parseFloat(getComputedStyle(el)[p]); \
             const base = px(body, 'fontSize'); \
             const q = (css) => body.querySelector(css); \
             const bg = (el) => getComputedStyle(el).backgroundColor; \
             const bubble = bg(body.closest('.msg')); \
             return { \
               h1: Math.round(px(q('h1'), 'fontSize') / base * 100) / 100 <= 1.3, \
               h2: Math.round(px(q('h2'), 'fontSize') / base * 100) / 100 <= 1.2, \
               h2Margin: px(q('h2'), 'marginTop') <= base * 0.75, \
               list: px(q('ul'), 'paddingLeft') <= base * 1.5 && getComputedStyle(q('ul')).listStyleType === 'disc', \
               block: getComputedStyle(q('pre')).fontFamily.includes('monospace') && bg(q('pre')) !== bubble, \
               inline: getComputedStyle(q('p code')).fontFamily.includes('monospace') \
                       && bg(q('p code')) !== 'rgba(0, 0, 0, 0)' }",
        )
        .await;
    assert_eq!(
        looks,
        json!({"h1": true, "h2": true, "h2Margin": true, "list": true, "block": true, "inline": true})
    );
    // Bare links and addresses in markdown are live, and open in a new tab.
    let links = driver
        .js(
            "return [...document.querySelectorAll('#message-list .msg-body a')] \
               .map((a) => [a.getAttribute('href'), a.textContent, a.target]);",
        )
        .await;
    assert_eq!(
        links,
        json!([
            [
                "https://example.com/notes_1_2",
                "https://example.com/notes_1_2",
                "_blank"
            ],
            ["mailto:ops@example.com", "ops@example.com", "_blank"]
        ])
    );

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// A webhook receiver on 127.0.0.1: every JSON body POSTed to it is kept, in order.
async fn webhook_receiver() -> (String, std::sync::Arc<std::sync::Mutex<Vec<Value>>>) {
    use axum::routing::post;
    let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Value>::new()));
    let store = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |body: axum::body::Bytes| {
            let store = store.clone();
            async move {
                if let Ok(event) = serde_json::from_slice::<Value>(&body) {
                    store.lock().unwrap().push(event);
                }
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, received)
}

/// Sends `text` into `group` as the token's user through the API; returns the message's ID.
async fn user_send(server: &TestServer, token: &str, group: &str, text: &str) -> String {
    let (status, body) = server
        .user_api(
            Method::POST,
            token,
            &format!("/chats/group/{group}/messages"),
            Some(json!({"contentType": "text", "content": {"text": text}})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["msgId"].as_str().unwrap().to_owned()
}

/// A message as `token`'s user reads it in `group`'s history.
async fn user_history_message(server: &TestServer, token: &str, group: &str, id: &str) -> Value {
    let (status, body) = server
        .user_api(
            Method::GET,
            token,
            &format!("/chats/group/{group}/messages"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["msgId"] == id)
        .cloned()
        .unwrap()
}

/// Reads live frames until one of `kind` comes.
async fn live_frame_of(ws: &mut crate::common::Ws, kind: &str) -> Value {
    loop {
        let frame = crate::common::next_frame(ws)
            .await
            .unwrap_or_else(|| panic!("no {kind} frame"));
        if frame["type"] == kind {
            return frame;
        }
    }
}

#[tokio::test]
async fn editing_deleting_and_linking_messages_in_a_real_browser() {
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    let bob = server.user(BOB, "Bob").await;
    server.group(GROUP, &[ALICE, BOB]).await;
    server.group(GROUP2, &[ALICE, BOB]).await;
    let bobs = user_send(&server, &bob, GROUP, "Bob's own words").await;
    let elsewhere = user_send(&server, &bob, GROUP2, "in the other group").await;
    let mine = user_send(&server, &alice, GROUP, "first draft").await;
    let Some((driver, _profile)) = signed_in(&server, &alice, (1280, 800)).await else {
        return;
    };
    let (mut bob_ws, _) = server.live(&bob, None).await;
    open_chat(&driver, &format!("group:{GROUP}")).await;
    let li = |id: &str| format!("#message-list .msg[data-msg-id='{id}']");

    // Edit and Delete on one's own messages only; Copy link on every message.
    let actions = driver
        .js(&format!(
            "const a = (id) => [...document.querySelectorAll(`#message-list .msg[data-msg-id='${{id}}'] .msg-action`)].map(b => b.textContent); \
             return {{mine: a('{mine}'), bobs: a('{bobs}')}}"
        ))
        .await;
    assert_eq!(
        actions["mine"],
        json!(["Copy link", "Edit", "Delete"]),
        "{actions}"
    );
    assert_eq!(actions["bobs"], json!(["Copy link"]), "{actions}");

    // Edit in place: Esc leaves it as it was.
    driver.click(&format!("{} .msg-edit", li(&mine))).await;
    let editor = format!("{} .msg-editor-text", li(&mine));
    driver
        .wait_for(
            "the editor, focused, with the text",
            &format!(
                "const t = document.querySelector(\"{editor}\"); \
                 return t && document.activeElement === t && t.value === 'first draft'"
            ),
        )
        .await;
    driver.press(ESCAPE).await;
    driver
        .wait_for(
            "the editor closed by Esc",
            &format!(
                "return !document.querySelector(\"{editor}\") && \
                 document.querySelector(\"{} .msg-body\").textContent === 'first draft' \
                 && !document.querySelector(\"{} .msg-body\").hidden",
                li(&mine),
                li(&mine)
            ),
        )
        .await;
    assert!(
        user_history_message(&server, &alice, GROUP, &mine).await["editTime"].is_null(),
        "Esc saved"
    );

    // Enter saves: the message changes here, in history, and live for Bob.
    driver.click(&format!("{} .msg-edit", li(&mine))).await;
    driver
        .wait_for(
            "the editor again",
            &format!("return !!document.querySelector(\"{editor}\")"),
        )
        .await;
    driver
        .js(&format!(
            "document.querySelector(\"{editor}\").value = ''; return true"
        ))
        .await;
    driver.type_into(&editor, "second draft").await;
    driver.press(ENTER).await;
    driver
        .wait_for(
            "the edited message",
            &format!(
                "const m = document.querySelector(\"{}\"); \
                 return m && !m.querySelector('.msg-editor') \
                 && m.querySelector('.msg-body').textContent === 'second draft' \
                 && !!m.querySelector('.edited')",
                li(&mine)
            ),
        )
        .await;
    let stored = user_history_message(&server, &alice, GROUP, &mine).await;
    assert_eq!(stored["content"]["text"], "second draft", "{stored}");
    assert!(stored["editTime"].as_i64().is_some(), "{stored}");
    let frame = live_frame_of(&mut bob_ws, "message.edited").await;
    assert_eq!(frame["message"]["msgId"], mine.as_str());
    assert_eq!(frame["message"]["content"]["text"], "second draft");

    // ↑ in the empty composer edits one's last message.
    driver.click("#composer-text").await;
    driver.press(ARROW_UP).await;
    driver
        .wait_for(
            "the editor from ↑",
            &format!(
                "const t = document.querySelector(\"{editor}\"); \
                 return t && document.activeElement === t && t.value === 'second draft'"
            ),
        )
        .await;
    driver.press(ESCAPE).await;
    driver
        .wait_for(
            "the editor closed",
            &format!("return !document.querySelector(\"{editor}\")"),
        )
        .await;

    // Delete asks first; Cancel keeps the message.
    driver.click(&format!("{} .msg-delete", li(&mine))).await;
    driver
        .wait_for(
            "the confirmation",
            &format!(
                "return !!document.querySelector(\"{} .msg-confirm\")",
                li(&mine)
            ),
        )
        .await;
    driver
        .click(&format!("{} .msg-confirm-cancel", li(&mine)))
        .await;
    driver
        .wait_for(
            "the confirmation gone",
            &format!(
                "return !document.querySelector(\"{} .msg-confirm\")",
                li(&mine)
            ),
        )
        .await;
    assert_eq!(
        user_history_message(&server, &alice, GROUP, &mine).await["recalled"],
        false
    );
    driver.click(&format!("{} .msg-delete", li(&mine))).await;
    driver
        .click(&format!("{} .msg-confirm-delete", li(&mine)))
        .await;
    driver
        .wait_for(
            "the message recalled",
            &format!(
                "const m = document.querySelector(\"{}\"); \
                 return m && !!m.querySelector('.msg-body.recalled') && !m.querySelector('.msg-edit')",
                li(&mine)
            ),
        )
        .await;
    assert_eq!(
        user_history_message(&server, &alice, GROUP, &mine).await["recalled"],
        true
    );
    let frame = live_frame_of(&mut bob_ws, "message.recalled").await;
    assert_eq!(frame["message"]["msgId"], mine.as_str());

    // Copy link gives the address of the message in its chat, and says whether it copied.
    driver.click(&format!("{} .msg-copy-link", li(&bobs))).await;
    let copied = driver
        .wait_for(
            "the copied link",
            &format!(
                "const b = document.querySelector(\"{} .msg-copy-link\"); \
                 return b.dataset.link && ['Link copied', 'Could not copy'].includes(b.textContent) \
                 && {{link: b.dataset.link, said: b.textContent}}",
                li(&bobs)
            ),
        )
        .await;
    let link = copied["link"].as_str().unwrap().to_owned();
    assert_eq!(
        link,
        server.url(&format!("/#/chat/group/{GROUP}/{bobs}")),
        "{copied}"
    );

    // Following the link (a fresh page load) opens the chat at the message, marked.
    driver.goto(&server.url("/")).await;
    driver
        .wait_for(
            "the chat list after reload",
            "return document.querySelectorAll('.chat-item').length > 0",
        )
        .await;
    driver.goto(&link).await;
    driver
        .wait_for(
            "the linked message, shown and marked",
            &format!(
                "return document.querySelector('.chat-item.active')?.dataset.chatKey === 'group:{GROUP}' \
                 && !!document.querySelector(\"{}.highlight\") && location.hash === ''",
                li(&bobs)
            ),
        )
        .await;

    // And within the page (a hash change), another chat's message.
    driver
        .js(&format!(
            "location.hash = '#/chat/group/{GROUP2}/{elsewhere}'; return true"
        ))
        .await;
    driver
        .wait_for(
            "the other chat's message, shown and marked",
            &format!(
                "return document.querySelector('.chat-item.active')?.dataset.chatKey === 'group:{GROUP2}' \
                 && !!document.querySelector(\"{}.highlight\")",
                li(&elsewhere)
            ),
        )
        .await;

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// A browser signed in to the admin console, its users table shown.
async fn admin_console(server: &TestServer) -> Option<(Driver, tempfile::TempDir)> {
    let (chromium, chromedriver) = browser_binaries()?;
    let profile = tempfile::tempdir().unwrap();
    let driver = Driver::start(&chromedriver, &chromium, profile.path()).await;
    driver.goto(&server.url("/admin")).await;
    driver
        .wait_for(
            "the admin sign-in",
            "return !document.getElementById('signin').hidden",
        )
        .await;
    driver.type_into("#signin-token", ADMIN_TOKEN).await;
    driver.click("#signin-form button[type=submit]").await;
    driver
        .wait_for(
            "the users table",
            "return !!document.querySelector('#view table tbody tr')",
        )
        .await;
    Some((driver, profile))
}

/// Clicks the button labelled `label` in the row of the view's table whose first cell is `id`.
async fn click_row_button(driver: &Driver, id: &str, label: &str) {
    let clicked = driver
        .js(&format!(
            "const row = [...document.querySelectorAll('#view table tbody tr')] \
               .find(r => r.cells[0].textContent === '{id}'); \
             const b = row && [...row.querySelectorAll('td.actions button')] \
               .find(b => b.textContent === '{label}'); \
             b?.click(); return !!b"
        ))
        .await;
    assert_eq!(clicked, true, "no {label:?} button in the row of {id}");
}

/// Whether a user token is accepted by the user API.
async fn user_token_works(server: &TestServer, token: &str) -> bool {
    let (status, _) = server.user_api(Method::GET, token, "/chats", None).await;
    status == 200
}

/// Whether a bot token is accepted by the bot API (it sends its follower a message).
async fn bot_token_works(server: &TestServer, token: &str) -> bool {
    let reply = server
        .post(
            "/bot/batch_send",
            token,
            json!({"recvIds": [ALICE], "recvType": "user", "contentType": "text",
                   "content": {"text": "token check"}}),
        )
        .await;
    reply["code"] == 1
}

/// Rotating a user's or a bot's token asks first, in the page: Cancel leaves the old token
/// working; confirming rotates it and shows the new one, once. At desktop width in the light
/// scheme, and at phone width in the dark one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotating_a_token_asks_first_in_a_real_browser() {
    rotating_asks_first((1280, 800), "light").await;
    rotating_asks_first((390, 844), "dark").await;
}

async fn rotating_asks_first((width, height): (u32, u32), scheme: &str) {
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    let bot = server.bot(BOT).await;
    server.follow(BOT, ALICE).await;
    assert!(user_token_works(&server, &alice).await);
    assert!(bot_token_works(&server, &bot).await);
    let Some((driver, _profile)) = admin_console(&server).await else {
        return;
    };
    driver.resize(width, height).await;
    driver.color_scheme(scheme).await;

    for (tab, id, old) in [("#tab-users", ALICE, &alice), ("#tab-bots", BOT, &bot)] {
        driver.click(tab).await;
        driver
            .wait_for(
                "the table",
                &format!(
                    "return [...document.querySelectorAll('#view table tbody tr')] \
                       .some(r => r.cells[0].textContent === '{id}')"
                ),
            )
            .await;
        // Cancel: the question goes away and nothing is rotated.
        click_row_button(&driver, id, "Rotate token").await;
        let question = driver
            .wait_for(
                "the confirmation",
                "return document.querySelector('#notice .confirm')?.textContent",
            )
            .await;
        assert!(
            question.as_str().unwrap().contains(id),
            "the question names what it rotates: {question}"
        );
        // In the page's own colours (the theme's text on the theme's field), and in view.
        let look = driver
            .js("const d = document.querySelector('#notice .confirm'); const r = d.getBoundingClientRect(); \
                 return [getComputedStyle(d).color === getComputedStyle(document.body).color, \
                         r.left >= 0 && r.right <= document.documentElement.clientWidth && r.top >= 0 && r.bottom <= innerHeight]")
            .await;
        assert_eq!(look, json!([true, true]), "{scheme} at {width}px");
        driver.click("#notice .confirm .confirm-no").await;
        driver
            .wait_for(
                "the confirmation gone",
                "return !document.querySelector('#notice .confirm')",
            )
            .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let works = if id == ALICE {
            user_token_works(&server, old).await
        } else {
            bot_token_works(&server, old).await
        };
        assert!(works, "{id}: Cancel must leave the old token working");
        assert_eq!(
            driver
                .js("return document.querySelectorAll('#notice code').length")
                .await,
            0
        );

        // Confirm: a new token, shown once; the old one stops working, the new one works.
        click_row_button(&driver, id, "Rotate token").await;
        driver
            .wait_for(
                "the confirmation",
                "return !!document.querySelector('#notice .confirm')",
            )
            .await;
        driver.click("#notice .confirm .confirm-yes").await;
        let shown = driver
            .wait_for(
                "the new token",
                "const c = document.querySelectorAll('#notice .notice.ok code'); \
                 return c.length === 1 && document.querySelectorAll('#notice code').length === 1 \
                   && c[0].textContent",
            )
            .await;
        let new = shown.as_str().unwrap();
        assert_ne!(new, old.as_str());
        let (old_works, new_works) = if id == ALICE {
            (
                user_token_works(&server, old).await,
                user_token_works(&server, new).await,
            )
        } else {
            (
                bot_token_works(&server, old).await,
                bot_token_works(&server, new).await,
            )
        };
        assert!(!old_works, "{id}: the old token still works");
        assert!(new_works, "{id}: the shown token does not work");
    }

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// A bot's page in the admin console chooses which events go to the bot (none ticked: all),
/// shows its signing secret on request, and rotates it after asking (Cancel keeps it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_types_and_the_signing_secret_in_the_admin_console_in_a_real_browser() {
    let server = TestServer::start().await;
    // The console opens on the users table, which must have a row.
    server.user(ALICE, "Alice").await;
    server.bot(BOT).await;
    let Some((driver, _profile)) = admin_console(&server).await else {
        return;
    };
    open_bot(&driver, BOT).await;
    let subscription = async || {
        let (status, body) = server
            .admin(Method::GET, &format!("/bots/{BOT}/webhook"), None)
            .await;
        assert_eq!(status, 200, "{body}");
        body["eventTypes"].clone()
    };
    assert_eq!(subscription().await, Value::Null);
    driver
        .click("#event-types-form input[value='bot.followed']")
        .await;
    driver
        .click("#event-types-form input[value='button.report.inline']")
        .await;
    // Marked, to tell the form the page draws again after the save from this one (whose
    // boxes are ticked by the clicks above already).
    driver
        .js("document.getElementById('event-types-form').dataset.before = 'save'")
        .await;
    driver.click("#event-types-form button[type=submit]").await;
    driver
        .wait_for(
            "the saved types",
            "return document.querySelector('#notice .notice.ok')?.textContent.startsWith('Only these events')",
        )
        .await;
    assert_eq!(
        subscription().await,
        json!(["bot.followed", "button.report.inline"])
    );
    // The page, drawn again, shows them ticked; unticking both means every type.
    driver
        .wait_for(
            "the ticked boxes",
            "const form = document.getElementById('event-types-form'); \
             return form && !form.dataset.before \
                    && [...form.querySelectorAll('input:checked')].map((b) => b.value).join() \
                       === 'bot.followed,button.report.inline'",
        )
        .await;
    driver
        .click("#event-types-form input[value='bot.followed']")
        .await;
    driver
        .click("#event-types-form input[value='button.report.inline']")
        .await;
    driver.click("#event-types-form button[type=submit]").await;
    driver
        .wait_for(
            "every type",
            "return document.querySelector('#notice .notice.ok')?.textContent === 'Every event now goes to the bot.'",
        )
        .await;
    assert_eq!(subscription().await, Value::Null);

    // The secret: shown on request, as the API has it.
    let secret = async || {
        let (_, body) = server
            .admin(Method::GET, &format!("/bots/{BOT}/secret"), None)
            .await;
        body["secret"].as_str().unwrap_or("").to_owned()
    };
    let before = secret().await;
    assert!(before.starts_with("whsec_"), "{before}");
    driver.click("#secret-show").await;
    let shown = driver
        .wait_for(
            "the secret",
            "return document.querySelector('#secret-now code')?.textContent",
        )
        .await;
    assert_eq!(shown, before.as_str());
    // Rotating asks first: Cancel keeps the secret.
    driver.click("#secret-rotate").await;
    driver.click("#notice .confirm-no").await;
    assert_eq!(secret().await, before);
    driver.click("#secret-rotate").await;
    driver.click("#notice .confirm-yes").await;
    let rotated = driver
        .wait_for(
            "the new secret",
            &format!(
                "const c = document.querySelector('#secret-now code')?.textContent; \
                 return c && c !== '{before}' ? c : null"
            ),
        )
        .await;
    assert_eq!(rotated, secret().await.as_str());

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// Opens a group's page from the groups tab.
async fn open_group(driver: &Driver, group: &str) {
    driver.click("#tab-groups").await;
    // The row with its button: the page left behind may have a table naming the group too.
    driver
        .wait_for(
            "the groups table",
            &format!(
                "return [...document.querySelectorAll('#view table tbody tr')] \
                   .some(r => r.cells[0].textContent === '{group}' \
                     && [...r.querySelectorAll('button')].some(b => b.textContent === 'Members & bots'))"
            ),
        )
        .await;
    click_row_button(driver, group, "Members & bots").await;
    driver
        .wait_for(
            "the group's page",
            &format!(
                "return document.querySelector('#group-detail h2')?.textContent.includes('({group})')"
            ),
        )
        .await;
}

/// Opens a bot's page from the bots tab.
async fn open_bot(driver: &Driver, bot: &str) {
    driver.click("#tab-bots").await;
    driver
        .wait_for(
            "the bots table",
            &format!(
                "return [...document.querySelectorAll('#view table tbody tr')] \
                   .some(r => r.cells[0].textContent === '{bot}' \
                     && [...r.querySelectorAll('button')].some(b => b.textContent === 'Details'))"
            ),
        )
        .await;
    click_row_button(driver, bot, "Details").await;
    driver
        .wait_for(
            "the bot's page",
            &format!(
                "return document.querySelector('#bot-detail h2')?.textContent.includes('({bot})')"
            ),
        )
        .await;
}

/// The webhook URL the admin API reports for `bot` (`null`: none).
async fn webhook_of(server: &TestServer, bot: &str) -> Value {
    let (status, body) = server
        .admin(Method::GET, &format!("/bots/{bot}/webhook"), None)
        .await;
    assert_eq!(status, 200, "{body}");
    body["webhookUrl"].clone()
}

/// The webhook URL is edited on the bot's page: a refused URL shows the API's reason and
/// changes nothing; a new URL is where the bot's events then go; Clear sends them back to the
/// bot WebSocket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bots_webhook_url_is_edited_in_a_real_browser() {
    let server = TestServer::start_with(|c| c.delivery.allow_private = true).await;
    let alice = server.user(ALICE, "Alice").await;
    server.bot(BOT).await;
    server.follow(BOT, ALICE).await;
    let (hook, received) = webhook_receiver().await;
    let Some((driver, _profile)) = admin_console(&server).await else {
        return;
    };
    open_bot(&driver, BOT).await;

    // A URL the server refuses: its reason is shown, and the bot keeps no webhook.
    let bad = "ftp://example.com/hook";
    driver
        .type_into("#webhook-form input[name=webhookUrl]", bad)
        .await;
    driver.click("#webhook-form button[type=submit]").await;
    let shown = driver
        .wait_for(
            "the refusal",
            "return document.querySelector('#notice .notice.bad')?.textContent",
        )
        .await;
    assert_eq!(webhook_of(&server, BOT).await, Value::Null);
    let (status, refusal) = server
        .admin(
            Method::PUT,
            &format!("/bots/{BOT}/webhook"),
            Some(json!({"url": bad})),
        )
        .await;
    assert_eq!(status, 400, "{refusal}");
    assert_eq!(shown, refusal["error"]["message"]);

    // A good URL: the API reports it, the page shows it, and the bot's events go there.
    driver
        .js("document.querySelector('#webhook-form input[name=webhookUrl]').value = ''")
        .await;
    driver
        .type_into("#webhook-form input[name=webhookUrl]", &hook)
        .await;
    driver.click("#webhook-form button[type=submit]").await;
    driver
        .wait_for(
            "the saved URL",
            &format!(
                "return document.querySelector('#webhook-now code')?.textContent === '{hook}'"
            ),
        )
        .await;
    assert_eq!(webhook_of(&server, BOT).await, json!(hook));
    // The bots list above shows the new URL too.
    driver
        .wait_for(
            "the URL in the bots list",
            &format!(
                "return [...document.querySelectorAll('#view table tbody tr')] \
                   .some(r => r.cells[0].textContent === '{BOT}' && r.cells[2].textContent === '{hook}')"
            ),
        )
        .await;
    let (status, body) = server
        .user_api(
            Method::POST,
            &alice,
            &format!("/chats/bot/{BOT}/messages"),
            Some(json!({"contentType": "text", "content": {"text": "to the new hook"}})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = received.lock().unwrap().clone();
        if let Some(event) = got
            .iter()
            .find(|e| e["event"]["message"]["content"]["text"] == "to the new hook")
        {
            assert_eq!(event["header"]["eventType"], "message.receive.normal");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no event at the new URL: {got:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Clear: no webhook any more.
    driver.click("#webhook-clear").await;
    driver
        .wait_for(
            "the cleared URL",
            "return !document.querySelector('#webhook-now code') \
               && document.querySelector('#notice .notice.ok')?.textContent.includes('cleared')",
        )
        .await;
    assert_eq!(webhook_of(&server, BOT).await, Value::Null);

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// Picks `value` in the view's `<select name=…>` as a person would (clicking its option) and
/// returns the option's text.
async fn pick(driver: &Driver, name: &str, value: &str) -> String {
    let option = format!("#view select[name={name}] option[value='{value}']");
    let text = driver
        .js(&format!(
            "return document.querySelector(\"{option}\")?.textContent"
        ))
        .await;
    driver.click(&option).await;
    text.as_str()
        .unwrap_or_else(|| panic!("no option {value} in {name}"))
        .to_owned()
}

/// The option texts of the view's `<select name=…>`, without the empty first choice.
async fn options(driver: &Driver, name: &str) -> Vec<String> {
    let v = driver
        .js(&format!(
            "return [...document.querySelectorAll('#view select[name={name}] option')] \
               .filter(o => o.value).map(o => o.textContent)"
        ))
        .await;
    serde_json::from_value(v).unwrap()
}

/// Submits the form holding the view's `<select name=…>` with its submit button.
async fn submit_with(driver: &Driver, name: &str) {
    let done = driver
        .js(&format!(
            "const b = document.querySelector('#view select[name={name}]')?.form \
               ?.querySelector('button[type=submit]'); b?.click(); return !!b"
        ))
        .await;
    assert_eq!(done, true, "no form with a {name} picker");
}

/// No view asks for an ID typed by hand.
async fn no_typed_ids(driver: &Driver, view: &str) {
    let typed = driver
        .js("return [...document.querySelectorAll('#view input')] \
               .filter(i => ['user', 'userId', 'bot', 'group'].includes(i.name)).map(i => i.name)")
        .await;
    assert_eq!(typed, json!([]), "{view} asks for typed IDs");
}

/// Users, bots and groups are picked from lists showing "name (id)", never typed; the tables
/// show names beside IDs; what is picked is what the admin API then reports.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pickers_show_names_beside_ids_in_a_real_browser() {
    let server = TestServer::start().await;
    server.user(ALICE, "Alice").await;
    server.user(BOB, "Bob").await;
    server.bot(BOT).await;
    server.group(GROUP, &[ALICE]).await;
    let Some((driver, _profile)) = admin_console(&server).await else {
        return;
    };
    no_typed_ids(&driver, "users").await;

    // The password form picks the user.
    assert_eq!(
        options(&driver, "userId").await,
        [format!("Alice ({ALICE})"), format!("Bob ({BOB})")]
    );
    pick(&driver, "userId", BOB).await;
    driver
        .type_into("#view form input[name=password]", "bob's passphrase")
        .await;
    submit_with(&driver, "userId").await;
    driver
        .wait_for(
            "the password notice",
            &format!("return document.querySelector('#notice .notice.ok')?.textContent === 'Password set for Bob ({BOB}).'"),
        )
        .await;

    // A group's page: members are picked among those not in it yet, bots likewise.
    open_group(&driver, GROUP).await;
    driver
        .wait_for(
            "the group's page",
            "return !!document.querySelector('#group-detail select[name=user]')",
        )
        .await;
    no_typed_ids(&driver, "a group's page").await;
    assert_eq!(options(&driver, "user").await, [format!("Bob ({BOB})")]);
    pick(&driver, "user", BOB).await;
    pick(&driver, "role", "administrator").await;
    submit_with(&driver, "user").await;
    driver
        .wait_for(
            "Bob among the members",
            &format!(
                "return [...document.querySelectorAll('#group-detail table tbody tr')] \
                   .some(r => r.cells[0].textContent === '{BOB}' && r.cells[1].textContent === 'Bob')"
            ),
        )
        .await;
    assert_eq!(
        options(&driver, "bot").await,
        [format!("bot {BOT} ({BOT})")]
    );
    pick(&driver, "bot", BOT).await;
    submit_with(&driver, "bot").await;
    driver
        .wait_for(
            "the bot with its name",
            &format!(
                "return [...document.querySelectorAll('#group-detail table tbody tr')] \
                   .some(r => r.cells[0].textContent === '{BOT}' && r.cells[1].textContent === 'bot {BOT}')"
            ),
        )
        .await;
    let (_, group) = server
        .admin(Method::GET, &format!("/groups/{GROUP}"), None)
        .await;
    let bob = group["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["userId"] == BOB)
        .cloned();
    assert_eq!(bob.map(|m| m["role"].clone()), Some(json!("administrator")));
    assert_eq!(group["bots"], json!([BOT]));

    // The bot's page: its group by name, followers picked from the users.
    open_bot(&driver, BOT).await;
    no_typed_ids(&driver, "a bot's page").await;
    assert_eq!(options(&driver, "group").await, Vec::<String>::new());
    let groups = driver
        .js(
            "return [...document.querySelectorAll('#bot-detail table tbody tr')] \
               .map(r => [r.cells[0].textContent, r.cells[1].textContent])",
        )
        .await;
    assert_eq!(groups, json!([[GROUP, format!("group {GROUP}")]]));
    assert_eq!(
        options(&driver, "user").await,
        [format!("Alice ({ALICE})"), format!("Bob ({BOB})")]
    );
    pick(&driver, "user", ALICE).await;
    submit_with(&driver, "user").await;
    driver
        .wait_for(
            "Alice among the followers",
            &format!(
                "return [...document.querySelectorAll('#bot-detail table tbody tr')] \
                   .some(r => r.cells[0].textContent === '{ALICE}' && r.cells[1].textContent === 'Alice')"
            ),
        )
        .await;
    let (_, bot) = server
        .admin(Method::GET, &format!("/bots/{BOT}"), None)
        .await;
    assert_eq!(bot["followers"], json!([ALICE]));

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// A bot's commands are listed, added and removed on its page (a refused command shows the
/// API's reason and adds nothing); a group's page sets what each of its bots may do there and
/// shows the message-type limit and mutes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_and_group_permissions_in_a_real_browser() {
    let server = TestServer::start().await;
    server.user(ALICE, "Alice").await;
    server.bot(BOT).await;
    server.group(GROUP, &[ALICE]).await;
    server.join(BOT, GROUP).await;
    let Some((driver, _profile)) = admin_console(&server).await else {
        return;
    };
    let commands_path = format!("/bots/{BOT}/commands");
    open_bot(&driver, BOT).await;
    driver
        .wait_for(
            "the commands section",
            "return document.querySelector('#bot-detail')?.textContent.includes('No commands.')",
        )
        .await;

    // A normal command with preset text.
    driver
        .type_into("#command-form input[name=name]", "weather")
        .await;
    driver
        .click("#command-form select[name=kind] option[value=normal]")
        .await;
    driver
        .type_into("#command-form input[name=presetText]", "city:")
        .await;
    driver.click("#command-form button[type=submit]").await;
    let row = driver
        .wait_for(
            "the command in the table",
            "const r = [...document.querySelectorAll('#bot-detail table tbody tr')] \
               .find(r => r.cells[0].textContent === '/weather'); \
             return r && [...r.cells].slice(0, 3).map(c => c.textContent)",
        )
        .await;
    assert_eq!(row, json!(["/weather", "normal", "city:"]));
    let (_, listed) = server.admin(Method::GET, &commands_path, None).await;
    assert_eq!(listed["commands"][0]["name"], "weather", "{listed}");
    assert_eq!(listed["commands"][0]["presetText"], "city:", "{listed}");

    // A direct command cannot have preset text: the API's reason is shown, nothing is added.
    driver
        .type_into("#command-form input[name=name]", "help")
        .await;
    driver
        .click("#command-form select[name=kind] option[value=direct]")
        .await;
    driver
        .type_into("#command-form input[name=presetText]", "oops")
        .await;
    driver.click("#command-form button[type=submit]").await;
    let shown = driver
        .wait_for(
            "the refusal",
            "return document.querySelector('#notice .notice.bad')?.textContent",
        )
        .await;
    let (status, refusal) = server
        .admin(
            Method::POST,
            &format!("/bots/{BOT}/commands"),
            Some(json!({"name": "help", "kind": "direct", "presetText": "oops"})),
        )
        .await;
    assert_eq!(status, 400, "{refusal}");
    assert_eq!(shown, refusal["error"]["message"]);
    let (_, listed) = server.admin(Method::GET, &commands_path, None).await;
    assert_eq!(listed["commands"].as_array().unwrap().len(), 1, "{listed}");

    // Remove.
    click_row_button(&driver, "/weather", "Remove").await;
    driver
        .wait_for(
            "no commands",
            "return document.querySelector('#bot-detail')?.textContent.includes('No commands.')",
        )
        .await;
    let (_, listed) = server.admin(Method::GET, &commands_path, None).await;
    assert_eq!(listed["commands"], json!([]));

    // The group's page: the bot may mute members once the box is ticked and saved.
    open_group(&driver, GROUP).await;
    let gag_box =
        format!("#group-detail input[name=allowGagMember][aria-label='Mute members ({BOT})']");
    driver
        .wait_for(
            "the permissions",
            &format!("return !!document.querySelector(\"{gag_box}\")"),
        )
        .await;
    assert_eq!(
        driver
            .js("return document.querySelector('#msg-type-limit')?.textContent")
            .await,
        "Members may send: any type"
    );
    driver.click(&gag_box).await;
    let saved = driver
        .js(&format!(
            "const row = document.querySelector(\"{gag_box}\").closest('tr'); \
             [...row.querySelectorAll('td.actions button')].find(b => b.textContent === 'Save').click(); \
             return true"
        ))
        .await;
    assert_eq!(saved, true);
    driver
        .wait_for(
            "the saved permissions",
            &format!("return document.querySelector('#notice .notice.ok')?.textContent === 'Permissions of bot {BOT} ({BOT}) saved.' \
                        && document.querySelector(\"{gag_box}\")?.checked"),
        )
        .await;
    let (_, group) = server
        .admin(Method::GET, &format!("/groups/{GROUP}"), None)
        .await;
    assert_eq!(
        group["botPermissions"][BOT],
        json!({"allowGagMember": true, "allowRemoveMember": false,
               "allowEditGroupInfo": false, "allowGroupTagManage": false})
    );

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// Deleting a user, a group or a bot asks in the page too: Cancel keeps it, confirming
/// deletes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_asks_first_in_a_real_browser() {
    let server = TestServer::start().await;
    server.user(ALICE, "Alice").await;
    server.user(BOB, "Bob").await;
    server.bot(BOT).await;
    server.group(GROUP, &[ALICE]).await;
    let Some((driver, _profile)) = admin_console(&server).await else {
        return;
    };
    for (tab, id, path) in [
        ("#tab-users", BOB, format!("/users/{BOB}")),
        ("#tab-groups", GROUP, format!("/groups/{GROUP}")),
        ("#tab-bots", BOT, format!("/bots/{BOT}")),
    ] {
        driver.click(tab).await;
        driver
            .wait_for(
                "the table",
                &format!(
                    "return [...document.querySelectorAll('#view table tbody tr')] \
                       .some(r => r.cells[0].textContent === '{id}')"
                ),
            )
            .await;
        click_row_button(&driver, id, "Delete").await;
        driver
            .wait_for(
                "the confirmation",
                &format!(
                    "return document.querySelector('#notice .confirm')?.textContent.includes('({id})')"
                ),
            )
            .await;
        driver.click("#notice .confirm .confirm-no").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (status, _) = server.admin(Method::GET, &path, None).await;
        assert_eq!(status, 200, "{id}: Cancel must keep it");

        click_row_button(&driver, id, "Delete").await;
        driver
            .wait_for(
                "the confirmation",
                "return !!document.querySelector('#notice .confirm')",
            )
            .await;
        driver.click("#notice .confirm .confirm-yes").await;
        driver
            .wait_for(
                "the deletion notice",
                &format!(
                    "return document.querySelector('#notice .notice.ok')?.textContent === 'Deleted {id}.'"
                ),
            )
            .await;
        let (status, _) = server.admin(Method::GET, &path, None).await;
        assert_eq!(status, 404, "{id}: confirming must delete it");
    }

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// Discover, from the sidebar: the open groups (never a closed one) with Join, the bots with
/// Follow. Joining puts the group in the chat list and opens it; opened again, it says
/// Joined; Esc closes the panel with the focus back on the button; following a bot opens its
/// chat too. At desktop and at phone width, where the panel fits the screen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discover_joins_an_open_group_and_follows_a_bot_in_a_real_browser() {
    discover_join_and_follow((1280, 800)).await;
    discover_join_and_follow((390, 844)).await;
}

async fn discover_join_and_follow(size: (u32, u32)) {
    const CLOSED: &str = "555555555";
    const GONE: &str = "777777777";
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    server.user(BOB, "Bob").await;
    // A chat to start from (the list is not empty), and a closed group Alice is not in.
    server.group(GROUP2, &[ALICE]).await;
    server.group(CLOSED, &[BOB]).await;
    let (status, body) = server
        .admin(
            Method::POST,
            "/groups",
            Some(json!({"id": GROUP, "name": "Open house", "open": true})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = server
        .admin(
            Method::POST,
            "/groups",
            Some(json!({"id": GONE, "name": "Gone soon", "open": true})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let bot = server.bot(BOT).await;
    server.join(BOT, GROUP).await;
    let Some((driver, _profile)) = signed_in(&server, &alice, size).await else {
        return;
    };
    let phone = size.0 < 700;
    let group_key = format!("group:{GROUP}");
    let bot_key = format!("bot:{BOT}");
    let gone_key = format!("group:{GONE}");
    let panel = "const d = document.getElementById('discover'); \
                 if (!d.open || !d.querySelector('.discover-row button')) return null; \
                 const r = d.getBoundingClientRect(); \
                 const rows = [...d.querySelectorAll('.discover-row button')]; \
                 return {groups: [...d.querySelectorAll('#discover-groups button')].map(b => [b.dataset.chatKey, b.textContent]), \
                         bots: [...d.querySelectorAll('#discover-bots button')].map(b => [b.dataset.chatKey, b.textContent]), \
                         fits: r.left >= 0 && r.top >= 0 && r.right <= innerWidth + 0.5 && r.bottom <= innerHeight + 0.5, \
                         buttonsInside: rows.every(b => b.getBoundingClientRect().right <= r.right)}";

    driver.click("#discover-open").await;
    let shown = driver.wait_for("the Discover panel", panel).await;
    let shots = std::env::var("CLOUDLAKE_SCREENSHOTS")
        .ok()
        .map(PathBuf::from);
    let shot = format!("discover-{}.png", if phone { "phone" } else { "desktop" });
    driver.screenshot(shots.as_deref(), &shot).await;
    assert_eq!(
        shown,
        json!({"groups": [[gone_key, "Join"], [group_key, "Join"]], "bots": [[bot_key, "Follow"]],
               "fits": true, "buttonsInside": true}),
        "{size:?}"
    );

    // A group deleted since the list was shown: the join fails, says why, the panel stays
    // and nothing is added.
    let (status, body) = server
        .admin(Method::DELETE, &format!("/groups/{GONE}"), None)
        .await;
    assert_eq!(status, 204, "{body}");
    driver
        .click(&format!("#discover-groups [data-chat-key='{gone_key}']"))
        .await;
    let refused = driver
        .wait_for(
            "the refused join",
            &format!(
                "const e = document.getElementById('discover-error').textContent; \
                 const b = document.querySelector(\"#discover-groups [data-chat-key='{gone_key}']\"); \
                 return e && !b.disabled && {{error: e, open: document.getElementById('discover').open, \
                         chats: document.querySelectorAll('.chat-item').length}}"
            ),
        )
        .await;
    assert_eq!(
        refused,
        json!({"error": "Could not join Gone soon: no such group", "open": true, "chats": 1})
    );

    // Join: the panel closes, the group is in the list and open.
    driver
        .click(&format!("#discover-groups [data-chat-key='{group_key}']"))
        .await;
    let opened = |key: &str| {
        format!(
            "return !document.getElementById('discover').open \
             && !document.getElementById('composer').hidden \
             && document.querySelector('.chat-item.active')?.dataset.chatKey === '{key}' \
             && document.getElementById('chat-title').textContent !== 'Choose a chat' \
             && document.getElementById('history-status').textContent !== 'Loading…' \
             && (document.getElementById('history-status').textContent !== '' \
                 || !!document.querySelector('#message-list .msg')) \
             && (!{phone} || document.body.classList.contains('chat-open'))"
        )
    };
    driver
        .wait_for("the joined group, open", &opened(&group_key))
        .await;
    assert!(in_chats(&server, &alice, "group", GROUP).await);
    let title = driver
        .js("return document.getElementById('chat-title').textContent")
        .await;
    assert_eq!(title, "Open house");
    // The live feed carries the new group's messages at once, without a reload.
    bot_send(
        &server,
        &bot,
        json!({"recvIds": [GROUP], "recvType": "group", "contentType": "text",
               "content": {"text": "welcome aboard"}}),
    )
    .await;
    driver
        .wait_for(
            "the group's message, live",
            "return [...document.querySelectorAll('#message-list .msg-body')] \
                 .some(b => b.textContent.includes('welcome aboard'))",
        )
        .await;

    // Opened again it says Joined; Esc closes it, the focus back on the Discover button.
    if phone {
        driver.click("#back").await;
    }
    driver.click("#discover-open").await;
    let shown = driver.wait_for("the Discover panel again", panel).await;
    assert_eq!(
        shown["groups"],
        json!([[group_key, "Joined"]]),
        "{size:?}: the deleted group is gone, the joined one says so"
    );
    driver.press(ESCAPE).await;
    driver
        .wait_for(
            "the panel closed by Esc",
            "return !document.getElementById('discover').open \
             && document.activeElement === document.getElementById('discover-open')",
        )
        .await;

    // Joined opens the group the user is in already (from another chat), changing nothing.
    open_chat(&driver, &format!("group:{GROUP2}")).await;
    if phone {
        driver.click("#back").await;
    }
    driver.click("#discover-open").await;
    driver.wait_for("the Discover panel once more", panel).await;
    driver
        .click(&format!("#discover-groups [data-chat-key='{group_key}']"))
        .await;
    driver
        .wait_for("the joined group, opened from Joined", &opened(&group_key))
        .await;
    if phone {
        driver.click("#back").await;
    }

    // Follow: the bot's chat is in the list and open.
    driver.click("#discover-open").await;
    driver.wait_for("the Discover panel for a bot", panel).await;
    driver
        .click(&format!("#discover-bots [data-chat-key='{bot_key}']"))
        .await;
    driver
        .wait_for("the followed bot, open", &opened(&bot_key))
        .await;
    assert!(in_chats(&server, &alice, "bot", BOT).await);
    let listed = driver
        .js("return [...document.querySelectorAll('.chat-item')].map(c => c.dataset.chatKey).sort()")
        .await;
    let mut want = vec![
        bot_key.clone(),
        group_key.clone(),
        format!("group:{GROUP2}"),
    ];
    want.sort();
    assert_eq!(listed, json!(want));
    // Never the closed group, which Alice could not join.
    assert!(!in_chats(&server, &alice, "group", CLOSED).await);

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// Whether the chat is in the user's `/chats`, as the server has it.
async fn in_chats(server: &TestServer, token: &str, chat_type: &str, chat_id: &str) -> bool {
    let (status, body) = server.user_api(Method::GET, token, "/chats", None).await;
    assert_eq!(status, 200, "{body}");
    body["chats"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["chatType"] == chat_type && c["chatId"] == chat_id)
}

/// Issue 20: a normal command shows its hint text as the box's placeholder; a form command
/// opens its form above the composer (every field labelled, focus in the first, Enter sends),
/// the bot gets the filled-in `formJson`, and the history shows it as a list of fields; at
/// desktop width and on a phone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_command_in_a_real_browser() {
    form_command((1280, 800)).await;
    form_command((390, 844)).await;
}

async fn form_command(size: (u32, u32)) {
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    server.group(GROUP, &[ALICE]).await;
    let (status, body) = server
        .admin(
            Method::POST,
            "/bots",
            Some(json!({"id": BOT, "nickname": "OrderBot"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    server.join(BOT, GROUP).await;
    for command in [
        json!({"name": "weather", "presetText": "weather in", "hintText": "City name, e.g. Beijing"}),
        json!({"name": "order", "kind": "form", "form": [
            {"id": "name", "type": "input", "label": "Name", "default": "Ming"},
            {"id": "dish", "type": "radio", "label": "Main", "options": ["Noodles", "Rice"], "default": 0},
            {"id": "extras", "type": "checkbox", "label": "Extras", "options": ["Egg", "Greens", "Chili"]},
            {"id": "size", "type": "select", "label": "Size", "options": ["Small", "Medium", "Large"]},
            {"id": "pack", "type": "switch", "label": "Takeaway"},
            {"id": "note", "type": "textarea", "label": "Note"}
        ]}),
    ] {
        let (status, body) = server
            .admin(
                Method::POST,
                &format!("/bots/{BOT}/commands"),
                Some(command),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let Some((driver, _profile)) = signed_in(&server, &alice, size).await else {
        return;
    };
    // The chat's members (and its bots' commands) arrive 1.5 s late, as on a slow network:
    // someone who types `/` before that still gets the picker once they are in.
    driver
        .js("const original = window.fetch; \
             window.fetch = (url, options) => String(url).endsWith('/members') \
               ? new Promise((done) => setTimeout(() => done(original(url, options)), 1500)) \
               : original(url, options); return true")
        .await;
    open_chat(&driver, &format!("group:{GROUP}")).await;
    let options = "const l = document.getElementById('mention-list'); \
                   return l.hidden ? null : [...l.querySelectorAll('li')].map((e) => e.textContent)";

    // A normal command: its hint text is the placeholder until it is sent.
    driver.type_into("#composer-text", "/we").await;
    driver.wait_for("the command list", options).await;
    driver.press(ENTER).await;
    assert_eq!(
        driver
            .js("return document.getElementById('composer-text').placeholder")
            .await,
        "City name, e.g. Beijing"
    );
    driver.type_into("#composer-text", "Beijing").await;
    driver.press(ENTER).await;
    driver
        .wait_for(
            "the placeholder back",
            "return document.getElementById('composer-text').placeholder === 'Write a message…' \
                    && document.getElementById('composer-text').value === ''",
        )
        .await;

    // A form command opens its form; the list says so.
    driver.type_into("#composer-text", "/or").await;
    assert_eq!(
        driver.wait_for("one command", options).await,
        json!(["/order OrderBot · opens a form"])
    );
    driver.press(ENTER).await;
    let form = driver
        .wait_for(
            "the form",
            "const f = document.getElementById('command-form'); \
             if (!f || f.hidden) return null; \
             const controls = [...f.querySelectorAll('input, select, textarea')]; \
             const named = (c) => c.labels.length > 0 || !!c.closest('fieldset')?.querySelector('legend'); \
             const r = f.getBoundingClientRect(); \
             return {title: f.querySelector('h3').textContent, \
                     labels: [...f.querySelectorAll('div.cf-field > label, legend')].map((l) => l.textContent.trim()), \
                     allLabelled: controls.every(named), \
                     focused: document.activeElement?.closest('[data-field]')?.dataset.field, \
                     box: document.getElementById('composer-text').value, \
                     fits: r.left >= 0 && r.right <= innerWidth + 0.5}",
        )
        .await;
    assert_eq!(
        form,
        json!({"title": "/order", "labels": ["Name", "Main", "Extras", "Size", "Takeaway", "Note"],
               "allLabelled": true, "focused": "name", "box": "", "fits": true}),
        "{size:?}"
    );
    // Filled with the keyboard where it is text, by clicks where it is a choice.
    driver
        .type_into("#command-form [data-field=name] input", " Li")
        .await;
    driver
        .click("#command-form [data-field=dish] input[value='1']")
        .await;
    driver
        .click("#command-form [data-field=extras] input[value='0']")
        .await;
    driver
        .click("#command-form [data-field=extras] input[value='2']")
        .await;
    driver.click("#command-form [data-field=pack] input").await;
    driver
        .js(
            "const s = document.querySelector('#command-form [data-field=size] select'); \
             s.value = '2'; s.dispatchEvent(new Event('change')); return true",
        )
        .await;
    // Enter in a text field sends the form.
    driver.click("#command-form [data-field=name] input").await;
    driver.press(ENTER).await;
    let shown = driver
        .wait_for(
            "the form in the history",
            "const d = document.querySelector('#message-list .msg:last-child .form-fields'); \
             return document.getElementById('command-form').hidden && d \
               ? [...d.children].map((e) => e.textContent) : null",
        )
        .await;
    assert_eq!(
        shown,
        // `formJson` is an object: the fields come in the order of their IDs.
        json!([
            "Main",
            "Rice",
            "Extras",
            "Egg, Chili",
            "Name",
            "Ming Li",
            "Note",
            "—",
            "Takeaway",
            "On",
            "Size",
            "Large"
        ])
    );
    let mut events = Vec::new();
    for _ in 0..50 {
        events = server
            .outbox(BOT)
            .into_iter()
            .filter(|e| e["event"]["message"]["contentType"] == "form")
            .collect();
        if !events.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let message = &events[0]["event"]["message"];
    assert_eq!(message["commandName"], "order");
    assert_eq!(
        message["content"]["formJson"],
        json!({
            "name": {"id": "name", "type": "input", "label": "Name", "value": "Ming Li"},
            "dish": {"id": "dish", "type": "radio", "label": "Main", "selectIndex": 1, "selectValue": "Rice"},
            "extras": {"id": "extras", "type": "checkbox", "label": "Extras", "selectStatus": [true, false, true], "selectValues": ["Egg", "Greens", "Chili"]},
            "size": {"id": "size", "type": "select", "label": "Size", "selectIndex": 2, "selectValue": "Large"},
            "pack": {"id": "pack", "type": "switch", "label": "Takeaway", "value": true},
            "note": {"id": "note", "type": "textarea", "label": "Note", "value": null},
        })
    );

    // Esc closes an opened form without sending, and the focus goes back to the box.
    driver.type_into("#composer-text", "/or").await;
    driver.wait_for("the command list", options).await;
    driver.press(ENTER).await;
    driver
        .wait_for(
            "the form",
            "return !document.getElementById('command-form').hidden",
        )
        .await;
    // The README's picture: a sent form in the history, the form open again below it.
    if size.0 > 700 {
        let shots = std::env::var("CLOUDLAKE_SCREENSHOTS")
            .ok()
            .map(PathBuf::from);
        driver
            .screenshot(shots.as_deref(), "form-command.png")
            .await;
    }
    driver.press(ESCAPE).await;
    driver
        .wait_for(
            "the form closed",
            "return document.getElementById('command-form').hidden \
                    && document.activeElement?.id === 'composer-text'",
        )
        .await;

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// Issue 20: a bot's shortcut menu shows above the composer in a chat with the bot; pressing a
/// plain button, a toggle and a drop-down reports `bot.shortcut.menu` to the bot, the toggle
/// shows its state (aria-pressed), and the choices ride in `content.menu` of the next message;
/// at desktop width and on a phone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shortcut_menu_in_a_real_browser() {
    shortcut_menu((1280, 800)).await;
    shortcut_menu((390, 844)).await;
}

async fn shortcut_menu(size: (u32, u32)) {
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    server.group(GROUP, &[ALICE]).await;
    let (status, body) = server
        .admin(
            Method::POST,
            "/bots",
            Some(json!({"id": BOT, "nickname": "WeatherBot"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    server.join(BOT, GROUP).await;
    let mut ids = Vec::new();
    for menu in [
        json!({"name": "Check in"}),
        json!({"name": "Alerts", "menuType": 2}),
        json!({"name": "City", "menuType": 3, "options": ["Beijing", "Shanghai", "Shenzhen"]}),
    ] {
        let (status, body) = server
            .admin(Method::POST, &format!("/bots/{BOT}/menus"), Some(menu))
            .await;
        assert_eq!(status, 201, "{body}");
        ids.push(body["menuId"].as_str().unwrap().to_owned());
    }
    let Some((driver, _profile)) = signed_in(&server, &alice, size).await else {
        return;
    };
    open_chat(&driver, &format!("group:{GROUP}")).await;
    let bar = driver
        .wait_for(
            "the menu bar",
            "const b = document.getElementById('shortcut-menu'); \
             if (!b || b.hidden) return null; \
             const r = b.getBoundingClientRect(); \
             const c = document.getElementById('composer').getBoundingClientRect(); \
             return {buttons: [...b.querySelectorAll('button')].map((x) => [x.textContent, x.getAttribute('aria-pressed')]), \
                     select: b.querySelector('select')?.labels[0]?.textContent, \
                     above: r.bottom <= c.top + 0.5, fits: r.left >= 0 && r.right <= innerWidth + 0.5}",
        )
        .await;
    assert_eq!(
        bar,
        json!({"buttons": [["Check in", null], ["Alerts", "false"]], "select": "City",
               "above": true, "fits": true}),
        "{size:?}"
    );
    driver
        .click(&format!("#shortcut-menu [data-menu='{}']", ids[0]))
        .await;
    driver
        .click(&format!("#shortcut-menu [data-menu='{}']", ids[1]))
        .await;
    driver
        .wait_for(
            "the toggle on",
            &format!(
                "return document.querySelector(\"#shortcut-menu [data-menu='{}']\").getAttribute('aria-pressed') === 'true'",
                ids[1]
            ),
        )
        .await;
    // The drop-down, by keyboard: focused, then ↓ picks the next option (Chromium changes a
    // closed select's value with the arrow keys). The first of the two presses is held up on
    // the network for half a second: the bot still hears them in the order they were made.
    driver
        .js("const original = window.fetch; let first = true; \
             window.fetch = (url, options) => { \
               if (first && options?.method === 'POST' && String(url).includes('/menus/')) { \
                 first = false; \
                 return new Promise((done) => setTimeout(() => done(original(url, options)), 500)); \
               } \
               return original(url, options); }; return true")
        .await;
    driver
        .js(&format!(
            "document.querySelector(\"#shortcut-menu [data-menu='{}']\").focus(); return true",
            ids[2]
        ))
        .await;
    driver.press(ARROW_DOWN).await;
    driver.press(ARROW_DOWN).await;
    let mut presses = Vec::new();
    for _ in 0..50 {
        presses = server
            .outbox(BOT)
            .into_iter()
            .filter(|e| e["header"]["eventType"] == "bot.shortcut.menu")
            .map(|e| {
                let e = &e["event"];
                json!([e["menuId"], e["menuType"], e["menuAction"], e["chatType"]])
            })
            .collect();
        if presses.len() >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        presses,
        vec![
            json!([ids[0], 1, 1, "group"]),
            json!([ids[1], 2, 1, "group"]),
            json!([ids[2], 3, 0, "group"]),
            json!([ids[2], 3, 1, "group"]),
        ],
        "{size:?}"
    );
    driver
        .wait_for(
            "the status",
            "return document.querySelector('.shortcut-menu-status').textContent === 'Sent to WeatherBot.'",
        )
        .await;
    // The next message carries the toggle's and the drop-down's choices.
    driver.type_into("#composer-text", "weather?").await;
    driver.press(ENTER).await;
    let mut menu = Value::Null;
    for _ in 0..50 {
        if let Some(e) = server
            .outbox(BOT)
            .into_iter()
            .find(|e| e["header"]["eventType"] == "message.receive.normal")
        {
            menu = e["event"]["message"]["content"]["menu"].clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        menu,
        json!({ids[1].clone(): "1", ids[2].clone(): "Shanghai"})
    );
    // The README's picture: the menu bar above the composer, the message that carried it.
    driver
        .wait_for(
            "the message shown",
            "return document.querySelector('#message-list .msg:last-child .msg-body')?.textContent === 'weather?'",
        )
        .await;
    if size.0 > 700 {
        let shots = std::env::var("CLOUDLAKE_SCREENSHOTS")
            .ok()
            .map(PathBuf::from);
        driver
            .screenshot(shots.as_deref(), "shortcut-menu.png")
            .await;
    }

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// Issue 20 in the admin console: a form command added from the command form's field line
/// (`id:type[:label[:options]]; …`), a hint text, and shortcut-menu buttons of each type
/// added and removed on the bot's page; a refused menu button shows the API's reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_commands_and_menus_in_the_admin_console() {
    let server = TestServer::start().await;
    server.user(ALICE, "Alice").await;
    server.bot(BOT).await;
    let Some((driver, _profile)) = admin_console(&server).await else {
        return;
    };
    open_bot(&driver, BOT).await;
    driver
        .wait_for(
            "the menu section",
            "return document.querySelector('#bot-detail')?.textContent.includes('No menu buttons.')",
        )
        .await;

    driver
        .type_into("#command-form input[name=name]", "order")
        .await;
    driver
        .type_into(
            "#command-form input[name=fields]",
            "dish:radio:Main:Noodles,Rice; note:textarea",
        )
        .await;
    driver.click("#command-form button[type=submit]").await;
    let row = driver
        .wait_for(
            "the form command in the table",
            "const r = [...document.querySelectorAll('#bot-detail table tbody tr')] \
               .find(r => r.cells[0].textContent === '/order'); \
             return r && [...r.cells].slice(0, 3).map(c => c.textContent)",
        )
        .await;
    assert_eq!(
        row,
        json!([
            "/order",
            "form",
            "Main (radio: Noodles, Rice); note (textarea)"
        ])
    );
    driver
        .type_into("#command-form input[name=name]", "weather")
        .await;
    driver
        .type_into("#command-form input[name=hintText]", "a city")
        .await;
    driver.click("#command-form button[type=submit]").await;
    driver
        .wait_for(
            "the hint text in the table",
            "return [...document.querySelectorAll('#bot-detail table tbody tr')] \
               .some(r => r.cells[0].textContent === '/weather' && r.cells[2].textContent === 'hint: a city')",
        )
        .await;
    let (_, listed) = server
        .admin(Method::GET, &format!("/bots/{BOT}/commands"), None)
        .await;
    assert_eq!(
        listed["commands"][0]["form"],
        json!([{"id": "dish", "type": "radio", "label": "Main", "options": ["Noodles", "Rice"]},
               {"id": "note", "type": "textarea"}])
    );
    assert_eq!(listed["commands"][1]["hintText"], "a city");

    // Menu buttons: a plain one, then a drop-down with its options.
    driver
        .type_into("#menu-form input[name=name]", "Check in")
        .await;
    driver.click("#menu-form button[type=submit]").await;
    driver
        .wait_for(
            "the button in the table",
            "return [...document.querySelectorAll('#bot-detail table tbody tr')] \
               .some(r => r.cells[0].textContent === 'Check in')",
        )
        .await;
    driver
        .type_into("#menu-form input[name=name]", "City")
        .await;
    driver
        .click("#menu-form select[name=menuType] option[value=dropdown]")
        .await;
    driver
        .type_into("#menu-form input[name=options]", "Beijing, Shanghai")
        .await;
    driver.click("#menu-form button[type=submit]").await;
    let row = driver
        .wait_for(
            "the drop-down in the table",
            "const r = [...document.querySelectorAll('#bot-detail table tbody tr')] \
               .find(r => r.cells[0].textContent === 'City'); \
             return r && [...r.cells].slice(0, 3).map(c => c.textContent)",
        )
        .await;
    assert_eq!(row, json!(["City", "drop-down", "Beijing, Shanghai"]));

    // A drop-down without options is refused with the API's reason.
    driver
        .type_into("#menu-form input[name=name]", "Empty")
        .await;
    driver
        .click("#menu-form select[name=menuType] option[value=dropdown]")
        .await;
    driver.click("#menu-form button[type=submit]").await;
    let shown = driver
        .wait_for(
            "the refusal",
            "return document.querySelector('#notice .notice.bad')?.textContent",
        )
        .await;
    assert!(
        shown.as_str().unwrap().contains("needs 1 to 20 options"),
        "{shown}"
    );
    let (_, menus) = server
        .admin(Method::GET, &format!("/bots/{BOT}/menus"), None)
        .await;
    assert_eq!(menus["menus"].as_array().unwrap().len(), 2, "{menus}");

    click_row_button(&driver, "Check in", "Remove").await;
    driver
        .wait_for(
            "the button gone",
            "return ![...document.querySelectorAll('#bot-detail table tbody tr')] \
               .some(r => r.cells[0].textContent === 'Check in')",
        )
        .await;
    let (_, menus) = server
        .admin(Method::GET, &format!("/bots/{BOT}/menus"), None)
        .await;
    assert_eq!(menus["menus"][0]["name"], "City", "{menus}");

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// Direct messages between people (issue 21), in a file of their own.
#[path = "browser_direct.rs"]
mod direct;
// Issue 21: reactions, a bot's profile in the group info and the admin pickers' filter; issue
// 20: a bot's settings in a group, A2UI cards. In files of their own beside this one.
mod bot_profile;
mod bot_settings;
mod cards;
mod matrix;
mod pickers;
mod reactions;
