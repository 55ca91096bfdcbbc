//! The threads that render long messages, off the async workers.
//!
//! Even bounded, sanitizing a long message takes milliseconds, and on a tokio worker nothing
//! else runs meanwhile: `/healthz` and every other request on that worker would wait, and a
//! request timeout could not answer. So long texts render here, on a few plain threads (one
//! per core): the awaiting request stays cancellable, and at shutdown the process exits
//! without waiting for them, as it would for tokio's blocking pool.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::{Semaphore, oneshot};

use super::RenderError;

/// Jobs a thread may have queued behind the one it runs: enough to keep the threads busy,
/// few enough that waiting inputs hold bounded memory (the rest wait, cancellably, for a
/// place).
const QUEUED_PER_THREAD: usize = 16;

type Job = Box<dyn FnOnce() + Send>;

struct Pool {
    jobs: Sender<Job>,
    places: Arc<Semaphore>,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads {
            let queue = Arc::clone(&queue);
            let spawned = std::thread::Builder::new()
                .name(format!("cloudlake-render-{i}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while waiting for a job, never while it runs.
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(poisoned) => poisoned.into_inner().recv(),
                        };
                        let Ok(job) = job else { return };
                        job();
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a render thread");
            }
        }
        Pool {
            jobs,
            places: Arc::new(Semaphore::new(threads * (QUEUED_PER_THREAD + 1))),
        }
    })
}

/// Runs `work` on a render thread and waits for it without holding an async worker. Dropping
/// the future (a request timeout) leaves the job to finish and its result unread.
pub async fn off_worker<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, RenderError> {
    let pool = pool();
    // The place is held until the job has run, even when its caller has stopped waiting.
    let place = Arc::clone(&pool.places)
        .acquire_owned()
        .await
        .map_err(|_| RenderError::Abandoned)?;
    let (done, result) = oneshot::channel();
    let job: Job = Box::new(move || {
        let _place = place;
        // A panic ends this job, not the thread; the caller sees the job abandoned.
        if let Ok(value) = catch_unwind(AssertUnwindSafe(work)) {
            let _ = done.send(value);
        }
    });
    pool.jobs.send(job).map_err(|_| RenderError::Abandoned)?;
    result.await.map_err(|_| RenderError::Abandoned)
}
