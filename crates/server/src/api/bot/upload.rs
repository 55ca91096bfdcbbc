//! `POST /image/upload`, `/video/upload`, `/file/upload` (wire §6.7): one multipart part named
//! after the kind, streamed to a staging file while it is counted against the kind's limit.
//!
//! Accepted shapes (wire §12 item 10): the part with or without a filename (.NET sends none),
//! with or without its own Content-Type, and beside other text fields (rust3p's `extra=""`),
//! which are skipped. Memory stays bounded whatever the body's size: bytes go to disk as they
//! arrive, and an oversized upload is cut off at its limit. Time is bounded too: a body not
//! whole within `--upload-timeout-secs` is refused (`-1`, HTTP 200 as every bot API error).

use std::sync::Arc;

use axum::Router;
use axum::body::BodyDataStream;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::routing::post;
use cloudlake_protocol::{ApiError, UploadData, UploadKind};
use futures_util::StreamExt;
use multer::{Constraints, Multipart, SizeLimit};
use tokio::sync::Mutex;

use super::extract::AuthedBot;
use super::reply::{Failure, Success};
use crate::api::AppState;
use crate::service::{Media, ServiceError};
use crate::store::{Bot, MediaOwner};

/// Room for the multipart framing and small text fields beside the file part.
const MULTIPART_SLACK: u64 = 64 * 1024;

type Reply = Result<Success<UploadData>, Failure>;

/// The three upload routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(at!("/image/upload"), post(image))
        .route(at!("/video/upload"), post(video))
        .route(at!("/file/upload"), post(file))
}

/// `POST /image/upload`.
pub(crate) async fn image(state: State<AppState>, req: Request) -> Reply {
    upload(state, req, UploadKind::Image).await
}

/// `POST /video/upload`.
pub(crate) async fn video(state: State<AppState>, req: Request) -> Reply {
    upload(state, req, UploadKind::Video).await
}

/// `POST /file/upload`.
pub(crate) async fn file(state: State<AppState>, req: Request) -> Reply {
    upload(state, req, UploadKind::File).await
}

async fn upload(State(state): State<AppState>, req: Request, kind: UploadKind) -> Reply {
    let limit = kind.max_bytes() + MULTIPART_SLACK;
    // Authenticated here rather than by the `AuthedBot` extractor, so that a refused token
    // also drains the body (see `drain`).
    let (mut parts, body) = req.into_parts();
    let authed = AuthedBot::from_request_parts(&mut parts, &state).await;
    let declared_length = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let boundary = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| multer::parse_boundary(ct).ok());
    // Shared so that what multer leaves unread can still be drained after a refusal.
    let body = Arc::new(Mutex::new(body.into_data_stream()));
    let bot = match authed {
        Ok(AuthedBot(bot)) => bot,
        Err(refusal) => {
            drain(&body, limit).await;
            return Err(refusal);
        }
    };

    // A body declared larger than the limit is refused before a byte of it is stored.
    if declared_length.is_some_and(|n| n > limit) {
        drain(&body, limit).await;
        return Err(ApiError::upload_too_large(kind).into());
    }
    let Some(boundary) = boundary else {
        drain(&body, limit).await;
        return Err(ApiError::upload_failed(kind).into());
    };
    // The whole body within the upload time limit: a client trickling bytes would otherwise
    // hold a connection and a staging file for as long as it liked (issue 22). Dropping the
    // receiver deletes the staging file.
    let receiving = receive(&state.media, &bot, kind, Arc::clone(&body), boundary, limit);
    let Ok(result) = tokio::time::timeout(state.upload_timeout, receiving).await else {
        tracing::info!(
            bot = %bot.bot_id,
            limit_secs = state.upload_timeout.as_secs(),
            "an upload took too long; refused"
        );
        return Err(ApiError::upload_timed_out(kind, state.upload_timeout.as_secs()).into());
    };
    if result.is_err() {
        drain(&body, limit).await;
    }
    Ok(Success(Some(UploadData::new(kind, result?))))
}

/// Reads the multipart body up to the kind's part and stores that part.
async fn receive(
    media: &Media,
    bot: &Bot,
    kind: UploadKind,
    body: Arc<Mutex<BodyDataStream>>,
    boundary: String,
    limit: u64,
) -> Result<String, ServiceError> {
    let stream = futures_util::stream::unfold(body, |body| async move {
        let next = body.lock().await.next().await;
        next.map(|item| (item, body))
    });
    let constraints = Constraints::new().size_limit(SizeLimit::new().whole_stream(limit));
    let mut multipart = Multipart::with_constraints(stream, boundary, constraints);
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Err(ApiError::upload_failed(kind).into()),
            Err(e) => return Err(multipart_error(kind, &e)),
        };
        // Other fields (rust3p's `extra`) are skipped: multer discards their bytes when the
        // next field is asked for.
        if field.name() != Some(kind.as_str()) {
            continue;
        }
        let name = field.file_name().map(str::to_owned);
        let mime = field.content_type().map(ToString::to_string);
        let mut field = field;
        let mut staging = media.stage(kind).await?;
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => staging.write(&chunk).await?,
                Ok(None) => break,
                Err(e) => return Err(multipart_error(kind, &e)),
            }
        }
        let owner = MediaOwner::Bot(bot.bot_id.clone());
        return Ok(media
            .finish(staging, owner, name.as_deref(), mime.as_deref())
            .await?
            .key);
    }
}

fn multipart_error(kind: UploadKind, e: &multer::Error) -> ServiceError {
    match e {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            ApiError::upload_too_large(kind).into()
        }
        _ => ApiError::upload_failed(kind).into(),
    }
}

/// Drains what is left of a refused body (see [`crate::api::drain`]).
async fn drain(body: &Mutex<BodyDataStream>, limit: u64) {
    crate::api::drain::drain(&mut *body.lock().await, limit).await;
}
