//! `POST /uploads/{image|video|file}?name=…`: a user uploads the raw bytes of an image, video
//! or file (the request body, any Content-Type), to send it next as a message naming its key.
//!
//! The same limits as the bot API's uploads (10 / 20 / 20 MB), enforced as the bytes arrive:
//! a body declared too large is refused before it is read, and one that grows too large is
//! cut off at the limit, so memory stays bounded whatever the client sends. A body not whole
//! within `--upload-timeout-secs` is refused with 408.

use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::response::IntoResponse;
use cloudlake_protocol::UploadKind;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;

use super::AuthedUser;
use crate::api::AppState;
use crate::api::drain::drain;
use crate::api::problem::Problem;
use crate::media::media_path;
use crate::service::ServiceError;
use crate::store::MediaOwner;

#[derive(Deserialize)]
pub(crate) struct UploadQuery {
    /// The file's name, shown to readers of a file message.
    name: Option<String>,
}

/// Stores the body as an upload of the user's and answers 201 with what was stored.
pub(crate) async fn upload(
    State(state): State<AppState>,
    AuthedUser(user): AuthedUser,
    Path(kind): Path<String>,
    Query(query): Query<UploadQuery>,
    req: Request,
) -> Result<impl IntoResponse, Problem> {
    let kind = UploadKind::from_wire(&kind).ok_or_else(|| {
        Problem::NotFound(format!("no upload kind {kind:?}; use image, video or file"))
    })?;
    let too_large = || {
        Problem::TooLarge(format!(
            "an upload of kind {} may be at most {} MB",
            kind.as_str(),
            kind.max_bytes() / (1024 * 1024)
        ))
    };
    let (parts, body) = req.into_parts();
    let declared = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v: &axum::http::HeaderValue| v.to_str().ok())
    };
    // A body declared larger than the limit is refused before a byte of it is stored.
    let too_long = declared(CONTENT_LENGTH)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|n| n > kind.max_bytes());
    let mut body = body.into_data_stream();
    if too_long {
        drain(&mut body, kind.max_bytes()).await;
        return Err(too_large());
    }
    let mime = declared(CONTENT_TYPE).map(str::to_owned);
    let mut staging = state.media.stage(kind).await?;
    // The whole body within the upload time limit (this route is outside the request time
    // limit, which a large upload on a slow link would exceed); dropping the staging file
    // on the way out deletes it.
    let deadline = tokio::time::Instant::now() + state.upload_timeout;
    loop {
        let Ok(next) = tokio::time::timeout_at(deadline, body.next()).await else {
            tracing::info!(
                limit_secs = state.upload_timeout.as_secs(),
                "an upload took too long; refused"
            );
            return Err(Problem::Timeout(format!(
                "the upload took longer than {} s; nothing was stored",
                state.upload_timeout.as_secs()
            )));
        };
        let Some(chunk) = next else { break };
        let chunk = chunk.map_err(|e| Problem::BadRequest(format!("the upload broke off: {e}")))?;
        match staging.write(&chunk).await {
            Ok(()) => {}
            Err(ServiceError::Rejected(_)) => {
                drop(staging);
                drain(&mut body, kind.max_bytes()).await;
                return Err(too_large());
            }
            Err(e) => return Err(e.into()),
        }
    }
    let record = state
        .media
        .finish(
            staging,
            MediaOwner::User(user.user_id),
            query.name.as_deref(),
            mime.as_deref(),
        )
        .await
        .map_err(|e| match e {
            ServiceError::Rejected(_) if kind == UploadKind::Image => Problem::Unprocessable(
                "not an image this server can read (PNG, JPEG, GIF, WebP, BMP, ICO, TIFF, HEIF)"
                    .into(),
            ),
            ServiceError::Rejected(_) => Problem::BadRequest("the upload is empty".into()),
            other => other.into(),
        })?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "kind": kind.as_str(),
            "key": record.key,
            "url": media_path(&record.key),
            "name": record.name,
            "size": record.size,
            "mime": record.mime,
            "width": record.width,
            "height": record.height,
            "duration": record.duration,
        })),
    ))
}
