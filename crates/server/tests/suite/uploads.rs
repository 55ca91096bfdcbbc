//! Uploads against a running server: each client's multipart shape byte for byte, the size
//! limits, the failure texts, media fields in history, and `GET /media/{key}` with Range.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use crate::common::TestServer;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BOT: &str = "86297657";
const USER: &str = "7756242";
const GROUP: &str = "307149245";

async fn setup() -> (TestServer, String) {
    let server = TestServer::start().await;
    let token = server.bot(BOT).await;
    server.user(USER, "user").await;
    server.group(GROUP, &[USER]).await;
    server.join(BOT, GROUP).await;
    server.follow(BOT, USER).await;
    (server, token)
}

/// The header of a PNG `width` × `height`: enough for any size reader, and more bytes after
/// it so that the file is not trivially short.
pub(crate) fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.extend_from_slice(&width.to_be_bytes());
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.extend_from_slice(&[8, 2, 0, 0, 0, 0x90, 0x77, 0x53, 0xde]);
    bytes.extend((0..200u8).collect::<Vec<_>>());
    bytes
}

/// An MP4 of `ms` milliseconds as far as its `moov/mvhd` box says, with `moov` after `mdat`.
pub(crate) fn mp4(ms: u32) -> Vec<u8> {
    fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = u32::try_from(body.len() + 8)
            .unwrap()
            .to_be_bytes()
            .to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }
    let mut mvhd = vec![0u8; 12];
    mvhd.extend_from_slice(&1000u32.to_be_bytes());
    mvhd.extend_from_slice(&ms.to_be_bytes());
    mvhd.extend_from_slice(&[0u8; 80]);
    let mut bytes = boxed(b"ftyp", b"isom\0\0\x02\0isomiso2mp41");
    bytes.extend(boxed(b"mdat", &[5u8; 4096]));
    bytes.extend(boxed(b"moov", &boxed(b"mvhd", &mvhd)));
    bytes
}

/// One multipart part, written out exactly.
fn part(headers: &str, data: &[u8]) -> Vec<u8> {
    let mut out = headers.as_bytes().to_vec();
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

/// A multipart body from parts, with the boundary given.
fn multipart(boundary: &str, parts: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        out.extend_from_slice(p);
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    out
}

/// `post_with_type`: the bot API with a hand-built body.
trait RawPost {
    async fn post_with_type(
        &self,
        path: &str,
        token: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Value;
}

impl RawPost for TestServer {
    /// POSTs a hand-built body to a bot API path with the Content-Type given, and returns the
    /// envelope (checked to be HTTP 200 JSON).
    async fn post_with_type(
        &self,
        path: &str,
        token: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Value {
        let resp = self
            .http
            .post(self.url(&format!("/open-apis/v1{path}?token={token}")))
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        crate::common::envelope(resp).await
    }
}

fn key_of(reply: &Value, field: &str) -> String {
    assert_eq!(reply["code"], 1, "{reply}");
    assert_eq!(reply["msg"], "success");
    let data = reply["data"].as_object().unwrap();
    assert_eq!(data.len(), 1, "only {field}: {reply}");
    let key = data[field].as_str().unwrap().to_owned();
    assert_eq!(key.len(), 64, "{key}");
    assert!(key.bytes().all(|b| b.is_ascii_hexdigit()));
    key
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(files_under(&path));
            } else {
                out.push(path.display().to_string());
            }
        }
    }
    out
}

#[tokio::test]
async fn python_sdk_shape_with_filename_and_type() {
    let (server, token) = setup().await;
    let boundary = "a3f1e4c5b6d7e8f90a1b2c3d4e5f6a7b";
    let body = multipart(
        boundary,
        &[part(
            "Content-Disposition: form-data; name=\"image\"; filename=\"cat.png\"\r\nContent-Type: image/png",
            &png(640, 480),
        )],
    );
    let reply = server
        .post_with_type(
            "/image/upload",
            &token,
            &format!("multipart/form-data; boundary={boundary}"),
            body,
        )
        .await;
    let key = key_of(&reply, "imageKey");
    // Stored content-addressed under the data directory.
    let blob = server
        .dir
        .path()
        .join("media")
        .join(&key[0..2])
        .join(&key[2..4])
        .join(&key);
    assert_eq!(std::fs::read(blob).unwrap(), png(640, 480));
}

