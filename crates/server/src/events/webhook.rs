//! One webhook attempt: POST the exact envelope with the Standard Webhooks headers, and
//! classify the answer.

use crate::media::MediaUrls;
use std::error::Error as _;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, RETRY_AFTER, USER_AGENT};

use super::schedule::parse_retry_after;
use super::signature::sign;
use super::ssrf::{self, GuardedResolver, UrlRefused};
use crate::clock::now_ms;
use crate::store::PendingEvent;

/// How much of a receiver's answer is read (and dropped) so that its connection can be reused.
const MAX_ANSWER: usize = 64 * 1024;

/// What an attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx answer: delivered (the body is ignored, as Yunhu does).
    Delivered,
    /// A failure worth retrying (non-2xx, timeout, connection error).
    Failed {
        /// What went wrong, for the admin's report.
        error: String,
        /// The receiver's `Retry-After`, if it sent one.
        retry_after: Option<Duration>,
    },
    /// A failure no retry can fix (the URL is refused): dead-letter at once.
    Refused(String),
}

/// The HTTP client for webhooks. Cloning it is cheap.
#[derive(Clone)]
pub struct WebhookClient {
    http: reqwest::Client,
    allow_private: bool,
    media_urls: MediaUrls,
}

impl WebhookClient {
    /// A client with the per-attempt `timeout`. Unless `allow_private`, every name is
    /// resolved through the SSRF guard. Redirects are not followed: a redirect could lead to
    /// an internal address, and Yunhu receivers answer 200 directly.
    /// Media in events get URLs made by `media_urls`.
    pub fn new(
        timeout: Duration,
        allow_private: bool,
        media_urls: MediaUrls,
    ) -> Result<Self, reqwest::Error> {
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            // HTTP_PROXY / HTTPS_PROXY would send the request to the proxy, which resolves
            // the host itself, around the resolver guard below.
            .no_proxy();
        if !allow_private {
            builder = builder.dns_resolver(GuardedResolver);
        }
        Ok(WebhookClient {
            http: builder.build()?,
            allow_private,
            media_urls,
        })
    }

    /// POSTs one event to `url`, signed with `secret`.
    pub async fn post(&self, url: &str, secret: &[u8], event: &PendingEvent) -> Outcome {
        match self.check(url).await {
            Ok(url) => self.post_to(url, secret, event).await,
            Err(outcome) => outcome,
        }
    }

    /// Checks a webhook URL (through the SSRF guard unless private hosts are allowed): the
    /// URL to post to, or what every attempt to post to it comes to.
    pub async fn check(&self, url: &str) -> Result<reqwest::Url, Outcome> {
        match ssrf::check_url(url, self.allow_private).await {
            Ok(url) => Ok(url),
            // DNS may come back: retry.
            Err(e @ UrlRefused::Unresolvable { .. }) => Err(Outcome::Failed {
                error: e.to_string(),
                retry_after: None,
            }),
            Err(e) => Err(Outcome::Refused(e.to_string())),
        }
    }

    /// POSTs one event to a URL that [`WebhookClient::check`] passed, signed with `secret`.
    pub async fn post_to(&self, url: reqwest::Url, secret: &[u8], event: &PendingEvent) -> Outcome {
        let timestamp = now_ms() / 1000;
        let payload = self.media_urls.event_for_bot(&event.payload).into_owned();
        let signature = sign(secret, &event.event_id, timestamp, payload.as_bytes());
        let sent = self
            .http
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, concat!("cloudlake/", env!("CARGO_PKG_VERSION")))
            .header("webhook-id", &event.event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(payload)
            .send()
            .await;
        match sent {
            Ok(mut resp) if resp.status().is_success() => {
                // Read the answer to its end (it is ignored): a connection whose answer was not
                // read is not reused, and a receiver that answers with a body (most do) would
                // cost a new connection per event. A long answer is cut off instead.
                let mut read = 0;
                while let Ok(Some(chunk)) = resp.chunk().await {
                    read += chunk.len();
                    if read > MAX_ANSWER {
                        break;
                    }
                }
                Outcome::Delivered
            }
            Ok(resp) => Outcome::Failed {
                error: format!("HTTP {}", resp.status()),
                retry_after: resp
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_retry_after),
            },
            Err(e) => Outcome::Failed {
                error: describe(e),
                retry_after: None,
            },
        }
    }
}

/// The error with its causes, without the URL (its query may hold the receiver's secrets).
fn describe(e: reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".to_owned();
    }
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
