//! A first run as the README tells it (issue 21): where the bot commands send a token when no
//! base URL is given, what `serve --demo` prints on a fresh and on a used data directory, and
//! `--log-format json` printing nothing but JSON lines.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use common::{BIN, Served};
use serde_json::Value;

/// The request line of the first request `cloudlake ARGS` makes, caught by a stand-in HTTP
/// proxy on loopback (every proxy variable points at it). The proxy answers 502 and nothing
/// leaves the machine, so which host the command would have reached can be seen without
/// reaching it: `POST http://host/path…` for a plain-HTTP target, `CONNECT host:443` for an
/// HTTPS one.
fn first_request_line(args: &[&str]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = format!("http://{}", listener.local_addr().unwrap());
    let catcher = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut line = String::new();
        BufReader::new(&stream).read_line(&mut line).unwrap();
        let _ = (&stream).write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
        line.trim_end().to_owned()
    });
    let mut command = Command::new(BIN);
    command.args(args);
    for var in [
        "CLOUDLAKE_BASE_URL",
        "CLOUDLAKE_WS_URL",
        "NO_PROXY",
        "no_proxy",
    ] {
        command.env_remove(var);
    }
    for var in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        command.env(var, &proxy);
    }
    let out = command.output().unwrap();
    assert!(!out.status.success(), "the proxy refuses: {out:?}");
    catcher.join().unwrap()
}

#[test]
fn bot_commands_default_to_the_local_server_and_reach_yunhu_only_when_asked() {
    let send = [
        "send",
        "--token",
        "a-cloudlake-bot-token",
        "--group",
        "307149245",
        "hi",
    ];
    let line = first_request_line(&send);
    assert!(
        line.starts_with("POST http://127.0.0.1:8080/open-apis/v1/bot/send?"),
        "without CLOUDLAKE_BASE_URL the token goes to the local server: {line}"
    );

    let mut to_yunhu = send.to_vec();
    to_yunhu.push("--yunhu");
    let line = first_request_line(&to_yunhu);
    assert!(
        line.starts_with("CONNECT chat-go.jwzhd.com:443"),
        "--yunhu reaches Yunhu: {line}"
    );
    let mut by_url = send.to_vec();
    by_url.extend(["--base-url", "https://chat-go.jwzhd.com/open-apis/v1"]);
    let line = first_request_line(&by_url);
    assert!(
        line.starts_with("CONNECT chat-go.jwzhd.com:443"),
        "so does its base URL: {line}"
    );
}

