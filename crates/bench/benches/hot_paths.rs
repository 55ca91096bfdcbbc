//! Micro-benchmarks of the hot paths: `cargo bench -p cloudlake-bench`.
//!
//! - parsing and validating a batch_send body (what every request pays before storage);
//! - rendering and sanitizing a message's content (once per send, for the live frames);
//! - one store commit of a batch_send to N recipients (the writer's share of a request).

#![allow(missing_docs, clippy::unwrap_used)]

use std::sync::Arc;

use cloudlake_protocol::{BatchSendRequest, RecvType};
use cloudlake_server::secret::TokenHash;
use cloudlake_server::store::{Durability, NoSink, Outgoing, Store};
use divan::Bencher;
use serde_json::json;

fn main() {
    divan::main();
}

fn body(n: usize) -> String {
    let ids: Vec<String> = (0..n).map(|i| format!("{}", 300_000_000 + i)).collect();
    json!({"recvIds": ids, "recvType": "group", "contentType": "text",
        "content": {"text": "这里是消息内容", "buttons": [[
            {"text": "复制", "actionType": 2, "value": "xxxx"},
            {"text": "点击跳转", "actionType": 1, "url": "http://www.baidu.com"}]]}})
    .to_string()
}

#[divan::bench(args = [1, 10, 200])]
fn parse_batch_send(bencher: Bencher, recipients: usize) {
    let body = body(recipients);
    bencher.bench(|| BatchSendRequest::parse(divan::black_box(body.as_bytes())).unwrap());
}

/// Content of each type as a bot sends it: a text with a mention and a link, markdown with a
/// table and raw HTML (an `onerror` the policy must strip), and HTML with a script.
const RENDERED: [(&str, &str); 3] = [
    (
        "text",
        "@Alice\u{200b} 请看 https://example.com/a?b=c 这里是消息内容\n第二行",
    ),
    (
        "markdown",
        "# 标题\n\n**粗体** and [link](https://example.com) <img src=x onerror=alert(1)>\n\n\
         | a | b |\n|---|---|\n| 1 | 2 |\n\n- one\n- two\n",
    ),
    (
        "html",
        "<p>hello <b>world</b><script>alert(1)</script><a href=\"javascript:x\">x</a></p>",
    ),
];

#[divan::bench(args = ["text", "markdown", "html"])]
fn render_and_sanitize(bencher: Bencher, content_type: &str) {
    let source = RENDERED
        .iter()
        .find(|(kind, _)| *kind == content_type)
        .unwrap()
        .1;
    bencher.bench(|| {
        cloudlake_server::render::by_type(divan::black_box(content_type), divan::black_box(source))
    });
}

/// Inputs built to make rendering slow (issue 22): each measures what a hostile message costs
/// now. `quote-32000` (3.6 s before the bounds) and `div-64000` (11.9 s) nest past
/// `MAX_DEPTH` and are shown as text; `table-10000-columns` promises 10,000 cells a row to
/// 50,000 rows; `reopen-1000-bold` makes the HTML parser re-create 1,000 misnested `<b>`s
/// after each of 100,000 `<div>`s; `at-1MB` is a text of a million `@` (each once searched
/// to the end for a mention's end); `deepest-accepted` is about the costliest HTML still
/// rendered: 99 open `<b>`s, then 12,400 `<div>`s at depth 100. `quote-1MB` and `bold-1MB`
/// are the 1 MB messages of the hostile-input corpus (a million `>`; 130,000 `<b>x</b>`).
fn pathological(name: &str) -> (&'static str, String) {
    match name {
        "quote-32000" => ("markdown", ">".repeat(32_000) + "x"),
        "div-64000" => ("html", "<div>".repeat(64_000)),
        "table-10000-columns" => (
            "markdown",
            format!(
                "{}\n{}\n{}",
                "|a".repeat(10_000),
                "|-".repeat(10_000),
                "x\n".repeat(50_000)
            ),
        ),
        "reopen-1000-bold" => (
            "html",
            (0..1000).map(|i| format!("<b id={i}>")).collect::<String>()
                + &"<div>x</div>".repeat(100_000),
        ),
        "at-1MB" => ("text", "@".repeat(1 << 20)),
        "quote-1MB" => ("markdown", ">".repeat(1_000_000)),
        "bold-1MB" => ("html", "<b>x</b>".repeat(130_000)),
        "deepest-accepted" => (
            "html",
            (0..99).map(|i| format!("<b id={i}>")).collect::<String>()
                + &"<div>x</div>".repeat(12_400),
        ),
        _ => unreachable!(),
    }
}

#[divan::bench(
    args = [
        "quote-32000",
        "div-64000",
        "table-10000-columns",
        "reopen-1000-bold",
        "at-1MB",
        "quote-1MB",
        "bold-1MB",
        "deepest-accepted"
    ],
    sample_count = 10
)]
fn render_pathological(bencher: Bencher, name: &str) {
    let (content_type, source) = pathological(name);
    bencher.bench(|| {
        cloudlake_server::render::by_type(divan::black_box(content_type), divan::black_box(&source))
    });
}

/// A store with one bot in `groups` groups, on a temp dir, with `synchronous=NORMAL` so the
/// number measures the writer's CPU work rather than this disk's fsync.
fn store(
    groups: usize,
) -> (
    tokio::runtime::Runtime,
    Store,
    tempfile::TempDir,
    Vec<String>,
) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (store, writer) = Store::open(dir.path(), Durability::Normal, Arc::new(NoSink)).unwrap();
    // The writer thread lives as long as the store; the benchmark process ends after.
    std::mem::forget(writer);
    let ids = rt.block_on(async {
        store
            .create_bot(Some("b".into()), "bench".into(), None, TokenHash::of("t"))
            .await
            .unwrap();
        let mut ids = Vec::new();
        for i in 0..groups {
            let id = format!("{}", 300_000_000 + i);
            store
                .create_group(Some(id.clone()), "g".into(), false)
                .await
                .unwrap();
            store
                .add_bot_to_group("b".into(), id.clone())
                .await
                .unwrap();
            ids.push(id);
        }
        ids
    });
    (rt, store, dir, ids)
}

#[divan::bench(args = [1, 10, 200], sample_count = 50)]
fn commit_batch_send(bencher: Bencher, recipients: usize) {
    let (rt, store, _dir, ids) = store(recipients);
    let content = json!({"text": "这里是消息内容"}).to_string();
    let view = Arc::new(cloudlake_server::service::rendering::message_view(
        "text",
        serde_json::from_str(&content).unwrap(),
    ));
    bencher.bench_local(|| {
        let recipients: Vec<(String, String)> = ids
            .iter()
            .map(|id| (id.clone(), cloudlake_server::ids::new_msg_id()))
            .collect();
        let message = Outgoing {
            content_type: "text".into(),
            content: content.clone(),
            parent_id: None,
            send_time: 0,
            media_keys: Vec::new(),
            view: view.clone(),
        };
        rt.block_on(store.send_from_bot("b".into(), RecvType::Group, recipients, message))
            .unwrap()
    });
}
