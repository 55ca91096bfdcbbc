//! Every SDK call against a running cloudlake: what the call returns, and what it did to the
//! server as seen through the bot history, a user's live socket or the admin API.

#![allow(clippy::unwrap_used)]

mod common;

use std::num::NonZeroU32;
use std::time::Duration;

use cloudlake_protocol::{
    GagMemberRequest, MsgTypeLimitRequest, RemoveMemberRequest, TagCreateRequest, TagDeleteRequest,
    TagEditRequest, TagUserRequest,
};
use cloudlake_sdk::{
    ActionType, Board, Chat, Client, Code, ContentType, Error, Message, RecvType, RetryPolicy, Row,
};
use cloudlake_server::config::RateLimit;
use common::TestServer;
use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};

const BOT: &str = "86297657";
const ALICE: &str = "7756242";
const BOB: &str = "4827368";
const GROUP: &str = "307149245";

/// A server with Alice (owner) and Bob in GROUP, the bot in GROUP, Alice following the bot.
async fn setup() -> (TestServer, Client, String) {
    let server = TestServer::start().await;
    let token = server.bot(BOT).await;
    let alice = server.user(ALICE, "Alice").await;
    server.user(BOB, "Bob").await;
    server.group(GROUP, &[ALICE, BOB]).await;
    server.join(BOT, GROUP).await;
    server.follow(BOT, ALICE).await;
    let client = server.client(&token);
    (server, client, alice)
}

#[tokio::test]
async fn send_edit_recall_and_messages() {
    let (_server, client, _) = setup().await;
    let group = Chat::group(GROUP);

    let first = client.send(&group, Message::text("first")).await.unwrap();
    assert_eq!(first.recv_id, GROUP);
    assert_eq!(first.recv_type, RecvType::Group);
    assert_eq!(first.msg_id.len(), 32);
    let menu = Message::text("@Alice\u{200b} pick")
        .at([ALICE])
        .row(Row::new().report("A", "a").copy("copy", "xxxx"))
        .row(Row::new().url("docs", "https://example.com"))
        .reply_to(&first.msg_id);
    let second = client.send(&group, menu).await.unwrap();

    let page = client.messages(&group.latest(10)).await.unwrap();
    assert_eq!(page.total, 2);
    let newest = &page.list[0];
    assert_eq!(newest.msg_id, second.msg_id);
    assert_eq!(newest.parent_id, first.msg_id);
    assert_eq!(newest.sender_id, BOT);
    assert_eq!(newest.content.text.as_deref(), Some("@Alice\u{200b} pick"));
    assert_eq!(newest.content.at, vec![ALICE.to_owned()]);
    assert_eq!(newest.content.buttons.len(), 2);
    assert_eq!(newest.content.buttons[0][0].action_type, ActionType::Report);
    assert_eq!(newest.content.buttons[0][1].value, "xxxx");
    assert_eq!(newest.content.buttons[1][0].url, "https://example.com");

    client
        .edit(&first.msg_id, &group, Message::markdown("**edited**"))
        .await
        .unwrap();
    let around = client
        .messages(&group.around(&first.msg_id, 0, 1))
        .await
        .unwrap();
    let ids: Vec<&str> = around.list.iter().map(|m| m.msg_id.as_str()).collect();
    assert_eq!(ids, [second.msg_id.as_str(), first.msg_id.as_str()]);
    assert_eq!(around.list[1].content_type, "markdown");
    assert_eq!(around.list[1].content.text.as_deref(), Some("**edited**"));

    client.recall(&second.msg_id, &group).await.unwrap();
    let page = client.messages(&group.latest(10)).await.unwrap();
    let ids: Vec<&str> = page.list.iter().map(|m| m.msg_id.as_str()).collect();
    assert_eq!(
        ids,
        [first.msg_id.as_str()],
        "recalled messages leave the history"
    );

    // Editing or recalling it again: the server's -1 comes back with its msg.
    let err = client.recall(&second.msg_id, &group).await.unwrap_err();
    assert_eq!(err.code(), Some(Code::BUSINESS));
    assert!(
        matches!(&err, Error::Api(e) if e.msg == "消息不存在或无权限修改"),
        "{err:?}"
    );
}

