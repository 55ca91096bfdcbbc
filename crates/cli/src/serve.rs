//! `cloudlake serve`.

use std::net::SocketAddr;
use std::path::PathBuf;

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
use cloudlake_server::events::{DEFAULT_SUBSCRIBE_PATH, DeliveryConfig};
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
    /// NATS server URL (e.g. `nats://127.0.0.1:4222`, or several separated by commas) that
    /// carries live changes between nodes. Unset: a single node.
    #[arg(long, env = "CLOUDLAKE_NATS_URL", hide_env_values = true)]
    nats_url: Option<String>,
    /// The NATS subject for changes; every node of a cluster must use the same one.
    #[arg(long, env = "CLOUDLAKE_NATS_SUBJECT", default_value = DEFAULT_NATS_SUBJECT)]
    nats_subject: String,
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

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // tungstenite logs whole frames at debug and trace: event frames carry signed media URLs
    // and message texts. Whatever RUST_LOG says, it logs at info at most.
    let filter = ["tungstenite=info", "tokio_tungstenite=info"]
        .into_iter()
        .filter_map(|d| d.parse().ok())
        .fold(filter, EnvFilter::add_directive);
    match args.log_format {
        LogFormat::Text => tracing_subscriber::fmt().with_env_filter(filter).init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_current_span(true)
            .with_span_list(true)
            .init(),
    }
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
    };
    let server = Server::bind(config).await.context("cannot start")?;
    let addr = server.local_addr()?;
    if let Some(token) = &server.new_admin_token {
        println!(
            "admin token (shown once; saved in {}): {token}",
            args.data_dir.join(ADMIN_TOKEN_FILE).display()
        );
    }
    if let Some(seed) = &server.demo {
        print_demo(seed, addr);
    } else if args.demo {
        println!("--demo: the data directory already has data, so nothing was seeded.");
    }
    println!(
        "cloudlake listening on http://{addr} (data in {})",
        args.data_dir.display()
    );
    println!("web client: http://{addr}/ (user token)  admin console: http://{addr}/admin");
    server.serve(shutdown_signal()).await?;
    println!("cloudlake stopped");
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

fn print_demo(seed: &cloudlake_server::demo::DemoSeed, addr: SocketAddr) {
    println!("demo data created:");
    println!("  bot {}  token: {}", seed.bot_id, seed.bot_token);
    for (user, token) in &seed.users {
        println!("  user {user}  token: {token}");
    }
    println!(
        "  groups: {} (the bot and both users are in each)",
        seed.group_ids.join(", ")
    );
    println!("try the original batch_send request:");
    println!(
        "curl --location 'http://{addr}/open-apis/v1/bot/batch_send?token={}' \\\n\
         --header 'Content-Type: application/json' \\\n\
         --data '{{\"recvIds\": [\"{}\", \"{}\"], \"recvType\": \"group\", \"contentType\": \"text\", \
         \"content\": {{\"text\": \"这里是消息内容\", \"buttons\": [[{{\"text\": \"复制\", \"actionType\": 2, \"value\": \"xxxx\"}}, \
         {{\"text\": \"点击跳转\", \"actionType\": 1, \"url\": \"http://www.baidu.com\"}}]]}}}}'",
        seed.bot_token, seed.group_ids[0], seed.group_ids[1]
    );
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
