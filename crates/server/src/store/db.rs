//! One connection API over both storage engines: embedded SQLite (the default) and
//! PostgreSQL (a cluster's shared store).
//!
//! The store's queries are written once, in SQL both engines accept, against this module's
//! [`Connection`], [`Statement`] and [`Row`], which are shaped like rusqlite's. For PostgreSQL
//! a statement is translated once (placeholders `?N` become `$N`; SQLite's planner hint
//! `INDEXED BY` is dropped) and prepared once per connection. Parameters and columns are
//! converted by the type PostgreSQL reports, so the store's integers, text and bytes bind and
//! read the same way on both engines (PostgreSQL's schema uses `BIGINT` where SQLite has
//! `INTEGER`, and `BYTEA` for `BLOB`).
//!
//! Both engines are used synchronously, from the writer thread and from blocking reader tasks:
//! the PostgreSQL client runs a small runtime of its own per connection, so it must never be
//! called (or dropped) on an async runtime's thread.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use tokio_postgres::types::{IsNull, Kind, ToSql, Type, to_sql_checked};

use super::pg_client::PgClient;

/// A result of this module.
pub type Result<T, E = DbError> = std::result::Result<T, E>;

/// What the database reported. The message includes the driver's, which is therefore not
/// also given as the error's source (error chains would print it twice).
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite reported an error.
    #[error("sqlite: {0}")]
    Sqlite(rusqlite::Error),
    /// PostgreSQL (or the connection to it) reported an error.
    #[error("postgres: {}", pg_message(.0))]
    Postgres(tokio_postgres::Error),
    /// The PostgreSQL client's runtime could not be started.
    #[error("could not start the PostgreSQL client: {0}")]
    Runtime(std::io::Error),
    /// `query_row` found no row (see [`OptionalExtension`]).
    #[error("the query returned no rows")]
    NoRows,
    /// The connection was already closed.
    #[error("the database connection is closed")]
    Closed,
    /// A column could not be read as the type asked for.
    #[error("column {index}: {message}")]
    Column {
        /// The column's index.
        index: usize,
        /// What was wrong.
        message: String,
    },
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        DbError::Sqlite(e)
    }
}

impl From<tokio_postgres::Error> for DbError {
    fn from(e: tokio_postgres::Error) -> Self {
        DbError::Postgres(e)
    }
}

/// The server's message and code, or the client's message with its causes: what
/// `tokio_postgres::Error`'s own `Display` leaves out.
fn pg_message(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{} ({})", db.message(), db.code().code());
    }
    // "error connecting to server", and why, which is in the sources.
    let mut message = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        message.push_str(": ");
        message.push_str(&c.to_string());
        cause = c.source();
    }
    message
}

/// `query_row(...).optional()`: no row becomes `None`, like rusqlite's extension.
pub trait OptionalExtension<T> {
    /// `Ok(None)` instead of [`DbError::NoRows`].
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(DbError::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A connection to either engine.
pub struct Connection {
    engine: Engine,
    /// SQLite: the rows [`Connection::defer_insert`] wrote (at once, on this engine), which
    /// [`Connection::executed_changes`] leaves out as PostgreSQL's holding back does.
    inserted_apart: Cell<u64>,
}

enum Engine {
    Sqlite(rusqlite::Connection),
    // Boxed: the client and its statement cache are three times an SQLite handle.
    Postgres(Box<RefCell<Pg>>),
}

/// A PostgreSQL connection with its prepared statements.
pub struct Pg {
    /// Always `Some` until dropped (see the `Drop` impl).
    client: Option<PgClient>,
    statements: HashMap<String, tokio_postgres::Statement>,
    /// Rows written through this connection so far (the writer's "did this job write?").
    changes: Cell<u64>,
    /// Set when a statement failed: PostgreSQL then refuses everything until the transaction
    /// ends, so the writer must roll the batch back.
    failed: Cell<bool>,
    /// Rows written by statements that ran (not rows still held back in `deferred`).
    executed: Cell<u64>,
    /// Inserted rows held back, sent together before the next statement (see
    /// [`Connection::defer_insert`]).
    deferred: Option<Deferred>,
    /// The statements that send them, by the one-row insert they stand for.
    bulk: HashMap<&'static str, tokio_postgres::Statement>,
}

/// Rows of one table held back by [`Connection::defer_insert`].
struct Deferred {
    /// The one-row insert they were given with.
    insert: &'static str,
    /// Values per row.
    columns: usize,
    /// Every row's values, row after row.
    values: Vec<Owned>,
}

/// A parameter kept past the call that gave it (see [`PgArg`]).
enum Owned {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bytes(Vec<u8>),
}

impl Owned {
    fn of(arg: PgArg<'_>) -> Owned {
        match arg {
            PgArg::Null => Owned::Null,
            PgArg::Int(v) => Owned::Int(v),
            PgArg::Real(v) => Owned::Real(v),
            PgArg::Text(v) => Owned::Text(v.to_owned()),
            PgArg::Bytes(v) => Owned::Bytes(v.to_vec()),
        }
    }

    fn arg(&self) -> PgArg<'_> {
        match self {
            Owned::Null => PgArg::Null,
            Owned::Int(v) => PgArg::Int(*v),
            Owned::Real(v) => PgArg::Real(*v),
            Owned::Text(v) => PgArg::Text(v),
            Owned::Bytes(v) => PgArg::Bytes(v),
        }
    }
}

/// Past this many held-back rows they are sent without waiting for the next statement.
const MAX_DEFERRED_ROWS: usize = 1000;

impl Pg {
    /// The prepared statement cached under `key`, prepared from `sql()` the first time.
    fn prepared(
        &mut self,
        key: &str,
        sql: impl FnOnce() -> String,
    ) -> Result<tokio_postgres::Statement> {
        cached(
            &mut self.statements,
            key,
            &mut self.client,
            &self.failed,
            sql,
        )
    }

