//! The bot commands: `send`, `send-stream`, `batch-send`, `edit`, `recall`, `messages`,
//! `upload`, `board` and `events`, each a thin shell around one `cloudlake-sdk` call, so that they work against Yunhu
//! as well as against cloudlake.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand, ValueEnum};
use cloudlake_sdk::{
    Board, Chat, Client, ClientBuilder, ContentType, Message, MessageItem, MessagesQuery, RecvType,
    RetryPolicy, Row, UploadKind, YUNHU_BASE_URL,
};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

/// The bot API of a `cloudlake serve` with its default `--listen`: where the bot commands go
/// unless told otherwise. Not Yunhu's server: a user who forgot `CLOUDLAKE_BASE_URL` would
/// send a cloudlake bot token (and the message) to a third party.
pub const LOCAL_BASE_URL: &str = "http://127.0.0.1:8080/open-apis/v1";

/// Where the bot API is and who the bot is; shared by every bot command.
#[derive(Args)]
pub struct Connection {
    /// The bot API base URL: `http://HOST:PORT/open-apis/v1` for cloudlake (default: the local
    /// server), `https://chat-go.jwzhd.com/open-apis/v1` (or --yunhu) for Yunhu.
    #[arg(long, env = "CLOUDLAKE_BASE_URL", default_value = LOCAL_BASE_URL, global = true)]
    base_url: String,
    /// Talk to Yunhu's own server (`https://chat-go.jwzhd.com/open-apis/v1`) instead of
    /// --base-url / CLOUDLAKE_BASE_URL: the token must then be a Yunhu bot's.
    #[arg(long, global = true)]
    yunhu: bool,
    /// The bot's token.
    #[arg(
        long,
        env = "CLOUDLAKE_BOT_TOKEN",
        hide_env_values = true,
        global = true
    )]
    token: Option<String>,
    /// Retries (with backoff) of a rate-limited call (1007) or a transport failure.
    #[arg(long, env = "CLOUDLAKE_RETRIES", default_value_t = 0, global = true)]
    retries: usize,
    /// Print the result as JSON (one object per line) instead of text.
    #[arg(long, global = true)]
    json: bool,
}

impl Connection {
    /// The base URL the command talks to: Yunhu's only when asked for by name.
    fn base_url(&self) -> &str {
        if self.yunhu {
            YUNHU_BASE_URL
        } else {
            &self.base_url
        }
    }

    fn client(&self) -> Result<Client> {
        Ok(self.builder()?.build()?)
    }

    fn builder(&self) -> Result<ClientBuilder> {
        let token = self
            .token
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| anyhow!("no bot token: pass --token or set CLOUDLAKE_BOT_TOKEN"))?;
        let mut builder = Client::builder(token).base_url(self.base_url());
        if self.retries > 0 {
            builder = builder.retry(RetryPolicy {
                max_retries: self.retries,
                ..RetryPolicy::default()
            });
        }
        Ok(builder)
    }

    /// Prints `value` as one JSON line with `--json`, else `text`.
    fn print(&self, value: &Value, text: impl FnOnce() -> String) {
        if self.json {
            println!("{value}");
        } else {
            println!("{}", text());
        }
    }
}

/// One chat: `--user ID` or `--group ID`.
#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct Target {
    /// A user (private chat; the user must follow the bot).
    #[arg(long)]
    user: Option<String>,
    /// A group the bot is in.
    #[arg(long)]
    group: Option<String>,
}

impl Target {
    fn chat(&self) -> Chat {
        match (&self.user, &self.group) {
            (Some(user), _) => Chat::user(user),
            (None, Some(group)) => Chat::group(group),
            // clap's group makes one of them required.
            (None, None) => Chat::user(""),
        }
    }
}

/// `user` or `group`.
#[derive(Clone, Copy, ValueEnum)]
pub enum Kind {
    /// Users.
    User,
    /// Groups.
    Group,
}

