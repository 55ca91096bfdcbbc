//! The per-bot, per-API rate limit (wire §8) against a running server.

#![allow(clippy::unwrap_used)]

use std::num::NonZeroU32;
use std::time::Duration;

use crate::common::TestServer;
use cloudlake_server::config::RateLimit;
use serde_json::{Value, json};

const GROUP: &str = "307149245";

async fn setup(limit: RateLimit) -> (TestServer, String, String) {
    let server = TestServer::start_with(|config| config.rate_limit = limit).await;
    let a = server.bot("11111111").await;
    let b = server.bot("22222222").await;
    server.group(GROUP, &[]).await;
    server.join("11111111", GROUP).await;
    server.join("22222222", GROUP).await;
    (server, a, b)
}

async fn history(server: &TestServer, token: &str) -> Value {
    server
        .messages(
            token,
            &[("chat-id", GROUP), ("chat-type", "group"), ("before", "1")],
        )
        .await
}

#[tokio::test]
async fn a_burst_is_limited_and_the_next_window_is_not() {
    let (server, a, b) = setup(RateLimit::PerSecond(NonZeroU32::new(5).unwrap())).await;
    let mut replies = Vec::new();
    for _ in 0..12 {
        replies.push(history(&server, &a).await);
    }
    // A burst of 5 is allowed at once; the requests right after it are refused, with the
    // exact envelope.
    assert!(replies[..5].iter().all(|r| r["code"] == 1), "{replies:?}");
    let refused = replies.iter().find(|r| r["code"] != 1).unwrap();
    assert_eq!(
        refused,
        &json!({"code": 1007, "msg": "请求过于频繁，请稍后再试"})
    );

    // Counted per API and per bot: another call of the same bot, and the same call of
    // another bot, are not affected.
    let reply = server
        .post("/bot/send", &a, crate::common::text("group", GROUP, "hi"))
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    assert_eq!(history(&server, &b).await["code"], 1);

    // After the window, the bot may call again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(history(&server, &a).await["code"], 1);
}

#[tokio::test]
async fn off_never_limits() {
    let (server, a, _) = setup(RateLimit::Off).await;
    for _ in 0..60 {
        assert_eq!(history(&server, &a).await["code"], 1);
    }
}

#[test]
fn the_setting_reads_off_yunhu_and_numbers() {
    assert_eq!("off".parse::<RateLimit>(), Ok(RateLimit::Off));
    assert_eq!(
        "yunhu".parse::<RateLimit>(),
        Ok(RateLimit::PerSecond(NonZeroU32::new(10).unwrap()))
    );
    assert_eq!(
        "250".parse::<RateLimit>(),
        Ok(RateLimit::PerSecond(NonZeroU32::new(250).unwrap()))
    );
    assert_eq!(
        RateLimit::default(),
        RateLimit::PerSecond(NonZeroU32::new(1000).unwrap())
    );
    for bad in ["0", "-3", "fast", ""] {
        assert!(bad.parse::<RateLimit>().is_err(), "{bad}");
    }
}