    /// Sends the held-back rows in one statement, whatever their number: `INSERT … SELECT *
    /// FROM unnest(…)` with an array of each column's values. (Multi-row `VALUES` of a few
    /// fixed sizes took several statements, a round trip each: seven for a batch of 64
    /// batch_sends to 10 groups.)
    fn flush(&mut self) -> Result<()> {
        let Some(deferred) = self.deferred.take() else {
            return Ok(());
        };
        let stmt = self.bulk_insert(deferred.insert)?;
        let columns = deferred.columns();
        let client = self.client.as_mut().ok_or(DbError::Closed)?;
        let done = client.execute(&stmt, &as_params(&columns));
        let n = fail_on_error(&self.failed, done)?;
        self.executed.set(self.executed.get() + n);
        Ok(())
    }

    /// The statement that sends held-back rows given with `insert`, prepared the first time.
    fn bulk_insert(&mut self, insert: &'static str) -> Result<tokio_postgres::Statement> {
        if let Some(stmt) = self.bulk.get(insert) {
            return Ok(stmt.clone());
        }
        // The one-row insert, prepared, tells each column's type, which the arrays are cast to.
        let one = self.prepared(insert, || to_postgres(insert))?;
        let sql = unnest_insert(insert, one.params());
        cached(
            &mut self.bulk,
            &insert,
            &mut self.client,
            &self.failed,
            || sql,
        )
    }
}

impl Deferred {
    /// The rows' values, an array a column.
    fn columns(&self) -> Vec<Vec<PgArg<'_>>> {
        (0..self.columns)
            .map(|column| {
                self.values
                    .iter()
                    .skip(column)
                    .step_by(self.columns)
                    .map(Owned::arg)
                    .collect()
            })
            .collect()
    }

    /// How many rows are held.
    fn rows(&self) -> u64 {
        (self.values.len() / self.columns.max(1)) as u64
    }
}