/// The content types a bot may send.
#[derive(Clone, Copy, ValueEnum)]
pub enum SendType {
    /// Plain text.
    Text,
    /// Markdown.
    Markdown,
    /// HTML.
    Html,
    /// An image: CONTENT is the key `upload image` printed.
    Image,
    /// A file: CONTENT is the key `upload file` printed.
    File,
    /// A video: CONTENT is the key `upload video` printed.
    Video,
    /// An A2UI card: CONTENT is an A2UI v0.9 document (JSON, or JSON Lines; `-` and a file
    /// piped in work well).
    A2ui,
}

/// What is sent: text (or an upload key), its type, buttons, mentions, a quote.
#[derive(Args)]
pub struct Content {
    /// The text, or the upload key for image/file/video; `-` reads it from stdin.
    content: String,
    /// The content type.
    #[arg(long = "type", value_enum, default_value = "text")]
    content_type: SendType,
    /// A row of buttons, `LABEL=ACTION:VALUE` separated by `;`, ACTION being `url`, `copy` or
    /// `report` (a click reaches the bot as an event). Repeat for more rows.
    #[arg(long = "row", value_name = "BUTTONS")]
    rows: Vec<String>,
    /// Mention this user ID (repeatable; in the text write `@nickname` + U+200B).
    #[arg(long = "at", value_name = "USER_ID")]
    at: Vec<String>,
    /// Quote this message.
    #[arg(long, value_name = "MSG_ID")]
    reply_to: Option<String>,
}

impl Content {
    fn message(&self) -> Result<Message> {
        let content = if self.content == "-" {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("reading the content from stdin")?;
            text
        } else {
            self.content.clone()
        };
        let mut message = match self.content_type {
            SendType::Text => Message::text(content),
            SendType::Markdown => Message::markdown(content),
            SendType::Html => Message::html(content),
            SendType::Image => Message::image(content.trim()),
            SendType::File => Message::file(content.trim()),
            SendType::Video => Message::video(content.trim()),
            SendType::A2ui => Message::a2ui(content),
        };
        for row in &self.rows {
            message = message.row(parse_row(row)?);
        }
        if !self.at.is_empty() {
            message = message.at(self.at.iter().cloned());
        }
        if let Some(parent) = &self.reply_to {
            message = message.reply_to(parent);
        }
        Ok(message)
    }
}

/// Reads `LABEL=ACTION:VALUE;LABEL=ACTION:VALUE`.
fn parse_row(spec: &str) -> Result<Row> {
    let mut row = Row::new();
    for button in spec.split(';').map(str::trim).filter(|b| !b.is_empty()) {
        let parsed = button.split_once('=').and_then(|(label, action)| {
            let (kind, value) = action.split_once(':')?;
            Some((label.trim(), kind.trim(), value.trim()))
        });
        row = match parsed {
            Some((label, "url", value)) => row.url(label, value),
            Some((label, "copy", value)) => row.copy(label, value),
            Some((label, "report", value)) => row.report(label, value),
            _ => bail!(
                "button {button:?} is not LABEL=url:URL, LABEL=copy:TEXT or LABEL=report:VALUE"
            ),
        };
    }
    Ok(row)
}

/// `cloudlake send`.
#[derive(Args)]
pub struct SendArgs {
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    content: Content,
    #[command(flatten)]
    conn: Connection,
}

/// `cloudlake send-stream`.
#[derive(Args)]
pub struct SendStreamArgs {
    #[command(flatten)]
    target: Target,
    /// The text; `-` (the default) streams standard input as it arrives, so the chat sees
    /// the message grow while the program writing it (an LLM, a build log) runs.
    #[arg(default_value = "-")]
    content: String,
    /// The content type: a streamed message is text or markdown.
    #[arg(long = "type", value_enum, default_value = "text")]
    content_type: StreamType,
    /// Quote this message.
    #[arg(long, value_name = "MSG_ID")]
    reply_to: Option<String>,
    #[command(flatten)]
    conn: Connection,
}

/// The content types of a streamed message.
#[derive(Clone, Copy, ValueEnum)]
pub enum StreamType {
    /// Plain text.
    Text,
    /// Markdown.
    Markdown,
}