#[test]
fn demo_names_its_users_and_a_restart_says_how_to_get_tokens_back() {
    let dir = tempfile::tempdir().unwrap();
    let server = Served::start(dir.path(), &["--demo"]);
    let line = |needle: &str| {
        server
            .banner
            .iter()
            .find(|l| l.contains(needle))
            .cloned()
            .unwrap_or_else(|| panic!("no line with {needle:?} in {:#?}", server.banner))
    };
    assert!(line("user 7756242").contains("(Alice)"));
    assert!(line("user 4827368").contains("(Bob)"));
    assert!(line("sign in to the web client").contains("Alice's or Bob's token"));
    // The tokens are still the last word of their lines (scripts read them so).
    let alice = server.banner_value("user 7756242").unwrap();
    assert_eq!(alice.len(), 32, "{alice}");
    drop(server);

    let server = Served::start(dir.path(), &["--demo"]);
    let said = server.banner.join("\n");
    assert!(said.contains("nothing was seeded"), "{said}");
    assert!(said.contains("cannot be shown again"), "{said}");
    let command = |what: &str| {
        server
            .banner
            .iter()
            .find(|l| l.contains(what))
            .map(|l| l.split('#').next().unwrap().trim().to_owned())
            .unwrap_or_else(|| panic!("no {what:?} command in {said}"))
    };
    assert!(
        server
            .banner
            .iter()
            .any(|l| l.contains("user rotate-token 7756242") && l.contains("Alice")),
        "{said}"
    );
    // The printed command, run as printed, gives the bot a token that works.
    let printed = command("bot rotate-token 86297657");
    let mut words = printed.split_whitespace();
    assert_eq!(words.next(), Some("cloudlake"));
    let out = Command::new(BIN)
        .args(words)
        .env_remove("CLOUDLAKE_ADMIN_TOKEN")
        .env_remove("CLOUDLAKE_SERVER")
        .env_remove("CLOUDLAKE_DATA_DIR")
        .output()
        .unwrap();
    assert!(out.status.success(), "{printed}: {out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.split_whitespace().last().unwrap();
    let reply: Value = reqwest::blocking_get(&format!(
        "{}/open-apis/v1/bot/messages?token={token}&chat-id=307149245&chat-type=group&before=1",
        server.base
    ));
    assert_eq!(reply["code"], 1, "{reply}");
}

/// A `cloudlake serve` child whose stdout and stderr lines are both kept, in `lines`.
struct Child {
    child: std::process::Child,
    lines: Arc<Mutex<Vec<String>>>,
    new_lines: mpsc::Receiver<String>,
}

impl Child {
    fn spawn(args: &[&str]) -> Child {
        let mut child = Command::new(BIN)
            .args(args)
            // The default filter (info): what a user who sets nothing gets.
            .env_remove("RUST_LOG")
            .env_remove("CLOUDLAKE_ADMIN_TOKEN")
            .env_remove("CLOUDLAKE_LOG_FORMAT")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (tx, new_lines) = mpsc::channel();
        let out: Box<dyn Read + Send> = Box::new(child.stdout.take().unwrap());
        let err: Box<dyn Read + Send> = Box::new(child.stderr.take().unwrap());
        for pipe in [out, err] {
            let (lines, tx) = (lines.clone(), tx.clone());
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    lines.lock().unwrap().push(line.clone());
                    let _ = tx.send(line);
                }
            });
        }
        Child {
            child,
            lines,
            new_lines,
        }
    }

    /// Waits for the JSON line whose message starts with `prefix`.
    fn wait_for(&self, prefix: &str) -> Value {
        loop {
            let line = self
                .new_lines
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("no {prefix:?} line: {:#?}", self.lines));
            if let Ok(event) = serde_json::from_str::<Value>(&line)
                && event["fields"]["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with(prefix))
            {
                return event;
            }
        }
    }

    /// Everything printed, once the process has exited (SIGTERM first if `stop`).
    fn finish(mut self, stop: bool) -> Vec<String> {
        if stop {
            let status = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status()
                .unwrap();
            assert!(status.success());
        }
        let until = std::time::Instant::now() + Duration::from_secs(30);
        while self.child.try_wait().unwrap().is_none() {
            assert!(std::time::Instant::now() < until, "the server did not exit");
            std::thread::sleep(Duration::from_millis(50));
        }
        // The pipes close with the process; give the readers a moment to push the last lines.
        std::thread::sleep(Duration::from_millis(200));
        self.lines.lock().unwrap().clone()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Each line a JSON object with a timestamp and a level, as log shippers need.
fn assert_all_json(lines: &[String]) -> Vec<Value> {
    lines
        .iter()
        .map(|line| {
            let event: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
            assert!(
                event["timestamp"].is_string() && event["level"].is_string(),
                "{line}"
            );
            event
        })
        .collect()
}

#[test]
fn json_log_format_prints_only_json_lines_banner_and_request_logs_included() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let args = [
        "serve",
        "--log-format",
        "json",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data,
        "--demo",
    ];
    let server = Child::spawn(&args);
    let listening = server.wait_for("cloudlake listening on ");
    let base = listening["fields"]["url"].as_str().unwrap().to_owned();
    let health: Value = reqwest::blocking_get(&format!("{base}/healthz"));
    assert_eq!(health["status"], "ok");
    let lines = server.finish(true);
    let events = assert_all_json(&lines);
    let message = |e: &Value| e["fields"]["message"].as_str().unwrap_or("").to_owned();
    // The banner: the admin token, the demo's bot and users by name, where it listens.
    // The admin token is named by its file, never written into the log.
    assert!(
        events
            .iter()
            .any(|e| message(e).starts_with("admin token") && e["fields"]["file"].is_string()),
        "{lines:#?}"
    );
    let admin_token =
        std::fs::read_to_string(std::path::Path::new(data).join("admin-token")).unwrap_or_default();
    assert!(!admin_token.trim().is_empty());
    assert!(
        lines.iter().all(|l| !l.contains(admin_token.trim())),
        "the admin token is in the log: {lines:#?}"
    );
    for name in ["Alice", "Bob"] {
        assert!(
            events.iter().any(|e| message(e) == "demo user"
                && e["fields"]["nickname"] == name
                && e["fields"]["token"].is_string()),
            "{name}: {lines:#?}"
        );
    }
    // A request log line at info, under the request's span.
    assert!(
        events
            .iter()
            .any(|e| e["level"] == "INFO" && e["span"]["path"] == "/healthz"),
        "a request log at info: {lines:#?}"
    );
    assert!(events.iter().any(|e| message(e) == "cloudlake stopped"));

    // Restarted with --demo: the way to new tokens, as JSON too.
    let server = Child::spawn(&args);
    server.wait_for("cloudlake listening on ");
    let events = assert_all_json(&server.finish(true));
    assert!(
        events
            .iter()
            .any(|e| message(e).contains("nothing was seeded")
                && e["fields"]["commands"]
                    .as_str()
                    .is_some_and(|c| c.contains("user rotate-token 7756242"))),
        "{events:#?}"
    );

    // A start that fails says why, as JSON, and prints nothing else.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let failing = Child::spawn(&[
        "serve",
        "--log-format",
        "json",
        "--listen",
        &addr,
        "--data-dir",
        data,
    ]);
    let lines = failing.finish(false);
    let events = assert_all_json(&lines);
    assert!(
        events
            .iter()
            .any(|e| e["level"] == "ERROR" && message(e) == "cloudlake failed"),
        "{lines:#?}"
    );
}

