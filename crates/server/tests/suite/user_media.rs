//! Users' uploads and media messages, and who may fetch media: a user uploads raw bytes, sends
//! them by key into a chat, the other members see them live, the bot gets an event whose
//! signed URL it can fetch, and nobody outside the chat can.

#![allow(clippy::unwrap_used)]

use crate::common::{TestServer, Ws, next_frame};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BOT: &str = "51510001";
const OTHER_BOT: &str = "51510002";
const ALICE: &str = "6160001";
const BOB: &str = "6160002";
const CAROL: &str = "6160003";
const GROUP: &str = "717100001";

struct Setup {
    server: TestServer,
    bot: String,
    other_bot: String,
    alice: String,
    bob: String,
    carol: String,
}

/// Alice and Bob are in the group with the bot; Carol is not, nor is the other bot.
async fn setup() -> Setup {
    let server = TestServer::start().await;
    let bot = server.bot(BOT).await;
    let other_bot = server.bot(OTHER_BOT).await;
    let alice = server.user(ALICE, "alice").await;
    let bob = server.user(BOB, "bob").await;
    let carol = server.user(CAROL, "carol").await;
    server.group(GROUP, &[ALICE, BOB]).await;
    server.join(BOT, GROUP).await;
    Setup {
        server,
        bot,
        other_bot,
        alice,
        bob,
        carol,
    }
}

/// A PNG header with the given size: enough for the size probe.
fn png(width: u32, height: u32) -> Vec<u8> {
    let mut data = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    data.extend_from_slice(&13u32.to_be_bytes());
    data.extend_from_slice(b"IHDR");
    data.extend_from_slice(&width.to_be_bytes());
    data.extend_from_slice(&height.to_be_bytes());
    data.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    data
}

