//! Group administration (wire §6.9) against a running server: each call's success shape, its
//! permission error and its not-in-group error, and the send policy the store derives.

#![allow(clippy::unwrap_used)]

use crate::common::TestServer;
use cloudlake_server::store::{Durability, SendPolicy, Store, WriterThread};
use serde_json::{Value, json};

const BOT: &str = "86297657";
const GROUP: &str = "307149245";
/// A group the bot is not in.
const OTHER: &str = "665344168";
const OWNER: &str = "1000001";
const ALICE: &str = "1000002";
const BOB: &str = "1000003";

/// Admin helpers used only here.
trait GroupAdminHelpers {
    async fn permissions(&self, bot: &str, group: &str, permissions: Value);
    async fn group_detail(&self, group: &str) -> Value;
}

impl GroupAdminHelpers for TestServer {
    /// Grants a bot permissions in a group through the admin API.
    async fn permissions(&self, bot: &str, group: &str, permissions: Value) {
        let (status, body) = self
            .admin(
                reqwest::Method::PUT,
                &format!("/groups/{group}/bots/{bot}/permissions"),
                Some(permissions),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    /// `GET /admin/v1/groups/{id}`.
    async fn group_detail(&self, group: &str) -> Value {
        let (status, body) = self
            .admin(reqwest::Method::GET, &format!("/groups/{group}"), None)
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }
}

/// The store of a stopped server, to ask it what the user-send path will ask. (The one place
/// that knows `Store::open`'s arguments.)
fn open_store(dir: &std::path::Path) -> (Store, WriterThread) {
    let sink = std::sync::Arc::new(cloudlake_server::store::NoSink);
    match crate::common::test_database(dir) {
        Some(url) => Store::open_postgres(&url, sink),
        None => Store::open(dir, Durability::Normal, sink),
    }
    .unwrap()
}

fn ok() -> Value {
    json!({"code": 1, "msg": "success"})
}

fn business(msg: &str) -> Value {
    json!({"code": -1, "msg": msg})
}

fn not_in_group(group: &str) -> Value {
    business(&format!("群(ID:{group})中未添加当前机器人(ID: {BOT})。"))
}

async fn setup() -> (TestServer, String) {
    let server = TestServer::start().await;
    let token = server.bot(BOT).await;
    for (id, name) in [(OWNER, "owner"), (ALICE, "alice"), (BOB, "bob")] {
        server.user(id, name).await;
    }
    server.group(GROUP, &[ALICE, BOB]).await;
    let (status, body) = server
        .admin(
            reqwest::Method::PUT,
            &format!("/groups/{GROUP}/members/{OWNER}"),
            Some(json!({"role": "owner"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    server.group(OTHER, &[ALICE]).await;
    server.join(BOT, GROUP).await;
    (server, token)
}

/// Calls `path` with `body` into GROUP without the permission, into OTHER (not a member), then
/// with only `flag` granted, and returns that last reply.
async fn check_guarded(
    server: &TestServer,
    token: &str,
    path: &str,
    body: Value,
    flag: &str,
    refusal: &str,
) -> Value {
    server.permissions(BOT, GROUP, json!({})).await;
    let reply = server.post(path, token, body.clone()).await;
    assert_eq!(reply, business(refusal), "{path} without {flag}");
    let mut elsewhere = body.clone();
    elsewhere["groupId"] = json!(OTHER);
    let reply = server.post(path, token, elsewhere).await;
    assert_eq!(
        reply,
        not_in_group(OTHER),
        "{path} in a group without the bot"
    );
    let mut nowhere = body.clone();
    nowhere["groupId"] = json!("999999999");
    let reply = server.post(path, token, nowhere).await;
    assert_eq!(reply, not_in_group("999999999"));
    server.permissions(BOT, GROUP, json!({flag: true})).await;
    server.post(path, token, body).await
}

#[tokio::test]
async fn gag_member() {
    let (server, token) = setup().await;
    let reply = check_guarded(
        &server,
        &token,
        "/group/gag-member",
        json!({"groupId": GROUP, "userId": ALICE, "gag": 600}),
        "allowGagMember",
        "机器人无禁言用户权限",
    )
    .await;
    assert_eq!(reply, ok());
    let reply = server
        .post(
            "/group/gag-member",
            &token,
            json!({"groupId": GROUP, "userId": BOB, "gag": -1}),
        )
        .await;
    assert_eq!(reply, ok());

    let detail = server.group_detail(GROUP).await;
    let gags = detail["gags"].as_array().unwrap();
    assert_eq!(gags.len(), 2, "{detail}");
    assert_eq!(gags[0]["userId"], ALICE);
    assert!(gags[0]["untilMs"].as_i64().unwrap() > 0);
    assert_eq!(
        gags[1],
        json!({"userId": BOB, "untilMs": null, "setByBot": BOT})
    );
    assert_eq!(
        detail["botPermissions"],
        json!({BOT: {"allowGagMember": true, "allowRemoveMember": false,
                     "allowEditGroupInfo": false, "allowGroupTagManage": false}})
    );

    for (body, expected) in [
        (
            json!({"groupId": GROUP, "userId": OWNER, "gag": 600}),
            business("不可以禁言群主！"),
        ),
        (
            json!({"groupId": GROUP, "userId": "4040404", "gag": 600}),
            business(&format!("用户(ID:4040404)不在群(ID:{GROUP})中。")),
        ),
        (
            json!({"groupId": GROUP, "userId": ALICE, "gag": -7}),
            json!({"code": 1002, "msg": "gag取值错误，应为禁言秒数(如600)，0为解除禁言，-1为永久禁言"}),
        ),
        (
            json!({"groupId": GROUP, "gag": 600}),
            json!({"code": 1002, "msg": "userId值错误，值不能为空"}),
        ),
    ] {
        assert_eq!(
            server.post("/group/gag-member", &token, body).await,
            expected
        );
    }

    // 0 unmutes.
    let reply = server
        .post(
            "/group/gag-member",
            &token,
            json!({"groupId": GROUP, "userId": ALICE, "gag": 0}),
        )
        .await;
    assert_eq!(reply, ok());
    let detail = server.group_detail(GROUP).await;
    assert_eq!(detail["gags"].as_array().unwrap().len(), 1, "{detail}");

    // What the user-send path will see.
    let dir = server.stop().await;
    let (store, writer) = open_store(dir.path());
    let policy = |user: &str| store.group_send_policy(GROUP.into(), user.into(), "text".into());
    assert_eq!(policy(ALICE).await.unwrap(), SendPolicy::Allowed);
    assert_eq!(
        policy(BOB).await.unwrap(),
        SendPolicy::Gagged { until_ms: None }
    );
    drop(store);
    writer.join();
}

#[tokio::test]
async fn remove_member() {
    let (server, token) = setup().await;
    let reply = check_guarded(
        &server,
        &token,
        "/group/remove-member",
        json!({"groupId": GROUP, "userId": ALICE}),
        "allowRemoveMember",
        "机器人无移除群成员权限",
    )
    .await;
    assert_eq!(reply, ok());
    // As a set: members added in the same millisecond have no join order between them.
    let mut members: Vec<String> = server.group_detail(GROUP).await["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["userId"].as_str().unwrap().to_owned())
        .collect();
    members.sort();
    let mut expected = vec![BOB.to_owned(), OWNER.to_owned()];
    expected.sort();
    assert_eq!(members, expected);

    let reply = server
        .post(
            "/group/remove-member",
            &token,
            json!({"groupId": GROUP, "userId": OWNER}),
        )
        .await;
    assert_eq!(reply, business("不可以移除群主！"));
    let reply = server
        .post(
            "/group/remove-member",
            &token,
            json!({"groupId": GROUP, "userId": ALICE}),
        )
        .await;
    assert_eq!(
        reply,
        business(&format!("用户(ID:{ALICE})不在群(ID:{GROUP})中。"))
    );
}

#[tokio::test]
async fn msg_type_limit() {
    let (server, token) = setup().await;
    let reply = check_guarded(
        &server,
        &token,
        "/group/msg-type-limit",
        json!({"groupId": GROUP, "type": "text,image,video"}),
        "allowEditGroupInfo",
        "机器人无修改群信息权限",
    )
    .await;
    assert_eq!(reply, ok());
    assert_eq!(
        server.group_detail(GROUP).await["msgTypeLimit"],
        json!(["text", "image", "video"])
    );
    let reply = server
        .post(
            "/group/msg-type-limit",
            &token,
            json!({"groupId": GROUP, "type": "text,gif"}),
        )
        .await;
    assert_eq!(
        reply,
        json!({"code": 1002, "msg": "type格式错误，应为消息类型名称(如: text,image,video)"})
    );
    // The bad call changed nothing.
    assert_eq!(
        server.group_detail(GROUP).await["msgTypeLimit"],
        json!(["text", "image", "video"])
    );

    let dir = server.stop().await;
    let (store, writer) = open_store(dir.path());
    let policy = |t: &str| store.group_send_policy(GROUP.into(), ALICE.into(), t.into());
    assert_eq!(policy("image").await.unwrap(), SendPolicy::Allowed);
    assert_eq!(
        policy("markdown").await.unwrap(),
        SendPolicy::TypeNotAllowed
    );
    drop(store);
    writer.join();

    // "" lifts the limit.
    let server = TestServer::start_in(dir, |_| {}).await;
    let reply = server
        .post(
            "/group/msg-type-limit",
            &token,
            json!({"groupId": GROUP, "type": ""}),
        )
        .await;
    assert_eq!(reply, ok());
    assert_eq!(server.group_detail(GROUP).await["msgTypeLimit"], json!([]));
}

async fn tag_list_get(server: &TestServer, token: &str, group: &str) -> Value {
    let resp = server
        .http
        .get(server.url("/open-apis/v1/group/tag/list"))
        .query(&[("token", token), ("groupId", group)])
        .send()
        .await
        .unwrap();
    crate::common::envelope(resp).await
}

#[tokio::test]
async fn tags() {
    let (server, token) = setup().await;
    let reply = check_guarded(
        &server,
        &token,
        "/group/tag/create",
        json!({"groupId": GROUP, "tag": "管理员", "color": "#FF0000", "desc": "管理", "sort": 2}),
        "allowGroupTagManage",
        "机器人无群标签管理权限",
    )
    .await;
    assert_eq!(reply["code"], 1, "{reply}");
    assert_eq!(reply["msg"], "success");
    assert!(reply["data"]["tagId"].as_i64().unwrap() > 0, "{reply}");
    let reply = server
        .post(
            "/group/tag/create",
            &token,
            json!({"groupId": GROUP, "tag": "vip"}),
        )
        .await;
    assert_eq!(reply["code"], 1, "{reply}");

    for (body, expected) in [
        (
            json!({"groupId": GROUP, "tag": "vip"}),
            business("创建失败，该标签已存在"),
        ),
        (
            json!({"groupId": GROUP, "tag": "0123456789"}),
            business("标签长度过长"),
        ),
        (
            json!({"groupId": GROUP, "tag": "x", "color": "red"}),
            business("颜色输入错误"),
        ),
        (
            json!({"groupId": GROUP}),
            json!({"code": 1002, "msg": "tag值错误，值不能为空"}),
        ),
    ] {
        assert_eq!(
            server.post("/group/tag/create", &token, body).await,
            expected
        );
    }

    // Listing needs membership only, by GET and by POST.
    server.permissions(BOT, GROUP, json!({})).await;
    let expected = json!({"code": 1, "msg": "success", "data": {"list": [
        {"tag": "vip", "desc": "", "color": "", "sort": 0},
        {"tag": "管理员", "desc": "管理", "color": "#FF0000", "sort": 2}]}});
    assert_eq!(tag_list_get(&server, &token, GROUP).await, expected);
    let reply = server
        .post("/group/tag/list", &token, json!({"groupId": GROUP}))
        .await;
    assert_eq!(reply, expected);
    assert_eq!(
        tag_list_get(&server, &token, OTHER).await,
        not_in_group(OTHER)
    );
    let reply = server
        .post("/group/tag/list", &token, json!({"groupId": OTHER}))
        .await;
    assert_eq!(reply, not_in_group(OTHER));

    // edit, delete, user-relate and user-relate-cancel: refused without the flag and outside
    // the group, then done with it.
    let calls = [
        (
            "/group/tag/edit",
            json!({"groupId": GROUP, "tag": "vip", "newTag": "VIP", "color": "#00ff00", "sort": 9}),
        ),
        (
            "/group/tag/user-relate",
            json!({"groupId": GROUP, "userId": ALICE, "tag": "VIP"}),
        ),
        (
            "/group/tag/user-relate-cancel",
            json!({"groupId": GROUP, "userId": ALICE, "tag": "VIP"}),
        ),
        ("/group/tag/delete", json!({"groupId": GROUP, "tag": "VIP"})),
    ];
    for (path, body) in calls {
        let reply = check_guarded(
            &server,
            &token,
            path,
            body,
            "allowGroupTagManage",
            "机器人无群标签管理权限",
        )
        .await;
        assert_eq!(reply, ok(), "{path}");
        if path == "/group/tag/edit" {
            let list = tag_list_get(&server, &token, GROUP).await;
            assert_eq!(
                list["data"]["list"][1],
                json!({"tag": "VIP", "desc": "", "color": "#00ff00", "sort": 9})
            );
        }
    }
    let list = tag_list_get(&server, &token, GROUP).await;
    assert_eq!(list["data"]["list"].as_array().unwrap().len(), 1, "{list}");

    for (path, body, expected) in [
        (
            "/group/tag/edit",
            json!({"groupId": GROUP, "tag": "nope", "desc": "x"}),
            business("该标签不存在"),
        ),
        (
            "/group/tag/edit",
            json!({"groupId": GROUP, "tag": "管理员", "newTag": "0123456789"}),
            business("标签长度过长"),
        ),
        (
            "/group/tag/user-relate",
            json!({"groupId": GROUP, "userId": ALICE, "tag": "nope"}),
            business("该标签不存在"),
        ),
        (
            "/group/tag/user-relate",
            json!({"groupId": GROUP, "userId": "4040404", "tag": "管理员"}),
            business(&format!("用户(ID:4040404)不在群(ID:{GROUP})中。")),
        ),
        (
            "/group/tag/delete",
            json!({"groupId": GROUP, "tag": "nope"}),
            business("该标签不存在"),
        ),
    ] {
        assert_eq!(server.post(path, &token, body).await, expected, "{path}");
    }
}

#[tokio::test]
async fn permissions_need_the_bot_in_the_group() {
    let (server, _token) = setup().await;
    let (status, body) = server
        .admin(
            reqwest::Method::PUT,
            &format!("/groups/{OTHER}/bots/{BOT}/permissions"),
            Some(json!({"allowGagMember": true})),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = server
        .admin(
            reqwest::Method::PUT,
            &format!("/groups/{GROUP}/bots/{BOT}/permissions"),
            Some(json!({"allowEverything": true})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = server
        .admin(
            reqwest::Method::PUT,
            &format!("/groups/{GROUP}/bots/{BOT}/permissions"),
            Some(json!({"allowGagMember": true, "allowGroupTagManage": true})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"groupId": GROUP, "botId": BOT, "allowGagMember": true, "allowRemoveMember": false,
               "allowEditGroupInfo": false, "allowGroupTagManage": true})
    );
    // Leaving the group drops them.
    let (status, _) = server
        .admin(
            reqwest::Method::DELETE,
            &format!("/groups/{GROUP}/bots/{BOT}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    server.join(BOT, GROUP).await;
    assert_eq!(
        server.group_detail(GROUP).await["botPermissions"][BOT],
        json!({"allowGagMember": false, "allowRemoveMember": false,
               "allowEditGroupInfo": false, "allowGroupTagManage": false})
    );
}

/// Making a member an administrator, and back, posts Yunhu's tip line into the group: in its
/// history, live to its members, and to its bots as `message.receive.normal` with
/// `contentType: "tip"` and an empty sender nickname (wire §7.3), the shape nonebot routes to
/// its tip event.
#[tokio::test]
async fn role_changes_post_tips() {
    let (server, token) = setup().await;
    let alice = {
        let (status, body) = server
            .admin(
                reqwest::Method::POST,
                &format!("/users/{ALICE}/token"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["token"].as_str().unwrap().to_owned()
    };
    let (mut live, _) = server.live(&alice, None).await;
    for role in ["administrator", "member"] {
        let (status, body) = server
            .admin(
                reqwest::Method::PUT,
                &format!("/groups/{GROUP}/members/{BOB}"),
                Some(json!({"role": role})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    // The same role again changes nothing and says nothing.
    server
        .admin(
            reqwest::Method::PUT,
            &format!("/groups/{GROUP}/members/{BOB}"),
            Some(json!({"role": "member"})),
        )
        .await;

    let tips: Vec<Value> = server
        .outbox(BOT)
        .into_iter()
        .filter(|e| e["event"]["message"]["contentType"] == "tip")
        .collect();
    assert_eq!(tips.len(), 2, "{tips:?}");
    let first = &tips[0];
    assert_eq!(first["header"]["eventType"], "message.receive.normal");
    assert_eq!(
        first["event"]["sender"],
        json!({"senderId": "", "senderType": "user", "senderUserLevel": "unknown",
               "senderNickname": "", "senderAvatarUrl": ""})
    );
    assert_eq!(
        first["event"]["chat"],
        json!({"chatId": GROUP, "chatType": "group"})
    );
    assert_eq!(
        first["event"]["message"]["content"],
        json!({"text": "已将\"bob\"添加为群管理员"})
    );
    assert_eq!(
        tips[1]["event"]["message"]["content"],
        json!({"text": "已取消\"bob\"的群管理员身份"})
    );

    let frame = crate::common::next_frame(&mut live).await.unwrap();
    assert_eq!(frame["type"], "message", "{frame}");
    assert_eq!(frame["message"]["contentType"], "tip", "{frame}");
    assert_eq!(
        frame["message"]["content"]["text"],
        "已将\"bob\"添加为群管理员"
    );

    let page = server
        .messages(
            &token,
            &[("chat-id", GROUP), ("chat-type", "group"), ("before", "10")],
        )
        .await;
    let texts: Vec<&str> = page["data"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts.len(), 2, "{page}");
    assert!(texts.contains(&"已将\"bob\"添加为群管理员"), "{page}");
}