/// `cloudlake batch-send`.
#[derive(Args)]
pub struct BatchSendArgs {
    /// Whether the recipients are users or groups.
    #[arg(long = "to", value_enum)]
    kind: Kind,
    /// Recipient IDs (also read from --file); separated by spaces, commas or newlines.
    #[arg(long = "recipient", short = 'r', value_name = "ID")]
    recipients: Vec<String>,
    /// A file of recipient IDs, one per line (`#` starts a comment); `-` is stdin.
    #[arg(long, value_name = "PATH")]
    file: Option<PathBuf>,
    #[command(flatten)]
    content: Content,
    #[command(flatten)]
    conn: Connection,
}

/// `cloudlake edit`.
#[derive(Args)]
pub struct EditArgs {
    /// The message to edit.
    msg_id: String,
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    content: Content,
    #[command(flatten)]
    conn: Connection,
}

/// `cloudlake recall`.
#[derive(Args)]
pub struct RecallArgs {
    /// The message to recall.
    msg_id: String,
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    conn: Connection,
}

/// `cloudlake answer-click`.
#[derive(Args)]
pub struct AnswerClickArgs {
    /// The clicked message.
    msg_id: String,
    /// Who clicked (the event's userId).
    user_id: String,
    /// A notice shown to that person alone (one line, at most 200 characters).
    #[arg(long)]
    notice: Option<String>,
    /// A new text for the message, replacing its content in place.
    #[arg(long, value_name = "TEXT")]
    update: Option<String>,
    /// The new text's type.
    #[arg(
        long = "update-type",
        value_enum,
        default_value = "text",
        requires = "update"
    )]
    update_type: SendType,
    #[command(flatten)]
    conn: Connection,
}

/// `cloudlake messages`.
#[derive(Args)]
pub struct MessagesArgs {
    #[command(flatten)]
    target: Target,
    /// How many messages older than the anchor (or the latest, without --around).
    #[arg(long, default_value_t = 20)]
    before: u32,
    /// How many messages newer than the anchor.
    #[arg(long, default_value_t = 0)]
    after: u32,
    /// The anchor message (included in the result).
    #[arg(long, value_name = "MSG_ID")]
    around: Option<String>,
    #[command(flatten)]
    conn: Connection,
}

/// `cloudlake upload`.
#[derive(Args)]
pub struct UploadArgs {
    /// What kind of upload.
    #[arg(value_enum)]
    kind: UploadKindArg,
    /// The file.
    path: PathBuf,
    /// The file name to send (default: the path's; it needs an extension).
    #[arg(long)]
    name: Option<String>,
    #[command(flatten)]
    conn: Connection,
}

/// `image`, `video` or `file`.
#[derive(Clone, Copy, ValueEnum)]
pub enum UploadKindArg {
    /// An image, at most 10 MB.
    Image,
    /// A video, at most 20 MB.
    Video,
    /// A file, at most 20 MB.
    File,
}

/// `cloudlake board`.
#[derive(Args)]
pub struct BoardArgs {
    #[command(subcommand)]
    command: BoardCommand,
    #[command(flatten)]
    conn: Connection,
}

/// A board's text and how long it lasts.
#[derive(Args)]
pub struct BoardText {
    /// The board's text; `-` reads it from stdin.
    content: String,
    /// The text's type.
    #[arg(long = "type", value_enum, default_value = "text")]
    content_type: BoardType,
    /// When it disappears, as a Unix time in seconds (default: never).
    #[arg(long, value_name = "UNIX_SECONDS")]
    expire_at: Option<i64>,
}

/// A board's text type.
#[derive(Clone, Copy, ValueEnum)]
pub enum BoardType {
    /// Plain text.
    Text,
    /// Markdown.
    Markdown,
    /// HTML.
    Html,
}

impl BoardText {
    fn board(&self) -> Result<Board> {
        let content = if self.content == "-" {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text)?;
            text
        } else {
            self.content.clone()
        };
        let board = match self.content_type {
            BoardType::Text => Board::text(content),
            BoardType::Markdown => Board::markdown(content),
            BoardType::Html => Board::html(content),
        };
        Ok(board.expires_at(self.expire_at.unwrap_or(0)))
    }
}

