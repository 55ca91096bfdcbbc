//! SQLite's search index, kept off the writer thread: an FTS5 trigram table in a database file
//! of its own (`search.db` in the data directory, WAL), brought up to date by an indexer
//! thread that follows the main database's cursors. [`super::search`] reads it.
//!
//! Why not triggers in the main database: every write of the server queues behind one writer
//! thread ([`super::writer`]), and indexing the text in the writer's transaction made it 3.4×
//! slower per batch send to ten groups (37.6 → 129 µs of writer CPU at 64 in flight) and edits
//! 3× slower (`cargo bench -p cloudlake-bench --bench writer`). Here the writer does nothing
//! for search; the indexer pays for the index on a thread of its own, writing a file of its
//! own, so it never takes the main database's write lock either.
//!
//! How it follows: new messages' ids and the chat log's edit and recall ids share one
//! increasing cursor space (see [`super::numbers`]), and the single writer commits them in
//! cursor order, so "everything up to cursor W" is a consistent point. `search.db` keeps that
//! watermark; the indexer reads the next changes after it (up to [`BATCH`], one snapshot of
//! the main database), sets each changed message's index row to the message as it now stands
//! (its `content.text` if it is a visible text, markdown or HTML message, no row otherwise),
//! and commits the rows with the new watermark in one transaction: a crash loses nothing, it
//! only repeats a batch. Idle, it looks every [`IDLE_POLL`]; with a backlog it loops at once.
//! It starts from its watermark, so a restart catches up with whatever it missed, and a
//! fresh `search.db` indexes every message there is.
//!
//! The index lags the writer by up to about [`IDLE_POLL`] (more while it catches up); a
//! search hides the lag by also scanning what the index has not reached yet (see
//! [`super::search`]). Messages of a deleted group keep their index rows (a deletion leaves
//! no cursor to follow); searches drop them by joining with `messages`, where they are gone.
//!
//! What it costs, measured (`WRITER_BENCH_SCALE=2`, this branch and main alternated, 5
//! rounds, medians of the writer thread's CPU per operation): batch send to ten groups 124.1
//! vs 124.2 µs at 1 in flight and 37.3 vs 36.2 µs at 64, edits 38.5 vs 36.7 and 15.5 vs
//! 16.5 µs: within noise (15 rounds in three runs on a shared two-core machine: median
//! ratios 0.92 and 0.99 for the batch send, 1.00 and 0.95 for edits).
//!
//! The indexer thread's own CPU is not free on a two-core machine: under a saturating batch
//! send to ten groups (12,500 requests/s, 125,000 messages/s) it was a quarter of the
//! server's CPU samples. Per short message it spent 2.0–2.7 µs (200,000 messages of ten chats
//! indexed from scratch, release build); 1.6–1.7 µs since a new message is read by its id
//! without the join by `msg_id`, added without OR REPLACE's lookup, and batches hold 10,000.
//! An edit of a 700-byte markdown text costs it about 39 µs. It keeps up with sends at the
//! writer's top rate, but not with edits alone at theirs (15 µs each on the writer): under
//! such a load its lag grows, searches keep finding what it has not reached by scanning (at
//! most the newest 10,000 messages and edits above the watermark, `search::TAIL_SCAN`), and
//! it catches up when the load drops. It runs under SCHED_IDLE (see [`yield_to_serving`]), so
//! that on a busy machine it is the index that waits, not the requests.
//!
//! A `search.db` that cannot be opened or read, has another format version, or is ahead of the
//! main database (a main database restored from a backup) is deleted and rebuilt at start-up:
//! it holds nothing that cannot be made again.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, params};

use super::StoreError;

/// The index's database file inside the data directory.
pub const SEARCH_DB_FILE: &str = "search.db";

/// The schema name the read connections attach `search.db` under.
pub(crate) const SCHEMA_NAME: &str = "search";

