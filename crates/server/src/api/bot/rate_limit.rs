//! The per-bot, per-API rate limit (wire §8): over it, a call is answered
//! `{"code":1007,"msg":"请求过于频繁，请稍后再试"}` (HTTP 200) before any work is done.
//!
//! Requests are counted by the SHA-256 of the `token` in the query string and the route, so
//! the check needs no database lookup and runs before authentication; the token itself is
//! never kept. A request without a token is not counted (it is refused anyway).

use std::sync::{Arc, Weak};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cloudlake_protocol::ApiError;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::extract::query_value;
use super::reply::Failure;
use crate::config::RateLimit;
use crate::secret::TokenHash;

/// How often idle keys are dropped from the limiter's state.
const PRUNE_EVERY: Duration = Duration::from_secs(30);

/// One bucket per (token hash, route).
type Key = (TokenHash, Arc<str>);

/// The shared limiter of the bot API.
#[derive(Clone)]
pub(crate) struct BotRateLimiter(Arc<DefaultKeyedRateLimiter<Key>>);

impl BotRateLimiter {
    /// A limiter for `limit`, or none when the limit is off (then the bot API has no limiting
    /// layer at all: one that lets everything through would still cost every request a boxed
    /// future and a clone of the service behind it). Must be called inside the Tokio
    /// runtime: it starts the task that prunes idle keys.
    pub(crate) fn new(limit: RateLimit) -> Option<Self> {
        let RateLimit::PerSecond(n) = limit else {
            return None;
        };
        // `Quota::per_second(n)` is n cells per second with a burst of n: governor's own
        // quota, not tower_governor's `per_second`, which sets a refill interval instead.
        let limiter = Arc::new(RateLimiter::keyed(Quota::per_second(n)));
        spawn_pruner(Arc::downgrade(&limiter));
        Some(BotRateLimiter(limiter))
    }

    fn allows(&self, key: &Key) -> bool {
        self.0.check_key(key).is_ok()
    }
}

/// The keyed state holds one entry per (token, route) ever seen, including tokens that match
/// no bot; without pruning it would grow for as long as the server runs. `retain_recent`
/// drops every key whose bucket has refilled completely (indistinguishable from a fresh
/// one), so the state stays proportional to the callers of the last second or so. The task
/// holds only a weak reference and ends when the router (and so the limiter) is dropped.
fn spawn_pruner(limiter: Weak<DefaultKeyedRateLimiter<Key>>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PRUNE_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(limiter) = limiter.upgrade() else {
                return;
            };
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    });
}

/// Middleware: refuses a call over its bot's limit for its route.
pub(crate) async fn limit(
    State(limiter): State<BotRateLimiter>,
    req: Request,
    next: Next,
) -> Response {
    let (parts, body) = req.into_parts();
    let token = query_value(&parts, "token")
        .filter(|value| !value.trim().is_empty())
        .map(|value| TokenHash::of(value.trim()));
    // As a route layer this runs only for paths that matched a route, so the path names
    // the API and the set of keys per token stays small.
    let route: Arc<str> = Arc::from(parts.uri.path());
    if let Some(token) = token
        && !limiter.allows(&(token, route))
    {
        return Failure::from(ApiError::rate_limited()).into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use super::*;

    #[tokio::test]
    async fn idle_keys_are_pruned() {
        let limit = RateLimit::PerSecond(NonZeroU32::MIN.saturating_add(999));
        let Some(limiter) = BotRateLimiter::new(limit) else {
            panic!("a limit was set")
        };
        let inner = limiter.0.clone();
        for i in 0..100u8 {
            let key = (TokenHash([i; 32]), Arc::from("/bot/send"));
            assert!(limiter.allows(&key));
        }
        assert_eq!(inner.len(), 100);
        // At 1000/s one request is refilled after 1 ms: then each key is as good as new.
        tokio::time::sleep(Duration::from_millis(20)).await;
        inner.retain_recent();
        assert_eq!(inner.len(), 0);
    }

    #[test]
    fn off_is_no_limiter() {
        assert!(BotRateLimiter::new(RateLimit::Off).is_none());
    }
}
