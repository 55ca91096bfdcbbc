//! Uploads and media in messages: streaming an upload to staging while counting and hashing
//! it, storing it under its content hash, and filling the media fields of a message that
//! names an upload by key (wire §6.6, §6.7, §7.3).

use std::path::Path;
use std::sync::Arc;

use cloudlake_protocol::{ApiError, Content, ContentType, OutgoingMessage, UploadKind};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tempfile::TempPath;
use tokio::io::AsyncWriteExt;

use super::ServiceError;
use super::outgoing::outgoing;
use crate::clock::now_ms;
use crate::media::{
    BlobLocation, BlobStore, MediaUrls, cdn_urls_in, hex, is_media_key, media_key_of, media_path,
    probe,
};
use crate::store::{MediaOwner, MediaRecord, Outgoing, Store, StoreError};

/// The longest file name kept, in characters.
const MAX_NAME_CHARS: usize = 255;

/// The upload and media service.
#[derive(Clone)]
pub struct Media {
    store: Store,
    blobs: Arc<dyn BlobStore>,
    urls: MediaUrls,
}

/// An upload being received: bytes go to a staging file as they arrive, counted against the
/// kind's limit and hashed on the way. Dropping it deletes the staging file.
pub struct Staging {
    kind: UploadKind,
    file: tokio::fs::File,
    path: TempPath,
    hasher: Sha256,
    size: u64,
}

/// A served blob: where it is and how to label it.
#[derive(Debug, Clone)]
pub struct ServedMedia {
    /// Where the bytes are.
    pub location: BlobLocation,
    /// The upload's record.
    pub record: MediaRecord,
}

impl Media {
    /// A service over `store` keeping bytes in `blobs`, handing bots URLs made by `urls`.
    pub fn new(store: Store, blobs: Arc<dyn BlobStore>, urls: MediaUrls) -> Self {
        Media { store, blobs, urls }
    }

    /// How media URLs are made and checked for bots.
    pub fn urls(&self) -> &MediaUrls {
        &self.urls
    }

    /// Starts receiving an upload of `kind`.
    pub async fn stage(&self, kind: UploadKind) -> Result<Staging, ServiceError> {
        let dir = self.blobs.staging_dir().to_owned();
        let (file, path) = blocking(move || {
            tempfile::Builder::new()
                .prefix("upload-")
                .tempfile_in(dir)
                .map(tempfile::NamedTempFile::into_parts)
        })
        .await?;
        Ok(Staging {
            kind,
            file: tokio::fs::File::from_std(file),
            path,
            hasher: Sha256::new(),
            size: 0,
        })
    }

    /// Stores a fully received upload for `owner` and returns its record. `name` and
    /// `declared_mime` are what the client said; neither is trusted for images, whose type
    /// comes from their bytes.
    pub async fn finish(
        &self,
        staging: Staging,
        owner: MediaOwner,
        name: Option<&str>,
        declared_mime: Option<&str>,
    ) -> Result<MediaRecord, ServiceError> {
        let Staging {
            kind,
            mut file,
            path,
            hasher,
            size,
        } = staging;
        if size == 0 {
            return Err(ApiError::upload_failed(kind).into());
        }
        file.flush().await.map_err(StoreError::Io)?;
        // The bytes are on disk before the key is handed out: nothing is acknowledged before
        // it is durable.
        file.sync_all().await.map_err(StoreError::Io)?;
        drop(file);
        let key = hex(&hasher.finalize());
        let name = name.map(clean_name).unwrap_or_default();
        let Facts {
            mime,
            width,
            height,
            duration,
        } = {
            let path = path.to_path_buf();
            let declared = declared_mime.and_then(clean_mime);
            blocking(move || Ok(describe(kind, &path, declared)))
                .await?
                .ok_or_else(|| ApiError::upload_failed(kind))?
        };
        let stored = self.blobs.put(&key, &path).await;
        // Whether the blob was moved, sent or already there, the staging file must go.
        drop(path);
        stored.map_err(StoreError::Io)?;
        let record = MediaRecord {
            key,
            owner,
            kind,
            size,
            name,
            mime,
            width,
            height,
            duration,
            created_at: now_ms(),
        };
        self.store.record_media(record.clone()).await?;
        Ok(record)
    }

    /// The blob and record behind `/media/{key}`, if there is such an upload.
    pub async fn serve(&self, key: &str) -> Result<Option<ServedMedia>, ServiceError> {
        if !is_media_key(key) {
            return Ok(None);
        }
        let Some(record) = self.store.media_by_key(key.to_owned()).await? else {
            return Ok(None);
        };
        let location = self.blobs.locate(key).await.map_err(StoreError::Io)?;
        Ok(location.map(|location| ServedMedia { location, record }))
    }
}

