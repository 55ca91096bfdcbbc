//! The harness of the real-client suite: a `cloudlake serve` child on 127.0.0.1 with a temp data
//! dir, its people, groups and bot made through the admin CLI, one real Yunhu client (a Python
//! script of this directory run by the clients venv's python) pointed at it, and the user API
//! to act as the people do.
//!
//! The scripts print one JSON object a line on stdout: `{"kind": "ready", …}` once the client
//! listens, then what the client's own handlers received (`message`, `command`, `follow`,
//! `join`, `click`, …) and what its sends answered (`sent`). [`World::expect`] waits for one.
//!
//! Everything is bounded: the server and the client are killed when the [`World`] drops, each
//! wait has a deadline, and only loopback addresses are used.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Served, admin_json, free_port};

/// How long a client may take to start (nonebot and ErisPulse import a lot on a cold cache).
const START_LIMIT: Duration = Duration::from_secs(60);
/// How long one expected thing may take to show up.
const WAIT_LIMIT: Duration = Duration::from_secs(20);

/// The admin token of every test server (loopback only, a fresh data dir each time).
const ADMIN_TOKEN: &str = "real-clients-admin-token";
/// The bot's ID, fixed so that clients configured by ID (nonebot's webhook path) know it.
pub const BOT_ID: &str = "81234567";
/// The bot's nickname.
pub const BOT_NICKNAME: &str = "Helper";
/// The slash command every test bot has (`normal`, no preset text).
pub const COMMAND: &str = "weather";
/// A `direct` command of every test bot.
pub const DIRECT_COMMAND: &str = "ping";
/// A `normal` command of every test bot with the preset text [`PRESET_TEXT`].
pub const PRESET_COMMAND: &str = "forecast";
/// The preset text (默认文字) of [`PRESET_COMMAND`].
pub const PRESET_TEXT: &str = "明天";

/// A real client of the suite: its script in this directory, and how it receives events.
#[derive(Clone, Copy, Debug)]
pub struct Client {
    /// The script's file name in `crates/cli/tests/real_clients/`.
    pub script: &'static str,
    /// The path of its webhook on the client's port (`None`: it uses cloudlake's bot
    /// WebSocket, `/subscribe`, and listens on nothing).
    pub webhook_path: Option<&'static str>,
}

/// The official Python SDK, PyPI `yunhu`.
pub const YUNHU_SDK: Client = Client {
    script: "yunhu_sdk.py",
    webhook_path: Some("/hook"),
};
/// nonebot2 with nonebot-adapter-yunhu (webhook at `/yunhu/{app_id}`).
pub const NONEBOT: Client = Client {
    script: "nonebot_bot.py",
    webhook_path: Some("/yunhu/81234567"),
};
/// ErisPulse with its Yunhu adapter, in WebSocket mode.
pub const ERISPULSE: Client = Client {
    script: "erispulse_bot.py",
    webhook_path: None,
};
/// yunhu2onebot12's converter behind a webhook.
pub const YUNHU2ONEBOT12: Client = Client {
    script: "yunhu2onebot12_bot.py",
    webhook_path: Some("/hook"),
};

/// The python of the clients venv (`CLOUDLAKE_CLIENTS_PYTHON`, made by `.ci/clients.sh`), or
/// `None` with a message when it is not set. Under CI (`CI=true`) or with
/// `CLOUDLAKE_REQUIRE_CLIENTS=1` a missing venv is a failure, not a skip.
pub fn python() -> Option<PathBuf> {
    let required = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
        || std::env::var("CLOUDLAKE_REQUIRE_CLIENTS").is_ok_and(|v| v == "1");
    match std::env::var_os("CLOUDLAKE_CLIENTS_PYTHON") {
        Some(path) if PathBuf::from(&path).is_file() => Some(PathBuf::from(path)),
        other => {
            let why = match other {
                Some(path) => format!("CLOUDLAKE_CLIENTS_PYTHON={path:?} is not a file"),
                None => "CLOUDLAKE_CLIENTS_PYTHON is not set".to_owned(),
            };
            assert!(
                !required,
                "{why}: the real clients must run under CI (create the venv with \
                 `CLOUDLAKE_CLIENTS_PYTHON=$(bash .ci/clients.sh)`)"
            );
            eprintln!(
                "skipped: {why} (run `export CLOUDLAKE_CLIENTS_PYTHON=$(bash .ci/clients.sh)` \
                 to run the real Yunhu clients)"
            );
            None
        }
    }
}

