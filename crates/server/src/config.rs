//! How a server is configured. The CLI fills this from flags and environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::events::DeliveryConfig;
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
    /// The largest bot API request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How events reach bots (webhook retries and timeout, the SSRF guard, the bot
    /// WebSocket's path).
    pub delivery: DeliveryConfig,
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
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            delivery: DeliveryConfig::default(),
        }
    }
}