impl Staging {
    /// Appends a chunk. Past the kind's limit, the upload is refused at once: nothing more is
    /// written and the staging file goes when `self` is dropped.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), ServiceError> {
        self.size += chunk.len() as u64;
        if self.size > self.kind.max_bytes() {
            return Err(ApiError::upload_too_large(self.kind).into());
        }
        self.hasher.update(chunk);
        self.file.write_all(chunk).await.map_err(StoreError::Io)?;
        Ok(())
    }

    /// What is being uploaded.
    pub fn kind(&self) -> UploadKind {
        self.kind
    }
}

/// The stored form of a message from `owner`, with the media fields of any upload key filled
/// in (see [`resolve_media`]). Every send and edit, by a bot or a user, passes through this.
pub(crate) async fn outgoing_with_media(
    store: &Store,
    owner: &MediaOwner,
    mut message: OutgoingMessage,
) -> Result<Outgoing, ServiceError> {
    let media_keys =
        resolve_media(store, owner, message.content_type, &mut message.content).await?;
    let mut stored = outgoing(message).await?;
    stored.media_keys = media_keys;
    Ok(stored)
}

/// Fills in the media fields of a message that names an upload: by key (`imageKey`,
/// `fileKey`, `videoKey`; `KEY.EXT` too), or in the legacy shapes by address (`imageUrl`,
/// `fileUrl`, `videoUrl`: this server's `/media/KEY`, signed or not, or a Yunhu CDN URL built
/// from the key). For the message's own kind it sets `imageUrl`, `imageName`, `imageWidth`,
/// `imageHeight`; `fileName`, `fileUrl`, `fileSize`; `videoUrl`, `videoDuration`; and `etag`
/// (the key). Every upload named must be one `owner` may send (see
/// [`Store::sendable_media`]), else 1002: knowing a key is not enough. Addresses that name no
/// upload here (someone else's URL) pass unchanged. Returns the keys of the uploads named.
async fn resolve_media(
    store: &Store,
    owner: &MediaOwner,
    content_type: ContentType,
    content: &mut Content,
) -> Result<Vec<String>, ServiceError> {
    let mut keys = Vec::new();
    let own = match content_type {
        ContentType::Image => Some((
            UploadKind::Image,
            content.image_key.clone(),
            &content.image_url,
        )),
        ContentType::File => Some((
            UploadKind::File,
            content.file_key.clone(),
            &content.file_url,
        )),
        ContentType::Video => Some((
            UploadKind::Video,
            content.video_key.clone(),
            &content.video_url,
        )),
        _ => None,
    };
    let own = own.and_then(|(kind, key, url)| {
        let key = match key {
            Some(key) => media_key_of(&key).map_or_else(|| key.trim().to_owned(), str::to_owned),
            None => media_key_of(url.as_deref()?)?.to_owned(),
        };
        Some((kind, key))
    });
    if let Some((kind, key)) = own {
        let record = sendable(store, owner, key, kind).await?;
        fill_fields(kind, &record, content);
        keys.push(record.key);
    }
    // Addresses in the other fields (a text message carrying an `imageUrl`): the same rule,
    // or a bot could have this server sign a URL of anyone's upload for it.
    for (kind, url) in [
        (UploadKind::Image, &mut content.image_url),
        (UploadKind::File, &mut content.file_url),
        (UploadKind::Video, &mut content.video_url),
    ] {
        let Some(key) = url.as_deref().and_then(media_key_of).map(str::to_owned) else {
            continue;
        };
        if keys.contains(&key) {
            continue;
        }
        let record = sendable(store, owner, key, kind).await?;
        *url = Some(media_path(&record.key));
        keys.push(record.key);
    }
    if matches!(content_type, ContentType::Markdown | ContentType::Html)
        && let Some(text) = content.text.as_mut()
    {
        show_cdn_urls_from_here(store, owner, text, &mut keys).await?;
    }
    Ok(keys)
}

/// nonebot and Koishi send text beside an image as markdown or html with a Yunhu CDN URL
/// built from the upload key (wire §1). Where the key is an upload `owner` may send, the URL
/// becomes this server's `/media/KEY`, so the people who may see the message see the image.
/// Other CDN URLs stay as written (an image only Yunhu could serve): text is not refused for
/// naming one, since it may be a real Yunhu image.
async fn show_cdn_urls_from_here(
    store: &Store,
    owner: &MediaOwner,
    text: &mut String,
    keys: &mut Vec<String>,
) -> Result<(), ServiceError> {
    let found = cdn_urls_in(text);
    if found.is_empty() {
        return Ok(());
    }
    // Each distinct key is looked up once, and only the first few: a text of thousands of
    // such URLs costs no more reads than a real message does.
    const MOST_KEYS: usize = 16;
    let mut sendable: std::collections::HashMap<&str, bool> = std::collections::HashMap::new();
    let mut rewritten = String::with_capacity(text.len());
    let mut copied = 0;
    for (range, key) in found {
        let ok = match sendable.get(key) {
            Some(ok) => *ok,
            None if sendable.len() >= MOST_KEYS => false,
            None => {
                let ok = store
                    .sendable_media(key.to_owned(), owner.clone(), UploadKind::Image)
                    .await?
                    .is_some();
                sendable.insert(key, ok);
                ok
            }
        };
        if !ok {
            continue;
        }
        rewritten.push_str(&text[copied..range.start]);
        rewritten.push_str(&media_path(key));
        copied = range.end;
        if !keys.iter().any(|k| k == key) {
            keys.push(key.to_owned());
        }
    }
    rewritten.push_str(&text[copied..]);
    *text = rewritten;
    Ok(())
}

