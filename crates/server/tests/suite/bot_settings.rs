//! Per-group bot settings (wire §7.9, issue 20): a bot's settings form set through the admin
//! API, filled in by a group's owner or administrator through the user API, kept per group,
//! and `bot.setting` as the bot receives it, field for field against Yunhu's sample.

#![allow(clippy::unwrap_used)]

use crate::common::TestServer;
use reqwest::Method;
use serde_json::{Value, json};

const BOT: &str = "30535459";
const OTHER_BOT: &str = "55500001";
const GROUP: &str = "635409929";
const OTHER_GROUP: &str = "635409930";
const OWNER: &str = "7756242";
const ADMIN: &str = "7756243";
const MEMBER: &str = "4827368";
const OUTSIDER: &str = "4827369";

/// The sample's two fields (wire §7.9: a radio and an input, no labels) and one of each other
/// type.
fn settings_form() -> Value {
    json!([
        {"id": "lokola", "type": "radio", "options": ["早上", "晚上"]},
        {"id": "ngcezg", "type": "input"},
        {"id": "notes", "type": "textarea", "label": "备注", "default": "无"},
        {"id": "size", "type": "select", "label": "大小", "options": ["小", "中", "大"], "default": 1},
        {"id": "tags", "type": "checkbox", "label": "标签", "options": ["a", "b", "c"]},
        {"id": "loud", "type": "switch", "label": "大声"}
    ])
}

struct Setup {
    server: TestServer,
    owner: String,
    admin: String,
    member: String,
    outsider: String,
}

