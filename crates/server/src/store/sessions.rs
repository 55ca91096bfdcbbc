//! Sign-in: the password the admin may set for a user, and the sessions a sign-in opens. A
//! session token is a bearer credential like the user token, stored only as its hash, and
//! ends at its expiry, at sign-out, or when the user's token or password changes.

use super::db::{OptionalExtension, params};

use super::directory::{expect_one, user_row};
use super::model::User;
use super::record::Record;
use super::tx::Tx;
use super::{Store, StoreError};
use crate::secret::TokenHash;

impl Store {
    /// Sets (or with `None`, removes) a user's password hash. Every session of the user ends,
    /// and so do their live connections: whoever knew the old password is signed out.
    pub async fn set_user_password(
        &self,
        user_id: String,
        password_hash: Option<String>,
    ) -> Result<(), StoreError> {
        self.writer
            .write_tx(move |tx| {
                let conn = tx.conn();
                let n = conn
                    .prepare_cached("UPDATE users SET password_hash = ?2 WHERE id = ?1")?
                    .execute(params![user_id, password_hash])?;
                expect_one(n, "user", user_id.clone())?;
                end_credentials(tx, &user_id)
            })
            .await
    }

    /// The user and their password hash, when they have one.
    pub async fn user_password(
        &self,
        user_id: String,
    ) -> Result<Option<(User, String)>, StoreError> {
        self.readers
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(
                        "SELECT id, nickname, avatar_url, created_at, password_hash FROM users \
                         WHERE id = ?1 AND password_hash IS NOT NULL",
                    )?
                    .query_row([&user_id], |row| Ok((user_row(row)?, row.get(4)?)))
                    .optional()?)
            })
            .await
    }

    /// Opens a session for `user_id` until `expires_at` (epoch ms).
    pub async fn create_session(
        &self,
        user_id: String,
        token: TokenHash,
        created_at: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| {
                // Expired sessions are swept here, a few at a time, so the table never grows
                // without bound and no background task is needed.
                conn.prepare_cached(
                    "DELETE FROM user_sessions WHERE token_hash IN \
                     (SELECT token_hash FROM user_sessions WHERE expires_at <= ?1 LIMIT 16)",
                )?
                .execute([created_at])?;
                conn.prepare_cached(
                    "INSERT INTO user_sessions (token_hash, user_id, created_at, expires_at) \
                     VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![token.0, user_id, created_at, expires_at])?;
                Ok(())
            })
            .await
    }

    /// The user of an unexpired session.
    pub async fn user_by_session(
        &self,
        token: TokenHash,
        now: i64,
    ) -> Result<Option<User>, StoreError> {
        self.readers
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(
                        "SELECT u.id, u.nickname, u.avatar_url, u.created_at \
                         FROM user_sessions s JOIN users u ON u.id = s.user_id \
                         WHERE s.token_hash = ?1 AND s.expires_at > ?2",
                    )?
                    .query_row(params![token.0, now], user_row)
                    .optional()?)
            })
            .await
    }

    /// When the unexpired session of this token ends (epoch ms), if the token is a session's:
    /// a live socket opened with it closes then.
    pub async fn session_expiry(
        &self,
        token: TokenHash,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        self.readers
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(
                        "SELECT expires_at FROM user_sessions WHERE token_hash = ?1 AND expires_at > ?2",
                    )?
                    .query_row(params![token.0, now], |row| row.get(0))
                    .optional()?)
            })
            .await
    }

    /// Ends a session (sign-out), and the live sockets opened with its token. Returns
    /// whether there was one.
    pub async fn delete_session(&self, token: TokenHash) -> Result<bool, StoreError> {
        self.writer
            .write_tx(move |tx| {
                let conn = tx.conn();
                let user_id: Option<String> = conn
                    .prepare_cached("SELECT user_id FROM user_sessions WHERE token_hash = ?1")?
                    .query_row([token.0], |row| row.get(0))
                    .optional()?;
                let Some(user_id) = user_id else {
                    return Ok(false);
                };
                conn.prepare_cached("DELETE FROM user_sessions WHERE token_hash = ?1")?
                    .execute([token.0])?;
                tx.record(Record::UserClosed {
                    user_id,
                    session: Some(token.0),
                });
                Ok(true)
            })
            .await
    }
}

/// Ends every sign-in session of `user_id` and the live sockets opened with one of them or with
/// the user token as it is now (so a caller replacing the token calls this first).
///
/// One close per credential, never "every socket of the user": the close reaches the gateway
/// after the commit, possibly after the caller was answered, and a socket opened in between
/// with the new token (or a new sign-in) must not be taken for one of the old ones.
pub(super) fn end_credentials(tx: &mut Tx<'_>, user_id: &str) -> Result<(), StoreError> {
    let conn = tx.conn();
    let mut hashes: Vec<Vec<u8>> = conn
        .prepare_cached("SELECT token_hash FROM users WHERE id = ?1")?
        .query_row([user_id], |row| row.get(0))
        .optional()?
        .into_iter()
        .collect();
    let mut stmt =
        conn.prepare_cached("SELECT token_hash FROM user_sessions WHERE user_id = ?1")?;
    for hash in stmt.query_map([user_id], |row| row.get::<_, Vec<u8>>(0))? {
        hashes.push(hash?);
    }
    conn.prepare_cached("DELETE FROM user_sessions WHERE user_id = ?1")?
        .execute([user_id])?;
    for hash in hashes {
        let session = <[u8; 32]>::try_from(hash.as_slice())
            .map_err(|_| StoreError::Corrupt(format!("a token hash of user {user_id}")))?;
        tx.record(Record::UserClosed {
            user_id: user_id.to_owned(),
            session: Some(session),
        });
    }
    Ok(())
}
