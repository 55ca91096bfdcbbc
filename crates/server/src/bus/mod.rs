//! The bus: how a committed change reaches every live connection that should see it.
//!
//! The store hands each commit's records to the live layer's commit sink ([`sink::LiveSink`]),
//! which turns them into [`Change`]s ([`frame`]) and publishes them in commit order, on a
//! publishing thread of its own ([`publisher`]). Live sessions
//! depend on that order: a session skips frames whose cursor it has already sent, which is
//! only correct if cursors arrive increasing. A caller may be answered before its commit's frames are out; a session that
//! starts in between reads the commit from storage and skips the late frame by its cursor.
//!
//! In one process the bus is the local [`crate::gateway::Gateway`]. Across nodes it is
//! [`nats::NatsBus`]: every node publishes its commits on one NATS subject and has one
//! subscription to it, which feeds the node's gateway (its own commits included, so that
//! every node sees one order) and hands bot wake-ups to its store. Over a cluster of NATS
//! servers a node's listener puts commits back in the cluster's commit order (`order`).

pub mod frame;
pub mod nats;
mod order;
mod publisher;
pub mod sink;
pub mod wire;

use std::sync::Arc;

use crate::store::Wake;

/// Something that happened, addressed to the live connections that must learn of it.
#[derive(Debug, Clone)]
pub enum Change {
    /// A frame for everyone subscribed to a chat, at a position of the chat log.
    Chat {
        /// The change log position (the frame's `cursor`).
        cursor: i64,
        /// The chat's key.
        chat_key: String,
        /// The frame, encoded once for every recipient (and not at all without one).
        frame: frame::Frame,
    },
    /// A frame for everyone subscribed to a chat that is not part of the log (board changes:
    /// boards are state, sent whole in every `hello`).
    ChatState {
        /// The chat's key.
        chat_key: String,
        /// Only this user, when set (a board for one group member).
        only_user: Option<String>,
        /// The encoded frame.
        frame: Arc<str>,
    },
    /// A user can now see a chat: their open sessions subscribe to it.
    Joined {
        /// The user.
        user_id: String,
        /// The chat.
        chat_key: String,
    },
    /// A user can no longer see a chat: their open sessions unsubscribe.
    Left {
        /// The user.
        user_id: String,
        /// The chat.
        chat_key: String,
    },
    /// A chat is gone (its group was deleted): every subscription to it ends.
    ChatClosed {
        /// The chat.
        chat_key: String,
    },
    /// A user's live sessions must end: all of them (the user was deleted), or those opened
    /// with one credential (a sign-in session's token, or the user token).
    UserClosed {
        /// The user.
        user_id: String,
        /// Only the sockets opened with the token of this hash, when set.
        session: Option<[u8; 32]>,
    },
}

/// Where committed changes go.
pub trait Bus: Send + Sync + 'static {
    /// Delivers changes, in the order given. Called from the publishing thread, one commit
    /// after another: it must not block on a client (queue, don't wait).
    fn publish(&self, changes: Vec<Change>);

    /// Tells the other nodes that bots have new deliverable events (see [`Wake`]); the node
    /// that committed has already woken its own deliverers. A bus within one process has
    /// no one to tell: the default does nothing.
    fn publish_wake(&self, wake: &Wake) {
        let _ = wake;
    }

    /// Says whether more commits wait to be published behind the one about to be: a bus may
    /// then trade a little latency for throughput (the gateway lets the sessions' tasks write
    /// the frames, which batches them, instead of writing each frame itself). Ignored by
    /// default.
    fn backlog(&self, more_waiting: bool) {
        let _ = more_waiting;
    }

    /// Publishes what one commit produced: its changes (possibly none), its wake-up (if any)
    /// and its number in the cluster's order (PostgreSQL, see [`crate::store::Commit::number`]).
    /// The default calls [`Bus::publish`] and [`Bus::publish_wake`]; a bus between nodes sends
    /// all three as one message.
    fn publish_commit(&self, changes: Vec<Change>, wake: Option<&Wake>, number: Option<i64>) {
        let _ = number;
        if !changes.is_empty() {
            self.publish(changes);
        }
        if let Some(wake) = wake {
            self.publish_wake(wake);
        }
    }
}

/// A bus that drops everything, for stores with no live connections (tools, tests).
pub struct NoBus;

impl Bus for NoBus {
    fn publish(&self, _: Vec<Change>) {}
}
