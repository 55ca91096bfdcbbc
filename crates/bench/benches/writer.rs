//! What a write costs the storage writer thread (issue 17): `cargo bench -p cloudlake-bench
//! --bench writer`.
//!
//! The writer is one thread that every write of the server queues behind, so the CPU it spends
//! per write bounds the server's write rate. This measures that CPU directly, from the kernel's
//! per-thread run time (`/proc/self/task/*/schedstat` of the `cloudlake-writer` thread), beside
//! the publishing thread's (where the live layer builds frames), the whole process's CPU (every
//! live thread: the caller's rendering too) and the wall time, per operation, one operation in
//! flight:
//!
//! - `edit`: a bot edits its markdown message in a group, one edit in flight (a commit each)
//!   and 64 (each task rendering its edit first, which on two cores is slower than the
//!   writer: still about a commit per edit); `edit_backlog`, 64 in flight with the edits
//!   rendered beforehand, so that the writer always has some queued (several edits a commit,
//!   as when the writer is the bottleneck); `edit_long` and `edit_long_backlog` the same with
//!   a text eight times as long (~6 KB);
//! - `board200`: a bot sets a markdown board-all shown in its 200 groups;
//! - `batch10`: a bot's batch_send of a text message to 10 groups, 1 and 64 in flight.
//!
//! The store is wired as `serve` wires it on SQLite (committed changes to the live layer on
//! its publishing thread, the gateway as the bus, no socket connected), with
//! `synchronous=NORMAL` (`Durability::Normal`) so that the disk's fsync stays out of the
//! numbers. Each operation does the caller's share too (rendering where the service renders),
//! so the process CPU is the whole cost of the write, not only the writer's.
//!
//! Prints one JSON line per operation. `WRITER_BENCH_SCALE` (default 1) multiplies the
//! operation counts; `WRITER_BENCH_ONLY=edit` (say) measures only that operation, and
//! `WRITER_BENCH_IN_FLIGHT=64` only with that many in flight (for a profile of the writer
//! thread). The same file, adapted to the store's API before render-once
//! (a693baf^), is kept in `crates/bench/results/issue-17/writer-before.rs` to compare against.

#![allow(missing_docs, clippy::unwrap_used, clippy::print_stdout)]

use std::sync::Arc;
use std::time::Instant;

use cloudlake_protocol::{Content, RecvType};
use cloudlake_server::bus::sink::LiveSink;
use cloudlake_server::gateway::Gateway;
use cloudlake_server::secret::TokenHash;
use cloudlake_server::service::rendering::message_view;
use cloudlake_server::store::{Chat, Delivery, Durability, NewBoard, Outgoing, Store};
use serde_json::json;

/// The server binary's allocator (`crates/cli/src/main.rs`): under glibc's malloc a quarter of
/// the writer thread's time here went to trimming and regrowing its arena (`madvise`, and the
/// TLB shootdowns it sends the other core), a cost the server does not have.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A bot's markdown of a typical length: a heading, a list, emphasis, a link, code.
const MARKDOWN: &str = "## 构建结果 #4821\n\n\
    **main** 分支的构建 *已完成*，耗时 `3m 12s`。\n\n\
    - 单元测试：**1,204** 通过，0 失败\n\
    - 集成测试：**87** 通过，2 跳过\n\
    - 覆盖率：81.4%（+0.3%）\n\n\
    > 部署到 staging 需要人工确认。\n\n\
    详情见 [构建日志](https://ci.example.com/builds/4821) 与 \
    [变更列表](https://git.example.com/compare/a1b2c3...d4e5f6)。\n\n\
    ```\ncargo test --workspace\n```\n";

// ---- The store's API at this build (the "before" copy differs only here). ----

fn open_store(dir: &std::path::Path) -> Store {
    let sink = LiveSink::start(Arc::new(Gateway::new())).unwrap();
    let (store, writer) = Store::open(dir, Durability::Normal, Arc::new(sink)).unwrap();
    // The writer thread lives as long as the store; the benchmark process ends after.
    std::mem::forget(writer);
    store
}

fn outgoing(content_type: &str, text: &str) -> Outgoing {
    let content = json!({ "text": text });
    let parsed: Content = serde_json::from_value(content.clone()).unwrap();
    Outgoing {
        content_type: content_type.into(),
        content: content.to_string(),
        parent_id: None,
        send_time: 0,
        media_keys: Vec::new(),
        // The service renders here, before the write.
        view: Arc::new(message_view(content_type, parsed)),
    }
}

fn new_board(content_type: &str, text: &str) -> NewBoard {
    NewBoard {
        content_type: content_type.into(),
        content: text.into(),
        expire_at: 0,
        // The service renders here, before the write.
        html: cloudlake_server::render::by_type(content_type, text),
    }
}

// ---- The same below in both copies. ----

/// Nanoseconds on a CPU so far: of the writer threads, of the publishing threads, and of
/// every live thread. (The kernel keeps 15 bytes of a thread's name: `cloudlake-write`.)
fn cpu_ns() -> (u64, u64, u64) {
    let (mut writer, mut publisher, mut all) = (0, 0, 0);
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let path = task.unwrap().path();
        let Ok(stat) = std::fs::read_to_string(path.join("schedstat")) else {
            continue;
        };
        let ns: u64 = stat.split_whitespace().next().unwrap().parse().unwrap();
        all += ns;
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if "cloudlake-writer".starts_with(comm.trim()) && comm.trim().len() >= 15 {
            writer += ns;
        } else if "cloudlake-publish".starts_with(comm.trim()) && comm.trim().len() >= 15 {
            publisher += ns;
        }
    }
    (writer, publisher, all)
}