#[tokio::test]
async fn errors_carry_the_servers_code_and_msg() {
    let (server, client, _) = setup().await;

    let wrong = server.client("not-a-token");
    let err = wrong
        .send(&Chat::group(GROUP), Message::text("x"))
        .await
        .unwrap_err();
    match &err {
        Error::Api(e) => assert_eq!((e.code, e.msg.as_str()), (Code::UNAUTHORIZED, "非法token")),
        other => panic!("{other:?}"),
    }
    assert!(!err.is_retryable());

    // The text adapters parse to find their bot ID (wire §9.2), exactly.
    let err = client
        .send(&Chat::group("112869497"), Message::text("x"))
        .await
        .unwrap_err();
    match &err {
        Error::Api(e) => {
            assert_eq!(e.code, Code::BUSINESS);
            assert_eq!(
                e.msg,
                format!("群(ID:112869497)中未添加当前机器人(ID: {BOT})。")
            );
        }
        other => panic!("{other:?}"),
    }

    // Bob does not follow the bot.
    let err = client
        .send(&Chat::user(BOB), Message::text("x"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api(e) if e.code == Code::UNAUTHORIZED && e.msg == "recvId值错误，该用户不是机器人好友"),
        "{err:?}"
    );

    // An empty text is refused before anything is stored.
    let err = client
        .send(&Chat::group(GROUP), Message::text(""))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api(e) if e.code == Code::INVALID_PARAM && e.msg == "消息内容不能为空"),
        "{err:?}"
    );
}

