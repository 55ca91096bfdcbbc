//! `cloudlake serve`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};
use std::time::Duration;

use cloudlake_server::config::DEFAULT_NATS_SUBJECT;
use cloudlake_server::config::ServiceUrl;
use cloudlake_server::config::{
    ADMIN_TOKEN_FILE, DEFAULT_DATA_DIR, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_LISTEN,
    DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_WEBSOCKETS,
    DEFAULT_MAX_WEBSOCKETS_PER_IP, DEFAULT_MEDIA_URL_TTL, DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_SHUTDOWN_GRACE, DEFAULT_UPLOAD_TIMEOUT, Limits, RateLimit,
};
use cloudlake_server::demo::{self, DemoSeed};
use cloudlake_server::events::{DEFAULT_SUBSCRIBE_PATH, DeliveryConfig};
use cloudlake_server::media::{S3Options, S3UrlStyle};
use cloudlake_server::store::Durability;
use cloudlake_server::{Config, Server};
use tracing_subscriber::EnvFilter;

/// Options of `serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// Where the database and the admin token live (created if missing).
    #[arg(long, env = "CLOUDLAKE_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    data_dir: PathBuf,
    /// The address to listen on.
    #[arg(long, env = "CLOUDLAKE_LISTEN", default_value = DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// Use this admin token instead of the one in the data directory.
    #[arg(long, env = "CLOUDLAKE_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// On an empty data directory, create a demo bot, two users and two groups, and print a
    /// ready-to-paste curl request.
    #[arg(long)]
    demo: bool,
    /// `full`: a reply means the message survives a power cut. `normal`: it survives the
    /// process being killed, not necessarily a power cut (faster).
    #[arg(long, env = "CLOUDLAKE_DURABILITY", value_enum, default_value_t = DurabilityArg::Full)]
    durability: DurabilityArg,
    /// Store everything in this PostgreSQL database (`postgres://user:password@host/db`)
    /// instead of embedded SQLite: what the nodes of a cluster share. Migrated at start-up.
    #[arg(long, env = "CLOUDLAKE_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// The largest bot API request body accepted, in bytes.
    #[arg(long, env = "CLOUDLAKE_MAX_BODY_BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: usize,
    /// Requests per second each bot may make to each bot API call: `off`, `yunhu` (10, the
    /// Yunhu limit) or a number. Over it, calls get code 1007.
    #[arg(long, env = "CLOUDLAKE_RATE_LIMIT", default_value_t = RateLimit::default())]
    rate_limit: RateLimit,
    /// Allow webhook URLs that point at private, loopback or link-local addresses (refused
    /// by default: they would let a bot's owner make the server call into its network).
    /// The variable takes 1/0, true/false, yes/no, on/off.
    #[arg(
        long,
        env = "CLOUDLAKE_WEBHOOK_ALLOW_PRIVATE",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    webhook_allow_private: bool,
    /// The waits before each webhook attempt, in seconds, comma-separated; after the last
    /// attempt fails the event is a dead letter. Default: Svix's schedule.
    #[arg(long, env = "CLOUDLAKE_WEBHOOK_RETRY_SCHEDULE", value_delimiter = ',')]
    webhook_retry_schedule: Option<Vec<u64>>,
    /// The longest one webhook attempt may take, in seconds.
    #[arg(long, env = "CLOUDLAKE_WEBHOOK_TIMEOUT_SECS", default_value_t = 15)]
    webhook_timeout_secs: u64,
    /// The path of the bot WebSocket (`GET {path}?token=BOT_TOKEN`).
    #[arg(long, env = "CLOUDLAKE_SUBSCRIBE_PATH", default_value = DEFAULT_SUBSCRIBE_PATH)]
    subscribe_path: String,
    /// The address bots reach this server at (e.g. `https://chat.example.com`), for the
    /// media URLs in their events and history. Default: `http://` + the listen address.
    #[arg(long, env = "CLOUDLAKE_PUBLIC_URL")]
    public_url: Option<String>,
    /// Log lines as human-readable text or as one JSON object per line (for log shippers).
    #[arg(long, env = "CLOUDLAKE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// On SIGTERM or Ctrl-C, how long requests in flight may take to finish, in seconds.
    #[arg(long, env = "CLOUDLAKE_SHUTDOWN_GRACE_SECS", default_value_t = DEFAULT_SHUTDOWN_GRACE.as_secs())]
    shutdown_grace_secs: u64,
    /// The longest one request may take, in seconds (WebSockets after their upgrade, uploads
    /// and streamed sends excepted).
    #[arg(long, env = "CLOUDLAKE_REQUEST_TIMEOUT_SECS", default_value_t = DEFAULT_REQUEST_TIMEOUT.as_secs())]
    request_timeout_secs: u64,
    /// The most WebSockets (user and bot) open at once.
    #[arg(long, env = "CLOUDLAKE_MAX_WEBSOCKETS", default_value_t = DEFAULT_MAX_WEBSOCKETS)]
    max_websockets: usize,
    /// The most WebSockets open at once from one IP address.
    #[arg(long, env = "CLOUDLAKE_MAX_WEBSOCKETS_PER_IP", default_value_t = DEFAULT_MAX_WEBSOCKETS_PER_IP)]
    max_websockets_per_ip: usize,
    /// The most HTTP connections open at once; more wait in the listen queue. Lowered at
    /// start-up to what the open files limit allows.
    #[arg(long, env = "CLOUDLAKE_MAX_CONNECTIONS", default_value_t = DEFAULT_MAX_CONNECTIONS)]
    max_connections: usize,
    /// How long a connection may take to send a request head, in seconds, counted from when it
    /// is accepted or its previous response ends (the idle timeout of kept-alive connections).
    #[arg(long, env = "CLOUDLAKE_HEADER_READ_TIMEOUT_SECS", default_value_t = DEFAULT_HEADER_READ_TIMEOUT.as_secs())]
    header_read_timeout_secs: u64,
    /// How long the signed media URLs handed to bots stay good, in seconds; then they are
    /// refused (403) and the bot reads the message again for a fresh one.
    #[arg(long, env = "CLOUDLAKE_MEDIA_URL_TTL_SECS", default_value_t = DEFAULT_MEDIA_URL_TTL.as_secs())]
    media_url_ttl_secs: u64,
    /// The longest an upload may take to arrive whole, in seconds; a slower one is refused and
    /// nothing is stored.
    #[arg(long, env = "CLOUDLAKE_UPLOAD_TIMEOUT_SECS", default_value_t = DEFAULT_UPLOAD_TIMEOUT.as_secs())]
    upload_timeout_secs: u64,
    /// NATS server URL (e.g. `nats://127.0.0.1:4222`) that carries live changes between
    /// nodes; for a NATS cluster, its servers separated by commas, tried in that order (give
    /// every node the same list). Unset: a single node.
    #[arg(long, env = "CLOUDLAKE_NATS_URL", hide_env_values = true)]
    nats_url: Option<String>,
    /// The NATS subject for changes; every node of a cluster must use the same one.
    #[arg(long, env = "CLOUDLAKE_NATS_SUBJECT", default_value = DEFAULT_NATS_SUBJECT)]
    nats_subject: String,
    #[command(flatten)]
    media_s3: MediaS3Args,
}

