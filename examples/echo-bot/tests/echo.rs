//! Runs the echo bot's binary against a local cloudlake: a user's message, in a group and in
//! private, comes back from the bot as a quote of it.

#![allow(clippy::unwrap_used)]

#[path = "../../../crates/sdk/tests/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use cloudlake_sdk::{Chat, Client, MessageItem};
use common::{TestServer, eventually};

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

/// Waits for the bot's answer to `msg_id` in `chat`.
async fn answer(client: &Client, chat: &Chat, msg_id: &str) -> MessageItem {
    eventually(|| async {
        let page = client.messages(&chat.latest(10)).await.unwrap();
        page.list
            .into_iter()
            .find(|m| m.parent_id == msg_id && m.sender_id == BOT)
    })
    .await
}

#[tokio::test]
async fn the_echo_bot_answers_in_groups_and_in_private() {
    let server = TestServer::start().await;
    let token = server.bot(BOT).await;
    let alice = server.user(ALICE, "Alice").await;
    server.group(GROUP, &[ALICE]).await;
    server.join(BOT, GROUP).await;
    server.follow(BOT, ALICE).await;

    let mut bot = Bot(Command::new(env!("CARGO_BIN_EXE_echo-bot"))
        .env("CLOUDLAKE_BASE_URL", server.base_url())
        .env("CLOUDLAKE_BOT_TOKEN", &token)
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
    assert_eq!(ready.trim(), "echo bot listening");

    let client = server.client(&token);
    let said = server.user_says(&alice, "group", GROUP, "ping 云湖").await;
    let echo = answer(&client, &Chat::group(GROUP), &said).await;
    assert_eq!(echo.content.text.as_deref(), Some("ping 云湖"));

    let said = server.user_says(&alice, "bot", BOT, "just us").await;
    let echo = answer(&client, &Chat::user(ALICE), &said).await;
    assert_eq!(echo.content.text.as_deref(), Some("just us"));
}
