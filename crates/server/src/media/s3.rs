//! Blobs in an S3-compatible object store (`--media-s3-bucket`), so that the nodes of a cluster
//! share uploads without sharing a file system.
//!
//! Requests are signed by `rusty-s3` (SigV4 presigned URLs, no HTTP client of its own) and sent
//! with the server's `reqwest`. Uploads are still received into a local staging directory
//! (hashed and probed there, as with the file system store), then `PUT` whole; a blob already in
//! the bucket is not sent again, since the same key always means the same bytes. Reads go
//! through the server (`GET /media/{key}` fetches the object with the reader's `Range` and
//! streams it on): the bucket stays private and every read is still checked against who may see
//! the upload.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::future::BoxFuture;
use reqwest::header::{CONTENT_LENGTH, HeaderMap};
use reqwest::{StatusCode, Url};
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};

use super::blob::{BlobLocation, BlobStore, RemoteBlob, fresh_staging};
use super::is_media_key;

/// How long a URL signed for one request stays good. Requests are sent at once; the margin is
/// for clocks that differ a little between the server and the object store.
const SIGNED_FOR: Duration = Duration::from_secs(300);

/// The longest a request to the object store may take, upload included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// How to address objects: `path` (`https://host/bucket/key`, what MinIO, Garage, Ceph and
/// most S3-compatible servers expect) or `virtual-host` (`https://bucket.host/key`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum S3UrlStyle {
    /// The bucket is the first segment of the path.
    #[default]
    Path,
    /// The bucket is a subdomain of the endpoint.
    VirtualHost,
}

/// Where the bucket is and how to sign for it.
#[derive(Clone)]
pub struct S3Options {
    /// The object store's base URL, e.g. `https://s3.eu-central-1.amazonaws.com` or
    /// `http://127.0.0.1:9000`.
    pub endpoint: String,
    /// The bucket; it must exist.
    pub bucket: String,
    /// The region signed for (`us-east-1` where the server does not care).
    pub region: String,
    /// Path or virtual-host addressing.
    pub url_style: S3UrlStyle,
    /// Prepended to every object's key (e.g. `cloudlake/`), to share a bucket.
    pub prefix: String,
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// A session token, with temporary credentials.
    pub session_token: Option<String>,
}

// The secret and the token are never printed (configuration is logged at start-up).
impl fmt::Debug for S3Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Options")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("url_style", &self.url_style)
            .field("prefix", &self.prefix)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// Why the object store could not be used.
#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    /// The endpoint or the bucket name do not make a URL.
    #[error("S3 endpoint {endpoint:?} with bucket {bucket:?}: {reason}")]
    Address {
        /// The endpoint given.
        endpoint: String,
        /// The bucket given.
        bucket: String,
        /// What is wrong with them.
        reason: String,
    },
    /// The object store could not be reached.
    #[error("S3 endpoint {endpoint}: {source}")]
    Unreachable {
        /// The endpoint.
        endpoint: String,
        /// The cause.
        source: reqwest::Error,
    },
    /// It answered, but not with the bucket: missing, or the credentials do not reach it.
    #[error(
        "S3 bucket {bucket:?} at {endpoint}: HTTP {status} ({hint}); the bucket must exist and the credentials must be allowed to read and write it"
    )]
    Refused {
        /// The endpoint.
        endpoint: String,
        /// The bucket.
        bucket: String,
        /// What it answered.
        status: StatusCode,
        /// The usual reason for that status.
        hint: &'static str,
    },
    /// The local staging directory could not be prepared.
    #[error("media staging directory: {0}")]
    Staging(io::Error),
    /// The HTTP client could not be built.
    #[error("S3 client: {0}")]
    Client(reqwest::Error),
}

/// Blobs as objects in one bucket, under `prefix` + the media key.
pub struct S3BlobStore {
    bucket: Bucket,
    credentials: Credentials,
    prefix: String,
    endpoint: String,
    client: reqwest::Client,
    staging: PathBuf,
}

