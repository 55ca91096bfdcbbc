//! The server's integration tests, one binary: each module is the file of one area.
//! One binary links the server once instead of once per file (see the README's quick start).

mod admin_api;
mod bot_history;
mod bot_profile;
mod bot_send;
mod bot_settings;
mod bot_ws;
mod browser;
mod cards;
mod common;
mod direct;
mod discover;
mod events;
mod group_admin;
mod hostile_input;
mod interactive;
mod limits;
mod live;
mod nats_bus;
mod openapi;
mod quotes;
mod rate_limit;
mod reactions;
mod revocation;
mod search;
mod send_stream;
mod slow_client;
mod tips;
mod uploads;
mod user_api;
mod user_edits;
mod user_media;
mod web;
mod web_api;
mod webhooks;
mod xss;
