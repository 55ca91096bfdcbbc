//! Runs the button-menu bot's binary against a local cloudlake that delivers its events by
//! signed webhook: "menu" gets the buttons, a click gets the answer.

#![allow(clippy::unwrap_used)]

#[path = "../../../crates/sdk/tests/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use cloudlake_sdk::{ActionType, Chat};
use common::{TestServer, eventually};
use reqwest::Method;
use serde_json::json;

const BOT: &str = "86297657";
const ALICE: &str = "7756242";
const GROUP: &str = "307149245";

/// The example's process, killed when dropped.
struct Bot(Child);

impl Drop for Bot {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_menu_bot_offers_buttons_and_answers_the_click() {
    let server = TestServer::start_with(|c| c.delivery.allow_private = true).await;
    let token = server.bot(BOT).await;
    let alice = server.user(ALICE, "Alice").await;
    server.group(GROUP, &[ALICE]).await;
    server.join(BOT, GROUP).await;
    let secret = server
        .admin(Method::GET, &format!("/bots/{BOT}/secret"), None)
        .await["secret"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut bot = Bot(Command::new(env!("CARGO_BIN_EXE_button-menu-bot"))
        .env("CLOUDLAKE_BASE_URL", server.base_url())
        .env("CLOUDLAKE_BOT_TOKEN", &token)
        .env("CLOUDLAKE_WEBHOOK_SECRET", &secret)
        .env("LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap());
    // Read on a blocking thread: the server runs on this test's runtime and must keep
    // serving while the bot starts.
    let stdout = bot.0.stdout.take().unwrap();
    let ready = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .unwrap()
    .unwrap();
    let url = ready
        .trim()
        .strip_prefix("button-menu bot listening on ")
        .unwrap()
        .to_owned();
    server
        .admin(
            Method::PUT,
            &format!("/bots/{BOT}/webhook"),
            Some(json!({"url": url})),
        )
        .await;

    let client = server.client(&token);
    let group = Chat::group(GROUP);
    server.user_says(&alice, "group", GROUP, "menu").await;
    let menu = eventually(|| async {
        let page = client.messages(&group.latest(10)).await.unwrap();
        page.list.into_iter().find(|m| m.sender_id == BOT)
    })
    .await;
    assert_eq!(menu.content.text.as_deref(), Some("What would you like?"));
    let buttons = &menu.content.buttons[0];
    assert_eq!(buttons.len(), 2);
    assert!(buttons.iter().all(|b| b.action_type == ActionType::Report));

    let (status, body) = server
        .user_api(
            Method::POST,
            &alice,
            &format!("/messages/{}/click", menu.msg_id),
            Some(json!({"value": "coffee"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let answer = eventually(|| async {
        let page = client.messages(&group.latest(10)).await.unwrap();
        page.list.into_iter().find(|m| m.parent_id == menu.msg_id)
    })
    .await;
    assert_eq!(
        answer.content.text.as_deref(),
        Some("One coffee coming up!")
    );

    // Both events went through the signature check on the first attempt.
    let deliveries = server
        .admin(Method::GET, &format!("/bots/{BOT}/deliveries"), None)
        .await;
    assert_eq!(deliveries["dead"], 0, "{deliveries}");
    assert_eq!(
        deliveries["lastError"],
        serde_json::Value::Null,
        "{deliveries}"
    );
}
