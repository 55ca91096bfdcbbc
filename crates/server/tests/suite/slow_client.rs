//! A client that stops reading is cut loose instead of slowing anyone down, and loses nothing:
//! it is told to resync, and its reconnect replays the rest exactly once.

#![allow(clippy::unwrap_used)]

use std::collections::HashSet;

use crate::common::{TestServer, next_frame, quiet};
use serde_json::json;

const BOT: &str = "86297657";
const USER: &str = "7756242";
const GROUPS: usize = 200;
const ROUNDS: usize = 40;

#[tokio::test]
async fn a_client_that_stops_reading_is_told_to_resync_and_then_gets_everything_once() {
    let server = TestServer::start().await;
    let bot = server.bot(BOT).await;
    let user = server.user(USER, "slow").await;
    let fast = server.user("4827368", "fast").await;
    let groups: Vec<String> = (0..GROUPS)
        .map(|i| format!("{}", 300_000_000 + i))
        .collect();
    for group in &groups {
        server.group(group, &[USER]).await;
        server.join(BOT, group).await;
    }
    server.group("999999999", &["4827368"]).await;
    server.join(BOT, "999999999").await;

    let (mut slow, _) = server.live(&user, Some(0)).await;
    let (mut quick, _) = server.live(&fast, None).await;
    // ~2 KB per frame: the socket buffers fill after a few thousand frames, then the session's
    // bounded queue, and the gateway drops the session's feed.
    let filler = "x".repeat(2000);
    for round in 0..ROUNDS {
        let reply = server
            .post(
                "/bot/batch_send",
                &bot,
                json!({"recvIds": groups, "recvType": "group",
                "contentType": "text", "content": {"text": format!("{round} {filler}")}}),
            )
            .await;
        assert_eq!(reply["data"]["successCount"], GROUPS, "{}", reply["msg"]);
        // Someone else keeps getting their messages meanwhile.
        server
            .post(
                "/bot/send",
                &bot,
                crate::common::text("group", "999999999", &format!("quick {round}")),
            )
            .await;
        let frame = next_frame(&mut quick).await.unwrap();
        assert_eq!(
            frame["message"]["content"]["text"],
            format!("quick {round}")
        );
    }

    // Now the slow client reads: frames up to the gap, then a resync.
    let mut seen = HashSet::new();
    let resync = loop {
        let frame = next_frame(&mut slow).await.expect("frames, then a resync");
        match frame["type"].as_str().unwrap() {
            "message" => {
                assert!(seen.insert(frame["message"]["msgId"].as_str().unwrap().to_owned()))
            }
            "resync" => break frame,
            other => panic!("unexpected {other}"),
        }
    };
    assert_eq!(resync["reason"], "lagging");
    assert!(
        seen.len() < GROUPS * ROUNDS,
        "the slow client did fall behind"
    );

    let (mut slow, _) = server
        .live(&user, Some(resync["cursor"].as_i64().unwrap()))
        .await;
    while seen.len() < GROUPS * ROUNDS {
        let frame = next_frame(&mut slow).await.expect("the replay");
        assert!(
            seen.insert(frame["message"]["msgId"].as_str().unwrap().to_owned()),
            "a duplicate"
        );
    }
    assert!(quiet(&mut slow, 200).await);
}
