//! The store: durable state and the rules that must be atomic, on embedded SQLite (one node)
//! or PostgreSQL (a cluster's shared database), through one connection API ([`db`]).
//!
//! What it keeps: the directory (users, groups, bots and their relations: [`directory`],
//! [`group_admin`], [`commands`], [`sessions`]), the message log and each chat's cursors and
//! sequence numbers ([`messages`], [`user_side`], [`boards`]) with its search index
//! ([`search`]; kept up to date off the writer by an indexer thread: on SQLite in a file of
//! its own, `search.db` (`index`), on PostgreSQL in a table of its own (`pg_index`)),
//! uploads' metadata ([`media`]), and the events outbox with its delivery state ([`outbox`],
//! [`deliveries`]).
//!
//! How it writes: every write is a job for one group-commit writer thread ([`writer`]), which
//! runs the queued jobs in one transaction and answers their callers once the commit is
//! durable (fsynced off the writer by [`syncer`] under `durability full`). A job gets a
//! transaction context ([`tx`]) and leaves in it plain records of what it changed
//! ([`record`]); after the commit the writer hands them, in commit order, to the
//! [`CommitSink`] it was opened with ([`sink`]). Reads use a small pool of read-only
//! connections ([`readers`]) beside the writer; on SQLite they attach `search.db` too.
//!
//! On PostgreSQL every statement is a network round trip, so a batch is kept to a few: the
//! writer holds the cluster-wide write lock, numbers each commit that writes (the cluster's
//! commit counter, by which the live layer orders commits across a NATS cluster), keeps what
//! it knows from one batch to its next while no other node has committed ([`numbers`],
//! [`batch_memo`]), and sends message rows together, in one statement
//! (`Connection::defer_insert`).
//!
//! What it is not: it builds no live frames, renders no HTML (a message's or board's HTML
//! comes in with the write, made by the caller, and is stored as given), knows no HTTP and no
//! bus. Who receives its commits, and on which thread they become frames, is the sink's
//! business. `layering.rs` fails the build's tests if this module names any module of the
//! server but `clock`, `ids`, `secret` and `metrics`.

mod batch_memo;
mod boards;
mod bot_profile;
mod bot_settings;
mod cards;
mod clicks;
mod commands;
mod db;
mod deliveries;
mod direct;
mod directory;
mod discover;
mod error;
mod forms;
mod group_admin;
mod html_backlog;
mod index;
mod interactive;
mod keys;
mod media;
mod menus;
mod messages;
mod model;
mod numbers;
mod outbox;
mod pg_client;
mod pg_index;
mod quotes;
mod reactions;
mod readers;
mod record;
mod schema;
mod search;
mod sessions;
mod sink;
mod syncer;
#[cfg(test)]
mod tests;
mod tips;
mod token_cache;
mod tx;
mod user_side;
mod web_info;
mod writer;

use std::path::Path;
use std::sync::Arc;
use std::thread::JoinHandle;

use rusqlite::OpenFlags;

pub use boards::NewBoard;
pub use bot_profile::MAX_BOT_DESCRIPTION_CHARS;
pub use bot_settings::{GroupSettings, Settings};
pub use cards::CardClick;
pub use clicks::{ANSWER_WINDOW_MS, AnswerClick};
pub use commands::{Command, CommandKind, CommandSpec};
pub use db::DbError;
pub use deliveries::{Attempted, DeadLetter, DeliveryStats, PendingEvent, Subscription};
pub use direct::{Person, StartDirect};
pub use discover::{FollowableBot, OpenGroup};
pub use error::StoreError;
pub use forms::{FieldType, FormField, check_definition as check_form};
pub use group_admin::{
    BotPermissions, Gag, GagEntry, GroupAdminState, MemberChange, SendPolicy, TagChange, TagEdit,
};
pub use html_backlog::{BoardKey, Unrendered};
pub use index::SEARCH_DB_FILE;
pub use interactive::FormSend;
pub use media::{MediaOwner, MediaRecord, Viewer};
pub use menus::{ChatMenu, MAX_MENUS, Menu, MenuType, Press};
pub use messages::{Delivery, GroupAccess, MessageView, Outgoing, UserEdit, UserRecall};
pub use model::{
    Bot, BotDetail, Chat, Group, GroupDetail, LogKind, Member, Role, StoredMessage, User,
};
pub use outbox::{OutboxEvent, Wake};
pub use quotes::QUOTE_FIELDS;
pub use reactions::{MAX_REACTIONS_PER_USER, React};
pub use record::{BoardState, Record};
pub use search::{MAX_SEARCH_CHARS, SearchHit, SearchPage, SearchQuery, SearchQueryError};
pub use sink::{Commit, CommitSink, NoSink};
pub use user_side::{ChatSummary, Click, Join, Leave, Replay, UserSend};
pub use web_info::{BotInfo, GroupInfo};

use db::Connection;
use pg_client::PgClient;
use readers::Readers;
use writer::Writer;

