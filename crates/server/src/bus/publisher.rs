//! Publishing committed changes on a thread of their own, so that the writer goes back to
//! committing while the previous batch's frames are encoded and fanned out (two cores: the
//! writer is the bottleneck, and fan-out need not be in its way).
//!
//! One thread and one queue keep commit order, which live sessions rely on (see [`super`]).
//! The queue is bounded: a publisher that falls far behind slows the writer rather than
//! holding an unbounded backlog.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;

use super::Bus;
use crate::store::Commit;

/// How many committed batches may wait to be published.
const QUEUE: usize = 1024;

/// What the publishing thread's queue carries.
enum Item {
    /// A commit to publish.
    Commit(Commit),
    /// Someone waits until everything queued before this is published (see
    /// [`Publisher::settled`]).
    Barrier(oneshot::Sender<()>),
}

/// How long dropping a [`Publisher`] waits for its thread to publish what is queued.
const DROP_WAIT: Duration = Duration::from_secs(5);

/// The writer's handle on the publishing thread. Dropping it publishes what is queued and
/// joins the thread (waiting at most [`DROP_WAIT`]).
pub(crate) struct Publisher {
    queue: Option<SyncSender<Item>>,
    /// Commits handed over and not yet taken by the thread.
    queued: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl Publisher {
    /// Starts publishing to `bus`.
    pub(crate) fn start(bus: Arc<dyn Bus>) -> std::io::Result<Self> {
        let (queue, items) = sync_channel::<Item>(QUEUE);
        let queued = Arc::new(AtomicUsize::new(0));
        let waiting = queued.clone();
        let thread = std::thread::Builder::new()
            .name("cloudlake-publish".into())
            .spawn(move || {
                for item in items {
                    match item {
                        Item::Commit(commit) => {
                            let behind = waiting.fetch_sub(1, Ordering::Relaxed) > 1;
                            bus.backlog(behind);
                            // A panic in one batch's fan-out must not stop every later one.
                            let publish = || super::sink::publish(&*bus, commit);
                            if catch_unwind(AssertUnwindSafe(publish)).is_err() {
                                tracing::error!("publishing a batch of changes panicked");
                            }
                        }
                        // The waiter may have gone away; nothing to tell then.
                        Item::Barrier(done) => {
                            let _ = done.send(());
                        }
                    }
                }
            })?;
        Ok(Publisher {
            queue: Some(queue),
            queued,
            thread: Some(thread),
        })
    }

    /// Queues one commit's records and wake-up (for the other nodes: the store wakes this
    /// node's deliverers itself), in commit order.
    pub(crate) fn publish(&self, commit: Commit) {
        if let Some(queue) = &self.queue {
            self.queued.fetch_add(1, Ordering::Relaxed);
            if queue.send(Item::Commit(commit)).is_err() {
                tracing::error!("the publishing thread is gone; live clients will resync");
            }
        }
    }

    /// Resolves once every commit queued before it began to wait has been published (at once
    /// if the publishing thread is gone). Later commits are not waited for.
    pub(crate) async fn settled(&self) {
        let Some(queue) = self.queue.clone() else {
            return;
        };
        let (done, published) = oneshot::channel();
        match queue.try_send(Item::Barrier(done)) {
            Ok(()) => {}
            // A full queue (the publisher far behind) is waited on off the runtime's threads.
            Err(TrySendError::Full(barrier)) => {
                let sent = tokio::task::spawn_blocking(move || queue.send(barrier)).await;
                if !matches!(sent, Ok(Ok(()))) {
                    return;
                }
            }
            Err(TrySendError::Disconnected(_)) => return,
        }
        // An error here means the thread dropped the barrier unanswered: it is gone.
        let _ = published.await;
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        drop(self.queue.take());
        let Some(thread) = self.thread.take() else {
            return;
        };
        // Not forever: dropped on a thread of the async runtime, a publish still waiting for
        // NATS (which that runtime drives) would never finish while that thread waits here
        // (seen: a test server stopped on a single-threaded runtime hung). `Server::serve`
        // waits for what is queued (`LiveSink::settled`) before it returns; past the wait, the
        // thread is left to end by itself.
        let waiting = std::time::Instant::now();
        while !thread.is_finished() && waiting.elapsed() < DROP_WAIT {
            std::thread::sleep(Duration::from_millis(1));
        }
        if thread.is_finished() {
            let _ = thread.join();
        } else {
            tracing::warn!(
                "the publishing thread did not finish within {DROP_WAIT:?}; left to end by itself"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;
    use crate::bus::Change;

    /// A bus whose every publish waits until the test lets it go, and counts.
    struct HeldBus {
        go: Mutex<mpsc::Receiver<()>>,
        published: Mutex<usize>,
    }

    impl Bus for HeldBus {
        fn publish(&self, _: Vec<Change>) {}

        fn publish_commit(&self, _: Vec<Change>, _: Option<&crate::store::Wake>, _: Option<i64>) {
            let _ = self.go.lock().unwrap().recv();
            *self.published.lock().unwrap() += 1;
        }
    }

    #[tokio::test]
    async fn settled_waits_for_the_commits_queued_before_it_and_no_later_ones() {
        let (go, held) = mpsc::channel();
        let bus = Arc::new(HeldBus {
            go: Mutex::new(held),
            published: Mutex::new(0),
        });
        let publisher = Publisher::start(bus.clone()).unwrap();
        publisher.publish(Commit::default());
        publisher.publish(Commit::default());
        {
            let settled = publisher.settled();
            tokio::pin!(settled);
            // Both commits wait on the bus: not settled.
            assert!(
                tokio::time::timeout(Duration::from_millis(100), &mut settled)
                    .await
                    .is_err()
            );
            go.send(()).unwrap();
            go.send(()).unwrap();
            // A commit queued after the wait began is not waited for.
            publisher.publish(Commit::default());
            tokio::time::timeout(Duration::from_secs(5), &mut settled)
                .await
                .expect("settled once the two are published");
            assert_eq!(*bus.published.lock().unwrap(), 2);
        }
        go.send(()).unwrap();
        drop(publisher);
        assert_eq!(*bus.published.lock().unwrap(), 3);
    }
}
