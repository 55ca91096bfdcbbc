//! What a batch of writes looks up once on PostgreSQL: the nickname of a bot that sends, and
//! which chats it may send to. Each lookup is a network round trip, and a batch of 64
//! batch_sends from one bot to the same groups asked the same questions 64 times.
//!
//! Kept from batch to batch: every batch runs under the cluster-wide write lock, so no other
//! writer changes anything meanwhile, and when another node has committed in between, what
//! it holds is read again with the writer's numbers (`Numbers::catch_up`, which also keeps it
//! bounded). Dropped as soon as a job runs a write statement of its own (the writer compares
//! `Connection::executed_changes` around each job): that write may be the one that renames
//! the bot or changes a membership. Sends write only held-back message rows, which change
//! neither. SQLite does not use it: its lookups are function calls.

use std::collections::HashMap;

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
}
