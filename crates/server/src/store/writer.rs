//! The single writer with group commit.
//!
//! SQLite allows one writer at a time, and a durable commit costs an fsync (~2–8k/s on this
//! kind of machine). So every write goes to one thread that owns the write connection: it
//! takes the first job from its queue, drains whatever else is already waiting, runs them all
//! in one transaction and commits once. Each caller is answered only after that commit is
//! durable — with `durability full` once the syncing thread has fsynced it (see
//! [`super::syncer`]), while the writer already runs the next batch — so the fsync is shared
//! by everyone in the batch. While that thread is busy, the next batch's transaction stays
//! open and takes the jobs that keep coming, and commits when the thread is free (or the batch
//! is full): a commit made sooner would wait for the same fsync anyway, and each commit writes
//! every page it changed to the WAL again. Measured under load (batch_send to one group, 64 in
//! flight), this turned ~3 commits per fsync into one and took 11–17% off the writer's CPU per
//! request (BENCHMARKS.md, issue 19).
//!
//! Jobs do not get a savepoint each. A savepoint makes SQLite copy every page a job touches
//! into a sub-journal, and every job touches the same hot pages (index right edges, the chats
//! table): profiling showed that copying at ~40% of the writer's time. Instead the writer
//! watches SQLite's change counter. A job that fails having changed nothing (every refusal in
//! this code checks before it writes) just reports its error. A job that fails after writing
//! (a genuine SQL error, e.g. a full disk) aborts the whole batch: it is rolled back and every
//! caller in it is told the write failed — nothing half-written is ever committed.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, mpsc, oneshot};

use super::batch_memo::BatchMemo;
use super::db::{Answer, Connection, DbError, PgArg, Piped, PipedParam};
use super::messages::HeldMessage;
use super::numbers::{Numbers, Shift};
use super::outbox::Wake;
use super::record::Record;
use super::sink::{Commit, CommitSink};
use super::syncer::{SyncWal, Syncer};
use super::tx::{AfterLock, Tx};
use super::{Connect, StoreError};

/// The most jobs in one transaction: large enough to amortise the fsync, small enough that
/// a batch does not hold the first caller for long.
const MAX_BATCH: usize = 512;

/// How many writes may wait for the writer before callers wait to enqueue (backpressure).
const QUEUE_DEPTH: usize = 8192;

/// What a job hands back after it ran: a function to call with the commit's outcome.
type Completion = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
/// A write: runs inside the batch's transaction, leaving its records in the context, and says
/// whether it succeeded and how to answer its caller once the commit is known.
type Job = Box<dyn FnOnce(&mut Tx<'_>) -> (bool, Completion) + Send>;

/// What the writer's queue carries.
enum Msg {
    /// A write to run, and whether its numbers may be settled after it ran (see
    /// [`Writer::write_tx_numbered_later`]).
    Job(Job, bool),
    /// Stop taking writes: commit everything already queued, then stop. Writes sent after
    /// this are refused (`WriteAborted`), so a request still running when shutdown's grace
    /// period ends cannot keep the writer (and the process) alive.
    Close,
    /// The syncing thread has answered every commit handed to it: a batch kept open for it
    /// is committed now (see [`run`]).
    SyncIdle,
}

/// The sending side of the writer's queue. Cloning it is cheap.
#[derive(Clone)]
pub(crate) struct Writer {
    queue: mpsc::Sender<Msg>,
}

/// Tells the writer to finish what is queued and stop (see [`Msg::Close`]).
pub(crate) struct Closer(mpsc::Sender<Msg>);

impl Closer {
    /// Asks the writer to stop once the queue is drained. Blocks while the queue is full.
    /// (Not `blocking_send`: that panics when called on an async runtime's thread.)
    pub(crate) fn close(&self) {
        loop {
            match self.0.try_send(Msg::Close) {
                Err(mpsc::error::TrySendError::Full(_)) => {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                // Sent, or the writer has already stopped: nothing left to close.
                Ok(()) | Err(mpsc::error::TrySendError::Closed(_)) => return,
            }
        }
    }
}

impl Writer {
    /// Starts the writer thread on `conn`; committed records go to `sink`, and `events` hears
    /// after each commit that made events deliverable (see `outbox::wake_bot`). With `sync`
    /// (SQLite with `durability full`, the connection at `synchronous=NORMAL`), commits are
    /// answered only once `sync` has made them durable, on a thread of its own (see
    /// [`super::syncer`]).
    pub(crate) fn start(
        conn: Connection,
        reconnect: Option<Connect>,
        sink: Arc<dyn CommitSink>,
        events: broadcast::Sender<Arc<Wake>>,
        sync: Option<SyncWal>,
    ) -> Result<(Writer, Closer, JoinHandle<()>), StoreError> {
        let (queue, jobs) = mpsc::channel(QUEUE_DEPTH);
        let outlet = Outlet { sink, events };
        let finish = match sync {
            Some(sync) => {
                // Weak: the syncer must not keep the queue open once every writer is gone.
                let writer = queue.downgrade();
                let on_idle = Box::new(move || {
                    // A full queue needs no nudge: the writer is busy taking jobs, and sees
                    // the syncer idle after them.
                    if let Some(writer) = writer.upgrade() {
                        let _ = writer.try_send(Msg::SyncIdle);
                    }
                });
                Finish::AfterSync(Syncer::start(sync, outlet, on_idle)?)
            }
            None => Finish::Now(outlet),
        };
        let thread = std::thread::Builder::new()
            .name("cloudlake-writer".into())
            .spawn(move || run(conn, reconnect, jobs, finish))?;
        Ok((
            Writer {
                queue: queue.clone(),
            },
            Closer(queue),
            thread,
        ))
    }

    /// Runs `f` in the writer's next transaction and returns its result once that transaction
    /// has committed. If `f` fails, its changes are rolled back and the error returned; the
    /// other writes of the batch are unaffected. For a job that needs only the connection; see
    /// [`Writer::write_tx`].
    pub(crate) async fn write<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        self.write_tx(move |tx| f(tx.conn())).await
    }

    /// Like [`Writer::write`], with the whole transaction context: `f` may leave records (handed
    /// to the commit sink once the commit is durable, in commit order, possibly just after the
    /// caller is answered), wake deliverers and take cursors. If `f` fails, or the commit does,
    /// none of that leaves the writer.
    pub(crate) async fn write_tx<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Tx<'_>) -> Result<R, StoreError> + Send + 'static,
    {
        self.queue_job(f, false).await
    }

    /// Like [`Writer::write_tx`], for a job whose writes all go through
    /// [`Tx::hold_message`] and [`Tx::write_after_lock`] (none may take a row lock before the
    /// cluster's: another node's batch holding that lock could be waiting on the row), whose
    /// result and statements depend on none of them, and which leaves no record but new
    /// messages' (a bot's send). On PostgreSQL such jobs may run before the batch takes the
    /// cluster's write lock, with provisional numbers: the lock is then held only from the
    /// numbers' settling to the `COMMIT` (see [`CLUSTER_WRITE_LOCK`]).
    pub(crate) async fn write_tx_numbered_later<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Tx<'_>) -> Result<R, StoreError> + Send + 'static,
    {
        self.queue_job(f, true).await
    }

    /// Queues `f` as a job (see [`Msg::Job`]) and waits for its outcome.
    async fn queue_job<R, F>(&self, f: F, numbers_later: bool) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Tx<'_>) -> Result<R, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |tx| {
            let result = f(tx);
            let ok = result.is_ok();
            let complete: Completion = Box::new(move |commit| {
                // The caller may have gone away (client disconnected); the write stands.
                let _ = reply.send(commit.and(result));
            });
            (ok, complete)
        });
        self.queue
            .send(Msg::Job(job, numbers_later))
            .await
            .map_err(|_| StoreError::WriteAborted)?;
        answer.await.map_err(|_| StoreError::WriteAborted)?
    }
}

