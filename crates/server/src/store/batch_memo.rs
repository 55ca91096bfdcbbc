//! What a batch of writes looks up once: the nickname of a bot that sends, and which chats it
//! may send to. On PostgreSQL each lookup is a network round trip, and a batch of 64
//! batch_sends from one bot to the same groups asked the same questions 64 times. On SQLite a
//! lookup is a function call, but two of them per send (the nickname, then the recipients)
//! were a fifth of the writer's time on a batch_send to one group (BENCHMARKS.md, issue 19,
//! "the request's own cost").
//!
//! Kept from batch to batch: on SQLite the writer is the database's only writer, and on
//! PostgreSQL every batch runs under the cluster-wide write lock, so no other writer changes
//! anything meanwhile; when another node has committed in between, what it holds is read again
//! with the writer's numbers (`Numbers::catch_up`). Dropped as soon as a job runs a write
//! statement of its own (the writer compares `Connection::executed_changes` around each
//! job): that write may be the one that renames the bot or changes a membership. A message's
//! own row (`Connection::defer_insert`) changes neither and does not count. Dropped too when a
//! batch fails to commit (what it read may have come from the writes rolled back), and when it
//! holds more than [`MAX_LOOKUPS`].

use std::collections::HashMap;

/// The most lookups kept (see [`BatchMemo::keep_bounded`]); on PostgreSQL also the most read
/// again at once.
const MAX_LOOKUPS: usize = 1_000;

/// See the module documentation.
#[derive(Debug, Default)]
pub(crate) struct BatchMemo {
    /// A bot's nickname, by bot ID.
    pub(crate) nicknames: HashMap<String, String>,
    /// Whether a bot may send to a recipient: `(bot ID, recipient is a group, recipient ID)`.
    pub(crate) reach: HashMap<(String, bool, String), bool>,
}

impl BatchMemo {
    /// Whether it holds nothing.
    pub(crate) fn is_empty(&self) -> bool {
        self.nicknames.is_empty() && self.reach.is_empty()
    }

    /// Forgets everything (a job wrote something that may change it).
    pub(crate) fn clear(&mut self) {
        self.nicknames.clear();
        self.reach.clear();
    }

    /// Forgets everything if it holds more than [`MAX_LOOKUPS`]: a writer that only sends
    /// asks about each new recipient once, and nothing else would bound it. Called as a batch
    /// begins.
    pub(crate) fn keep_bounded(&mut self) {
        if self.nicknames.len() + self.reach.len() > MAX_LOOKUPS {
            self.clear();
        }
    }
}
