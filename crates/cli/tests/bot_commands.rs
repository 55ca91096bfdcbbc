//! The bot commands of the `cloudlake` binary against a `cloudlake serve --demo` child: what
//! they print (text and `--json`) and what they did, read back through the bot API.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{BIN, Served};
use serde_json::{Value, json};

const BOT: &str = "86297657";
const ALICE: &str = "7756242";
const BOB: &str = "4827368";
const GROUP: &str = "307149245";

struct Demo {
    server: Served,
    bot_token: String,
    alice_token: String,
    _dir: tempfile::TempDir,
}

fn demo() -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let server = Served::start(dir.path(), &["--demo"]);
    let bot_token = server.banner_value(&format!("bot {BOT}")).unwrap();
    let alice_token = server.banner_value(&format!("user {ALICE}")).unwrap();
    Demo {
        server,
        bot_token,
        alice_token,
        _dir: dir,
    }
}

impl Demo {
    fn base_url(&self) -> String {
        format!("{}/open-apis/v1", self.server.base)
    }

    /// `cloudlake ARGS` with the connection in the environment (the documented fallback).
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env("CLOUDLAKE_BASE_URL", self.base_url())
            .env("CLOUDLAKE_BOT_TOKEN", &self.bot_token)
            .env_remove("CLOUDLAKE_WS_URL")
            .env_remove("CLOUDLAKE_RETRIES");
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs a command that must succeed; returns its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs a command with `--json`; returns its one JSON line.
    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        let stdout = self.ok(&all);
        assert_eq!(stdout.lines().count(), 1, "one JSON line: {stdout}");
        serde_json::from_str(&stdout).unwrap()
    }

    fn history(&self, flag: &str, id: &str) -> Vec<Value> {
        self.json(&["messages", flag, id, "--before", "50"])["list"]
            .as_array()
            .unwrap()
            .clone()
    }
}

#[test]
fn send_edit_recall_and_messages() {
    let demo = demo();
    let sent = demo.json(&[
        "send",
        "--group",
        GROUP,
        "pick one",
        "--row",
        "Tea=report:tea; Docs=url:https://example.com/a?b=c",
        "--row",
        "Copy=copy:xxxx",
    ]);
    let msg_id = sent["msgId"].as_str().unwrap().to_owned();
    assert_eq!(sent["recvId"], GROUP);
    assert_eq!(sent["recvType"], "group");

    let list = demo.history("--group", GROUP);
    assert_eq!(list[0]["msgId"], msg_id.as_str());
    assert_eq!(list[0]["content"]["text"], "pick one");
    assert_eq!(
        list[0]["content"]["buttons"],
        json!([[{"text":"Tea","actionType":3,"value":"tea"},
                {"text":"Docs","actionType":1,"url":"https://example.com/a?b=c"}],
               [{"text":"Copy","actionType":2,"value":"xxxx"}]])
    );

    // Text output, content from stdin, a reply, markdown.
    let mut child = demo
        .command(&[
            "send",
            "--user",
            ALICE,
            "--type",
            "markdown",
            "--reply-to",
            "nope",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"**from stdin**")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with("sent ") && stdout.contains(&format!("to user {ALICE}")),
        "{stdout}"
    );
    let private = demo.history("--user", ALICE);
    assert_eq!(private[0]["contentType"], "markdown");
    assert_eq!(private[0]["content"]["text"], "**from stdin**");

    let out = demo.ok(&["edit", &msg_id, "--group", GROUP, "edited"]);
    assert_eq!(out.trim(), format!("edited {msg_id}"));
    let text = demo.ok(&["messages", "--group", GROUP, "--before", "1"]);
    assert!(
        text.contains(&msg_id) && text.contains("cloudlake demo bot: edited"),
        "{text}"
    );

    let out = demo.json(&["recall", &msg_id, "--group", GROUP]);
    assert_eq!(out, json!({"msgId": msg_id, "recalled": true}));
    assert!(
        demo.history("--group", GROUP)
            .iter()
            .all(|m| m["msgId"] != msg_id.as_str())
    );
}