/// `values` as a statement's parameters.
fn as_params<T: ToSql + Sync>(values: &[T]) -> Vec<&(dyn ToSql + Sync)> {
    values.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

/// The statement cached in `cache` under `key`, prepared on `client` from `sql()` the first
/// time (a failure to prepare marks the connection `failed`, as any failed statement does).
fn cached<K, Q>(
    cache: &mut HashMap<K, tokio_postgres::Statement>,
    key: &Q,
    client: &mut Option<PgClient>,
    failed: &Cell<bool>,
    sql: impl FnOnce() -> String,
) -> Result<tokio_postgres::Statement>
where
    K: std::borrow::Borrow<Q> + Eq + std::hash::Hash,
    Q: ToOwned<Owned = K> + Eq + std::hash::Hash + ?Sized,
{
    if let Some(stmt) = cache.get(key) {
        return Ok(stmt.clone());
    }
    let client = client.as_mut().ok_or(DbError::Closed)?;
    let stmt = fail_on_error(failed, client.prepare(&sql()))?;
    cache.insert(key.to_owned(), stmt.clone());
    Ok(stmt)
}

/// The one-row `insert` (`INSERT INTO t (a, b, …) VALUES (?1, ?2, …)`) as one that inserts a
/// row for each element of its array parameters, one array a column, cast to the columns'
/// `types` (built-in types: their names need no schema).
fn unnest_insert(insert: &str, types: &[Type]) -> String {
    let head = insert
        .rfind("VALUES")
        .map_or(insert, |at| &insert[..at])
        .trim_end();
    let arrays: Vec<String> = types
        .iter()
        .enumerate()
        .map(|(i, ty)| format!("${}::{}[]", i + 1, ty.name()))
        .collect();
    format!("{head} SELECT * FROM unnest({})", arrays.join(", "))
}

impl Drop for Pg {
    fn drop(&mut self) {
        // Closing the client runs its runtime, which panics on an async runtime's thread (where
        // the last clone of a store may well be dropped): close it on a thread of its own.
        if let Some(client) = self.client.take() {
            let _ = std::thread::Builder::new()
                .name("cloudlake-pg-close".into())
                .spawn(move || drop(client));
        }
    }
}

impl Connection {
    /// Wraps an SQLite connection.
    pub fn sqlite(conn: rusqlite::Connection) -> Self {
        Connection {
            engine: Engine::Sqlite(conn),
            inserted_apart: Cell::new(0),
        }
    }

    /// Wraps a PostgreSQL client.
    pub fn postgres(client: PgClient) -> Self {
        Connection {
            engine: Engine::Postgres(Box::new(RefCell::new(Pg {
                client: Some(client),
                statements: HashMap::new(),
                changes: Cell::new(0),
                failed: Cell::new(false),
                executed: Cell::new(0),
                deferred: None,
                bulk: HashMap::new(),
            }))),
            inserted_apart: Cell::new(0),
        }
    }

    /// Whether this is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self.engine, Engine::Postgres(_))
    }

    /// Whether the connection is gone (PostgreSQL: the server closed it or the network
    /// broke); a new one must replace it.
    pub fn is_broken(&self) -> bool {
        match &self.engine {
            Engine::Sqlite(_) => false,
            Engine::Postgres(pg) => pg.borrow().client.as_ref().is_none_or(|c| c.is_closed()),
        }
    }

    /// Prepares (or takes from the cache) a statement.
    pub fn prepare_cached(&self, sql: &str) -> Result<Statement<'_>> {
        match &self.engine {
            Engine::Sqlite(conn) => Ok(Statement::Sqlite(conn.prepare_cached(sql)?)),
            Engine::Postgres(pg) => {
                let mut guard = pg.borrow_mut();
                let state = &mut *guard;
                // Whatever this statement is, it sees the rows held back so far.
                state.flush()?;
                let stmt = state.prepared(sql, || to_postgres(sql))?;
                Ok(Statement::Postgres(pg, stmt, is_write(sql)))
            }
        }
    }

    /// Runs several statements (no parameters), e.g. a migration or `BEGIN`.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match &self.engine {
            Engine::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
            Engine::Postgres(pg) => {
                let mut guard = pg.borrow_mut();
                let state = &mut *guard;
                if sql.trim_start().starts_with("ROLLBACK") {
                    // Rolled back with the rest of the transaction.
                    state.deferred = None;
                } else {
                    // COMMIT, or any other statement: after the rows held back.
                    state.flush()?;
                }
                let client = state.client.as_mut().ok_or(DbError::Closed)?;
                let done = client.batch_execute(sql);
                fail_on_error(&state.failed, done)
            }
        }
    }

    /// PostgreSQL only: runs `statements` one after the other in one round trip, each
    /// prepared once per connection, its parameters sent in binary (see
    /// [`PgClient::pipeline`]); returns the rows of each statement that [`Piped::reads`]. An
    /// error means the first statement that failed; in a transaction every statement after
    /// it failed too.
    pub fn pipeline(&self, statements: &[Piped<'_>]) -> Result<Vec<Answer>> {
        let Engine::Postgres(pg) = &self.engine else {
            return Err(DbError::Column {
                index: 0,
                message: "a pipeline runs on PostgreSQL only".into(),
            });
        };
        let mut guard = pg.borrow_mut();
        let state = &mut *guard;
        // The rows held back go first, as before any statement, but in the same round trip
        // (the COMMIT of a batch of sends with the lock taken early: a round trip less).
        let deferred = state.deferred.take();
        let bulk = deferred
            .as_ref()
            .map(|rows| state.bulk_insert(rows.insert))
            .transpose()?;
        let bulk_columns = deferred.as_ref().map(Deferred::columns);
        let bulk_params = bulk_columns.as_deref().map(as_params);
        let prepared = statements
            .iter()
            .map(|piped| state.prepared(piped.sql, || to_postgres(piped.sql)))
            .collect::<Result<Vec<_>>>()?;
        let params: Vec<Vec<&(dyn ToSql + Sync)>> = statements
            .iter()
            .map(|piped| as_params(&piped.params))
            .collect();
        let calls: Vec<_> = bulk
            .iter()
            .zip(&bulk_params)
            .chain(prepared.iter().zip(&params))
            .map(|(statement, params)| (statement, params.as_slice()))
            .collect();
        let client = state.client.as_mut().ok_or(DbError::Closed)?;
        let done = client.pipeline(&calls);
        let mut answers = fail_on_error(&state.failed, done)?.into_iter();
        if let Some(rows) = &deferred {
            // A plain INSERT of them all, which either failed above or wrote every row.
            answers.next();
            state.executed.set(state.executed.get() + rows.rows());
        }
        Ok(statements
            .iter()
            .zip(answers)
            .filter(|(piped, _)| piped.reads)
            .map(|(_, rows)| Answer(rows))
            .collect())
    }

    /// Runs one statement without parameters that the writer runs for every batch (`BEGIN
    /// IMMEDIATE`, `COMMIT`). On SQLite from the statement cache: parsing it again each time
    /// was ~5% of the writer thread's time for a one-edit commit (a profile, issue 17). On
    /// PostgreSQL as [`Connection::execute_batch`].
    pub fn execute_cached(&self, sql: &str) -> Result<()> {
        match &self.engine {
            Engine::Sqlite(conn) => Ok(conn.prepare_cached(sql)?.execute([]).map(|_| ())?),
            Engine::Postgres(_) => self.execute_batch(sql),
        }
    }

    /// Inserts one row with `insert` (`INSERT INTO t (a, b, …) VALUES (?1, ?2, …)`, one value
    /// per column in `row`). On SQLite at once. On PostgreSQL the row is held back and sent
    /// with the rows inserted after it, in one statement, just before the next
    /// other statement (a read then sees it) or the COMMIT: each statement is a network round
    /// trip, and a batch of sends would otherwise cost one for every job. Before a
    /// [`Connection::pipeline`] (the writer's COMMIT) they go in its round trip. A failure then shows
    /// in that later statement, which fails the whole batch, as a failed statement on
    /// PostgreSQL always did. Counted in [`Connection::changes`] at once, not in
    /// [`Connection::executed_changes`] until sent (SQLite: never).
    pub fn defer_insert(&self, insert: &'static str, row: &[&dyn Param]) -> Result<()> {
        match &self.engine {
            // A statement is a function call here, and one-row statements measured faster
            // than multi-row ones (BENCHMARKS.md).
            Engine::Sqlite(conn) => {
                let before = conn.total_changes();
                let inserted = self.prepare_cached(insert)?.execute(row).map(|_| ());
                self.inserted_apart
                    .set(self.inserted_apart.get() + conn.total_changes().saturating_sub(before));
                inserted
            }
            Engine::Postgres(pg) => {
                let mut guard = pg.borrow_mut();
                let state = &mut *guard;
                if state
                    .deferred
                    .as_ref()
                    .is_some_and(|d| d.insert != insert || d.columns != row.len())
                {
                    state.flush()?;
                }
                let deferred = state.deferred.get_or_insert_with(|| Deferred {
                    insert,
                    columns: row.len(),
                    values: Vec::new(),
                });
                deferred
                    .values
                    .extend(row.iter().map(|value| Owned::of(value.pg())));
                state.changes.set(state.changes.get() + 1);
                if deferred.values.len() >= MAX_DEFERRED_ROWS * row.len() {
                    state.flush()?;
                }
                Ok(())
            }
        }
    }

    /// Like [`Connection::changes`], without the rows of [`Connection::defer_insert`] (held
    /// back on PostgreSQL until sent; on SQLite written at once, and never counted here): a
    /// job that leaves it unchanged ran no statement of its own that wrote.
    pub fn executed_changes(&self) -> u64 {
        match &self.engine {
            Engine::Sqlite(conn) => conn
                .total_changes()
                .saturating_sub(self.inserted_apart.get()),
            Engine::Postgres(pg) => pg.borrow().executed.get(),
        }
    }

    /// A count that grows with every row this connection writes: a job that leaves it
    /// unchanged wrote nothing.
    pub fn changes(&self) -> u64 {
        match &self.engine {
            Engine::Sqlite(conn) => conn.total_changes(),
            Engine::Postgres(pg) => pg.borrow().changes.get(),
        }
    }

    /// Whether a statement failed since the last call (PostgreSQL: the transaction is then
    /// unusable). SQLite rolls back only the failed statement, so it never reports this.
    pub fn take_failed(&self) -> bool {
        match &self.engine {
            Engine::Sqlite(_) => false,
            Engine::Postgres(pg) => pg.borrow().failed.replace(false),
        }
    }
}

