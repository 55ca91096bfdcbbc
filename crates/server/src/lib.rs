//! The cloudlake server: the Yunhu bot open API over durable storage, plus an admin API.
//!
//! The data path reads top to bottom: [`api`] (HTTP handlers) → [`service`] (what a call
//! means) → [`store`] (SQLite with a group-commit writer). [`serve`] wires them together and
//! runs the HTTP server.

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
