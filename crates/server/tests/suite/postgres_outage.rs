//! A PostgreSQL store whose connections are all cut (the database restarted, a network
//! break): the writes caught by it fail with the error envelope and store nothing, the next
//! ones succeed on fresh connections, and so do reads. PostgreSQL only (CI's second pass runs
//! the suite on it); on SQLite there is no connection to lose.

#![allow(clippy::unwrap_used)]

use crate::common::{self, TestServer, text};
use serde_json::Value;

const BOT: &str = "86297657";
const GROUP: &str = "307149245";

/// Ends every connection to the database of the server whose data directory is `dir`, as
/// a restart of the database would.
fn cut_connections(dir: &std::path::Path) {
    let url = common::test_database(dir).unwrap();
    let (_, name) = url.rsplit_once('/').unwrap();
    common::db_rows(
        dir,
        &format!(
            "SELECT CAST(pg_terminate_backend(pid) AS TEXT) FROM pg_stat_activity \
             WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ),
    );
}

#[tokio::test]
async fn after_the_database_cuts_every_connection_writes_and_reads_come_back() {
    if !common::on_postgres() {
        eprintln!("skipped: the store is not on PostgreSQL in this run");
        return;
    }
    let server = TestServer::start().await;
    let token = server.bot(BOT).await;
    server.group(GROUP, &[]).await;
    server.join(BOT, GROUP).await;
    let send = async |what: &str| {
        server
            .post("/bot/send", &token, text("group", GROUP, what))
            .await
    };
    let first = send("before").await;
    assert_eq!(first["code"], 1, "{first}");
    let mut stored = vec![first["data"]["messageInfo"]["msgId"].clone()];

    cut_connections(server.dir.path());

    // Each write is answered: stored, or the error envelope with nothing stored. The writer
    // finds its connection dead at the next BEGIN and begins that batch again on a fresh one,
    // so none should fail; a failure must still be a clean one.
    let mut failed = 0;
    for i in 0..6 {
        let reply = send(&format!("after {i}")).await;
        if reply["code"] == 1 {
            stored.push(reply["data"]["messageInfo"]["msgId"].clone());
        } else {
            failed += 1;
            assert!(
                reply["msg"].as_str().is_some_and(|m| !m.is_empty()),
                "{reply}"
            );
            assert!(reply["data"]["messageInfo"].is_null(), "{reply}");
        }
    }
    assert_eq!(failed, 0, "writes failed after the cut");

    // Reads come back too (a reader whose connection died fails its read and connects
    // again for the next), and the history is exactly the writes answered as stored.
    let mut history = None;
    for _ in 0..3 {
        let reply = server
            .messages(
                &token,
                &[
                    ("chat-id", GROUP),
                    ("chat-type", "group"),
                    ("before", "100"),
                ],
            )
            .await;
        if reply["code"] == 1 {
            history = Some(reply);
            break;
        }
    }
    let history = history.expect("reads did not come back");
    let mut ids: Vec<Value> = history["data"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["msgId"].clone())
        .collect();
    // Newest first.
    ids.reverse();
    assert_eq!(ids, stored);
}