/// The rows a statement of a [`Connection::pipeline`] answered.
#[derive(Debug)]
pub struct Answer(Vec<tokio_postgres::Row>);

impl Answer {
    /// Each row, mapped by `f`.
    pub fn rows<T>(&self, mut f: impl FnMut(&Row<'_>) -> Result<T>) -> Result<Vec<T>> {
        self.0.iter().map(|row| f(&Row::Postgres(row))).collect()
    }

    /// The first column of each row, as `T`.
    pub fn column<T: FromColumn>(&self) -> Result<Vec<T>> {
        self.rows(|row| row.get(0))
    }
}

/// A statement of a [`Connection::pipeline`]: its SQL (`$N` or, as everywhere in the store,
/// `?N` placeholders; types cast where the server could not infer them) and its parameters.
/// Prepared under the same key as [`Connection::prepare_cached`] would, so the two share it.
pub struct Piped<'a> {
    /// The statement; prepared once per connection, so a fixed text.
    pub sql: &'static str,
    /// Its parameters, `$1` first.
    pub params: Vec<PipedParam<'a>>,
    /// Whether its rows are answered (see [`Connection::pipeline`]).
    pub reads: bool,
}

impl<'a> Piped<'a> {
    /// A statement whose rows (if any) are not read.
    pub fn run(sql: &'static str, params: Vec<PipedParam<'a>>) -> Self {
        Piped {
            sql,
            params,
            reads: false,
        }
    }

    /// A statement whose rows are read.
    pub fn read(sql: &'static str, params: Vec<PipedParam<'a>>) -> Self {
        Piped {
            sql,
            params,
            reads: true,
        }
    }
}

