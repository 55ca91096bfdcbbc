//! Publishing committed changes on a thread of their own, so that the writer goes back to
//! committing while the previous batch's frames are encoded and fanned out (two cores: the
//! writer is the bottleneck, and fan-out need not be in its way).
//!
//! One thread and one queue keep commit order, which live sessions rely on (see [`super`]).
//! The queue is bounded: a publisher that falls far behind slows the writer rather than
//! holding an unbounded backlog.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use super::Bus;
use crate::store::Commit;

/// How many committed batches may wait to be published.
const QUEUE: usize = 1024;

/// The writer's handle on the publishing thread. Dropping it publishes what is queued and
/// joins the thread.
pub(crate) struct Publisher {
    queue: Option<SyncSender<Commit>>,
    thread: Option<JoinHandle<()>>,
}

impl Publisher {
    /// Starts publishing to `bus`.
    pub(crate) fn start(bus: Arc<dyn Bus>) -> std::io::Result<Self> {
        let (queue, batches) = sync_channel::<Commit>(QUEUE);
        let thread = std::thread::Builder::new()
            .name("cloudlake-publish".into())
            .spawn(move || {
                for commit in batches {
                    // A panic in one batch's fan-out must not stop every later one.
                    let publish = || super::sink::publish(&*bus, commit);
                    if catch_unwind(AssertUnwindSafe(publish)).is_err() {
                        tracing::error!("publishing a batch of changes panicked");
                    }
                }
            })?;
        Ok(Publisher {
            queue: Some(queue),
            thread: Some(thread),
        })
    }

    /// Queues one commit's records and wake-up (for the other nodes: the store wakes this
    /// node's deliverers itself), in commit order.
    pub(crate) fn publish(&self, commit: Commit) {
        if let Some(queue) = &self.queue
            && queue.send(commit).is_err()
        {
            tracing::error!("the publishing thread is gone; live clients will resync");
        }
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        drop(self.queue.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