/// Uploads in an S3-compatible bucket instead of the data directory.
#[derive(Args)]
#[command(next_help_heading = "Media on object storage")]
struct MediaS3Args {
    /// Keep uploads in this S3-compatible bucket (AWS S3, MinIO, Garage, Ceph, …) instead of
    /// DATA_DIR/media: what the nodes of a cluster share. It must exist; the credentials come
    /// from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN).
    #[arg(long, env = "CLOUDLAKE_MEDIA_S3_BUCKET")]
    media_s3_bucket: Option<String>,
    /// The object store's URL, e.g. `http://127.0.0.1:9000`. Default: AWS's endpoint of the
    /// region.
    #[arg(long, env = "CLOUDLAKE_MEDIA_S3_ENDPOINT")]
    media_s3_endpoint: Option<String>,
    /// The bucket's region.
    #[arg(long, env = "CLOUDLAKE_MEDIA_S3_REGION", default_value = "us-east-1")]
    media_s3_region: String,
    /// `path` (`ENDPOINT/BUCKET/KEY`, what most S3-compatible servers expect) or
    /// `virtual-host` (`BUCKET.HOST/KEY`).
    #[arg(long, env = "CLOUDLAKE_MEDIA_S3_URL_STYLE", value_enum, default_value_t = UrlStyleArg::Path)]
    media_s3_url_style: UrlStyleArg,
    /// Put every object under this prefix (e.g. `cloudlake/`), to share a bucket.
    #[arg(long, env = "CLOUDLAKE_MEDIA_S3_PREFIX", default_value = "")]
    media_s3_prefix: String,
    /// The access key id.
    #[arg(long, env = "AWS_ACCESS_KEY_ID", hide_env_values = true)]
    media_s3_access_key_id: Option<String>,
    /// The secret access key (prefer the variable: arguments are visible to other users).
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    media_s3_secret_access_key: Option<String>,
    /// A session token, with temporary credentials.
    #[arg(long, env = "AWS_SESSION_TOKEN", hide_env_values = true)]
    media_s3_session_token: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum UrlStyleArg {
    Path,
    VirtualHost,
}

impl MediaS3Args {
    /// The bucket's options, `None` without `--media-s3-bucket`. Other bucket settings given
    /// without it, or a bucket without credentials, are mistakes said at once rather than a
    /// server that quietly keeps uploads on its own disk.
    fn options(self) -> anyhow::Result<Option<S3Options>> {
        let Some(bucket) = self.media_s3_bucket.filter(|b| !b.trim().is_empty()) else {
            if self.media_s3_endpoint.is_some() || !self.media_s3_prefix.is_empty() {
                anyhow::bail!(
                    "--media-s3-endpoint and --media-s3-prefix need --media-s3-bucket (CLOUDLAKE_MEDIA_S3_BUCKET)"
                );
            }
            return Ok(None);
        };
        let (Some(access_key_id), Some(secret_access_key)) =
            (self.media_s3_access_key_id, self.media_s3_secret_access_key)
        else {
            anyhow::bail!(
                "--media-s3-bucket needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            );
        };
        let region = self.media_s3_region;
        Ok(Some(S3Options {
            endpoint: self
                .media_s3_endpoint
                .unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com")),
            bucket,
            region,
            url_style: match self.media_s3_url_style {
                UrlStyleArg::Path => S3UrlStyle::Path,
                UrlStyleArg::VirtualHost => S3UrlStyle::VirtualHost,
            },
            prefix: self.media_s3_prefix,
            access_key_id,
            secret_access_key,
            session_token: self.media_s3_session_token,
        }))
    }
}

/// How log lines are written.
#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    /// `2026-11-01T10:00:00Z  INFO request{method=POST path=/…}: …`
    Text,
    /// `{"timestamp":…,"level":"INFO","fields":{…},"target":…,"span":{…},"spans":[…]}`
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum DurabilityArg {
    Full,
    Normal,
}

/// The target of the lines meant for the person who started the server (admin token, demo
/// tokens, where it listens) when they are JSON log events. It passes whatever `RUST_LOG`
/// says, as the text banner does: the admin token is shown once and must not be filtered away.
const BANNER_TARGET: &str = "cloudlake::banner";

/// A failure `serve` has already reported as a JSON log event, so `main` prints nothing more
/// (its plain `error: …` line would break `--log-format json`'s one object per line).
#[derive(Debug)]
pub struct Reported;

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("reported in the log")
    }
}