/// A committed batch on its way out: its callers to answer, and what it changed for the sink
/// (nothing if the commit failed).
pub(crate) struct Committed {
    /// Each job's completion, and whether the job succeeded (a failed job's own error is
    /// already inside its completion).
    done: Vec<(Completion, bool)>,
    /// The commit's outcome: why it failed, if it did.
    commit: Result<(), String>,
    changed: Commit,
}

impl Committed {
    /// Answers the callers whose writes committed with `reason` instead: the commit cannot
    /// be vouched for (see [`super::syncer`]). A job that failed on its own keeps its own
    /// error. Nothing is published.
    pub(crate) fn fail(self, reason: &str) {
        crate::metrics::metrics().write_failures.inc();
        answer(self.done, &Err(reason.to_owned()));
    }
}

/// Answers each caller of a batch: a job that succeeded gets the commit's outcome, a job that
/// failed its own error (already inside its completion).
fn answer(done: Vec<(Completion, bool)>, commit: &Result<(), String>) {
    for (complete, ok) in done {
        complete(match (commit, ok) {
            (Ok(()), _) | (Err(_), false) => Ok(()),
            (Err(reason), true) => Err(StoreError::CommitFailed(reason.clone())),
        });
    }
}

/// Where committed batches leave the writer: the commit sink, this node's deliverers, the
/// callers.
pub(crate) struct Outlet {
    sink: Arc<dyn CommitSink>,
    events: broadcast::Sender<Arc<Wake>>,
}

impl Outlet {
    /// Hands a committed batch to the sink, wakes its events and answers its callers.
    pub(crate) fn finish(&self, committed: Committed) {
        let Committed {
            done,
            commit,
            changed,
        } = committed;
        let wake = changed.wake.clone();
        if !changed.is_empty() {
            // The wake-up goes to the sink too, for the other nodes' deliverers. A panic in a
            // sink must not stop the writer, nor leave this batch's callers unanswered.
            let sink = AssertUnwindSafe(|| self.sink.committed(changed));
            if catch_unwind(sink).is_err() {
                tracing::error!("the commit sink panicked on a batch");
            }
        }
        if let Some(wake) = wake {
            // Never blocks; with no deliverer listening the wake-up is simply dropped.
            let _ = self.events.send(wake);
        }
        answer(done, &commit);
    }
}

/// When a commit is answered: at once (the commit itself was durable, or `durability normal`
/// asked for no more), or once the syncing thread has made it durable.
enum Finish {
    Now(Outlet),
    AfterSync(Syncer),
}

/// The advisory lock every node's writer holds while its batch takes numbers and commits: one
/// writer at a time across the cluster. That keeps what SQLite's single writer gave for free:
/// per-chat sequence numbers gap-free and ordered, chat log cursors increasing in commit
/// order, and no deadlocks between nodes' batches. A transaction's lock
/// (`pg_advisory_xact_lock`): PostgreSQL releases it with the transaction, after the commit is
/// visible, so the next node's batch reads what this one wrote, and no round trip is spent
/// on releasing it. Publishing the commit comes after: the bus puts the nodes' commits back in
/// order by their numbers (`bus::order`). (The key is arbitrary; it only has to be the same on
/// every node: "clou" in ASCII.)
///
/// While other nodes write too, it is taken late: a batch begins without it, and the jobs
/// that may leave their numbers provisional (a bot's sends: [`Writer::write_tx_numbered_later`])
/// run first, counting on from what the writer remembers and holding their rows back. The
/// lock is taken before the first other job ([`Batch::lock`]: in the same round trip the
/// numbers the cluster has committed are read, and the held rows and records are moved past
/// them, [`Numbers::settle`]), or, for a batch of sends only, at the end, in the one round
/// trip that also numbers and inserts the rows and commits ([`Batch::commit_sends`]). Under a
/// load of sends the lock then covers the database's own work on the insert and the
/// `COMMIT`, and no network round trip (measured: BENCHMARKS.md, issue 18). What a send read
/// before the lock (may the bot reach that group?) is what the cluster had committed when the
/// batch began: a send and a removal that race land in either order. Late costs the database
/// more work per batch (what the writer remembers read again, the rows' numbers settled),
/// which a node writing alone does not win back: it takes the lock with its `BEGIN` once it
/// has seen no other node's commit for a second ([`Numbers::lock_early`]).
const CLUSTER_WRITE_LOCK: i64 = 0x636c_6f75;

