//! The `cloudlake` binary end to end: `serve`, `admin … --json`, the original batch_send page's
//! request, and an acknowledged message surviving `kill -9`.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use common::{BIN, Served, admin, admin_json};
use serde_json::{Value, json};

/// The original batch_send page's request body, byte for byte.
const PAGE_REQUEST: &str =
    include_str!("../../protocol/tests/fixtures/batch_send_page_request.json");

async fn history(server: &Served, token: &str, group: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{}/open-apis/v1/bot/messages", server.base))
        .query(&[
            ("token", token),
            ("chat-id", group),
            ("chat-type", "group"),
            ("before", "10"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn page_request_on_a_fresh_server_survives_kill_9_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = Served::start(dir.path(), &[]);
    let admin_token = server
        .banner_value("admin token")
        .expect("first start prints the admin token");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("admin-token"))
            .unwrap()
            .trim(),
        admin_token
    );

    let user = admin_json(
        &server,
        &admin_token,
        &["user", "create", "--id", "7756242", "--nickname", "Alice"],
    );
    assert_eq!(user["userId"], "7756242");
    assert_eq!(user["token"].as_str().unwrap().len(), 32);
    for group in ["307149245", "665344168"] {
        let created = admin_json(
            &server,
            &admin_token,
            &["group", "create", "--id", group, "--name", "g"],
        );
        assert_eq!(created["groupId"], group);
    }
    let bot = admin_json(
        &server,
        &admin_token,
        &[
            "bot",
            "create",
            "--id",
            "86297657",
            "--nickname",
            "yunhu test bot",
        ],
    );
    assert_eq!(bot["botId"], "86297657");
    let bot_token = bot["token"].as_str().unwrap().to_owned();
    for group in ["307149245", "665344168"] {
        let joined = admin_json(
            &server,
            &admin_token,
            &["bot", "join-group", "86297657", group],
        );
        assert_eq!(joined["added"], true);
        let added = admin_json(
            &server,
            &admin_token,
            &["group", "add-member", group, "7756242", "--role", "owner"],
        );
        assert_eq!(added["role"], "owner");
    }
    assert_eq!(
        admin_json(
            &server,
            &admin_token,
            &["bot", "follow", "86297657", "7756242"]
        )["added"],
        true
    );

    // The original page's curl request, token replaced.
    let reply: Value = reqwest::Client::new()
        .post(format!(
            "{}/open-apis/v1/bot/batch_send?token={bot_token}",
            server.base
        ))
        .header("Content-Type", "application/json")
        .body(PAGE_REQUEST)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reply["code"], 1, "{reply}");
    assert_eq!(reply["data"]["successCount"], 2);
    let ids: Vec<String> = reply["data"]["successList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["msgId"].as_str().unwrap().to_owned())
        .collect();
    assert_ne!(ids[0], ids[1]);
    for id in &ids {
        assert!(
            id.len() == 32
                && id
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
    }

    // Acknowledged means committed: SIGKILL right after the reply loses nothing.
    server.kill_9();
    let server = Served::start(dir.path(), &[]);
    assert_eq!(
        server.banner_value("admin token"),
        None,
        "the token is printed only once"
    );
    for (group, id) in ["307149245", "665344168"].iter().zip(&ids) {
        let page = history(&server, &bot_token, group).await;
        assert_eq!(page["data"]["total"], 1, "{page}");
        let message = &page["data"]["list"][0];
        assert_eq!(message["msgId"], id.as_str());
        assert_eq!(
            message["content"]["buttons"],
            json!([[{"text": "复制", "actionType": 2, "value": "xxxx"},
                    {"text": "点击跳转", "actionType": 1, "url": "http://www.baidu.com"}]])
        );
    }
    // The admin token from the file still works after the restart.
    let bots = admin(&server, &admin_token, &["bot", "list"]);
    assert!(bots.status.success());
    assert_eq!(
        String::from_utf8(bots.stdout).unwrap().trim(),
        "86297657\tyunhu test bot"
    );
}

#[tokio::test]
async fn demo_seeds_an_empty_data_dir_and_prints_a_working_request() {
    let dir = tempfile::tempdir().unwrap();
    let server = Served::start(dir.path(), &["--demo"]);
    let bot_token = server
        .banner_value("bot 86297657")
        .expect("demo prints the bot token");
    let curl = server
        .banner
        .iter()
        .find(|l| l.starts_with("--data '"))
        .expect("demo prints a curl request");
    let body = curl.trim_start_matches("--data '").trim_end_matches('\'');
    let reply: Value = reqwest::Client::new()
        .post(format!(
            "{}/open-apis/v1/bot/batch_send?token={bot_token}",
            server.base
        ))
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reply["data"]["successCount"], 2, "{reply}");
    drop(server);

    // A second --demo start finds data and seeds nothing.
    let server = Served::start(dir.path(), &["--demo"]);
    assert_eq!(server.banner_value("bot 86297657"), None);
    assert!(
        server
            .banner
            .iter()
            .any(|l| l.contains("nothing was seeded"))
    );
}

#[tokio::test]
async fn admin_commands_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let server = Served::start(dir.path(), &[]);
    let out = admin(&server, "wrong", &["user", "list"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("admin token"),
        "{out:?}"
    );

    let token = server.banner_value("admin token").unwrap();
    let out = admin(&server, &token, &["group", "add-member", "404", "7756242"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not found"),
        "{out:?}"
    );

    // Without --admin-token the data directory's token file is used.
    let out = Command::new(BIN)
        .args(["admin", "--server", &server.base, "--data-dir"])
        .arg(dir.path())
        .args(["user", "list"])
        .env_remove("CLOUDLAKE_ADMIN_TOKEN")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), "no users");
}

