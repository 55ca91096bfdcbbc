//! Where committed writes go: the store's one way of telling anyone what changed, without
//! knowing who listens (the live layer implements [`CommitSink`]; tools and tests use
//! [`NoSink`]).

use std::sync::Arc;

use super::outbox::Wake;
use super::record::Record;

/// What one commit changed.
#[derive(Debug, Clone, Default)]
pub struct Commit {
    /// The records of every job in it, in the order they ran.
    pub records: Vec<Record>,
    /// The bots (and dispatcher) whose deliverable events it changed; this node's deliverers
    /// are woken by the store itself, the sink tells other nodes.
    pub wake: Option<Arc<Wake>>,
    /// On PostgreSQL, the commit's number in the cluster: 1, 2, 3… over the commits of every
    /// node that wrote anything, in commit order, with no gaps among those committed. Every
    /// numbered commit is handed to the sink, even one with nothing else to tell, so that a
    /// listener that hears commits out of order (NATS servers in a cluster pass messages on
    /// over routes) can put them back in order by it, and knows a commit is missing when one
    /// does not come. `None` with one writer (SQLite), whose commits need no such number.
    pub number: Option<i64>,
}

impl Commit {
    /// Whether there is nothing to tell.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty() && self.wake.is_none() && self.number.is_none()
    }
}

/// Receives every commit that changed something, once it is durable and before its callers
/// are answered, one commit after another in commit order, on the writer's side (the writer
/// thread, or the thread that fsyncs for it). It must not block on a client: queue, don't
/// wait. On PostgreSQL it is called after the cluster-wide write lock has gone with the
/// commit: another node's next commit may reach the bus first, and listeners put commits
/// back in order by their numbers ([`Commit::number`]).
pub trait CommitSink: Send + Sync + 'static {
    /// Takes one commit.
    fn committed(&self, commit: Commit);
}

/// A sink that drops everything, for stores with no live connections (tools, tests).
pub struct NoSink;

impl CommitSink for NoSink {
    fn committed(&self, _: Commit) {}
}