/// The number of the cluster's last commit (PostgreSQL; see [`commit_transaction`]).
const LAST_COMMIT: &str = "SELECT last FROM cluster_commits WHERE id = 1";

/// Takes the cluster's next commit number (see [`commit_transaction`]).
const NEXT_COMMIT: &str = "UPDATE cluster_commits SET last = last + 1 WHERE id = 1 RETURNING last";

/// Opens a batch's transaction; on PostgreSQL, takes the cluster's write lock with it or
/// starts provisional numbering to take it later (see [`Numbers::lock_early`] and
/// [`Batch::lock`]), and if another node has committed since this writer's last batch, first
/// reads again what it remembers (its numbers, the memo of lookups).
fn begin(conn: &Connection, numbers: &mut Numbers, memo: &mut BatchMemo) -> Result<(), StoreError> {
    if !conn.is_postgres() {
        memo.keep_bounded();
        return Ok(conn.execute_cached("BEGIN IMMEDIATE")?);
    }
    let early = numbers.lock_early();
    // One round trip for all. The read comes after the lock all the same (each statement of
    // the batch reads with a snapshot of its own): a snapshot taken before it could miss the
    // commit of the node that held it last.
    let read = if early {
        conn.pipeline(&[
            Piped::run("BEGIN", Vec::new()),
            take_the_lock(),
            Piped::read(LAST_COMMIT, Vec::new()),
        ])
        .map_err(StoreError::from)
        .and_then(|answers| {
            let last = commit_number(answers.into_iter().next())?;
            numbers.note_contention(last);
            Ok((last, None))
        })
    } else {
        // Taken late because another node was seen writing: it has most likely written
        // since, so what this writer remembers is read again in this round trip rather than
        // the next, prepared and pipelined behind the `BEGIN`.
        let lists = numbers.catch_up_lists(memo)?;
        let mut statements = vec![
            Piped::run("BEGIN", Vec::new()),
            Piped::read(LAST_COMMIT, Vec::new()),
        ];
        statements.extend(lists.as_ref().map(Numbers::catch_up_piped));
        conn.pipeline(&statements)
            .map_err(StoreError::from)
            .and_then(|answers| {
                let mut answers = answers.into_iter();
                let last = commit_number(answers.next())?;
                Ok((last, answers.next()))
            })
    };
    read.and_then(|(last, reload)| match reload {
        Some(reload) => numbers.catch_up_with(last, &reload, memo),
        None => numbers.catch_up(conn, last, memo),
    })
    .map(|()| numbers.start_batch(!early))
    .inspect_err(|_| {
        // Ends the transaction, and with it any lock (or the connection is gone, and both
        // with it), and the failure with them.
        let _ = conn.execute_batch("ROLLBACK");
        let _ = conn.take_failed();
    })
}

fn run(
    mut conn: Connection,
    reconnect: Option<Connect>,
    mut jobs: mpsc::Receiver<Msg>,
    finish: Finish,
) {
    let mut taken: Vec<(Job, bool)> = Vec::with_capacity(MAX_BATCH);
    let mut numbers = Numbers::default();
    // Kept from batch to batch while no other node writes in between (see `begin`).
    let mut memo = BatchMemo::default();
    // The batch whose transaction is open. With `durability full` it stays open, taking more
    // jobs, while the syncing thread is busy: committing then would only have it wait for the
    // next fsync with whatever comes after, and every commit writes the pages it changed to
    // the WAL again (under load, ~3 commits per fsync, each rewriting the same hot pages).
    let mut open: Option<Batch> = None;
    // Ends when the queue is closed (by `Closer`, or by every sender being dropped) and
    // empty, so queued writes finish.
    while let Some(first) = jobs.blocking_recv() {
        let room = MAX_BATCH.saturating_sub(open.as_ref().map_or(0, |batch| batch.jobs));
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Job(job, numbers_later) => taken.push((job, numbers_later)),
                Msg::Close => jobs.close(),
                Msg::SyncIdle => {}
            }
            if taken.len() < room {
                next = jobs.try_recv().ok();
            }
        }
        if !taken.is_empty() {
            if open.is_none() {
                let beginning = Instant::now();
                open = Batch::open(
                    &mut conn,
                    reconnect.as_ref(),
                    &finish,
                    &mut numbers,
                    &mut memo,
                );
                if let Some(batch) = &mut open {
                    batch.spent.begin = beginning.elapsed();
                }
            }
            match &mut open {
                Some(batch) => {
                    let running = Instant::now();
                    batch.run(&conn, &mut numbers, &mut memo, taken.drain(..));
                    batch.spent.jobs += running.elapsed();
                }
                // Dropping the jobs tells their callers `WriteAborted`; why was logged.
                None => taken.clear(),
            }
        }
        let commit_now = open.as_ref().is_some_and(|batch| match &finish {
            // On PostgreSQL, the jobs that came while the batch's first round trip (BEGIN,
            // the lock) was on the wire join it before it commits, rather than wait for the
            // next batch and its round trips. (Not on SQLite, where BEGIN costs no wait.)
            Finish::Now(_) => {
                !conn.is_postgres()
                    || jobs.is_empty()
                    || jobs.is_closed()
                    || batch.jobs >= MAX_BATCH
                    || batch.aborted
            }
            Finish::AfterSync(syncer) => {
                !syncer.busy() || batch.jobs >= MAX_BATCH || batch.aborted || jobs.is_closed()
            }
        });
        if commit_now && let Some(batch) = open.take() {
            close_and_hand_on(&finish, batch, &conn, &mut numbers, &mut memo);
        }
    }
    if let Some(batch) = open.take() {
        close_and_hand_on(&finish, batch, &conn, &mut numbers, &mut memo);
    }
    // Answer everything still waiting for its fsync before the connection closes: closing the
    // last connection checkpoints the WAL and deletes it.
    drop(finish);
    drop(conn);
}

