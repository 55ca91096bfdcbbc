//! A blocking PostgreSQL client that can pipeline: tokio-postgres, driven by a small runtime of
//! its own, as the synchronous `postgres` crate drives it, plus [`PgClient::pipeline`].
//!
//! The synchronous client sends a statement and waits for its answer before the next, so a
//! transaction of several statements with parameters costs a round trip each. The writer's
//! commit of a batch of sends takes the cluster's write lock, reads what settles its numbers,
//! inserts its rows, takes the commit's number and commits, and must not hold the lock across
//! a round trip: it was one simple query, whose rows had to be spelled out as array literals
//! in the SQL text, built by the node and lexed by the server (~20 µs a request between them,
//! with two nodes; BENCHMARKS.md, issue 18). Pipelined, the same statements go in one round
//! trip as prepared statements with binary parameters.
//!
//! Like the synchronous client, it must never be called (or dropped) on an async runtime's
//! thread: its calls block on its own runtime.

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::Poll;

use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Error, Row, Statement};

use super::db::DbError;

/// The connection's task: reads the server's messages and writes the client's requests.
type ConnectionTask = Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>;

/// A connection to PostgreSQL, used synchronously.
pub struct PgClient {
    driver: Driver,
    client: Client,
}

/// What runs a [`PgClient`]'s calls: its runtime and its connection's task.
struct Driver {
    runtime: tokio::runtime::Runtime,
    /// `None` once it ended (the server closed it or the network broke): dropped then, so
    /// that every call after fails as closed instead of waiting for it.
    connection: Option<ConnectionTask>,
}

impl PgClient {
    /// Connects as `config` says (blocks until connected).
    pub fn connect(config: &tokio_postgres::Config) -> Result<Self, DbError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(DbError::Runtime)?;
        let (client, connection) = runtime.block_on(config.connect(tokio_postgres::NoTls))?;
        Ok(PgClient {
            driver: Driver {
                runtime,
                connection: Some(Box::pin(connection)),
            },
            client,
        })
    }

    /// Prepares `sql`.
    pub fn prepare(&mut self, sql: &str) -> Result<Statement, Error> {
        self.driver.block_on(self.client.prepare(sql))
    }

    /// Runs `statement`; returns how many rows it changed.
    pub fn execute(
        &mut self,
        statement: &Statement,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, Error> {
        self.driver.block_on(self.client.execute(statement, params))
    }

    /// Runs `statement`; returns its rows.
    pub fn query(
        &mut self,
        statement: &Statement,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, Error> {
        self.driver.block_on(self.client.query(statement, params))
    }

    /// Runs `sql`, any number of statements without parameters, as one simple query.
    pub fn batch_execute(&mut self, sql: &str) -> Result<(), Error> {
        self.driver.block_on(self.client.batch_execute(sql))
    }

    /// Runs `statements` (each prepared, with its parameters) one after the other, sent
    /// together in one round trip; returns each one's rows. If one fails, the first failure
    /// is returned; in a transaction, every statement after it fails too (a `COMMIT` after
    /// it rolls back), so nothing it would have written is kept.
    pub fn pipeline(
        &mut self,
        statements: &[(&Statement, &[&(dyn ToSql + Sync)])],
    ) -> Result<Vec<Vec<Row>>, Error> {
        let client = &self.client;
        let mut queries: Vec<_> = statements
            .iter()
            .map(|(statement, params)| Box::pin(client.query(*statement, params)))
            .collect();
        let mut answers: Vec<Option<Result<Vec<Row>, Error>>> =
            statements.iter().map(|_| None).collect();
        self.driver.block_on(poll_fn(|cx| {
            // Polled in order: a query sends its request when first polled, so they are
            // written (and run) in this order. (`join_all` would poll them too, but does not
            // promise the order.)
            let mut pending = false;
            for (query, answer) in queries.iter_mut().zip(answers.iter_mut()) {
                if answer.is_none() {
                    match query.as_mut().poll(cx) {
                        Poll::Ready(done) => *answer = Some(done),
                        Poll::Pending => pending = true,
                    }
                }
            }
            if pending {
                Poll::Pending
            } else {
                Poll::Ready(Ok(()))
            }
        }))?;
        answers.into_iter().flatten().collect()
    }

    /// Whether the connection has ended.
    pub fn is_closed(&self) -> bool {
        self.driver.connection.is_none() || self.client.is_closed()
    }
}

impl Driver {
    /// Runs `future` to its end, the connection's task with it (in the same thread: the
    /// requests `future` makes are written, and their answers read, while it waits).
    fn block_on<T>(&mut self, future: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
        let connection = &mut self.connection;
        let mut future = pin!(future);
        self.runtime.block_on(poll_fn(|cx| {
            if let Some(task) = connection
                && let Poll::Ready(ended) = task.as_mut().poll(cx)
            {
                // Dropping the task drops its end of the requests' channel: the future's
                // requests then fail as closed.
                *connection = None;
                ended?;
            }
            future.as_mut().poll(cx)
        }))
    }
}
