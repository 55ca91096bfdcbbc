//! The addresses of uploads as each reader sees them.
//!
//! Messages store the path `/media/{key}`. People read it as is: their client is served by
//! this origin and its requests carry their session. Bots read it the way Yunhu hands them
//! media (wire §1: "Events hand out signed `imageUrl`s on those CDNs"): an absolute URL with
//! a signature, which they can fetch with a plain GET. The signature is an HMAC of the key and
//! an expiry time under a key the server keeps, so it proves the URL was handed out by this
//! server, cannot be made up from a content hash alone, and stops working at its expiry
//! (Yunhu's CDN URLs expire too): a URL that leaks — from a log, a former member, a removed
//! bot — is good for at most the TTL (`--media-url-ttl-secs`). Whoever may still see the media
//! gets a fresh URL by reading the message again.

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cloudlake_protocol::Content;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::{hex, is_media_key, media_path};

/// The query parameter carrying a media URL's signature.
pub const SIGNATURE_PARAM: &str = "sig";
/// The query parameter carrying a media URL's expiry, in Unix seconds.
pub const EXPIRY_PARAM: &str = "exp";
/// The default lifetime of a signed media URL: an hour, Yunhu's own order of magnitude, long
/// enough for a bot to fetch what an event names.
pub const DEFAULT_TTL: Duration = Duration::from_secs(3600);

/// How many bytes of the HMAC a signature keeps (hex-encoded: twice as many characters).
/// 128 bits cannot be guessed and keep URLs short.
const SIGNATURE_BYTES: usize = 16;

/// Makes and checks the media URLs handed to bots.
#[derive(Clone)]
pub struct MediaUrls {
    /// Scheme, host and port that bots reach this server at, without a trailing slash.
    public_base: String,
    key: [u8; 32],
    /// How long a URL is good for after it is made.
    ttl: Duration,
}