/// Blocking GET of a JSON answer (the tests above have no runtime of their own).
mod reqwest {
    pub fn blocking_get(url: &str) -> serde_json::Value {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async { ::reqwest::get(url).await.unwrap().json().await.unwrap() })
    }
}

/// The README's quick start as a new user reads it: two commands (run the server, run the
/// tests), the web client right after the server command, and where the binary is and how to
/// put it on PATH before any `cloudlake …` command.
#[test]
fn readme_quick_start_reads_in_order() {
    let readme = include_str!("../../../README.md");
    let start = readme.find("## Quick start").unwrap();
    let quick = &readme[start..];
    let quick = &quick[..quick[3..].find("\n## ").map_or(quick.len(), |i| i + 3)];
    let blocks: Vec<&str> = quick.split("```").collect();
    // blocks[1] is the first code block, blocks[2] the text after it, blocks[3] the next block.
    assert_eq!(
        blocks[1].trim(),
        "sh\ncargo run --release -p cloudlake-cli -- serve --demo"
    );
    assert!(
        blocks[2].contains("http://127.0.0.1:8080/") && blocks[2].contains("Alice"),
        "the web client step follows the server command: {}",
        blocks[2]
    );
    assert_eq!(blocks[3].trim(), "sh\ncargo test --workspace");
    let first_use = readme
        .lines()
        .position(|l| l.starts_with("cloudlake "))
        .unwrap();
    let before: String = readme
        .lines()
        .take(first_use)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        before.contains("target/release/cloudlake") && before.contains("PATH"),
        "the binary's place and PATH come before `cloudlake …` is used"
    );
}