#[tokio::test]
async fn open_groups_and_bot_commands_are_managed_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let server = Served::start(dir.path(), &[]);
    let token = server.banner_value("admin token").unwrap();
    let group = admin_json(
        &server,
        &token,
        &["group", "create", "--name", "lobby", "--open"],
    );
    assert_eq!(group["open"], true);
    admin_json(
        &server,
        &token,
        &["bot", "create", "--id", "86297657", "--nickname", "b"],
    );
    let command = admin_json(
        &server,
        &token,
        &["bot", "add-command", "86297657", "weather"],
    );
    assert_eq!(command["name"], "weather");
    assert!(command["commandId"].as_i64().unwrap() > 0);
    let listed = admin(&server, &token, &["bot", "commands", "86297657"]);
    assert_eq!(
        String::from_utf8(listed.stdout).unwrap().trim(),
        format!("weather\t{}", command["commandId"])
    );
    assert_eq!(command["kind"], "normal");
    let direct = admin_json(
        &server,
        &token,
        &["bot", "add-command", "86297657", "ping", "--kind", "direct"],
    );
    assert_eq!(
        (
            direct["name"].clone(),
            direct["kind"].clone(),
            direct["presetText"].clone()
        ),
        (json!("ping"), json!("direct"), json!(""))
    );
    let preset = admin_json(
        &server,
        &token,
        &[
            "bot",
            "add-command",
            "86297657",
            "weather",
            "--preset-text",
            "天气",
        ],
    );
    assert_eq!(
        (preset["commandId"].clone(), preset["presetText"].clone()),
        (command["commandId"].clone(), json!("天气"))
    );
    let removed = admin_json(
        &server,
        &token,
        &["bot", "remove-command", "86297657", "weather"],
    );
    assert_eq!(removed, json!({"ok": true}));
}