impl std::error::Error for Reported {}

/// `cloudlake serve`: logging set up, then the server, until SIGTERM or Ctrl-C.
pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // tungstenite logs whole frames at debug and trace: event frames carry signed media URLs
    // and message texts. Whatever RUST_LOG says, it logs at info at most.
    let banner_directive = format!("{BANNER_TARGET}=info");
    let filter = [
        "tungstenite=info",
        "tokio_tungstenite=info",
        &banner_directive,
    ]
    .into_iter()
    .filter_map(|d| d.parse().ok())
    .fold(filter, EnvFilter::add_directive);
    let json = matches!(args.log_format, LogFormat::Json);
    match args.log_format {
        LogFormat::Text => tracing_subscriber::fmt().with_env_filter(filter).init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_current_span(true)
            .with_span_list(true)
            .init(),
    }
    let banner = Banner { json };
    match serve(args, banner).await {
        Err(e) if json => {
            tracing::error!(target: BANNER_TARGET, error = %format!("{e:#}"), "cloudlake failed");
            Err(Reported.into())
        }
        other => other,
    }
}

async fn serve(args: ServeArgs, banner: Banner) -> anyhow::Result<()> {
    let config = Config {
        data_dir: args.data_dir.clone(),
        listen: args.listen,
        admin_token: args.admin_token,
        demo: args.demo,
        durability: match args.durability {
            DurabilityArg::Full => Durability::Full,
            DurabilityArg::Normal => Durability::Normal,
        },
        database_url: args.database_url.map(ServiceUrl::new),
        max_body_bytes: args.max_body_bytes,
        rate_limit: args.rate_limit,
        delivery: delivery_config(
            args.webhook_allow_private,
            args.webhook_retry_schedule,
            args.webhook_timeout_secs,
            args.subscribe_path,
        )?,
        public_url: args.public_url,
        limits: Limits {
            request_timeout: Duration::from_secs(args.request_timeout_secs.max(1)),
            max_websockets: args.max_websockets,
            max_websockets_per_ip: args.max_websockets_per_ip,
            max_connections: args.max_connections.max(1),
            header_read_timeout: Duration::from_secs(args.header_read_timeout_secs.max(1)),
            media_url_ttl: Duration::from_secs(args.media_url_ttl_secs.max(1)),
            upload_timeout: Duration::from_secs(args.upload_timeout_secs.max(1)),
        },
        shutdown_grace: Duration::from_secs(args.shutdown_grace_secs),
        nats_url: args.nats_url.map(ServiceUrl::new),
        nats_subject: args.nats_subject,
        media_s3: args.media_s3.options()?,
    };
    let server = Server::bind(config).await.context("cannot start")?;
    let addr = server.local_addr()?;
    if let Some(token) = &server.new_admin_token {
        banner.admin_token(token, &args.data_dir.join(ADMIN_TOKEN_FILE));
    }
    if let Some(seed) = &server.demo {
        banner.demo(seed, addr);
    } else if args.demo {
        banner.demo_not_seeded(&rotate_commands(addr, &args.data_dir));
    }
    banner.listening(addr, &args.data_dir);
    server.serve(shutdown_signal()).await?;
    banner.stopped();
    Ok(())
}