/// What a presented signed URL is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signed {
    /// This server signed it and it has not expired.
    Valid,
    /// This server signed it, and its expiry has passed.
    Expired,
    /// A signature without an expiry: made before URLs expired, refused now (they would be
    /// good forever).
    NoExpiry,
    /// Not this server's signature of this key and expiry.
    Forged,
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
    /// Signs with `key`; URLs start with `public_base` (e.g. `https://chat.example.com`) and
    /// are good for [`DEFAULT_TTL`].
    pub fn new(public_base: &str, key: [u8; 32]) -> Self {
        MediaUrls {
            public_base: public_base.trim_end_matches('/').to_owned(),
            key,
            ttl: DEFAULT_TTL,
        }
    }

    /// The same, with URLs good for `ttl` (at least a second).
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl.max(Duration::from_secs(1));
        self
    }

    /// Whether bots (and browsers) reach this server over HTTPS.
    pub fn is_https(&self) -> bool {
        self.public_base.starts_with("https://")
    }

    /// The signature of a media key good until `expires` (Unix seconds).
    pub fn sign(&self, media_key: &str, expires: u64) -> String {
        hex(&self.mac(media_key, expires)[..SIGNATURE_BYTES])
    }

    /// What `signature` with `expires` (the URL's `exp`, if any) is worth for `media_key`
    /// at `now` (Unix seconds). The signature is compared in constant time, and checked
    /// before the expiry, so only this server's own URLs are ever told apart as expired.
    pub fn check(
        &self,
        media_key: &str,
        expires: Option<&str>,
        signature: &str,
        now: u64,
    ) -> Signed {
        let Some(expires) = expires else {
            return Signed::NoExpiry;
        };
        // Only as this server writes it: `+5` or `05` would parse to the same number and
        // make a second spelling of one signed URL.
        let Some(expires) = expires
            .parse::<u64>()
            .ok()
            .filter(|n| n.to_string() == expires)
        else {
            return Signed::Forged;
        };
        let expected = self.sign(media_key, expires);
        if !bool::from(expected.as_bytes().ct_eq(signature.as_bytes())) {
            return Signed::Forged;
        }
        if now >= expires {
            Signed::Expired
        } else {
            Signed::Valid
        }
    }

    /// The absolute, signed URL of a stored media path, good for the TTL from now, or `None`
    /// if `url` is not one of this server's media paths (legacy content carrying someone
    /// else's URL passes unchanged).
    pub fn for_bot(&self, url: &str) -> Option<String> {
        self.for_bot_at(url, unix_now())
    }

    /// [`MediaUrls::for_bot`] at `now` (Unix seconds).
    pub fn for_bot_at(&self, url: &str, now: u64) -> Option<String> {
        let key = url.strip_prefix("/media/").filter(|k| is_media_key(k))?;
        let expires = now.saturating_add(self.ttl.as_secs());
        Some(format!(
            "{}{}?{EXPIRY_PARAM}={expires}&{SIGNATURE_PARAM}={}",
            self.public_base,
            media_path(key),
            self.sign(key, expires)
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

    fn mac(&self, media_key: &str, expires: u64) -> [u8; 32] {
        // HMAC takes keys of any length: this cannot fail.
        let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key) else {
            return [0; 32];
        };
        // v2: the expiry is signed too. v1 signed the key alone; no v1 signature verifies as
        // a v2 one, so URLs from before expiry existed stop working.
        mac.update(b"cloudlake media v2:");
        mac.update(media_key.as_bytes());
        mac.update(b":");
        mac.update(expires.to_string().as_bytes());
        mac.finalize().into_bytes().into()
    }
}

/// Now, in Unix seconds (0 before 1970: URLs then expire at once rather than never).
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    fn urls() -> MediaUrls {
        MediaUrls::new("http://127.0.0.1:7878/", [7; 32])
    }

    /// The `exp` and `sig` of a URL made by `for_bot_at`.
    fn parts(url: &str) -> (String, String) {
        let query = url.split_once('?').unwrap().1;
        let (exp, sig) = query.split_once('&').unwrap();
        (
            exp.strip_prefix("exp=").unwrap().to_owned(),
            sig.strip_prefix("sig=").unwrap().to_owned(),
        )
    }

    #[test]
    fn bot_urls_are_absolute_signed_and_verifiable_until_they_expire() {
        let now = 1_800_000_000;
        let url = urls().for_bot_at(&format!("/media/{KEY}"), now).unwrap();
        assert!(url.starts_with(&format!(
            "http://127.0.0.1:7878/media/{KEY}?exp=1800003600&sig="
        )));
        let (exp, sig) = parts(&url);
        assert_eq!(sig.len(), 2 * SIGNATURE_BYTES);
        let check = |exp: Option<&str>, sig: &str, at: u64| urls().check(KEY, exp, sig, at);
        assert_eq!(check(Some(&exp), &sig, now), Signed::Valid);
        assert_eq!(check(Some(&exp), &sig, now + 3599), Signed::Valid);
        assert_eq!(check(Some(&exp), &sig, now + 3600), Signed::Expired);
        // A later expiry, another spelling of it, a changed signature, another server's key,
        // or no expiry at all: none of them pass.
        assert_eq!(check(Some("1900000000"), &sig, now), Signed::Forged);
        assert_eq!(check(Some(&format!("+{exp}")), &sig, now), Signed::Forged);
        assert_eq!(check(Some(&format!("0{exp}")), &sig, now), Signed::Forged);
        assert_eq!(
            check(Some(&exp), &sig.replace('a', "b").replace('0', "1"), now),
            Signed::Forged
        );
        assert_eq!(
            MediaUrls::new("http://x", [8; 32]).check(KEY, Some(&exp), &sig, now),
            Signed::Forged
        );
        assert_eq!(check(None, &sig, now), Signed::NoExpiry);
        let short = urls().with_ttl(Duration::from_secs(5));
        let (exp, _) = parts(&short.for_bot_at(&format!("/media/{KEY}"), now).unwrap());
        assert_eq!(exp, (now + 5).to_string());
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
        let url = out["event"]["message"]["content"]["imageUrl"]
            .as_str()
            .unwrap();
        assert!(
            url.starts_with(&format!("http://127.0.0.1:7878/media/{KEY}?exp=")),
            "{url}"
        );
        assert_eq!(out["event"]["message"]["content"]["imageName"], "a.png");
        assert_eq!(out["version"], "1.0");
    }
}
