//! Delivering the outbox's events to bots: by webhook ([`dispatcher`], [`webhook`], signed
//! per [`signature`], retried per [`schedule`], guarded by [`ssrf`], one node per bot in a
//! cluster per [`lease`]) or on the bot WebSocket (its handler is `api/bot/subscribe.rs`: it
//! claims the bot's socket in [`Events`] and reads and marks the outbox through the store).

pub mod dispatcher;
pub(crate) mod lease;
pub mod schedule;
pub mod signature;
pub mod ssrf;
pub mod webhook;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, watch};

use crate::media::MediaUrls;
use crate::store::Store;

/// The default path of the bot WebSocket (Yunhu's `wss://ws.jwzhd.com/subscribe`).
pub const DEFAULT_SUBSCRIBE_PATH: &str = "/subscribe";
/// The environment variable that allows webhooks to private, loopback and link-local hosts.
pub const ALLOW_PRIVATE_ENV: &str = "CLOUDLAKE_WEBHOOK_ALLOW_PRIVATE";

/// How events are delivered.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// The wait before each attempt: `[0]` before the first, `[n]` after the `n`th failure;
    /// after the last entry's attempt fails the event is a dead letter.
    pub retry_schedule: Vec<Duration>,
    /// The longest one webhook attempt may take (connect and answer).
    pub attempt_timeout: Duration,
    /// Allow webhook URLs that point at private, loopback or link-local addresses.
    pub allow_private: bool,
    /// The bot WebSocket's path.
    pub subscribe_path: String,
    /// The safety-net poll (deliverers are woken by commits; this catches anything missed).
    pub poll_interval: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            retry_schedule: schedule::default_schedule(),
            attempt_timeout: Duration::from_secs(15),
            allow_private: false,
            subscribe_path: DEFAULT_SUBSCRIBE_PATH.to_owned(),
            poll_interval: Duration::from_secs(5),
        }
    }
}

/// Shared state of event delivery: configuration, the shutdown signal, and which socket
/// receives each bot's events. Cloning it is cheap.
#[derive(Clone)]
pub struct Events {
    inner: Arc<Inner>,
}

struct Inner {
    config: DeliveryConfig,
    /// Which bots this node may deliver to, when nodes share the database.
    leases: Arc<lease::Leases>,
    media_urls: MediaUrls,
    shutdown: watch::Sender<bool>,
    sockets: Mutex<HashMap<String, Slot>>,
}

/// The socket that currently receives a bot's events.
struct Slot {
    generation: u64,
    kick: Arc<Notify>,
    turn: Arc<tokio::sync::Mutex<()>>,
}

/// A socket's claim on its bot's events.
pub(crate) struct Claim {
    pub(crate) generation: u64,
    /// Notified when a newer socket takes over.
    pub(crate) kick: Arc<Notify>,
    /// Held while sending: shared with the socket taken over from, so they never overlap.
    pub(crate) turn: Arc<tokio::sync::Mutex<()>>,
}

impl Events {
    /// Delivery state for this configuration, delivering what `store` holds; media in events
    /// get URLs made by `media_urls`.
    pub fn new(config: DeliveryConfig, media_urls: MediaUrls, store: Store) -> Self {
        Events {
            inner: Arc::new(Inner {
                leases: Arc::new(lease::Leases::new(store, config.attempt_timeout)),
                config,
                media_urls,
                shutdown: watch::Sender::new(false),
                sockets: Mutex::default(),
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &DeliveryConfig {
        &self.inner.config
    }

    /// Which bots this node may deliver to (webhook or WebSocket), when nodes share the
    /// database.
    pub(crate) fn leases(&self) -> &Arc<lease::Leases> {
        &self.inner.leases
    }

    /// How media URLs in events are made for bots.
    pub fn media_urls(&self) -> &MediaUrls {
        &self.inner.media_urls
    }

    /// Tells the dispatcher and every bot socket to stop.
    pub fn shut_down(&self) {
        self.inner.shutdown.send_replace(true);
    }

    /// Turns true at shutdown.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.inner.shutdown.subscribe()
    }

    pub(crate) fn claim(&self, bot_id: &str) -> Claim {
        let mut sockets = self.inner.sockets.lock().unwrap_or_else(|e| e.into_inner());
        let (generation, turn) = match sockets.get(bot_id) {
            Some(old) => {
                old.kick.notify_one();
                (old.generation.wrapping_add(1), old.turn.clone())
            }
            None => (0, Arc::default()),
        };
        let kick = Arc::new(Notify::new());
        sockets.insert(
            bot_id.to_owned(),
            Slot {
                generation,
                kick: kick.clone(),
                turn: turn.clone(),
            },
        );
        Claim {
            generation,
            kick,
            turn,
        }
    }

    pub(crate) fn is_current(&self, bot_id: &str, generation: u64) -> bool {
        let sockets = self.inner.sockets.lock().unwrap_or_else(|e| e.into_inner());
        sockets
            .get(bot_id)
            .is_some_and(|s| s.generation == generation)
    }

    pub(crate) fn release(&self, bot_id: &str, generation: u64) {
        let mut sockets = self.inner.sockets.lock().unwrap_or_else(|e| e.into_inner());
        if sockets
            .get(bot_id)
            .is_some_and(|s| s.generation == generation)
        {
            sockets.remove(bot_id);
        }
    }
}
