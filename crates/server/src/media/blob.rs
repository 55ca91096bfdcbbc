//! Content-addressed blob storage: in the data directory ([`FsBlobStore`], the default) or in
//! an S3-compatible bucket ([`super::s3::S3BlobStore`]), behind the [`BlobStore`] trait.

use std::io;
use std::path::{Path, PathBuf};

use futures_util::future::BoxFuture;

use super::is_media_key;

/// Where a blob can be read from.
#[derive(Debug, Clone)]
pub enum BlobLocation {
    /// A file on local disk, served with Range support.
    LocalFile(PathBuf),
    /// An object in an object store, fetched (and streamed on) by the server.
    Remote(RemoteBlob),
}

/// An object to fetch: a URL signed for one `GET`, and the client to send it with.
#[derive(Debug, Clone)]
pub struct RemoteBlob {
    /// The signed URL (it carries a signature: never log it).
    pub(super) url: reqwest::Url,
    /// The object store's client.
    pub(super) client: reqwest::Client,
}

/// Creates the staging directory in the media directory `media_dir` (`media/tmp`), emptied
/// of a previous run's leftovers (a crash mid-upload).
pub(super) fn fresh_staging(media_dir: &Path) -> io::Result<PathBuf> {
    let dir = media_dir.join("tmp");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Stores blobs by key. Storing and locating are async: one store is the file system (its
/// work goes to blocking threads), another the network.
pub trait BlobStore: Send + Sync + 'static {
    /// A local directory where uploads are streamed before their key is known.
    fn staging_dir(&self) -> &Path;

    /// Stores the staged file `staged` under `key`. The same key always means the same bytes,
    /// so a key already stored is left as it is. The caller removes `staged` if it is still
    /// there afterwards.
    fn put<'a>(&'a self, key: &'a str, staged: &'a Path) -> BoxFuture<'a, io::Result<()>>;

    /// Where the blob `key` is, or `None` when there is no such blob.
    fn locate<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<Option<BlobLocation>>>;
}

/// Blobs as files under `DATA_DIR/media/`, fanned out by the key's first two byte pairs
/// (`media/ab/cd/abcd…`) so that no directory grows huge.
#[derive(Debug, Clone)]
pub struct FsBlobStore {
    root: PathBuf,
    staging: PathBuf,
}

impl FsBlobStore {
    /// Opens (creating if needed) the blob directory `root` and its staging directory. A
    /// previous run's leftovers in staging (a crash mid-upload) are removed.
    pub fn open(root: impl Into<PathBuf>) -> io::Result<Self> {
        let root = root.into();
        let staging = fresh_staging(&root)?;
        Ok(FsBlobStore { root, staging })
    }

    fn path_of(&self, key: &str) -> Option<PathBuf> {
        if !is_media_key(key) {
            return None;
        }
        Some(self.root.join(&key[0..2]).join(&key[2..4]).join(key))
    }
}

impl BlobStore for FsBlobStore {
    fn staging_dir(&self) -> &Path {
        &self.staging
    }

    fn put<'a>(&'a self, key: &'a str, staged: &'a Path) -> BoxFuture<'a, io::Result<()>> {
        let path = self.path_of(key);
        let staged = staged.to_owned();
        Box::pin(async move {
            let path =
                path.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a media key"))?;
            tokio::task::spawn_blocking(move || move_into_place(&staged, &path))
                .await
                .map_err(io::Error::other)?
        })
    }

    fn locate<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<Option<BlobLocation>>> {
        let path = self.path_of(key);
        Box::pin(async move {
            let Some(path) = path else {
                return Ok(None);
            };
            Ok(match tokio::fs::metadata(&path).await {
                Ok(meta) if meta.is_file() => Some(BlobLocation::LocalFile(path)),
                _ => None,
            })
        })
    }
}

/// Moves a staged file to `path`, unless a blob is there already.
fn move_into_place(staged: &Path, path: &Path) -> io::Result<()> {
    if path.exists() {
        return Ok(());
    }
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::other("a blob path has no parent"))?;
    std::fs::create_dir_all(dir)?;
    // Staging is in the same file system, so this is an atomic rename: a blob file is
    // always complete. The directory is synced so the new name survives a power cut.
    std::fs::rename(staged, path)?;
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_are_not_hex_never_become_paths() {
        let dir = tempfile::tempdir().ok();
        let Some(dir) = dir else { return };
        let Ok(store) = FsBlobStore::open(dir.path().join("media")) else {
            panic!("open")
        };
        for bad in [
            "../../etc/passwd",
            "",
            "AB",
            &"g".repeat(64),
            &"A".repeat(64),
        ] {
            assert!(store.path_of(bad).is_none(), "{bad}");
        }
        assert!(store.path_of(&"a".repeat(64)).is_some());
    }
}
