//! Making SQLite commits durable off the writer's thread (`durability full`).
//!
//! With `synchronous=FULL`, SQLite fsyncs the write-ahead log inside every COMMIT, and the
//! writer sits idle meanwhile: ~2–3 ms per commit on this kind of machine, a quarter of the
//! writer's time under load, with a core to spare. Instead the write connection runs with
//! `synchronous=NORMAL` (a commit writes its WAL frames and does not wait for the disk) and
//! this thread fsyncs the WAL after each commit, then answers that commit's callers,
//! publishes its changes and wakes its events. While it waits for the disk, the writer
//! already runs the next batch, whose transaction it keeps open until this thread says it is
//! free ([`Syncer::busy`]). One fsync covers every commit written before it began.
//!
//! What a reply means does not change: a caller is answered only after an fsync that began
//! after its commit's frames were written, so an acknowledged write survives a power cut as
//! with `synchronous=FULL`. SQLite's checkpoints still sync the WAL before copying it into the
//! database file, and that file after (NORMAL keeps both), so WAL frames are only ever
//! overwritten once their pages are durable in the database.
//!
//! What does change: other connections (a history read, the webhook dispatcher's poll) may
//! see a commit in the few milliseconds before its fsync ends. If the machine loses power in
//! that window the commit is gone, and its caller was never told it was stored.
//!
//! When an fsync fails, the kernel may already have dropped the pages it could not write, and
//! a later fsync can succeed without them (PostgreSQL's "fsyncgate"): nothing written since
//! the last good sync can be vouched for. So the callers waiting on it are told their write
//! failed (it may or may not have been stored), and the store refuses every later write
//! until it is restarted; reads go on.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use super::writer::{Committed, Outlet};

/// Makes everything written to the WAL so far durable. Boxed so that tests can make the disk
/// slow or failing.
pub(crate) type SyncWal = Box<dyn FnMut() -> std::io::Result<()> + Send>;

/// How many commits may wait for their fsync before the writer waits too.
const QUEUE: usize = 256;

/// `fdatasync` on the WAL file at `path` (SQLite's `<database>-wal`), opened now: a WAL that
/// cannot be opened fails start-up, not the first write. SQLite creates the file when the
/// connection enters WAL mode and deletes it only when the last connection closes (the
/// writer's is closed after this is dropped), so the descriptor stays on the live file. On
/// Linux an fsync flushes the file's dirty pages whichever descriptor wrote them.
pub(crate) fn wal_sync(path: &Path) -> std::io::Result<SyncWal> {
    let file = File::options().write(true).open(path)?;
    Ok(Box::new(move || file.sync_data()))
}

/// The writer's handle on the syncing thread. Dropping it syncs and answers what is queued,
/// then joins the thread.
pub(crate) struct Syncer {
    queue: Option<SyncSender<Committed>>,
    failed: Arc<AtomicBool>,
    /// Whether an fsync is under way or commits wait for one (see [`Syncer::busy`]).
    busy: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Syncer {
    /// Starts syncing with `sync`; synced commits leave through `outlet`. `on_idle` is called
    /// whenever the thread has answered everything handed to it and waits for more.
    pub(crate) fn start(
        mut sync: SyncWal,
        outlet: Outlet,
        on_idle: Box<dyn Fn() + Send>,
    ) -> std::io::Result<Self> {
        let (queue, commits) = sync_channel::<Committed>(QUEUE);
        let failed = Arc::new(AtomicBool::new(false));
        let busy = Arc::new(AtomicBool::new(false));
        let thread = {
            let failed = failed.clone();
            let busy = busy.clone();
            std::thread::Builder::new()
                .name("cloudlake-sync".into())
                .spawn(move || {
                    let mut next = commits.recv().ok();
                    while let Some(first) = next.take() {
                        let mut synced: Vec<Committed> = vec![first];
                        synced.extend(commits.try_iter());
                        let outcome = if failed.load(Ordering::Acquire) {
                            Err("an earlier fsync failed".to_owned())
                        } else {
                            sync().map_err(|e| e.to_string())
                        };
                        match outcome {
                            Ok(()) => synced.into_iter().for_each(|c| outlet.finish(c)),
                            Err(e) => {
                                if !failed.swap(true, Ordering::AcqRel) {
                                    tracing::error!(
                                        error = %e,
                                        "could not sync the write-ahead log to disk: writes are \
                                         refused until the server is restarted"
                                    );
                                }
                                let reason = format!(
                                    "the commit could not be synced to disk ({e}); \
                                     it may or may not have been stored"
                                );
                                synced.into_iter().for_each(|c| c.fail(&reason));
                            }
                        }
                        next = commits.try_recv().ok();
                        if next.is_none() {
                            // A commit handed over between the check and this store is synced
                            // in the next round all the same: the flag only tells the writer
                            // when committing again is worth it.
                            busy.store(false, Ordering::Release);
                            on_idle();
                            next = commits.recv().ok();
                        }
                    }
                })?
        };
        Ok(Syncer {
            queue: Some(queue),
            failed,
            busy,
            thread: Some(thread),
        })
    }

    /// Whether an fsync is under way or commits wait for one. The writer keeps a batch's
    /// transaction open meanwhile (see `writer::run`): a commit made now would only wait for
    /// the next fsync with the ones after it, and each commit writes the pages it changed
    /// to the WAL again.
    pub(crate) fn busy(&self) -> bool {
        self.busy.load(Ordering::Acquire)
    }

    /// Queues a commit to be answered once it is on disk. Blocks while [`QUEUE`] commits wait.
    pub(crate) fn finish(&self, committed: Committed) {
        self.busy.store(true, Ordering::Release);
        if let Some(queue) = &self.queue
            && let Err(unsent) = queue.send(committed)
        {
            // Only if the thread died: nothing more can be made durable, so stop writing too.
            if !self.failed.swap(true, Ordering::AcqRel) {
                tracing::error!("the syncing thread is gone: writes are refused");
            }
            unsent
                .0
                .fail("the syncing thread stopped; it may or may not have been stored");
        }
    }

    /// Whether an fsync has failed: from then on, no write can be vouched for.
    pub(crate) fn failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }
}

impl Drop for Syncer {
    fn drop(&mut self) {
        drop(self.queue.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::secret::TokenHash;
    use crate::store::NoSink;
    use crate::store::{DB_FILE, Durability, Store};

    /// The real thing, end to end: `durability full` opens the WAL beside the database, a
    /// write is answered after its fsync, and it is there after a restart.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_under_durability_full_is_synced_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (store, writer) = Store::open(dir.path(), Durability::Full, Arc::new(NoSink)).unwrap();
        store
            .create_user(Some("1000001".into()), "Ann".into(), TokenHash::of("t"))
            .await
            .unwrap();
        tokio::task::spawn_blocking(move || writer.join())
            .await
            .unwrap();
        drop(store);
        let (store, writer) = Store::open(dir.path(), Durability::Full, Arc::new(NoSink)).unwrap();
        let user = store.user("1000001".into()).await.unwrap().unwrap();
        assert_eq!(user.nickname, "Ann");
        tokio::task::spawn_blocking(move || writer.join())
            .await
            .unwrap();
    }

    #[test]
    fn a_wal_that_cannot_be_opened_fails_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join(format!("{DB_FILE}-wal"));
        let err = super::wal_sync(&missing).err().expect("no WAL file there");
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    }
}
