//! `GET /media/{key}`: the bytes of an upload, with Range support (video players seek with
//! it), labelled with the type recorded at upload.
//!
//! Access: anyone who has the key may fetch the bytes. The key is the SHA-256 of the content,
//! so it cannot be guessed without already having the content. Per-user access control
//! comes with the user API.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use cloudlake_protocol::UploadKind;
use serde_json::json;
use tower::ServiceExt;
use tower_http::services::ServeFile;

use crate::api::AppState;
use crate::media::BlobLocation;
use crate::service::ServiceError;

/// Serves one upload.
pub(crate) async fn serve(
    State(state): State<AppState>,
    Path(key): Path<String>,
    req: Request,
) -> Response {
    let served = match state.media.serve(&key).await {
        Ok(Some(served)) => served,
        Ok(None) => return not_found(),
        Err(e) => {
            let ServiceError::Store(e) = e else {
                return not_found();
            };
            tracing::error!(error = %e, "serving media failed in storage");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let BlobLocation::LocalFile(path) = served.location;
    // Only the method and the Range / conditional headers matter to ServeFile.
    let (parts, _) = req.into_parts();
    let req = Request::from_parts(parts, Body::empty());
    let mut response = match ServeFile::new(path).oneshot(req).await {
        Ok(response) => response.map(Body::new),
        Err(infallible) => match infallible {},
    };
    let headers = response.headers_mut();
    if let Ok(mime) = HeaderValue::from_str(&served.record.mime) {
        headers.insert(CONTENT_TYPE, mime);
    }
    // Uploaded bytes are never run as a page of this origin: no sniffing, no scripts, and
    // anything that is not an image or a video is a download.
    headers.insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox"));
    if served.record.kind == UploadKind::File {
        headers.insert(CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
    }
    response
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"code": -1, "msg": "文件不存在"})),
    )
        .into_response()
}
