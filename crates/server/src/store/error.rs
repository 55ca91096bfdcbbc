//! The storage layer's one error type.

/// What can go wrong in the store. Business outcomes (not a friend, not in the group) are not
/// errors here: they come back as values, so that a batch can fail per recipient.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database (SQLite or PostgreSQL) reported an error.
    #[error(transparent)]
    Database(#[from] super::db::DbError),
    /// The transaction a write belonged to failed to commit; the write did not happen.
    #[error("commit failed: {0}")]
    CommitFailed(String),
    /// The write was not carried out: the writer is shutting down, or could not open a
    /// transaction for it (the writer logs why). Nothing of it was stored.
    #[error("the write was not carried out (see the writer's log)")]
    WriteAborted,
    /// A blocking storage task panicked.
    #[error("a storage task panicked")]
    TaskPanicked,
    /// A row that must be unique already exists.
    #[error("{kind} {id} already exists")]
    Conflict {
        /// What kind of row: "user", "group", "bot".
        kind: &'static str,
        /// Its ID.
        id: String,
    },
    /// A row the operation needs does not exist.
    #[error("{kind} {id} not found")]
    NotFound {
        /// What kind of row: "user", "group", "bot", "membership", "follow".
        kind: &'static str,
        /// Its ID.
        id: String,
    },
    /// A stored value could not be decoded (a bug or a damaged database).
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// Something this code made could not be used: a value that does not encode, an invariant
    /// that did not hold. A bug, not the state of the database.
    #[error("internal error: {0}")]
    Internal(String),
    /// The data directory or database file could not be prepared.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(e.into())
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        StoreError::Database(e.into())
    }
}

impl StoreError {
    pub(crate) fn not_found(kind: &'static str, id: impl Into<String>) -> Self {
        StoreError::NotFound {
            kind,
            id: id.into(),
        }
    }
}
