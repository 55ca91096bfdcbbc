//! The admin API's one error type and its HTTP form.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::store::StoreError;

/// Why an admin call failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No admin token, or the wrong one: 401.
    #[error("missing or wrong admin token (send Authorization: Bearer <token>)")]
    Unauthorized,
    /// The request is malformed: 400.
    #[error("{0}")]
    BadRequest(String),
    /// Something named does not exist: 404.
    #[error("{0}")]
    NotFound(String),
    /// The ID is taken: 409.
    #[error("{0}")]
    Conflict(String),
    /// Storage failed: 500, cause logged.
    #[error("storage: {0}")]
    Store(StoreError),
}

impl From<StoreError> for AdminError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { .. } => AdminError::NotFound(e.to_string()),
            StoreError::Conflict { .. } => AdminError::Conflict(e.to_string()),
            other => AdminError::Store(other),
        }
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            AdminError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            AdminError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            AdminError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            AdminError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            AdminError::Store(e) => {
                tracing::error!(error = %e, "admin call failed in storage");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        let message = match &self {
            AdminError::Store(_) => "internal error; see the server log".to_owned(),
            other => other.to_string(),
        };
        (
            status,
            Json(json!({"error": {"code": code, "message": message}})),
        )
            .into_response()
    }
}