/// How hard a commit tries to reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// A reply means the message survives a power cut: the write-ahead log is fsynced after
    /// each commit and before anyone is answered. The default; each fsync is shared by every
    /// write of a batch, and by the batches committed while the previous fsync ran.
    #[default]
    Full,
    /// `synchronous=NORMAL`: a reply means the message survives the process being killed, but
    /// the last commits may be lost if the machine loses power.
    Normal,
}

/// The database file inside the data directory.
pub const DB_FILE: &str = "cloudlake.db";

/// How many wake-ups a deliverer may fall behind before it is told it lagged.
const WAKE_QUEUE: usize = 1024;

/// How many read connections the pool holds.
const READERS: usize = 4;

/// How long connecting to PostgreSQL may take before start-up gives up.
const PG_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The store. Cloning it is cheap and shares the same writer and readers.
#[derive(Clone)]
pub struct Store {
    writer: Writer,
    readers: Readers,
    bot_tokens: Arc<token_cache::TokenCache>,
    /// Whether other nodes may share the database (PostgreSQL).
    shared: bool,
    /// Told after every commit that made bot events deliverable.
    events: tokio::sync::broadcast::Sender<Arc<Wake>>,
}

/// Stops the writer thread, and the search indexer's (see [`Store::open`]).
pub struct WriterThread(writer::Closer, JoinHandle<()>, Option<index::Indexer>);

impl WriterThread {
    /// Commits every write already queued, refuses later ones (`WriteAborted`), and waits
    /// until the writer has stopped; then stops the search indexer, which catches up with
    /// what it has not indexed when the store is next opened. Blocks: call it from a
    /// blocking context.
    pub fn join(self) {
        self.0.close();
        if self.1.join().is_err() {
            tracing::error!("the storage writer thread panicked");
        }
        if let Some(indexer) = self.2 {
            indexer.stop();
        }
    }
}

impl Store {
    /// Opens (creating if needed) the database in `data_dir`, applies migrations, and starts
    /// the writer thread, which hands every commit to `sink`, and the search indexer's thread,
    /// which keeps the search index ([`SEARCH_DB_FILE`], rebuilt if it is missing or
    /// unusable) up to date with the database (see `index`).
    pub fn open(
        data_dir: &Path,
        durability: Durability,
        sink: Arc<dyn CommitSink>,
    ) -> Result<(Store, WriterThread), StoreError> {
        let path = data_dir.join(DB_FILE);
        let mut conn = rusqlite::Connection::open(&path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // NORMAL either way: a commit writes the WAL and does not wait for the disk. For
        // `durability full` the syncing thread fsyncs the WAL before anyone is answered, so
        // the writer runs the next batch meanwhile (see `syncer`).
        conn.pragma_update(None, "synchronous", "NORMAL")?;

        configure(&conn)?;
        // The writer touches the hot right edges of a few indexes; 64 MiB of page cache keeps
        // them (and the chats table) in memory between commits.
        conn.pragma_update(None, "cache_size", -65_536)?;
        schema::migrate(&mut conn)?;
        let sync = match (durability, conn.path()) {
            // Next to the file SQLite actually opened (it resolves a symlinked database).
            (Durability::Full, Some(db)) => {
                Some(syncer::wal_sync(Path::new(&format!("{db}-wal")))?)
            }
            (Durability::Full, None) => {
                return Err(StoreError::Io(std::io::Error::other(
                    "the database has no file whose log could be synced",
                )));
            }
            (Durability::Normal, _) => None,
        };

        let last_cursor: i64 = conn.query_row(numbers::LAST_CURSOR, [], |row| row.get(0))?;
        let index_path = index::path(data_dir);
        let mut search_index = index::open(&index_path, last_cursor)?;
        let index_name = index_path.to_str().ok_or_else(|| {
            StoreError::Io(std::io::Error::other(format!(
                "the data directory's path is not UTF-8: {}",
                data_dir.display()
            )))
        })?;

        let readers = (0..READERS)
            .map(|_| {
                let conn = rusqlite::Connection::open_with_flags(
                    &path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                configure(&conn)?;
                // Read-only, as the connection is: searches read the index beside `messages`.
                conn.execute(
                    &format!("ATTACH DATABASE ?1 AS {}", index::SCHEMA_NAME),
                    [index_name],
                )?;
                Ok(Connection::sqlite(conn))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let source = index::open_source(&path)?;
        let indexer = index::Indexer::start(index::BATCH, move || {
            index::step(&mut search_index, &source)
        })?;
        let (store, WriterThread(closer, thread, _)) =
            Store::start(Connection::sqlite(conn), readers, None, sink, sync)?;
        Ok((store, WriterThread(closer, thread, Some(indexer))))
    }

    /// Opens the PostgreSQL database at `url` (`postgres://user:pass@host/db`), shared by
    /// every node of a cluster: applies migrations (one node at a time) and starts the
    /// writer thread, which hands every commit to `sink` (holding the cluster-wide write lock,
    /// see [`CommitSink`]), and the search indexer's thread (`pg_index`). Blocks while
    /// connecting.
    pub fn open_postgres(
        url: &str,
        sink: Arc<dyn CommitSink>,
    ) -> Result<(Store, WriterThread), StoreError> {
        let config: tokio_postgres::Config = url.parse()?;
        let connect: Connect = Arc::new(move || {
            let mut config = config.clone();
            config.connect_timeout(PG_CONNECT_TIMEOUT);
            if config.get_application_name().is_none() {
                config.application_name("cloudlake");
            }
            Ok(Connection::postgres(PgClient::connect(&config)?))
        });
        // The client runs a runtime of its own, which must not start on an async runtime's
        // thread (where servers are usually opened): connect from a plain thread.
        let opened = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let conn = connect()?;
                    schema::migrate_postgres(&conn)?;
                    let readers = (0..READERS)
                        .map(|_| connect())
                        .collect::<Result<Vec<_>, StoreError>>()?;
                    Ok::<_, StoreError>((conn, readers))
                })
                .join()
        });
        let (conn, readers) = opened.map_err(|_| StoreError::TaskPanicked)??;
        let indexer = index::Indexer::start(pg_index::BATCH, pg_index::stepper(connect.clone()))?;
        let (store, WriterThread(closer, thread, _)) =
            Store::start(conn, readers, Some(connect), sink, None)?;
        Ok((store, WriterThread(closer, thread, Some(indexer))))
    }