/// A person: ID and user token.
#[derive(Clone, Debug)]
pub struct Person {
    pub id: String,
    pub token: String,
}

/// A server, its seed data, and one real client connected to it.
pub struct World {
    /// Declared first so it drops (is killed) before the server.
    client: ClientProcess,
    pub server: Served,
    pub http: reqwest::Client,
    pub rt: tokio::runtime::Runtime,
    /// Owner of [`World::group`], follows the bot.
    pub alice: Person,
    /// Member of [`World::group`]; neither follows the bot nor is in [`World::open_group`].
    pub bob: Person,
    /// A closed group with Alice, Bob and the bot.
    pub group: String,
    /// An open group with the bot and Alice, for Bob to join.
    pub open_group: String,
    /// The bot's token.
    pub bot_token: String,
    _dir: tempfile::TempDir,
}

/// The client's child process and what its script printed.
struct ClientProcess {
    child: Child,
    lines: mpsc::Receiver<Value>,
    /// Every record received so far, in order.
    seen: Vec<Value>,
    /// The client's stderr (its logs), shown when an expectation fails.
    stderr_path: PathBuf,
    /// The client's working directory: whatever config or state files it writes land here.
    _workdir: tempfile::TempDir,
}

impl Drop for ClientProcess {
    /// Kills the client's whole process group (a library may have started helpers), then
    /// reaps the client.
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn admin(server: &Served, args: &[&str]) -> Value {
    admin_json(server, ADMIN_TOKEN, args)
}

impl World {
    /// Starts a server, seeds it, and starts `client` with `python`; returns once the client
    /// said it is ready.
    pub fn start(python: &std::path::Path, client: Client) -> World {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let server = Served::start(
            &data,
            &[
                "--admin-token",
                ADMIN_TOKEN,
                "--webhook-allow-private",
                "--rate-limit",
                "off",
                // A failed webhook is retried at once, then after a second: a client that is
                // still starting misses nothing.
                "--webhook-retry-schedule",
                "0,1,1,2",
            ],
        );
        let person = |nickname: &str| {
            let made = admin(&server, &["user", "create", "--nickname", nickname]);
            Person {
                id: made["userId"].as_str().unwrap().to_owned(),
                token: made["token"].as_str().unwrap().to_owned(),
            }
        };
        let alice = person("Alice");
        let bob = person("Bob");
        let group = admin(&server, &["group", "create", "--name", "Team"])["groupId"]
            .as_str()
            .unwrap()
            .to_owned();
        let open_group =
            admin(&server, &["group", "create", "--name", "Lobby", "--open"])["groupId"]
                .as_str()
                .unwrap()
                .to_owned();
        admin(
            &server,
            &["group", "add-member", &group, &alice.id, "--role", "owner"],
        );
        admin(&server, &["group", "add-member", &group, &bob.id]);
        admin(
            &server,
            &[
                "group",
                "add-member",
                &open_group,
                &alice.id,
                "--role",
                "owner",
            ],
        );

        let hook_port = free_port();
        let mut bot_args = vec!["bot", "create", "--nickname", BOT_NICKNAME, "--id", BOT_ID];
        let webhook = client
            .webhook_path
            .map(|path| format!("http://127.0.0.1:{hook_port}{path}"));
        if let Some(url) = &webhook {
            bot_args.extend(["--webhook", url]);
        }
        let bot_token = admin(&server, &bot_args)["token"]
            .as_str()
            .unwrap()
            .to_owned();
        admin(&server, &["bot", "join-group", BOT_ID, &group]);
        admin(&server, &["bot", "join-group", BOT_ID, &open_group]);
        admin(&server, &["bot", "follow", BOT_ID, &alice.id]);
        admin(&server, &["bot", "add-command", BOT_ID, COMMAND]);
        admin(
            &server,
            &[
                "bot",
                "add-command",
                BOT_ID,
                DIRECT_COMMAND,
                "--kind",
                "direct",
            ],
        );
        admin(
            &server,
            &[
                "bot",
                "add-command",
                BOT_ID,
                PRESET_COMMAND,
                "--preset-text",
                PRESET_TEXT,
            ],
        );

        let client = ClientProcess::spawn(python, client, &server.base, &bot_token, hook_port);

        let mut world = World {
            client,
            server,
            http: reqwest::Client::new(),
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            alice,
            bob,
            group,
            open_group,
            bot_token,
            _dir: dir,
        };
        world.expect_within("ready", START_LIMIT, |_| true);
        world
    }