#[tokio::test]
async fn bot_event_delivery_commands() {
    let dir = tempfile::tempdir().unwrap();
    let server = Served::start(dir.path(), &[]);
    let token = server.banner_value("admin token").unwrap();
    admin_json(
        &server,
        &token,
        &["bot", "create", "--id", "12345678", "--nickname", "B"],
    );
    admin_json(
        &server,
        &token,
        &["user", "create", "--id", "7654321", "--nickname", "U"],
    );

    // The SSRF guard is on by default.
    let out = admin(
        &server,
        &token,
        &[
            "bot",
            "webhook",
            "12345678",
            "--url",
            "http://127.0.0.1:9/hook",
        ],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("private, loopback or link-local"),
        "{out:?}"
    );

    let secret = admin_json(&server, &token, &["bot", "secret", "12345678"]);
    let first = secret["secret"].as_str().unwrap().to_owned();
    assert!(first.starts_with("whsec_"), "{secret}");
    let rotated = admin_json(&server, &token, &["bot", "secret", "12345678", "--rotate"]);
    assert_ne!(rotated["secret"].as_str().unwrap(), first);

    let sub = admin_json(
        &server,
        &token,
        &[
            "bot",
            "webhook",
            "12345678",
            "--events",
            "bot.followed,bot.unfollowed",
        ],
    );
    assert_eq!(sub["eventTypes"], json!(["bot.followed", "bot.unfollowed"]));
    assert_eq!(sub["webhookUrl"], Value::Null);

    // No webhook and no socket: the event waits.
    admin_json(&server, &token, &["bot", "follow", "12345678", "7654321"]);
    let report = admin_json(&server, &token, &["bot", "deliveries", "12345678"]);
    assert_eq!(report["pending"], 1, "{report}");
    let replayed = admin_json(
        &server,
        &token,
        &["bot", "replay", "12345678", "--since", "0"],
    );
    assert_eq!(replayed["replayed"], 0, "pending events are not replayed");
    drop(server);

    // CLOUDLAKE_WEBHOOK_ALLOW_PRIVATE=1 lets the operator use a private address.
    let server = Served::start_env(dir.path(), &[], &[("CLOUDLAKE_WEBHOOK_ALLOW_PRIVATE", "1")]);
    let sub = admin_json(
        &server,
        &token,
        &[
            "bot",
            "webhook",
            "12345678",
            "--url",
            "http://127.0.0.1:9/hook",
            "--events",
            "all",
        ],
    );
    assert_eq!(sub["webhookUrl"], "http://127.0.0.1:9/hook");
    assert_eq!(sub["eventTypes"], Value::Null);
    let sub = admin_json(&server, &token, &["bot", "webhook", "12345678", "--clear"]);
    assert_eq!(sub["webhookUrl"], Value::Null);
}

/// A minimal webhook receiver on `listener`: answers 200 to every request and reports each
/// request's `webhook-id`.
fn webhook_receiver(listener: std::net::TcpListener) -> mpsc::Receiver<String> {
    use std::io::{Read, Write};
    let (ids_tx, ids) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut length, mut id) = (0usize, String::new());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                let (name, value) = line.split_once(':').unwrap_or((&line, ""));
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    "webhook-id" => id = value.trim().to_owned(),
                    _ => {}
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = ids_tx.send(id);
        }
    });
    ids
}

#[tokio::test]
async fn events_undelivered_at_kill_9_are_delivered_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    // A port with nothing listening yet: every attempt before the restart is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let flags = [
        "--webhook-allow-private",
        "--webhook-retry-schedule",
        "0,1,1,1,1,1,1,1,1,1,1,1",
    ];
    let server = Served::start(dir.path(), &flags);
    let token = server.banner_value("admin token").unwrap();
    let url = format!("http://127.0.0.1:{port}/hook");
    admin_json(
        &server,
        &token,
        &[
            "bot",
            "create",
            "--id",
            "12345678",
            "--nickname",
            "B",
            "--webhook",
            &url,
        ],
    );
    admin_json(
        &server,
        &token,
        &["user", "create", "--id", "7654321", "--nickname", "U"],
    );
    admin_json(&server, &token, &["bot", "follow", "12345678", "7654321"]);
    admin_json(&server, &token, &["bot", "unfollow", "12345678", "7654321"]);
    admin_json(&server, &token, &["bot", "follow", "12345678", "7654321"]);
    let report = admin_json(&server, &token, &["bot", "deliveries", "12345678"]);
    assert_eq!(report["pending"], 3, "{report}");
    server.kill_9();

    let ids = webhook_receiver(std::net::TcpListener::bind(("127.0.0.1", port)).unwrap());
    let server = Served::start(dir.path(), &flags);
    let mut got = Vec::new();
    while got.len() < 3 {
        got.push(
            ids.recv_timeout(Duration::from_secs(15))
                .expect("every pending event after the restart"),
        );
    }
    let mut distinct = got.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 3, "three events, each once: {got:?}");
    assert!(
        ids.recv_timeout(Duration::from_millis(500)).is_err(),
        "nothing twice"
    );
    let report = admin_json(&server, &token, &["bot", "deliveries", "12345678"]);
    assert_eq!(report["delivered"], 3, "{report}");
    assert_eq!(report["pending"], 0, "{report}");
}