/// The board commands.
#[derive(Subcommand)]
pub enum BoardCommand {
    /// Set the bot's board in one chat (or for one group member).
    Set {
        #[command(flatten)]
        target: Target,
        /// Only this group member sees it.
        #[arg(long, value_name = "USER_ID")]
        member: Option<String>,
        #[command(flatten)]
        text: BoardText,
    },
    /// Set the bot's board in every chat it has.
    All {
        #[command(flatten)]
        text: BoardText,
    },
    /// Remove the bot's board from one chat (or one member's view).
    Dismiss {
        #[command(flatten)]
        target: Target,
        /// Only this group member's board.
        #[arg(long, value_name = "USER_ID")]
        member: Option<String>,
    },
    /// Remove the bot's board from every chat.
    DismissAll,
}

/// `cloudlake events`.
#[derive(Args)]
pub struct EventsArgs {
    /// The event WebSocket (default: derived from --base-url: Yunhu's for Yunhu, else
    /// `/subscribe` on the same host).
    #[arg(long, env = "CLOUDLAKE_WS_URL")]
    ws_url: Option<String>,
    /// Stop after this many events (default: run until interrupted).
    #[arg(long)]
    count: Option<u64>,
    #[command(flatten)]
    conn: Connection,
}

// ---- the commands ----

/// `cloudlake send`.
pub async fn send(args: SendArgs) -> Result<()> {
    let chat = args.target.chat();
    let sent = args
        .conn
        .client()?
        .send(&chat, args.content.message()?)
        .await?;
    args.conn.print(&serde_json::to_value(&sent)?, || {
        format!("sent {} to {} {}", sent.msg_id, chat.kind, chat.id)
    });
    Ok(())
}

/// `cloudlake send-stream`: an argument is sent in one piece (and retried like any call);
/// stdin goes out chunk by chunk as it is read, and the message is stored when stdin ends.
pub async fn send_stream(args: SendStreamArgs) -> Result<()> {
    let chat = args.target.chat();
    let kind = match args.content_type {
        StreamType::Text => ContentType::Text,
        StreamType::Markdown => ContentType::Markdown,
    };
    let client = args.conn.client()?;
    let parent = args.reply_to.as_deref();
    let sent = if args.content == "-" {
        client
            .send_stream(&chat, kind, parent, stdin_chunks())
            .await?
    } else {
        client
            .send_stream_text(&chat, kind, parent, args.content.clone())
            .await?
    };
    args.conn.print(&serde_json::to_value(&sent)?, || {
        format!("sent {} to {} {}", sent.msg_id, chat.kind, chat.id)
    });
    Ok(())
}

/// Standard input as a stream of the chunks each read returns, read on a thread of its own
/// (a blocking read of a pipe cannot be cancelled; the thread ends with the process). The
/// server joins the bytes, so a UTF-8 character split across two chunks arrives whole.
fn stdin_chunks() -> impl futures_util::Stream<Item = std::io::Result<Vec<u8>>> + Send + 'static {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = vec![0; 16 * 1024];
        loop {
            let chunk = match stdin.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => Ok(buf[..n].to_vec()),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => Err(e),
            };
            let failed = chunk.is_err();
            if tx.blocking_send(chunk).is_err() || failed {
                return;
            }
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    })
}

