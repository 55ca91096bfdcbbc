//! The `cloudlake` binary: `serve --rate-limit` and `admin bot permissions`.

#![allow(clippy::unwrap_used)]

mod common;

use common::{BIN, Served, admin_json};

use std::process::Command;

use serde_json::{Value, json};

const ADMIN: &str = "cli-test-admin-token";

/// An admin command with `--json`, as the test's admin.
fn admin(server: &Served, args: &[&str]) -> Value {
    admin_json(server, ADMIN, args)
}

#[tokio::test]
async fn permissions_are_granted_from_the_cli_and_yunhu_limits_apply() {
    let dir = tempfile::tempdir().unwrap();
    let server = Served::start(
        dir.path(),
        &["--admin-token", ADMIN, "--rate-limit", "yunhu"],
    );
    let bot = admin(
        &server,
        &["bot", "create", "--id", "81000001", "--nickname", "b"],
    );
    let token = bot["token"].as_str().unwrap().to_owned();
    admin(&server, &["group", "create", "--id", "g1", "--name", "g"]);
    admin(&server, &["bot", "join-group", "81000001", "g1"]);

    let granted = admin(
        &server,
        &[
            "bot",
            "permissions",
            "81000001",
            "g1",
            "--allow-gag-member",
            "--allow-group-tag-manage",
        ],
    );
    assert_eq!(
        granted,
        json!({"groupId": "g1", "botId": "81000001", "allowGagMember": true, "allowRemoveMember": false,
               "allowEditGroupInfo": false, "allowGroupTagManage": true})
    );
    let shown = admin(&server, &["group", "show", "g1"]);
    assert_eq!(
        shown["botPermissions"]["81000001"],
        json!({"allowGagMember": true,
        "allowRemoveMember": false, "allowEditGroupInfo": false, "allowGroupTagManage": true})
    );
    let all = admin(&server, &["bot", "permissions", "81000001", "g1", "--all"]);
    assert_eq!(all["allowRemoveMember"], true);

    // `yunhu` is 10 requests per second per bot per API.
    let http = reqwest::Client::new();
    let mut codes = Vec::new();
    for _ in 0..15 {
        let reply: Value = http
            .get(format!(
                "{}/open-apis/v1/group/tag/list?token={token}&groupId=g1",
                server.base
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        codes.push(reply["code"].as_i64().unwrap());
    }
    assert_eq!(&codes[..10], &[1; 10], "{codes:?}");
    assert!(codes.contains(&1007), "{codes:?}");
}

#[test]
fn a_bad_rate_limit_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--rate-limit",
            "fast",
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`off`, `yunhu` or a positive number"),
        "{stderr}"
    );
}
