//! A button-menu bot: answers `menu` with a row of buttons, and each click (a
//! `button.report.inline` event) with the choice. Events arrive by webhook at
//! `http://LISTEN/yunhu`; with `CLOUDLAKE_WEBHOOK_SECRET` (cloudlake's `whsec_…`) unsigned
//! requests are refused. For cloudlake: `cloudlake admin bot webhook BOT --url http://…/yunhu`.
//!
//! ```sh
//! CLOUDLAKE_BASE_URL=http://127.0.0.1:8080/open-apis/v1 CLOUDLAKE_BOT_TOKEN=… \
//!   LISTEN=127.0.0.1:3000 cargo run -p button-menu-bot
//! ```
//!
//! Without `CLOUDLAKE_BASE_URL` it talks to the local server (`http://127.0.0.1:8080`); to
//! reach Yunhu, set it to `https://chat-go.jwzhd.com/open-apis/v1`.

use std::env;

use cloudlake_sdk::webhook::WebhookReceiver;
use cloudlake_sdk::{Chat, Client, Error, Event, EventEnvelope, Message, Row};

/// `cloudlake serve`'s default address.
const LOCAL_BASE_URL: &str = "http://127.0.0.1:8080/open-apis/v1";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let token = env::var("CLOUDLAKE_BOT_TOKEN").map_err(|_| "set CLOUDLAKE_BOT_TOKEN")?;
    // The local server unless told otherwise: a bot token must not reach Yunhu by accident.
    let base_url = env::var("CLOUDLAKE_BASE_URL").unwrap_or_else(|_| LOCAL_BASE_URL.into());
    let client = Client::builder(token).base_url(base_url).build()?;
    let mut receiver = WebhookReceiver::new(move |envelope: EventEnvelope| {
        let client = client.clone();
        async move {
            if let Err(e) = on_event(&client, envelope).await {
                eprintln!("could not answer: {e}");
            }
        }
    });
    if let Ok(secret) = env::var("CLOUDLAKE_WEBHOOK_SECRET") {
        receiver = receiver.secret(&secret)?;
    }
    let listen = env::var("LISTEN").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!(
        "button-menu bot listening on http://{}/yunhu",
        listener.local_addr()?
    );
    axum::serve(listener, receiver.router("/yunhu")).await?;
    Ok(())
}

async fn on_event(client: &Client, envelope: EventEnvelope) -> Result<(), Error> {
    match envelope.typed() {
        Event::MessageNormal(m) if m.message.content.text.as_deref() == Some("menu") => {
            let to = match m.chat.chat_type.as_str() {
                "group" => Chat::group(m.chat.chat_id),
                _ => Chat::user(m.sender.sender_id),
            };
            let menu = Message::text("What would you like?")
                .row(Row::new().report("Tea", "tea").report("Coffee", "coffee"));
            client.send(&to, menu).await?;
        }
        // The click names the chat to answer in: a group, or (private) the user.
        Event::ButtonReport(click) => {
            let to = match click.recv_type.as_str() {
                "group" => Chat::group(click.recv_id),
                _ => Chat::user(click.recv_id),
            };
            let answer = Message::text(format!("One {} coming up!", click.value));
            client.send(&to, answer.reply_to(click.msg_id)).await?;
        }
        _ => {}
    }
    Ok(())
}
