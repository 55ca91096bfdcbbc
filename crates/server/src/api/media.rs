//! `GET /media/{key}`: the bytes of an upload, with Range support (video players seek with
//! it), labelled with the type recorded at upload.
//!
//! Served to those who may see it, and to no one else:
//! - a signed URL (`?exp=…&sig=…`, what bots find in their events and history; see
//!   [`crate::media::MediaUrls`]) needs nothing more until it expires (then 403, as is a
//!   signature from before URLs expired);
//! - a user — by bearer header (user or session token) or by the session cookie a browser
//!   sends with `<img>` — sees what they uploaded and what was sent in a chat they are in;
//! - a bot, by `?token=` as in the bot API, sees what it uploaded and what was sent in its
//!   groups and private chats.
//!
//! No credential is 401; a credential that does not reach this upload is 404, the same as an
//! upload that does not exist, so nobody learns which keys exist.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::header::{
    ACCEPT_RANGES, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_SECURITY_POLICY,
    CONTENT_TYPE, ETAG, IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, IF_UNMODIFIED_SINCE,
    LAST_MODIFIED, RANGE,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use cloudlake_protocol::UploadKind;
use serde_json::json;
use tower::ServiceExt;
use tower_http::services::ServeFile;

use crate::api::AppState;
use crate::api::user::{bearer, session_cookie, user_for_credential};
use crate::media::{BlobLocation, RemoteBlob, Signed, is_media_key, unix_now};
use crate::secret::TokenHash;
use crate::service::ServiceError;
use crate::store::{StoreError, Viewer};
use serde::Deserialize;

/// The query string of a media URL.
#[derive(Deserialize)]
pub(crate) struct MediaQuery {
    sig: Option<String>,
    exp: Option<String>,
    token: Option<String>,
}

/// Serves one upload.
pub(crate) async fn serve(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(query): Query<MediaQuery>,
    req: Request,
) -> Response {
    if !is_media_key(&key) {
        return not_found();
    }
    match allowed(&state, &key, &query, req.headers()).await {
        Ok(Access::Allowed) => {}
        Ok(Access::Denied) => return not_found(),
        Ok(Access::Expired) => {
            return (
                StatusCode::FORBIDDEN,
                Json(json!({"code": -1, "msg": "链接已过期 (this signed media URL has expired; read the message again for a fresh one)"})),
            )
                .into_response();
        }
        Ok(Access::Anonymous) => {
            return (
                StatusCode::UNAUTHORIZED,
                Json(json!({"code": -1, "msg": "需要登录 (sign in, or use the signed URL)"})),
            )
                .into_response();
        }
        Err(e) => {
            tracing::error!(error = %e, "checking media access failed in storage");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    }
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
    let mut response = match served.location {
        BlobLocation::LocalFile(path) => {
            // Only the method and the Range / conditional headers matter to ServeFile.
            let (parts, _) = req.into_parts();
            let req = Request::from_parts(parts, Body::empty());
            match ServeFile::new(path).oneshot(req).await {
                Ok(response) => response.map(Body::new),
                Err(infallible) => match infallible {},
            }
        }
        BlobLocation::Remote(blob) => match from_object_store(&blob, req.headers()).await {
            Some(response) => response,
            None => return not_found(),
        },
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

/// The request headers an object store answers as a file server would: ranges (video players
/// seek with them) and revalidation.
const FORWARDED_TO_OBJECT_STORE: [HeaderName; 6] = [
    RANGE,
    IF_RANGE,
    IF_MATCH,
    IF_NONE_MATCH,
    IF_MODIFIED_SINCE,
    IF_UNMODIFIED_SINCE,
];

/// The response headers of the object store's answer that describe the bytes passed on.
const KEPT_FROM_OBJECT_STORE: [HeaderName; 5] = [
    CONTENT_LENGTH,
    CONTENT_RANGE,
    ACCEPT_RANGES,
    ETAG,
    LAST_MODIFIED,
];

/// The object behind a remote blob, streamed on with its status (200, 206, 304, 412, 416) and
/// the headers that describe those bytes; `None` when the object store has no such object. A
/// failure to reach it is a 502, logged without the signed URL.
async fn from_object_store(blob: &RemoteBlob, request: &HeaderMap) -> Option<Response> {
    let mut forwarded = HeaderMap::new();
    for name in FORWARDED_TO_OBJECT_STORE {
        if let Some(value) = request.get(&name) {
            forwarded.insert(name, value.clone());
        }
    }
    let answer = match blob.fetch(forwarded).await {
        Ok(answer) => answer,
        Err(e) => {
            tracing::error!(error = %e.without_url(), "fetching media from the object store failed");
            return Some(StatusCode::BAD_GATEWAY.into_response());
        }
    };
    let status = answer.status();
    if status == StatusCode::NOT_FOUND {
        tracing::error!("an upload's object is missing from the object store");
        return None;
    }
    let passed_on = status.is_success()
        || matches!(
            status,
            StatusCode::NOT_MODIFIED
                | StatusCode::PRECONDITION_FAILED
                | StatusCode::RANGE_NOT_SATISFIABLE
        );
    if !passed_on {
        tracing::error!(%status, "the object store refused to read an upload");
        return Some(StatusCode::BAD_GATEWAY.into_response());
    }
    let mut response = Response::builder().status(status);
    for name in KEPT_FROM_OBJECT_STORE {
        if let Some(value) = answer.headers().get(&name) {
            response = response.header(name, value.clone());
        }
    }
    Some(
        response
            .body(Body::from_stream(answer.bytes_stream()))
            .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response()),
    )
}

/// What a request's credential allows for one upload.
enum Access {
    /// It may fetch it.
    Allowed,
    /// It may not (or the upload does not exist): 404 either way.
    Denied,
    /// A signed URL of this server's that has expired, or has no expiry: 403.
    Expired,
    /// No credential at all: 401.
    Anonymous,
}

/// Whether the request may fetch `key`.
async fn allowed(
    state: &AppState,
    key: &str,
    query: &MediaQuery,
    headers: &HeaderMap,
) -> Result<Access, StoreError> {
    if let Some(sig) = &query.sig {
        let verdict = state
            .media
            .urls()
            .check(key, query.exp.as_deref(), sig, unix_now());
        return Ok(match verdict {
            Signed::Valid => Access::Allowed,
            Signed::Expired | Signed::NoExpiry => Access::Expired,
            Signed::Forged => Access::Denied,
        });
    }
    let viewer = if let Some(token) = bearer(headers).or_else(|| session_cookie(headers)) {
        user_for_credential(state, &token)
            .await?
            .map(|user| Viewer::User(user.user_id))
    } else if let Some(token) = query.token.as_deref().filter(|t| !t.trim().is_empty()) {
        state
            .store
            .bot_by_token(TokenHash::of(token.trim()))
            .await?
            .map(|bot| Viewer::Bot(bot.bot_id))
    } else {
        return Ok(Access::Anonymous);
    };
    let Some(viewer) = viewer else {
        return Ok(Access::Denied);
    };
    Ok(
        if state.store.may_view_media(key.to_owned(), viewer).await? {
            Access::Allowed
        } else {
            Access::Denied
        },
    )
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"code": -1, "msg": "文件不存在"})),
    )
        .into_response()
}
