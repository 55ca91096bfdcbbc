//! The `cloudlake` binary as a child process, shared by the CLI test files.

#![allow(dead_code, clippy::unwrap_used)] // each test file uses a different part

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_cloudlake");

/// A `cloudlake serve` child process, killed when dropped.
pub struct Served {
    pub child: Child,
    pub base: String,
    /// Every stdout line printed up to "listening".
    pub banner: Vec<String>,
    /// Every stdout line printed so far (logs go to stdout), banner included.
    pub output: Arc<Mutex<Vec<String>>>,
}

impl Served {
    pub fn start(data_dir: &Path, extra: &[&str]) -> Served {
        Self::start_env(data_dir, extra, &[])
    }

    pub fn start_env(data_dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Served {
        Self::start_logging(data_dir, extra, env, "warn")
    }

    /// Starts `wrapper… cloudlake serve …` (e.g. a shell that sets up the process first and
    /// then `exec`s the server, so the child's pid is the server's).
    pub fn start_wrapped(data_dir: &Path, extra: &[&str], wrapper: &[&str]) -> Served {
        Self::spawn(data_dir, extra, &[], "warn", wrapper)
    }

    /// Starts with `RUST_LOG=rust_log`; every line printed is kept in `output`.
    pub fn start_logging(
        data_dir: &Path,
        extra: &[&str],
        env: &[(&str, &str)],
        rust_log: &str,
    ) -> Served {
        Self::spawn(data_dir, extra, env, rust_log, &[])
    }

    fn spawn(
        data_dir: &Path,
        extra: &[&str],
        env: &[(&str, &str)],
        rust_log: &str,
        wrapper: &[&str],
    ) -> Served {
        let mut command = match wrapper.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(BIN);
                c
            }
            None => Command::new(BIN),
        };
        let mut child = command
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(extra)
            .envs(env.iter().copied())
            .env_remove("CLOUDLAKE_ADMIN_TOKEN")
            .env("RUST_LOG", rust_log)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (lines_tx, lines) = mpsc::channel();
        let output = Arc::new(Mutex::new(Vec::new()));
        let kept = output.clone();
        // Keep draining stdout for the child's whole life, so it never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                kept.lock().unwrap().push(line.clone());
                let _ = lines_tx.send(line);
            }
        });
        // The guard exists before anything can fail, so a panic below still kills the child.
        let mut served = Served {
            child,
            base: String::new(),
            banner: Vec::new(),
            output,
        };
        loop {
            let line = lines
                .recv_timeout(Duration::from_secs(30))
                .expect("the server did not say it was listening within 30 s");
            served.banner.push(line.clone());
            if let Some(rest) = banner_text(&line).strip_prefix("cloudlake listening on ") {
                served.base = rest.split_whitespace().next().unwrap().to_owned();
                return served;
            }
        }
    }

    pub fn banner_value(&self, prefix: &str) -> Option<String> {
        self.banner
            .iter()
            .find(|l| l.trim_start().starts_with(prefix))
            .map(|l| l.split_whitespace().last().unwrap().to_owned())
    }

    /// SIGTERM: the graceful shutdown. Returns at once; see [`Served::wait_exit`].
    pub fn sigterm(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits up to `limit` for the process to exit, and returns its status (`None`: still
    /// running).
    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let until = std::time::Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if std::time::Instant::now() > until {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL: no shutdown, no flush, nothing the process could still do.
    pub fn kill_9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

/// A banner line's text: the line itself, or with `--log-format json` its event's message.
pub fn banner_text(line: &str) -> String {
    if line.starts_with('{')
        && let Ok(event) = serde_json::from_str::<Value>(line)
    {
        return event["fields"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
    }
    line.to_owned()
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn admin(server: &Served, token: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(["admin", "--server", &server.base, "--admin-token", token])
        .args(args)
        .output()
        .unwrap()
}

pub fn admin_json(server: &Served, token: &str, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = admin(server, token, &all);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout.lines().count(),
        1,
        "--json prints one object: {stdout}"
    );
    serde_json::from_str(&stdout).unwrap()
}

/// The `webhook-id` of every request a [`webhook_sink`] received, in arrival order.
pub type Hooks = Arc<Mutex<Vec<String>>>;

/// A webhook receiver on 127.0.0.1 that answers 200 to everything: its port, and the
/// `webhook-id` of each request received.
pub fn webhook_sink() -> (u16, Hooks) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hooks: Hooks = Arc::default();
    let seen = hooks.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let seen = seen.clone();
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // Read the head, then the body its Content-Length announces.
                let head = loop {
                    let Ok(n) = stream.read(&mut chunk) else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let header = |name: &str| {
                            text[..end].lines().find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
                            })
                        };
                        let length = header("content-length")
                            .and_then(|v| v.parse::<usize>().ok())
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + length {
                            break header("webhook-id").unwrap_or_default();
                        }
                    }
                };
                seen.lock().unwrap().push(head);
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                );
            });
        }
    });
    (port, hooks)
}

/// A call to the admin API of the server at `base`; panics unless it succeeds. The JSON
/// answer (`Null` when empty).
pub async fn admin_call(
    base: &str,
    admin_token: &str,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> Value {
    let resp = reqwest::Client::new()
        .request(method, format!("{base}/admin/v1{path}"))
        .bearer_auth(admin_token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{path}: {}", resp.status());
    resp.json().await.unwrap_or(Value::Null)
}

/// The tokens [`seed`] made.
pub struct Seeded {
    pub bot: String,
    pub users: Vec<String>,
}

/// Through the admin API of the server at `base`: the users, the bot (its webhook pointed at
/// `webhook_port` on loopback), the groups with the bot and every user in each, and every
/// user following the bot.
pub async fn seed(
    base: &str,
    admin_token: &str,
    bot: &str,
    groups: &[&str],
    users: &[&str],
    webhook_port: u16,
) -> Seeded {
    use reqwest::Method;
    let call = |method, path: String, body| async move {
        admin_call(base, admin_token, method, &path, body).await
    };
    let mut user_tokens = Vec::new();
    for user in users {
        let made = call(
            Method::POST,
            "/users".into(),
            serde_json::json!({"id": user, "nickname": user}),
        )
        .await;
        user_tokens.push(made["token"].as_str().unwrap().to_owned());
    }
    let made = call(
        Method::POST,
        "/bots".into(),
        serde_json::json!({"id": bot, "nickname": "seeded",
               "webhookUrl": format!("http://127.0.0.1:{webhook_port}/hook")}),
    )
    .await;
    let bot_token = made["token"].as_str().unwrap().to_owned();
    for group in groups {
        let empty = serde_json::json!({});
        call(
            Method::POST,
            "/groups".into(),
            serde_json::json!({"id": group, "name": group}),
        )
        .await;
        call(
            Method::PUT,
            format!("/groups/{group}/bots/{bot}"),
            empty.clone(),
        )
        .await;
        for user in users {
            call(
                Method::PUT,
                format!("/groups/{group}/members/{user}"),
                empty.clone(),
            )
            .await;
        }
    }
    for user in users {
        call(
            Method::PUT,
            format!("/bots/{bot}/followers/{user}"),
            serde_json::json!({}),
        )
        .await;
    }
    Seeded {
        bot: bot_token,
        users: user_tokens,
    }
}

/// A port on 127.0.0.1 that was free a moment ago (bound, noted, released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
