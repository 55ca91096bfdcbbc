//! How a server is configured. The CLI fills this from flags and environment variables.

use std::fmt;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::events::DeliveryConfig;
use crate::media::S3Options;
use crate::store::Durability;

/// The default data directory, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = "./cloudlake-data";
/// The default listen address: loopback only, so a first run exposes nothing.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The default largest bot API request body: 1 MiB, far above any real message.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// The file in the data directory that holds the admin token.
pub const ADMIN_TOKEN_FILE: &str = "admin-token";

/// Everything `serve` needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the database and the admin token live; created if missing.
    pub data_dir: PathBuf,
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The admin token to use instead of the one in the data directory.
    pub admin_token: Option<String>,
    /// Seed demo data into an empty data directory.
    pub demo: bool,
    /// How hard commits push to disk.
    pub durability: Durability,
    /// The PostgreSQL database shared by the nodes of a cluster (`postgres://…`); `None`:
    /// embedded SQLite in `data_dir`.
    pub database_url: Option<ServiceUrl>,
    /// The largest bot API request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How many requests each bot may make to each bot API call per second.
    pub rate_limit: RateLimit,
    /// How events reach bots (webhook retries and timeout, the SSRF guard, the bot
    /// WebSocket's path).
    pub delivery: DeliveryConfig,
    /// Where bots reach this server (scheme, host, port), for the media URLs in their events
    /// and history. `None`: `http://` and the listen address (loopback for 0.0.0.0 / ::).
    pub public_url: Option<String>,
    /// Request time, body and connection limits.
    pub limits: Limits,
    /// On shutdown, how long requests in flight may take to finish before they are dropped
    /// (the writer still commits whatever they had queued; they were never acknowledged).
    pub shutdown_grace: Duration,
    /// The NATS server(s) that carry committed changes between nodes (`nats://host:4222`;
    /// may hold credentials, which are never logged). `None`: one node, changes stay in
    /// process.
    pub nats_url: Option<ServiceUrl>,
    /// The NATS subject for changes; every node of a cluster uses the same one.
    pub nats_subject: String,
    /// Where uploads are kept: `None`, in `data_dir/media`; or in an S3-compatible bucket,
    /// which the nodes of a cluster share.
    pub media_s3: Option<S3Options>,
}

/// The default shutdown grace period: long enough for any ordinary request, short enough for
/// a service manager's stop timeout (systemd waits 90 s, Kubernetes 30 s by default).
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The URL of a service cloudlake connects to (PostgreSQL, NATS). It may hold a password, so
/// it is shown (`Debug`, `Display`, logs) with the password replaced by `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct ServiceUrl(String);

impl ServiceUrl {
    /// Wraps a URL.
    pub fn new(url: impl Into<String>) -> Self {
        ServiceUrl(url.into())
    }

    /// The URL itself, password included: only for connecting.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ServiceUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redact_url(&self.0))
    }
}

/// The default NATS subject every node of a cluster publishes on and subscribes to.
pub const DEFAULT_NATS_SUBJECT: &str = "cloudlake.changes";

