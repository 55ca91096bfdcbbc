//! The addresses of uploads as each reader sees them.
//!
//! Messages store the path `/media/{key}`. People read it as is: their client is served by
//! this origin and its requests carry their session. Bots read it the way Yunhu hands them
//! media (wire §1: "Events hand out signed `imageUrl`s on those CDNs"): an absolute URL with
//! a signature, which they can fetch with a plain GET. The signature is an HMAC of the key
//! under a key the server keeps, so it proves the URL was handed out by this server and
//! cannot be made up from a content hash alone.

use std::borrow::Cow;

use cloudlake_protocol::Content;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::{hex, is_media_key, media_path};

/// The query parameter carrying a media URL's signature.
pub const SIGNATURE_PARAM: &str = "sig";

/// How many bytes of the HMAC a signature keeps (hex-encoded: twice as many characters).
/// 128 bits cannot be guessed and keep URLs short.
const SIGNATURE_BYTES: usize = 16;

/// Makes and checks the media URLs handed to bots.
#[derive(Clone)]
pub struct MediaUrls {
    /// Scheme, host and port that bots reach this server at, without a trailing slash.
    public_base: String,
    key: [u8; 32],
}

impl std::fmt::Debug for MediaUrls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The signing key is a secret: never printed.
        f.debug_struct("MediaUrls")
            .field("public_base", &self.public_base)
            .finish_non_exhaustive()
    }
}

impl MediaUrls {
    /// Signs with `key`; URLs start with `public_base` (e.g. `https://chat.example.com`).
    pub fn new(public_base: &str, key: [u8; 32]) -> Self {
        MediaUrls {
            public_base: public_base.trim_end_matches('/').to_owned(),
            key,
        }
    }

    /// Whether bots (and browsers) reach this server over HTTPS.
    pub fn is_https(&self) -> bool {
        self.public_base.starts_with("https://")
    }

    /// The signature of a media key.
    pub fn sign(&self, media_key: &str) -> String {
        hex(&self.mac(media_key)[..SIGNATURE_BYTES])
    }

    /// Whether `signature` is this server's signature of `media_key` (constant time).
    pub fn verify(&self, media_key: &str, signature: &str) -> bool {
        let expected = self.sign(media_key);
        expected.as_bytes().ct_eq(signature.as_bytes()).into()
    }

    /// The absolute, signed URL of a stored media path, or `None` if `url` is not one of this
    /// server's media paths (legacy content carrying someone else's URL passes unchanged).
    pub fn for_bot(&self, url: &str) -> Option<String> {
        let key = url.strip_prefix("/media/").filter(|k| is_media_key(k))?;
        Some(format!(
            "{}{}?{SIGNATURE_PARAM}={}",
            self.public_base,
            media_path(key),
            self.sign(key)
        ))
    }

    /// A message's content as a bot sees it: media paths made absolute and signed.
    pub fn content_for_bot(&self, content: &mut Content) {
        for url in [
            &mut content.image_url,
            &mut content.file_url,
            &mut content.video_url,
        ]
        .into_iter()
        .flatten()
        {
            if let Some(signed) = self.for_bot(url) {
                *url = signed;
            }
        }
    }

    /// An event's JSON as its bot receives it: the media URLs of `event.message.content`
    /// made absolute and signed. Events without media come back untouched, without parsing.
    pub fn event_for_bot<'a>(&self, payload: &'a str) -> Cow<'a, str> {
        if !payload.contains("\"/media/") {
            return Cow::Borrowed(payload);
        }
        let Ok(mut event) = serde_json::from_str::<Value>(payload) else {
            return Cow::Borrowed(payload);
        };
        let Some(content) = event
            .pointer_mut("/event/message/content")
            .and_then(Value::as_object_mut)
        else {
            return Cow::Borrowed(payload);
        };
        let mut changed = false;
        for field in ["imageUrl", "fileUrl", "videoUrl"] {
            if let Some(Value::String(url)) = content.get_mut(field)
                && let Some(signed) = self.for_bot(url)
            {
                *url = signed;
                changed = true;
            }
        }
        if !changed {
            return Cow::Borrowed(payload);
        }
        serde_json::to_string(&event).map_or(Cow::Borrowed(payload), Cow::Owned)
    }

    fn mac(&self, media_key: &str) -> [u8; 32] {
        // HMAC takes keys of any length: this cannot fail.
        let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key) else {
            return [0; 32];
        };
        mac.update(b"cloudlake media v1:");
        mac.update(media_key.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    fn urls() -> MediaUrls {
        MediaUrls::new("http://127.0.0.1:7878/", [7; 32])
    }

    #[test]
    fn bot_urls_are_absolute_signed_and_verifiable() {
        let url = urls().for_bot(&format!("/media/{KEY}")).unwrap();
        let sig = url.rsplit_once("?sig=").unwrap().1;
        assert!(url.starts_with(&format!("http://127.0.0.1:7878/media/{KEY}?sig=")));
        assert_eq!(sig.len(), 2 * SIGNATURE_BYTES);
        assert!(urls().verify(KEY, sig));
        assert!(!urls().verify(KEY, &sig.replace('a', "b").replace('0', "1")));
        assert!(!MediaUrls::new("http://x", [8; 32]).verify(KEY, sig));
    }

    #[test]
    fn foreign_urls_pass_unchanged() {
        assert_eq!(urls().for_bot("https://chat-img.jwznb.com/a.png"), None);
        assert_eq!(urls().for_bot("/media/../etc/passwd"), None);
        let event = r#"{"event":{"message":{"content":{"imageUrl":"https://x/y.png"}}}}"#;
        assert!(matches!(urls().event_for_bot(event), Cow::Borrowed(_)));
    }

    #[test]
    fn events_get_signed_urls() {
        let event = format!(
            r#"{{"version":"1.0","event":{{"message":{{"content":{{"imageUrl":"/media/{KEY}","imageName":"a.png"}}}}}}}}"#
        );
        let out: Value = serde_json::from_str(&urls().event_for_bot(&event)).unwrap();
        assert_eq!(
            out["event"]["message"]["content"]["imageUrl"],
            urls().for_bot(&format!("/media/{KEY}")).unwrap()
        );
        assert_eq!(out["event"]["message"]["content"]["imageName"], "a.png");
        assert_eq!(out["version"], "1.0");
    }
}
