//! What every admin handler shares: its result type and how it reads a JSON body.

use axum::body::Bytes;
use serde::de::DeserializeOwned;

use crate::api::problem::Problem;

/// An admin handler's result: errors answer as [`Problem`]s.
pub(super) type Result<T> = std::result::Result<T, Problem>;

/// Reads a JSON body whatever its Content-Type; an empty body reads as `{}`.
pub(super) fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    serde_json::from_slice(bytes)
        .map_err(|e| Problem::BadRequest(format!("invalid JSON body: {e}")))
}
