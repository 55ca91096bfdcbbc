//! Direct messages between two people (issue 21): starting one (twice is the same chat),
//! both sides seeing its messages live and in history with unread counts, edits, recalls,
//! replies and search, and no one else — a third user, or any bot — reading or hearing any
//! of it. Runs on both engines (CLOUDLAKE_TEST_DATABASE_URL for PostgreSQL).

#![allow(clippy::unwrap_used)]

use crate::common::{TestServer, next_frame, quiet};
use reqwest::Method;
use serde_json::{Value, json};

/// IDs chosen so that Bob's sorts before Alice's: the chat ID is the pair in byte order,
/// whoever starts it.
const ALICE: &str = "7756242";
const BOB: &str = "1234567";
const CAROL: &str = "5550001";
const BOT: &str = "86297657";
const DM: &str = "1234567:7756242";

struct People {
    server: TestServer,
    alice: String,
    bob: String,
    carol: String,
    bot: String,
}

/// Alice, Bob and Carol; a bot that follows all three and shares a group with them, so that
/// it would hear of a direct message if any reached a bot.
async fn setup() -> People {
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    let bob = server.user(BOB, "Bob").await;
    let carol = server.user(CAROL, "Carol").await;
    let bot = server.bot(BOT).await;
    for user in [ALICE, BOB, CAROL] {
        server.follow(BOT, user).await;
    }
    server.group("307149245", &[ALICE, BOB, CAROL]).await;
    server.join(BOT, "307149245").await;
    People {
        server,
        alice,
        bob,
        carol,
        bot,
    }
}

fn text(text: &str) -> Value {
    json!({"contentType": "text", "content": {"text": text}})
}