#[tokio::test]
async fn nonebot_shape() {
    let (server, token) = setup().await;
    let boundary = "5b2b8c1b4f1c4e7e8a9d0c1b2a3f4e5d";
    let body = multipart(
        boundary,
        &[part(
            "Content-Disposition: form-data; name=\"image\"; filename=\"image.png\"\r\nContent-Type: image/png",
            &png(3, 2),
        )],
    );
    let reply = server
        .post_with_type(
            "/image/upload",
            &token,
            &format!("multipart/form-data; boundary={boundary}"),
            body,
        )
        .await;
    key_of(&reply, "imageKey");
}

#[tokio::test]
async fn dotnet_shape_without_filename_and_a_quoted_boundary() {
    let (server, token) = setup().await;
    let boundary = "0b9f3c2e-8d2a-4b1e-9f0a-6c5d4e3f2a1b";
    let body = multipart(
        boundary,
        &[part(
            "Content-Type: application/octet-stream\r\nContent-Disposition: form-data; name=image",
            &png(10, 20),
        )],
    );
    let reply = server
        .post_with_type(
            "/image/upload",
            &token,
            &format!("multipart/form-data; boundary=\"{boundary}\""),
            body,
        )
        .await;
    key_of(&reply, "imageKey");
}

#[tokio::test]
async fn rust3p_shape_with_an_extra_text_field() {
    let (server, token) = setup().await;
    let boundary = "9a8b7c6d5e4f3a2b-1c0d9e8f7a6b5c4d";
    for (path, field, data, key_field) in [
        ("/image/upload", "image", png(1, 1), "imageKey"),
        ("/video/upload", "video", mp4(1500), "videoKey"),
        ("/file/upload", "file", b"hello".to_vec(), "fileKey"),
    ] {
        let body = multipart(
            boundary,
            &[
                part("Content-Disposition: form-data; name=\"extra\"", b""),
                part(
                    &format!(
                        "Content-Disposition: form-data; name=\"{field}\"; filename=\"a.bin\"\r\nContent-Type: application/octet-stream"
                    ),
                    &data,
                ),
            ],
        );
        let reply = server
            .post_with_type(
                path,
                &token,
                &format!("multipart/form-data; boundary={boundary}"),
                body,
            )
            .await;
        key_of(&reply, key_field);
    }
}

#[tokio::test]
async fn missing_or_bad_parts_get_the_live_texts() {
    let (server, token) = setup().await;
    let boundary = "b";
    for (path, text) in [
        ("/image/upload", "图片获取失败"),
        ("/video/upload", "视频获取失败"),
        ("/file/upload", "文件获取失败"),
    ] {
        let expected = json!({"code": -1, "msg": text});
        // A part under another name.
        let body = multipart(
            boundary,
            &[part(
                "Content-Disposition: form-data; name=\"upload\"; filename=\"x.png\"",
                &png(1, 1),
            )],
        );
        let reply = server
            .post_with_type(path, &token, "multipart/form-data; boundary=b", body)
            .await;
        assert_eq!(reply, expected);
        // Not multipart at all.
        let reply = server
            .post_with_type(path, &token, "application/json", b"{}".to_vec())
            .await;
        assert_eq!(reply, expected);
        // Truncated: the body ends inside the part.
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\nabc",
            &path[1..path.len() - 7]
        )
        .into_bytes();
        body.extend_from_slice(b"def");
        let reply = server
            .post_with_type(path, &token, "multipart/form-data; boundary=b", body)
            .await;
        assert_eq!(reply, expected, "{path}");
    }
    // An "image" that is no image.
    let body = multipart(
        boundary,
        &[part(
            "Content-Disposition: form-data; name=\"image\"; filename=\"x.png\"",
            b"<svg onload=alert(1)></svg>",
        )],
    );
    let reply = server
        .post_with_type(
            "/image/upload",
            &token,
            "multipart/form-data; boundary=b",
            body,
        )
        .await;
    assert_eq!(reply, json!({"code": -1, "msg": "图片获取失败"}));
    // And a bad token is still a token error.
    let reply = server
        .post_with_type(
            "/image/upload",
            "nope",
            "multipart/form-data; boundary=b",
            vec![],
        )
        .await;
    assert_eq!(reply["code"], 1003);
    // Nothing was stored by any of it.
    let stored: Vec<_> = files_under(&server.dir.path().join("media"));
    assert!(stored.is_empty(), "{stored:?}");
}

fn too_large_image() -> Vec<u8> {
    let mut data = png(100, 100);
    data.resize(11 * 1024 * 1024, 0);
    multipart(
        "big",
        &[part(
            "Content-Disposition: form-data; name=\"image\"; filename=\"big.png\"\r\nContent-Type: image/png",
            &data,
        )],
    )
}