/// [`begin`], first replacing a connection known to be broken (PostgreSQL). A batch whose
/// connection cannot be replaced fails at BEGIN, and its callers are told.
fn begin_connected(
    conn: &mut Connection,
    reconnect: Option<&Connect>,
    numbers: &mut Numbers,
    memo: &mut BatchMemo,
) -> Result<(), StoreError> {
    if conn.is_broken()
        && let Some(connect) = reconnect
    {
        match connect() {
            Ok(fresh) => *conn = fresh,
            Err(e) => {
                tracing::error!(error = %e, "the database connection broke; could not reconnect")
            }
        }
    }
    begin(conn, numbers, memo)
}

/// Hands a closed batch on: to its callers and the sink now, or once synced.
fn commit(finish: &Finish, committed: Committed) {
    match finish {
        Finish::Now(outlet) => outlet.finish(committed),
        Finish::AfterSync(syncer) => syncer.finish(committed),
    }
}

/// A batch whose transaction is open: what its jobs have left so far.
struct Batch {
    done: Vec<(Completion, bool)>,
    records: Vec<Record>,
    wake: Wake,
    stored: u64,
    /// How many jobs it has taken.
    jobs: usize,
    /// A job failed after writing: the batch takes no more jobs and is rolled back.
    aborted: bool,
    /// Its jobs' new messages waiting for the numbers to be settled (see
    /// [`Tx::hold_message`]).
    held: Vec<HeldMessage>,
    /// Its jobs' writes waiting for the lock (see [`Tx::write_after_lock`]).
    after_lock: Vec<AfterLock>,
    /// The connection's change counter at `BEGIN`.
    start: u64,
    /// The writer's time on it so far.
    spent: Spent,
}

/// The writer's time on one batch, by phase (`cloudlake_writer_phase_seconds`).
#[derive(Clone, Copy, Default)]
struct Spent {
    begin: Duration,
    jobs: Duration,
}

/// Closes `batch` and hands it on (see [`commit`]), and records the writer's time on it.
fn close_and_hand_on(
    finish: &Finish,
    batch: Batch,
    conn: &Connection,
    numbers: &mut Numbers,
    memo: &mut BatchMemo,
) {
    let spent = batch.spent;
    let closing = Instant::now();
    let closed = batch.close(conn, numbers, memo);
    let publishing = Instant::now();
    commit(finish, closed);
    let phases = &crate::metrics::metrics().writer_phase_seconds;
    let times = [
        spent.begin,
        spent.jobs,
        publishing - closing,
        publishing.elapsed(),
    ];
    for (phase, time) in crate::metrics::WRITER_PHASES.into_iter().zip(times) {
        phases
            .get_or_create(&crate::metrics::PhaseLabels { phase })
            .observe(time.as_secs_f64());
    }
}

impl Batch {
    /// Opens a batch's transaction (see [`begin`]), first reconnecting a broken connection,
    /// and once more if BEGIN finds the connection dead; `None`, logged, if it cannot or if
    /// the syncing thread has failed.
    fn open(
        conn: &mut Connection,
        reconnect: Option<&Connect>,
        finish: &Finish,
        numbers: &mut Numbers,
        memo: &mut BatchMemo,
    ) -> Option<Batch> {
        if let Finish::AfterSync(syncer) = finish
            && syncer.failed()
        {
            // The syncer logged why.
            return None;
        }
        let mut began = begin_connected(conn, reconnect, numbers, memo);
        if began.is_err() && conn.is_broken() && reconnect.is_some() {
            // The connection died unnoticed (the database restarted, say) and BEGIN is what
            // found out: nothing ran yet, so the batch begins again on a fresh one rather than
            // failing its callers.
            began = begin_connected(conn, reconnect, numbers, memo);
        }
        if let Err(e) = began {
            // Nothing runs. Dropping a job drops its reply channel, which its caller sees as
            // `WriteAborted`; the cause is logged here, once for the batch.
            tracing::error!(error = %e, "could not begin a write transaction");
            crate::metrics::metrics().write_failures.inc();
            return None;
        }
        Some(Batch {
            done: Vec::new(),
            records: Vec::new(),
            wake: Wake::default(),
            stored: 0,
            jobs: 0,
            aborted: false,
            held: Vec::new(),
            after_lock: Vec::new(),
            start: conn.changes(),
            spent: Spent::default(),
        })
    }

