//! Replies of the bot API: success envelopes, and the one place a [`ServiceError`] becomes
//! what the client sees.

use axum::Json;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use cloudlake_protocol::{ApiError, Envelope};
use serde::Serialize;

use crate::service::ServiceError;

/// `{"code":1,"msg":"success","data":…}`, `data` left out when `None`.
pub(crate) struct Success<T>(pub Option<T>);

impl<T: Serialize> IntoResponse for Success<T> {
    fn into_response(self) -> Response {
        let envelope = match self.0 {
            Some(data) => Envelope::success(data),
            None => Envelope::success_empty(),
        };
        Json(envelope).into_response()
    }
}

/// A failed call: HTTP 200 with the error envelope, whatever failed, because clients read
/// `code` and `msg` and some of them raise on any non-2xx status before reading the body
/// (nonebot-adapter-yunhu does; wire §3). A storage failure is `-1` too; its cause goes to
/// the log, not to the client.
pub(crate) struct Failure(ServiceError);

impl<E: Into<ServiceError>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.into())
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        match self.0 {
            ServiceError::Rejected(e) => Json(Envelope::<()>::error(e)).into_response(),
            ServiceError::Store(e) => {
                tracing::error!(error = %e, "bot API call failed in storage");
                Json(Envelope::<()>::error(ApiError::internal())).into_response()
            }
        }
    }
}

/// What a bot API path answers to a method it does not take (`GET /bot/send`): the
/// envelope with HTTP 200, like every other refusal, instead of a bare 405.
pub(crate) async fn wrong_method(method: Method) -> Response {
    Json(Envelope::<()>::error(ApiError::wrong_method(
        method.as_str(),
    )))
    .into_response()
}