    fn start(
        conn: Connection,
        readers: Vec<Connection>,
        reconnect: Option<Connect>,
        sink: Arc<dyn CommitSink>,
        sync: Option<syncer::SyncWal>,
    ) -> Result<(Store, WriterThread), StoreError> {
        let (events, _) = tokio::sync::broadcast::channel(WAKE_QUEUE);
        let shared = conn.is_postgres();
        let (writer, closer, thread) =
            Writer::start(conn, reconnect.clone(), sink, events.clone(), sync)?;
        Ok((
            Store {
                writer,
                readers: Readers::new(readers, reconnect),
                bot_tokens: Arc::default(),
                shared,
                events,
            },
            WriterThread(closer, thread, None),
        ))
    }
}

/// Makes a new connection to the same database: how the writer and readers recover from a
/// PostgreSQL connection that broke (a restarted server, a network cut). SQLite needs none.
pub(crate) type Connect = Arc<dyn Fn() -> Result<Connection, StoreError> + Send + Sync>;

impl Store {
    /// Hears after every commit that made bot events deliverable (new events, replays,
    /// changed subscriptions, scheduled retries), and for which bots: what the webhook
    /// dispatcher and bot WebSockets wait on instead of polling. A receiver that lags
    /// should look at everything.
    pub fn event_signal(&self) -> tokio::sync::broadcast::Receiver<Arc<Wake>> {
        self.events.subscribe()
    }

    /// Wakes this node's deliverers as if a local commit had asked to: how a wake-up
    /// published by another node (over the NATS bus) reaches them. Never blocks.
    pub fn wake_local(&self, wake: Wake) {
        self.local_waker().wake(wake);
    }

    /// A handle that does what [`Store::wake_local`] does without holding the store. The
    /// bus keeps one: the store's writer holds the bus (as its commit sink), so a bus holding
    /// the store would keep both alive, with the database connections, after shutdown.
    pub fn local_waker(&self) -> LocalWaker {
        LocalWaker(self.events.clone())
    }
}

/// Wakes one node's deliverers (see [`Store::local_waker`]).
#[derive(Clone)]
pub struct LocalWaker(tokio::sync::broadcast::Sender<Arc<Wake>>);

impl LocalWaker {
    /// Wakes this node's deliverers as if a local commit had asked to. Never blocks.
    pub fn wake(&self, wake: Wake) {
        let _ = self.0.send(Arc::new(wake));
    }
}

pub(crate) fn configure(conn: &rusqlite::Connection) -> Result<(), StoreError> {
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // The writer is the only writer, but a reader may briefly need a lock during a checkpoint.
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.set_prepared_statement_cache_capacity(64);
    // Query planner stability: a cached statement keeps its plan whatever its parameters.
    // Without it the bundled SQLite (built with STAT4) re-plans a statement whenever a new
    // binding might change the plan, and reading the edited row back re-planned its SELECT
    // on every edit: 40% of an edit's time on the writer thread (BENCHMARKS.md, issue 17).
    // No database here has ANALYZE statistics, so a re-plan never found a better plan.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    Ok(())
}

#[cfg(test)]
mod configure_tests {
    /// Every store connection keeps its statements' plans (see `configure`).
    #[test]
    fn connections_keep_their_query_plans() -> Result<(), super::StoreError> {
        let conn = rusqlite::Connection::open_in_memory()?;
        let qpsg = rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG;
        assert!(!conn.db_config(qpsg)?, "off unless asked for");
        super::configure(&conn)?;
        assert!(conn.db_config(qpsg)?);
        Ok(())
    }
}