    /// Runs `jobs` in the batch's transaction, in order. Once one fails after writing, the
    /// rest are dropped (their callers see `WriteAborted`) and the batch is to be closed.
    fn run(
        &mut self,
        conn: &Connection,
        numbers: &mut Numbers,
        memo: &mut BatchMemo,
        jobs: impl Iterator<Item = (Job, bool)>,
    ) {
        for (job, numbers_later) in jobs {
            if !numbers_later
                && !self.aborted
                && let Err(e) = self.lock(conn, numbers, memo, true)
            {
                tracing::error!(error = %e, "could not take the cluster's write lock");
                self.aborted = true;
            }
            if self.aborted {
                // Jobs not yet run are dropped with the rest of the iterator.
                break;
            }
            self.jobs += 1;
            let before = conn.changes();
            let executed_before = conn.executed_changes();
            // A job is our own code, but a panic in one must not take down the writer and
            // every write queued behind it: catch it, and treat it like a failed job (its
            // reply channel is dropped: its caller sees `WriteAborted`, reported as an
            // internal error).
            let mut tx = Tx::new(conn, numbers, memo);
            let outcome = catch_unwind(AssertUnwindSafe(|| job(&mut tx)));
            let wrote = conn.changes() != before;
            // A statement of its own that wrote may have changed what the memo holds.
            let memo_stale = conn.executed_changes() != executed_before;
            // On PostgreSQL a failed statement spoils the whole transaction, even in a job
            // that went on to succeed: its COMMIT would quietly roll back, so the batch is
            // aborted now.
            self.aborted |= conn.take_failed();
            match outcome {
                Ok((true, complete)) => {
                    self.records.append(&mut tx.records);
                    self.held.append(&mut tx.held);
                    self.after_lock.append(&mut tx.after_lock);
                    for bot in &tx.wake.bots {
                        if !self.wake.concerns(bot) {
                            self.wake.bots.push(bot.clone());
                        }
                    }
                    self.wake.dispatcher |= tx.wake.dispatcher;
                    self.stored += tx.stored;
                    self.done.push((complete, true));
                }
                Ok((false, complete)) => {
                    self.done.push((complete, false));
                    self.aborted |= wrote;
                }
                Err(_) => {
                    tracing::error!("a write job panicked");
                    self.aborted |= wrote;
                }
            }
            drop(tx);
            if memo_stale {
                memo.clear();
            }
        }
    }

    /// Takes the cluster's write lock (PostgreSQL; once a batch), and settles the numbers the
    /// batch handed out before it: in one round trip with the lock, reads the cluster's last
    /// commit number and the numbers committed since (see [`Numbers::settle_reads`]), then
    /// moves the held rows (now sent with the batch's other rows) and the records past them.
    /// Nothing to do if the batch holds the lock already (its numbers are not provisional; on
    /// SQLite never). If other nodes committed while the batch ran unlocked and `more_jobs`
    /// will run, what the writer remembers is then read again (as at `begin`).
    fn lock(
        &mut self,
        conn: &Connection,
        numbers: &mut Numbers,
        memo: &mut BatchMemo,
        more_jobs: bool,
    ) -> Result<(), StoreError> {
        if !numbers.is_provisional() {
            return Ok(());
        }
        let statements = lock_and_settle_reads(numbers);
        let answers = conn.pipeline(&statements)?;
        drop(statements);
        let (last, shift) = settle_under_the_lock(numbers, answers.into_iter())?;
        for record in &mut self.records {
            shift.record(record);
        }
        for message in self.held.drain(..) {
            message.insert(conn, &shift)?;
        }
        for write in self.after_lock.drain(..) {
            write(conn)?;
        }
        if more_jobs {
            numbers.catch_up(conn, last, memo)?;
        }
        Ok(())
    }

    /// Commits a batch of sends that ran before the lock (PostgreSQL, while other nodes
    /// write) in one round trip, statements pipelined: takes the lock, reads what
    /// [`Numbers::settle`] needs, inserts the held rows numbered by the same reads
    /// ([`HeldMessage::settled_insert`]), takes the commit's number and commits: the lock is
    /// held for no network round trip. Taking the lock and settling, inserting, and
    /// committing one after the other cost three round trips, two of them with the lock held,
    /// during which no other node could commit (measured: BENCHMARKS.md, issue 18, "a batch of
    /// sends in one round trip"); one simple query instead cost the rows spelled out in its
    /// text, written by the node and lexed by the server ("pipelined"). Returns the commit's
    /// number; an error means nothing was committed.
    fn commit_sends(
        &mut self,
        conn: &Connection,
        numbers: &mut Numbers,
    ) -> Result<Option<i64>, DbError> {
        let mut statements = lock_and_settle_reads(numbers);
        statements.push(HeldMessage::settled_insert(&self.held, numbers));
        statements.push(Piped::read(NEXT_COMMIT, Vec::new()));
        statements.push(Piped::run("COMMIT", Vec::new()));
        // Any statement that failed failed the transaction, and the COMMIT after it rolled it
        // back: an error here means nothing was committed.
        let mut answers = conn.pipeline(&statements)?;
        drop(statements);
        self.held.clear();
        // Committed by now, whatever the answers say (as in `commit_transaction`): numbers
        // that cannot be read must not tell the callers that their writes were lost.
        // `answers`: those of `lock_and_settle_reads`, then the commit's number.
        let number = commit_number(answers.pop()).ok();
        match settle_under_the_lock(numbers, answers.into_iter()) {
            Ok((_, shift)) => {
                for record in &mut self.records {
                    shift.record(record);
                }
            }
            Err(e) => {
                // Their numbers unknown, the records would tell live sessions wrong cursors:
                // none are published (a session resumes from its cursor and reads them), and
                // the next batch reads every number again.
                tracing::error!(error = %e, "a batch's numbers could not be read after its commit");
                self.records.clear();
                numbers.forget();
            }
        }
        if number.is_none() {
            tracing::error!("a commit's number could not be read");
        }
        Ok(number)
    }

