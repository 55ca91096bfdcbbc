//! The user client API: chats with unread counts, history paging, read markers, joins, and
//! that a user can read or act only in chats they are in.

#![allow(clippy::unwrap_used)]

use crate::common::{TestServer, text};
use reqwest::Method;
use serde_json::{Value, json};

const BOT: &str = "86297657";
const GROUP: &str = "307149245";
const OPEN: &str = "665344168";
const ALICE: &str = "7756242";
const MALLORY: &str = "6666666";

async fn setup() -> (TestServer, String, String, String) {
    let server = TestServer::start().await;
    let bot = server.bot(BOT).await;
    let alice = server.user(ALICE, "Alice").await;
    let mallory = server.user(MALLORY, "Mallory").await;
    server.group(GROUP, &[ALICE]).await;
    let (status, _) = server
        .admin(
            Method::POST,
            "/groups",
            Some(json!({"id": OPEN, "name": "open", "open": true})),
        )
        .await;
    assert_eq!(status, 201);
    server.join(BOT, GROUP).await;
    server.follow(BOT, ALICE).await;
    (server, bot, alice, mallory)
}

#[tokio::test]
async fn chats_list_groups_and_bots_with_last_message_and_unread() {
    let (server, bot, alice, _) = setup().await;
    for i in 0..3 {
        server
            .post("/bot/send", &bot, text("group", GROUP, &format!("g{i}")))
            .await;
    }
    server
        .post("/bot/send", &bot, text("user", ALICE, "private"))
        .await;
    let (status, body) = server.user_api(Method::GET, &alice, "/chats", None).await;
    assert_eq!(status, 200);
    let chats = body["chats"].as_array().unwrap();
    assert_eq!(chats.len(), 2);
    // Most recent first.
    assert_eq!(
        (chats[0]["chatType"].as_str(), chats[0]["chatId"].as_str()),
        (Some("bot"), Some(BOT))
    );
    assert_eq!(chats[0]["unread"], 1);
    assert_eq!(chats[0]["name"], format!("bot {BOT}"));
    assert_eq!(chats[1]["chatId"], GROUP);
    assert_eq!(chats[1]["role"], "member");
    assert_eq!(chats[1]["unread"], 3);
    assert_eq!(chats[1]["lastSeq"], 3);
    assert_eq!(chats[1]["lastMessage"]["content"]["text"], "g2");

    let (status, read) = server
        .user_api(
            Method::POST,
            &alice,
            &format!("/chats/group/{GROUP}/read"),
            Some(json!({"seq": 2})),
        )
        .await;
    assert_eq!((status, read), (200, json!({"seq": 2})));
    // Markers never move back, and never past the end.
    let (_, read) = server
        .user_api(
            Method::POST,
            &alice,
            &format!("/chats/group/{GROUP}/read"),
            Some(json!({"seq": 1})),
        )
        .await;
    assert_eq!(read, json!({"seq": 2}));
    let (_, read) = server
        .user_api(
            Method::POST,
            &alice,
            &format!("/chats/group/{GROUP}/read"),
            Some(json!({"seq": 99})),
        )
        .await;
    assert_eq!(read, json!({"seq": 3}));
    let (_, body) = server.user_api(Method::GET, &alice, "/chats", None).await;
    assert_eq!(body["chats"][1]["unread"], 0);
}

