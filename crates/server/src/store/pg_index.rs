//! PostgreSQL's search index, kept off the writer: `message_search` (a message's id and its
//! text, with a `pg_trgm` GIN index), brought up to date after the commits by an indexer
//! thread that follows the cursors, as SQLite's `search.db` is (`index`, whose thread and
//! polling this shares). [`super::search`] reads it.
//!
//! Why not the trigram index on `messages` itself (migration 6, until migration 14): there
//! every insert and edit paid for it inside the writer's transaction, under the cluster-wide
//! write lock, on the one PostgreSQL backend that serves the writer. A profile of that
//! backend under batch_send to ten groups (`perf record -p`, 5 s) put 20% of its CPU in
//! `gininsert` and 10% more in computing the indexed expression (`jsonb_in`). Here the writer's
//! backend does none of that; the indexer's backend does it in bulk, in parallel, one
//! statement per batch.
//!
//! How it follows: as in `index`, new messages' ids and the chat log's ids share one
//! increasing cursor space, and on PostgreSQL the cluster-wide write lock commits them in
//! cursor order, so the changes visible to one statement up to any cursor they reach are all
//! the changes there will ever be up to it. `search_state` holds the watermark; a step locks
//! it (`FOR UPDATE SKIP LOCKED`: the nodes of a cluster each run an indexer, and while one
//! holds the watermark the others skip their turn instead of indexing the same changes), and
//! one statement reads the next [`BATCH`] changes after it, sets each changed message's row
//! to its text as it now stands (none if it is recalled or not a visible text, markdown or
//! HTML message) and moves the watermark. The commit makes all of it visible at once; a
//! failure leaves the watermark where it was.

use super::db::{Connection, OptionalExtension, params};
use super::schema::pg_search_text;
use super::{Connect, StoreError};

/// The most changes indexed in one step: small enough that the index stays well within the
/// search's scan of what it has not reached (`search::TAIL_SCAN`, 10,000) under the writer's
/// top rate. Measured under batch_send to ten groups (~30,000 messages/s, sampled every 2 s,
/// `crates/bench/results/issue-18/indexer-lag.sh`): with 10,000 a step (SQLite's
/// `index::BATCH`) it was up to 15,500 messages behind; with 2,000, 630–7,160.
pub(crate) const BATCH: i64 = 2_000;

/// The watermark, locked for this step, or nothing if another node's indexer holds it.
const LOCK_WATERMARK: &str =
    "SELECT watermark FROM search_state WHERE id = 1 FOR UPDATE SKIP LOCKED";

/// The searchable text of the `messages` row `m`, or NULL if it has none to search.
macro_rules! indexed_text {
    () => {
        concat!(
            "CASE WHEN m.recall_time IS NULL \
             AND m.content_type IN ('text', 'markdown', 'html') THEN ",
            pg_search_text!("m.content"),
            " END"
        )
    };
}

/// One step, in one statement: the next changes after the watermark `?1` (at most `?2`, in
/// cursor order: new messages, and the chat log's edits, recalls and reactions), each changed
/// message's row set to its text as it now stands or deleted if it has none (a message that
/// is gone, a deleted group's, or a reaction's entry changes nothing), and the watermark moved
/// to the last change. Returns how many changes there were. A message changed twice in the
/// batch has one row in `latest` (its text read once: the message as it stands).
///
/// Each side of the union has a limit of its own: with only the outer one, PostgreSQL read
/// and sorted every change after the watermark, so a step cost more the further behind the
/// index was (measured: 2,000 changes a step at ~4,000 a second with 150,000 to go).
const STEP: &str = concat!(
    "WITH changes AS (\
       (SELECT m.id AS change, m.id AS msg, ",
    indexed_text!(),
    " AS text FROM messages m WHERE m.id > ?1 ORDER BY m.id LIMIT ?2) \
       UNION ALL \
       (SELECT c.id, m.id, ",
    indexed_text!(),
    " FROM chat_log c LEFT JOIN messages m ON m.msg_id = c.msg_id AND c.kind <> 'reaction' \
       WHERE c.id > ?1 ORDER BY c.id LIMIT ?2) \
       ORDER BY 1 LIMIT ?2), \
     latest AS (SELECT DISTINCT msg, text FROM changes WHERE msg IS NOT NULL), \
     put AS (INSERT INTO message_search (id, text) \
       SELECT msg, text FROM latest WHERE text IS NOT NULL \
       ON CONFLICT (id) DO UPDATE SET text = EXCLUDED.text), \
     gone AS (DELETE FROM message_search \
       WHERE id IN (SELECT msg FROM latest WHERE text IS NULL)), \
     moved AS (UPDATE search_state SET watermark = (SELECT MAX(change) FROM changes) \
       WHERE id = 1 AND EXISTS (SELECT 1 FROM changes)) \
     SELECT COUNT(*) FROM changes"
);

