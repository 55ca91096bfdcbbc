//! A PostgreSQL store whose connections are all cut (the database restarted, a network
//! break): the writer and the readers find out at their next statement and run it again on a
//! fresh connection, so that no request fails and nothing is lost. PostgreSQL only (CI's second pass runs
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

    // The writer finds its connection dead at the next BEGIN and begins that batch again on a
    // fresh one: no write fails.
    for i in 0..6 {
        let reply = send(&format!("after {i}")).await;
        assert_eq!(reply["code"], 1, "write {i} after the cut: {reply}");
        stored.push(reply["data"]["messageInfo"]["msgId"].clone());
    }

    // Reads come back too: a reader that finds its connection dead reads again on a fresh
    // one. Eight at once, so that every read connection is taken (the store has four). The
    // history is exactly the writes answered as stored.
    let read = async || {
        server
            .messages(
                &token,
                &[
                    ("chat-id", GROUP),
                    ("chat-type", "group"),
                    ("before", "100"),
                ],
            )
            .await
    };
    let reads = futures_util::future::join_all((0..8).map(|_| read())).await;
    for reply in &reads {
        assert_eq!(reply["code"], 1, "a read after the cut: {reply}");
    }
    let history = &reads[0];
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
