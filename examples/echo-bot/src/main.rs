//! An echo bot: answers every message, in a group or in private, with its text, quoting it.
//! It reads its events from the bot WebSocket, so it needs no public address.
//!
//! ```sh
//! CLOUDLAKE_BASE_URL=http://127.0.0.1:8080/open-apis/v1 CLOUDLAKE_BOT_TOKEN=… cargo run -p echo-bot
//! ```
//!
//! Without `CLOUDLAKE_BASE_URL` it talks to the local server (`http://127.0.0.1:8080`); to
//! reach Yunhu, set it to `https://chat-go.jwzhd.com/open-apis/v1`.

use std::env;

use cloudlake_sdk::{Chat, Client, Event, Message};

/// `cloudlake serve`'s default address.
const LOCAL_BASE_URL: &str = "http://127.0.0.1:8080/open-apis/v1";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let token = env::var("CLOUDLAKE_BOT_TOKEN").map_err(|_| "set CLOUDLAKE_BOT_TOKEN")?;
    // The local server unless told otherwise: a bot token must not reach Yunhu by accident.
    let base_url = env::var("CLOUDLAKE_BASE_URL").unwrap_or_else(|_| LOCAL_BASE_URL.into());
    let client = Client::builder(token).base_url(base_url).build()?;
    // Reconnects by itself; only a refused token ends the loop.
    let mut events = client.subscriber()?.connect().await?;
    println!("echo bot listening");
    loop {
        let Event::MessageNormal(m) = events.next().await?.typed() else {
            continue;
        };
        // In a private chat the event's chat is the bot itself: answer the sender.
        let to = match m.chat.chat_type.as_str() {
            "group" => Chat::group(m.chat.chat_id),
            _ => Chat::user(m.sender.sender_id),
        };
        let text = match m.message.content.text {
            Some(text) => text,
            None => format!("[{}]", m.message.content_type),
        };
        let reply = Message::text(text).reply_to(m.message.msg_id);
        // One failed answer (say, the user unfollowed meanwhile) must not stop the bot.
        if let Err(e) = client.send(&to, reply).await {
            eprintln!("could not answer: {e}");
        }
    }
}