/// `admin bot deliveries` reads as text (no JSON, no `null`), and `bot replay` takes its range
/// as `10m` back from now or an RFC 3339 time, not only epoch ms.
#[test]
fn deliveries_read_as_text_and_replay_takes_durations_and_dates() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on this port: the one attempt the schedule allows fails, a dead letter.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = Served::start(
        dir.path(),
        &["--webhook-allow-private", "--webhook-retry-schedule", "0"],
    );
    let token = server.banner_value("admin token").unwrap();
    let url = format!("http://127.0.0.1:{port}/hook");
    let create = [
        "bot",
        "create",
        "--id",
        "12345678",
        "--nickname",
        "B",
        "--webhook",
        &url,
    ];
    admin_json(&server, &token, &create);
    admin_json(
        &server,
        &token,
        &["user", "create", "--id", "7654321", "--nickname", "U"],
    );
    let text = |args: &[&str]| {
        let out = admin(&server, &token, args);
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    // Before any event: the counts, and no "last error" line at all.
    let report = text(&["bot", "deliveries", "12345678"]);
    assert!(
        report.contains(&format!("events go to: webhook {url}")),
        "{report}"
    );
    assert!(report.contains("event types: all"), "{report}");
    assert!(
        report.contains("delivered 0  pending 0  dead 0"),
        "{report}"
    );
    assert!(
        !report.contains("null") && !report.contains('{') && !report.contains("last error"),
        "{report}"
    );

    admin_json(&server, &token, &["bot", "follow", "12345678", "7654321"]);
    let until = std::time::Instant::now() + Duration::from_secs(20);
    let stats = loop {
        let stats = admin_json(&server, &token, &["bot", "deliveries", "12345678"]);
        if stats["dead"] == 1 {
            break stats;
        }
        assert!(std::time::Instant::now() < until, "no dead letter: {stats}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let event_id = stats["deadLetters"][0]["eventId"].as_str().unwrap();
    let report = text(&["bot", "deliveries", "12345678"]);
    assert!(report.contains("dead 1"), "{report}");
    assert!(report.contains("last error: "), "{report}");
    let letter = report
        .lines()
        .find(|l| l.contains(event_id))
        .unwrap_or_else(|| panic!("a line for the dead letter: {report}"));
    assert!(
        letter.contains("bot.followed") && letter.contains("1 attempt "),
        "{letter}"
    );

    // The follow happened within the last 10 minutes, not on 1 January 2020.
    assert_eq!(
        text(&["bot", "replay", "12345678", "--since", "10m"]).trim(),
        "replayed 1"
    );
    let in_2020 = text(&[
        "bot",
        "replay",
        "12345678",
        "--since",
        "2020-01-01T08:00:00+08:00",
        "--until",
        "2020-01-02",
    ]);
    assert_eq!(in_2020.trim(), "replayed 0");
    let out = admin(
        &server,
        &token,
        &["bot", "replay", "12345678", "--since", "soon"],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("RFC 3339"),
        "{out:?}"
    );
}

/// Form commands and hint texts from the CLI: `--field ID:TYPE[:LABEL[:OPTIONS]]` builds the
/// form the admin API takes; `--form` takes it as JSON (for defaults); a bad one is refused
/// with the server's reason.
#[tokio::test]
async fn form_commands_and_hint_texts_are_managed_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let server = Served::start(dir.path(), &[]);
    let token = server.banner_value("admin token").unwrap();
    admin_json(
        &server,
        &token,
        &["bot", "create", "--id", "86297657", "--nickname", "b"],
    );
    let hinted = admin_json(
        &server,
        &token,
        &[
            "bot",
            "add-command",
            "86297657",
            "weather",
            "--hint-text",
            "输入城市名",
        ],
    );
    assert_eq!(hinted["hintText"], "输入城市名");
    let form = admin_json(
        &server,
        &token,
        &[
            "bot",
            "add-command",
            "86297657",
            "order",
            "--field",
            "dish:radio:菜:面,饭",
            "--field",
            "note:textarea",
        ],
    );
    assert_eq!(form["kind"], "form", "--field implies --kind form");
    assert_eq!(
        form["form"],
        json!([
            {"id": "dish", "type": "radio", "label": "菜", "options": ["面", "饭"]},
            {"id": "note", "type": "textarea"},
        ])
    );
    let with_default = admin_json(
        &server,
        &token,
        &[
            "bot",
            "add-command",
            "86297657",
            "order",
            "--form",
            r#"[{"id": "loud", "type": "switch", "default": true}]"#,
        ],
    );
    assert_eq!(with_default["commandId"], form["commandId"]);
    assert_eq!(
        with_default["form"],
        json!([{"id": "loud", "type": "switch", "default": true}])
    );
    let bad = admin(
        &server,
        &token,
        &["bot", "add-command", "86297657", "x", "--field", "a:radio"],
    );
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("needs 1–50 options"),
        "{bad:?}"
    );
}

