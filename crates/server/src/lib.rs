//! The cloudlake server: the Yunhu bot open API (as `docs/wire.md` describes it), the user
//! client API with live delivery, and the admin API, over durable storage.
//!
//! # The data path
//!
//! A write reads top to bottom:
//!
//! 1. [`api`]: the HTTP and WebSocket handlers, grouped like the URL tree (`api/bot` the bot
//!    API and the bot WebSocket, `api/user` the user client API and its live socket,
//!    `api/admin` the admin API). They translate between HTTP and the services.
//! 2. [`service`]: what a call means (who may send where, what one recipient's failure means
//!    for a batch), and the stored form of a message or board, rendered to HTML once, here,
//!    before the write ([`render`]).
//! 3. [`store`]: persistence and the rules that must be atomic, on SQLite or PostgreSQL,
//!    behind one group-commit writer thread. A write job leaves plain records of what it
//!    changed ([`store::Record`]); once the commit is durable the writer hands them to a
//!    [`store::CommitSink`], without knowing who implements it.
//! 4. The live layer, [`bus`] and [`gateway`]: the sink ([`bus::sink::LiveSink`]) turns each
//!    commit's records into frames ([`bus::frame`]) in commit order, off the writer thread,
//!    and publishes them in process or, between nodes, over NATS; the gateway routes them to
//!    the live sessions' sockets.
//! 5. [`events`]: the events the store wrote to the outbox in the same transaction, delivered
//!    to bots by webhook, or on the bot WebSocket whose handler is `api/bot/subscribe.rs`.
//!
//! [`serve`] wires them together (which sink, which bus, which database) and [`connections`]
//! runs the listener.
//!
//! # Who owns what
//!
//! - [`render`]: content to sanitized HTML, bounded; long texts on threads of its own.
//! - [`media`]: where uploaded bytes live and the URLs bots fetch them at (what is known
//!   about each upload is in the store).
//! - [`config`]: the server's settings; [`demo`]: `serve --demo`; [`web`]: the embedded web
//!   client; [`metrics`]: Prometheus counters, process-wide.
//! - [`clock`], [`ids`], [`secret`]: time, identifiers, tokens and their hashes.
//!
//! # Dependency directions
//!
//! A module may name only the modules below it here; a unit test (`layering.rs`, run by
//! `cargo test --lib`) fails when one names another:
//!
//! - `api`, `serve`, `connections`, `demo`: any module (they sit on top).
//! - `service`: `store`, `bus` (only for `send-stream` previews, which are not commits),
//!   `render`, `media`, `clock`, `ids`, `secret`, `metrics`.
//! - `config`: `store`, `events` (for their settings' types).
//! - `bus` and `gateway`, the live layer: each other, `store` (its records), `metrics`; `bus`
//!   also `config` (the NATS options).
//! - `events`: `store`, `media`, `clock`, `ids`, `secret`, `metrics`.
//! - `store`: `clock`, `ids`, `secret`, `metrics`, and nothing else: no frames, no HTML, no
//!   HTTP, no bus.
//! - `render`, `media`, `web`, `clock`, `ids`, `secret`, `metrics`: no other module.
//!
//! `store`, `events`, `service`, `render`, `media` and `clock` do not use axum either.

pub mod api;
pub mod bus;
pub mod clock;
pub mod config;
pub mod connections;
pub mod demo;
pub mod events;
pub mod gateway;
pub mod ids;
#[cfg(test)]
mod layering;
pub mod media;
pub mod metrics;
pub mod render;
pub mod secret;
pub mod serve;
pub mod service;
pub mod store;
pub mod web;

pub use config::Config;
pub use serve::{ServeError, Server};
