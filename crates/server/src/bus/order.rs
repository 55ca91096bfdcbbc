//! Putting the cluster's commits back in order as one node's subscription hears them.
//!
//! Every subscriber hears the messages in the order its NATS server took them, and that need
//! not be commit order: each node publishes its commit after the cluster-wide write lock has
//! gone with the transaction (`store::writer`), so the next node's commit may be published
//! first; and with a cluster of NATS servers (so that losing one loses nothing) a message
//! published on one server reaches the others' subscribers over a route, and may arrive after
//! a later commit published on the subscriber's own server. Each commit on PostgreSQL
//! carries its number in the cluster (1, 2, 3… with no gap among committed ones:
//! [`crate::store::Commit::number`]), so a listener holds back what comes early and releases
//! it once the commits before it have come. A commit that never comes (its publish failed, or it was lost with a server) stops
//! being waited for after [`HOLD`]: the node's sessions resync from storage, which has it, and
//! the held commits go on.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::time::Instant;

use super::wire::CommitPart;

/// How long a listener waits for a missing commit before it gives up on it. Messages between
/// NATS servers on one network take well under a millisecond; a publish that has not got
/// through in this long has most likely failed.
pub const HOLD: Duration = Duration::from_millis(500);

/// See the module documentation. `T` is what is released (a decoded bus message).
pub(super) struct CommitOrder<T> {
    /// The `(number, part)` expected next; `None` until the first numbered message.
    next: Option<(i64, u32)>,
    /// Messages that came before their turn.
    held: BTreeMap<(i64, u32), (CommitPart, T)>,
    /// Since when the listener has been waiting for `next` (while something is held).
    waiting_since: Option<Instant>,
}

impl<T> CommitOrder<T> {
    /// Nothing heard yet: the first numbered message sets where the order starts.
    pub(super) fn new() -> Self {
        CommitOrder {
            next: None,
            held: BTreeMap::new(),
            waiting_since: None,
        }
    }

    /// Takes one numbered message heard at `now`; returns the messages whose turn has come,
    /// in order (none if it is early). A message from before the point reached (heard after
    /// its commit was given up on) is released at once: sessions skip frames by cursor, and
    /// they have been told to resync.
    pub(super) fn take(&mut self, part: CommitPart, item: T, now: Instant) -> Vec<T> {
        let key = (part.number, part.part);
        let next = *self.next.get_or_insert(key);
        if key < next {
            return vec![item];
        }
        self.held.insert(key, (part, item));
        self.release(now)
    }

    /// When to give up waiting for the missing message; `None` when nothing is held.
    pub(super) fn deadline(&self) -> Option<Instant> {
        self.waiting_since.map(|since| since + HOLD)
    }

    /// Gives up on what is missing: the order goes on from the first held message, which is
    /// released with whatever follows it.
    pub(super) fn skip(&mut self, now: Instant) -> Vec<T> {
        if let Some((&first, _)) = self.held.first_key_value() {
            self.next = Some(first);
        }
        self.release(now)
    }

    fn release(&mut self, now: Instant) -> Vec<T> {
        let mut ready = Vec::new();
        while let Some(next) = self.next
            && let Some((part, item)) = self.held.remove(&next)
        {
            ready.push(item);
            self.next = Some(part.successor());
        }
        self.waiting_since = if self.held.is_empty() {
            None
        } else if ready.is_empty() {
            // Still waiting for the same message: the clock keeps running.
            self.waiting_since.or(Some(now))
        } else {
            // Progress: what is missing now is another message, waited for afresh.
            Some(now)
        };
        ready
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(number: i64, part: u32, parts: u32) -> CommitPart {
        CommitPart {
            number,
            part,
            parts,
        }
    }

    fn one(number: i64) -> CommitPart {
        part(number, 0, 1)
    }

    #[test]
    fn commits_in_order_pass_straight_through() {
        let mut order = CommitOrder::new();
        let now = Instant::now();
        for n in 5..10 {
            assert_eq!(order.take(one(n), n, now), vec![n]);
            assert_eq!(order.deadline(), None);
        }
    }

    #[test]
    fn an_early_commit_waits_for_the_one_before_it() {
        let mut order = CommitOrder::new();
        let now = Instant::now();
        assert_eq!(order.take(one(1), 1, now), vec![1]);
        assert!(order.take(one(3), 3, now).is_empty());
        assert!(order.take(one(4), 4, now).is_empty());
        assert_eq!(order.deadline(), Some(now + HOLD));
        assert_eq!(order.take(one(2), 2, now), vec![2, 3, 4]);
        assert_eq!(order.deadline(), None);
    }

    #[test]
    fn the_parts_of_a_commit_come_in_their_order() {
        let mut order = CommitOrder::new();
        let now = Instant::now();
        assert_eq!(order.take(one(1), "1", now), vec!["1"]);
        // Commit 2 was sent as three messages; commit 3 overtook its last two.
        assert_eq!(order.take(part(2, 0, 3), "2a", now), vec!["2a"]);
        assert!(order.take(one(3), "3", now).is_empty());
        assert!(order.take(part(2, 1, 3), "2b", now) == vec!["2b"]);
        assert_eq!(order.take(part(2, 2, 3), "2c", now), vec!["2c", "3"]);
    }

    #[test]
    fn a_commit_that_never_comes_is_given_up_after_the_hold() {
        let mut order = CommitOrder::new();
        let start = Instant::now();
        assert_eq!(order.take(one(1), 1, start), vec![1]);
        assert!(order.take(one(3), 3, start).is_empty());
        // Waiting for the same commit: the deadline does not move.
        let later = start + Duration::from_millis(100);
        assert!(order.take(one(5), 5, later).is_empty());
        assert_eq!(order.deadline(), Some(start + HOLD));
        // Given up: 3 goes, 5 still waits for 4, with a deadline of its own.
        let given_up = start + HOLD;
        assert_eq!(order.skip(given_up), vec![3]);
        assert_eq!(order.deadline(), Some(given_up + HOLD));
        assert_eq!(order.take(one(4), 4, given_up), vec![4, 5]);
        // Commit 2, heard after it was given up on, is let through at once.
        assert_eq!(order.take(one(2), 2, given_up), vec![2]);
        assert_eq!(order.deadline(), None);
    }
}
