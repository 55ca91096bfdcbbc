//! Uploaded media: one row per upload of some bytes by a bot as a kind (image, video, file).
//! The bytes themselves live in a [`crate::media::BlobStore`]; this is only what is known
//! about them.

use cloudlake_protocol::UploadKind;
use rusqlite::{OptionalExtension, Row, params};

use super::{Store, StoreError};

/// What is known about an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRecord {
    /// The key handed to the bot: the SHA-256 of the bytes, 64 lowercase hex characters.
    pub key: String,
    /// The bot that uploaded it, and the only one that may send it.
    pub bot_id: String,
    /// What it was uploaded as.
    pub kind: UploadKind,
    /// Its length in bytes.
    pub size: u64,
    /// The file name the client gave, `""` when none.
    pub name: String,
    /// Its media type, as served.
    pub mime: String,
    /// An image's width in pixels.
    pub width: Option<u32>,
    /// An image's height in pixels.
    pub height: Option<u32>,
    /// A video's length in seconds, when it could be read.
    pub duration: Option<u64>,
    /// Upload time, epoch ms.
    pub created_at: i64,
}

const COLUMNS: &str =
    "media_key, bot_id, kind, size, name, mime, width, height, duration, created_at";

impl Store {
    /// Records an upload. Uploading the same bytes again as the same kind refreshes the name
    /// and type the client gave; the key stays the same.
    pub async fn record_media(&self, media: MediaRecord) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| {
                conn.prepare_cached(&format!(
                    "INSERT INTO media ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
                     ON CONFLICT (media_key, bot_id, kind) DO UPDATE SET \
                       name = excluded.name, mime = excluded.mime, created_at = excluded.created_at"
                ))?
                .execute(params![
                    media.key,
                    media.bot_id,
                    media.kind.as_str(),
                    i64::try_from(media.size).unwrap_or(i64::MAX),
                    media.name,
                    media.mime,
                    media.width,
                    media.height,
                    media.duration.map(|d| i64::try_from(d).unwrap_or(i64::MAX)),
                    media.created_at,
                ])?;
                Ok(())
            })
            .await
    }

    /// The upload `key` of `kind` by `bot_id`, if that bot uploaded it as that kind.
    pub async fn media_of_bot(
        &self,
        key: String,
        bot_id: String,
        kind: UploadKind,
    ) -> Result<Option<MediaRecord>, StoreError> {
        self.readers
            .read(move |conn| {
                conn.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM media WHERE media_key = ?1 AND bot_id = ?2 AND kind = ?3"
                ))?
                .query_row(params![key, bot_id, kind.as_str()], media_row)
                .optional()?
                .transpose()
            })
            .await
    }

    /// Any record of `key`, to serve its bytes: the earliest upload decides the served type.
    pub async fn media_by_key(&self, key: String) -> Result<Option<MediaRecord>, StoreError> {
        self.readers
            .read(move |conn| {
                conn.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM media WHERE media_key = ?1 \
                     ORDER BY created_at, bot_id, kind LIMIT 1"
                ))?
                .query_row([key], media_row)
                .optional()?
                .transpose()
            })
            .await
    }
}

fn media_row(row: &Row<'_>) -> rusqlite::Result<Result<MediaRecord, StoreError>> {
    let kind: String = row.get(2)?;
    let Some(kind) = UploadKind::from_wire(&kind) else {
        return Ok(Err(StoreError::Corrupt(format!("media kind {kind:?}"))));
    };
    let size: i64 = row.get(3)?;
    let duration: Option<i64> = row.get(8)?;
    Ok(Ok(MediaRecord {
        key: row.get(0)?,
        bot_id: row.get(1)?,
        kind,
        size: u64::try_from(size).unwrap_or(0),
        name: row.get(4)?,
        mime: row.get(5)?,
        width: row.get(6)?,
        height: row.get(7)?,
        duration: duration.and_then(|d| u64::try_from(d).ok()),
        created_at: row.get(9)?,
    }))
}
