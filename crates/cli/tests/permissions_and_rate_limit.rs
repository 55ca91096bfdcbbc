//! The `cloudlake` binary: `serve --rate-limit` and `admin bot permissions`.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_cloudlake");
const ADMIN: &str = "cli-test-admin-token";

/// A `cloudlake serve` child process, killed when dropped.
struct Served {
    child: Child,
    base: String,
}

impl Served {
    fn start(data_dir: &Path, extra: &[&str]) -> Served {
        let mut child = Command::new(BIN)
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--admin-token",
                ADMIN,
                "--data-dir",
            ])
            .arg(data_dir)
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (lines_tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines_tx.send(line);
            }
        });
        let mut served = Served {
            child,
            base: String::new(),
        };
        loop {
            let line = lines
                .recv_timeout(Duration::from_secs(30))
                .expect("the server did not say it was listening within 30 s");
            if let Some(rest) = line.strip_prefix("cloudlake listening on ") {
                served.base = rest.split_whitespace().next().unwrap().to_owned();
                return served;
            }
        }
    }

    fn admin(&self, args: &[&str]) -> Value {
        let out = Command::new(BIN)
            .args([
                "admin",
                "--json",
                "--server",
                &self.base,
                "--admin-token",
                ADMIN,
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn permissions_are_granted_from_the_cli_and_yunhu_limits_apply() {
    let dir = tempfile::tempdir().unwrap();
    let server = Served::start(dir.path(), &["--rate-limit", "yunhu"]);
    let bot = server.admin(&["bot", "create", "--id", "bot1", "--nickname", "b"]);
    let token = bot["token"].as_str().unwrap().to_owned();
    server.admin(&["group", "create", "--id", "g1", "--name", "g"]);
    server.admin(&["bot", "join-group", "bot1", "g1"]);

    let granted = server.admin(&[
        "bot",
        "permissions",
        "bot1",
        "g1",
        "--allow-gag-member",
        "--allow-group-tag-manage",
    ]);
    assert_eq!(
        granted,
        json!({"groupId": "g1", "botId": "bot1", "allowGagMember": true, "allowRemoveMember": false,
               "allowEditGroupInfo": false, "allowGroupTagManage": true})
    );
    let shown = server.admin(&["group", "show", "g1"]);
    assert_eq!(
        shown["botPermissions"]["bot1"],
        json!({"allowGagMember": true,
        "allowRemoveMember": false, "allowEditGroupInfo": false, "allowGroupTagManage": true})
    );
    let all = server.admin(&["bot", "permissions", "bot1", "g1", "--all"]);
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