#[tokio::test]
async fn transport_errors_never_show_the_token() {
    // Nothing listens on port 1.
    let client = Client::builder("s3cr3t-token-value")
        .base_url("http://127.0.0.1:1/open-apis/v1")
        .build()
        .unwrap();
    let err = client
        .send(&Chat::user("1"), Message::text("x"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(err.is_retryable());
    for shown in [format!("{err}"), format!("{err:?}"), format!("{client:?}")] {
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }
    assert!(matches!(
        Client::builder("t").base_url("ftp://x").build(),
        Err(Error::Url(_))
    ));
}

#[tokio::test]
async fn batch_send_splits_long_lists_and_merges_the_results() {
    let server = TestServer::start().await;
    let token = server.bot(BOT).await;
    let users = ["1000001", "1000002", "1000003"];
    for user in users {
        server.user(user, user).await;
        server.follow(BOT, user).await;
    }
    // 3 followers among 450 unknown users, one of them twice: 453 distinct recipients, more
    // than two requests' worth (the server refuses over 200 in one request).
    let mut ids: Vec<String> = (0..450).map(|i| format!("9{i:06}")).collect();
    ids.insert(10, users[0].into());
    ids.insert(250, users[1].into());
    ids.insert(440, users[2].into());
    ids.push(users[0].into());

    let client = server.client(&token);
    let mut progress = Vec::new();
    let sent = client
        .batch_send_with_progress(RecvType::User, ids, Message::text("news"), |done, total| {
            progress.push((done, total))
        })
        .await
        .unwrap();
    assert_eq!(progress, [(200, 453), (400, 453), (453, 453)]);
    assert_eq!(sent.success_count, 3);
    let got: Vec<&str> = sent
        .success_list
        .iter()
        .map(|m| m.recv_id.as_str())
        .collect();
    assert_eq!(got, users);
    for (user, info) in users.iter().zip(&sent.success_list) {
        let page = client
            .messages(&Chat::user(*user).latest(10))
            .await
            .unwrap();
        assert_eq!(page.total, 1, "sent once, although listed twice");
        assert_eq!(page.list[0].msg_id, info.msg_id);
        assert_eq!(page.list[0].content.text.as_deref(), Some("news"));
    }

    // A short list is one request; the server's own answer to an empty list comes back.
    let one = client
        .batch_send(RecvType::User, [users[2]], Message::text("one"))
        .await
        .unwrap();
    assert_eq!(one.success_count, 1);
    let err = client
        .batch_send(RecvType::User, Vec::<String>::new(), Message::text("none"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(Code::INVALID_PARAM));
}

#[tokio::test]
async fn retries_ride_out_the_rate_limit() {
    let server = TestServer::start_with(|c| {
        c.rate_limit = RateLimit::PerSecond(NonZeroU32::MIN);
    })
    .await;
    let token = server.bot(BOT).await;
    server.user(ALICE, "Alice").await;
    server.follow(BOT, ALICE).await;
    let alice = Chat::user(ALICE);

    let plain = server.client(&token);
    plain.send(&alice, Message::text("1")).await.unwrap();
    let err = plain.send(&alice, Message::text("2")).await.unwrap_err();
    assert_eq!(err.code(), Some(Code::RATE_LIMITED));
    assert!(err.is_retryable());

    let patient = Client::builder(&token)
        .base_url(server.base_url())
        .retry(RetryPolicy {
            max_retries: 8,
            min_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(800),
        })
        .build()
        .unwrap();
    patient.send(&alice, Message::text("3")).await.unwrap();
    patient.send(&alice, Message::text("4")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let page = plain.messages(&alice.latest(10)).await.unwrap();
    let texts: Vec<_> = page
        .list
        .iter()
        .filter_map(|m| m.content.text.as_deref())
        .collect();
    assert_eq!(texts, ["4", "3", "1"]);
}

#[tokio::test]
async fn send_stream_streams_chunks_and_whole_texts() {
    let (_server, client, _) = setup().await;
    let alice = Chat::user(ALICE);
    let chunks =
        futures_util::stream::iter(["Hel", "lo, ", "wor", "ld"]).then(|chunk| async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok::<_, std::io::Error>(chunk)
        });
    let streamed = client
        .send_stream(&alice, ContentType::Text, None, chunks)
        .await
        .unwrap();
    let whole = client
        .send_stream_text(
            &alice,
            ContentType::Markdown,
            Some(&streamed.msg_id),
            "# done",
        )
        .await
        .unwrap();
    let page = client.messages(&alice.latest(10)).await.unwrap();
    assert_eq!(page.list[1].msg_id, streamed.msg_id);
    assert_eq!(page.list[1].content.text.as_deref(), Some("Hello, world"));
    assert_eq!(page.list[0].msg_id, whole.msg_id);
    assert_eq!(page.list[0].content_type, "markdown");
    assert_eq!(page.list[0].parent_id, streamed.msg_id);

    let err = client
        .send_stream_text(&alice, ContentType::Html, None, "<b>no</b>")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(Code::INVALID_PARAM));
}

/// The boards a user sees, from the `hello` frame of their live socket.
async fn boards_seen(server: &TestServer, user_token: &str) -> Vec<Value> {
    let url = format!("ws://{}/api/v1/live?token={user_token}", server.addr);
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let frame = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let hello: Value = serde_json::from_str(frame.to_text().unwrap()).unwrap();
    assert_eq!(hello["type"], "hello", "{hello}");
    hello["boards"].as_array().unwrap().clone()
}

#[tokio::test]
async fn boards_are_set_and_dismissed() {
    let (server, client, alice) = setup().await;
    let bob = server
        .admin(Method::POST, &format!("/users/{BOB}/token"), None)
        .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let group = Chat::group(GROUP);

    client
        .board(&group, None, &Board::markdown("**group board**"))
        .await
        .unwrap();
    client
        .board(
            &group,
            Some(BOB),
            &Board::text("just for Bob").expires_at(4_000_000_000),
        )
        .await
        .unwrap();
    let seen = boards_seen(&server, &alice).await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0]["content"], "**group board**");
    assert_eq!(seen[0]["contentType"], "markdown");
    // Bob sees the group's board and his own (expiry in ms on the user side).
    let seen = boards_seen(&server, &bob).await;
    assert_eq!(seen.len(), 2, "{seen:?}");
    let his = seen
        .iter()
        .find(|b| b["content"] == "just for Bob")
        .unwrap();
    assert_eq!(his["expireTime"], 4_000_000_000_000_i64);

    client.board_dismiss(&group, Some(BOB)).await.unwrap();
    let seen = boards_seen(&server, &bob).await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0]["content"], "**group board**");
    client.board_dismiss(&group, None).await.unwrap();
    assert!(boards_seen(&server, &alice).await.is_empty());
    assert!(boards_seen(&server, &bob).await.is_empty());

    // The bot's chats: GROUP and the private chat with Alice.
    let count = client.board_all(&Board::text("everywhere")).await.unwrap();
    assert_eq!(count, 2);
    let seen = boards_seen(&server, &alice).await;
    assert!(
        seen.iter().all(|b| b["content"] == "everywhere"),
        "{seen:?}"
    );
    assert!(!seen.is_empty());
    client.board_all_dismiss().await.unwrap();
    assert!(boards_seen(&server, &alice).await.is_empty());

    let err = client
        .board(&group, None, &Board::text(" "))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api(e) if e.code == Code::INVALID_PARAM && e.msg == "看板内容不能为空"),
        "{err:?}"
    );
}

