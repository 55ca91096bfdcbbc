//! The live layer's side of the store's [`CommitSink`]: each commit's records become frames
//! ([`super::frame::changes`]) and go on the bus, in commit order. Where that work runs is
//! this sink's choice, made when the server is wired ([`LiveSink::threaded`] or
//! [`LiveSink::inline`]).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use super::Bus;
use super::publisher::Publisher;
use crate::store::{Commit, CommitSink};

/// See the module documentation.
pub struct LiveSink(Mode);

enum Mode {
    /// On a publishing thread of its own, so the writer goes back to committing at once: the
    /// choice for one writer per process (SQLite). See [`Publisher`].
    Threaded(Publisher),
    /// On the writer's thread, right after the commit: the choice for a writer per node
    /// (PostgreSQL), so that a commit is on the bus before its callers are answered (see
    /// [`LiveSink::settled`]); the listeners put the nodes' commits in order by their numbers
    /// (`bus::order`).
    Inline(Arc<dyn Bus>),
}

impl LiveSink {
    /// Publishes on `bus` from a thread of its own (joined when the sink is dropped, after
    /// publishing what is queued).
    pub fn threaded(bus: Arc<dyn Bus>) -> std::io::Result<Self> {
        Ok(LiveSink(Mode::Threaded(Publisher::start(bus)?)))
    }

    /// Publishes on `bus` from the thread that hands over the commit.
    pub fn inline(bus: Arc<dyn Bus>) -> Self {
        LiveSink(Mode::Inline(bus))
    }

    /// Resolves once every commit handed over before the call is on the bus. A live session
    /// waits for this before it registers: a change committed before it read what it
    /// subscribes to, but published after it registered, would otherwise reach it out of
    /// order (a user's sockets closed by a deletion committed before this socket's user
    /// existed). Inline, a commit is on the bus before its caller is answered: nothing to
    /// wait for. (With NATS as the bus, "on the bus" is sent to NATS: this node's gateway
    /// hears it a moment later, which this does not wait for.)
    pub async fn settled(&self) {
        if let Mode::Threaded(publisher) = &self.0 {
            publisher.settled().await;
        }
    }
}

impl CommitSink for LiveSink {
    fn committed(&self, commit: Commit) {
        match &self.0 {
            Mode::Threaded(publisher) => publisher.publish(commit),
            Mode::Inline(bus) => {
                let publish = || publish(&**bus, commit);
                if catch_unwind(AssertUnwindSafe(publish)).is_err() {
                    tracing::error!("publishing a batch of changes panicked");
                }
            }
        }
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
