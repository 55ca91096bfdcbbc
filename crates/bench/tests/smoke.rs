//! A short run of every harness mode against a real server, proving the harness works. No
//! timing is asserted: benchmark numbers live in BENCHMARKS.md, not in tests.

#![allow(clippy::unwrap_used)]

use std::process::Command;

use cloudlake_server::store::Durability;
use cloudlake_server::{Config, Server};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_cloudlake-bench");

async fn server() -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.admin_token = Some("bench-admin".into());
    config.durability = Durability::Normal;
    // The webhook mode's receiver is on loopback.
    config.delivery.allow_private = true;
    let server = Server::bind(config).await.unwrap();
    let addr = server.local_addr().unwrap();
    tokio::spawn(server.serve(std::future::pending()));
    (format!("http://{addr}/"), dir)
}

fn run(args: &[&str]) -> Vec<Value> {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn send_with_baseline_and_fanout_run_and_report() {
    let (base, _dir) = server().await;
    for scenario in ["group10", "user200"] {
        let lines = run(&[
            "send",
            "--server",
            &base,
            "--admin-token",
            "bench-admin",
            "--scenario",
            scenario,
            // Bounded by count; the time limit is only a safety net for slow debug builds.
            "--seconds",
            "60",
            "--max-requests",
            "20",
            "--concurrency",
            "4",
            "--with-baseline",
        ]);
        assert_eq!(lines.len(), 3, "{lines:?}");
        for line in &lines[..2] {
            assert_eq!(line["ok"], 20, "{line}");
            assert_eq!(line["failed"], 0, "{line}");
            assert!(line["latency_ms"]["p99"].as_f64().unwrap() > 0.0);
        }
        assert!(lines[2]["ratio_to_baseline"].as_f64().unwrap() > 0.0);
    }
    let open = run(&[
        "send",
        "--server",
        &base,
        "--admin-token",
        "bench-admin",
        "--seconds",
        "1",
        "--rate",
        "50",
    ]);
    assert!(open[0]["ok"].as_u64().unwrap() >= 40, "{open:?}");

    let fanout = run(&[
        "fanout",
        "--server",
        &base,
        "--admin-token",
        "bench-admin",
        "--members",
        "20",
        "--messages",
        "3",
        "--senders",
        "2",
        "--rate",
        "50",
    ]);
    assert_eq!(
        fanout[0]["ok"], 60,
        "every member got every message: {:?}",
        fanout[0]
    );
    assert_eq!(fanout[0]["failed"], 0);

    for mode in [None, Some("--live")] {
        let mut args = vec![
            "webhooks",
            "--server",
            &base,
            "--admin-token",
            "bench-admin",
            "--events",
            "30",
            "--concurrency",
            "4",
        ];
        args.extend(mode);
        let hooks = run(&args);
        assert_eq!(hooks[0]["ok"], 30, "every event arrived: {:?}", hooks[0]);
        assert_eq!(hooks[0]["failed"], 0);
    }

    // A soak's interval lines come before its summary.
    let soak = run(&[
        "send",
        "--server",
        &base,
        "--admin-token",
        "bench-admin",
        "--seconds",
        "2.2",
        "--rate",
        "20",
        "--report-every",
        "1",
        "--server-pid",
        &std::process::id().to_string(),
    ]);
    let (total, intervals) = soak.split_last().unwrap();
    assert!(!intervals.is_empty(), "{soak:?}");
    for line in intervals {
        assert_eq!(line["run"], "interval", "{line}");
        assert!(line["server_rss_kib"].as_u64().unwrap() > 0, "{line}");
    }
    assert!(total["ok"].as_u64().unwrap() >= 40, "{soak:?}");
}

#[test]
fn targets_off_this_machine_are_refused() {
    let out = Command::new(BIN)
        .args([
            "send",
            "--server",
            "http://192.168.1.10:8080/",
            "--admin-token",
            "x",
            "--seconds",
            "1",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a loopback address"));
}