async fn setup() -> Setup {
    let server = TestServer::start().await;
    server.bot(BOT).await;
    server.bot(OTHER_BOT).await;
    let owner = server.user(OWNER, "群主").await;
    let admin = server.user(ADMIN, "管理员").await;
    let member = server.user(MEMBER, "成员").await;
    let outsider = server.user(OUTSIDER, "路人").await;
    server.group(GROUP, &[OWNER, ADMIN, MEMBER]).await;
    for (user, role) in [(OWNER, "owner"), (ADMIN, "administrator")] {
        let (status, body) = server
            .admin(
                Method::PUT,
                &format!("/groups/{GROUP}/members/{user}"),
                Some(json!({"role": role})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    server.join(BOT, GROUP).await;
    server.join(OTHER_BOT, GROUP).await;
    Setup {
        server,
        owner,
        admin,
        member,
        outsider,
    }
}

async fn set_form(server: &TestServer, bot: &str, fields: Value) -> (u16, Value) {
    server
        .admin(
            Method::PUT,
            &format!("/bots/{bot}/settings-form"),
            Some(json!({ "fields": fields })),
        )
        .await
}

fn setting_events(server: &TestServer, bot: &str) -> Vec<Value> {
    server
        .outbox(bot)
        .into_iter()
        .filter(|e| e["header"]["eventType"] == "bot.setting")
        .collect()
}

fn settings_path(group: &str, bot: &str) -> String {
    format!("/groups/{group}/bots/{bot}/settings")
}

#[tokio::test]
async fn a_settings_form_is_set_read_and_removed_through_the_admin_api() {
    let Setup { server, .. } = setup().await;
    let (status, none) = server
        .admin(Method::GET, &format!("/bots/{BOT}/settings-form"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(none, json!({"botId": BOT, "fields": []}));

    let (status, set) = set_form(&server, BOT, settings_form()).await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(set, json!({"botId": BOT, "fields": settings_form()}));
    let (_, read) = server
        .admin(Method::GET, &format!("/bots/{BOT}/settings-form"), None)
        .await;
    assert_eq!(read, set, "kept as defined, in order");

    // Each refused form names its fault and leaves the stored one as it was.
    for (bad, says) in [
        (json!({}), "fields"),
        (json!({"fields": [{"id": "a", "type": "radio"}]}), "options"),
        (
            json!({"fields": [{"id": "a", "type": "input"}, {"id": "a", "type": "switch"}]}),
            "twice",
        ),
        (
            json!({"fields": [{"id": "a", "type": "color"}]}),
            "unknown variant",
        ),
        (json!({"fields": [], "extra": 1}), "unknown field"),
    ] {
        let (status, problem) = server
            .admin(
                Method::PUT,
                &format!("/bots/{BOT}/settings-form"),
                Some(bad.clone()),
            )
            .await;
        assert_eq!(status, 400, "{bad} → {problem}");
        assert!(problem.to_string().contains(says), "{bad} → {problem}");
    }
    let (_, still) = server
        .admin(Method::GET, &format!("/bots/{BOT}/settings-form"), None)
        .await;
    assert_eq!(still, set);

    let (status, problem) = set_form(&server, "99999999", settings_form()).await;
    assert_eq!(status, 404, "{problem}");

    // An empty list removes the form.
    let (status, _) = set_form(&server, BOT, json!([])).await;
    assert_eq!(status, 200);
    let (_, gone) = server
        .admin(Method::GET, &format!("/bots/{BOT}/settings-form"), None)
        .await;
    assert_eq!(gone, json!({"botId": BOT, "fields": []}));
}

#[tokio::test]
async fn a_group_admin_saves_settings_and_the_bot_gets_bot_setting_as_yunhu_sends_it() {
    let Setup {
        server,
        owner,
        admin,
        ..
    } = setup().await;
    set_form(&server, BOT, settings_form()).await;

    // Before any save: the form with no values (each field shows its default).
    let (status, shown) = server
        .user_api(Method::GET, &owner, &settings_path(GROUP, BOT), None)
        .await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(
        shown,
        json!({"botId": BOT, "groupId": GROUP, "fields": settings_form(), "values": {}})
    );
    // The group's info tells admins which bots have a form.
    let (_, members) = server
        .user_api(
            Method::GET,
            &owner,
            &format!("/groups/{GROUP}/members"),
            None,
        )
        .await;
    let has: Vec<(Value, Value)> = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "bot")
        .map(|m| (m["userId"].clone(), m["hasSettings"].clone()))
        .collect();
    assert_eq!(
        has,
        vec![(json!(BOT), json!(true)), (json!(OTHER_BOT), json!(false))]
    );

    let values = json!({"lokola": 1, "ngcezg": "每天 8 点", "tags": [0, 2], "loud": true});
    let (status, saved) = server
        .user_api(
            Method::PUT,
            &admin,
            &settings_path(GROUP, BOT),
            Some(json!({ "values": values })),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(
        saved,
        json!({"botId": BOT, "groupId": GROUP, "fields": settings_form(), "values": values})
    );

    let events = setting_events(&server, BOT);
    assert_eq!(events.len(), 1);
    assert!(
        setting_events(&server, OTHER_BOT).is_empty(),
        "only that bot hears of its settings"
    );
    let event = &events[0];
    let id = event["header"]["eventId"].as_str().unwrap();
    assert!(id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()));
    let time = event["event"]["time"].as_i64().unwrap();
    assert!(time > 1_700_000_000_000, "time is in ms: {time}");
    // Field for field the sample of wire §7.9: the chat is the bot, the group named apart,
    // and settingJson a JSON *string* of formJson items.
    assert_eq!(
        event,
        &json!({"version": "1.0",
          "header": {"eventId": id, "eventType": "bot.setting",
                     "eventTime": event["header"]["eventTime"]},
          "event": {"time": time, "chatId": BOT, "chatType": "bot", "groupId": GROUP,
                    "groupName": format!("group {GROUP}"), "avatarUrl": "",
                    "settingJson": event["event"]["settingJson"]}})
    );
    let setting: Value =
        serde_json::from_str(event["event"]["settingJson"].as_str().unwrap()).unwrap();
    assert_eq!(
        setting,
        json!({
            "lokola": {"id": "lokola", "type": "radio", "label": null, "selectIndex": 1, "selectValue": "晚上"},
            "ngcezg": {"id": "ngcezg", "type": "input", "label": null, "value": "每天 8 点"},
            "notes": {"id": "notes", "type": "textarea", "label": "备注", "value": "无"},
            "size": {"id": "size", "type": "select", "label": "大小", "selectIndex": 1, "selectValue": "中"},
            "tags": {"id": "tags", "type": "checkbox", "label": "标签",
                     "selectStatus": [true, false, true], "selectValues": ["a", "b", "c"]},
            "loud": {"id": "loud", "type": "switch", "label": "大声", "value": true}
        })
    );

    // The values persist: the owner sees what the administrator saved.
    let (_, again) = server
        .user_api(Method::GET, &owner, &settings_path(GROUP, BOT), None)
        .await;
    assert_eq!(again["values"], values);
}

#[tokio::test]
async fn only_the_groups_owner_and_administrators_see_or_save_settings_and_bad_values_change_nothing()
 {
    let Setup {
        server,
        owner,
        member,
        outsider,
        ..
    } = setup().await;
    set_form(&server, BOT, settings_form()).await;
    let good = json!({"values": {"ngcezg": "x"}});
    let (status, _) = server
        .user_api(Method::PUT, &owner, &settings_path(GROUP, BOT), Some(good))
        .await;
    assert_eq!(status, 200);
    let before = setting_events(&server, BOT).len();

    for (token, method, path, body, want) in [
        // A member may not, an outsider learns nothing of the group.
        (&member, Method::GET, settings_path(GROUP, BOT), None, 403),
        (
            &member,
            Method::PUT,
            settings_path(GROUP, BOT),
            Some(json!({"values": {}})),
            403,
        ),
        (&outsider, Method::GET, settings_path(GROUP, BOT), None, 404),
        (
            &outsider,
            Method::PUT,
            settings_path(GROUP, BOT),
            Some(json!({"values": {}})),
            404,
        ),
        (
            &owner,
            Method::GET,
            settings_path(OTHER_GROUP, BOT),
            None,
            404,
        ),
        // A bot without a form, and one not in the group.
        (
            &owner,
            Method::GET,
            settings_path(GROUP, OTHER_BOT),
            None,
            404,
        ),
        (
            &owner,
            Method::GET,
            settings_path(GROUP, "99999999"),
            None,
            404,
        ),
        // Values that do not fit the form.
        (
            &owner,
            Method::PUT,
            settings_path(GROUP, BOT),
            Some(json!({"values": {"lokola": 5}})),
            400,
        ),
        (
            &owner,
            Method::PUT,
            settings_path(GROUP, BOT),
            Some(json!({"values": {"nope": 1}})),
            400,
        ),
        (
            &owner,
            Method::PUT,
            settings_path(GROUP, BOT),
            Some(json!({"values": {"loud": "yes"}})),
            400,
        ),
        (
            &owner,
            Method::PUT,
            settings_path(GROUP, BOT),
            Some(json!({})),
            400,
        ),
    ] {
        let (status, problem) = server
            .user_api(method.clone(), token, &path, body.clone())
            .await;
        assert_eq!(status, want, "{method} {path} {body:?} → {problem}");
        assert!(problem["error"]["message"].is_string(), "{problem}");
    }
    assert_eq!(
        setting_events(&server, BOT).len(),
        before,
        "no refusal sends an event"
    );
    let (_, kept) = server
        .user_api(Method::GET, &owner, &settings_path(GROUP, BOT), None)
        .await;
    assert_eq!(
        kept["values"],
        json!({"ngcezg": "x"}),
        "no refusal changes them"
    );
}

#[tokio::test]
async fn saved_values_follow_the_form_and_go_with_the_bot_leaving_the_group() {
    let Setup { server, owner, .. } = setup().await;
    set_form(&server, BOT, settings_form()).await;
    let (status, _) = server
        .user_api(
            Method::PUT,
            &owner,
            &settings_path(GROUP, BOT),
            Some(json!({"values": {"lokola": 1, "ngcezg": "x", "size": 2}})),
        )
        .await;
    assert_eq!(status, 200);

    // The form changes: a field goes, another loses the chosen option.
    let (status, _) = set_form(
        &server,
        BOT,
        json!([
            {"id": "lokola", "type": "radio", "options": ["早上"]},
            {"id": "size", "type": "select", "options": ["小", "中", "大"]}
        ]),
    )
    .await;
    assert_eq!(status, 200);
    let (_, shown) = server
        .user_api(Method::GET, &owner, &settings_path(GROUP, BOT), None)
        .await;
    assert_eq!(
        shown["values"],
        json!({"size": 2}),
        "only the values that still fit"
    );

    // The bot leaves the group: its settings there go; added again, it starts afresh.
    let (status, _) = server
        .admin(Method::DELETE, &format!("/groups/{GROUP}/bots/{BOT}"), None)
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        server.db_rows("SELECT COUNT(*) FROM bot_group_settings"),
        vec![vec![json!(0)]]
    );
    server.join(BOT, GROUP).await;
    let (_, fresh) = server
        .user_api(Method::GET, &owner, &settings_path(GROUP, BOT), None)
        .await;
    assert_eq!(fresh["values"], json!({}));
}