/// Indexes the next batch of changes after the watermark; returns how many there were (0 if
/// another node's indexer is at it).
pub(crate) fn step(conn: &Connection) -> Result<usize, StoreError> {
    conn.execute_batch("BEGIN")?;
    // Ended either way, the turn skipped included: an open transaction left behind would
    // swallow the next step's BEGIN.
    let indexed = index_next(conn).and_then(|n| Ok(conn.execute_batch("COMMIT").map(|()| n)?));
    if indexed.is_err() {
        // The connection may be gone; then so is the transaction.
        let _ = conn.execute_batch("ROLLBACK");
    }
    indexed
}

/// The body of [`step`], in its transaction.
fn index_next(conn: &Connection) -> Result<usize, StoreError> {
    let Some(from) = conn
        .prepare_cached(LOCK_WATERMARK)?
        .query_row(params![], |row| row.get::<_, i64>(0))
        .optional()?
    else {
        return Ok(0);
    };
    // A statement of its own, after the lock: its snapshot sees the commit of whoever held
    // the watermark before.
    let changes: i64 = conn
        .prepare_cached(STEP)?
        .query_row(params![from, BATCH], |row| row.get(0))?;
    Ok(usize::try_from(changes).unwrap_or(0))
}

/// The indexer's step on a connection of its own, made (again) by `connect` when it is
/// missing or broken: a database restart costs a step or two, not the indexer.
pub(crate) fn stepper(connect: Connect) -> impl FnMut() -> Result<usize, StoreError> + Send {
    let mut kept: Option<Connection> = None;
    move || {
        let conn = match kept.take().filter(|conn| !conn.is_broken()) {
            Some(conn) => conn,
            None => connect()?,
        };
        let stepped = step(&conn);
        kept = Some(conn);
        stepped
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::store::pg_client::PgClient;
    use crate::store::schema::{POSTGRES_MIGRATIONS, migrate_postgres};
    use crate::store::tests::fresh_postgres;

    /// The ids in `message_search` whose text contains `text`, and the watermark.
    fn index(conn: &Connection, text: &str) -> (Vec<i64>, i64) {
        let ids = conn
            .prepare_cached("SELECT id FROM message_search WHERE text LIKE ?1 ORDER BY id")
            .unwrap()
            .query_map(params![format!("%{text}%")], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let watermark = conn
            .prepare_cached("SELECT watermark FROM search_state WHERE id = 1")
            .unwrap()
            .query_row(params![], |row| row.get(0))
            .unwrap();
        (ids, watermark)
    }

    /// A database that stopped at migration 13 (the index on `messages`), upgraded: the
    /// visible texts are in `message_search`, the rest not, the watermark is the last cursor
    /// (a deleted group's floor included), and the old index is gone.
    #[test]
    fn migration_14_moves_the_index_complete() {
        let Some(url) = fresh_postgres() else {
            eprintln!("skipped: CLOUDLAKE_TEST_DATABASE_URL not set");
            return;
        };
        let conn = Connection::postgres(PgClient::connect(&url.parse().unwrap()).unwrap());
        conn.execute_batch("CREATE TABLE schema_version (version BIGINT NOT NULL)")
            .unwrap();
        for (i, sql) in POSTGRES_MIGRATIONS[..13].iter().enumerate() {
            conn.execute_batch(&format!(
                "{sql}; INSERT INTO schema_version VALUES ({})",
                i + 1
            ))
            .unwrap();
        }
        conn.execute_batch(
            r#"INSERT INTO messages (id, msg_id, chat_key, seq, sender_type, sender_id,
                 content_type, content, send_time, recall_time) VALUES
               (1, 'm1', 'g:a', 1, 'bot', 'b', 'text', '{"text":"你好世界 hello"}', 0, NULL),
               (2, 'm2', 'g:a', 2, 'bot', 'b', 'markdown', '{"text":"**你好世界**"}', 0, NULL),
               (3, 'm3', 'g:a', 3, 'bot', 'b', 'text', '{"text":"你好世界 recalled"}', 0, 9),
               (4, 'm4', 'g:a', 4, 'bot', 'b', 'image', '{"text":"你好世界","imageKey":"k"}', 0, NULL),
               (5, 'm5', 'g:a', 5, 'bot', 'b', 'text', '{"text":"nul\u0000你好世界"}', 0, NULL);
               UPDATE cursor_floor SET last = 40;"#,
        )
        .unwrap();
        migrate_postgres(&conn).unwrap();
        assert_eq!(index(&conn, "你好世界"), (vec![1, 2, 5], 40));
        let old = conn
            .prepare_cached(
                "SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'messages_search_trgm'",
            )
            .unwrap()
            .query_row(params![], |row| row.get::<_, i64>(0))
            .unwrap();
        assert_eq!(old, 0);
    }

    /// A step indexes new messages and follows edits and recalls (a reaction moves the
    /// watermark only); it skips its turn while the watermark is locked elsewhere (another
    /// node's indexer), and takes up from there.
    #[test]
    fn follows_sends_edits_and_recalls_and_takes_turns() {
        let Some(url) = fresh_postgres() else {
            eprintln!("skipped: CLOUDLAKE_TEST_DATABASE_URL not set");
            return;
        };
        let connect = || Connection::postgres(PgClient::connect(&url.parse().unwrap()).unwrap());
        let conn = connect();
        migrate_postgres(&conn).unwrap();
        conn.execute_batch(
            r#"INSERT INTO messages (id, msg_id, chat_key, seq, sender_type, sender_id,
                 content_type, content, send_time) VALUES
               (1, 'm1', 'g:a', 1, 'bot', 'b', 'text', '{"text":"first words"}', 0),
               (2, 'm2', 'g:a', 2, 'bot', 'b', 'text', '{"text":"second words"}', 0),
               (3, 'm3', 'g:a', 3, 'bot', 'b', 'file', '{"text":"words","fileKey":"k"}', 0);"#,
        )
        .unwrap();
        assert_eq!(step(&conn).unwrap(), 3);
        assert_eq!(index(&conn, "words"), (vec![1, 2], 3));
        assert_eq!(step(&conn).unwrap(), 0, "nothing new");

        conn.execute_batch(
            r#"UPDATE messages SET content = '{"text":"edited text"}', edit_time = 1 WHERE id = 1;
               INSERT INTO chat_log (id, chat_key, kind, msg_id, at) VALUES (4, 'g:a', 'edit', 'm1', 1);
               UPDATE messages SET recall_time = 1 WHERE id = 2;
               INSERT INTO chat_log (id, chat_key, kind, msg_id, at) VALUES (5, 'g:a', 'recall', 'm2', 1);
               INSERT INTO chat_log (id, chat_key, kind, msg_id, at) VALUES (6, 'g:a', 'reaction', 'm3', 1);
               INSERT INTO messages (id, msg_id, chat_key, seq, sender_type, sender_id,
                 content_type, content, send_time) VALUES
               (7, 'm7', 'g:a', 4, 'bot', 'b', 'html', '{"text":"<b>more words</b>"}', 0);"#,
        )
        .unwrap();
        let other = connect();
        other.execute_batch("BEGIN").unwrap();
        other
            .execute_batch("SELECT watermark FROM search_state FOR UPDATE")
            .unwrap();
        assert_eq!(
            step(&conn).unwrap(),
            0,
            "another indexer holds the watermark"
        );
        // The skipped turn left no transaction open: a `SET LOCAL` does not outlive its
        // own statement.
        conn.execute_batch("SET LOCAL lock_timeout = '1234ms'")
            .unwrap();
        let setting: String = conn
            .prepare_cached("SELECT current_setting('lock_timeout')")
            .unwrap()
            .query_row(params![], |row| row.get(0))
            .unwrap();
        assert_ne!(setting, "1234ms", "a transaction was left open");
        assert_eq!(index(&conn, "words").1, 3);
        other.execute_batch("ROLLBACK").unwrap();

        assert_eq!(step(&conn).unwrap(), 4);
        assert_eq!(index(&conn, "words"), (vec![7], 7));
        assert_eq!(index(&conn, "edited").0, [1]);

        // More than a step takes: the first BATCH in cursor order, then the rest.
        conn.execute_batch(&format!(
            r#"INSERT INTO messages (id, msg_id, chat_key, seq, sender_type, sender_id,
                 content_type, content, send_time)
               SELECT 7 + n, 'n' || n, 'g:b', n, 'bot', 'b', 'text', '{{"text":"many"}}', 0
               FROM generate_series(1, {}) AS n"#,
            BATCH + 10
        ))
        .unwrap();
        assert_eq!(step(&conn).unwrap() as i64, BATCH);
        assert_eq!(index(&conn, "many").1, 7 + BATCH);
        assert_eq!(step(&conn).unwrap(), 10);
        assert_eq!(index(&conn, "many").0.len() as i64, BATCH + 10);
    }
}