/// `cloudlake batch-send`: recipients from arguments and/or a file or stdin.
pub async fn batch_send(args: BatchSendArgs) -> Result<()> {
    let mut ids: Vec<String> = args.recipients.iter().flat_map(|r| split_ids(r)).collect();
    if let Some(path) = &args.file {
        ids.extend(read_ids(path, args.content.content == "-")?);
    }
    if ids.is_empty() {
        bail!("no recipients: give --recipient ID… or --file PATH (`-` for stdin)");
    }
    let kind = match args.kind {
        Kind::User => RecvType::User,
        Kind::Group => RecvType::Group,
    };
    let message = args.content.message()?;
    let client = args.conn.client()?;
    // More than one request's worth gets a progress bar (on a terminal only; never with
    // --json, whose output is for scripts).
    let bar = if !args.conn.json && ids.len() > cloudlake_sdk::protocol::MAX_BATCH_RECIPIENTS {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} recipients {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };
    let result = client
        .batch_send_with_progress(kind, ids, message, |done, total| {
            if let Some(bar) = &bar {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            }
        })
        .await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let sent = result?;
    args.conn.print(&serde_json::to_value(&sent)?, || {
        let mut out = format!("sent to {} recipients", sent.success_count);
        for info in &sent.success_list {
            out.push_str(&format!("\n{}  {}", info.msg_id, info.recv_id));
        }
        out
    });
    Ok(())
}

fn split_ids(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .flat_map(|line| line.split(|c: char| c == ',' || c.is_whitespace()))
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect()
}

fn read_ids(path: &Path, content_from_stdin: bool) -> Result<Vec<String>> {
    let text = if path == Path::new("-") {
        if content_from_stdin {
            bail!("stdin cannot hold both the recipients and the content");
        }
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading recipients from stdin")?;
        text
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
    };
    Ok(split_ids(&text))
}

/// `cloudlake edit`.
pub async fn edit(args: EditArgs) -> Result<()> {
    let chat = args.target.chat();
    args.conn
        .client()?
        .edit(&args.msg_id, &chat, args.content.message()?)
        .await?;
    args.conn
        .print(&json!({"msgId": args.msg_id, "edited": true}), || {
            format!("edited {}", args.msg_id)
        });
    Ok(())
}

/// `cloudlake recall`.
pub async fn recall(args: RecallArgs) -> Result<()> {
    let chat = args.target.chat();
    args.conn.client()?.recall(&args.msg_id, &chat).await?;
    args.conn
        .print(&json!({"msgId": args.msg_id, "recalled": true}), || {
            format!("recalled {}", args.msg_id)
        });
    Ok(())
}

/// `cloudlake answer-click` (a cloudlake extension, wire §7.7d).
pub async fn answer_click(args: AnswerClickArgs) -> Result<()> {
    if args.notice.is_none() && args.update.is_none() {
        anyhow::bail!("give --notice, --update or both");
    }
    let update = match (args.update, args.update_type) {
        (None, _) => None,
        (Some(text), SendType::Markdown) => Some(Message::markdown(text)),
        (Some(text), SendType::Html) => Some(Message::html(text)),
        (Some(text), SendType::Text) => Some(Message::text(text)),
        (Some(text), SendType::A2ui) => Some(Message::a2ui(text)),
        (Some(_), _) => anyhow::bail!("--update-type is text, markdown, html or a2ui"),
    };
    args.conn
        .client()?
        .answer_click(
            &args.msg_id,
            &args.user_id,
            args.notice.as_deref(),
            update.map(Into::into),
        )
        .await?;
    args.conn
        .print(&json!({"msgId": args.msg_id, "answered": true}), || {
            format!("answered the click on {}", args.msg_id)
        });
    Ok(())
}

/// `cloudlake messages`: newest first, like the API.
pub async fn messages(args: MessagesArgs) -> Result<()> {
    let chat = args.target.chat();
    let query = MessagesQuery {
        chat_id: chat.id.clone(),
        chat_type: chat.kind,
        message_id: args.around.clone(),
        before: args.before,
        after: args.after,
    };
    let page = args.conn.client()?.messages(&query).await?;
    if args.conn.json {
        println!("{}", serde_json::to_value(&page)?);
    } else {
        let mut out = std::io::stdout().lock();
        for item in &page.list {
            writeln!(out, "{}", message_line(item))?;
        }
    }
    Ok(())
}

