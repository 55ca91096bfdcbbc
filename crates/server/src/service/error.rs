//! The service layer's one error type.

use cloudlake_protocol::ApiError;

use crate::store::StoreError;

/// Why a bot API call did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request was refused; the client is told exactly this (code and text).
    #[error(transparent)]
    Rejected(#[from] ApiError),
    /// Storage failed; the client gets a generic internal error and the cause is logged.
    #[error("storage: {0}")]
    Store(#[from] StoreError),
}