/// The smallest PNG header imagesize reads: signature and IHDR with a 3×2 image.
fn png() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    png.extend_from_slice(&3u32.to_be_bytes());
    png.extend_from_slice(&2u32.to_be_bytes());
    png.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    png
}

#[tokio::test]
async fn uploads_return_keys_that_messages_can_carry() {
    let (server, client, _) = setup().await;
    let group = Chat::group(GROUP);

    let image = client.upload_image("cat.png", png()).await.unwrap();
    let video = client
        .upload_video("clip.mp4", b"not really a video".to_vec())
        .await
        .unwrap();
    let file = client
        .upload_file("notes.txt", &b"hello file"[..])
        .await
        .unwrap();
    assert_ne!(image, file);

    client.send(&group, Message::image(&image)).await.unwrap();
    client.send(&group, Message::video(&video)).await.unwrap();
    client.send(&group, Message::file(&file)).await.unwrap();
    let page = client.messages(&group.latest(3)).await.unwrap();
    let file_msg = &page.list[0].content;
    assert_eq!(file_msg.file_name.as_deref(), Some("notes.txt"));
    assert_eq!(file_msg.file_size, Some(10));
    assert!(page.list[1].content.video_url.is_some());
    let image_msg = &page.list[2].content;
    assert_eq!(
        (image_msg.image_width, image_msg.image_height),
        (Some(3), Some(2))
    );
    // The bytes come back from the URL in the content: absolute and signed, as Yunhu's are,
    // so a plain GET fetches them.
    let url = file_msg.file_url.as_deref().unwrap();
    assert!(url.starts_with(&server.url("/media/")), "{url}");
    let bytes = reqwest::get(url).await.unwrap().bytes().await.unwrap();
    assert_eq!(&bytes[..], b"hello file");

    let err = client
        .upload_image("x.png", b"not an image".to_vec())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api(e) if e.code == Code::BUSINESS && e.msg == "图片获取失败"),
        "{err:?}"
    );
}

