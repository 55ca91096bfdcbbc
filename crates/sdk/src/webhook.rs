//! Receiving events by webhook: an axum router a bot mounts, and the signature check it uses.
//!
//! Yunhu posts the bare event envelope and signs nothing (wire §7.1). cloudlake adds
//! [Standard Webhooks](https://www.standardwebhooks.com/) headers beside the same body:
//! `webhook-id`, `webhook-timestamp` (seconds) and `webhook-signature` (`v1,` + base64 of
//! HMAC-SHA256 over `{id}.{timestamp}.{body}`, keyed with the bytes behind the bot's
//! `whsec_…` secret). Give the receiver the secret and it refuses anything not signed with it;
//! leave it out (as for Yunhu) and it takes every well-formed envelope.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use cloudlake_protocol::EventEnvelope;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The prefix of a Standard Webhooks secret.
const SECRET_PREFIX: &str = "whsec_";

/// How far a signature's timestamp may be from now, by default: Standard Webhooks' 5 minutes.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// Why a webhook request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The secret is not `whsec_` followed by base64.
    #[error("the secret is not `whsec_` followed by base64")]
    BadSecret,
    /// A `webhook-*` header is missing or not text.
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    /// `webhook-timestamp` is not a number of seconds.
    #[error("the webhook-timestamp header is not a number")]
    BadTimestamp,
    /// The timestamp is too far from now: a replay, or a clock that is off.
    #[error("the webhook-timestamp is too old or too new")]
    Expired,
    /// No signature in `webhook-signature` matches the body.
    #[error("no signature matches")]
    Mismatch,
}

/// A webhook signing secret. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct Secret {
    // Keyed once here, where a bad key can still be reported; cloned for each message.
    keyed: Hmac<Sha256>,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Secret {
    /// Reads a `whsec_…` secret, as `cloudlake admin bot secret BOT` prints it.
    pub fn parse(secret: &str) -> Result<Secret, SignatureError> {
        let encoded = secret
            .trim()
            .strip_prefix(SECRET_PREFIX)
            .ok_or(SignatureError::BadSecret)?;
        let key = STANDARD
            .decode(encoded)
            .map_err(|_| SignatureError::BadSecret)?;
        if key.is_empty() {
            return Err(SignatureError::BadSecret);
        }
        let keyed = <Hmac<Sha256> as KeyInit>::new_from_slice(&key)
            .map_err(|_| SignatureError::BadSecret)?;
        Ok(Secret { keyed })
    }

    fn mac(&self, id: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// The `webhook-signature` value for a body (what the server sends).
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mac = self.mac(id, &timestamp.to_string(), body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }

    /// Checks a request's `webhook-*` headers against its raw body: some `v1` signature in
    /// the space-separated `signature` list must match (compared in constant time), and the
    /// timestamp must lie within `tolerance` of `now`.
    pub fn verify(
        &self,
        id: &str,
        timestamp: &str,
        signature: &str,
        body: &[u8],
        now: SystemTime,
        tolerance: Duration,
    ) -> Result<(), SignatureError> {
        let sent: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| SignatureError::BadTimestamp)?;
        let now = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let tolerance = i64::try_from(tolerance.as_secs()).unwrap_or(i64::MAX);
        if now.abs_diff(sent) > tolerance.unsigned_abs() {
            return Err(SignatureError::Expired);
        }
        let mac = self.mac(id, timestamp.trim(), body);
        let matches = signature
            .split_whitespace()
            .filter_map(|s| s.strip_prefix("v1,"))
            .filter_map(|s| STANDARD.decode(s).ok())
            .any(|candidate| mac.clone().verify_slice(&candidate).is_ok());
        if matches {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }

    /// [`verify`](Self::verify) reading the three headers from a request.
    pub fn verify_headers(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        tolerance: Duration,
    ) -> Result<(), SignatureError> {
        let header = |name: &'static str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .ok_or(SignatureError::MissingHeader(name))
        };
        self.verify(
            header("webhook-id")?,
            header("webhook-timestamp")?,
            header("webhook-signature")?,
            body,
            SystemTime::now(),
            tolerance,
        )
    }
}