#[tokio::test]
async fn an_11_mb_image_is_refused_and_leaves_nothing_behind() {
    let (server, token) = setup().await;
    let expected = json!({"code": 1002, "msg": "图片大小超过限制，上限为10MB"});
    // With Content-Length: refused before anything is stored.
    let reply = server
        .post_with_type(
            "/image/upload",
            &token,
            "multipart/form-data; boundary=big",
            too_large_image(),
        )
        .await;
    assert_eq!(reply, expected);
    // A bad token comes first, and the client still reads its answer.
    let reply = server
        .post_with_type(
            "/image/upload",
            "nope",
            "multipart/form-data; boundary=big",
            too_large_image(),
        )
        .await;
    assert_eq!(reply, json!({"code": 1003, "msg": "非法token"}));

    // Chunked, without a declared length: cut off while streaming, at the limit.
    let body = too_large_image();
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST /open-apis/v1/image/upload?token={token} HTTP/1.1\r\nHost: x\r\n\
         Content-Type: multipart/form-data; boundary=big\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for chunk in body.chunks(256 * 1024) {
        let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
        framed.extend_from_slice(chunk);
        framed.extend_from_slice(b"\r\n");
        if stream.write_all(&framed).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let body = &response[response.find("\r\n\r\n").unwrap() + 4..];
    let reply: Value = serde_json::from_str(body.trim()).unwrap();
    assert_eq!(reply, expected);

    // A 10 MB image is still fine (the limit is inclusive).
    let mut data = png(100, 100);
    data.resize(10 * 1024 * 1024, 0);
    let ok = multipart(
        "ok",
        &[part(
            "Content-Disposition: form-data; name=\"image\"",
            &data,
        )],
    );
    let reply = server
        .post_with_type(
            "/image/upload",
            &token,
            "multipart/form-data; boundary=ok",
            ok,
        )
        .await;
    let key = key_of(&reply, "imageKey");
    // Only that one blob, and no staging file, is left.
    let stored = files_under(&server.dir.path().join("media"));
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(stored[0].ends_with(&key));
}

pub(crate) async fn upload(
    server: &TestServer,
    token: &str,
    field: &str,
    name: &str,
    data: &[u8],
) -> String {
    let body = multipart(
        "xyz",
        &[part(
            &format!("Content-Disposition: form-data; name=\"{field}\"; filename=\"{name}\""),
            data,
        )],
    );
    let reply = server
        .post_with_type(
            &format!("/{field}/upload"),
            token,
            "multipart/form-data; boundary=xyz",
            body,
        )
        .await;
    key_of(&reply, &format!("{field}Key"))
}

async fn newest(server: &TestServer, token: &str, chat_type: &str, chat_id: &str) -> Value {
    let reply = server
        .messages(
            token,
            &[
                ("chat-id", chat_id),
                ("chat-type", chat_type),
                ("before", "1"),
            ],
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    reply["data"]["list"][0].clone()
}

/// Checks that a bot's media URL is this server's absolute, signed URL of `key` with an
/// expiry, fetchable with no credential at all (as Yunhu's CDN URLs are) while a forged
/// signature, a moved expiry or a signature without one is not.
async fn signed_url(server: &TestServer, url: &Value, key: &str) -> String {
    let url = url.as_str().unwrap_or_default().to_owned();
    let prefix = server.url(&format!("/media/{key}?exp="));
    let (exp, sig) = url
        .strip_prefix(&prefix)
        .and_then(|rest| rest.split_once("&sig="))
        .unwrap_or_else(|| panic!("{url} is not {prefix}…&sig=…"));
    let exp: u64 = exp.parse().unwrap();
    let now = cloudlake_server::media::unix_now();
    assert!(
        (now + 3500..=now + 3600).contains(&exp),
        "good for the default hour: {url}"
    );
    assert_eq!(sig.len(), 32, "{url}");
    assert!(sig.bytes().all(|b| b.is_ascii_hexdigit()), "{url}");
    let resp = server.http.get(&url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200, "{url}");
    let path = server.url(&format!("/media/{key}"));
    for (forged, status) in [
        (format!("{path}?exp={exp}&sig={}", "0".repeat(32)), 404),
        (format!("{path}?exp={}&sig={sig}", exp + 3600), 404),
        // The shape of URLs from before they expired: refused, whatever its signature.
        (format!("{path}?sig={sig}"), 403),
    ] {
        let resp = server.http.get(&forged).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), status, "{forged}");
    }
    url
}