fn message_line(m: &MessageItem) -> String {
    let what = match (&m.content.text, &m.content.image_url, &m.content.file_name) {
        (Some(text), _, _) => text.replace('\n', "\n    "),
        (None, Some(url), _) => format!("[image] {url}"),
        (None, None, Some(name)) => format!("[file] {name}"),
        _ => format!("[{}]", m.content_type),
    };
    let name = if m.sender_nickname.is_empty() {
        &m.sender_id
    } else {
        &m.sender_nickname
    };
    format!(
        "{}  {}  {name}: {what}",
        crate::when::utc(m.send_time),
        m.msg_id
    )
}

/// `cloudlake upload`: prints the key.
pub async fn upload(args: UploadArgs) -> Result<()> {
    let kind = match args.kind {
        UploadKindArg::Image => UploadKind::Image,
        UploadKindArg::Video => UploadKind::Video,
        UploadKindArg::File => UploadKind::File,
    };
    let name = match &args.name {
        Some(name) => name.clone(),
        None => args
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| anyhow!("{} has no file name", args.path.display()))?,
    };
    let bytes =
        std::fs::read(&args.path).with_context(|| format!("reading {}", args.path.display()))?;
    let key = args.conn.client()?.upload(kind, &name, bytes).await?;
    args.conn
        .print(&json!({kind.key_field(): key}), || key.clone());
    Ok(())
}

/// `cloudlake board …`.
pub async fn board(args: BoardArgs) -> Result<()> {
    let client = args.conn.client()?;
    let (value, text) = match &args.command {
        BoardCommand::Set {
            target,
            member,
            text,
        } => {
            let chat = target.chat();
            client
                .board(&chat, member.as_deref(), &text.board()?)
                .await?;
            (
                json!({"chatId": chat.id, "chatType": chat.kind, "set": true}),
                format!("board set in {} {}", chat.kind, chat.id),
            )
        }
        BoardCommand::All { text } => {
            let count = client.board_all(&text.board()?).await?;
            (
                json!({"successCount": count}),
                format!("board set in {count} chats"),
            )
        }
        BoardCommand::Dismiss { target, member } => {
            let chat = target.chat();
            client.board_dismiss(&chat, member.as_deref()).await?;
            (
                json!({"chatId": chat.id, "chatType": chat.kind, "dismissed": true}),
                format!("board dismissed in {} {}", chat.kind, chat.id),
            )
        }
        BoardCommand::DismissAll => {
            client.board_all_dismiss().await?;
            (
                json!({"dismissed": true}),
                "global board dismissed".to_owned(),
            )
        }
    };
    args.conn.print(&value, || text);
    Ok(())
}

/// `cloudlake events`: one JSON line per event, flushed at once so a pipe sees it live.
pub async fn events(args: EventsArgs) -> Result<()> {
    let mut builder = args.conn.builder()?;
    if let Some(url) = &args.ws_url {
        builder = builder.ws_url(url);
    }
    let client = builder.build()?;
    let mut subscription = client.subscriber()?.connect().await?;
    if std::io::stderr().is_terminal() {
        eprintln!("listening for events (Ctrl-C stops)");
    }
    let mut seen = 0;
    let mut out = std::io::stdout();
    loop {
        if args.count.is_some_and(|count| seen >= count) {
            subscription.close().await;
            return Ok(());
        }
        let envelope = tokio::select! {
            envelope = subscription.next() => envelope?,
            _ = tokio::signal::ctrl_c() => {
                subscription.close().await;
                return Ok(());
            }
        };
        writeln!(out, "{}", serde_json::to_string(&envelope)?)?;
        out.flush()?;
        seen += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_and_recipients_parse() {
        let row = parse_row("Docs=url:https://x.example/a?b=c; Copy=copy:v;Go=report:go").ok();
        let row = row.map(|r| {
            r.0.iter()
                .map(|b| b.value.clone() + &b.url)
                .collect::<Vec<_>>()
        });
        assert_eq!(
            row,
            Some(vec![
                "https://x.example/a?b=c".into(),
                "v".into(),
                "go".into()
            ])
        );
        assert!(parse_row("nope").is_err());
        assert_eq!(
            split_ids("1, 2\n# comment\n3 4 # five\n\n"),
            ["1", "2", "3", "4"]
        );
    }
}
