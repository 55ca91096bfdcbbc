//! Store-level tests: given this state and this write, these records (what the commit sink
//! receives) and these rows. They run the real writer on a fresh SQLite database, with a sink
//! that keeps every commit.

#![allow(clippy::unwrap_used)]

mod deliveries;
mod directory;
mod group_admin;
mod messages;
mod search_lag;
mod user_side;

use std::sync::{Arc, Mutex};

use cloudlake_protocol::Content;

use super::{
    Commit, CommitSink, Durability, MessageView, Outgoing, Record, Role, Store, WriterThread,
};
use crate::secret::TokenHash;

/// The URL of a fresh PostgreSQL database, when `CLOUDLAKE_TEST_DATABASE_URL` names a server
/// (CI); `None` otherwise (the caller skips). Call it from a plain thread: the client runs a
/// runtime of its own.
pub(crate) fn fresh_postgres() -> Option<String> {
    let base = std::env::var("CLOUDLAKE_TEST_DATABASE_URL").ok()?;
    let name = format!("cl_store_{}", uuid::Uuid::new_v4().simple());
    let mut admin = postgres::Client::connect(&base, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let (server, _) = base.rsplit_once('/').unwrap();
    Some(format!("{server}/{name}"))
}

/// A sink that keeps what it is handed.
#[derive(Default)]
struct Kept(Mutex<Vec<Commit>>);

impl CommitSink for Kept {
    fn committed(&self, commit: Commit) {
        self.0.lock().unwrap().push(commit);
    }
}

/// A store on a fresh database, and what its writer hands to the sink.
struct Harness {
    store: Store,
    kept: Arc<Kept>,
    writer: Option<WriterThread>,
    _dir: tempfile::TempDir,
}

impl Harness {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let kept = Arc::new(Kept::default());
        let (store, writer) = Store::open(dir.path(), Durability::Normal, kept.clone()).unwrap();
        Harness {
            store,
            kept,
            writer: Some(writer),
            _dir: dir,
        }
    }

    /// The commits handed over since the last call (the sink hears of a commit before its
    /// callers are answered, so a finished write's commit is already here).
    fn commits(&self) -> Vec<Commit> {
        std::mem::take(&mut *self.kept.0.lock().unwrap())
    }

    /// The records of the commits since the last call, in order.
    fn records(&self) -> Vec<Record> {
        self.commits()
            .into_iter()
            .flat_map(|commit| commit.records)
            .collect()
    }

    /// Rows of `sql` on the database, its `columns` columns read as text (NULL as `None`;
    /// `CAST` numbers `AS TEXT`).
    async fn rows(&self, columns: usize, sql: &'static str) -> Vec<Vec<Option<String>>> {
        self.store
            .readers
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(sql)?;
                let rows = stmt.query_map([], |row| {
                    (0..columns)
                        .map(|i| row.get::<_, Option<String>>(i))
                        .collect::<Result<Vec<_>, _>>()
                })?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
            .unwrap()
    }

    async fn user(&self, id: &str) {
        self.store
            .create_user(Some(id.into()), format!("user {id}"), TokenHash::of(id))
            .await
            .unwrap();
    }

    async fn bot(&self, id: &str) {
        self.store
            .create_bot(
                Some(id.into()),
                format!("bot {id}"),
                None,
                TokenHash::of(id),
            )
            .await
            .unwrap();
    }

    /// A group owned by `owner`, with `bot` in it.
    async fn group(&self, id: &str, owner: &str, bot: &str) {
        self.store
            .create_group(Some(id.into()), format!("group {id}"), false)
            .await
            .unwrap();
        self.store
            .set_member(id.into(), owner.into(), Role::Owner)
            .await
            .unwrap();
        self.store
            .add_bot_to_group(bot.into(), id.into())
            .await
            .unwrap();
    }

    /// The usual state: bot `b`, users `alice` (who follows `b`) and `bob`, group `g` owned
    /// by alice with `b` in it. Nothing the setup handed the sink is kept.
    async fn with_bot_users_and_group() -> Self {
        let h = Harness::new();
        h.bot("b").await;
        h.user("alice").await;
        h.user("bob").await;
        h.group("g", "alice", "b").await;
        h.store.follow("b".into(), "alice".into()).await.unwrap();
        h.commits();
        h
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(writer) = self.writer.take() {
            writer.join();
        }
    }
}

/// A text message as the service would hand it over, its HTML given (the store keeps what
/// it is given; it never renders).
fn text(body: &str, html: Option<&str>) -> Outgoing {
    Outgoing {
        content_type: "text".into(),
        content: serde_json::to_string(&Content::text(body)).unwrap(),
        parent_id: None,
        send_time: 1_000,
        media_keys: Vec::new(),
        view: Arc::new(MessageView {
            content: Content::text(body),
            html: html.map(str::to_owned),
        }),
    }
}
