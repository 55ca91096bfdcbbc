//! Search in one's chats (`GET /api/v1/search`): Chinese and English text, found by the
//! index (three characters or more) and by the short-query scan (one or two, common in
//! Chinese), edits found by their new text only, recalls never, and never a message from a
//! chat the user cannot read now. Like the whole suite, on SQLite, and on PostgreSQL under
//! `CLOUDLAKE_TEST_DATABASE_URL`.

#![allow(clippy::unwrap_used)]

use crate::common::{TestServer, text};
use reqwest::Method;
use serde_json::{Value, json};

const BOT: &str = "86297657";
const GROUP: &str = "307149245";
const OTHER_GROUP: &str = "665344168";
const ALICE: &str = "7756242";
const BOB: &str = "5551212";

/// A group with Bob (its first member) and Alice and the bot in it; a second group with Bob
/// only; the bot followed by both.
async fn setup() -> (TestServer, String, String, String) {
    let server = TestServer::start().await;
    let bot = server.bot(BOT).await;
    let alice = server.user(ALICE, "Alice").await;
    let bob = server.user(BOB, "Bob").await;
    server.group(GROUP, &[BOB, ALICE]).await;
    server.group(OTHER_GROUP, &[BOB]).await;
    server.join(BOT, GROUP).await;
    server.join(BOT, OTHER_GROUP).await;
    server.follow(BOT, ALICE).await;
    server.follow(BOT, BOB).await;
    (server, bot, alice, bob)
}