/// A bot's shortcut menu from the CLI: `add-menu` (a button, a toggle, a drop-down with its
/// options), `menus`, `remove-menu`; a bad one is refused with the server's reason.
#[tokio::test]
async fn shortcut_menus_are_managed_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let server = Served::start(dir.path(), &[]);
    let token = server.banner_value("admin token").unwrap();
    admin_json(
        &server,
        &token,
        &["bot", "create", "--id", "86297657", "--nickname", "b"],
    );
    let button = admin_json(&server, &token, &["bot", "add-menu", "86297657", "签到"]);
    assert_eq!(button["menuType"], 1);
    let city = admin_json(
        &server,
        &token,
        &[
            "bot", "add-menu", "86297657", "城市", "--type", "dropdown", "--option", "北京",
            "--option", "上海",
        ],
    );
    assert_eq!(
        (city["menuType"].clone(), city["options"].clone()),
        (json!(3), json!(["北京", "上海"]))
    );
    let listed = admin(&server, &token, &["bot", "menus", "86297657"]);
    assert_eq!(
        String::from_utf8(listed.stdout).unwrap().trim(),
        format!(
            "{}\t签到\n{}\t城市",
            button["menuId"].as_str().unwrap(),
            city["menuId"].as_str().unwrap()
        )
    );
    let bad = admin(
        &server,
        &token,
        &["bot", "add-menu", "86297657", "x", "--type", "dropdown"],
    );
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("needs 1 to 20 options"),
        "{bad:?}"
    );
    let removed = admin_json(
        &server,
        &token,
        &[
            "bot",
            "remove-menu",
            "86297657",
            button["menuId"].as_str().unwrap(),
        ],
    );
    assert_eq!(removed, json!({"ok": true}));
}

#[tokio::test]
async fn a_bots_settings_form_is_managed_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let server = Served::start(dir.path(), &[]);
    let token = server.banner_value("admin token").unwrap();
    admin_json(
        &server,
        &token,
        &["bot", "create", "--id", "86297657", "--nickname", "b"],
    );
    let none = admin(&server, &token, &["bot", "settings-form", "86297657"]);
    assert_eq!(
        String::from_utf8(none.stdout).unwrap().trim(),
        "no settings form"
    );
    let set = admin_json(
        &server,
        &token,
        &[
            "bot",
            "settings-form",
            "86297657",
            "--field",
            "time:radio:时间:早上,晚上",
            "--field",
            "city:input",
        ],
    );
    assert_eq!(
        set,
        json!({"botId": "86297657", "fields": [
            {"id": "time", "type": "radio", "label": "时间", "options": ["早上", "晚上"]},
            {"id": "city", "type": "input"}
        ]})
    );
    let shown = admin(&server, &token, &["bot", "settings-form", "86297657"]);
    assert_eq!(
        String::from_utf8(shown.stdout).unwrap().trim(),
        "time (radio) 时间\ncity (input)"
    );
    // The server's refusal is shown as it words it, and the form stays.
    let bad = admin(
        &server,
        &token,
        &["bot", "settings-form", "86297657", "--field", "x:radio"],
    );
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("needs 1–50 options"),
        "{bad:?}"
    );
    let cleared = admin_json(
        &server,
        &token,
        &["bot", "settings-form", "86297657", "--clear"],
    );
    assert_eq!(cleared, json!({"botId": "86297657", "fields": []}));
}

#[test]
fn media_bucket_flags_that_cannot_work_stop_serve_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let serve = |args: &[&str]| {
        let out = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .args(args)
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("CLOUDLAKE_MEDIA_S3_BUCKET")
            .output()
            .unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    // A bucket without credentials, and bucket settings without a bucket: said, not ignored
    // (a node quietly keeping uploads on its own disk would lose them to the other nodes).
    let said = serve(&["--media-s3-bucket", "media"]);
    assert!(
        said.contains(
            "--media-s3-bucket needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        ),
        "{said}"
    );
    let said = serve(&["--media-s3-endpoint", "http://127.0.0.1:9000"]);
    assert!(
        said.contains("--media-s3-endpoint and --media-s3-prefix need --media-s3-bucket"),
        "{said}"
    );
}
