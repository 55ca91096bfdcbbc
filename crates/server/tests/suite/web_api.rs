//! The web API adapters call (wire §6.11): bot-info with every field nonebot's `Bot` model
//! requires, group-info, and the user homepage.

#![allow(clippy::unwrap_used)]

use crate::common::TestServer;
use serde_json::{Value, json};

const BOT: &str = "55550001";
const GROUP: &str = "666600001";
const USER: &str = "7770001";

async fn post(server: &TestServer, path: &str, body: Value) -> Value {
    let resp = server
        .http
        .post(server.url(path))
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    crate::common::envelope(resp).await
}

#[tokio::test]
async fn bot_info_answers_every_field_nonebot_requires() {
    let server = TestServer::start().await;
    server.bot(BOT).await;
    server.user(USER, "Alice").await;
    server.follow(BOT, USER).await;
    let reply = post(&server, "/v1/bot/bot-info", json!({"botId": BOT})).await;
    assert_eq!(reply["code"], 1, "{reply}");
    assert_eq!(reply["msg"], "success");
    let bot = &reply["data"]["bot"];
    // nonebot-adapter-yunhu's pydantic `Bot`: every field required, with these types.
    for (field, kind) in [
        ("id", "int"),
        ("botId", "str"),
        ("nickname", "str"),
        ("nicknameId", "int"),
        ("avatarId", "int"),
        ("avatarUrl", "str"),
        ("token", "str"),
        ("link", "str"),
        ("introduction", "str"),
        ("createBy", "str"),
        ("createTime", "int"),
        ("headcount", "int"),
        ("private", "int"),
        ("uri", "str"),
    ] {
        let value = &bot[field];
        let ok = match kind {
            "int" => value.is_i64(),
            _ => value.is_string(),
        };
        assert!(ok, "{field} must be {kind}: {bot}");
    }
    assert_eq!(bot["botId"], BOT);
    assert_eq!(bot["nickname"], format!("bot {BOT}"));
    assert_eq!(bot["headcount"], 1, "one follower");
    assert_eq!(bot["token"], "", "never the token");
    let created = bot["createTime"].as_i64().unwrap();
    assert!(
        (1_600_000_000..4_000_000_000).contains(&created),
        "seconds: {created}"
    );
    assert_eq!(
        bot["uri"],
        format!("http://{}/open-apis/v1/bot/send?token=", server.addr)
    );

    let reply = post(&server, "/v1/bot/bot-info", json!({"botId": "404404"})).await;
    assert_eq!(reply, json!({"code": -1, "msg": "机器人不存在"}));
}

#[tokio::test]
async fn group_info_and_homepage() {
    let server = TestServer::start().await;
    server.user(USER, "Alice").await;
    server.group(GROUP, &[USER]).await;
    let reply = post(&server, "/v1/group/group-info", json!({"groupId": GROUP})).await;
    assert_eq!(reply["code"], 1, "{reply}");
    let group = &reply["data"]["group"];
    for field in [
        "id",
        "groupId",
        "name",
        "introduction",
        "createBy",
        "createTime",
        "avatarId",
        "avatarUrl",
        "headcount",
        "readHistory",
        "category",
        "uri",
    ] {
        assert!(!group[field].is_null(), "{field}: {group}");
    }
    assert_eq!(group["groupId"], GROUP);
    assert_eq!(group["name"], format!("group {GROUP}"));
    assert_eq!(group["headcount"], 1);
    let reply = post(&server, "/v1/group/group-info", json!({"groupId": "1"})).await;
    assert_eq!(reply["code"], -1, "{reply}");

    let resp = server
        .http
        .get(server.url(&format!("/v1/user/homepage?userId={USER}")))
        .send()
        .await
        .unwrap();
    let reply = crate::common::envelope(resp).await;
    assert_eq!(reply["code"], 1, "{reply}");
    let user = &reply["data"]["user"];
    assert_eq!(user["userId"], USER);
    assert_eq!(user["nickname"], "Alice");
    assert!(user["registerTime"].as_i64().unwrap() > 1_600_000_000);
    assert_eq!(user["registerTimeText"].as_str().unwrap().len(), 10);
    assert_eq!(user["medals"], json!([]));
    for field in ["avatarUrl", "onLineDay", "continuousOnLineDay", "isVip"] {
        assert!(!user[field].is_null(), "{field}: {user}");
    }

    // Unknown user: code 1 with empty fields.
    let resp = server
        .http
        .get(server.url("/v1/user/homepage?userId=999"))
        .send()
        .await
        .unwrap();
    let reply = crate::common::envelope(resp).await;
    assert_eq!(reply["code"], 1, "{reply}");
    assert_eq!(reply["data"]["user"]["userId"], "");
    assert_eq!(reply["data"]["user"]["nickname"], "");
}