#[tokio::test]
async fn each_kind_round_trips_into_history_with_its_media_fields() {
    let (server, token) = setup().await;
    let image = upload(&server, &token, "image", "photo.png", &png(3, 2)).await;
    let video = upload(&server, &token, "video", "clip.mp4", &mp4(12_600)).await;
    let file = upload(&server, &token, "file", "报告.pdf", b"%PDF-1.4 tiny").await;

    let send = |content_type: &str, content: Value| json!({"recvId": GROUP, "recvType": "group", "contentType": content_type, "content": content});
    let reply = server
        .post(
            "/bot/send",
            &token,
            send("image", json!({"imageKey": image})),
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    let item = newest(&server, &token, "group", GROUP).await;
    assert_eq!(item["contentType"], "image");
    let image_url = signed_url(&server, &item["content"]["imageUrl"], &image).await;
    assert_eq!(
        item["content"],
        json!({"imageKey": image, "imageUrl": image_url,
               "imageName": format!("{image}.png"), "imageWidth": 3, "imageHeight": 2, "etag": image})
    );

    let reply = server
        .post(
            "/bot/send",
            &token,
            send("video", json!({"videoKey": video})),
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    let item = newest(&server, &token, "group", GROUP).await;
    let video_url = signed_url(&server, &item["content"]["videoUrl"], &video).await;
    assert_eq!(
        item["content"],
        json!({"videoKey": video, "videoUrl": video_url, "videoDuration": 13, "etag": video})
    );

    // A private chat, with buttons beside the file.
    let reply = server
        .post(
            "/bot/send",
            &token,
            json!({"recvId": USER, "recvType": "user", "contentType": "file",
                   "content": {"fileKey": file, "buttons": [{"text": "a", "actionType": 2, "value": "v"}]}}),
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    let item = newest(&server, &token, "user", USER).await;
    let file_url = signed_url(&server, &item["content"]["fileUrl"], &file).await;
    assert_eq!(
        item["content"],
        json!({"fileKey": file, "fileName": "报告.pdf", "fileUrl": file_url,
               "fileSize": 13, "etag": file,
               "buttons": [[{"text": "a", "actionType": 2, "value": "v"}]]})
    );

    // batch_send and edit resolve keys too.
    let reply = server
        .post(
            "/bot/batch_send",
            &token,
            json!({"recvIds": [GROUP], "recvType": "group", "contentType": "file", "content": {"fileKey": file}}),
        )
        .await;
    assert_eq!(reply["data"]["successCount"], 1, "{reply}");
    let msg_id = reply["data"]["successList"][0]["msgId"].clone();
    let reply = server
        .post(
            "/bot/edit",
            &token,
            json!({"msgId": msg_id, "recvId": GROUP, "recvType": "group", "contentType": "image", "content": {"imageKey": image}}),
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    let item = newest(&server, &token, "group", GROUP).await;
    assert_eq!(item["content"]["imageWidth"], 3);
}

#[tokio::test]
async fn unknown_or_foreign_keys_are_refused_and_store_nothing() {
    let (server, token) = setup().await;
    let other = server.bot("11111111").await;
    server.join("11111111", GROUP).await;
    // Another bot's upload that never reached this bot's chats, and this bot's upload as a
    // file of bytes nobody uploaded as an image.
    let theirs = upload(&server, &other, "image", "a.png", &png(2, 2)).await;
    let mine_as_file = upload(&server, &token, "file", "a.png", &png(1, 1)).await;

    let before = server.history_ids(&token, "group", GROUP).await;
    for (content_type, content, expected) in [
        (
            "image",
            json!({"imageKey": "0".repeat(64)}),
            "imageKey值错误，该图片不存在或不是当前机器人上传的",
        ),
        (
            "image",
            json!({"imageKey": theirs}),
            "imageKey值错误，该图片不存在或不是当前机器人上传的",
        ),
        (
            "image",
            json!({"imageKey": mine_as_file}),
            "imageKey值错误，该图片不存在或不是当前机器人上传的",
        ),
        // Knowing a key is not enough in the legacy shapes either (issue 22, finding 2).
        (
            "image",
            json!({"imageUrl": format!("/media/{theirs}")}),
            "imageKey值错误，该图片不存在或不是当前机器人上传的",
        ),
        (
            "video",
            json!({"videoKey": "nope"}),
            "videoKey值错误，该视频不存在或不是当前机器人上传的",
        ),
        (
            "file",
            json!({"fileKey": "x"}),
            "fileKey值错误，该文件不存在或不是当前机器人上传的",
        ),
    ] {
        let reply = server
            .post(
                "/bot/send",
                &token,
                json!({"recvId": GROUP, "recvType": "group", "contentType": content_type, "content": content}),
            )
            .await;
        assert_eq!(reply, json!({"code": 1002, "msg": expected}));
    }
    assert_eq!(server.history_ids(&token, "group", GROUP).await, before);

    // The legacy shapes keep working unchanged.
    let reply = server
        .post(
            "/bot/send",
            &token,
            json!({"recvId": GROUP, "recvType": "group", "contentType": "file",
                   "content": {"fileName": "a.txt", "fileUrl": "https://example.invalid/a.txt"}}),
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    let item = newest(&server, &token, "group", GROUP).await;
    assert_eq!(
        item["content"],
        json!({"fileName": "a.txt", "fileUrl": "https://example.invalid/a.txt"})
    );
}

#[tokio::test]
async fn media_are_served_with_ranges() {
    let (server, token) = setup().await;
    let video: Vec<u8> = mp4(2000);
    let key = upload(&server, &token, "video", "v.mp4", &video).await;
    // The uploading bot fetches with its token, as it calls the bot API.
    let url = server.url(&format!("/media/{key}?token={token}"));

    let resp = server.http.get(&url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["content-type"], "video/mp4");
    assert_eq!(resp.headers()["accept-ranges"], "bytes");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), video.as_slice());

    let resp = server
        .http
        .get(&url)
        .header("Range", "bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 206);
    assert_eq!(
        resp.headers()["content-range"],
        format!("bytes 100-199/{}", video.len()).as_str()
    );
    assert_eq!(resp.bytes().await.unwrap().as_ref(), &video[100..200]);

    // An image is served as what its bytes are; a file is a download.
    let image = upload(&server, &token, "image", "x.jpeg", &png(1, 1)).await;
    let resp = server
        .http
        .get(server.url(&format!("/media/{image}?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "image/png");
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    let file = upload(
        &server,
        &token,
        "file",
        "x.html",
        b"<script>alert(1)</script>",
    )
    .await;
    let resp = server
        .http
        .get(server.url(&format!("/media/{file}?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-disposition"], "attachment");
    // Without any credential: 401, and nothing of the bytes.
    let resp = server
        .http
        .get(server.url(&format!("/media/{file}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);

    for missing in [
        "0".repeat(64),
        "..%2F..%2Fcloudlake.db".to_owned(),
        "abc".to_owned(),
    ] {
        let resp = server
            .http
            .get(server.url(&format!("/media/{missing}?token={token}")))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 404, "{missing}");
    }
}

#[tokio::test]
async fn signed_media_urls_expire_after_their_ttl_and_reading_again_gives_a_fresh_one() {
    let server = TestServer::start_with(|config| {
        config.limits.media_url_ttl = std::time::Duration::from_secs(3);
    })
    .await;
    let token = server.bot(BOT).await;
    server.group(GROUP, &[]).await;
    server.join(BOT, GROUP).await;
    let image = upload(&server, &token, "image", "photo.png", &png(3, 2)).await;
    let reply = server
        .post(
            "/bot/send",
            &token,
            json!({"recvId": GROUP, "recvType": "group", "contentType": "image",
                   "content": {"imageKey": image}}),
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");
    let url = newest(&server, &token, "group", GROUP).await["content"]["imageUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let exp: u64 = url
        .split_once("?exp=")
        .and_then(|(_, rest)| rest.split_once('&'))
        .unwrap()
        .0
        .parse()
        .unwrap();
    // A TTL of 3 s and whole seconds: the URL is good for at least 2 s from now.
    assert!(exp <= cloudlake_server::media::unix_now() + 3, "{url}");
    assert_eq!(server.http.get(&url).send().await.unwrap().status(), 200);

    // Bounded: at most ~3 s, until the clock passes the expiry.
    while cloudlake_server::media::unix_now() < exp {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let resp = server.http.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 403, "{url}");
    let body: Value = resp.json().await.unwrap();
    assert!(body["msg"].as_str().unwrap().contains("expired"), "{body}");

    let fresh = newest(&server, &token, "group", GROUP).await["content"]["imageUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(fresh, url);
    assert_eq!(server.http.get(&fresh).send().await.unwrap().status(), 200);
}
