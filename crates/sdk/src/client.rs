//! The bot API client: one method per endpoint of wire §6.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use bytes::Bytes;
use cloudlake_protocol::{
    AnswerClickRequest, BatchSendData, BatchSendRequest, BoardAllRequest, BoardDismissRequest,
    BoardRequest, BoardTarget, ContentType, EditData, EditRequest, Envelope, GagMemberRequest,
    GroupTag, MAX_BATCH_RECIPIENTS, MessageInfo, MessagesData, MessagesQuery, MsgTypeLimitRequest,
    OutgoingMessage, RecallRequest, RecvType, RemoveMemberRequest, SendData, SendRequest,
    SendStreamQuery, TagCreateData, TagCreateRequest, TagDeleteRequest, TagEditRequest,
    TagListData, TagListRequest, TagUserRequest, UploadData, UploadKind,
};
use futures_util::TryStream;
use reqwest::{RequestBuilder, Url};
use serde::Serialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::Value;

use crate::{Board, Chat, Error};

/// Yunhu's bot API base URL, the default.
pub const YUNHU_BASE_URL: &str = "https://chat-go.jwzhd.com/open-apis/v1";

/// Yunhu's event WebSocket, the default for [`Client::ws_url`] when the base URL is Yunhu's.
pub const YUNHU_WS_URL: &str = "wss://ws.jwzhd.com/subscribe";

/// How many bytes of an unexpected reply body an [`Error::Status`] keeps.
const BODY_SNIPPET: usize = 300;

/// Retries with exponential backoff and jitter, for rate limits (`1007`) and transport
/// failures (see [`Error::is_retryable`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: usize,
    /// The first delay.
    pub min_delay: Duration,
    /// The longest delay.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 3 retries, from 200 ms up to 5 s: enough to ride out Yunhu's 10 requests/s limit.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_retries)
            .with_jitter()
    }
}

/// Configures a [`Client`].
pub struct ClientBuilder {
    token: String,
    base_url: String,
    ws_url: Option<String>,
    retry: Option<RetryPolicy>,
    timeout: Option<Duration>,
    http: Option<reqwest::Client>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("ws_url", &self.ws_url)
            .field("token", &"***")
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The bot API base URL, e.g. `http://127.0.0.1:8080/open-apis/v1` for a local cloudlake
    /// (default: [`YUNHU_BASE_URL`]).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The event WebSocket URL (default: derived from the base URL, see [`Client::ws_url`]).
    pub fn ws_url(mut self, url: impl Into<String>) -> Self {
        self.ws_url = Some(url.into());
        self
    }

    /// Retries rate-limited calls and transport failures (off by default).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// A timeout for each attempt of each call (default: none).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Uses this reqwest client (for proxies, custom TLS, …); [`timeout`](Self::timeout) is
    /// then ignored.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Checks the URLs and builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let base_url = parse_url(&self.base_url, &["http", "https"])?
            .as_str()
            .trim_end_matches('/')
            .to_owned();
        let ws_url = match &self.ws_url {
            Some(url) => Some(parse_url(url, &["ws", "wss"])?),
            None => None,
        };
        let http = match self.http {
            Some(http) => http,
            None => {
                let mut builder = reqwest::Client::builder();
                if let Some(timeout) = self.timeout {
                    builder = builder.timeout(timeout);
                }
                builder.build().map_err(Error::transport)?
            }
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url,
                ws_url,
                token: self.token,
                retry: self.retry,
            }),
        })
    }
}

fn parse_url(url: &str, schemes: &[&str]) -> Result<Url, Error> {
    let parsed = Url::parse(url).map_err(|e| Error::Url(format!("{url:?}: {e}")))?;
    if !schemes.contains(&parsed.scheme()) {
        return Err(Error::Url(format!(
            "{url:?}: the scheme must be one of {}",
            schemes.join(", ")
        )));
    }
    Ok(parsed)
}