/// A parameter of a [`Piped`] statement, sent in binary: one value or an array of them, each
/// converted as [`PgArg`] is, to the type the server reports for its placeholder.
#[derive(Debug)]
pub enum PipedParam<'a> {
    /// One value.
    One(PgArg<'a>),
    /// An array.
    Array(Vec<PgArg<'a>>),
}

impl<'a> PipedParam<'a> {
    /// An array of integers (for a `BIGINT[]`).
    pub fn ints(values: impl IntoIterator<Item = i64>) -> Self {
        PipedParam::Array(values.into_iter().map(PgArg::Int).collect())
    }

    /// An array of texts (for a `TEXT[]`).
    pub fn texts(values: impl IntoIterator<Item = &'a str>) -> Self {
        PipedParam::Array(values.into_iter().map(PgArg::Text).collect())
    }
}

impl ToSql for PipedParam<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            PipedParam::One(arg) => arg.to_sql(ty, out),
            // Checked here: an array's `to_sql` asserts that it is given an array type.
            PipedParam::Array(args) if matches!(ty.kind(), Kind::Array(_)) => args.to_sql(ty, out),
            // Not the values themselves: an array of a batch's rows would fill the log.
            PipedParam::Array(_) => Err(format!("an array cannot be bound as {ty}").into()),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// Marks the connection failed when `result` is a PostgreSQL error.
fn fail_on_error<T>(failed: &Cell<bool>, result: Result<T, tokio_postgres::Error>) -> Result<T> {
    result.map_err(|e| {
        failed.set(true);
        DbError::Postgres(e)
    })
}

/// Whether a statement changes rows (what it returns then counts as rows written).
fn is_write(sql: &str) -> bool {
    let head = sql.trim_start().get(..6).unwrap_or("");
    ["INSERT", "UPDATE", "DELETE"]
        .iter()
        .any(|w| head.eq_ignore_ascii_case(w))
}

/// A prepared statement.
pub enum Statement<'c> {
    /// On SQLite.
    Sqlite(rusqlite::CachedStatement<'c>),
    /// On PostgreSQL: the connection, the statement, and whether it writes.
    Postgres(&'c RefCell<Pg>, tokio_postgres::Statement, bool),
}

impl Statement<'_> {
    /// Runs the statement; returns how many rows it changed.
    pub fn execute(&mut self, params: impl Params) -> Result<usize> {
        let list = params.list();
        match self {
            Statement::Sqlite(stmt) => Ok(stmt.execute(sqlite_params(&list))?),
            Statement::Postgres(pg, stmt, _) => {
                let n = pg_call(pg, |client, args| client.execute(&*stmt, args), &list)?;
                let pg = pg.borrow();
                pg.changes.set(pg.changes.get() + n);
                pg.executed.set(pg.executed.get() + n);
                Ok(usize::try_from(n).unwrap_or(usize::MAX))
            }
        }
    }

    /// The first row mapped by `f`; [`DbError::NoRows`] if there is none.
    pub fn query_row<T, F>(&mut self, params: impl Params, f: F) -> Result<T>
    where
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        let list = params.list();
        match self {
            Statement::Sqlite(stmt) => {
                let mut rows = stmt.query(sqlite_params(&list))?;
                match rows.next()? {
                    Some(row) => f(&Row::Sqlite(row)),
                    None => Err(DbError::NoRows),
                }
            }
            Statement::Postgres(..) => {
                let rows = self.pg_query(&list)?;
                match rows.first() {
                    Some(row) => f(&Row::Postgres(row)),
                    None => Err(DbError::NoRows),
                }
            }
        }
    }

    /// Every row, each mapped by `f` (read in full before mapping).
    pub fn query_map<T, F>(
        &mut self,
        params: impl Params,
        mut f: F,
    ) -> Result<std::vec::IntoIter<Result<T>>>
    where
        F: FnMut(&Row<'_>) -> Result<T>,
    {
        let list = params.list();
        let mut out = Vec::new();
        match self {
            Statement::Sqlite(stmt) => {
                let mut rows = stmt.query(sqlite_params(&list))?;
                while let Some(row) = rows.next()? {
                    out.push(f(&Row::Sqlite(row)));
                }
            }
            Statement::Postgres(..) => {
                for row in &self.pg_query(&list)? {
                    out.push(f(&Row::Postgres(row)));
                }
            }
        }
        Ok(out.into_iter())
    }

    fn pg_query(&mut self, list: &[&dyn Param]) -> Result<Vec<tokio_postgres::Row>> {
        let Statement::Postgres(pg, stmt, writes) = self else {
            return Ok(Vec::new());
        };
        let rows = pg_call(pg, |client, args| client.query(&*stmt, args), list)?;
        if *writes {
            let pg = pg.borrow();
            pg.changes.set(pg.changes.get() + rows.len() as u64);
            pg.executed.set(pg.executed.get() + rows.len() as u64);
        }
        Ok(rows)
    }
}

/// Calls the PostgreSQL client with `list` bound; a failure marks the connection failed.
fn pg_call<T>(
    pg: &RefCell<Pg>,
    call: impl FnOnce(&mut PgClient, &[&(dyn ToSql + Sync)]) -> Result<T, tokio_postgres::Error>,
    list: &[&dyn Param],
) -> Result<T> {
    let args: Vec<PgArg<'_>> = list.iter().map(|p| p.pg()).collect();
    let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a as &(dyn ToSql + Sync)).collect();
    let mut guard = pg.borrow_mut();
    let state = &mut *guard;
    // A statement prepared before rows were held back still runs after them.
    state.flush()?;
    let client = state.client.as_mut().ok_or(DbError::Closed)?;
    let result = call(client, &refs);
    fail_on_error(&state.failed, result)
}

fn sqlite_params<'a>(
    list: &'a [&'a dyn Param],
) -> rusqlite::ParamsFromIter<impl Iterator<Item = &'a dyn rusqlite::ToSql>> {
    rusqlite::params_from_iter(list.iter().map(|p| *p as &dyn rusqlite::ToSql))
}

/// One row of a result.
pub enum Row<'a> {
    /// From SQLite.
    Sqlite(&'a rusqlite::Row<'a>),
    /// From PostgreSQL.
    Postgres(&'a tokio_postgres::Row),
}

