//! Where uploaded bytes live ([`blob`], [`s3`]), what can be read from them cheaply ([`probe`]), and
//! the addresses bots fetch them at ([`urls`]).
//! What is known about each upload is in the store (`store::MediaRecord`).

pub mod blob;
pub mod probe;
pub mod references;
pub mod s3;
pub mod urls;

pub use blob::{BlobLocation, BlobStore, FsBlobStore, RemoteBlob};
pub use references::{cdn_urls_in, media_key_of};
pub use s3::{S3BlobStore, S3Error, S3Options, S3UrlStyle};
pub use urls::{MediaUrls, Signed, unix_now};

/// The path, under the server's root, that serves an upload's bytes: `/media/{key}`.
pub fn media_path(key: &str) -> String {
    format!("/media/{key}")
}

/// Bytes as lowercase hex: media keys (SHA-256) and URL signatures are written this way.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `key` has the shape of a media key: a SHA-256 as 64 lowercase hex characters.
/// Anything else is refused before it reaches a file path.
pub fn is_media_key(key: &str) -> bool {
    key.len() == 64 && key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}