    /// An admin CLI command (`cloudlake admin --json ARGS`) against this server; its JSON.
    pub fn admin(&self, args: &[&str]) -> Value {
        admin(&self.server, args)
    }

    /// A bot API call (`POST /open-apis/v1/{path}?token=`) as the bot; the envelope.
    pub fn bot_api(&self, path: &str, body: Value) -> Value {
        self.rt.block_on(async {
            self.http
                .post(format!("{}/open-apis/v1/{path}", self.server.base))
                .query(&[("token", &self.bot_token)])
                .json(&body)
                .timeout(WAIT_LIMIT)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        })
    }

    /// A user API call (`/api/v1{path}`) as `who`; panics unless it succeeds. The JSON answer
    /// (`Null` when empty).
    pub fn user_call(
        &self,
        who: &Person,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        self.rt.block_on(async {
            let mut req = self
                .http
                .request(method, format!("{}/api/v1{path}", self.server.base))
                .bearer_auth(&who.token)
                .timeout(WAIT_LIMIT);
            if let Some(body) = body {
                req = req.json(&body);
            }
            let resp = req.send().await.unwrap();
            let status = resp.status();
            let text = resp.text().await.unwrap();
            assert!(status.is_success(), "{path}: {status} {text}");
            serde_json::from_str(&text).unwrap_or(Value::Null)
        })
    }

    /// `who` sends `body` (`{"contentType", "content", …}`) to the group; the stored message.
    pub fn send_to_group(&self, who: &Person, body: Value) -> Value {
        let path = format!("/chats/group/{}/messages", self.group);
        self.user_call(who, Method::POST, &path, Some(body))
    }

    /// `who` sends a text to the group; the stored message.
    pub fn say(&self, who: &Person, text: &str) -> Value {
        self.send_to_group(
            who,
            json!({"contentType": "text", "content": {"text": text}}),
        )
    }

    /// `who` uploads a 5×4 PNG; the upload's description (`key`, `url`, …).
    pub fn upload_png(&self, who: &Person) -> Value {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend_from_slice(&[0, 0, 0, 5, 0, 0, 0, 4, 8, 6, 0, 0, 0, 0, 0, 0, 0]);
        self.rt.block_on(async {
            let resp = self
                .http
                .post(format!(
                    "{}/api/v1/uploads/image?name=dot.png",
                    self.server.base
                ))
                .bearer_auth(&who.token)
                .body(png)
                .timeout(WAIT_LIMIT)
                .send()
                .await
                .unwrap();
            assert!(resp.status().is_success(), "upload: {}", resp.status());
            resp.json().await.unwrap()
        })
    }

    /// The group's history as `who` reads it, oldest first.
    pub fn group_history(&self, who: &Person) -> Vec<Value> {
        let path = format!("/chats/group/{}/messages?limit=100", self.group);
        self.user_call(who, Method::GET, &path, None)["messages"]
            .as_array()
            .unwrap()
            .clone()
    }

