//! Keys the server makes for itself and keeps in the database, so that every node and every
//! restart agrees on them (today: the key that signs media URLs handed to bots).

use super::db::OptionalExtension;

use super::{Store, StoreError};

impl Store {
    /// The key named `name`, made from `fresh` and stored the first time it is asked for.
    pub async fn server_key(
        &self,
        name: &'static str,
        fresh: [u8; 32],
    ) -> Result<[u8; 32], StoreError> {
        self.writer
            .write(move |conn| {
                conn.prepare_cached(
                    "INSERT INTO server_keys (name, key) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                )?
                .execute(super::db::params![name, fresh.as_slice()])?;
                let key: Option<Vec<u8>> = conn
                    .prepare_cached("SELECT key FROM server_keys WHERE name = ?1")?
                    .query_row([name], |row| row.get(0))
                    .optional()?;
                key.and_then(|k| <[u8; 32]>::try_from(k.as_slice()).ok())
                    .ok_or_else(|| StoreError::Corrupt(format!("server key {name}")))
            })
            .await
    }
}