/// The bot sends `text` (contentType `kind`) to a group or a user; returns the msgId.
async fn bot_sends(
    server: &TestServer,
    bot: &str,
    recv_type: &str,
    recv_id: &str,
    body: &str,
) -> String {
    let reply = server
        .post("/bot/send", bot, text(recv_type, recv_id, body))
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    reply["data"]["messageInfo"]["msgId"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A search by `token`, answered 200: the whole body.
async fn search(server: &TestServer, token: &str, query: &[(&str, &str)]) -> Value {
    let resp = server
        .http
        .get(server.url("/api/v1/search"))
        .bearer_auth(token)
        .query(query)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(status, 200, "{query:?}: {body}");
    body
}

/// The texts a search for `q` finds, newest first.
async fn found(server: &TestServer, token: &str, q: &str) -> Vec<String> {
    search(server, token, &[("q", q)]).await["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hit| {
            hit["message"]["content"]["text"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn finds_chinese_and_english_text_newest_first_with_its_chat() {
    let (server, bot, alice, _) = setup().await;
    bot_sends(&server, &bot, "group", GROUP, "今天天气很好，我们去公园吧").await;
    bot_sends(
        &server,
        &bot,
        "group",
        GROUP,
        "The weekly Meeting moves to Friday",
    )
    .await;
    // A user's own message, and one in the private chat with the bot.
    let (status, mine) = server
        .user_api(
            Method::POST,
            &alice,
            &format!("/chats/group/{GROUP}/messages"),
            Some(json!({"contentType": "markdown", "content": {"text": "你好，**meeting** 见"}})),
        )
        .await;
    assert_eq!(status, 201, "{mine}");
    bot_sends(
        &server,
        &bot,
        "user",
        ALICE,
        "你好 Alice, your meeting notes",
    )
    .await;
    bot_sends(&server, &bot, "group", GROUP, "无关的消息 unrelated").await;

    // Three characters or more: the index. Chinese inside a sentence, English in any case.
    assert_eq!(
        found(&server, &alice, "天气很").await,
        ["今天天气很好，我们去公园吧"]
    );
    assert_eq!(
        found(&server, &alice, "MEETING").await,
        [
            "你好 Alice, your meeting notes",
            "你好，**meeting** 见",
            "The weekly Meeting moves to Friday"
        ],
        "newest first, across chats, case ignored"
    );
    assert_eq!(
        found(&server, &alice, "moves to fri").await,
        ["The weekly Meeting moves to Friday"],
        "a phrase with spaces is one substring"
    );
    // Two characters and one: the scan of the user's chats.
    assert_eq!(
        found(&server, &alice, "你好").await,
        ["你好 Alice, your meeting notes", "你好，**meeting** 见"]
    );
    assert_eq!(
        found(&server, &alice, "园").await,
        ["今天天气很好，我们去公园吧"]
    );
    assert_eq!(
        found(&server, &alice, "fr").await,
        ["The weekly Meeting moves to Friday"]
    );
    assert!(found(&server, &alice, "不存在的词").await.is_empty());
    assert!(found(&server, &alice, "无有").await.is_empty());

    // Each hit is the message as history shows it, with its chat.
    let body = search(&server, &alice, &[("q", "你好，")]).await;
    assert_eq!(body["hasMore"], false);
    let hit = &body["results"][0];
    assert_eq!(
        hit["chat"],
        json!({"chatType": "group", "chatId": GROUP, "name": format!("group {GROUP}")})
    );
    assert!(hit["cursor"].as_i64().unwrap() > 0);
    let (_, history) = server
        .user_api(
            Method::GET,
            &alice,
            &format!("/chats/group/{GROUP}/messages"),
            None,
        )
        .await;
    let shown = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["msgId"] == mine["msgId"])
        .unwrap();
    assert_eq!(&hit["message"], shown);
    let private = &search(&server, &alice, &[("q", "notes")]).await["results"][0];
    assert_eq!(
        private["chat"],
        json!({"chatType": "bot", "chatId": BOT, "name": format!("bot {BOT}")})
    );
}

#[tokio::test]
async fn pages_go_back_by_cursor() {
    let (server, bot, alice, _) = setup().await;
    for i in 0..5 {
        bot_sends(&server, &bot, "group", GROUP, &format!("第{i}条 report")).await;
    }
    for q in ["report", "条"] {
        let first = search(&server, &alice, &[("q", q), ("limit", "2")]).await;
        assert_eq!(first["hasMore"], true, "{q}");
        let texts = |body: &Value| -> Vec<String> {
            body["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["message"]["content"]["text"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(texts(&first), ["第4条 report", "第3条 report"], "{q}");
        let cursor = first["results"][1]["cursor"].as_i64().unwrap().to_string();
        let rest = search(
            &server,
            &alice,
            &[("q", q), ("limit", "3"), ("before", &cursor)],
        )
        .await;
        assert_eq!(
            texts(&rest),
            ["第2条 report", "第1条 report", "第0条 report"],
            "{q}"
        );
        assert_eq!(rest["hasMore"], false, "{q}");
    }
}

#[tokio::test]
async fn wildcards_and_operators_are_searched_as_text() {
    let (server, bot, alice, _) = setup().await;
    bot_sends(&server, &bot, "group", GROUP, "50% off today").await;
    bot_sends(&server, &bot, "group", GROUP, "500 off tomorrow").await;
    bot_sends(&server, &bot, "group", GROUP, "a_b and \"quoted\" OR NOT").await;
    bot_sends(&server, &bot, "group", GROUP, "axb").await;
    assert_eq!(found(&server, &alice, "50%").await, ["50% off today"]);
    assert_eq!(found(&server, &alice, "0%").await, ["50% off today"]);
    assert_eq!(
        found(&server, &alice, "a_b").await,
        ["a_b and \"quoted\" OR NOT"]
    );
    assert_eq!(
        found(&server, &alice, "_").await,
        ["a_b and \"quoted\" OR NOT"]
    );
    assert_eq!(
        found(&server, &alice, "\"quoted\" OR").await,
        ["a_b and \"quoted\" OR NOT"]
    );
    assert!(found(&server, &alice, "%").await.len() == 1);
}

#[tokio::test]
async fn an_edited_message_is_found_by_its_new_text_and_a_recalled_one_never() {
    let (server, bot, alice, _) = setup().await;
    let msg_id = bot_sends(&server, &bot, "group", GROUP, "原来的文字 original wording").await;
    assert_eq!(found(&server, &alice, "原来的").await.len(), 1);
    let edited = server
        .post(
            "/bot/edit",
            &bot,
            json!({"msgId": msg_id, "recvId": GROUP, "recvType": "group", "contentType": "text",
                   "content": {"text": "修改后的文字 revised wording"}}),
        )
        .await;
    assert_eq!(edited["code"], 1, "{edited}");
    for old in ["原来的", "原来", "original"] {
        assert!(found(&server, &alice, old).await.is_empty(), "{old}");
    }
    for new in ["修改后", "修改", "revised", "wording"] {
        assert_eq!(
            found(&server, &alice, new).await,
            ["修改后的文字 revised wording"],
            "{new}"
        );
    }
    let recalled = server
        .post(
            "/bot/recall",
            &bot,
            json!({"msgId": msg_id, "chatId": GROUP, "chatType": "group"}),
        )
        .await;
    assert_eq!(recalled["code"], 1, "{recalled}");
    for q in ["修改后", "修改", "revised", "原来的"] {
        assert!(found(&server, &alice, q).await.is_empty(), "{q}");
    }
}

#[tokio::test]
async fn never_a_message_from_a_chat_the_user_cannot_read() {
    let (server, bot, alice, bob) = setup().await;
    // Bob's group without Alice, and Bob's private chat with the bot.
    bot_sends(&server, &bot, "group", OTHER_GROUP, "秘密计划 secret plan").await;
    bot_sends(&server, &bot, "user", BOB, "秘密 secret plan for Bob").await;
    bot_sends(&server, &bot, "group", GROUP, "公开 shared plan").await;
    // The queries do match: Bob, who may read all three chats, finds them.
    assert_eq!(found(&server, &bob, "secret plan").await.len(), 2);
    assert_eq!(found(&server, &bob, "秘密").await.len(), 2);
    assert_eq!(found(&server, &bob, "plan").await.len(), 3);
    for q in ["secret plan", "秘密", "秘密计划", "secret", "密"] {
        assert!(found(&server, &alice, q).await.is_empty(), "{q}");
    }
    assert_eq!(found(&server, &alice, "plan").await, ["公开 shared plan"]);
    assert_eq!(found(&server, &alice, "公开").await, ["公开 shared plan"]);

    // Once Alice leaves the group, nothing of it; once she unfollows the bot, nothing of
    // that chat either.
    bot_sends(&server, &bot, "user", ALICE, "私聊 private plan").await;
    assert_eq!(found(&server, &alice, "plan").await.len(), 2);
    let (status, body) = server
        .user_api(
            Method::POST,
            &alice,
            &format!("/groups/{GROUP}/leave"),
            None,
        )
        .await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(found(&server, &alice, "plan").await, ["私聊 private plan"]);
    for q in ["公开", "shared plan", "公开 shared"] {
        assert!(found(&server, &alice, q).await.is_empty(), "{q}");
    }
    let (status, _) = server
        .user_api(Method::DELETE, &alice, &format!("/bots/{BOT}/follow"), None)
        .await;
    assert_eq!(status, 204);
    for q in ["plan", "私聊", "private"] {
        assert!(found(&server, &alice, q).await.is_empty(), "{q}");
    }
    // Bob, still in both, still finds the group's message.
    assert_eq!(found(&server, &bob, "公开").await, ["公开 shared plan"]);
}

#[tokio::test]
async fn bad_searches_are_refused_with_a_clear_error() {
    let (server, bot, alice, _) = setup().await;
    bot_sends(&server, &bot, "group", GROUP, "something to find").await;
    let long = "长".repeat(101);
    let cases: [(&[(&str, &str)], &str); 9] = [
        (&[], "q (what to search for) is missing"),
        (&[("q", "")], "the search query is empty"),
        (&[("q", "  \t ")], "the search query is empty"),
        (&[("q", &long)], "101 characters long; at most 100"),
        (&[("q", "so\0me")], "contains a NUL character"),
        (
            &[("q", "find"), ("limit", "0")],
            "limit 0 is not between 1 and 50",
        ),
        (
            &[("q", "find"), ("limit", "51")],
            "limit 51 is not between 1 and 50",
        ),
        (
            &[("q", "find"), ("before", "0")],
            "before 0 is not a cursor",
        ),
        (&[("q", "find"), ("limit", "many")], "limit"),
    ];
    for (query, expected) in cases {
        let resp = server
            .http
            .get(server.url("/api/v1/search"))
            .bearer_auth(&alice)
            .query(query)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 400, "{query:?}");
        let body: Value = resp.json().await.unwrap();
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(expected), "{query:?}: {message}");
    }
    let resp = server
        .http
        .get(server.url("/api/v1/search"))
        .query(&[("q", "find")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    // A hundred characters is still a query.
    let hundred = "长".repeat(100);
    assert!(found(&server, &alice, &hundred).await.is_empty());
    assert_eq!(found(&server, &alice, "find").await, ["something to find"]);
}

/// A NUL in a text (which JSON escapes and PostgreSQL's `jsonb` refuses) neither stops the
/// message from being stored and indexed nor the search around it.
#[tokio::test]
async fn a_text_with_a_nul_is_stored_and_found() {
    let (server, bot, alice, _) = setup().await;
    bot_sends(&server, &bot, "group", GROUP, "before\u{0}after 空字符").await;
    assert_eq!(
        found(&server, &alice, "空字符").await,
        ["before\u{0}after 空字符"]
    );
    assert_eq!(found(&server, &alice, "after").await.len(), 1);
}

/// The index is kept by an indexer thread that follows the database's cursors (on SQLite in
/// `search.db`, on PostgreSQL in `message_search`): what it has not reached yet is found by a
/// scan, a restart catches up, and (SQLite) a lost file is rebuilt. These look into the index
/// to know where the indexer stands.
mod index {
    use std::path::Path;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use rusqlite::{Connection, OpenFlags};

    use super::*;
    use crate::common::{db_rows, on_postgres, test_database};
    use cloudlake_server::store::SEARCH_DB_FILE;

    fn read_only(path: &Path) -> Connection {
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        conn.busy_timeout(Duration::from_secs(5)).unwrap();
        conn
    }

    /// The highest cursor in the database: new messages' and the chat log's.
    fn last_cursor(dir: &Path) -> i64 {
        db_rows(
            dir,
            "SELECT MAX(last) FROM (SELECT COALESCE(MAX(id), 0) AS last FROM messages \
             UNION ALL SELECT COALESCE(MAX(id), 0) FROM chat_log) AS heads",
        )[0][0]
            .as_i64()
            .unwrap()
    }

    /// The last cursor the index holds.
    fn watermark(dir: &Path) -> i64 {
        if on_postgres() {
            return db_rows(dir, "SELECT watermark FROM search_state")[0][0]
                .as_i64()
                .unwrap();
        }
        read_only(&dir.join(SEARCH_DB_FILE))
            .query_row("SELECT watermark FROM index_state", [], |r| r.get(0))
            .unwrap()
    }

    /// The messages (ids) whose indexed text contains `text` (no quote in it): the index
    /// itself, no scan.
    fn in_index(dir: &Path, text: &str) -> Vec<i64> {
        if on_postgres() {
            let sql = format!("SELECT id FROM message_search WHERE text ILIKE '%{text}%'");
            return db_rows(dir, &sql)
                .into_iter()
                .map(|row| row[0].as_i64().unwrap())
                .collect();
        }
        read_only(&dir.join(SEARCH_DB_FILE))
            .prepare("SELECT rowid FROM message_search WHERE message_search MATCH ?1")
            .unwrap()
            .query_map([format!("\"{text}\"")], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// Waits until the indexer has reached the database's last cursor.
    async fn indexed(dir: &Path) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while watermark(dir) < last_cursor(dir) {
            assert!(Instant::now() < deadline, "the indexer did not catch up");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Holds the indexer where it is until dropped: the index cannot move its watermark
    /// (searches read on).
    enum Held {
        /// `search.db`'s write lock: the indexer cannot commit.
        Sqlite(#[allow(dead_code)] Connection),
        /// The watermark's row, locked by a transaction on a thread of its own (the client
        /// runs a runtime of its own): the indexer skips its turn. Ended when the sender drops.
        Postgres(
            Option<mpsc::Sender<()>>,
            Option<std::thread::JoinHandle<()>>,
        ),
    }

    impl Drop for Held {
        fn drop(&mut self) {
            if let Held::Postgres(release, thread) = self {
                drop(release.take());
                thread.take().unwrap().join().unwrap();
            }
        }
    }

    fn hold_indexer(dir: &Path) -> Held {
        let Some(url) = test_database(dir) else {
            let conn = Connection::open(dir.join(SEARCH_DB_FILE)).unwrap();
            conn.execute_batch("BEGIN IMMEDIATE").unwrap();
            return Held::Sqlite(conn);
        };
        let (release, released) = mpsc::channel::<()>();
        let (locked, is_locked) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            let mut tx = client.transaction().unwrap();
            tx.query("SELECT watermark FROM search_state FOR UPDATE", &[])
                .unwrap();
            locked.send(()).unwrap();
            let _ = released.recv();
            tx.rollback().unwrap();
        });
        is_locked.recv().unwrap();
        Held::Postgres(Some(release), Some(thread))
    }

    #[tokio::test]
    async fn a_message_is_found_right_after_it_is_sent_before_the_indexer_has_it() {
        let (server, bot, alice, _) = setup().await;
        let dir = server.dir.path().to_owned();
        bot_sends(&server, &bot, "group", GROUP, "先发的消息 indexed first").await;
        indexed(&dir).await;
        let held = hold_indexer(&dir);
        bot_sends(&server, &bot, "group", GROUP, "刚发的消息 just sent").await;
        bot_sends(&server, &bot, "user", ALICE, "私聊里刚发的 just sent too").await;
        assert!(watermark(&dir) < last_cursor(&dir), "the index is behind");
        assert!(in_index(&dir, "刚发的").is_empty());
        let expected = ["私聊里刚发的 just sent too", "刚发的消息 just sent"];
        assert_eq!(found(&server, &alice, "刚发的").await, expected);
        assert_eq!(found(&server, &alice, "JUST SENT").await, expected);
        assert_eq!(
            found(&server, &alice, "的消息").await,
            ["刚发的消息 just sent", "先发的消息 indexed first"],
            "the index and the scan together, newest first"
        );
        // Pages run across both: the newest from the scan, the next from the index.
        let page = search(&server, &alice, &[("q", "的消息"), ("limit", "1")]).await;
        assert_eq!(page["hasMore"], true);
        let before = page["results"][0]["cursor"].as_i64().unwrap().to_string();
        let next = search(
            &server,
            &alice,
            &[("q", "的消息"), ("before", before.as_str())],
        )
        .await;
        assert_eq!(
            next["results"][0]["message"]["content"]["text"],
            "先发的消息 indexed first"
        );
        assert_eq!(next["hasMore"], false);

        drop(held);
        indexed(&dir).await;
        assert_eq!(in_index(&dir, "刚发的").len(), 2);
        assert_eq!(found(&server, &alice, "JUST SENT").await, expected);
    }

    #[tokio::test]
    async fn an_edit_is_found_by_its_new_text_only_before_the_indexer_has_it() {
        let (server, bot, alice, _) = setup().await;
        let dir = server.dir.path().to_owned();
        let msg_id = bot_sends(&server, &bot, "group", GROUP, "原来的文字 original wording").await;
        indexed(&dir).await;
        let held = hold_indexer(&dir);
        let edited = server
            .post(
                "/bot/edit",
                &bot,
                json!({"msgId": msg_id, "recvId": GROUP, "recvType": "group", "contentType": "text",
                       "content": {"text": "修改后的文字 revised wording"}}),
            )
            .await;
        assert_eq!(edited["code"], 1, "{edited}");
        assert_eq!(
            in_index(&dir, "原来的").len(),
            1,
            "the index still has the old text"
        );
        for old in ["原来的", "original"] {
            assert!(found(&server, &alice, old).await.is_empty(), "{old}");
        }
        for new in ["修改后", "revised", "wording"] {
            assert_eq!(
                found(&server, &alice, new).await,
                ["修改后的文字 revised wording"],
                "{new}"
            );
        }
        let recalled = server
            .post(
                "/bot/recall",
                &bot,
                json!({"msgId": msg_id, "chatId": GROUP, "chatType": "group"}),
            )
            .await;
        assert_eq!(recalled["code"], 1, "{recalled}");
        for q in ["修改后", "wording", "原来的"] {
            assert!(found(&server, &alice, q).await.is_empty(), "{q}");
        }

        drop(held);
        indexed(&dir).await;
        assert!(
            in_index(&dir, "wording").is_empty(),
            "recalled: out of the index"
        );
        assert!(found(&server, &alice, "wording").await.is_empty());
    }

    #[tokio::test]
    async fn messages_the_indexer_missed_are_indexed_after_a_restart() {
        let (server, bot, alice, _) = setup().await;
        let dir = server.dir.path().to_owned();
        bot_sends(&server, &bot, "group", GROUP, "重启之前 before the restart").await;
        indexed(&dir).await;
        let held = hold_indexer(&dir);
        for i in 0..3 {
            bot_sends(
                &server,
                &bot,
                "group",
                GROUP,
                &format!("没索引的 missed {i}"),
            )
            .await;
        }
        let data = server.stop().await;
        assert!(watermark(&dir) < last_cursor(&dir), "stopped behind");
        drop(held);

        let server = TestServer::start_in(data, |_| {}).await;
        indexed(&dir).await;
        assert_eq!(in_index(&dir, "没索引的").len(), 3);
        assert_eq!(
            found(&server, &alice, "MISSED").await,
            [
                "没索引的 missed 2",
                "没索引的 missed 1",
                "没索引的 missed 0"
            ]
        );
        assert_eq!(in_index(&dir, "重启之前").len(), 1);
    }

    #[tokio::test]
    async fn a_lost_or_broken_index_is_rebuilt() {
        if on_postgres() {
            return; // PostgreSQL's index is a table of the database, with no file to lose.
        }
        let (server, bot, alice, _) = setup().await;
        let dir = server.dir.path().to_owned();
        bot_sends(&server, &bot, "group", GROUP, "重建索引 rebuilt index").await;
        bot_sends(&server, &bot, "user", ALICE, "也重建 rebuilt too").await;
        indexed(&dir).await;
        let mut data = server.stop().await;
        for (i, damage) in ["delete", "garbage"].into_iter().enumerate() {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(dir.join(format!("{SEARCH_DB_FILE}{suffix}")));
            }
            if damage == "garbage" {
                std::fs::write(dir.join(SEARCH_DB_FILE), "not a database ".repeat(100)).unwrap();
            }
            let server = TestServer::start_in(data, |_| {}).await;
            indexed(&dir).await;
            assert_eq!(in_index(&dir, "rebuilt").len(), 2, "{damage}");
            assert_eq!(
                found(&server, &alice, "REBUILT").await,
                ["也重建 rebuilt too", "重建索引 rebuilt index"],
                "{damage}"
            );
            let sent = format!("之后 after {i}");
            bot_sends(&server, &bot, "group", GROUP, &sent).await;
            let q = format!("after {i}");
            assert_eq!(found(&server, &alice, &q).await, [sent.as_str()]);
            data = server.stop().await;
        }
    }
}