/// The URL(s) with any user name, password or token replaced by `***`, for logs and errors.
pub fn redact_url(url: &str) -> String {
    url.split(',')
        .map(|one| {
            let one = one.trim();
            let start = one.find("://").map_or(0, |i| i + 3);
            let end = one[start..]
                .find(['/', '?'])
                .map_or(one.len(), |i| start + i);
            match one[start..end].rfind('@') {
                Some(at) => format!("{}***@{}", &one[..start], &one[start + at + 1..]),
                None => one.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

impl std::fmt::Debug for ServiceUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ServiceUrl({self})")
    }
}

/// Limits that keep one client from holding the server's resources.
#[derive(Debug, Clone)]
pub struct Limits {
    /// The longest a request (other than a WebSocket after its upgrade, an upload or a
    /// streamed send, which have their own limits) may take; then it is answered 408 (bot
    /// API: the envelope) and dropped.
    pub request_timeout: Duration,
    /// The most WebSockets (user live sockets and bot event sockets together) open at once.
    pub max_websockets: usize,
    /// The most WebSockets open at once from one IP address.
    pub max_websockets_per_ip: usize,
    // Connections and hostile clients (issue 22).
    /// The most HTTP connections open at once (WebSockets, once upgraded, count against
    /// `max_websockets` instead); more wait in the listen queue.
    pub max_connections: usize,
    /// How long a connection may take to send a complete request head, from when it is
    /// accepted or its previous response was sent: the slowloris bound and the idle timeout.
    pub header_read_timeout: Duration,
    /// How long the signed media URLs handed to bots stay good.
    pub media_url_ttl: Duration,
    /// The longest an upload (bot or user) may take to arrive whole; then it is refused
    /// (bot API: the envelope, HTTP 200; user API: 408) and nothing is stored.
    pub upload_timeout: Duration,
}

/// The default request time limit.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The default global WebSocket limit. An idle socket costs ~14 KiB (BENCHMARKS.md), so this
/// is ~140 MiB at most.
pub const DEFAULT_MAX_WEBSOCKETS: usize = 10_000;
/// The default per-IP WebSocket limit: a few tabs per person behind one NAT address many
/// times over, far below the global limit.
pub const DEFAULT_MAX_WEBSOCKETS_PER_IP: usize = 256;
/// The default cap on HTTP connections: far more than concurrent requests ever need (idle
/// ones close after the header-read timeout), far fewer than the descriptors a server has.
pub const DEFAULT_MAX_CONNECTIONS: usize = 8192;
/// The default header-read (and keep-alive idle) timeout: a real client sends its head at
/// once; nginx's default is 60 s, Go servers commonly use 5–10 s.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The default lifetime of a signed media URL (see [`crate::media::urls::DEFAULT_TTL`]).
pub const DEFAULT_MEDIA_URL_TTL: Duration = crate::media::urls::DEFAULT_TTL;
/// The default upload time limit: 300 s moves the largest upload (20 MiB, a video) at about
/// 70 KiB/s, a slow mobile link, while a client trickling bytes holds a connection and a
/// temporary file for at most that long.
pub const DEFAULT_UPLOAD_TIMEOUT: Duration = Duration::from_secs(300);

impl Default for Limits {
    fn default() -> Self {
        Limits {
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_websockets: DEFAULT_MAX_WEBSOCKETS,
            max_websockets_per_ip: DEFAULT_MAX_WEBSOCKETS_PER_IP,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            media_url_ttl: DEFAULT_MEDIA_URL_TTL,
            upload_timeout: DEFAULT_UPLOAD_TIMEOUT,
        }
    }
}

impl Config {
    /// The defaults, with the data directory given.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Config {
            data_dir: data_dir.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            admin_token: None,
            demo: false,
            durability: Durability::Full,
            database_url: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            rate_limit: RateLimit::default(),
            delivery: DeliveryConfig::default(),
            public_url: None,
            limits: Limits::default(),
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            nats_url: None,
            nats_subject: DEFAULT_NATS_SUBJECT.to_owned(),
            media_s3: None,
        }
    }
}

/// The default rate limit: 1000 requests per second per bot per API, far above Yunhu's 10 so
/// that a bot written for Yunhu never hits it, yet a runaway loop is held back.
pub const DEFAULT_RATE_LIMIT: u32 = 1000;

/// Yunhu's documented limit: 10 requests per second per bot per API (wire §8).
pub const YUNHU_RATE_LIMIT: u32 = 10;

/// The per-bot, per-API request rate limit (wire §8). Written `off`, `yunhu` (10/s) or a
/// number of requests per second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimit {
    /// No limit.
    Off,
    /// At most this many requests per second, each bot and API counted apart; a burst of up
    /// to this many is allowed at once.
    PerSecond(NonZeroU32),
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit::PerSecond(NonZeroU32::MIN.saturating_add(DEFAULT_RATE_LIMIT - 1))
    }
}

impl FromStr for RateLimit {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "off" => Ok(RateLimit::Off),
            "yunhu" => Ok(RateLimit::PerSecond(
                NonZeroU32::MIN.saturating_add(YUNHU_RATE_LIMIT - 1),
            )),
            n => n
                .parse::<NonZeroU32>()
                .map(RateLimit::PerSecond)
                .map_err(|_| {
                    format!(
                        "{s:?} is not `off`, `yunhu` or a positive number of requests per second"
                    )
                }),
        }
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RateLimit::Off => f.write_str("off"),
            RateLimit::PerSecond(n) => write!(f, "{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ServiceUrl, redact_url};

    #[test]
    fn service_urls_never_show_their_password() {
        let url =
            ServiceUrl::new("postgres://cloud:s3cr@t@db.internal:5432/cloudlake?sslmode=disable");
        assert_eq!(
            url.to_string(),
            "postgres://***@db.internal:5432/cloudlake?sslmode=disable"
        );
        assert!(!format!("{url:?}").contains("s3cr"));
        assert_eq!(
            url.expose(),
            "postgres://cloud:s3cr@t@db.internal:5432/cloudlake?sslmode=disable"
        );
    }

    #[test]
    fn credentials_never_show() {
        assert_eq!(redact_url("nats://127.0.0.1:4222"), "nats://127.0.0.1:4222");
        assert_eq!(
            redact_url("nats://user:s3cret@nats.example:4222"),
            "nats://***@nats.example:4222"
        );
        assert_eq!(redact_url("tok@host"), "***@host");
        assert_eq!(
            redact_url("tls://a:b@one:4222, nats://two:4222"),
            "tls://***@one:4222,nats://two:4222"
        );
        assert_eq!(redact_url("nats://p@ss@h/x@y"), "nats://***@h/x@y");
    }
}