#[tokio::test]
async fn group_administration() {
    let (server, client, _) = setup().await;
    let gag = GagMemberRequest {
        group_id: GROUP.into(),
        user_id: BOB.into(),
        gag: 600,
    };
    // Without the permission: the Yunhu text.
    let err = client.gag_member(&gag).await.unwrap_err();
    assert!(
        matches!(&err, Error::Api(e) if e.code == Code::BUSINESS && e.msg == "机器人无禁言用户权限"),
        "{err:?}"
    );
    server
        .admin(
            Method::PUT,
            &format!("/groups/{GROUP}/bots/{BOT}/permissions"),
            Some(json!({"allowGagMember": true, "allowRemoveMember": true,
                        "allowEditGroupInfo": true, "allowGroupTagManage": true})),
        )
        .await;

    client.gag_member(&gag).await.unwrap();
    client
        .msg_type_limit(&MsgTypeLimitRequest {
            group_id: GROUP.into(),
            types: vec!["text".into(), "image".into()],
        })
        .await
        .unwrap();
    let shown = server
        .admin(Method::GET, &format!("/groups/{GROUP}"), None)
        .await;
    assert_eq!(shown["gags"][0]["userId"], BOB, "{shown}");
    assert_eq!(shown["msgTypeLimit"], json!(["text", "image"]), "{shown}");

    let tag_id = client
        .tag_create(&TagCreateRequest {
            group_id: GROUP.into(),
            tag: "helper".into(),
            color: "#A1B2C3".into(),
            desc: "helps".into(),
            sort: 1,
        })
        .await
        .unwrap();
    assert!(tag_id > 0);
    client
        .tag_edit(&TagEditRequest {
            group_id: GROUP.into(),
            tag: "helper".into(),
            new_tag: Some("mentor".into()),
            color: None,
            desc: Some("mentors".into()),
            sort: None,
        })
        .await
        .unwrap();
    let tags = client.tag_list(GROUP).await.unwrap();
    assert_eq!(tags.len(), 1);
    assert_eq!(
        (
            tags[0].tag.as_str(),
            tags[0].desc.as_str(),
            tags[0].color.as_str()
        ),
        ("mentor", "mentors", "#A1B2C3")
    );
    let relate = TagUserRequest {
        group_id: GROUP.into(),
        user_id: BOB.into(),
        tag: "mentor".into(),
    };
    client.tag_user_relate(&relate).await.unwrap();
    client.tag_user_relate_cancel(&relate).await.unwrap();
    let err = client
        .tag_user_relate(&TagUserRequest {
            tag: "nobody".into(),
            ..relate.clone()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api(e) if e.msg == "该标签不存在"),
        "{err:?}"
    );
    client
        .tag_delete(&TagDeleteRequest {
            group_id: GROUP.into(),
            tag: "mentor".into(),
        })
        .await
        .unwrap();
    assert!(client.tag_list(GROUP).await.unwrap().is_empty());

    client
        .remove_member(&RemoveMemberRequest {
            group_id: GROUP.into(),
            user_id: BOB.into(),
        })
        .await
        .unwrap();
    let shown = server
        .admin(Method::GET, &format!("/groups/{GROUP}"), None)
        .await;
    let members = shown["members"].as_array().unwrap();
    assert!(members.iter().all(|m| m["userId"] != BOB), "{shown}");
    let err = client
        .remove_member(&RemoveMemberRequest {
            group_id: GROUP.into(),
            user_id: ALICE.into(),
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api(e) if e.msg == "不可以移除群主！"),
        "{err:?}"
    );
}

/// `answer_click` (a cloudlake extension): a click is answered once, with a notice and a new
/// content; answering a click that never was is the server's 1002.
#[tokio::test]
async fn answer_click_answers_a_click_once() {
    let (server, client, alice) = setup().await;
    let group = Chat::group(GROUP);
    let menu = client
        .send(
            &group,
            Message::text("Deploy?").row(Row::new().report("Approve", "yes")),
        )
        .await
        .unwrap();
    let err = client
        .answer_click(&menu.msg_id, ALICE, Some("too early"), None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(Code::INVALID_PARAM), "{err:?}");
    let (status, body) = server
        .user_api(
            Method::POST,
            &alice,
            &format!("/messages/{}/click", menu.msg_id),
            Some(json!({"value": "yes"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    client
        .answer_click(
            &menu.msg_id,
            ALICE,
            Some("Approved"),
            Some(Message::markdown("**Approved** by Alice").into()),
        )
        .await
        .unwrap();
    let page = client.messages(&group.latest(1)).await.unwrap();
    assert_eq!(
        page.list[0].content.text.as_deref(),
        Some("**Approved** by Alice")
    );
    let again = client
        .answer_click(&menu.msg_id, ALICE, Some("again"), None)
        .await
        .unwrap_err();
    assert_eq!(again.code(), Some(Code::INVALID_PARAM), "{again:?}");
}

/// `Message::a2ui`: a card is sent, kept as `a2ui` and clickable by the group's members; a
/// document that is no card is the server's 1002.
#[tokio::test]
async fn an_a2ui_card_and_its_click() {
    let (server, client, alice) = setup().await;
    let group = Chat::group(GROUP);
    let bad = client
        .send(&group, Message::a2ui("not a card"))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Some(Code::INVALID_PARAM), "{bad:?}");
    let card = json!({"updateComponents": {"surfaceId": "s", "components": [
        {"id": "root", "component": "Button", "child": "l", "action": {"name": "go"}},
        {"id": "l", "component": "Text", "text": "Go"}]}})
    .to_string();
    let sent = client.send(&group, Message::a2ui(card)).await.unwrap();
    let (status, body) = server
        .user_api(
            Method::POST,
            &alice,
            &format!("/messages/{}/a2ui-action", sent.msg_id),
            Some(json!({"componentId": "root"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let page = client.messages(&group.latest(1)).await.unwrap();
    assert_eq!(page.list[0].content_type, "a2ui");
}