/// Unread messages that @-mention the user are counted apart: by ID or `all`, not a mention of
/// someone else, not the user's ID in a message's text, not a recalled one; reading ends them.
#[tokio::test]
async fn chats_count_unread_mentions_apart() {
    let (server, bot, alice, _) = setup().await;
    let mention = |at: Value, text: &str| {
        json!({"recvId": GROUP, "recvType": "group", "contentType": "text",
               "content": {"text": text, "at": at}})
    };
    let mut sent = Vec::new();
    for body in [
        mention(json!([ALICE]), "@Alice\u{200b} look"),
        mention(json!(["all"]), "@all\u{200b} release day"),
        mention(json!([MALLORY]), "@Mallory\u{200b} not Alice"),
        mention(json!([ALICE]), "recalled before Alice read it"),
        text(
            "group",
            GROUP,
            &format!("\"{ALICE}\" appears in the text only"),
        ),
    ] {
        let reply = server.post("/bot/send", &bot, body).await;
        assert_eq!(reply["code"], 1, "{reply}");
        sent.push(
            reply["data"]["messageInfo"]["msgId"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
        );
    }
    let reply = server
        .post(
            "/bot/recall",
            &bot,
            json!({"msgId": sent[3], "chatId": GROUP, "chatType": "group"}),
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    let group_of = |body: &Value| {
        body["chats"]
            .as_array()
            .and_then(|chats| chats.iter().find(|c| c["chatId"] == GROUP).cloned())
            .unwrap_or(Value::Null)
    };
    let (status, body) = server.user_api(Method::GET, &alice, "/chats", None).await;
    assert_eq!(status, 200, "{body}");
    let group = group_of(&body);
    assert_eq!(
        (&group["unread"], &group["mentions"]),
        (&json!(4), &json!(2)),
        "{group}"
    );
    // Reading past the first mention leaves the second.
    let (status, _) = server
        .user_api(
            Method::POST,
            &alice,
            &format!("/chats/group/{GROUP}/read"),
            Some(json!({"seq": 1})),
        )
        .await;
    assert_eq!(status, 200);
    let (_, body) = server.user_api(Method::GET, &alice, "/chats", None).await;
    let group = group_of(&body);
    assert_eq!(
        (&group["unread"], &group["mentions"]),
        (&json!(3), &json!(1)),
        "{group}"
    );
    let (_, _) = server
        .user_api(
            Method::POST,
            &alice,
            &format!("/chats/group/{GROUP}/read"),
            Some(json!({"seq": 5})),
        )
        .await;
    let (_, body) = server.user_api(Method::GET, &alice, "/chats", None).await;
    let group = group_of(&body);
    assert_eq!(
        (&group["unread"], &group["mentions"]),
        (&json!(0), &json!(0)),
        "{group}"
    );
}

#[tokio::test]
async fn history_pages_back_by_sequence_and_shows_recalls() {
    let (server, bot, alice, _) = setup().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let reply = server
            .post("/bot/send", &bot, text("group", GROUP, &format!("m{i}")))
            .await;
        ids.push(
            reply["data"]["messageInfo"]["msgId"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    server
        .post(
            "/bot/recall",
            &bot,
            json!({"msgId": ids[6], "chatId": GROUP, "chatType": "group"}),
        )
        .await;
    let page = |before: Option<i64>| {
        let path = match before {
            Some(seq) => format!("/chats/group/{GROUP}/messages?limit=3&beforeSeq={seq}"),
            None => format!("/chats/group/{GROUP}/messages?limit=3"),
        };
        let server = &server;
        let alice = alice.clone();
        async move { server.user_api(Method::GET, &alice, &path, None).await.1 }
    };
    let texts = |body: &Value| -> Vec<Value> {
        body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["content"]["text"].clone())
            .collect()
    };
    let newest = page(None).await;
    assert_eq!(texts(&newest), [json!("m4"), json!("m5"), Value::Null]);
    assert_eq!(newest["messages"][2]["recalled"], true);
    assert_eq!(newest["hasMore"], true);
    let older = page(Some(5)).await;
    assert_eq!(texts(&older), [json!("m1"), json!("m2"), json!("m3")]);
    let oldest = page(Some(2)).await;
    assert_eq!(texts(&oldest), [json!("m0")]);
    assert_eq!(oldest["hasMore"], false);
}

#[tokio::test]
async fn users_join_open_groups_but_not_closed_ones_and_owners_cannot_leave() {
    let (server, _, alice, mallory) = setup().await;
    let (status, body) = server
        .user_api(
            Method::POST,
            &mallory,
            &format!("/groups/{OPEN}/join"),
            None,
        )
        .await;
    assert_eq!((status, body["added"].clone()), (200, json!(true)));
    let (status, body) = server
        .user_api(
            Method::POST,
            &mallory,
            &format!("/groups/{OPEN}/join"),
            None,
        )
        .await;
    assert_eq!((status, body["added"].clone()), (200, json!(false)));
    let (status, _) = server
        .user_api(
            Method::POST,
            &mallory,
            &format!("/groups/{GROUP}/join"),
            None,
        )
        .await;
    assert_eq!(status, 403, "a closed group");
    let (status, _) = server
        .user_api(Method::POST, &mallory, "/groups/404/join", None)
        .await;
    assert_eq!(status, 404);

    let (status, _) = server
        .admin(
            Method::PUT,
            &format!("/groups/{GROUP}/members/{ALICE}"),
            Some(json!({"role": "owner"})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = server
        .user_api(
            Method::POST,
            &alice,
            &format!("/groups/{GROUP}/leave"),
            None,
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["message"], "the owner cannot leave the group");
}

#[tokio::test]
async fn a_user_cannot_read_or_act_in_chats_they_are_not_in() {
    let (server, bot, alice, mallory) = setup().await;
    let reply = server
        .post("/bot/send", &bot, json!({"recvId": GROUP, "recvType": "group", "contentType": "text",
            "content": {"text": "secret", "buttons": [{"text": "b", "actionType": 3, "value": "v"}]}}))
        .await;
    let msg_id = reply["data"]["messageInfo"]["msgId"]
        .as_str()
        .unwrap()
        .to_owned();
    server
        .post("/bot/send", &bot, text("user", ALICE, "for alice only"))
        .await;

    let refused: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/chats/group/{GROUP}/messages"), None),
        (
            Method::POST,
            format!("/chats/group/{GROUP}/messages"),
            Some(json!({"contentType": "text", "content": {"text": "x"}})),
        ),
        (
            Method::POST,
            format!("/chats/group/{GROUP}/read"),
            Some(json!({"seq": 1})),
        ),
        // Alice's private chat with the bot: the path names the bot, the chat is Mallory's own.
        (Method::GET, format!("/chats/bot/{BOT}/messages"), None),
        (
            Method::POST,
            format!("/chats/bot/{BOT}/messages"),
            Some(json!({"contentType": "text", "content": {"text": "x"}})),
        ),
        (
            Method::POST,
            format!("/messages/{msg_id}/click"),
            Some(json!({"value": "v"})),
        ),
        (Method::POST, format!("/groups/{GROUP}/leave"), None),
    ];
    for (method, path, body) in refused {
        let (status, reply) = server.user_api(method.clone(), &mallory, &path, body).await;
        assert_eq!(status, 404, "{method} {path}: {reply}");
    }
    let (_, chats) = server.user_api(Method::GET, &mallory, "/chats", None).await;
    assert_eq!(chats, json!({"chats": []}));
    assert!(
        server
            .outbox(BOT)
            .iter()
            .all(|e| e["header"]["eventType"] != "button.report.inline")
    );

    // Mallory's live session sees none of it either.
    let (mut ws, hello) = server.live(&mallory, Some(0)).await;
    assert_eq!(hello["boards"], json!([]));
    assert!(crate::common::quiet(&mut ws, 200).await);

    // Without a token, or with a wrong one: 401 everywhere, including the WebSocket.
    for token in ["", "wrong"] {
        let (status, _) = server.user_api(Method::GET, token, "/chats", None).await;
        assert_eq!(status, 401);
    }
    let refused =
        tokio_tungstenite::connect_async(format!("ws://{}/api/v1/live?token=wrong", server.addr))
            .await;
    assert!(refused.is_err());
    // The token is taken from the query string only on the WebSocket.
    let resp = server
        .http
        .get(server.url(&format!("/api/v1/chats?token={alice}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
}

#[tokio::test]
async fn users_cannot_send_html_or_buttons() {
    let (server, _, alice, _) = setup().await;
    let path = format!("/chats/group/{GROUP}/messages");
    let (status, body) = server
        .user_api(
            Method::POST,
            &alice,
            &path,
            Some(json!({"contentType": "html", "content": {"text": "<b>x</b>"}})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = server
        .user_api(
            Method::POST,
            &alice,
            &path,
            Some(json!({"contentType": "text", "content": {"text": ""}})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["message"].clone()),
        (400, json!("消息内容不能为空"))
    );
    let (status, body) = server
        .user_api(Method::POST, &alice, &path, Some(json!({"contentType": "markdown",
            "content": {"text": "**b**", "buttons": [{"text": "x", "actionType": 3, "value": "v"}]}})))
        .await;
    assert_eq!(status, 201);
    assert_eq!(body["content"], json!({"text": "**b**"}));
    let (status, _) = server
        .user_api(
            Method::POST,
            &alice,
            "/chats/channel/1/messages",
            Some(json!({"contentType": "text", "content": {"text": "x"}})),
        )
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn rotating_or_deleting_a_user_ends_their_live_sessions() {
    let (server, _, alice, _) = setup().await;
    let (mut ws, _) = server.live(&alice, None).await;
    let (status, _) = server
        .admin(Method::POST, &format!("/users/{ALICE}/token"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        crate::common::next_frame(&mut ws).await,
        None,
        "the socket closes"
    );
    let (status, _) = server.user_api(Method::GET, &alice, "/me", None).await;
    assert_eq!(status, 401, "the old token is dead");
}

#[tokio::test]
async fn a_gagged_member_cannot_send_and_type_limits_apply_to_users() {
    let (server, bot, alice, _) = setup().await;
    let (status, _) = server
        .admin(
            Method::PUT,
            &format!("/groups/{GROUP}/bots/{BOT}/permissions"),
            Some(json!({"allowGagMember": true, "allowEditGroupInfo": true})),
        )
        .await;
    assert_eq!(status, 200);
    let path = format!("/chats/group/{GROUP}/messages");
    let text_message = json!({"contentType": "text", "content": {"text": "hi"}});

    let reply = server
        .post(
            "/group/gag-member",
            &bot,
            json!({"groupId": GROUP, "userId": ALICE, "gag": 600}),
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    let (status, body) = server
        .user_api(Method::POST, &alice, &path, Some(text_message.clone()))
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("muted"));

    let reply = server
        .post(
            "/group/gag-member",
            &bot,
            json!({"groupId": GROUP, "userId": ALICE, "gag": 0}),
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    let (status, _) = server
        .user_api(Method::POST, &alice, &path, Some(text_message.clone()))
        .await;
    assert_eq!(status, 201, "unmuted");

    let reply = server
        .post(
            "/group/msg-type-limit",
            &bot,
            json!({"groupId": GROUP, "type": "markdown"}),
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    let (status, _) = server
        .user_api(Method::POST, &alice, &path, Some(text_message))
        .await;
    assert_eq!(status, 403, "text is not allowed any more");
    let (status, _) = server
        .user_api(
            Method::POST,
            &alice,
            &path,
            Some(json!({"contentType": "markdown", "content": {"text": "**ok**"}})),
        )
        .await;
    assert_eq!(status, 201);
    // Two sends got through, and the gag and its lifting each posted a tip (wire §7.3).
    let page = server
        .messages(
            &bot,
            &[("chat-id", GROUP), ("chat-type", "group"), ("before", "10")],
        )
        .await;
    let mut seen: Vec<(String, String)> = page["data"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["contentType"].as_str().unwrap().to_owned(),
                m["content"]["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    seen.sort();
    let alice_name = page["data"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["contentType"] == "text")
        .map(|m| m["senderNickname"].as_str().unwrap().to_owned())
        .unwrap();
    let mut expected = vec![
        ("markdown".to_owned(), "**ok**".to_owned()),
        ("text".to_owned(), "hi".to_owned()),
        ("tip".to_owned(), format!("\"{alice_name}\"已被禁言10分钟")),
        ("tip".to_owned(), format!("\"{alice_name}\"已被解除禁言")),
    ];
    expected.sort();
    assert_eq!(seen, expected, "refused sends stored nothing; {page}");
}

/// Every read path a user has: the chat list's last message, a history page, and the live
/// socket's replay and `hello` boards.
async fn read_html(server: &TestServer, alice: &str) -> [Value; 4] {
    let (_, chats) = server.user_api(Method::GET, alice, "/chats", None).await;
    let group = chats["chats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|chat| chat["chatId"] == GROUP)
        .unwrap()
        .clone();
    let (_, history) = server
        .user_api(
            Method::GET,
            alice,
            &format!("/chats/group/{GROUP}/messages"),
            None,
        )
        .await;
    let (mut ws, hello) = server.live(alice, Some(0)).await;
    let mut replayed = Value::Null;
    while let Some(frame) = crate::common::next_frame(&mut ws).await {
        if frame["type"] == "message" && frame["message"]["chatId"] == GROUP {
            replayed = frame["message"]["html"].clone();
            break;
        }
    }
    [
        group["lastMessage"]["html"].clone(),
        history["messages"].as_array().unwrap().last().unwrap()["html"].clone(),
        replayed,
        hello["boards"][0]["html"].clone(),
    ]
}

/// Rendering happens once, when a message or board is written: reads serve the stored HTML
/// and never render the content again (a pathological message once made every member's chat
/// list take seconds). Shown by replacing the stored HTML behind the server's back: every
/// read path serves the replacement, which no renderer would make from the content.
#[tokio::test]
async fn reads_serve_the_html_stored_when_the_message_was_written() {
    let (server, bot, alice, _) = setup().await;
    let sent = server
        .post(
            "/bot/send",
            &bot,
            json!({"recvId": GROUP, "recvType": "group", "contentType": "markdown",
                   "content": {"text": "**bold**"}}),
        )
        .await;
    let msg_id = sent["data"]["messageInfo"]["msgId"]
        .as_str()
        .unwrap()
        .to_owned();
    let board = server
        .post(
            "/bot/board",
            &bot,
            json!({"chatId": GROUP, "chatType": "group", "contentType": "markdown", "content": "*on call*"}),
        )
        .await;
    assert_eq!(board["code"], 1, "{board}");
    let rendered = read_html(&server, &alice).await;
    assert_eq!(
        rendered,
        [
            json!("<p><strong>bold</strong></p>\n"),
            json!("<p><strong>bold</strong></p>\n"),
            json!("<p><strong>bold</strong></p>\n"),
            json!("<p><em>on call</em></p>\n"),
        ]
    );

    crate::common::db_execute(
        server.dir.path(),
        "UPDATE messages SET html = '<p>stored</p>'; UPDATE boards SET html = '<p>board</p>'",
    );
    let stored = json!("<p>stored</p>");
    assert_eq!(
        read_html(&server, &alice).await,
        [
            stored.clone(),
            stored.clone(),
            stored,
            json!("<p>board</p>")
        ]
    );

    // An edit is rendered when it is written, like a send.
    let edited = server
        .post(
            "/bot/edit",
            &bot,
            json!({"msgId": msg_id, "recvId": GROUP, "recvType": "group", "contentType": "markdown",
                   "content": {"text": "*edited*"}}),
        )
        .await;
    assert_eq!(edited["code"], 1, "{edited}");
    let (_, history) = server
        .user_api(
            Method::GET,
            &alice,
            &format!("/chats/group/{GROUP}/messages"),
            None,
        )
        .await;
    assert_eq!(history["messages"][0]["html"], "<p><em>edited</em></p>\n");
}

/// Rows written before HTML was stored (a `NULL` column) are rendered once when the server
/// starts, before it serves anything; text with nothing to mark up stays without HTML.
#[tokio::test]
async fn rows_from_before_html_was_stored_are_rendered_at_start_up() {
    let (server, bot, alice, _) = setup().await;
    server
        .post(
            "/bot/send",
            &bot,
            json!({"recvId": GROUP, "recvType": "group", "contentType": "text", "content": {"text": "plain"}}),
        )
        .await;
    server
        .post(
            "/bot/send",
            &bot,
            json!({"recvId": GROUP, "recvType": "group", "contentType": "markdown",
                   "content": {"text": "**bold**"}}),
        )
        .await;
    server
        .post(
            "/bot/board",
            &bot,
            json!({"chatId": GROUP, "chatType": "group", "contentType": "markdown", "content": "*on call*"}),
        )
        .await;
    let dir = server.stop().await;
    crate::common::db_execute(
        dir.path(),
        "UPDATE messages SET html = NULL; UPDATE boards SET html = NULL",
    );

    let server = TestServer::start_in(dir, |_| {}).await;
    let stored = server.db_rows("SELECT html FROM messages ORDER BY seq");
    assert_eq!(
        stored,
        [
            vec![json!("")],
            vec![json!("<p><strong>bold</strong></p>\n")]
        ],
        "'' is text with nothing to mark up"
    );
    let [last, history, replayed, board] = read_html(&server, &alice).await;
    assert_eq!(last, "<p><strong>bold</strong></p>\n");
    assert_eq!(history, "<p><strong>bold</strong></p>\n");
    assert_eq!(
        replayed,
        Value::Null,
        "the first message replayed is the plain one"
    );
    assert_eq!(board, "<p><em>on call</em></p>\n");
}

/// A reply carries, beside its `parentId`, Yunhu's quote fields: `parent` ("nickname : text")
/// and, for a quoted image, `parentImgName` (wire §5.4) — in the bot's event, in history, and
/// still after the reply is edited.
#[tokio::test]
async fn replies_carry_the_quote_fields() {
    let (server, bot, alice, _) = setup().await;
    let sent = server
        .post("/bot/send", &bot, text("group", GROUP, "今天天气不错"))
        .await;
    let quoted = sent["data"]["messageInfo"]["msgId"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/chats/group/{GROUP}/messages");
    let (status, reply) = server
        .user_api(
            Method::POST,
            &alice,
            &path,
            Some(json!({"contentType": "text", "content": {"text": "是啊"}, "parentId": quoted})),
        )
        .await;
    assert_eq!(status, 201, "{reply}");
    let event = server.outbox(BOT).pop().unwrap();
    assert_eq!(event["event"]["message"]["parentId"], quoted.as_str());
    assert_eq!(
        event["event"]["message"]["content"],
        json!({"text": "是啊", "parent": "bot 86297657 : 今天天气不错"})
    );

    // The bot answers Alice's reply, quoting it, and edits its answer: the quote stays.
    let answer = server
        .post(
            "/bot/send",
            &bot,
            json!({"recvId": GROUP, "recvType": "group", "contentType": "text",
                   "content": {"text": "明天呢"}, "parentId": reply["msgId"]}),
        )
        .await;
    assert_eq!(answer["code"], 1, "{answer}");
    let answer_id = answer["data"]["messageInfo"]["msgId"]
        .as_str()
        .unwrap()
        .to_owned();
    let edited = server
        .post(
            "/bot/edit",
            &bot,
            json!({"msgId": answer_id, "recvId": GROUP, "recvType": "group",
                   "contentType": "text", "content": {"text": "明天呢？"}}),
        )
        .await;
    assert_eq!(edited["code"], 1, "{edited}");
    let page = server
        .messages(
            &bot,
            &[("chat-id", GROUP), ("chat-type", "group"), ("before", "10")],
        )
        .await;
    let item = page["data"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["msgId"] == answer_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        item["content"],
        json!({"text": "明天呢？", "parent": "Alice : 是啊"}),
        "{page}"
    );
}

/// The composer's `/` picker in a private chat: the commands of a bot the user follows; a bot
/// they do not follow is a 404.
#[tokio::test]
async fn a_followed_bots_commands_for_the_picker() {
    let (server, _, alice, mallory) = setup().await;
    let (status, body) = server
        .admin(
            Method::POST,
            &format!("/bots/{BOT}/commands"),
            Some(json!({"name": "weather", "presetText": "天气"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = server
        .user_api(Method::GET, &alice, &format!("/bots/{BOT}/commands"), None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"commands": [{"commandId": body["commands"][0]["commandId"], "name": "weather",
                             "kind": "normal", "presetText": "天气"}]})
    );
    let (status, _) = server
        .user_api(
            Method::GET,
            &mallory,
            &format!("/bots/{BOT}/commands"),
            None,
        )
        .await;
    assert_eq!(status, 404, "not a follower");
    let (status, _) = server
        .user_api(Method::GET, &alice, "/bots/12345/commands", None)
        .await;
    assert_eq!(status, 404, "no such bot");
}