async fn sendable(
    store: &Store,
    owner: &MediaOwner,
    key: String,
    kind: UploadKind,
) -> Result<MediaRecord, ServiceError> {
    Ok(store
        .sendable_media(key, owner.clone(), kind)
        .await?
        .ok_or_else(|| ApiError::media_key_unknown(kind))?)
}

/// The media fields of content of `kind` carrying the upload `record`.
fn fill_fields(kind: UploadKind, record: &MediaRecord, content: &mut Content) {
    let url = media_path(&record.key);
    match kind {
        UploadKind::Image => {
            content.image_name = Some(format!("{}.{}", record.key, ext_of(record)));
            content.image_url = Some(url);
            content.image_width = Some(record.width.unwrap_or(0));
            content.image_height = Some(record.height.unwrap_or(0));
        }
        UploadKind::File => {
            content.file_name = Some(if record.name.is_empty() {
                record.key.clone()
            } else {
                record.name.clone()
            });
            content.file_url = Some(url);
            content.file_size = Some(record.size);
        }
        UploadKind::Video => {
            content.video_url = Some(url);
            // 0 when the container's duration could not be read (not MP4/MOV).
            content.video_duration = Some(record.duration.unwrap_or(0));
        }
    }
    content
        .extra
        .insert("etag".to_owned(), Value::String(record.key.clone()));
}

/// What is read from an upload's bytes.
#[derive(Default)]
struct Facts {
    mime: String,
    width: Option<u32>,
    height: Option<u32>,
    duration: Option<u64>,
}

/// The served type and the facts of an upload, or `None` when an image is not one.
fn describe(kind: UploadKind, path: &Path, declared: Option<String>) -> Option<Facts> {
    match kind {
        UploadKind::Image => {
            let info = probe::image(path)?;
            Some(Facts {
                mime: info.mime.to_owned(),
                width: Some(info.width),
                height: Some(info.height),
                duration: None,
            })
        }
        UploadKind::Video => Some(Facts {
            mime: declared
                .filter(|m| m.starts_with("video/"))
                .unwrap_or_else(|| "video/mp4".to_owned()),
            duration: probe::video_duration(path),
            ..Facts::default()
        }),
        UploadKind::File => Some(Facts {
            mime: declared.unwrap_or_else(|| "application/octet-stream".to_owned()),
            ..Facts::default()
        }),
    }
}

/// The extension for an image's `imageName`: from its served type.
fn ext_of(record: &MediaRecord) -> &'static str {
    match record.mime.as_str() {
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "image/bmp" => "bmp",
        "image/x-icon" => "ico",
        "image/tiff" => "tiff",
        "image/heif" => "heic",
        _ => "jpg",
    }
}

/// The last path component of a client's file name (some send a full path), without
/// control characters, at most [`MAX_NAME_CHARS`] characters.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME_CHARS)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// A declared media type reduced to `type/subtype`, or `None` if it is not one.
fn clean_mime(mime: &str) -> Option<String> {
    let essence = mime.split(';').next()?.trim().to_ascii_lowercase();
    let (top, sub) = essence.split_once('/')?;
    let token = |s: &str| {
        !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    (token(top) && token(sub)).then_some(essence)
}

/// Runs blocking file work off the async threads.
async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<R> + Send + 'static,
) -> Result<R, ServiceError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| StoreError::TaskPanicked)?
        .map_err(|e| StoreError::Io(e).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_their_directories_and_control_characters() {
        assert_eq!(clean_name("C:\\Users\\me\\a.png"), "a.png");
        assert_eq!(clean_name("../../x\n.txt"), "x.txt");
        assert_eq!(clean_name("报告.pdf"), "报告.pdf");
    }

    #[test]
    fn mime_types_are_reduced_to_their_essence() {
        assert_eq!(clean_mime("Video/MP4; codecs=x"), Some("video/mp4".into()));
        assert_eq!(clean_mime("text/html\r\nX: y"), None);
        assert_eq!(clean_mime("nonsense"), None);
    }
}
