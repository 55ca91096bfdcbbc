//! How far the search index is behind (`Store::search_index_lag`, the `search_index_lag`
//! metric), on both engines: exactly what the indexer has not reached, back to 0 as it
//! catches up.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cloudlake_protocol::RecvType;

use super::super::{Delivery, Store};
use super::{Harness, Kept, fresh_postgres, text};
use crate::secret::TokenHash;

/// Sends `n` messages from bot `b` to group `g`, one a call.
async fn send(store: &Store, n: usize) {
    for _ in 0..n {
        let sent = store
            .send_from_bot(
                "b".into(),
                RecvType::Group,
                vec![("g".into(), crate::ids::new_msg_id())],
                text("where is it", None),
            )
            .await
            .unwrap();
        assert_eq!(sent, [Delivery::Stored]);
    }
}

/// The lag once it is `want`, or the last one read after 10 s.
async fn lag_once(store: &Store, want: i64) -> i64 {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let lag = store.search_index_lag().await.unwrap();
        if lag == want || Instant::now() > until {
            return lag;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// With the indexer caught up the lag is 0; while `hold` keeps the indexer from moving its
/// watermark, each message sent adds one, and stays; let go, the lag falls back to 0.
fn the_lag_counts_what_the_indexer_has_not_reached<H>(
    runtime: &tokio::runtime::Runtime,
    store: &Store,
    hold: impl FnOnce() -> H,
) {
    runtime.block_on(async {
        send(store, 1).await;
        assert_eq!(lag_once(store, 0).await, 0);
    });
    let held = hold();
    runtime.block_on(async {
        send(store, 3).await;
        assert_eq!(store.search_index_lag().await.unwrap(), 3);
        // A few of the indexer's turns (it looks every 100 ms when idle): still 3.
        tokio::time::sleep(Duration::from_millis(350)).await;
        assert_eq!(store.search_index_lag().await.unwrap(), 3);
    });
    drop(held);
    runtime.block_on(async {
        assert_eq!(lag_once(store, 0).await, 0);
    });
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// SQLite: another connection holding `search.db`'s write lock keeps the indexer from
/// committing.
#[test]
fn the_search_index_lag_on_sqlite() {
    let runtime = runtime();
    let h = runtime.block_on(Harness::with_bot_users_and_group());
    let index = crate::store::index::path(h._dir.path());
    the_lag_counts_what_the_indexer_has_not_reached(&runtime, &h.store, || {
        let conn = rusqlite::Connection::open(&index).unwrap();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        conn
    });
}

/// PostgreSQL: another session holding the watermark's row makes the indexer skip its turns
/// (`FOR UPDATE SKIP LOCKED`, as with another node's indexer at work).
#[test]
fn the_search_index_lag_on_postgres() {
    let Some(url) = fresh_postgres() else {
        eprintln!("skipped: CLOUDLAKE_TEST_DATABASE_URL not set");
        return;
    };
    let (store, writer) = Store::open_postgres(&url, Arc::new(Kept::default())).unwrap();
    let runtime = runtime();
    runtime.block_on(async {
        store
            .create_bot(Some("b".into()), "bot".into(), None, TokenHash::of("b"))
            .await
            .unwrap();
        store
            .create_group(Some("g".into()), "g".into(), false)
            .await
            .unwrap();
        store
            .add_bot_to_group("b".into(), "g".into())
            .await
            .unwrap();
    });
    the_lag_counts_what_the_indexer_has_not_reached(&runtime, &store, || {
        let mut session = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        session
            .batch_execute("BEGIN; SELECT watermark FROM search_state WHERE id = 1 FOR UPDATE")
            .unwrap();
        session
    });
    drop(runtime);
    drop(store);
    writer.join();
}