    /// Commits the batch (or rolls it back if it was aborted). What it leaves has nothing for
    /// the sink if the commit failed.
    fn close(
        mut self,
        conn: &Connection,
        numbers: &mut Numbers,
        memo: &mut BatchMemo,
    ) -> Committed {
        let wrote = conn.changes() != self.start
            || !self.records.is_empty()
            || !self.wake.is_empty()
            || !self.held.is_empty()
            || !self.after_lock.is_empty();
        // Sends alone, before the lock: committed in one round trip (held rows are a write).
        let sends_only = !self.aborted
            && numbers.is_provisional()
            && !self.held.is_empty()
            && self.after_lock.is_empty();
        if wrote
            && !self.aborted
            && !sends_only
            && let Err(e) = self.lock(conn, numbers, memo, false)
        {
            tracing::error!(error = %e, "could not take the cluster's write lock");
            self.aborted = true;
        }
        let committed = if self.aborted {
            None
        } else if sends_only {
            Some(self.commit_sends(conn, numbers))
        } else {
            Some(commit_transaction(conn, wrote))
        };
        let Batch {
            done,
            records,
            wake,
            stored,
            ..
        } = self;
        let (commit, number) = match committed {
            Some(Ok(number)) => (Ok(()), number),
            Some(Err(e)) => {
                tracing::error!(error = %e, "commit failed; the batch is lost and its callers told so");
                // SQLite may leave the transaction open after a failed COMMIT (a full
                // disk); on PostgreSQL a failed numbering leaves it open too.
                let _ = conn.execute_batch("ROLLBACK");
                (Err(e.to_string()), None)
            }
            None => {
                tracing::error!(
                    "a write failed after changing data: the whole batch is rolled back"
                );
                let _ = conn.execute_batch("ROLLBACK");
                (
                    Err("a write in the same batch failed; nothing was stored".to_owned()),
                    None,
                )
            }
        };
        // The transaction is over: a statement that failed in it (PostgreSQL) spoils nothing
        // after it.
        let _ = conn.take_failed();
        let metrics = crate::metrics::metrics();
        if commit.is_err() {
            // Sequence numbers and cursors handed out in this batch were never stored.
            numbers.forget();
            memo.clear();
            metrics.write_failures.inc();
            return Committed {
                done,
                commit,
                changed: Commit::default(),
            };
        }
        if let Some(number) = number {
            numbers.committed_as(number);
        }
        metrics.messages_stored.inc_by(stored);
        let wake = (!wake.is_empty()).then(|| Arc::new(wake));
        Committed {
            done,
            commit,
            changed: Commit {
                records,
                wake,
                number,
            },
        }
    }
}

/// Commits the open transaction. On PostgreSQL a batch that wrote anything first takes the
/// cluster's next commit number (see [`Commit::number`]), in the same round trip: numbered
/// last, under the cluster-wide write lock, so that a rolled-back batch gives its number back
/// and committed batches' numbers have no gaps; and every such commit is announced with it,
/// so another node's writer that sees the number unchanged knows that nothing it remembers
/// has changed (`begin`). Returns that number. An error means that nothing was committed.
fn commit_transaction(conn: &Connection, wrote: bool) -> Result<Option<i64>, DbError> {
    if !(conn.is_postgres() && wrote) {
        return conn.execute_cached("COMMIT").map(|()| None);
    }
    // Pipelined: the rows still held back go in the same round trip, ahead of both.
    let mut answers = conn.pipeline(&[
        Piped::read(NEXT_COMMIT, Vec::new()),
        Piped::run("COMMIT", Vec::new()),
    ])?;
    // Committed by now, whatever the answer says: a number that cannot be read must not tell
    // the callers that their writes were lost. Unnumbered, the commit is still published,
    // and this writer's next batch sees a number it does not know and reads everything again.
    Ok(commit_number(answers.pop())
        .inspect_err(|e| tracing::error!(error = %e, "a commit's number could not be read"))
        .ok())
}

/// The commit number a [`Connection::pipeline`] read (`answer`: the rows of
/// [`LAST_COMMIT`] or [`NEXT_COMMIT`]).
fn commit_number(answer: Option<Answer>) -> Result<i64, StoreError> {
    match answer
        .map(|answer| answer.column::<i64>())
        .transpose()?
        .as_deref()
    {
        Some(&[number]) => Ok(number),
        _ => Err(StoreError::Internal("no commit number was read".into())),
    }
}

/// Takes the cluster's write lock, as a statement of a pipeline.
fn take_the_lock() -> Piped<'static> {
    Piped::run(
        "SELECT pg_advisory_xact_lock($1)",
        vec![PipedParam::One(PgArg::Int(CLUSTER_WRITE_LOCK))],
    )
}

/// The statements that take the cluster's write lock and read what [`Numbers::settle`] needs:
/// the last commit's number, then [`Numbers::settle_reads`]. The reads come after the lock
/// all the same (each statement reads with a snapshot of its own, taken as it starts): one
/// taken before it could miss the commit of the node that held it last.
fn lock_and_settle_reads(numbers: &Numbers) -> Vec<Piped<'_>> {
    let mut statements = vec![take_the_lock(), Piped::read(LAST_COMMIT, Vec::new())];
    statements.extend(numbers.settle_reads());
    statements
}

