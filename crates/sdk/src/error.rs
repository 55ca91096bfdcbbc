//! The SDK's one error type.

use cloudlake_protocol::{ApiError, BatchSendData, Code};

/// Everything a call of this crate can fail with.
///
/// No variant carries the bot token: transport errors are stripped of their URL (which holds
/// `?token=`), and WebSocket errors are rendered to text with the token masked.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with `code != 1`: its `code` and `msg`, unchanged.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The request did not get an answer: connection refused, timeout, broken connection.
    #[error("transport error: {0}")]
    Transport(#[source] reqwest::Error),
    /// The server answered with an HTTP error status and no bot API envelope (for example a
    /// proxy's 413 for an upload that is too large).
    #[error("HTTP {status}: {body}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The beginning of the body, as text.
        body: String,
    },
    /// The server answered with something that is not the expected JSON.
    #[error("unexpected reply: {0}")]
    Decode(#[source] serde_json::Error),
    /// A base URL or WebSocket URL that cannot be used.
    #[error("invalid URL: {0}")]
    Url(String),
    /// A batch_send of more than 200 recipients failed part way: the requests before the
    /// failing one were sent, and `sent` merges their results.
    #[error("batch_send stopped after {} recipients were sent to: {source}", sent.success_count)]
    Batch {
        /// What the requests that succeeded delivered.
        sent: BatchSendData,
        /// Why the next request failed.
        source: Box<Error>,
    },
    /// The WebSocket failed (connecting, or a broken connection that could not be renewed).
    #[error("websocket: {0}")]
    WebSocket(String),
}

impl Error {
    /// The bot API code of an [`Error::Api`] (or of the failure inside an [`Error::Batch`]).
    pub fn code(&self) -> Option<Code> {
        match self {
            Error::Api(e) => Some(e.code),
            Error::Batch { source, .. } => source.code(),
            _ => None,
        }
    }

    /// Whether trying again may help: a rate limit (`1007`) or a transport failure.
    ///
    /// A transport failure may happen after the server stored the message, so retrying a
    /// send can deliver it twice; that is the price of not losing it, and why retries are off
    /// unless asked for.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(e) => e.code == Code::RATE_LIMITED,
            Error::Transport(e) => !e.is_builder() && !e.is_decode() && !e.is_redirect(),
            _ => false,
        }
    }

    /// A transport error without its URL, which carries the token.
    pub(crate) fn transport(e: reqwest::Error) -> Self {
        Error::Transport(e.without_url())
    }
}

/// `text` with every occurrence of `token` masked.
#[cfg(feature = "subscribe")]
pub(crate) fn redact(text: &str, token: &str) -> String {
    if token.is_empty() {
        text.to_owned()
    } else {
        text.replace(token, "***")
    }
}
