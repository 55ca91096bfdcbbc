//! Which node sends a bot's events (by webhook or on its WebSocket) when several nodes share
//! the database (PostgreSQL).
//!
//! Each bot's events go out from one node at a time, so they stay in order and none is sent
//! twice: the sending node holds a lease on the bot in the database, and renews it while it
//! sends, whenever less than an attempt's time limit (plus a margin) is left, so a lease
//! never runs out in the middle of an attempt. A node gives a bot's lease up as soon as it
//! has nothing more to send it (or the bot's socket there closes, or the node stops); one
//! that dies holds its leases until they run out, then another node takes its bots over.
//!
//! With SQLite there is only ever one node: nothing is claimed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::clock::now_ms;
use crate::store::{Store, StoreError};

/// Added to the attempt time limit to make the renewal margin.
const MARGIN: Duration = Duration::from_secs(10);
/// When another node holds a bot, how long before asking again.
const RECHECK: Duration = Duration::from_secs(5);

/// This node's view of the delivery leases.
pub(crate) struct Leases {
    store: Store,
    /// This node's ID (random per start: a restarted node is a new node).
    node: String,
    /// Renew once less than this is left (ms).
    renew_before: i64,
    /// How long a claim lasts (ms).
    lease: i64,
    /// Bots this node holds, and until when.
    held: Mutex<HashMap<String, i64>>,
    /// Bots another node held when last asked, and when to ask again.
    elsewhere: Mutex<HashMap<String, i64>>,
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

impl Leases {
    /// Leases for a node whose webhook attempts take at most `attempt_timeout`.
    pub(crate) fn new(store: Store, attempt_timeout: Duration) -> Self {
        let renew_before = millis(attempt_timeout + MARGIN);
        Leases {
            store,
            node: uuid::Uuid::new_v4().to_string(),
            renew_before,
            lease: renew_before.saturating_mul(2),
            held: Mutex::default(),
            elsewhere: Mutex::default(),
        }
    }

    /// Whether this node may send the bot's next event now, claiming or renewing its lease
    /// as needed.
    pub(crate) async fn hold(&self, bot_id: &str) -> Result<bool, StoreError> {
        if !self.store.is_shared() {
            return Ok(true);
        }
        let now = now_ms();
        if lock(&self.held)
            .get(bot_id)
            .is_some_and(|until| *until > now + self.renew_before)
        {
            return Ok(true);
        }
        let until = now + self.lease;
        let claimed = self
            .store
            .claim_delivery(bot_id.to_owned(), self.node.clone(), now, until)
            .await?;
        if claimed {
            lock(&self.held).insert(bot_id.to_owned(), until);
            lock(&self.elsewhere).remove(bot_id);
        } else {
            lock(&self.held).remove(bot_id);
            lock(&self.elsewhere).insert(bot_id.to_owned(), now + millis(RECHECK));
        }
        Ok(claimed)
    }

    /// Whether another node held the bot when last asked (and it is not yet time to ask
    /// again): the dispatcher leaves the bot to it.
    pub(crate) fn elsewhere(&self, bot_id: &str) -> bool {
        let now = now_ms();
        let mut elsewhere = lock(&self.elsewhere);
        elsewhere.retain(|_, again| *again > now);
        elsewhere.contains_key(bot_id)
    }

    /// Gives up this node's lease on one bot (its WebSocket here closed), so that the bot's
    /// socket on another node takes over at once.
    pub(crate) async fn release(&self, bot_id: &str) {
        if !self.store.is_shared() || lock(&self.held).remove(bot_id).is_none() {
            return;
        }
        if let Err(e) = self
            .store
            .release_delivery(bot_id.to_owned(), self.node.clone())
            .await
        {
            tracing::warn!(bot = %bot_id, error = %e, "could not release a delivery lease; it runs out by itself");
        }
    }

    /// Gives up every lease of this node (at shutdown).
    pub(crate) async fn release_all(&self) {
        if !self.store.is_shared() {
            return;
        }
        if let Err(e) = self.store.release_deliveries(self.node.clone()).await {
            tracing::warn!(error = %e, "could not release webhook delivery leases; they run out by themselves");
        }
        lock(&self.held).clear();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