/// A column index (like rusqlite's, by position only).
pub trait RowIndex {
    /// The position.
    fn index(self) -> usize;
}

impl RowIndex for usize {
    fn index(self) -> usize {
        self
    }
}

impl Row<'_> {
    /// Column `i` as a `T`.
    pub fn get<I: RowIndex, T: FromColumn>(&self, i: I) -> Result<T> {
        let index = i.index();
        match self {
            Row::Sqlite(row) => Ok(row.get(index)?),
            Row::Postgres(row) => {
                let value: PgValue = row.try_get(index)?;
                T::from_pg(value).map_err(|message| DbError::Column { index, message })
            }
        }
    }
}

// ---- values ----

/// A value as read from PostgreSQL, before it becomes the Rust type asked for.
#[derive(Debug)]
pub enum PgValue {
    /// NULL.
    Null,
    /// Any integer (or boolean) column.
    Int(i64),
    /// A floating-point column.
    Real(f64),
    /// A text column.
    Text(String),
    /// A `BYTEA` column.
    Bytes(Vec<u8>),
}

impl<'a> tokio_postgres::types::FromSql<'a> for PgValue {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(match *ty {
            Type::INT8 => PgValue::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => PgValue::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => PgValue::Int(i16::from_sql(ty, raw)?.into()),
            Type::BOOL => PgValue::Int(bool::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => PgValue::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => PgValue::Real(f32::from_sql(ty, raw)?.into()),
            Type::BYTEA => PgValue::Bytes(Vec::<u8>::from_sql(ty, raw)?),
            _ if <String as tokio_postgres::types::FromSql>::accepts(ty) => {
                PgValue::Text(String::from_sql(ty, raw)?)
            }
            // NUMERIC (what SUM of BIGINTs gives) and the rest: the query should cast.
            _ => return Err(format!("unsupported column type {ty}; cast it in the query").into()),
        })
    }

    fn from_sql_null(
        _: &Type,
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(PgValue::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// A Rust type a column can be read as, on either engine.
pub trait FromColumn: rusqlite::types::FromSql + Sized {
    /// From a PostgreSQL value; `Err` says why not.
    fn from_pg(value: PgValue) -> Result<Self, String>;
}

fn mismatch<T>(value: &PgValue) -> Result<T, String> {
    Err(format!(
        "cannot read {value:?} as {}",
        std::any::type_name::<T>()
    ))
}

macro_rules! int_column {
    ($($t:ty),*) => {$(
        impl FromColumn for $t {
            fn from_pg(value: PgValue) -> Result<Self, String> {
                match value {
                    PgValue::Int(v) => <$t>::try_from(v).map_err(|e| e.to_string()),
                    other => mismatch(&other),
                }
            }
        }
    )*};
}
int_column!(i64, i32, u32, u8, i16, u16);

impl FromColumn for bool {
    fn from_pg(value: PgValue) -> Result<Self, String> {
        match value {
            PgValue::Int(v) => Ok(v != 0),
            other => mismatch(&other),
        }
    }
}

impl FromColumn for f64 {
    fn from_pg(value: PgValue) -> Result<Self, String> {
        match value {
            PgValue::Real(v) => Ok(v),
            PgValue::Int(v) => Ok(v as f64),
            other => mismatch(&other),
        }
    }
}

impl FromColumn for String {
    fn from_pg(value: PgValue) -> Result<Self, String> {
        match value {
            PgValue::Text(v) => Ok(v),
            other => mismatch(&other),
        }
    }
}

impl FromColumn for Vec<u8> {
    fn from_pg(value: PgValue) -> Result<Self, String> {
        match value {
            PgValue::Bytes(v) => Ok(v),
            other => mismatch(&other),
        }
    }
}

impl<T: FromColumn> FromColumn for Option<T> {
    fn from_pg(value: PgValue) -> Result<Self, String> {
        match value {
            PgValue::Null => Ok(None),
            other => T::from_pg(other).map(Some),
        }
    }
}

/// A parameter as bound on PostgreSQL: converted to the type the server inferred for its
/// placeholder when it is sent.
#[derive(Debug)]
pub enum PgArg<'a> {
    /// NULL.
    Null,
    /// An integer (or boolean).
    Int(i64),
    /// A float.
    Real(f64),
    /// Text.
    Text(&'a str),
    /// Bytes.
    Bytes(&'a [u8]),
}

impl ToSql for PgArg<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match (self, ty) {
            (PgArg::Null, _) => Ok(IsNull::Yes),
            (PgArg::Int(v), &Type::INT8) => v.to_sql(ty, out),
            (PgArg::Int(v), &Type::INT4) => i32::try_from(*v)?.to_sql(ty, out),
            (PgArg::Int(v), &Type::INT2) => i16::try_from(*v)?.to_sql(ty, out),
            (PgArg::Int(v), &Type::BOOL) => (*v != 0).to_sql(ty, out),
            (PgArg::Int(v), &Type::FLOAT8) => (*v as f64).to_sql(ty, out),
            (PgArg::Real(v), &Type::FLOAT8) => v.to_sql(ty, out),
            (PgArg::Int(v), _) if <&str as ToSql>::accepts(ty) => {
                v.to_string().as_str().to_sql(ty, out)
            }
            (PgArg::Text(s), _) if <&str as ToSql>::accepts(ty) => s.to_sql(ty, out),
            (PgArg::Bytes(b), &Type::BYTEA) => b.to_sql(ty, out),
            _ => Err(format!("cannot bind {self:?} as {ty}").into()),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// A value that can be bound to a statement on either engine.
pub trait Param: rusqlite::ToSql {
    /// The value for PostgreSQL.
    fn pg(&self) -> PgArg<'_>;
}

macro_rules! int_param {
    ($($t:ty),*) => {$(
        impl Param for $t {
            fn pg(&self) -> PgArg<'_> {
                // Only counts and limits are unsigned; none comes near i64::MAX.
                PgArg::Int(i64::try_from(*self).unwrap_or(i64::MAX))
            }
        }
    )*};
}
int_param!(i64, i32, u32, u8, i16, u16);

impl Param for bool {
    fn pg(&self) -> PgArg<'_> {
        PgArg::Int((*self).into())
    }
}

impl Param for f64 {
    fn pg(&self) -> PgArg<'_> {
        PgArg::Real(*self)
    }
}

impl Param for String {
    fn pg(&self) -> PgArg<'_> {
        PgArg::Text(self)
    }
}

impl Param for &str {
    fn pg(&self) -> PgArg<'_> {
        PgArg::Text(self)
    }
}

