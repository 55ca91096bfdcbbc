//! The `{code, msg, data}` envelope every bot API reply is wrapped in (wire §4).

use serde::{Deserialize, Serialize};

use crate::{ApiError, Code};

/// A bot API reply: `{"code": 1, "msg": "success", "data": {...}}`.
///
/// `data` is omitted when absent: recall and some other successes carry none, and errors
/// usually carry none either.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    /// `1` on success.
    pub code: Code,
    /// `"success"`, or the reason for the error.
    #[serde(default)]
    pub msg: String,
    /// The payload, when the call has one.
    #[serde(default = "none", skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
}

// `#[serde(default)]` on an `Option<T>` field would demand `T: Default`; this does not.
fn none<T>() -> Option<T> {
    None
}

impl<T> Envelope<T> {
    /// A success carrying `data`.
    pub fn success(data: T) -> Self {
        Envelope {
            code: Code::SUCCESS,
            msg: "success".to_owned(),
            data: Some(data),
        }
    }

    /// A success without data.
    pub fn success_empty() -> Self {
        Envelope {
            code: Code::SUCCESS,
            msg: "success".to_owned(),
            data: None,
        }
    }

    /// The error as an envelope.
    pub fn error(error: ApiError) -> Self {
        Envelope {
            code: error.code,
            msg: error.msg,
            data: None,
        }
    }

    /// The data on success, the [`ApiError`] otherwise. A success without data gives `Ok(None)`.
    pub fn into_result(self) -> Result<Option<T>, ApiError> {
        if self.code.is_success() {
            Ok(self.data)
        } else {
            Err(ApiError::new(self.code, self.msg))
        }
    }
}
