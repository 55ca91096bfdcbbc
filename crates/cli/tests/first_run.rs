//! A first run as the README tells it (issue 21): where the bot commands send a token when no
//! base URL is given, what `serve --demo` prints on a fresh and on a used data directory, and
//! `--log-format json` printing nothing but JSON lines.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use common::BIN;

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
