//! Start-up and shutdown: prepare the data directory and admin token, open the store, bind,
//! serve until told to stop, then let the writer finish.

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::api::{self, AppServices, AppState};
use crate::bus::Bus;
use crate::bus::nats::{NatsBus, NatsOptions};
use crate::bus::sink::LiveSink;
use crate::config::{ADMIN_TOKEN_FILE, Config};
use crate::demo::{self, DemoSeed};
use crate::events::webhook::WebhookClient;
use crate::events::{Events, dispatcher};
use crate::gateway::Gateway;
use crate::media::{BlobStore, FsBlobStore, MediaUrls, S3BlobStore};
use crate::secret::{TokenHash, new_token};
use crate::service::{Media, Messaging};
use crate::store::{Store, StoreError, WriterThread};

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The data directory or the admin token file could not be prepared.
    #[error("data directory {path}: {source}")]
    DataDir {
        /// The path involved.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The store could not be opened or seeded. (Its message is part of this one, so it is
    /// not also the source: error chains would print it twice.)
    #[error("store: {0}")]
    Store(StoreError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The HTTP server failed.
    #[error("http server: {0}")]
    Http(std::io::Error),
    /// The webhook HTTP client could not be built.
    #[error("webhook client: {0}")]
    Webhooks(#[from] reqwest::Error),
    /// The NATS bus could not start (`--nats-url`).
    #[error("NATS bus: {0}")]
    Nats(#[from] crate::bus::nats::NatsError),
    /// The media bucket (`--media-s3-bucket`) cannot be used.
    #[error("media storage: {0}")]
    MediaS3(#[from] crate::media::S3Error),
    /// `--public-url` is not an http(s) origin.
    #[error("public URL {0:?}: give scheme, host and optional port, e.g. https://chat.example.com")]
    PublicUrl(String),
}

impl From<StoreError> for ServeError {
    fn from(e: StoreError) -> Self {
        ServeError::Store(e)
    }
}

/// The directory in the data directory that holds uploaded media.
pub const MEDIA_DIR: &str = "media";

/// A server that is bound and ready to serve.
pub struct Server {
    listener: TcpListener,
    state: AppState,
    writer: WriterThread,
    webhooks: WebhookClient,
    grace: std::time::Duration,
    /// The connection cap in force and the header-read timeout (issue 22).
    max_connections: usize,
    header_read_timeout: std::time::Duration,
    /// The admin token, when this start created it (shown once, then only its file has it).
    pub new_admin_token: Option<String>,
    /// What `--demo` seeded, when it seeded anything.
    pub demo: Option<DemoSeed>,
}

impl Server {
    /// Prepares everything and binds the listener. Once this returns, `/healthz` answers as
    /// soon as [`Server::serve`] runs.
    pub async fn bind(mut config: Config) -> Result<Server, ServeError> {
        // `--demo` runs everything on one machine: its webhooks usually point at localhost.
        if config.demo {
            config.delivery.allow_private = true;
        }
        prepare_data_dir(&config.data_dir)?;
        let open_files = crate::connections::raise_open_files_limit();
        let max_connections = crate::connections::effective_cap(
            config.limits.max_connections,
            config.limits.max_websockets,
            open_files,
        );
        let (admin_token, new_admin_token) = admin_token(&config)?;
        let gateway = Gateway::new();
        // With NATS, this node's commits go to NATS, and the gateway hears them (and every
        // other node's) only from the node's subscription: one order for every node.
        let nats = match config.nats_url.as_ref().map(|url| url.expose().trim()) {
            Some(url) if !url.is_empty() => {
                let mut options = NatsOptions::new(url);
                options.subject.clone_from(&config.nats_subject);
                Some(NatsBus::connect(&options, gateway.clone()).await?)
            }
            _ => None,
        };
        // `ephemeral` carries `send-stream` previews, which are not commits: users on every
        // node must see them, so with NATS they go through it too (see `NatsBus::ephemeral`).
        let (bus, ephemeral): (Arc<dyn Bus>, Arc<dyn Bus>) = match &nats {
            Some(nats) => (Arc::new(nats.clone()), nats.ephemeral()),
            None => (Arc::new(gateway.clone()), Arc::new(gateway.clone())),
        };
        // The sink is kept for the live sessions too, which wait on it before they register.
        let publishing = Arc::new(LiveSink::start(bus).map_err(StoreError::Io)?);
        let (store, writer) = match &config.database_url {
            Some(url) => {
                tracing::info!(database = %url, "storage: PostgreSQL");
                Store::open_postgres(url.expose(), publishing.clone())?
            }
            None => Store::open(&config.data_dir, config.durability, publishing.clone())?,
        };
        // Before anything reads: rows from before HTML was stored are rendered once, here.
        crate::service::rendering::render_backlog(&store).await?;
        if let Some(nats) = &nats {
            nats.deliver_wakes_to(&store);
        }
        let media_dir = config.data_dir.join(MEDIA_DIR);
        let blobs: Arc<dyn BlobStore> = match &config.media_s3 {
            Some(s3) => {
                // Staged uploads stay local: only whole, hashed blobs go to the bucket.
                let blobs = S3BlobStore::connect(s3, &media_dir).await?;
                tracing::info!(bucket = %s3.bucket, endpoint = %blobs.endpoint(), "media: S3 bucket");
                Arc::new(blobs)
            }
            None => {
                Arc::new(
                    FsBlobStore::open(&media_dir).map_err(|source| ServeError::DataDir {
                        path: media_dir.display().to_string(),
                        source,
                    })?,
                )
            }
        };
        let demo = if config.demo {
            demo::seed_if_empty(&store).await?
        } else {
            None
        };
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| ServeError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let bound = listener.local_addr().map_err(ServeError::Http)?;
        let urls = MediaUrls::new(
            &public_base(config.public_url.as_deref(), bound)?,
            store.server_key(MEDIA_URL_KEY, random_key()).await?,
        )
        .with_ttl(config.limits.media_url_ttl);
        let webhooks = WebhookClient::new(
            config.delivery.attempt_timeout,
            config.delivery.allow_private,
            urls.clone(),
        )?;
        let events = Events::new(config.delivery, urls.clone(), store.clone());
        let state = AppState::new(AppServices {
            messaging: Messaging::new(store.clone(), ephemeral, urls.clone()),
            media: Media::new(store.clone(), blobs, urls.clone()),
            rate_limit: config.rate_limit,
            store,
            gateway,
            publishing,
            admin_token,
            max_body_bytes: config.max_body_bytes,
            events,
            request_timeout: config.limits.request_timeout,
            ws_limits: crate::api::limits::WsLimits::new(&config.limits),
            upload_timeout: config.limits.upload_timeout,
        });
        Ok(Server {
            listener,
            state,
            writer,
            webhooks,
            grace: config.shutdown_grace,
            max_connections,
            header_read_timeout: config.limits.header_read_timeout,
            new_admin_token,
            demo,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> Result<SocketAddr, ServeError> {
        self.listener.local_addr().map_err(ServeError::Http)
    }

    /// Serves until `shutdown` completes, then stops accepting, lets in-flight requests
    /// finish (for at most the configured grace period), closes the WebSockets, and waits for
    /// the writer to commit everything queued. Every write acknowledged before or during the
    /// shutdown is committed; a request still running when the grace period ends is dropped
    /// unanswered (what it had queued is still committed; it was never acknowledged).
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let Server {
            listener,
            state,
            writer,
            webhooks,
            grace,
            max_connections,
            header_read_timeout,
            ..
        } = self;
        let events = state.events.clone();
        let publishing = state.publishing.clone();
        let dispatcher = tokio::spawn(dispatcher::run(
            state.store.clone(),
            webhooks,
            std::sync::Arc::new(events.config().clone()),
            events.leases().clone(),
            events.shutdown_signal(),
        ));
        let app = api::router(state);
        let stopping = events.clone();
        let (fired, signalled) = tokio::sync::oneshot::channel::<()>();
        let shutdown = async move {
            shutdown.await;
            tracing::info!("shutting down: no new connections; finishing requests in flight");
            // Upgraded sockets are not part of the graceful shutdown: tell the WebSockets.
            stopping.shut_down();
            let _ = fired.send(());
        };
        let serving = crate::connections::serve(
            listener,
            app,
            max_connections,
            header_read_timeout,
            shutdown,
        );
        let deadline = async move {
            if signalled.await.is_ok() {
                tokio::time::sleep(grace).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        let served = tokio::select! {
            () = serving => Ok(()),
            () = deadline => {
                // Connection tasks still running are left to the runtime's end; the writer
                // below stops taking their writes.
                tracing::warn!(grace_secs = grace.as_secs_f64(), "requests still in flight after the grace period are dropped");
                Ok(())
            }
        };
        // The dispatcher and the bot sockets hold the store: stop them before the writer.
        events.shut_down();
        if dispatcher.await.is_err() {
            tracing::error!("the event dispatcher panicked");
        }
        // The writer commits what is queued, refuses anything later, and stops.
        tokio::task::spawn_blocking(move || writer.join())
            .await
            .map_err(|e| ServeError::Http(std::io::Error::other(e)))?;
        // Its last commits are published while this runtime still runs: the publishing thread
        // is joined when the last handle on the sink drops, which may be on this runtime's
        // thread, and a publish still waiting there for NATS (driven by this runtime) would
        // then wait forever (seen: a test server on a single-threaded runtime stopped hung).
        publishing.settled().await;
        served
    }
}

/// The name of the key that signs bots' media URLs (see [`MediaUrls`]).
const MEDIA_URL_KEY: &str = "media-url";

/// The origin bots reach this server at: the configured one, checked, or the bound address.
fn public_base(configured: Option<&str>, bound: SocketAddr) -> Result<String, ServeError> {
    let Some(url) = configured.map(str::trim).filter(|u| !u.is_empty()) else {
        let ip = match bound.ip() {
            ip if ip.is_unspecified() && ip.is_ipv4() => std::net::Ipv4Addr::LOCALHOST.into(),
            ip if ip.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
            ip => ip,
        };
        return Ok(format!("http://{}", SocketAddr::new(ip, bound.port())));
    };
    let url = url.trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    // An origin, optionally with a path prefix (behind a reverse proxy), but no query or
    // fragment: the media path and its signature are appended to it.
    match rest {
        Some(rest)
            if !rest.is_empty() && !rest.contains(['?', '#', ' ']) && !rest.starts_with('/') =>
        {
            Ok(url.to_owned())
        }
        _ => Err(ServeError::PublicUrl(url.to_owned())),
    }
}

/// 32 random bytes for a new server key. Two v4 UUIDs carry 244 random bits from the OS
/// generator, which is plenty for an HMAC key and needs no extra dependency.
fn random_key() -> [u8; 32] {
    let mut key = [0; 32];
    key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    key
}

fn prepare_data_dir(dir: &Path) -> Result<(), ServeError> {
    let err = |source| ServeError::DataDir {
        path: dir.display().to_string(),
        source,
    };
    // The database holds webhook secrets, the media signing key and password hashes: files
    // this process creates (SQLite's database, journal and WAL, uploads) are its own alone,
    // and what an earlier version or another tool left readable is made so too.
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    if !dir.exists() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    restrict(dir, 0o700).map_err(err)?;
    for entry in std::fs::read_dir(dir).map_err(err)? {
        let entry = entry.map_err(err)?;
        let mode = if entry.file_type().map_err(err)?.is_dir() {
            0o700
        } else {
            0o600
        };
        restrict(&entry.path(), mode).map_err(err)?;
    }
    Ok(())
}

/// The admin token's hash, and the token itself when it was created just now. Precedence:
/// the configured token (`CLOUDLAKE_ADMIN_TOKEN`), then the data directory's file, then a new
/// token written to that file with mode 0600.
fn admin_token(config: &Config) -> Result<(TokenHash, Option<String>), ServeError> {
    if let Some(token) = config
        .admin_token
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        return Ok((TokenHash::of(token), None));
    }
    let path = config.data_dir.join(ADMIN_TOKEN_FILE);
    let err = |source| ServeError::DataDir {
        path: path.display().to_string(),
        source,
    };
    match std::fs::read_to_string(&path) {
        Ok(token) if !token.trim().is_empty() => return Ok((TokenHash::of(token.trim()), None)),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(err(e)),
    }
    let token = new_token();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    // Created 0600 from the first byte, not chmod-ed after: no moment where others can read it.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).map_err(err)?;
    file.write_all(format!("{token}\n").as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(err)?;
    Ok((TokenHash::of(&token), Some(token)))
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn restrict(_: &Path, _: u32) -> std::io::Result<()> {
    Ok(())
}
