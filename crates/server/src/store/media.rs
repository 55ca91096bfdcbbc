//! Uploaded media: one row per upload of some bytes by a bot or a user as a kind (image,
//! video, file), and which chats carry each upload. The bytes themselves live in a
//! [`crate::media::BlobStore`]; this is only what is known about them.

use super::db::{Connection, OptionalExtension, Row, params};
use cloudlake_protocol::UploadKind;

use super::user_side::USER_CHAT_KEYS;
use super::{Store, StoreError};

/// Who uploaded something, and so may send it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MediaOwner {
    /// A bot, through the bot API's upload endpoints.
    Bot(String),
    /// A user, through the user API.
    User(String),
}

impl MediaOwner {
    fn parts(&self) -> (&'static str, &str) {
        match self {
            MediaOwner::Bot(id) => ("bot", id),
            MediaOwner::User(id) => ("user", id),
        }
    }
}

/// Who asks to fetch an upload's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    /// A signed-in user: sees what they uploaded and what is in the chats they are in.
    User(String),
    /// A bot: sees what it uploaded and what is in its groups and private chats.
    Bot(String),
}

/// What is known about an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRecord {
    /// The key handed to the bot: the SHA-256 of the bytes, 64 lowercase hex characters.
    pub key: String,
    /// Who uploaded it, and the only one that may send it.
    pub owner: MediaOwner,
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
    "media_key, owner_type, owner_id, kind, size, name, mime, width, height, duration, created_at";

impl Store {
    /// Records an upload. Uploading the same bytes again as the same kind refreshes the name
    /// and type the client gave; the key stays the same.
    pub async fn record_media(&self, media: MediaRecord) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| {
                let (owner_type, owner_id) = media.owner.parts();
                conn.prepare_cached(&format!(
                    "INSERT INTO media ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
                     ON CONFLICT (media_key, owner_type, owner_id, kind) DO UPDATE SET \
                       name = excluded.name, mime = excluded.mime, created_at = excluded.created_at"
                ))?
                .execute(params![
                    media.key,
                    owner_type,
                    owner_id,
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

    /// The upload `key` as `kind`, if `sender` may send it: they uploaded it, or a message in
    /// a chat they are in carries it (a bot echoing an image it received; wire §7.3 gives
    /// bots `imageName`, from which nonebot derives the `imageKey` it sends back). Someone's
    /// upload that never reached the sender's chats stays out of reach, whatever they know
    /// of its key. The sender's own record is preferred, then the earliest.
    pub async fn sendable_media(
        &self,
        key: String,
        sender: MediaOwner,
        kind: UploadKind,
    ) -> Result<Option<MediaRecord>, StoreError> {
        self.readers
            .read(move |conn| {
                let (owner_type, owner_id) = sender.parts();
                let visible = visible_to(owner_type);
                conn.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM media WHERE media_key = ?2 AND kind = ?3 AND {visible} \
                     ORDER BY CASE WHEN owner_type = '{owner_type}' AND owner_id = ?1 THEN 0 ELSE 1 END, \
                       created_at, owner_type, owner_id LIMIT 1"
                ))?
                .query_row(params![owner_id, key, kind.as_str()], media_row)
                .optional()?
                .transpose()
            })
            .await
    }

    /// Whether `viewer` may fetch the upload `key`: they uploaded it, or a message in a chat
    /// they are in carries it.
    pub async fn may_view_media(&self, key: String, viewer: Viewer) -> Result<bool, StoreError> {
        self.readers
            .read(move |conn| {
                let (owner_type, id) = match &viewer {
                    Viewer::User(id) => ("user", id),
                    Viewer::Bot(id) => ("bot", id),
                };
                let visible = visible_to(owner_type);
                Ok(conn
                    .prepare_cached(&format!("SELECT {visible}"))?
                    .query_row(params![id, key], |row| row.get(0))?)
            })
            .await
    }

    /// Any record of `key`, to serve its bytes: the earliest upload decides the served type.
    pub async fn media_by_key(&self, key: String) -> Result<Option<MediaRecord>, StoreError> {
        self.readers
            .read(move |conn| {
                conn.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM media WHERE media_key = ?1 \
                     ORDER BY created_at, owner_type, owner_id, kind LIMIT 1"
                ))?
                .query_row([&key], media_row)
                .optional()?
                .transpose()
            })
            .await
    }
}

/// The SQL condition that `?1` (a user's ID for `"user"`, a bot's for `"bot"`) may see the
/// upload `?2`: they uploaded it, or a message in a chat they are in carries it.
fn visible_to(owner_type: &'static str) -> String {
    let chats = if owner_type == "user" {
        USER_CHAT_KEYS
    } else {
        BOT_CHAT_KEYS
    };
    format!(
        "(EXISTS (SELECT 1 FROM media \
                  WHERE media_key = ?2 AND owner_type = '{owner_type}' AND owner_id = ?1) \
          OR EXISTS (SELECT 1 FROM message_media WHERE media_key = ?2 AND chat_key IN ({chats})))"
    )
}

/// The chat keys a bot is in, for `?1` = the bot's ID: its groups, and its private chats
/// (`p:<botId>:<userId>`, matched by prefix).
const BOT_CHAT_KEYS: &str = "SELECT 'g:' || group_id FROM group_bots WHERE bot_id = ?1 \
     UNION ALL SELECT chat_key FROM message_media \
       WHERE media_key = ?2 \
       AND substr(chat_key, 1, length(CAST(?1 AS TEXT)) + 3) = 'p:' || CAST(?1 AS TEXT) || ':'";

/// Notes that a message in `chat_key` carries the uploads `media_keys`: from now on everyone
/// in that chat may fetch them. Runs in the transaction that stores the message.
pub(crate) fn note_media_in_chat(
    conn: &Connection,
    media_keys: &[String],
    chat_key: &str,
) -> Result<(), StoreError> {
    for media_key in media_keys {
        conn.prepare_cached(
            "INSERT INTO message_media (media_key, chat_key) VALUES (?1, ?2) \
             ON CONFLICT DO NOTHING",
        )?
        .execute([media_key.as_str(), chat_key])?;
    }
    Ok(())
}

fn media_row(row: &Row<'_>) -> super::db::Result<Result<MediaRecord, StoreError>> {
    let owner_type: String = row.get(1)?;
    let owner_id: String = row.get(2)?;
    let owner = match owner_type.as_str() {
        "bot" => MediaOwner::Bot(owner_id),
        "user" => MediaOwner::User(owner_id),
        other => return Ok(Err(StoreError::Corrupt(format!("media owner {other:?}")))),
    };
    let kind: String = row.get(3)?;
    let Some(kind) = UploadKind::from_wire(&kind) else {
        return Ok(Err(StoreError::Corrupt(format!("media kind {kind:?}"))));
    };
    let size: i64 = row.get(4)?;
    let duration: Option<i64> = row.get(9)?;
    Ok(Ok(MediaRecord {
        key: row.get(0)?,
        owner,
        kind,
        size: u64::try_from(size).unwrap_or(0),
        name: row.get(5)?,
        mime: row.get(6)?,
        width: row.get(7)?,
        height: row.get(8)?,
        duration: duration.and_then(|d| u64::try_from(d).ok()),
        created_at: row.get(10)?,
    }))
}