fn dm_of(chats: &Value) -> Option<&Value> {
    chats["chats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["chatType"] == "dm")
}

#[tokio::test]
async fn starting_twice_from_either_side_is_the_same_chat() {
    let p = setup().await;
    let (status, first) = p
        .server
        .user_api(Method::POST, &p.alice, "/dms", Some(json!({"userId": BOB})))
        .await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(
        first,
        json!({
            "chatType": "dm",
            "chatId": DM,
            "userId": BOB,
            "name": "Bob",
            "avatarUrl": "",
            "role": null,
            "unread": 0,
            "mentions": 0,
            "lastSeq": 0,
            "lastMessage": null,
        })
    );
    let (status, again) = p
        .server
        .user_api(Method::POST, &p.alice, "/dms", Some(json!({"userId": BOB})))
        .await;
    assert_eq!((status, &again), (200, &first));
    let (status, from_bob) = p
        .server
        .user_api(Method::POST, &p.bob, "/dms", Some(json!({"userId": ALICE})))
        .await;
    assert_eq!(status, 200, "{from_bob}");
    assert_eq!(from_bob["chatId"], DM);
    assert_eq!(from_bob["userId"], ALICE);
    assert_eq!(from_bob["name"], "Alice");
    let rows = p
        .server
        .db_rows("SELECT user_lo, user_hi FROM direct_chats");
    assert_eq!(rows, vec![vec![json!(BOB), json!(ALICE)]]);
    // Both see it in their chat list, as soon as it is started.
    for (token, name) in [(&p.alice, "Bob"), (&p.bob, "Alice")] {
        let (_, chats) = p.server.user_api(Method::GET, token, "/chats", None).await;
        assert_eq!(dm_of(&chats).unwrap()["name"], name, "{chats}");
    }
    let (_, chats) = p
        .server
        .user_api(Method::GET, &p.carol, "/chats", None)
        .await;
    assert!(dm_of(&chats).is_none(), "{chats}");
}

#[tokio::test]
async fn bad_starts_are_refused_and_change_nothing() {
    let p = setup().await;
    let cases = [
        (
            json!({"userId": ALICE}),
            400,
            "you cannot start direct messages with yourself",
        ),
        (json!({"userId": "9999999"}), 404, "no user \"9999999\""),
        (json!({"userId": "a:b"}), 404, "no user \"a:b\""),
    ];
    for (body, status, message) in cases {
        let (got, answer) = p
            .server
            .user_api(Method::POST, &p.alice, "/dms", Some(body.clone()))
            .await;
        assert_eq!(got, status, "{body}: {answer}");
        assert_eq!(answer["error"]["message"], message, "{answer}");
    }
    for body in [
        json!({}),
        json!({"userId": 7756242}),
        json!({"userId": BOB, "x": 1}),
    ] {
        let (got, answer) = p
            .server
            .user_api(Method::POST, &p.alice, "/dms", Some(body.clone()))
            .await;
        assert_eq!(got, 400, "{body}: {answer}");
    }
    let (got, _) = p
        .server
        .user_api(
            Method::POST,
            "wrong-token",
            "/dms",
            Some(json!({"userId": BOB})),
        )
        .await;
    assert_eq!(got, 401);
    assert!(p.server.db_rows("SELECT * FROM direct_chats").is_empty());
    // A malformed dm chat ID is a bad request; one out of order names no chat.
    let (got, _) = p
        .server
        .user_api(
            Method::GET,
            &p.alice,
            "/chats/dm/7756242:1234567/messages",
            None,
        )
        .await;
    assert_eq!(got, 400);
    let (got, _) = p
        .server
        .user_api(Method::GET, &p.alice, "/chats/dm/7756242/messages", None)
        .await;
    assert_eq!(got, 400);
    // Not started yet: not a chat of Alice's.
    let (got, _) = p
        .server
        .user_api(
            Method::GET,
            &p.alice,
            &format!("/chats/dm/{DM}/messages"),
            None,
        )
        .await;
    assert_eq!(got, 404);
}

#[tokio::test]
async fn both_see_it_live_and_in_history_with_unread_and_no_one_else_does() {
    let p = setup().await;
    let (mut bob_ws, _) = p.server.live(&p.bob, None).await;
    let (mut carol_ws, _) = p.server.live(&p.carol, None).await;
    let (status, _) = p
        .server
        .user_api(Method::POST, &p.alice, "/dms", Some(json!({"userId": BOB})))
        .await;
    assert_eq!(status, 201);
    let path = format!("/chats/dm/{DM}/messages");
    let (status, sent) = p
        .server
        .user_api(Method::POST, &p.alice, &path, Some(text("hi Bob")))
        .await;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(sent["chatType"], "dm");
    assert_eq!(sent["chatId"], DM);
    assert_eq!(sent["seq"], 1);
    assert_eq!(sent["senderId"], ALICE);
    assert_eq!(sent["senderNickname"], "Alice");
    // Bob's open session, opened before the chat existed, gets it live.
    let frame = next_frame(&mut bob_ws).await.unwrap();
    assert_eq!(frame["type"], "message", "{frame}");
    assert_eq!(frame["message"], sent);
    // Bob's list: one unread from Alice, named after her.
    let (_, chats) = p.server.user_api(Method::GET, &p.bob, "/chats", None).await;
    let dm = dm_of(&chats).unwrap();
    assert_eq!(dm["unread"], 1);
    assert_eq!(dm["lastSeq"], 1);
    assert_eq!(dm["lastMessage"], sent);
    assert_eq!(dm["name"], "Alice");
    // Alice's own message is not unread for her.
    let (_, chats) = p
        .server
        .user_api(Method::GET, &p.alice, "/chats", None)
        .await;
    assert_eq!(dm_of(&chats).unwrap()["unread"], 0);
    // A mention of Bob counts as one.
    let mention = json!({"contentType": "text", "content": {"text": "@Bob look", "at": [BOB]}});
    let (status, _) = p
        .server
        .user_api(Method::POST, &p.alice, &path, Some(mention))
        .await;
    assert_eq!(status, 201);
    let (_, chats) = p.server.user_api(Method::GET, &p.bob, "/chats", None).await;
    let dm = dm_of(&chats).unwrap();
    assert_eq!((&dm["unread"], &dm["mentions"]), (&json!(2), &json!(1)));
    // Bob reads, replies quoting Alice, edits and recalls; history pages like any chat's.
    let (status, read) = p
        .server
        .user_api(
            Method::POST,
            &p.bob,
            &format!("/chats/dm/{DM}/read"),
            Some(json!({"seq": 2})),
        )
        .await;
    assert_eq!((status, read), (200, json!({"seq": 2})));
    let (_, chats) = p.server.user_api(Method::GET, &p.bob, "/chats", None).await;
    assert_eq!(dm_of(&chats).unwrap()["unread"], 0);
    let mut reply = text("hello Alice");
    reply["parentId"] = sent["msgId"].clone();
    let (status, replied) = p
        .server
        .user_api(Method::POST, &p.bob, &path, Some(reply))
        .await;
    assert_eq!(status, 201, "{replied}");
    assert_eq!(replied["parentId"], sent["msgId"]);
    let (_, chats) = p
        .server
        .user_api(Method::GET, &p.alice, "/chats", None)
        .await;
    assert_eq!(dm_of(&chats).unwrap()["unread"], 1);
    let msg = replied["msgId"].as_str().unwrap();
    let (status, edited) = p
        .server
        .user_api(
            Method::POST,
            &p.bob,
            &format!("/messages/{msg}/edit"),
            Some(text("hello, Alice")),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    // Alice cannot change Bob's message.
    let (status, _) = p
        .server
        .user_api(Method::DELETE, &p.alice, &format!("/messages/{msg}"), None)
        .await;
    assert_eq!(status, 403);
    let (_, page) = p
        .server
        .user_api(Method::GET, &p.alice, &format!("{path}?limit=2"), None)
        .await;
    let texts: Vec<&str> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["@Bob look", "hello, Alice"]);
    assert_eq!(page["hasMore"], true);
    let (_, older) = p
        .server
        .user_api(Method::GET, &p.alice, &format!("{path}?beforeSeq=2"), None)
        .await;
    assert_eq!(older["messages"][0]["content"]["text"], "hi Bob");
    assert_eq!(older["hasMore"], false);
    let (status, _) = p
        .server
        .user_api(Method::DELETE, &p.bob, &format!("/messages/{msg}"), None)
        .await;
    assert_eq!(status, 204);
    // Bob's live session saw all of it, in order.
    let kinds: Vec<Value> = {
        let mut kinds = Vec::new();
        for _ in 0..4 {
            kinds.push(next_frame(&mut bob_ws).await.unwrap()["type"].clone());
        }
        kinds
    };
    assert_eq!(
        kinds,
        ["message", "message", "message.edited", "message.recalled"]
    );
    // Search finds it for both, named after the other, and never for Carol.
    let (_, found) = p
        .server
        .user_api(Method::GET, &p.bob, "/search?q=hi%20Bob", None)
        .await;
    assert_eq!(found["results"].as_array().unwrap().len(), 1, "{found}");
    assert_eq!(
        found["results"][0]["chat"],
        json!({"chatType": "dm", "chatId": DM, "name": "Alice"})
    );
    let (_, found) = p
        .server
        .user_api(Method::GET, &p.alice, "/search?q=hi%20Bob", None)
        .await;
    assert_eq!(found["results"][0]["chat"]["name"], "Bob");
    let (status, found) = p
        .server
        .user_api(Method::GET, &p.carol, "/search?q=hi%20Bob", None)
        .await;
    assert_eq!(
        (status, found),
        (200, json!({"results": [], "hasMore": false}))
    );
    // Carol: no history, no send, no read marker, no edit, no reply target, nothing live.
    let (status, _) = p.server.user_api(Method::GET, &p.carol, &path, None).await;
    assert_eq!(status, 404);
    let (status, _) = p
        .server
        .user_api(Method::POST, &p.carol, &path, Some(text("let me in")))
        .await;
    assert_eq!(status, 404);
    let (status, _) = p
        .server
        .user_api(
            Method::POST,
            &p.carol,
            &format!("/chats/dm/{DM}/read"),
            Some(json!({"seq": 1})),
        )
        .await;
    assert_eq!(status, 404);
    let first = sent["msgId"].as_str().unwrap();
    let (status, _) = p
        .server
        .user_api(
            Method::POST,
            &p.carol,
            &format!("/messages/{first}/edit"),
            Some(text("x")),
        )
        .await;
    assert_eq!(status, 404);
    assert!(
        quiet(&mut carol_ws, 300).await,
        "Carol's live session heard the DM"
    );
    // Carol replaying from the start sees no DM either.
    let (mut replay_ws, _) = p.server.live(&p.carol, Some(0)).await;
    while let Some(frame) = tokio::time::timeout(
        std::time::Duration::from_millis(300),
        next_frame(&mut replay_ws),
    )
    .await
    .ok()
    .flatten()
    {
        assert_ne!(frame["message"]["chatType"], "dm", "{frame}");
    }
    // The bot API has no such chat: the bot's history with Alice holds none of it, and a
    // `dm` chat type is no Yunhu chat type.
    assert!(p.server.history_ids(&p.bot, "user", ALICE).await.is_empty());
    let reply = p
        .server
        .messages(
            &p.bot,
            &[("chat-id", DM), ("chat-type", "dm"), ("before", "10")],
        )
        .await;
    assert_ne!(reply["code"], 1, "{reply}");
    // No bot heard of any of it: the bot's outbox holds only what the setup caused.
    for event in p.server.outbox(BOT) {
        let kind = event["header"]["eventType"].as_str().unwrap().to_owned();
        assert!(!kind.starts_with("message."), "a bot got {event}");
    }
}

#[tokio::test]
async fn people_are_found_by_name_bounded_and_truncated() {
    let p = setup().await;
    p.server.user("1000001", "Al_ice 100%").await;
    let people = |q: &str| {
        let path = format!("/users?{q}");
        let server = &p.server;
        let token = p.carol.clone();
        async move { server.user_api(Method::GET, &token, &path, None).await }
    };
    let (status, all) = people("").await;
    assert_eq!(status, 200, "{all}");
    let names: Vec<&str> = all["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["nickname"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Al_ice 100%", "Alice", "Bob", "Carol"]);
    assert_eq!(all["truncated"], false);
    let (_, found) = people("query=aL").await;
    assert_eq!(
        found,
        json!({"users": [
            {"userId": "1000001", "nickname": "Al_ice 100%", "avatarUrl": ""},
            {"userId": ALICE, "nickname": "Alice", "avatarUrl": ""},
        ], "truncated": false})
    );
    // `_` and `%` are searched as text, not as wildcards.
    let (_, found) = people("query=l_i").await;
    assert_eq!(found["users"].as_array().unwrap().len(), 1, "{found}");
    let (_, found) = people("query=%25").await;
    assert_eq!(found["users"][0]["userId"], "1000001");
    // By exact ID.
    let (_, found) = people(&format!("query={BOB}")).await;
    assert_eq!(found["users"][0]["nickname"], "Bob");
    let (_, cut) = people("limit=2").await;
    assert_eq!(cut["users"].as_array().unwrap().len(), 2);
    assert_eq!(cut["truncated"], true);
    for bad in ["limit=0", "limit=51", "limit=x", "nope=1"] {
        let (status, _) = people(bad).await;
        assert_eq!(status, 400, "{bad}");
    }
    let (status, _) = people(&format!("query={}", "a".repeat(101))).await;
    assert_eq!(status, 400);
    let (status, _) = p
        .server
        .user_api(Method::GET, "wrong-token", "/users", None)
        .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn deleting_a_user_ends_their_direct_chats_with_their_history() {
    let p = setup().await;
    let (status, _) = p
        .server
        .user_api(Method::POST, &p.alice, "/dms", Some(json!({"userId": BOB})))
        .await;
    assert_eq!(status, 201);
    let path = format!("/chats/dm/{DM}/messages");
    let (status, _) = p
        .server
        .user_api(Method::POST, &p.alice, &path, Some(text("before")))
        .await;
    assert_eq!(status, 201);
    let (status, _) = p
        .server
        .admin(Method::DELETE, &format!("/users/{BOB}"), None)
        .await;
    assert_eq!(status, 204);
    let (_, chats) = p
        .server
        .user_api(Method::GET, &p.alice, "/chats", None)
        .await;
    assert!(dm_of(&chats).is_none(), "{chats}");
    for (method, body) in [(Method::GET, None), (Method::POST, Some(text("anyone?")))] {
        let (status, _) = p.server.user_api(method, &p.alice, &path, body).await;
        assert_eq!(status, 404);
    }
    let (status, _) = p
        .server
        .user_api(Method::POST, &p.alice, "/dms", Some(json!({"userId": BOB})))
        .await;
    assert_eq!(status, 404, "no such user any more");
    // A new user under the same ID starts afresh: the old conversation is not theirs.
    let new_bob = p.server.user(BOB, "Another Bob").await;
    let (status, chat) = p
        .server
        .user_api(
            Method::POST,
            &new_bob,
            "/dms",
            Some(json!({"userId": ALICE})),
        )
        .await;
    assert_eq!(status, 201, "{chat}");
    assert_eq!(
        (&chat["lastSeq"], &chat["lastMessage"]),
        (&json!(0), &Value::Null)
    );
    let (status, page) = p.server.user_api(Method::GET, &new_bob, &path, None).await;
    assert_eq!(
        (status, page),
        (200, json!({"messages": [], "hasMore": false}))
    );
    let (_, found) = p
        .server
        .user_api(Method::GET, &new_bob, "/search?q=before", None)
        .await;
    assert_eq!(found["results"], json!([]));
    let (status, sent) = p
        .server
        .user_api(Method::POST, &new_bob, &path, Some(text("hello")))
        .await;
    assert_eq!(status, 201);
    assert_eq!(sent["seq"], 1);
}