async fn upload(
    server: &TestServer,
    token: &str,
    kind: &str,
    query: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let resp = server
        .http
        .post(server.url(&format!("/api/v1/uploads/{kind}{query}")))
        .bearer_auth(token)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// The status of fetching a media URL with an optional bearer token.
async fn fetch(server: &TestServer, url: &str, bearer: Option<&str>) -> u16 {
    let mut req = server.http.get(url);
    if let Some(token) = bearer {
        req = req.bearer_auth(token);
    }
    req.send().await.unwrap().status().as_u16()
}

async fn subscribe(server: &TestServer, token: &str) -> Ws {
    let url = format!("ws://{}/subscribe?token={token}", server.addr);
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

#[tokio::test]
async fn a_users_image_reaches_members_live_and_the_bot_as_a_signed_url() {
    let s = setup().await;
    let server = &s.server;
    let (mut bob_live, _) = server.live(&s.bob, None).await;
    let mut bot_socket = subscribe(server, &s.bot).await;

    let (status, up) = upload(server, &s.alice, "image", "?name=cat.png", png(40, 30)).await;
    assert_eq!(status, 201, "{up}");
    let key = up["key"].as_str().unwrap().to_owned();
    assert_eq!(key.len(), 64);
    assert_eq!(up["kind"], "image");
    assert_eq!(up["url"], format!("/media/{key}"));
    assert_eq!(
        (
            up["width"].clone(),
            up["height"].clone(),
            up["mime"].clone()
        ),
        (json!(40), json!(30), json!("image/png"))
    );
    let path = format!("/media/{key}");

    // Before it is sent, only Alice may fetch it.
    assert_eq!(fetch(server, &server.url(&path), Some(&s.alice)).await, 200);
    assert_eq!(fetch(server, &server.url(&path), Some(&s.bob)).await, 404);

    let (status, sent) = server
        .user_api(
            Method::POST,
            &s.alice,
            &format!("/chats/group/{GROUP}/messages"),
            Some(json!({"contentType": "image", "content": {"imageKey": key}})),
        )
        .await;
    assert_eq!(status, 201, "{sent}");
    let expected_content = json!({"imageKey": key, "imageUrl": path, "imageName": format!("{key}.png"),
                                  "imageWidth": 40, "imageHeight": 30, "etag": key});
    assert_eq!(sent["content"], expected_content);

    // Bob sees it live, with the path his browser loads from this origin.
    let frame = next_frame(&mut bob_live).await.unwrap();
    assert_eq!(frame["type"], "message", "{frame}");
    assert_eq!(frame["message"]["contentType"], "image");
    assert_eq!(frame["message"]["content"], expected_content);

    // Now Bob may fetch it (header, or the session cookie a browser sends); Carol may not,
    // and without a credential nobody may.
    assert_eq!(fetch(server, &server.url(&path), Some(&s.bob)).await, 200);
    assert_eq!(fetch(server, &server.url(&path), Some(&s.carol)).await, 404);
    assert_eq!(fetch(server, &server.url(&path), None).await, 401);
    // Bots by token: the one in the group may, the other may not.
    let as_bot = |token: &str| server.url(&format!("{path}?token={token}"));
    assert_eq!(fetch(server, &as_bot(&s.bot), None).await, 200);
    assert_eq!(fetch(server, &as_bot(&s.other_bot), None).await, 404);

    // The bot's event carries every image field, with a URL it can fetch as it is.
    let event = loop {
        let frame = next_frame(&mut bot_socket)
            .await
            .expect("the message event");
        if frame["header"]["eventType"] == "message.receive.normal" {
            break frame;
        }
    };
    let content = &event["event"]["message"]["content"];
    assert_eq!(event["event"]["message"]["contentType"], "image");
    assert_eq!(content["imageName"], format!("{key}.png"));
    assert_eq!(content["imageWidth"], 40);
    assert_eq!(content["imageHeight"], 30);
    let url = content["imageUrl"].as_str().unwrap();
    assert!(
        url.starts_with(&server.url(&format!("{path}?exp="))),
        "{url}"
    );
    let resp = server.http.get(url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), png(40, 30).as_slice());
    // The outbox keeps the stored path: the public URL is applied on the way out.
    let stored = server.outbox(BOT);
    let last = stored.last().unwrap();
    assert_eq!(last["event"]["message"]["content"]["imageUrl"], path);
}

#[tokio::test]
async fn files_and_videos_travel_too_and_keys_must_name_what_one_may_send() {
    let s = setup().await;
    let server = &s.server;
    let (status, up) = upload(
        server,
        &s.alice,
        "file",
        "?name=..%2F%E6%8A%A5%E5%91%8A.pdf",
        b"%PDF-1.4 tiny".to_vec(),
    )
    .await;
    assert_eq!(status, 201, "{up}");
    assert_eq!(up["name"], "报告.pdf");
    assert_eq!(up["size"], 13);
    let file = up["key"].as_str().unwrap().to_owned();

    let (status, sent) = server
        .user_api(
            Method::POST,
            &s.alice,
            &format!("/chats/group/{GROUP}/messages"),
            Some(json!({"contentType": "file", "content": {"fileKey": file}})),
        )
        .await;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(sent["content"]["fileName"], "报告.pdf");
    assert_eq!(sent["content"]["fileSize"], 13);
    assert_eq!(sent["content"]["fileUrl"], format!("/media/{file}"));

    let history = |token: String| async move {
        server
            .user_api(
                Method::GET,
                &token,
                &format!("/chats/group/{GROUP}/messages"),
                None,
            )
            .await
    };
    let (_, before) = history(s.bob.clone()).await;
    // Bob cannot send a key that does not exist, nor a URL, nor Alice's file as an image.
    for content in [
        json!({"contentType": "image", "content": {"imageKey": file}}),
        json!({"contentType": "image", "content": {"imageKey": "0".repeat(64)}}),
        json!({"contentType": "image", "content": {"imageUrl": "https://example.invalid/x.png"}}),
        json!({"contentType": "html", "content": {"text": "<b>hi</b>"}}),
    ] {
        let (status, body) = server
            .user_api(
                Method::POST,
                &s.bob,
                &format!("/chats/group/{GROUP}/messages"),
                Some(content.clone()),
            )
            .await;
        assert_eq!(status, 400, "{content} → {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().len() > 10,
            "{body}"
        );
    }
    let (_, after) = history(s.bob.clone()).await;
    assert_eq!(before, after, "a refused send stores nothing");
    // Carol, outside the group, cannot send Alice's file to a bot she follows; Bob, who
    // received it, may forward it.
    server.follow(OTHER_BOT, CAROL).await;
    let (status, body) = server
        .user_api(
            Method::POST,
            &s.carol,
            &format!("/chats/bot/{OTHER_BOT}/messages"),
            Some(json!({"contentType": "file", "content": {"fileKey": file}})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, forwarded) = server
        .user_api(
            Method::POST,
            &s.bob,
            &format!("/chats/group/{GROUP}/messages"),
            Some(json!({"contentType": "file", "content": {"fileKey": file}})),
        )
        .await;
    assert_eq!(status, 201, "{forwarded}");
    assert_eq!(forwarded["content"]["fileName"], "报告.pdf");

    // A video: any bytes, labelled by its declared type.
    let resp = server
        .http
        .post(server.url("/api/v1/uploads/video"))
        .bearer_auth(&s.bob)
        .header("Content-Type", "video/webm")
        .body(vec![0u8; 4096])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let up: Value = resp.json().await.unwrap();
    assert_eq!(up["mime"], "video/webm");
    let (status, sent) = server
        .user_api(
            Method::POST,
            &s.bob,
            &format!("/chats/group/{GROUP}/messages"),
            Some(json!({"contentType": "video", "content": {"videoKey": up["key"]}})),
        )
        .await;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(sent["content"]["videoDuration"], 0);
    let resp = server
        .http
        .get(server.url(sent["content"]["videoUrl"].as_str().unwrap()))
        .bearer_auth(&s.alice)
        .header("Range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 206);
    assert_eq!(resp.headers()["content-type"], "video/webm");
}

#[tokio::test]
async fn a_bot_echoes_an_image_it_received_and_cannot_reach_one_it_never_saw() {
    let s = setup().await;
    let server = &s.server;
    // Alice's image in the bot's group; Carol's in her private chat with the other bot.
    let (_, up) = upload(server, &s.alice, "image", "?name=cat.png", png(40, 30)).await;
    let alices = up["key"].as_str().unwrap().to_owned();
    let (status, _) = server
        .user_api(
            Method::POST,
            &s.alice,
            &format!("/chats/group/{GROUP}/messages"),
            Some(json!({"contentType": "image", "content": {"imageKey": alices}})),
        )
        .await;
    assert_eq!(status, 201);
    let (_, up) = upload(server, &s.carol, "image", "?name=private.png", png(7, 7)).await;
    let carols = up["key"].as_str().unwrap().to_owned();
    server.follow(OTHER_BOT, CAROL).await;
    let (status, _) = server
        .user_api(
            Method::POST,
            &s.carol,
            &format!("/chats/bot/{OTHER_BOT}/messages"),
            Some(json!({"contentType": "image", "content": {"imageKey": carols}})),
        )
        .await;
    assert_eq!(status, 201);

    // nonebot's echo: imageKey is the event's imageName without its extension.
    let event = server.outbox(BOT).pop().unwrap();
    let image_name = event["event"]["message"]["content"]["imageName"]
        .as_str()
        .unwrap();
    let image_key = image_name.split('.').next().unwrap();
    let reply = server
        .post(
            "/bot/send",
            &s.bot,
            json!({"recvId": GROUP, "recvType": "group", "contentType": "image",
                   "content": {"at": [], "url": format!("https://chat-img.jwznb.com/{image_name}"),
                               "raw": null, "imageKey": image_key, "text": ""}}),
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    let history = server
        .messages(
            &s.bot,
            &[("chat-id", GROUP), ("chat-type", "group"), ("before", "1")],
        )
        .await;
    let echoed = &history["data"]["list"][0]["content"];
    assert_eq!(
        (
            echoed["imageName"].clone(),
            echoed["imageWidth"].clone(),
            echoed["etag"].clone()
        ),
        (json!(format!("{alices}.png")), json!(40), json!(alices))
    );

    // Carol's image never reached the bot: refused in every shape that names it (issue 22,
    // finding 2: a bot could have had this server sign a URL for any key it knew).
    let before = server.history_ids(&s.bot, "group", GROUP).await;
    let image_refused =
        json!({"code": 1002, "msg": "imageKey值错误，该图片不存在或不是当前机器人上传的"});
    let file_refused =
        json!({"code": 1002, "msg": "fileKey值错误，该文件不存在或不是当前机器人上传的"});
    let signed = format!(
        "{}?sig={}",
        server.url(&format!("/media/{carols}")),
        "0".repeat(32)
    );
    for (content_type, content, expected) in [
        ("image", json!({"imageKey": carols}), &image_refused),
        (
            "image",
            json!({"imageKey": format!("{carols}.png")}),
            &image_refused,
        ),
        (
            "image",
            json!({"imageUrl": format!("/media/{carols}")}),
            &image_refused,
        ),
        ("image", json!({"imageUrl": signed}), &image_refused),
        (
            "image",
            json!({"imageUrl": format!("https://chat-img.jwznb.com/{carols}.png")}),
            &image_refused,
        ),
        (
            "file",
            json!({"fileName": "a.png", "fileUrl": format!("/media/{carols}")}),
            &file_refused,
        ),
    ] {
        let reply = server
            .post(
                "/bot/send",
                &s.bot,
                json!({"recvId": GROUP, "recvType": "group", "contentType": content_type, "content": content}),
            )
            .await;
        assert_eq!(&reply, expected, "{content}");
    }
    assert_eq!(server.history_ids(&s.bot, "group", GROUP).await, before);
    // A text message keeps no media fields, so none can be signed.
    let reply = server
        .post(
            "/bot/send",
            &s.bot,
            json!({"recvId": GROUP, "recvType": "group", "contentType": "text",
                   "content": {"text": "hi", "imageUrl": format!("/media/{carols}")}}),
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    let history = server
        .messages(
            &s.bot,
            &[("chat-id", GROUP), ("chat-type", "group"), ("before", "1")],
        )
        .await;
    assert_eq!(history["data"]["list"][0]["content"], json!({"text": "hi"}));
    let as_bot = server.url(&format!("/media/{carols}?token={}", s.bot));
    assert_eq!(fetch(server, &as_bot, None).await, 404);
    // The other bot, which Carol sent it to, may send it on.
    let reply = server
        .post(
            "/bot/send",
            &s.other_bot,
            json!({"recvId": CAROL, "recvType": "user", "contentType": "image",
                   "content": {"imageUrl": format!("/media/{carols}")}}),
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
}

#[tokio::test]
async fn bad_uploads_are_refused_with_a_reason_and_leave_nothing_behind() {
    let s = setup().await;
    let server = &s.server;
    let media = server.dir.path().join("media");
    let files = || {
        walk(&media)
            .into_iter()
            .filter(|p| p.is_file())
            .collect::<Vec<_>>()
    };

    let (status, body) = upload(server, &s.alice, "image", "", b"not an image".to_vec()).await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = upload(server, &s.alice, "file", "", Vec::new()).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = upload(server, &s.alice, "sticker", "", png(1, 1)).await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = upload(server, "not-a-token", "image", "", png(1, 1)).await;
    assert_eq!(status, 401);

    // Declared too large: refused before a byte is stored; the client still reads why.
    let resp = server
        .http
        .post(server.url("/api/v1/uploads/image"))
        .bearer_auth(&s.alice)
        .body(vec![0u8; 11 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "an upload of kind image may be at most 10 MB"
    );

    // Chunked, with no declared length, growing past the limit: cut off at the limit.
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST /api/v1/uploads/image HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        s.alice
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![0u8; 256 * 1024];
    for _ in 0..44 {
        let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
        framed.extend_from_slice(&chunk);
        framed.extend_from_slice(b"\r\n");
        if stream.write_all(&framed).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(files().is_empty(), "left behind: {:?}", files());
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}

#[tokio::test]
async fn password_sign_in_opens_a_session_that_works_like_the_token() {
    let s = setup().await;
    let server = &s.server;
    let set = |id: &'static str, password: &'static str| async move {
        server
            .admin(
                Method::PUT,
                &format!("/users/{id}/password"),
                Some(json!({"password": password})),
            )
            .await
    };
    assert_eq!(set(ALICE, "short").await.0, 400);
    assert_eq!(set("999", "long enough").await.0, 404);
    assert_eq!(set(ALICE, "correct horse").await.0, 204);

    let sign_in = |body: Value| async move {
        let resp = server
            .http
            .post(server.url("/api/v1/session"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let cookie = resp
            .headers()
            .get("set-cookie")
            .map(|v| v.to_str().unwrap().to_owned());
        (
            status,
            cookie,
            resp.json::<Value>().await.unwrap_or(Value::Null),
        )
    };
    let (status, cookie, body) = sign_in(json!({"userId": ALICE, "password": "wrong horse"})).await;
    assert_eq!((status, cookie), (401, None), "{body}");
    // Bob has no password: the same answer as a wrong one.
    let (status, _, _) = sign_in(json!({"userId": BOB, "password": "correct horse"})).await;
    assert_eq!(status, 401);
    let (status, _, _) = sign_in(json!({"nonsense": 1})).await;
    assert_eq!(status, 400);

    let (status, cookie, body) =
        sign_in(json!({"userId": ALICE, "password": "correct horse"})).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["user"]["userId"], ALICE);
    let session = body["sessionToken"].as_str().unwrap().to_owned();
    assert_ne!(session, s.alice);
    let cookie = cookie.unwrap();
    assert!(
        cookie.starts_with(&format!("cloudlake_session={session};")),
        "{cookie}"
    );
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    // The session token works as the user token does: the API, the live socket.
    let (status, me) = server.user_api(Method::GET, &session, "/me", None).await;
    assert_eq!((status, me["userId"].clone()), (200, json!(ALICE)));
    let (_ws, hello) = server.live(&session, None).await;
    assert_eq!(hello["type"], "hello");

    // The cookie is what a browser's <img> sends for Alice's own upload.
    let (_, up) = upload(server, &s.alice, "image", "", png(2, 2)).await;
    let media = server.url(up["url"].as_str().unwrap());
    let with_cookie = |cookie: String| {
        let media = media.clone();
        async move {
            server
                .http
                .get(&media)
                .header("Cookie", cookie)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        with_cookie(format!("x=1; cloudlake_session={session}")).await,
        200
    );
    assert_eq!(with_cookie("cloudlake_session=forged".into()).await, 404);

    // A token sign-in opens a session too.
    let (status, _, body) = sign_in(json!({"token": s.bob})).await;
    assert_eq!(status, 201, "{body}");
    let bob_session = body["sessionToken"].as_str().unwrap().to_owned();

    // Sign-out ends that session only.
    let resp = server
        .http
        .delete(server.url("/api/v1/session"))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    assert!(
        resp.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        server.user_api(Method::GET, &session, "/me", None).await.0,
        401
    );
    assert_eq!(
        with_cookie(format!("cloudlake_session={session}")).await,
        404
    );
    assert_eq!(
        server
            .user_api(Method::GET, &bob_session, "/me", None)
            .await
            .0,
        200
    );

    // A new token ends every session of the user; so does a new password.
    let (status, _) = server
        .admin(Method::POST, &format!("/users/{BOB}/token"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        server
            .user_api(Method::GET, &bob_session, "/me", None)
            .await
            .0,
        401
    );
    let (_, _, body) = sign_in(json!({"userId": ALICE, "password": "correct horse"})).await;
    let again = body["sessionToken"].as_str().unwrap().to_owned();
    assert_eq!(set(ALICE, "battery staple").await.0, 204);
    assert_eq!(
        server.user_api(Method::GET, &again, "/me", None).await.0,
        401
    );
    let (status, _) = server
        .admin(Method::DELETE, &format!("/users/{ALICE}/password"), None)
        .await;
    assert_eq!(status, 204);
    let (status, _, _) = sign_in(json!({"userId": ALICE, "password": "battery staple"})).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn password_guessing_is_throttled_per_user() {
    let s = setup().await;
    let server = &s.server;
    let (status, _) = server
        .admin(
            Method::PUT,
            &format!("/users/{CAROL}/password"),
            Some(json!({"password": "correct horse"})),
        )
        .await;
    assert_eq!(status, 204);
    let attempt = |password: &'static str| async move {
        server
            .http
            .post(server.url("/api/v1/session"))
            .json(&json!({"userId": CAROL, "password": password}))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    let mut statuses = Vec::new();
    for _ in 0..11 {
        statuses.push(attempt("guess").await);
    }
    assert_eq!(&statuses[..10], &[401; 10]);
    assert_eq!(statuses[10], 429);
    // Even the right password waits now: the throttle is per user ID, not per guess.
    assert_eq!(attempt("correct horse").await, 429);
    // Another user is not affected.
    let resp = server
        .http
        .post(server.url("/api/v1/session"))
        .json(&json!({"token": s.alice}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
}

/// nonebot and Koishi send text beside an image as markdown (or html) with a Yunhu CDN URL
/// built from the upload key. An image the bot may send shows from here, as `/media/KEY`, to
/// the people in the chat; a CDN URL of an image it may not send stays as written.
#[tokio::test]
async fn yunhu_cdn_urls_in_markdown_show_the_bots_images_from_here() {
    let s = setup().await;
    let server = &s.server;
    let (_, up) = upload(server, &s.alice, "image", "?name=cat.png", png(4, 3)).await;
    let alices = up["key"].as_str().unwrap().to_owned();
    let (status, _) = server
        .user_api(
            Method::POST,
            &s.alice,
            &format!("/chats/group/{GROUP}/messages"),
            Some(json!({"contentType": "image", "content": {"imageKey": alices}})),
        )
        .await;
    assert_eq!(status, 201);
    // Carol's image never reached the bot.
    let (_, up) = upload(server, &s.carol, "image", "?name=private.png", png(7, 7)).await;
    let carols = up["key"].as_str().unwrap().to_owned();

    let text = format!(
        "看这个\n\n![](https://chat-img.jwznb.com/{alices}.png)\n\n![](https://chat-img.jwznb.com/{carols}.png)"
    );
    let reply = server
        .post(
            "/bot/send",
            &s.bot,
            json!({"recvId": GROUP, "recvType": "group", "contentType": "markdown",
                   "content": {"text": text}}),
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    let (status, page) = server
        .user_api(
            Method::GET,
            &s.bob,
            &format!("/chats/group/{GROUP}/messages"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let last = page["messages"].as_array().unwrap().last().unwrap();
    assert_eq!(
        last["content"]["text"],
        format!("看这个\n\n![](/media/{alices})\n\n![](https://chat-img.jwznb.com/{carols}.png)")
    );
    let html = last["html"].as_str().unwrap();
    assert!(
        html.contains(&format!("<img src=\"/media/{alices}\"")),
        "{html}"
    );
    // Bob, in the chat, may fetch the image the message now shows.
    assert_eq!(
        fetch(
            server,
            &server.url(&format!("/media/{alices}")),
            Some(&s.bob)
        )
        .await,
        200
    );
}