    /// Waits until the group's history has a message from the bot that `pred` accepts; returns
    /// it. Fails (with the history and the client's output) after [`WAIT_LIMIT`].
    pub fn bot_message_in_group(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        let until = Instant::now() + WAIT_LIMIT;
        loop {
            let history = self.group_history(&self.alice.clone());
            if let Some(found) = history
                .iter()
                .find(|m| m["senderId"] == BOT_ID && m["senderType"] == "bot" && pred(m))
            {
                return found.clone();
            }
            if Instant::now() > until {
                self.drain();
                panic!(
                    "no such bot message in the group's history within {WAIT_LIMIT:?}\n\
                     history: {history:#?}\n{}",
                    self.client_report()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits for the client to report a record of `kind` that `pred` accepts; returns it.
    pub fn expect(&mut self, kind: &str, pred: impl Fn(&Value) -> bool) -> Value {
        self.expect_within(kind, WAIT_LIMIT, pred)
    }

    fn expect_within(
        &mut self,
        kind: &str,
        limit: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        let matches = |r: &Value| r["kind"] == kind && pred(r);
        if let Some(found) = self.client.seen.iter().find(|r| matches(r)) {
            return found.clone();
        }
        let until = Instant::now() + limit;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match self.client.lines.recv_timeout(left) {
                Ok(record) => {
                    self.client.seen.push(record.clone());
                    if matches(&record) {
                        return record;
                    }
                }
                Err(_) => panic!(
                    "the client reported no matching {kind:?} within {limit:?}\n{}",
                    self.client_report()
                ),
            }
        }
    }

    /// Every `kind` record received so far (after reading what is waiting).
    pub fn records(&mut self, kind: &str) -> Vec<Value> {
        self.drain();
        self.client
            .seen
            .iter()
            .filter(|r| r["kind"] == kind)
            .cloned()
            .collect()
    }

    fn drain(&mut self) {
        while let Ok(record) = self.client.lines.try_recv() {
            self.client.seen.push(record);
        }
    }

    /// What the client reported and the end of its log, for failure messages.
    fn client_report(&self) -> String {
        let log = std::fs::read_to_string(&self.client.stderr_path).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(60).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!(
            "client records: {:#?}\nclient log (last lines):\n{}",
            self.client.seen,
            tail.join("\n")
        )
    }
}

impl ClientProcess {
    fn spawn(
        python: &std::path::Path,
        client: Client,
        base: &str,
        bot_token: &str,
        hook_port: u16,
    ) -> ClientProcess {
        let scripts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/real_clients");
        let workdir = tempfile::tempdir().unwrap();
        let stderr_path = workdir.path().join("client.log");
        let stderr = std::fs::File::create(&stderr_path).unwrap();
        let mut child = Command::new(python)
            // A process group of its own, killed whole at the end.
            .process_group(0)
            .arg(scripts.join(client.script))
            .current_dir(workdir.path())
            .env("PYTHONPATH", &scripts)
            .env("PYTHONUNBUFFERED", "1")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("CLOUDLAKE_BASE", base)
            .env("BOT_ID", BOT_ID)
            .env("BOT_TOKEN", bot_token)
            .env("HOOK_PORT", hook_port.to_string())
            // Only loopback: no proxy may route the clients' calls elsewhere.
            .env("NO_PROXY", "*")
            .env_remove("HTTP_PROXY")
            .env_remove("HTTPS_PROXY")
            .env_remove("ALL_PROXY")
            .env_remove("http_proxy")
            .env_remove("https_proxy")
            .env_remove("all_proxy")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // Only the JSON records count; anything else a library prints is ignored.
                if let Ok(record @ Value::Object(_)) = serde_json::from_str::<Value>(&line)
                    && tx.send(record).is_err()
                {
                    return;
                }
            }
        });
        ClientProcess {
            child,
            lines,
            seen: Vec::new(),
            stderr_path,
            _workdir: workdir,
        }
    }
}