impl S3BlobStore {
    /// Checks that the bucket is there and the credentials reach it (a `HEAD` of the bucket),
    /// and prepares the local staging directory in `media_dir` (emptied of a previous run's
    /// leftovers), as the file system store does.
    pub async fn connect(options: &S3Options, media_dir: &Path) -> Result<Self, S3Error> {
        let address_error = |reason: String| S3Error::Address {
            endpoint: options.endpoint.clone(),
            bucket: options.bucket.clone(),
            reason,
        };
        let endpoint =
            Url::parse(options.endpoint.trim()).map_err(|e| address_error(e.to_string()))?;
        let style = match options.url_style {
            S3UrlStyle::Path => UrlStyle::Path,
            S3UrlStyle::VirtualHost => UrlStyle::VirtualHost,
        };
        let bucket = Bucket::new(
            endpoint.clone(),
            style,
            options.bucket.clone(),
            options.region.clone(),
        )
        .map_err(|e| address_error(format!("{e:?}")))?;
        let credentials = match &options.session_token {
            Some(token) => Credentials::new_with_token(
                &options.access_key_id,
                &options.secret_access_key,
                token,
            ),
            None => Credentials::new(&options.access_key_id, &options.secret_access_key),
        };
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(S3Error::Client)?;
        // The endpoint as printed in errors: without any credentials it might carry.
        let shown = {
            let mut shown = endpoint.clone();
            let _ = shown.set_username("");
            let _ = shown.set_password(None);
            shown.to_string()
        };
        let url = bucket.head_bucket(Some(&credentials)).sign(SIGNED_FOR);
        let response = client
            .head(url)
            .send()
            .await
            .map_err(|source| S3Error::Unreachable {
                endpoint: shown.clone(),
                source,
            })?;
        if !response.status().is_success() {
            let status = response.status();
            return Err(S3Error::Refused {
                endpoint: shown,
                bucket: options.bucket.clone(),
                status,
                hint: match status {
                    StatusCode::NOT_FOUND => "no such bucket",
                    StatusCode::FORBIDDEN => "access denied, or a wrong secret or region",
                    StatusCode::MOVED_PERMANENTLY | StatusCode::BAD_REQUEST => {
                        "the bucket is in another region"
                    }
                    _ => "unexpected answer",
                },
            });
        }
        let staging = fresh_staging(media_dir).map_err(S3Error::Staging)?;
        Ok(S3BlobStore {
            bucket,
            credentials,
            prefix: options.prefix.clone(),
            endpoint: shown,
            client,
            staging,
        })
    }

    /// The endpoint, as shown in logs and errors (without credentials).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn object_of(&self, key: &str) -> Option<String> {
        is_media_key(key).then(|| format!("{}{key}", self.prefix))
    }

    fn failed(&self, what: &str, object: &str, status: StatusCode) -> io::Error {
        io::Error::other(format!(
            "S3 {what} of {object} at {}: HTTP {status}",
            self.endpoint
        ))
    }

    async fn put_object(&self, object: &str, staged: &Path) -> io::Result<()> {
        let head = self
            .bucket
            .head_object(Some(&self.credentials), object)
            .sign(SIGNED_FOR);
        let status = self
            .client
            .head(head)
            .send()
            .await
            .map_err(io::Error::other)?
            .status();
        match status {
            // Content-addressed: an object under this key already holds these bytes.
            s if s.is_success() => return Ok(()),
            StatusCode::NOT_FOUND => {}
            s => return Err(self.failed("HEAD", object, s)),
        }
        let file = tokio::fs::File::open(staged).await?;
        let length = file.metadata().await?.len();
        let put = self
            .bucket
            .put_object(Some(&self.credentials), object)
            .sign(SIGNED_FOR);
        let response = self
            .client
            .put(put)
            .header(CONTENT_LENGTH, length)
            .body(reqwest::Body::from(file))
            .send()
            .await
            .map_err(io::Error::other)?;
        if !response.status().is_success() {
            return Err(self.failed("PUT", object, response.status()));
        }
        Ok(())
    }
}

impl BlobStore for S3BlobStore {
    fn staging_dir(&self) -> &Path {
        &self.staging
    }

    fn put<'a>(&'a self, key: &'a str, staged: &'a Path) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            let object = self
                .object_of(key)
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a media key"))?;
            self.put_object(&object, staged).await
        })
    }

    fn locate<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<Option<BlobLocation>>> {
        // Signing is local: whether the object is there is learnt from the GET itself (404).
        let located = self.object_of(key).map(|object| {
            BlobLocation::Remote(RemoteBlob {
                url: self
                    .bucket
                    .get_object(Some(&self.credentials), &object)
                    .sign(SIGNED_FOR),
                client: self.client.clone(),
            })
        });
        Box::pin(std::future::ready(Ok(located)))
    }
}

impl RemoteBlob {
    /// Fetches the object, passing on the reader's `Range` and conditional headers.
    pub async fn fetch(&self, forwarded: HeaderMap) -> reqwest::Result<reqwest::Response> {
        self.client
            .get(self.url.clone())
            .headers(forwarded)
            .send()
            .await
    }
}
