//! The error type of cloudlake's own APIs (admin and user): an HTTP status with a JSON body
//! `{"error": {"code": "...", "message": "..."}}`. The bot API answers in Yunhu's envelope
//! instead (see `bot::reply`).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::service::ServiceError;
use crate::store::StoreError;

/// Why a call to the admin or user API failed.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    /// No token, or the wrong one: 401.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// The request is malformed: 400.
    #[error("{0}")]
    BadRequest(String),
    /// The caller may not do this: 403.
    #[error("{0}")]
    Forbidden(String),
    /// Something named does not exist: 404.
    #[error("{0}")]
    NotFound(String),
    /// The ID is taken: 409.
    #[error("{0}")]
    Conflict(String),
    /// The body is over a limit: 413.
    #[error("{0}")]
    TooLarge(String),
    /// The body is well-formed but cannot be used (an image that is not one): 422.
    #[error("{0}")]
    Unprocessable(String),
    /// The request (an upload) did not arrive within its time limit: 408.
    #[error("{0}")]
    Timeout(String),
    /// Too many attempts: 429.
    #[error("{0}")]
    TooManyRequests(String),
    /// The server is too busy with this kind of work to take more now: 503.
    #[error("{0}")]
    Busy(String),
    /// Storage failed: 500, cause logged.
    #[error("storage: {0}")]
    Store(StoreError),
    /// Something else on the server failed (password hashing, a task that panicked, a value
    /// that does not encode): 500, cause logged.
    #[error("internal: {0}")]
    Internal(String),
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { .. } => Problem::NotFound(e.to_string()),
            StoreError::Conflict { .. } => Problem::Conflict(e.to_string()),
            other => Problem::Store(other),
        }
    }
}

/// The longest rejection text kept when a plain-text error is rewrapped.
const MAX_REJECTION_TEXT: usize = 4096;

/// Gives every error of cloudlake's own APIs the JSON shape, including those axum's extractors
/// answer by themselves in plain text (a body over the limit: 413; a query string or path that
/// does not parse: 400; a body that is not JSON: 415). Their status stays; their text becomes
/// the message.
pub(crate) async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_REJECTION_TEXT)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        text
    };
    let mut fixed = (
        status,
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response();
    // Keep what the original said beyond its body (Allow on a 405, for one).
    for (name, value) in &parts.headers {
        if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            fixed.headers_mut().insert(name.clone(), value.clone());
        }
    }
    fixed
}

impl From<ServiceError> for Problem {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Store(e) => e.into(),
            ServiceError::Rejected(e) => Problem::BadRequest(e.msg),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            Problem::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Problem::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Problem::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Problem::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Problem::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Problem::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            Problem::Unprocessable(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unprocessable"),
            Problem::Timeout(_) => (StatusCode::REQUEST_TIMEOUT, "timeout"),
            Problem::TooManyRequests(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            Problem::Busy(_) => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            Problem::Store(e) => {
                tracing::error!(error = %e, "call failed in storage");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
            Problem::Internal(cause) => {
                tracing::error!(error = %cause, "call failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        let message = match &self {
            Problem::Store(_) | Problem::Internal(_) => {
                "internal error; see the server log".to_owned()
            }
            other => other.to_string(),
        };
        (
            status,
            Json(json!({"error": {"code": code, "message": message}})),
        )
            .into_response()
    }
}
