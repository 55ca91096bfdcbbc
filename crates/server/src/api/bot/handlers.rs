//! One handler per bot API call: parse leniently, call the service, wrap the result.

use axum::extract::State;
use cloudlake_protocol::{
    AnswerClickRequest, ApiError, BatchSendData, BatchSendRequest, BoardAllRequest,
    BoardDismissRequest, BoardRequest, EditData, EditRequest, MessagesData, MessagesQuery,
    RecallRequest, SendData, SendRequest, SendStreamQuery,
};

use super::extract::{AuthedBot, Body, QueryPairs};
use super::reply::{Failure, Success};
use crate::api::AppState;

type Reply<T> = Result<Success<T>, Failure>;

/// `POST /bot/send`.
pub(crate) async fn send(
    State(state): State<AppState>,
    AuthedBot(bot): AuthedBot,
    Body(body): Body,
) -> Reply<SendData> {
    let req = SendRequest::parse(&body)?;
    let message_info = state.messaging.send(&bot, req).await?;
    Ok(Success(Some(SendData { message_info })))
}

/// `POST /bot/batch_send`.
pub(crate) async fn batch_send(
    State(state): State<AppState>,
    AuthedBot(bot): AuthedBot,
    Body(body): Body,
) -> Reply<BatchSendData> {
    let req = BatchSendRequest::parse(&body)?;
    Ok(Success(Some(state.messaging.batch_send(&bot, req).await?)))
}

/// `POST /bot/edit`.
pub(crate) async fn edit(
    State(state): State<AppState>,
    AuthedBot(bot): AuthedBot,
    Body(body): Body,
) -> Reply<EditData> {
    let req = EditRequest::parse(&body)?;
    state.messaging.edit(&bot, req).await?;
    Ok(Success(Some(EditData { success_count: 1 })))
}

/// `POST /bot/answer-click` (a cloudlake extension, wire §7.7d): success carries no data.
pub(crate) async fn answer_click(
    State(state): State<AppState>,
    AuthedBot(bot): AuthedBot,
    Body(body): Body,
) -> Reply<()> {
    let req = AnswerClickRequest::parse(&body)?;
    state.messaging.answer_click(&bot, req).await?;
    Ok(Success(None))
}

/// `POST /bot/recall`: success carries no data (wire §6.5).
pub(crate) async fn recall(
    State(state): State<AppState>,
    AuthedBot(bot): AuthedBot,
    Body(body): Body,
) -> Reply<()> {
    let req = RecallRequest::parse(&body)?;
    state.messaging.recall(&bot, req).await?;
    Ok(Success(None))
}

/// `GET /bot/messages`: everything is in the query string.
pub(crate) async fn messages_get(
    State(state): State<AppState>,
    AuthedBot(bot): AuthedBot,
    QueryPairs(pairs): QueryPairs,
) -> Reply<MessagesData> {
    let query = MessagesQuery::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
    Ok(Success(Some(state.messaging.history(&bot, query).await?)))
}

/// `POST /bot/messages`: the query string first, then any keys of a JSON body.
pub(crate) async fn messages_post(
    State(state): State<AppState>,
    AuthedBot(bot): AuthedBot,
    QueryPairs(pairs): QueryPairs,
    Body(body): Body,
) -> Reply<MessagesData> {
    let from_body = MessagesQuery::pairs_from_body(&body)?;
    let query = MessagesQuery::parse(
        pairs
            .iter()
            .chain(from_body.iter())
            .map(|(k, v)| (k.as_str(), v.as_str())),
    )?;
    Ok(Success(Some(state.messaging.history(&bot, query).await?)))
}

/// `POST /bot/board`: `{"successCount": 1}`.
pub(crate) async fn board(
    State(state): State<AppState>,
    AuthedBot(bot): AuthedBot,
    Body(body): Body,
) -> Reply<EditData> {
    let req = BoardRequest::parse(&body)?;
    state.messaging.board(&bot, req).await?;
    Ok(Success(Some(EditData { success_count: 1 })))
}

/// `POST /bot/board-all`: `{"successCount": <chats affected>}`.
pub(crate) async fn board_all(
    State(state): State<AppState>,
    AuthedBot(bot): AuthedBot,
    Body(body): Body,
) -> Reply<EditData> {
    let req = BoardAllRequest::parse(&body)?;
    let success_count = state.messaging.board_all(&bot, req).await?;
    Ok(Success(Some(EditData { success_count })))
}

/// `POST /bot/board-dismiss`: success without data.
pub(crate) async fn board_dismiss(
    State(state): State<AppState>,
    AuthedBot(bot): AuthedBot,
    Body(body): Body,
) -> Reply<()> {
    let req = BoardDismissRequest::parse(&body)?;
    state.messaging.board_dismiss(&bot, req).await?;
    Ok(Success(None))
}

/// `POST /bot/board-all-dismiss`: takes no parameters; any body (none, empty, `{}`) is fine.
pub(crate) async fn board_all_dismiss(
    State(state): State<AppState>,
    AuthedBot(bot): AuthedBot,
) -> Reply<()> {
    state.messaging.board_all_dismiss(&bot).await?;
    Ok(Success(None))
}

/// How often a streaming message's text is pushed to connected users at most.
const STREAM_PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// `POST /bot/send-stream?recvId=&recvType=&contentType=`: the body is the text, chunked or
/// not, with any Content-Type (wire §12 item 9). Connected users see it grow; it is stored
/// when the body ends, and the reply has the shape of `/bot/send`. A body not ended within
/// the upload time limit is dropped (the users see the stream end) and refused.
pub(crate) async fn send_stream(
    State(state): State<AppState>,
    AuthedBot(bot): AuthedBot,
    QueryPairs(pairs): QueryPairs,
    body: axum::body::Body,
) -> Reply<SendData> {
    use futures_util::StreamExt;

    let query = SendStreamQuery::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
    let stream = state.messaging.begin_stream(&bot, query).await?;
    let mut text: Vec<u8> = Vec::new();
    let mut chunks = body.into_data_stream();
    let mut last_progress = tokio::time::Instant::now();
    // The request time limit does not apply (a model may stream for minutes); the upload time
    // limit does, so a body that trickles forever does not hold the stream open forever.
    let deadline = last_progress + state.upload_timeout;
    loop {
        let Ok(next) = tokio::time::timeout_at(deadline, chunks.next()).await else {
            stream.abort();
            return Err(ApiError::business(format!(
                "流式消息超时，须在{secs}秒内传完 (the stream took longer than {secs} s)",
                secs = state.upload_timeout.as_secs()
            ))
            .into());
        };
        let Some(chunk) = next else { break };
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => {
                stream.abort();
                return Err(ApiError::invalid_param(format!("请求体读取失败: {e}")).into());
            }
        };
        if text.len() + chunk.len() > state.max_body_bytes {
            stream.abort();
            return Err(ApiError::body_too_large(state.max_body_bytes).into());
        }
        text.extend_from_slice(&chunk);
        if last_progress.elapsed() >= STREAM_PROGRESS_EVERY {
            // Show only whole characters: a chunk may end inside a UTF-8 sequence.
            let whole = match std::str::from_utf8(&text) {
                Ok(all) => all,
                Err(e) => std::str::from_utf8(&text[..e.valid_up_to()]).unwrap_or_default(),
            };
            stream.progress(whole);
            last_progress = tokio::time::Instant::now();
        }
    }
    let text = String::from_utf8_lossy(&text).into_owned();
    let message_info = stream.finish(text).await?;
    Ok(Success(Some(SendData { message_info })))
}