/// The most changes indexed in one transaction: large enough that a catch-up (or a heavy
/// load: a batch send to ten groups at 12,000 requests/s is 120,000 messages/s) pays a commit
/// and a segment merge per 10,000 messages rather than per 2,000 (about 0.3 µs less per
/// message), small enough that a batch holds the main database's snapshot briefly (reading
/// 10,000 changes takes about 5 ms).
pub(crate) const BATCH: i64 = 10_000;

/// How often an idle indexer looks for new changes. The query is two index seeks.
const IDLE_POLL: Duration = Duration::from_millis(100);

/// How long the indexer waits after a failed batch before it tries again.
const RETRY_AFTER_ERROR: Duration = Duration::from_secs(1);

/// The layout of `search.db` (its `user_version`): another value means rebuild it.
const FORMAT: i64 = 1;

/// `search.db`'s schema. Contentless (`content = ''`): the text is in the main database's
/// `messages` already. `contentless_delete = 1` (SQLite 3.43) lets a row be replaced or
/// deleted by its rowid alone, without the text it was indexed with, which an edit has
/// already overwritten by the time the indexer sees it (a `sqlite3` shell older than 3.43
/// cannot read the table, which is why the main database, which operators look into, has
/// none). The rowid is the message's id.
const SCHEMA: &str = "
CREATE TABLE index_state (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    watermark INTEGER NOT NULL
);
INSERT INTO index_state (id, watermark) VALUES (1, 0);
CREATE VIRTUAL TABLE message_search USING fts5(
    text, content = '', contentless_delete = 1, tokenize = 'trigram'
);
";

/// The next changes after the watermark (`?1`), at most `?2`, in cursor order: new messages
/// and edits and recalls, each with its message as it now stands and, if the message is a
/// visible text, markdown or HTML message, its text. A message that is gone (a deleted group)
/// has a NULL id, as has a reaction (it leaves the text as it was: nothing to index, but the
/// watermark passes it). A new message is its own change (the first two columns equal), read by its
/// id alone: the join by `msg_id` is only for the chat log's edits and recalls (it was a third
/// of the indexer's CPU per message when every change went through it). The conditions are
/// ORs, not `IN` (see the main schema's migration 6).
const CHANGES: &str = "
SELECT id, id, CASE WHEN recall_time IS NULL
        AND (content_type = 'text' OR content_type = 'markdown' OR content_type = 'html')
        AND json_valid(content) AND json_type(content, '$.text') = 'text'
       THEN json_extract(content, '$.text') END
FROM messages WHERE id > ?1
UNION ALL
SELECT c.id, m.id, CASE WHEN m.recall_time IS NULL
        AND (m.content_type = 'text' OR m.content_type = 'markdown' OR m.content_type = 'html')
        AND json_valid(m.content) AND json_type(m.content, '$.text') = 'text'
       THEN json_extract(m.content, '$.text') END
FROM chat_log c LEFT JOIN messages m ON m.msg_id = c.msg_id AND c.kind <> 'reaction'
WHERE c.id > ?1
ORDER BY 1 LIMIT ?2";

/// The path of `search.db` in `data_dir`.
pub(crate) fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(SEARCH_DB_FILE)
}

/// Opens `search.db` at `path` for the indexer, creating it if needed and rebuilding it if it
/// cannot be used (see the module documentation). `last_cursor` is the main database's.
pub(crate) fn open(path: &Path, last_cursor: i64) -> Result<Connection, StoreError> {
    match try_open(path, last_cursor) {
        Ok(Some(conn)) => return Ok(conn),
        Ok(None) => {
            tracing::warn!(path = %path.display(), "the search index is ahead of the database or of another format; rebuilding it");
        }
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "the search index cannot be used; rebuilding it");
        }
    }
    remove(path)?;
    try_open(path, last_cursor)?.ok_or_else(|| {
        StoreError::Corrupt(format!(
            "a new search index at {} is unusable",
            path.display()
        ))
    })
}