/// Settles the batch's numbers from the answers of [`lock_and_settle_reads`], and no others:
/// the cluster's last commit number, and how far the batch's numbers move.
fn settle_under_the_lock(
    numbers: &mut Numbers,
    mut answers: impl Iterator<Item = Answer>,
) -> Result<(i64, Shift), StoreError> {
    let last = commit_number(answers.next())?;
    numbers.note_contention(last);
    let mut values = Vec::new();
    for answer in answers {
        values.extend(answer.column::<i64>()?);
    }
    Ok((last, numbers.settle(&values)?))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::NoSink;

    type TestJob = Box<dyn FnOnce(&Connection) -> Result<(), StoreError> + Send>;

    /// A writer on `conn`, publishing nowhere, its commits synced by `sync` if given.
    fn start_syncing(conn: Connection, sync: Option<SyncWal>) -> Writer {
        let (writer, _closer, _thread) = Writer::start(
            conn,
            None,
            Arc::new(NoSink),
            tokio::sync::broadcast::channel(16).0,
            sync,
        )
        .unwrap();
        writer
    }

    /// A writer on `conn`, publishing nowhere.
    fn start(conn: Connection) -> Writer {
        start_syncing(conn, None)
    }

    /// A fresh SQLite database with one table `t`, as the store opens it (WAL).
    fn sqlite(dir: &tempfile::TempDir) -> Connection {
        let conn = rusqlite::Connection::open(dir.path().join("w.db")).unwrap();
        conn.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t (v TEXT NOT NULL UNIQUE);")
            .unwrap();
        Connection::sqlite(conn)
    }

    fn writer() -> (Writer, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let writer = start(sqlite(&dir));
        (writer, dir)
    }

    fn insert(
        v: &'static str,
    ) -> impl FnOnce(&Connection) -> Result<(), StoreError> + Send + 'static {
        move |conn| {
            conn.prepare_cached("INSERT INTO t (v) VALUES (?1)")?
                .execute([v])?;
            Ok(())
        }
    }

    async fn count(writer: &Writer) -> i64 {
        writer
            .write(|conn| {
                Ok(conn
                    .prepare_cached("SELECT COUNT(*) FROM t")?
                    .query_row([], |r| r.get(0))?)
            })
            .await
            .unwrap()
    }

    /// Runs `jobs` in one batch: they queue up behind a job that holds the writer (and on
    /// PostgreSQL join that job's batch: its outcome is theirs, and not checked here).
    async fn in_one_batch<F>(writer: &Writer, jobs: Vec<F>) -> Vec<Result<(), StoreError>>
    where
        F: FnOnce(&Connection) -> Result<(), StoreError> + Send + 'static,
    {
        let blocker = {
            let writer = writer.clone();
            tokio::spawn(async move {
                writer
                    .write(|_| {
                        std::thread::sleep(Duration::from_millis(200));
                        Ok(())
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let handles: Vec<_> = jobs
            .into_iter()
            .map(|job| {
                let writer = writer.clone();
                tokio::spawn(async move { writer.write(job).await })
            })
            .collect();
        let _ = blocker.await.unwrap();
        let mut results = Vec::new();
        for h in handles {
            results.push(h.await.unwrap());
        }
        results
    }

    #[tokio::test]
    async fn a_refusal_before_writing_does_not_disturb_its_batch() {
        let (writer, _dir) = writer();
        let refuse: TestJob = Box::new(|_| Err(StoreError::not_found("thing", "x")));
        let jobs: Vec<TestJob> = vec![Box::new(insert("a")), refuse, Box::new(insert("b"))];
        let results = in_one_batch(&writer, jobs).await;
        assert!(results[0].is_ok());
        assert!(matches!(results[1], Err(StoreError::NotFound { .. })));
        assert!(results[2].is_ok());
        assert_eq!(count(&writer).await, 2);
    }

    #[tokio::test]
    async fn a_failure_after_writing_aborts_the_whole_batch() {
        let (writer, _dir) = writer();
        writer.write(insert("dup")).await.unwrap();
        let half_written: TestJob = Box::new(|conn| {
            conn.execute_batch("INSERT INTO t (v) VALUES ('half')")?;
            conn.execute_batch("INSERT INTO t (v) VALUES ('dup')")?; // UNIQUE violation
            Ok(())
        });
        let results = in_one_batch(
            &writer,
            vec![
                Box::new(insert("a")) as TestJob,
                half_written,
                Box::new(insert("c")),
            ],
        )
        .await;
        assert!(
            results[0].is_err(),
            "a batch-mate of the failure is told its write failed"
        );
        assert!(results[1].is_err());
        assert!(results[2].is_err(), "a job after the failure is not run");
        assert_eq!(count(&writer).await, 1, "nothing of the batch was stored");
        // The writer carries on.
        writer.write(insert("later")).await.unwrap();
        assert_eq!(count(&writer).await, 2);
    }

    /// A syncing writer on a fresh database whose first fsync takes until the test sends on
    /// the returned channel; and a write of "a" whose commit is in that held fsync.
    async fn writer_with_a_held_fsync() -> (
        Writer,
        tempfile::TempDir,
        std::sync::mpsc::Sender<()>,
        tokio::task::JoinHandle<Result<(), StoreError>>,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (started, syncing) = std::sync::mpsc::channel::<()>();
        let (release, held) = std::sync::mpsc::channel::<()>();
        let mut first = true;
        let sync: SyncWal = Box::new(move || {
            if std::mem::take(&mut first) {
                started.send(()).unwrap();
                held.recv().unwrap();
            }
            Ok(())
        });
        let writer = start_syncing(sqlite(&dir), Some(sync));
        let a = tokio::spawn({
            let writer = writer.clone();
            async move { writer.write(insert("a")).await }
        });
        // "a" is committed and its fsync has begun (and is held).
        tokio::task::spawn_blocking(move || syncing.recv().unwrap())
            .await
            .unwrap();
        (writer, dir, release, a)
    }

    #[tokio::test]
    async fn a_commit_is_answered_once_synced_and_the_writer_goes_on_meanwhile() {
        let (writer, _dir, release, waiting) = writer_with_a_held_fsync().await;
        // The writer is not waiting on the disk: the next write runs, in a batch of its own,
        // and sees the first one's commit.
        let (ran, saw) = tokio::sync::oneshot::channel();
        let next = tokio::spawn({
            let writer = writer.clone();
            async move {
                writer
                    .write(move |conn| {
                        let rows: i64 = conn
                            .prepare_cached("SELECT COUNT(*) FROM t")?
                            .query_row([], |r| r.get(0))?;
                        let _ = ran.send(rows);
                        Ok(())
                    })
                    .await
            }
        });
        let rows = tokio::time::timeout(Duration::from_secs(5), saw)
            .await
            .expect("the writer waited for the disk")
            .unwrap();
        assert_eq!(rows, 1);
        // Neither caller is answered while the fsync is held, however long it takes.
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!waiting.is_finished(), "answered before its fsync ended");
        assert!(!next.is_finished(), "answered before an fsync covered it");
        release.send(()).unwrap();
        waiting.await.unwrap().unwrap();
        next.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn writes_that_come_while_the_disk_is_busy_gather_in_one_commit() {
        let (writer, dir, release, a) = writer_with_a_held_fsync().await;
        // One after another, each run before the next is sent: without the open transaction
        // each would be a commit of its own.
        let mut later = Vec::new();
        for v in ["b", "c"] {
            let (ran, done) = tokio::sync::oneshot::channel();
            later.push(tokio::spawn({
                let writer = writer.clone();
                async move {
                    writer
                        .write(move |conn| {
                            insert(v)(conn)?;
                            let _ = ran.send(());
                            Ok(())
                        })
                        .await
                }
            }));
            tokio::time::timeout(Duration::from_secs(5), done)
                .await
                .expect("the writer runs jobs while the disk is busy")
                .unwrap();
        }
        // The writer's transaction holds both; nothing of them is committed yet.
        let outside = rusqlite::Connection::open(dir.path().join("w.db")).unwrap();
        let committed = |conn: &rusqlite::Connection| -> i64 {
            conn.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(committed(&outside), 1, "only a is committed");
        release.send(()).unwrap();
        a.await.unwrap().unwrap();
        for write in later {
            write.await.unwrap().unwrap();
        }
        assert_eq!(committed(&outside), 3);
    }

    #[tokio::test]
    async fn a_failed_fsync_fails_its_callers_and_every_later_write() {
        let dir = tempfile::tempdir().unwrap();
        let sync: SyncWal = Box::new(|| Err(std::io::Error::other("EIO")));
        let writer = start_syncing(sqlite(&dir), Some(sync));
        let result = writer.write(insert("a")).await;
        assert!(
            matches!(&result, Err(StoreError::CommitFailed(reason)) if reason.contains("EIO")),
            "{result:?}"
        );
        // The kernel may have dropped the pages it could not write: nothing after can be
        // vouched for, so nothing more is written.
        let later = writer.write(insert("b")).await;
        assert!(matches!(later, Err(StoreError::WriteAborted)), "{later:?}");
        let conn = rusqlite::Connection::open(dir.path().join("w.db")).unwrap();
        let rows: i64 = conn
            .query_row("SELECT COUNT(*) FROM t WHERE v = 'b'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 0);
    }

    /// A writer on a fresh PostgreSQL database, when `CLOUDLAKE_TEST_DATABASE_URL` names a
    /// server (CI); `None` otherwise.
    fn writer_on_postgres() -> Option<Writer> {
        // The client runs a runtime of its own: connect from a plain thread.
        let conn = std::thread::spawn(move || {
            let url = crate::store::tests::fresh_postgres()?;
            let mut client =
                crate::store::pg_client::PgClient::connect(&url.parse().unwrap()).unwrap();
            // `t`, and the commit counter the writer reads at every batch (migration 13).
            client
                .batch_execute(
                    "CREATE TABLE t (v TEXT NOT NULL UNIQUE); \
                     CREATE TABLE cluster_commits (id INT PRIMARY KEY, last BIGINT NOT NULL); \
                     INSERT INTO cluster_commits VALUES (1, 0)",
                )
                .unwrap();
            Some(Connection::postgres(client))
        })
        .join()
        .unwrap()?;
        Some(start(conn))
    }

    #[tokio::test]
    async fn on_postgres_a_failed_statement_aborts_the_batch_even_if_its_job_succeeds() {
        let Some(writer) = writer_on_postgres() else {
            eprintln!("skipped: CLOUDLAKE_TEST_DATABASE_URL not set");
            return;
        };
        writer.write(insert("dup")).await.unwrap();
        // PostgreSQL refuses every statement after a failed one until the transaction ends,
        // and then turns its COMMIT into a rollback: a job that shrugs off an error must not
        // let the batch report success.
        let shrugs: TestJob = Box::new(|conn| {
            let _ = conn.execute_batch("INSERT INTO t (v) VALUES ('dup')");
            Ok(())
        });
        let results = in_one_batch(
            &writer,
            vec![
                Box::new(insert("a")) as TestJob,
                shrugs,
                Box::new(insert("c")),
            ],
        )
        .await;
        assert!(results.iter().all(Result::is_err), "{results:?}");
        assert_eq!(count(&writer).await, 1, "nothing of the batch was stored");
        // A refusal before writing still leaves its batch-mates alone, as on SQLite.
        let refuse: TestJob = Box::new(|_| Err(StoreError::not_found("thing", "x")));
        let results = in_one_batch(
            &writer,
            vec![
                Box::new(insert("b")) as TestJob,
                refuse,
                Box::new(insert("d")),
            ],
        )
        .await;
        assert!(results[0].is_ok() && results[1].is_err() && results[2].is_ok());
        assert_eq!(count(&writer).await, 3);
    }

    #[tokio::test]
    async fn on_postgres_held_back_rows_are_seen_by_the_next_statement_and_go_with_the_commit() {
        let Some(writer) = writer_on_postgres() else {
            eprintln!("skipped: CLOUDLAKE_TEST_DATABASE_URL not set");
            return;
        };
        let defer = |v: &'static str| -> TestJob {
            Box::new(move |conn| {
                conn.defer_insert("INSERT INTO t (v) VALUES (?1)", &[&v])?;
                Ok(())
            })
        };
        let seen = Arc::new(std::sync::Mutex::new(None));
        let reads = {
            let seen = seen.clone();
            Box::new(move |conn: &Connection| {
                let n: i64 = conn
                    .prepare_cached("SELECT COUNT(*) FROM t")?
                    .query_row([], |r| r.get(0))?;
                *seen.lock().unwrap() = Some(n);
                Ok(())
            }) as TestJob
        };
        let results = in_one_batch(&writer, vec![defer("x"), defer("y"), reads, defer("z")]).await;
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        assert_eq!(
            *seen.lock().unwrap(),
            Some(2),
            "a read sees the rows held back"
        );
        assert_eq!(count(&writer).await, 3, "the last one went with the COMMIT");

        // A held-back row that the database refuses (a duplicate) fails its whole batch,
        // when it is sent: nothing of it is stored, and every caller is told.
        let results = in_one_batch(&writer, vec![defer("w"), defer("x")]).await;
        assert!(results.iter().all(Result::is_err), "{results:?}");
        assert_eq!(count(&writer).await, 3);
    }
}