fn delivery_config(
    allow_private: bool,
    schedule: Option<Vec<u64>>,
    timeout_secs: u64,
    subscribe_path: String,
) -> anyhow::Result<DeliveryConfig> {
    let mut config = DeliveryConfig {
        allow_private,
        attempt_timeout: std::time::Duration::from_secs(timeout_secs.max(1)),
        subscribe_path,
        ..DeliveryConfig::default()
    };
    if let Some(schedule) = schedule {
        anyhow::ensure!(
            !schedule.is_empty(),
            "--webhook-retry-schedule needs at least one wait"
        );
        config.retry_schedule = schedule
            .into_iter()
            .map(std::time::Duration::from_secs)
            .collect();
    }
    anyhow::ensure!(
        config.subscribe_path.starts_with('/') && config.subscribe_path.len() > 1,
        "--subscribe-path must start with / (e.g. /subscribe)"
    );
    Ok(config)
}

/// The lines meant for the person who started the server: plain text, or with
/// `--log-format json` one JSON log event each (target [`BANNER_TARGET`]), so that the output
/// stays one JSON object per line for log shippers.
#[derive(Clone, Copy)]
struct Banner {
    json: bool,
}

impl Banner {
    fn admin_token(self, token: &str, file: &Path) {
        if self.json {
            // A JSON log goes to a log shipper, where a secret must not: the event names the
            // file (readable by the server's user only) instead of the token.
            tracing::info!(target: BANNER_TARGET, file = %file.display(),
                "admin token created: read it from its file");
        } else {
            println!(
                "admin token (shown once; saved in {}): {token}",
                file.display()
            );
        }
    }