/// A webhook endpoint for a bot: every accepted event envelope is handed to the handler.
///
/// Answers: `200` (empty body) once the handler has returned; `401` for a missing or wrong
/// signature when a secret is set; `400` for a body that is not an event envelope. An event
/// type this crate does not know is still handed over ([`EventEnvelope::typed`] gives
/// [`Event::Unknown`](cloudlake_protocol::Event::Unknown) with the raw JSON).
///
/// The reply waits for the handler, so a handler that fails by panicking gets the event sent
/// again (at-least-once); a long job should be spawned so the sender does not time out
/// (cloudlake waits 15 s). Retries carry the same `webhook-id` (= `eventId`): de-duplicate on
/// it if that matters.
///
/// ```
/// use cloudlake_sdk::webhook::WebhookReceiver;
/// use cloudlake_sdk::{Event, EventEnvelope};
///
/// let app: axum::Router = WebhookReceiver::new(|envelope: EventEnvelope| async move {
///     if let Event::MessageNormal(m) = envelope.typed() {
///         println!("{} said {:?}", m.sender.sender_nickname, m.message.content.text);
///     }
/// })
/// .secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
/// .unwrap()
/// .router("/yunhu");
/// ```
pub struct WebhookReceiver<H> {
    handler: H,
    secret: Option<Secret>,
    tolerance: Duration,
}

impl<H, Fut> WebhookReceiver<H>
where
    H: Fn(EventEnvelope) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    /// A receiver that accepts unsigned envelopes (as Yunhu sends them) until a secret is set.
    pub fn new(handler: H) -> Self {
        WebhookReceiver {
            handler,
            secret: None,
            tolerance: DEFAULT_TOLERANCE,
        }
    }

    /// Requires every request to be signed with this `whsec_…` secret.
    pub fn secret(mut self, secret: &str) -> Result<Self, SignatureError> {
        self.secret = Some(Secret::parse(secret)?);
        Ok(self)
    }

    /// How far a signature's timestamp may be from now (default [`DEFAULT_TOLERANCE`]).
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// The router with one route, `POST path`, to mount or merge into the bot's own app.
    pub fn router(self, path: &str) -> Router {
        let shared = Arc::new(self);
        Router::new().route(
            path,
            post(move |headers: HeaderMap, body: Bytes| {
                let shared = shared.clone();
                async move { shared.receive(&headers, &body).await }
            }),
        )
    }

    async fn receive(&self, headers: &HeaderMap, body: &[u8]) -> StatusCode {
        if let Some(secret) = &self.secret
            && secret
                .verify_headers(headers, body, self.tolerance)
                .is_err()
        {
            return StatusCode::UNAUTHORIZED;
        }
        let Ok(envelope) = serde_json::from_slice::<EventEnvelope>(body) else {
            return StatusCode::BAD_REQUEST;
        };
        (self.handler.clone())(envelope).await;
        StatusCode::OK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    /// The example of the Standard Webhooks specification's reference implementations.
    #[test]
    fn signs_and_verifies_the_standard_webhooks_example() {
        let secret = Secret::parse(SECRET).expect("secret");
        let body = br#"{"test": 2432232314}"#;
        let sig = secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let at = UNIX_EPOCH + Duration::from_secs(1614265330 + 60);
        let verify = |sig: &str, body: &[u8], now| {
            secret.verify(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                "1614265330",
                sig,
                body,
                now,
                DEFAULT_TOLERANCE,
            )
        };
        assert_eq!(verify(&sig, body, at), Ok(()));
        // Several signatures (during a key rotation): any one may match.
        assert_eq!(verify(&format!("v1,AAAA {sig}"), body, at), Ok(()));
        assert_eq!(
            verify(&sig, b"{\"test\": 1}", at),
            Err(SignatureError::Mismatch)
        );
        let late = at + Duration::from_secs(600);
        assert_eq!(verify(&sig, body, late), Err(SignatureError::Expired));
        assert_eq!(
            Secret::parse("MfKQ9r8").err(),
            Some(SignatureError::BadSecret)
        );
        assert_eq!(format!("{secret:?}"), "Secret(***)");
    }
}
