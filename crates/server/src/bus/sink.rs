//! The live layer's side of the store's [`CommitSink`]: each commit's records become frames
//! ([`super::frame::changes`]) and go on the bus, in commit order, from a publishing thread of
//! their own ([`Publisher`]), so that the writer goes back to committing at once and its
//! callers are answered without waiting for the bus.
//!
//! On PostgreSQL that wait was NATS's: until the ninth session of issue 18 a node published
//! inline, on the writer's thread, and answered its callers only once its own subscription
//! had heard the commit back, 2.5–5.5 ms of every batch's cycle (`publish` in
//! `cloudlake_writer_phase_seconds`), during which the node took no new batch. From a thread,
//! one node at 2 ms a PostgreSQL round trip wrote 7% more and two nodes 11% more
//! (BENCHMARKS.md). Order does not need the inline publish: one thread keeps this node's
//! commits in order, and each node's listener puts the nodes' commits back in order by their
//! numbers (`bus::order`); a commit committed but not yet published when its node dies is
//! given up by the listeners after `order::HOLD`, and their sessions resync from storage.

use std::sync::Arc;

use super::Bus;
use super::publisher::Publisher;
use crate::store::{Commit, CommitSink};

/// See the module documentation.
pub struct LiveSink(Publisher);

impl LiveSink {
    /// Publishes on `bus` from a thread of its own (joined when the sink is dropped, after
    /// publishing what is queued; waited for at most a few seconds, see [`Publisher`]).
    pub fn start(bus: Arc<dyn Bus>) -> std::io::Result<Self> {
        Ok(LiveSink(Publisher::start(bus)?))
    }

    /// Resolves once every commit handed over before the call is on the bus. A live session
    /// waits for this before it registers: a change committed before it read what it
    /// subscribes to, but published after it registered, would otherwise reach it out of
    /// order (a user's sockets closed by a deletion committed before this socket's user
    /// existed). (With NATS as the bus, "on the bus" is heard back from NATS by this node:
    /// the publishing thread waits for that.)
    pub async fn settled(&self) {
        self.0.settled().await;
    }
}

impl CommitSink for LiveSink {
    fn committed(&self, commit: Commit) {
        self.0.publish(commit);
    }
}

/// Turns one commit into changes and publishes them with its wake-up.
pub(super) fn publish(bus: &dyn Bus, commit: Commit) {
    bus.publish_commit(
        super::frame::changes(commit.records),
        commit.wake.as_deref(),
        commit.number,
    );
}