/// A store with bot `b` in `groups` groups.
fn setup(rt: &tokio::runtime::Runtime, groups: usize) -> (Store, tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
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
    (store, dir, ids)
}

/// Runs `warmup` then `ops` operations, `inflight` at a time, and prints the per-operation
/// costs. With many in flight, the writer runs many jobs per commit, as under load.
fn measure<F>(
    rt: &tokio::runtime::Runtime,
    name: &str,
    inflight: usize,
    warmup: usize,
    ops: usize,
    op: F,
) where
    F: AsyncFn(usize),
{
    if std::env::var("WRITER_BENCH_ONLY").is_ok_and(|only| only != name)
        || std::env::var("WRITER_BENCH_IN_FLIGHT").is_ok_and(|n| n != inflight.to_string())
    {
        return;
    }
    // Task `t` runs operations t, t + inflight, t + 2 × inflight, …
    let run = async |first: usize, count: usize| {
        let op = &op;
        futures_util::future::join_all((0..inflight).map(|t| async move {
            for k in 0..count / inflight {
                op(first + t + k * inflight).await;
            }
        }))
        .await;
    };
    rt.block_on(async {
        run(0, warmup).await;
        let (writer0, publisher0, all0) = cpu_ns();
        let start = Instant::now();
        run(warmup, ops).await;
        let wall = start.elapsed().as_nanos() as f64;
        let (writer1, publisher1, all1) = cpu_ns();
        let per_op = |ns: f64| (ns / ops as f64 / 100.0).round() / 10.0;
        println!(
            "{}",
            json!({
                "bench": name,
                "in_flight": inflight,
                "ops": ops,
                "writer_us_per_op": per_op((writer1 - writer0) as f64),
                "publisher_us_per_op": per_op((publisher1 - publisher0) as f64),
                "process_cpu_us_per_op": per_op((all1 - all0) as f64),
                "wall_us_per_op": per_op(wall),
            })
        );
    });
}

fn main() {
    let scale: usize = std::env::var("WRITER_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    // Two workers, as the machine has two cores.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    // An edit: the bot's markdown messages in a group, each edited back and forth; one in
    // flight (a commit per edit), then 64 (each task edits a message of its own).
    let (store, _dir, ids) = setup(&rt, 1);
    let group = ids[0].clone();
    let msg_ids: Vec<String> = (0..64)
        .map(|_| cloudlake_server::ids::new_msg_id())
        .collect();
    for msg_id in &msg_ids {
        let sent = rt
            .block_on(store.send_from_bot(
                "b".into(),
                RecvType::Group,
                vec![(group.clone(), msg_id.clone())],
                outgoing("markdown", MARKDOWN),
            ))
            .unwrap();
        assert!(matches!(sent[0], Delivery::Stored));
    }
    // The typical text, and a long one (the same eight times, ~6 KB).
    let long = MARKDOWN.repeat(8);
    for (name, text) in [("edit", MARKDOWN), ("edit_long", long.as_str())] {
        let edited = [format!("{text}\n(1)"), format!("{text}\n(2)")];
        // Rendered once, for the backlog below.
        let rendered = edited.clone().map(|text| outgoing("markdown", &text));
        let edit = async |i: usize, inflight: usize, edit: Outgoing| {
            let done = store
                .edit_from_bot(
                    "b".into(),
                    Chat::Group {
                        group_id: group.clone(),
                    },
                    msg_ids[i % inflight].clone(),
                    edit,
                )
                .await
                .unwrap();
            assert!(done);
        };
        for inflight in [1, 64] {
            measure(&rt, name, inflight, 256 * scale, 2048 * scale, async |i| {
                edit(
                    i,
                    inflight,
                    outgoing("markdown", &edited[(i / inflight) % 2]),
                )
                .await
            });
        }
        // The same 64 in flight with each edit rendered beforehand, so that the writer always
        // has a backlog, as when it is the bottleneck. Above, the tasks render each edit
        // first, and on two cores rendering is slower than the writer: it takes ~1.3 edits
        // per commit there, and the row shows what one commit per edit costs.
        measure(
            &rt,
            &format!("{name}_backlog"),
            64,
            256 * scale,
            2048 * scale,
            async |i| edit(i, 64, rendered[(i / 64) % 2].clone()).await,
        );
    }

    // A markdown board-all, shown in the bot's 200 groups.
    let (store, _dir, _ids) = setup(&rt, 200);
    let boards = [format!("{MARKDOWN}\n(1)"), format!("{MARKDOWN}\n(2)")];
    measure(&rt, "board200", 1, 20 * scale, 200 * scale, async |i| {
        let chats = store
            .set_board_all("b".into(), new_board("markdown", &boards[i % 2]))
            .await
            .unwrap();
        assert_eq!(chats, 200);
    });

    // A batch_send of a text message to 10 groups; one in flight, then 64.
    let (store, _dir, ids) = setup(&rt, 10);
    for inflight in [1, 64] {
        measure(
            &rt,
            "batch10",
            inflight,
            256 * scale,
            2048 * scale,
            async |_| {
                let recipients: Vec<(String, String)> = ids
                    .iter()
                    .map(|id| (id.clone(), cloudlake_server::ids::new_msg_id()))
                    .collect();
                store
                    .send_from_bot(
                        "b".into(),
                        RecvType::Group,
                        recipients,
                        outgoing("text", "这里是消息内容"),
                    )
                    .await
                    .unwrap();
            },
        );
    }
}