impl Param for Vec<u8> {
    fn pg(&self) -> PgArg<'_> {
        PgArg::Bytes(self)
    }
}

impl Param for &[u8] {
    fn pg(&self) -> PgArg<'_> {
        PgArg::Bytes(self)
    }
}

impl<const N: usize> Param for [u8; N] {
    fn pg(&self) -> PgArg<'_> {
        PgArg::Bytes(self)
    }
}

impl<T: Param> Param for Option<T> {
    fn pg(&self) -> PgArg<'_> {
        match self {
            Some(v) => v.pg(),
            None => PgArg::Null,
        }
    }
}

impl<T: Param> Param for &T {
    fn pg(&self) -> PgArg<'_> {
        (**self).pg()
    }
}

/// A statement's parameters: `[a, b]`, `params![a, b]`, `()` or `[]`.
pub trait Params {
    /// The parameters in order.
    fn list(&self) -> Vec<&dyn Param>;
}

impl Params for () {
    fn list(&self) -> Vec<&dyn Param> {
        Vec::new()
    }
}

impl Params for [&dyn Param; 0] {
    fn list(&self) -> Vec<&dyn Param> {
        Vec::new()
    }
}

impl Params for &[&dyn Param] {
    fn list(&self) -> Vec<&dyn Param> {
        self.to_vec()
    }
}

macro_rules! array_params {
    ($($n:literal),*) => {$(
        impl<T: Param> Params for [T; $n] {
            fn list(&self) -> Vec<&dyn Param> {
                self.iter().map(|p| p as &dyn Param).collect()
            }
        }
    )*};
}
array_params!(1, 2, 3, 4, 5, 6, 7, 8);

/// Parameters of mixed types: `params![a, b, c]`.
macro_rules! params {
    () => {
        &[] as &[&dyn $crate::store::db::Param]
    };
    ($($p:expr),+ $(,)?) => {
        &[$(&$p as &dyn $crate::store::db::Param),+] as &[&dyn $crate::store::db::Param]
    };
}
pub(crate) use params;

// ---- SQL translation ----

/// SQLite's SQL as PostgreSQL wants it: `?N` (and bare `?`) placeholders become `$N`, and
/// `INDEXED BY <index>` (a hint for SQLite's planner) is dropped. Quoted text is left alone.
pub(crate) fn to_postgres(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut next_bare = 1;
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => {
                quote = Some(c);
                out.push(c);
            }
            '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                out.push('$');
                if digits.is_empty() {
                    out.push_str(&next_bare.to_string());
                    next_bare += 1;
                } else {
                    out.push_str(&digits);
                }
            }
            _ => out.push(c),
        }
    }
    strip_indexed_by(&out)
}