/// Opens and checks `search.db`: `None` if it must be rebuilt.
fn try_open(path: &Path, last_cursor: i64) -> Result<Option<Connection>, StoreError> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // A lost commit after a power cut costs a batch indexed again, never a wrong answer.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if version == 0 {
        let tx = conn.transaction()?;
        tx.execute_batch(SCHEMA)?;
        tx.pragma_update(None, "user_version", FORMAT)?;
        tx.commit()?;
    } else if version != FORMAT {
        return Ok(None);
    }
    if watermark(&conn)? > last_cursor {
        return Ok(None);
    }
    Ok(Some(conn))
}

/// Deletes `search.db` and its WAL files.
fn remove(path: &Path) -> Result<(), StoreError> {
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    Ok(())
}

/// The last cursor the index holds.
fn watermark(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row(
        "SELECT watermark FROM index_state WHERE id = 1",
        [],
        |row| row.get(0),
    )?)
}

/// Opens the read-only connection to the main database the indexer reads changes from.
pub(crate) fn open_source(main_db: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        main_db,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    super::configure(&conn)?;
    Ok(conn)
}

/// Indexes the next batch of changes after the watermark; returns how many there were.
pub(crate) fn step(index: &mut Connection, source: &Connection) -> Result<usize, StoreError> {
    // The watermark is read in the transaction that moves it: were anyone else to move it
    // meanwhile (nobody should: one server per data directory), this transaction's first
    // write would fail (a stale snapshot) rather than index from a watermark gone by.
    let tx = index.transaction()?;
    let from = watermark(&tx)?;
    let changes = source
        .prepare_cached(CHANGES)?
        .query_map(params![from, BATCH], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, Option<i64>>(1)?,
                row.get::<_, Option<String>>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let Some(&(last, _, _)) = changes.last() else {
        return Ok(0);
    };
    {
        let mut add =
            tx.prepare_cached("INSERT INTO message_search (rowid, text) VALUES (?1, ?2)")?;
        let mut put = tx.prepare_cached(
            "INSERT OR REPLACE INTO message_search (rowid, text) VALUES (?1, ?2)",
        )?;
        let mut delete = tx.prepare_cached("DELETE FROM message_search WHERE rowid = ?1")?;
        for (change, id, text) in &changes {
            match (id, text) {
                // A new message has no row yet (this batch's transaction is the only one
                // that could have written it): a plain insert skips OR REPLACE's lookup.
                (Some(id), Some(text)) if id == change => {
                    add.execute(params![id, text])?;
                }
                (Some(id), Some(text)) => {
                    put.execute(params![id, text])?;
                }
                // Recalled, or edited into something that is not text: out of the index. A
                // new message of another type has no row; deleting none costs a lookup.
                (Some(id), None) => {
                    delete.execute([id])?;
                }
                (None, _) => {}
            }
        }
        tx.execute("UPDATE index_state SET watermark = ?1 WHERE id = 1", [last])?;
    }
    tx.commit()?;
    Ok(changes.len())
}

/// The indexer thread (see the module documentation; on PostgreSQL, `pg_index`'s). Stopped
/// by [`Indexer::stop`].
pub(crate) struct Indexer {
    stop: mpsc::Sender<()>,
    thread: JoinHandle<()>,
}

impl Indexer {
    /// Starts the indexer thread, which calls `step` (index the next batch of changes, at
    /// most `batch`, and return how many there were) at once while it finds full batches,
    /// every [`IDLE_POLL`] when it finds fewer, and [`RETRY_AFTER_ERROR`] after a failure.
    pub(crate) fn start(
        batch: i64,
        step: impl FnMut() -> Result<usize, StoreError> + Send + 'static,
    ) -> Result<Indexer, StoreError> {
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("cloudlake-index".into())
            .spawn(move || run(batch, step, stopped))?;
        Ok(Indexer { stop, thread })
    }

    /// Stops the thread after the batch it is running, and waits for it. Blocks.
    pub(crate) fn stop(self) {
        drop(self.stop);
        if self.thread.join().is_err() {
            tracing::error!("the search indexer thread panicked");
        }
    }
}

fn run(
    batch: i64,
    mut step: impl FnMut() -> Result<usize, StoreError>,
    stopped: mpsc::Receiver<()>,
) {
    yield_to_serving();
    loop {
        let wait = match step() {
            Ok(n) if n as i64 >= batch => Duration::ZERO,
            Ok(_) => IDLE_POLL,
            Err(e) => {
                // Searches still work meanwhile: they scan what the index has not reached.
                tracing::warn!(error = %e, "indexing messages for search failed; retrying");
                RETRY_AFTER_ERROR
            }
        };
        // Told to stop, or the store that could tell is gone.
        match stopped.recv_timeout(wait) {
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Puts this thread under SCHED_IDLE, or where that is refused, 10 nice levels below the
/// server's: on a busy machine the threads that answer requests and deliver messages go
/// first, and the index catches up when they leave CPU to spare. The index is derived data,
/// and a search covers the lag by scanning (see the module documentation).
///
/// Why SCHED_IDLE rather than nice +10 alone (as until 2026-12-07): a thread that wakes
/// preempts a SCHED_IDLE thread at once, whereas a niced one may keep the core for a while,
/// and batch_send waits on a chain of such wake-ups (handler, writer, syncing thread,
/// handler). Measured, batch_send to one group at 64 in flight, the two builds alternating on
/// fresh servers: 39,100 against 35,600 requests/s (medians of 5), p99 4.4–5.1 against
/// 5.4–6.2 ms, and (with `chrt --idle` on one build) the index as far behind at mid-run
/// (BENCHMARKS.md, issue 19, seventh session). A
/// SCHED_IDLE thread still gets a sliver of a saturated machine, so the index is not starved
/// for good; it catches up when the load drops, as before.
fn yield_to_serving() {
    use thread_priority::{
        NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
        set_thread_priority_and_policy, thread_native_id,
    };
    let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
    let Err(e) = set_thread_priority_and_policy(thread_native_id(), ThreadPriority::Min, idle)
    else {
        return;
    };
    tracing::debug!(error = ?e, "the search indexer could not take SCHED_IDLE; lowering its nice value");
    use rustix::process::{getpriority_process, setpriority_process};
    let me = Some(rustix::thread::gettid());
    // Relative to the server's own nice value (19 is the lowest priority there is).
    let lower = getpriority_process(me).map_or(10, |nice| (nice + 10).min(19));
    if let Err(e) = setpriority_process(me, lower) {
        tracing::debug!(error = %e, "could not lower the search indexer's priority");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The indexer thread puts itself under SCHED_IDLE, and only itself.
    #[test]
    fn the_indexer_thread_yields_to_the_others() {
        use thread_priority::{NormalThreadSchedulePolicy, ThreadSchedulePolicy};
        let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
        let before = thread_priority::thread_schedule_policy().unwrap();
        assert_ne!(before, idle);
        let inside = std::thread::spawn(|| {
            yield_to_serving();
            thread_priority::thread_schedule_policy().unwrap()
        })
        .join()
        .unwrap();
        assert_eq!(inside, idle);
        assert_eq!(thread_priority::thread_schedule_policy().unwrap(), before);
    }

    fn main_db(dir: &Path) -> Connection {
        let mut conn = Connection::open(dir.join("main.db")).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        super::super::schema::migrate(&mut conn).unwrap();
        conn
    }

    fn found(index: &Connection, phrase: &str) -> Vec<i64> {
        index
            .prepare(
                "SELECT rowid FROM message_search WHERE message_search MATCH ?1 ORDER BY rowid",
            )
            .unwrap()
            .query_map([phrase], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// Visible text, markdown and HTML messages are indexed by `content.text`; recalled ones,
    /// other types and content that is not JSON are not; an edit replaces the text, a recall
    /// removes it; batches are bounded and the watermark follows them.
    #[test]
    fn follows_sends_edits_and_recalls_in_batches() {
        let dir = tempfile::tempdir().unwrap();
        let main = main_db(dir.path());
        main.execute_batch(
            r#"INSERT INTO messages (id, msg_id, chat_key, seq, sender_type, sender_id,
                 content_type, content, send_time, recall_time) VALUES
               (1, 'm1', 'g:a', 1, 'bot', 'b', 'text', '{"text":"你好世界 hello"}', 0, NULL),
               (2, 'm2', 'g:a', 2, 'bot', 'b', 'markdown', '{"text":"**你好世界**"}', 0, NULL),
               (3, 'm3', 'g:a', 3, 'bot', 'b', 'text', '{"text":"你好世界 recalled"}', 0, 9),
               (4, 'm4', 'g:a', 4, 'bot', 'b', 'image', '{"text":"你好世界","imageKey":"k"}', 0, NULL),
               (5, 'm5', 'g:a', 5, 'bot', 'b', 'text', 'not json 你好世界', 0, NULL);"#,
        )
        .unwrap();
        let mut index = open(&path(dir.path()), 5).unwrap();
        let source = open_source(&dir.path().join("main.db")).unwrap();
        assert_eq!(step(&mut index, &source).unwrap(), 5);
        assert_eq!(watermark(&index).unwrap(), 5);
        assert_eq!(found(&index, "\"你好世\""), [1, 2]);
        assert_eq!(found(&index, "\"HELLO\""), [1]);
        assert_eq!(step(&mut index, &source).unwrap(), 0, "nothing new");

        main.execute_batch(
            r#"UPDATE messages SET content = '{"text":"你好 edited"}', edit_time = 1 WHERE id = 1;
               INSERT INTO chat_log (id, chat_key, kind, msg_id, at) VALUES (6, 'g:a', 'edit', 'm1', 1);
               UPDATE messages SET recall_time = 10 WHERE id = 2;
               INSERT INTO chat_log (id, chat_key, kind, msg_id, at) VALUES (7, 'g:a', 'recall', 'm2', 1);"#,
        )
        .unwrap();
        assert_eq!(step(&mut index, &source).unwrap(), 2);
        assert!(found(&index, "\"你好世\"").is_empty());
        assert_eq!(found(&index, "\"edited\""), [1]);

        // More than a batch: the first BATCH, then the rest.
        let tx = main.unchecked_transaction().unwrap();
        for i in 0..BATCH + 10 {
            let id = 8 + i;
            tx.execute(
                "INSERT INTO messages (id, msg_id, chat_key, seq, sender_type, sender_id, \
                 content_type, content, send_time) \
                 VALUES (?1, 'n' || ?1, 'g:b', ?1, 'bot', 'b', 'text', '{\"text\":\"many\"}', 0)",
                [id],
            )
            .unwrap();
        }
        tx.commit().unwrap();
        assert_eq!(step(&mut index, &source).unwrap() as i64, BATCH);
        assert_eq!(watermark(&index).unwrap(), 7 + BATCH);
        assert_eq!(step(&mut index, &source).unwrap(), 10);
        assert_eq!(found(&index, "\"many\"").len() as i64, BATCH + 10);
    }

    /// A file that is not a database, or an index ahead of the main database, is rebuilt.
    #[test]
    fn an_unusable_index_is_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let file = path(dir.path());
        std::fs::write(
            &file,
            b"this is not an SQLite database, not even close to one........",
        )
        .unwrap();
        let index = open(&file, 0).unwrap();
        assert_eq!(watermark(&index).unwrap(), 0);
        index
            .execute("UPDATE index_state SET watermark = 50", [])
            .unwrap();
        drop(index);
        assert_eq!(watermark(&open(&file, 100).unwrap()).unwrap(), 50, "kept");
        assert_eq!(watermark(&open(&file, 10).unwrap()).unwrap(), 0, "rebuilt");
    }
}
