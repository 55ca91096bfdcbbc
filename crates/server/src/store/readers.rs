//! A small pool of read-only connections. In WAL mode readers never block the writer nor each
//! other, so history and lookups run beside the group-commit writer.

use std::sync::{Arc, Mutex};

use tokio::sync::Semaphore;

use super::db::Connection;
use super::{Connect, StoreError};

/// Read-only connections, each used by one blocking task at a time.
#[derive(Clone)]
pub(crate) struct Readers {
    inner: Arc<Pool>,
}

struct Pool {
    idle: Mutex<Vec<Connection>>,
    /// How to replace a broken connection (PostgreSQL).
    reconnect: Option<Connect>,
    // One permit per idle connection: a permit in hand guarantees a connection to pop.
    permits: Semaphore,
}

impl Readers {
    pub(crate) fn new(connections: Vec<Connection>, reconnect: Option<Connect>) -> Self {
        let permits = Semaphore::new(connections.len());
        Readers {
            inner: Arc::new(Pool {
                idle: Mutex::new(connections),
                reconnect,
                permits,
            }),
        }
    }

    /// Like [`Readers::read`], with every statement of `f` reading one snapshot: a read
    /// transaction (on PostgreSQL `REPEATABLE READ`). Without one each statement sees the
    /// commits made up to its own start, so a read of several statements can mix states: a
    /// chat list whose unread count was read before a message and whose last message after
    /// it, which a client then takes as counted (its live frame is no newer than the list).
    pub(crate) async fn read_snapshot<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: Fn(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        self.read(move |conn| {
            // On SQLite the snapshot is taken by the first read after `BEGIN`, on PostgreSQL
            // by the first statement after it.
            conn.execute_batch(if conn.is_postgres() {
                "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"
            } else {
                "BEGIN"
            })?;
            let result = f(conn);
            // Nothing to commit, and it must end even after an error.
            let ended = conn.execute_batch("ROLLBACK");
            let result = result?;
            ended?;
            Ok(result)
        })
        .await
    }

    /// Runs `f` on a read connection in a blocking task; once more on a fresh connection if
    /// it failed because the connection had died (PostgreSQL).
    pub(crate) async fn read<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: Fn(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::WriteAborted)?;
        let conn = self
            .inner
            .idle
            .lock()
            .map_err(|_| StoreError::TaskPanicked)?
            .pop()
            .ok_or(StoreError::TaskPanicked)?;
        let reconnect = self.inner.reconnect.clone();
        let joined = tokio::task::spawn_blocking(move || {
            let mut conn = conn;
            if conn.is_broken()
                && let Some(connect) = &reconnect
            {
                match connect() {
                    Ok(fresh) => conn = fresh,
                    // The broken one goes back to the pool, to be retried by the next read.
                    Err(e) => return (conn, Err(e)),
                }
            }
            let mut result = f(&conn);
            if result.is_err()
                && conn.is_broken()
                && let Some(connect) = &reconnect
                && let Ok(fresh) = connect()
            {
                // The connection had died unnoticed (the database restarted, say): a read
                // changes nothing, so it runs again on a fresh one rather than failing.
                conn = fresh;
                result = f(&conn);
            }
            (conn, result)
        })
        .await;
        match joined {
            Ok((conn, result)) => {
                if let Ok(mut idle) = self.inner.idle.lock() {
                    idle.push(conn);
                }
                drop(permit);
                result
            }
            Err(_) => {
                // The connection died with the task: retire its permit so the count stays true.
                permit.forget();
                Err(StoreError::TaskPanicked)
            }
        }
    }
}