#[test]
fn errors_say_the_code_and_msg_in_english_too_and_never_the_token() {
    let demo = demo();
    let out = demo
        .command(&["send", "--group", GROUP, "x"])
        .env("CLOUDLAKE_BOT_TOKEN", "wrong-secret-token")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("code 1003: 非法token (unknown bot token"),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong-secret-token"), "{stderr}");

    let out = demo
        .command(&["send", "--group", GROUP, "x"])
        .env_remove("CLOUDLAKE_BOT_TOKEN")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("--token"));

    // Nothing listens on port 1: a transport error, token still hidden.
    let out = demo
        .command(&[
            "send",
            "--group",
            GROUP,
            "x",
            "--base-url",
            "http://127.0.0.1:1/open-apis/v1",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("transport error"), "{stderr}");
    assert!(!stderr.contains(&demo.bot_token), "{stderr}");

    let out = demo.run(&["send", "--group", "112869497", "x"]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(&format!(
            "code -1: 群(ID:112869497)中未添加当前机器人(ID: {BOT})。 \
             (the bot is not in this group (or the group does not exist))"
        )),
        "{stderr}"
    );
}

#[test]
fn batch_send_takes_recipients_from_arguments_a_file_and_stdin() {
    let demo = demo();
    // 300 unknown users around the two demo users: two requests.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("recipients.txt");
    let mut list = String::from("# demo users among strangers\n");
    for i in 0..300 {
        list.push_str(&format!("9{i:06}\n"));
        if i == 150 {
            list.push_str(&format!("{BOB}, {ALICE}\n"));
        }
    }
    std::fs::write(&file, list).unwrap();
    let sent = demo.json(&[
        "batch-send",
        "--to",
        "user",
        "--file",
        file.to_str().unwrap(),
        "-r",
        ALICE,
        "to many",
    ]);
    assert_eq!(sent["successCount"], 2, "{sent}");
    let ids: Vec<&str> = sent["successList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["recvId"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [ALICE, BOB],
        "argument first, then the file, duplicates once"
    );
    assert_eq!(demo.history("--user", BOB)[0]["content"]["text"], "to many");

    let mut child = demo
        .command(&["batch-send", "--to", "group", "--file", "-", "from stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"307149245\n665344168\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("sent to 2 recipients"), "{stdout}");
    assert_eq!(
        demo.history("--group", "665344168")[0]["content"]["text"],
        "from stdin"
    );
}

#[test]
fn upload_then_send_the_key() {
    let demo = demo();
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("dot.png");
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    bytes.extend_from_slice(&[0, 0, 0, 5, 0, 0, 0, 4, 8, 6, 0, 0, 0, 0, 0, 0, 0]);
    std::fs::write(&png, bytes).unwrap();
    let key = demo.ok(&["upload", "image", png.to_str().unwrap()]);
    let key = key.trim();
    assert_eq!(key.len(), 64, "{key}");
    demo.ok(&["send", "--group", GROUP, "--type", "image", key]);
    let list = demo.history("--group", GROUP);
    assert_eq!(list[0]["content"]["imageWidth"], 5);
    assert_eq!(list[0]["content"]["imageHeight"], 4);

    let notes = dir.path().join("notes.bin");
    std::fs::write(&notes, b"abc").unwrap();
    let uploaded = demo.json(&[
        "upload",
        "file",
        notes.to_str().unwrap(),
        "--name",
        "notes.txt",
    ]);
    let key = uploaded["fileKey"].as_str().unwrap();
    demo.ok(&["send", "--user", ALICE, "--type", "file", key]);
    assert_eq!(
        demo.history("--user", ALICE)[0]["content"]["fileName"],
        "notes.txt"
    );
}

#[test]
fn board_commands() {
    let demo = demo();
    let out = demo.ok(&[
        "board", "set", "--group", GROUP, "--type", "markdown", "**hi**",
    ]);
    assert_eq!(out.trim(), format!("board set in group {GROUP}"));
    demo.ok(&[
        "board",
        "set",
        "--group",
        GROUP,
        "--member",
        BOB,
        "for Bob",
        "--expire-at",
        "4000000000",
    ]);
    demo.ok(&["board", "dismiss", "--group", GROUP, "--member", BOB]);
    demo.ok(&["board", "dismiss", "--group", GROUP]);
    // Two groups and two private chats.
    assert_eq!(
        demo.json(&["board", "all", "everyone"]),
        json!({"successCount": 4})
    );
    assert_eq!(
        demo.json(&["board", "dismiss-all"]),
        json!({"dismissed": true})
    );
    let out = demo.run(&["board", "set", "--group", GROUP, " "]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("看板内容不能为空 (the board is empty)"));
}

#[tokio::test]
async fn events_prints_json_lines_live() {
    let demo = demo();
    let mut child = demo
        .command(&["events"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });

    // The demo's follows happened before: they wait in the outbox and come first.
    let http = reqwest::Client::new();
    let reply: Value = http
        .post(format!(
            "{}/api/v1/chats/bot/{BOT}/messages",
            demo.server.base
        ))
        .bearer_auth(&demo.alice_token)
        .json(&json!({"contentType": "text", "content": {"text": "hi bot"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let msg_id = reply["msgId"].as_str().unwrap().to_owned();

    let mut seen = Vec::new();
    let message = loop {
        let line = lines
            .recv_timeout(Duration::from_secs(10))
            .expect("an event line within 10 s");
        let envelope: Value = serde_json::from_str(&line).unwrap();
        if envelope["header"]["eventType"] == "message.receive.normal" {
            break envelope;
        }
        seen.push(envelope["header"]["eventType"].as_str().unwrap().to_owned());
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(seen.iter().any(|t| t == "bot.followed"), "{seen:?}");
    assert_eq!(message["version"], "1.0");
    assert_eq!(message["event"]["message"]["msgId"], msg_id.as_str());
    assert_eq!(message["event"]["sender"]["senderId"], ALICE);
    assert_eq!(message["event"]["message"]["content"]["text"], "hi bot");
}

#[test]
fn send_stream_from_stdin_as_it_arrives_or_from_an_argument() {
    let demo = demo();
    let mut child = demo
        .command(&["send-stream", "--group", GROUP, "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // "你" is three bytes: the first chunk ends inside it.
    let text = "streamed 你好";
    let (head, tail) = text.as_bytes().split_at(text.len() - 5);
    stdin.write_all(head).unwrap();
    stdin.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the message is open while stdin is"
    );
    stdin.write_all(tail).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let sent: Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = demo.history("--group", GROUP);
    assert_eq!(list[0]["msgId"], sent["msgId"]);
    assert_eq!(list[0]["content"]["text"], text);
    assert_eq!(list[0]["contentType"], "text");

    let out = demo.ok(&[
        "send-stream",
        "--user",
        ALICE,
        "--type",
        "markdown",
        "**whole**",
    ]);
    assert!(out.starts_with("sent ") && out.contains(ALICE), "{out}");
    let list = demo.history("--user", ALICE);
    assert_eq!(list[0]["content"]["text"], "**whole**");
    assert_eq!(list[0]["contentType"], "markdown");
}

/// `answer-click` (a cloudlake extension): after Alice clicks the report button, the bot's
/// answer replaces the text in place; a second answer to the same click is refused, with the
/// server's reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answer_click_answers_a_click_once() {
    let demo = demo();
    let sent = demo.json(&["send", "--group", GROUP, "deploy?", "--row", "Go=report:go"]);
    let msg_id = sent["msgId"].as_str().unwrap().to_owned();
    let clicked = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/messages/{msg_id}/click",
            demo.server.base
        ))
        .bearer_auth(&demo.alice_token)
        .json(&json!({"value": "go"}))
        .send()
        .await
        .unwrap();
    assert!(clicked.status().is_success(), "{}", clicked.status());
    let answered = demo.json(&[
        "answer-click",
        &msg_id,
        ALICE,
        "--notice",
        "Deploying",
        "--update",
        "**deploying**",
        "--update-type",
        "markdown",
    ]);
    assert_eq!(answered, json!({"msgId": msg_id, "answered": true}));
    let list = demo.history("--group", GROUP);
    assert_eq!(
        (&list[0]["contentType"], &list[0]["content"]["text"]),
        (&json!("markdown"), &json!("**deploying**"))
    );
    // A card, as `send --type a2ui` takes it.
    let card = json!({"updateComponents": {"surfaceId": "s", "components": [
        {"id": "root", "component": "Text", "text": "Deploy #42"}]}})
    .to_string();
    demo.json(&["send", "--group", GROUP, "--type", "a2ui", &card]);
    let list = demo.history("--group", GROUP);
    assert_eq!(
        (&list[0]["contentType"], &list[0]["content"]["text"]),
        (&json!("a2ui"), &json!(card))
    );
    let again = demo.run(&["answer-click", &msg_id, ALICE, "--notice", "again"]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("1002"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}
