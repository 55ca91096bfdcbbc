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

impl From<crate::render::RenderError> for ServiceError {
    fn from(e: crate::render::RenderError) -> Self {
        use crate::render::{MAX_DEPTH, MAX_ELEMENTS, RenderError};
        ServiceError::Rejected(match e {
            RenderError::TooDeep => {
                ApiError::invalid_param(format!("消息内容嵌套过深，上限为{MAX_DEPTH}层"))
            }
            RenderError::TooManyElements => {
                ApiError::invalid_param(format!("消息内容元素过多，上限为{MAX_ELEMENTS}个"))
            }
            RenderError::Abandoned => ApiError::internal(),
        })
    }
}