    fn demo(self, seed: &DemoSeed, addr: SocketAddr) {
        let groups = seed.group_ids.join(", ");
        let curl = demo_curl(seed, addr);
        let names = seed
            .users
            .iter()
            .map(|u| format!("{}'s", u.nickname))
            .collect::<Vec<_>>()
            .join(" or ");
        if self.json {
            tracing::info!(target: BANNER_TARGET, bot_id = %seed.bot_id,
                nickname = %seed.bot_nickname, token = %seed.bot_token, "demo bot");
            for user in &seed.users {
                tracing::info!(target: BANNER_TARGET, user_id = %user.id,
                    nickname = %user.nickname, token = %user.token, "demo user");
            }
            tracing::info!(target: BANNER_TARGET, groups = %groups,
                "demo groups (the bot and both users are in each)");
            tracing::info!(target: BANNER_TARGET, curl = %curl,
                "try the original batch_send request");
            return;
        }
        println!("demo data created:");
        println!(
            "  bot {} ({})  token: {}",
            seed.bot_id, seed.bot_nickname, seed.bot_token
        );
        for user in &seed.users {
            println!(
                "  user {} ({})  token: {}",
                user.id, user.nickname, user.token
            );
        }
        println!("  groups: {groups} (the bot and both users are in each)");
        println!("sign in to the web client at http://{addr}/ with {names} token");
        println!("try the original batch_send request:");
        println!("{curl}");
    }

    /// `--demo` on a data directory that has data: the tokens were shown when it was seeded
    /// and only their hashes are stored, so the way back is a new token each.
    fn demo_not_seeded(self, rotate: &[String]) {
        let why = "--demo: the data directory already has data, so nothing was seeded. \
                   Tokens are stored only as hashes and cannot be shown again; \
                   give the demo's bot and users new ones (the old ones stop working)";
        if self.json {
            tracing::info!(target: BANNER_TARGET, commands = %rotate.join("; "), "{why}");
        } else {
            println!("{why}:");
            for command in rotate {
                println!("  {command}");
            }
        }
    }

    fn listening(self, addr: SocketAddr, data_dir: &Path) {
        let message = format!(
            "cloudlake listening on http://{addr} (data in {})",
            data_dir.display()
        );
        let clients =
            format!("web client: http://{addr}/ (user token)  admin console: http://{addr}/admin");
        if self.json {
            tracing::info!(target: BANNER_TARGET, url = %format!("http://{addr}"),
                web_client = %format!("http://{addr}/"),
                admin_console = %format!("http://{addr}/admin"), "{message}");
        } else {
            println!("{message}");
            println!("{clients}");
        }
    }

    fn stopped(self) {
        if self.json {
            tracing::info!(target: BANNER_TARGET, "cloudlake stopped");
        } else {
            println!("cloudlake stopped");
        }
    }
}

/// The `cloudlake admin` commands that give the demo's bot and users new tokens, with the
/// `--server` and `--data-dir` this server needs when they are not the defaults.
fn rotate_commands(addr: SocketAddr, data_dir: &Path) -> Vec<String> {
    let mut admin = "cloudlake admin".to_owned();
    if addr.to_string() != DEFAULT_LISTEN {
        admin.push_str(&format!(" --server http://{addr}"));
    }
    if data_dir != Path::new(DEFAULT_DATA_DIR) {
        admin.push_str(&format!(" --data-dir {}", data_dir.display()));
    }
    let mut commands = vec![format!("{admin} bot rotate-token {}", demo::BOT_ID)];
    for (id, nickname) in demo::USER_IDS.iter().zip(demo::USER_NICKNAMES) {
        commands.push(format!("{admin} user rotate-token {id}    # {nickname}"));
    }
    commands
}

/// The batch_send request of Yunhu's documentation, to this server with the demo's token.
fn demo_curl(seed: &DemoSeed, addr: SocketAddr) -> String {
    format!(
        "curl --location 'http://{addr}/open-apis/v1/bot/batch_send?token={}' \\\n\
         --header 'Content-Type: application/json' \\\n\
         --data '{{\"recvIds\": [\"{}\", \"{}\"], \"recvType\": \"group\", \"contentType\": \"text\", \
         \"content\": {{\"text\": \"这里是消息内容\", \"buttons\": [[{{\"text\": \"复制\", \"actionType\": 2, \"value\": \"xxxx\"}}, \
         {{\"text\": \"点击跳转\", \"actionType\": 1, \"url\": \"http://www.baidu.com\"}}]]}}}}'",
        seed.bot_token, seed.group_ids[0], seed.group_ids[1]
    )
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