/// A client of the bot API, for Yunhu or for cloudlake: the same calls, only the base URL
/// differs. Cheap to clone; clones share one connection pool.
///
/// Every call sends the token as `?token=` (wire §2) and turns a reply with `code != 1` into
/// [`Error::Api`] carrying the code and msg.
///
/// ```no_run
/// # async fn demo() -> Result<(), cloudlake_sdk::Error> {
/// use cloudlake_sdk::{Chat, Client, Message, RetryPolicy};
///
/// let client = Client::builder("BOT_TOKEN")
///     .base_url("http://127.0.0.1:8080/open-apis/v1") // leave out for Yunhu
///     .retry(RetryPolicy::default())
///     .build()?;
/// let sent = client.send(&Chat::group("307149245"), Message::text("hello")).await?;
/// client.recall(&sent.msg_id, &Chat::group("307149245")).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: String,
    ws_url: Option<Url>,
    token: String,
    retry: Option<RetryPolicy>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("token", &"***")
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client of Yunhu with default settings.
    pub fn new(token: impl Into<String>) -> Result<Client, Error> {
        Self::builder(token).build()
    }

    /// A builder, to set the base URL, retries or a timeout.
    pub fn builder(token: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            token: token.into(),
            base_url: YUNHU_BASE_URL.to_owned(),
            ws_url: None,
            retry: None,
            timeout: None,
            http: None,
        }
    }

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The event WebSocket's URL (without the token): the one configured; else Yunhu's for
    /// Yunhu's base URL; else `/subscribe` on the base URL's host (cloudlake's default path),
    /// `ws://` for `http://` and `wss://` for `https://`.
    pub fn ws_url(&self) -> Result<Url, Error> {
        if let Some(url) = &self.inner.ws_url {
            return Ok(url.clone());
        }
        if self.inner.base_url == YUNHU_BASE_URL {
            return parse_url(YUNHU_WS_URL, &["wss"]);
        }
        let mut url = parse_url(&self.inner.base_url, &["http", "https"])?;
        let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
        url.set_scheme(scheme)
            .map_err(|()| Error::Url("cannot derive the WebSocket URL".into()))?;
        url.set_path("/subscribe");
        url.set_query(None);
        Ok(url)
    }

    /// A [`Subscriber`](crate::subscribe::Subscriber) for this bot's events at
    /// [`ws_url`](Self::ws_url).
    #[cfg(feature = "subscribe")]
    pub fn subscriber(&self) -> Result<crate::subscribe::Subscriber, Error> {
        Ok(crate::subscribe::Subscriber::new(
            self.ws_url()?,
            self.inner.token.clone(),
        ))
    }

    // ---- messages ----

    /// `POST /bot/send`: one message to one user or group.
    pub async fn send(
        &self,
        chat: &Chat,
        message: impl Into<OutgoingMessage>,
    ) -> Result<MessageInfo, Error> {
        let body = SendRequest {
            recv_id: chat.id.clone(),
            recv_type: chat.kind,
            message: message.into(),
        };
        let data: SendData = self.post_json("bot/send", &body).await?;
        Ok(data.message_info)
    }

    /// `POST /bot/batch_send`: the same message to many users, or to many groups.
    ///
    /// Duplicate IDs are sent once. Yunhu takes at most 200 recipients per request, so a
    /// longer list goes out as several requests, one after the other, and their results are
    /// merged in order. Recipients that could not be reached are missing from
    /// `success_list` (wire §6.2). If a request after the first fails, the error is
    /// [`Error::Batch`] with what the earlier requests delivered.
    pub async fn batch_send(
        &self,
        kind: RecvType,
        recv_ids: impl IntoIterator<Item = impl Into<String>>,
        message: impl Into<OutgoingMessage>,
    ) -> Result<BatchSendData, Error> {
        self.batch_send_with_progress(kind, recv_ids, message, |_, _| {})
            .await
    }

    /// [`batch_send`](Self::batch_send), calling `progress(done, total)` after each request
    /// with how many of the (de-duplicated) recipients have been handled.
    pub async fn batch_send_with_progress(
        &self,
        kind: RecvType,
        recv_ids: impl IntoIterator<Item = impl Into<String>>,
        message: impl Into<OutgoingMessage>,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<BatchSendData, Error> {
        let mut seen = HashSet::new();
        let ids: Vec<String> = recv_ids
            .into_iter()
            .map(Into::into)
            .filter(|id| seen.insert(id.clone()))
            .collect();
        let message = message.into();
        let mut merged = BatchSendData {
            success_count: 0,
            success_list: Vec::new(),
        };
        // An empty list still makes one request, so the server's own error answers it.
        let chunks: Vec<&[String]> = if ids.is_empty() {
            vec![&[]]
        } else {
            ids.chunks(MAX_BATCH_RECIPIENTS).collect()
        };
        let mut done = 0;
        for (i, chunk) in chunks.into_iter().enumerate() {
            let body = BatchSendRequest {
                recv_ids: chunk.to_vec(),
                recv_type: kind,
                message: message.clone(),
            };
            match self
                .post_json::<_, BatchSendData>("bot/batch_send", &body)
                .await
            {
                Ok(data) => {
                    merged.success_count += data.success_count;
                    merged.success_list.extend(data.success_list);
                }
                Err(e) if i == 0 => return Err(e),
                Err(e) => {
                    return Err(Error::Batch {
                        sent: merged,
                        source: Box::new(e),
                    });
                }
            }
            done += chunk.len();
            progress(done, ids.len());
        }
        Ok(merged)
    }

    /// `POST /bot/edit`: replaces the content of a message the bot sent to `chat`.
    pub async fn edit(
        &self,
        msg_id: &str,
        chat: &Chat,
        message: impl Into<OutgoingMessage>,
    ) -> Result<(), Error> {
        let body = EditRequest {
            msg_id: msg_id.to_owned(),
            recv_id: chat.id.clone(),
            recv_type: chat.kind,
            message: message.into(),
        };
        let _: EditData = self.post_json("bot/edit", &body).await?;
        Ok(())
    }

    /// `POST /bot/answer-click` (a cloudlake extension, wire §7.7d; Yunhu has no such call):
    /// answers `user_id`'s click on a button of the bot's message `msg_id` (a
    /// `button.report.inline` or `a2ui.button.report` of the last 15 minutes, once) with a
    /// `notice` for that person alone, a new content for the message in place, or both.
    pub async fn answer_click(
        &self,
        msg_id: &str,
        user_id: &str,
        notice: Option<&str>,
        message: Option<OutgoingMessage>,
    ) -> Result<(), Error> {
        let body = AnswerClickRequest {
            msg_id: msg_id.to_owned(),
            user_id: user_id.to_owned(),
            notice: notice.map(str::to_owned),
            message,
        };
        let _: IgnoredAny = self.post_json("bot/answer-click", &body).await?;
        Ok(())
    }

    /// `POST /bot/recall`: withdraws a message from `chat`.
    pub async fn recall(&self, msg_id: &str, chat: &Chat) -> Result<(), Error> {
        let body = RecallRequest {
            msg_id: msg_id.to_owned(),
            chat_id: chat.id.clone(),
            chat_type: chat.kind,
        };
        let _: IgnoredAny = self.post_json("bot/recall", &body).await?;
        Ok(())
    }

    /// `GET /bot/messages`: a page of history, newest first (see [`Chat::latest`] and
    /// [`Chat::around`]).
    pub async fn messages(&self, query: &MessagesQuery) -> Result<MessagesData, Error> {
        let url = self.url("bot/messages");
        self.call(|| self.inner.http.get(&url).query(query)).await
    }

    /// `POST /bot/send-stream`: a text or markdown message whose body is streamed as it is
    /// produced (users watching the chat see it grow). `chunks` yields the text piece by
    /// piece; the message is stored when the stream ends. Never retried: a stream cannot be
    /// replayed.
    pub async fn send_stream<S>(
        &self,
        chat: &Chat,
        content_type: ContentType,
        parent_id: Option<&str>,
        chunks: S,
    ) -> Result<MessageInfo, Error>
    where
        S: TryStream + Send + 'static,
        S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
        Bytes: From<S::Ok>,
    {
        let query = stream_query(chat, content_type, parent_id);
        let req = self
            .inner
            .http
            .post(self.url("bot/send-stream"))
            .query(&query)
            .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(reqwest::Body::wrap_stream(chunks));
        let data: SendData = self.once(req).await?;
        Ok(data.message_info)
    }

    /// [`send_stream`](Self::send_stream) with the whole text at once (retried like any
    /// other call).
    pub async fn send_stream_text(
        &self,
        chat: &Chat,
        content_type: ContentType,
        parent_id: Option<&str>,
        text: impl Into<String>,
    ) -> Result<MessageInfo, Error> {
        let query = stream_query(chat, content_type, parent_id);
        let text: String = text.into();
        let url = self.url("bot/send-stream");
        let data: SendData = self
            .call(|| {
                self.inner
                    .http
                    .post(&url)
                    .query(&query)
                    .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8")
                    .body(text.clone())
            })
            .await?;
        Ok(data.message_info)
    }

    // ---- boards ----

    /// `POST /bot/board`: sets the bot's board in `chat`; with `member`, for that group
    /// member only.
    pub async fn board(
        &self,
        chat: &Chat,
        member: Option<&str>,
        board: &Board,
    ) -> Result<(), Error> {
        let body = BoardRequest {
            target: board_target(chat, member),
            board: board.content().clone(),
        };
        let _: EditData = self.post_json("bot/board", &body).await?;
        Ok(())
    }

    /// `POST /bot/board-all`: sets the bot's board in every chat it has; returns how many
    /// chats that is.
    pub async fn board_all(&self, board: &Board) -> Result<u64, Error> {
        let body = BoardAllRequest {
            board: board.content().clone(),
        };
        let data: EditData = self.post_json("bot/board-all", &body).await?;
        Ok(data.success_count)
    }

    /// `POST /bot/board-dismiss`: removes the bot's board from `chat` (or from one member's
    /// view of a group).
    pub async fn board_dismiss(&self, chat: &Chat, member: Option<&str>) -> Result<(), Error> {
        let body = BoardDismissRequest {
            target: board_target(chat, member),
        };
        let _: IgnoredAny = self.post_json("bot/board-dismiss", &body).await?;
        Ok(())
    }

    /// `POST /bot/board-all-dismiss`: removes the bot's global board.
    pub async fn board_all_dismiss(&self) -> Result<(), Error> {
        let _: IgnoredAny = self
            .post_json("bot/board-all-dismiss", &serde_json::json!({}))
            .await?;
        Ok(())
    }

    // ---- uploads ----

    /// `POST /image/upload`, `/video/upload` or `/file/upload`: returns the key to send as
    /// `imageKey`, `videoKey` or `fileKey`. `file_name` needs an extension (Yunhu: `.jpg`, not
    /// `.jpeg`). Limits: image 10 MB, video and file 20 MB.
    pub async fn upload(
        &self,
        kind: UploadKind,
        file_name: &str,
        bytes: impl Into<Bytes>,
    ) -> Result<String, Error> {
        let bytes: Bytes = bytes.into();
        let url = self.url(&format!("{}/upload", kind.as_str()));
        let data: UploadData = self
            .call(|| {
                // The form is rebuilt for each attempt; cloning `Bytes` copies no data.
                let part = reqwest::multipart::Part::stream_with_length(
                    reqwest::Body::from(bytes.clone()),
                    bytes.len() as u64,
                )
                .file_name(file_name.to_owned());
                let form = reqwest::multipart::Form::new().part(kind.as_str(), part);
                self.inner.http.post(&url).multipart(form)
            })
            .await?;
        Ok(match data {
            UploadData::Image(d) => d.image_key,
            UploadData::Video(d) => d.video_key,
            UploadData::File(d) => d.file_key,
        })
    }

    /// Uploads an image (at most 10 MB); returns its `imageKey`.
    pub async fn upload_image(
        &self,
        file_name: &str,
        bytes: impl Into<Bytes>,
    ) -> Result<String, Error> {
        self.upload(UploadKind::Image, file_name, bytes).await
    }

    /// Uploads a video (at most 20 MB); returns its `videoKey`.
    pub async fn upload_video(
        &self,
        file_name: &str,
        bytes: impl Into<Bytes>,
    ) -> Result<String, Error> {
        self.upload(UploadKind::Video, file_name, bytes).await
    }

    /// Uploads a file (at most 20 MB); returns its `fileKey`.
    pub async fn upload_file(
        &self,
        file_name: &str,
        bytes: impl Into<Bytes>,
    ) -> Result<String, Error> {
        self.upload(UploadKind::File, file_name, bytes).await
    }

    // ---- group administration (the bot needs the permission in the group) ----

    /// `POST /group/gag-member`: mutes a member for `gag` seconds (0 unmutes, -1 is
    /// permanent).
    pub async fn gag_member(&self, req: &GagMemberRequest) -> Result<(), Error> {
        let _: IgnoredAny = self.post_json("group/gag-member", req).await?;
        Ok(())
    }

    /// `POST /group/remove-member`: removes a member from the group.
    pub async fn remove_member(&self, req: &RemoveMemberRequest) -> Result<(), Error> {
        let _: IgnoredAny = self.post_json("group/remove-member", req).await?;
        Ok(())
    }

    /// `POST /group/msg-type-limit`: which message types members may send (none = any).
    pub async fn msg_type_limit(&self, req: &MsgTypeLimitRequest) -> Result<(), Error> {
        let _: IgnoredAny = self.post_json("group/msg-type-limit", req).await?;
        Ok(())
    }

    /// `POST /group/tag/list`: the group's member tags.
    pub async fn tag_list(&self, group_id: &str) -> Result<Vec<GroupTag>, Error> {
        let body = TagListRequest {
            group_id: group_id.to_owned(),
        };
        let data: TagListData = self.post_json("group/tag/list", &body).await?;
        Ok(data.list)
    }

    /// `POST /group/tag/create`: returns the new tag's ID.
    pub async fn tag_create(&self, req: &TagCreateRequest) -> Result<i64, Error> {
        let data: TagCreateData = self.post_json("group/tag/create", req).await?;
        Ok(data.tag_id)
    }

    /// `POST /group/tag/edit`: renames or restyles a tag.
    pub async fn tag_edit(&self, req: &TagEditRequest) -> Result<(), Error> {
        let _: IgnoredAny = self.post_json("group/tag/edit", req).await?;
        Ok(())
    }

    /// `POST /group/tag/delete`.
    pub async fn tag_delete(&self, req: &TagDeleteRequest) -> Result<(), Error> {
        let _: IgnoredAny = self.post_json("group/tag/delete", req).await?;
        Ok(())
    }

    /// `POST /group/tag/user-relate`: gives a member a tag.
    pub async fn tag_user_relate(&self, req: &TagUserRequest) -> Result<(), Error> {
        let _: IgnoredAny = self.post_json("group/tag/user-relate", req).await?;
        Ok(())
    }

    /// `POST /group/tag/user-relate-cancel`: takes a tag from a member.
    pub async fn tag_user_relate_cancel(&self, req: &TagUserRequest) -> Result<(), Error> {
        let _: IgnoredAny = self.post_json("group/tag/user-relate-cancel", req).await?;
        Ok(())
    }

    // ---- plumbing ----

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.inner.base_url)
    }

    async fn post_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, Error> {
        let url = self.url(path);
        self.call(|| self.inner.http.post(&url).json(body)).await
    }

    /// One call, retried as the policy says; `make` builds a fresh request per attempt.
    async fn call<T: DeserializeOwned>(
        &self,
        make: impl Fn() -> RequestBuilder,
    ) -> Result<T, Error> {
        let attempt = || async { self.once(make()).await };
        match &self.inner.retry {
            None => attempt().await,
            Some(policy) => {
                attempt
                    .retry(policy.backoff())
                    .when(Error::is_retryable)
                    .await
            }
        }
    }

    /// One attempt: adds the token, sends, and reads the `{code, msg, data}` envelope.
    async fn once<T: DeserializeOwned>(&self, req: RequestBuilder) -> Result<T, Error> {
        let resp = req
            .query(&[("token", &self.inner.token)])
            .send()
            .await
            .map_err(Error::transport)?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(Error::transport)?;
        let envelope: Envelope<Value> = match serde_json::from_slice(&body) {
            Ok(envelope) => envelope,
            Err(e) if status.is_success() => return Err(Error::Decode(e)),
            Err(_) => {
                let end = body.len().min(BODY_SNIPPET);
                return Err(Error::Status {
                    status: status.as_u16(),
                    body: String::from_utf8_lossy(&body[..end]).into_owned(),
                });
            }
        };
        // Calls without data (recall, dismiss, …) read `null` into `IgnoredAny`; calls with
        // data fail to decode if it is missing, rather than inventing it.
        let data = envelope.into_result()?.unwrap_or(Value::Null);
        serde_json::from_value(data).map_err(Error::Decode)
    }
}

fn stream_query(
    chat: &Chat,
    content_type: ContentType,
    parent_id: Option<&str>,
) -> SendStreamQuery {
    SendStreamQuery {
        recv_id: chat.id.clone(),
        recv_type: chat.kind,
        content_type,
        parent_id: parent_id.map(str::to_owned),
    }
}

fn board_target(chat: &Chat, member: Option<&str>) -> BoardTarget {
    BoardTarget {
        chat_id: chat.id.clone(),
        chat_type: chat.kind,
        member_id: member.map(str::to_owned),
    }
}