fn strip_indexed_by(sql: &str) -> String {
    let Some(at) = sql.find("INDEXED BY ") else {
        return sql.to_owned();
    };
    let rest = &sql[at + "INDEXED BY ".len()..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    format!("{}{}", &sql[..at], strip_indexed_by(&rest[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pipeline answers each reading statement's numbers in order, binds arrays and NULL in
    /// binary (text that would trip a literal's quoting included), and when a statement in a
    /// transaction fails, says so and keeps nothing: the COMMIT sent after it rolled back.
    /// Rows held back (`defer_insert`) go in it, first.
    #[test]
    fn a_pipeline_reads_in_order_and_a_failure_in_it_keeps_nothing() {
        let Some(url) = crate::store::tests::fresh_postgres() else {
            eprintln!("skipped: CLOUDLAKE_TEST_DATABASE_URL not set");
            return;
        };
        // The client runs a runtime of its own: from a plain thread, as the store does.
        std::thread::spawn(move || {
            let conn = Connection::postgres(PgClient::connect(&url.parse().unwrap()).unwrap());
            conn.execute_batch("CREATE TABLE t (n BIGINT NOT NULL, v TEXT NOT NULL UNIQUE)")
                .unwrap();
            const INSERT: &str = "INSERT INTO t SELECT * FROM unnest($1::BIGINT[], $2::TEXT[])";
            const COUNT: &str = "SELECT count(*) FROM t";
            let hostile = "it's \\ \"{a,b}\" NULL $$ E'x' 你好";
            // After a failed pipeline: it kept nothing, and `t` holds `rows` rows.
            let rolled_back_leaving = |rows: i64| {
                assert!(conn.take_failed());
                let _ = conn.execute_batch("ROLLBACK");
                let count = conn
                    .pipeline(&[Piped::read(COUNT, Vec::new())])
                    .and_then(|answers| answers[0].column::<i64>())
                    .unwrap();
                assert_eq!(count, [rows], "nothing of the failed pipeline was kept");
            };
            let rows = |n: Vec<i64>, v: Vec<&'static str>| {
                Piped::run(INSERT, vec![PipedParam::ints(n), PipedParam::texts(v)])
            };
            conn.execute_batch("BEGIN").unwrap();
            let answers = conn
                .pipeline(&[
                    rows(vec![1, 2], vec!["a", hostile]),
                    Piped::read(COUNT, Vec::new()),
                    Piped::read(
                        "SELECT COALESCE($1::BIGINT, -1) + n FROM t ORDER BY n",
                        vec![PipedParam::One(PgArg::Null)],
                    ),
                    Piped::run("COMMIT", Vec::new()),
                ])
                .unwrap();
            let answers: Vec<Vec<i64>> = answers
                .iter()
                .map(Answer::column)
                .collect::<Result<_>>()
                .unwrap();
            assert_eq!(answers, [vec![2], vec![0, 1]]);
            let stored: String = conn
                .prepare_cached("SELECT v FROM t WHERE n = 2")
                .unwrap()
                .query_row([], |row| row.get(0))
                .unwrap();
            assert_eq!(stored, hostile);

            conn.execute_batch("BEGIN").unwrap();
            let failed = conn.pipeline(&[
                rows(vec![3], vec!["c"]),
                // "a" is taken: the transaction fails here.
                rows(vec![4], vec!["a"]),
                Piped::read(COUNT, Vec::new()),
                Piped::run("COMMIT", Vec::new()),
            ]);
            let Err(DbError::Postgres(e)) = failed else {
                panic!("the duplicate should fail the pipeline: {failed:?}");
            };
            assert_eq!(
                e.as_db_error().map(|db| db.code().code()),
                Some("23505"),
                "the first failure is the one told: {e}"
            );
            rolled_back_leaving(2);

            // Rows held back go ahead of a pipeline, in it: its reads see them, they count as
            // executed once sent, and a failure among them fails it and keeps nothing.
            const ONE: &str = "INSERT INTO t (n, v) VALUES (?1, ?2)";
            let count_and_commit = [
                Piped::read(COUNT, Vec::new()),
                Piped::run("COMMIT", Vec::new()),
            ];
            conn.execute_batch("BEGIN").unwrap();
            let executed = conn.executed_changes();
            conn.defer_insert(ONE, params![5_i64, "e"]).unwrap();
            conn.defer_insert(ONE, params![6_i64, "f"]).unwrap();
            assert_eq!(conn.executed_changes(), executed, "held back, not sent yet");
            let answers = conn.pipeline(&count_and_commit).unwrap();
            assert_eq!(answers[0].column::<i64>().unwrap(), [4]);
            assert_eq!(conn.executed_changes(), executed + 2);
            conn.execute_batch("BEGIN").unwrap();
            conn.defer_insert(ONE, params![7_i64, "g"]).unwrap();
            conn.defer_insert(ONE, params![8_i64, "a"]).unwrap();
            let failed = conn.pipeline(&count_and_commit);
            let Err(DbError::Postgres(e)) = failed else {
                panic!("the held-back duplicate should fail the pipeline: {failed:?}");
            };
            assert_eq!(e.as_db_error().map(|db| db.code().code()), Some("23505"));
            rolled_back_leaving(4);
        })
        .join()
        .unwrap();
    }

    #[test]
    fn a_one_row_insert_becomes_an_insert_of_every_element_of_its_arrays() {
        assert_eq!(
            unnest_insert(
                "INSERT INTO t (a, b) VALUES (?1, ?2)",
                &[Type::INT8, Type::TEXT]
            ),
            "INSERT INTO t (a, b) SELECT * FROM unnest($1::int8[], $2::text[])"
        );
    }

    #[test]
    fn placeholders_and_hints_are_translated_outside_quotes() {
        assert_eq!(
            to_postgres(
                "SELECT a FROM t INDEXED BY t_by_x WHERE x = ?1 AND y = '?2' AND z IN (?, ?)"
            ),
            "SELECT a FROM t  WHERE x = $1 AND y = '?2' AND z IN ($1, $2)"
        );
        assert_eq!(
            to_postgres("UPDATE t SET \"desc\" = ?12"),
            "UPDATE t SET \"desc\" = $12"
        );
    }

    #[test]
    fn only_insert_update_delete_count_as_writes() {
        assert!(is_write("  insert into t values (1)"));
        assert!(is_write("DELETE FROM t RETURNING id"));
        assert!(!is_write("SELECT 1"));
        assert!(!is_write("WITH"));
    }
}
