//! A write job's transaction context: the connection inside the batch's transaction, the
//! writer's numbers, the batch's memo of lookups, and what the job leaves for after the commit (its records, the
//! deliverers to wake, the messages it stored). One value a job receives, instead of state
//! kept on the writer thread on the side.

use super::StoreError;
use super::batch_memo::BatchMemo;
use super::db::Connection;
use super::messages::{HeldMessage, insert_message};
use super::model::StoredMessage;
use super::numbers::Numbers;
use super::outbox::Wake;
use super::record::Record;

/// A write held until the batch has taken the cluster's write lock (see
/// [`Tx::write_after_lock`]).
pub(crate) type AfterLock = Box<dyn FnOnce(&Connection) -> Result<(), StoreError>>;

/// See the module documentation. Made by the writer for each job.
pub(crate) struct Tx<'a> {
    conn: &'a Connection,
    numbers: &'a mut Numbers,
    memo: &'a mut BatchMemo,
    pub(super) records: Vec<Record>,
    pub(super) wake: Wake,
    pub(super) stored: u64,
    /// New messages' rows waiting for the batch's numbers to be settled (see
    /// [`Tx::hold_message`]).
    pub(super) held: Vec<HeldMessage>,
    /// Writes waiting for the batch to take the lock (see [`Tx::write_after_lock`]).
    pub(super) after_lock: Vec<AfterLock>,
}

impl<'a> Tx<'a> {
    /// A context for one job on `conn`.
    pub(super) fn new(
        conn: &'a Connection,
        numbers: &'a mut Numbers,
        memo: &'a mut BatchMemo,
    ) -> Self {
        Tx {
            conn,
            numbers,
            memo,
            records: Vec::new(),
            wake: Wake::default(),
            stored: 0,
            held: Vec::new(),
            after_lock: Vec::new(),
        }
    }

    /// The connection, inside the batch's transaction. Its lifetime is the transaction's, not
    /// this borrow's: statements prepared from it may live while records are added.
    pub(crate) fn conn(&self) -> &'a Connection {
        self.conn
    }

    /// The writer's cursor and sequence numbers.
    pub(crate) fn numbers(&mut self) -> &mut Numbers {
        self.numbers
    }

    /// What this batch (and those before it) looked up already (see [`BatchMemo`]).
    pub(crate) fn memo(&mut self) -> &mut BatchMemo {
        self.memo
    }

    /// Inserts a new message's row as message `id`, the id and `seq` this job took from
    /// [`Tx::numbers`]: at once (no copy made), or, while the numbers are provisional
    /// (PostgreSQL, before the batch takes the cluster's write lock; see `writer`), once they
    /// are settled. Nothing the job or a later job of the batch reads may depend on the row
    /// being there before that.
    pub(crate) fn hold_message(
        &mut self,
        id: i64,
        row: &StoredMessage,
        sender_type: &'static str,
        html: &str,
    ) -> Result<(), StoreError> {
        if self.numbers.is_provisional() {
            self.held.push(HeldMessage::new(id, row, sender_type, html));
            Ok(())
        } else {
            insert_message(self.conn, id, row.seq, row, sender_type, html)
        }
    }

    /// Runs a write of a job that runs before the lock (see `Writer::write_tx_numbered_later`):
    /// at once if the batch holds the lock, else once it has taken it. Such a job must not
    /// take a row lock before the cluster's: another node's batch that holds the cluster's
    /// lock could be waiting on that row. The same rule as [`Tx::hold_message`] on reads.
    pub(crate) fn write_after_lock(&mut self, write: AfterLock) -> Result<(), StoreError> {
        if self.numbers.is_provisional() {
            self.after_lock.push(write);
            Ok(())
        } else {
            write(self.conn)
        }
    }

    /// Records a change for the commit sink, published only if the job and its commit succeed.
    pub(crate) fn record(&mut self, record: Record) {
        self.records.push(record);
    }

    /// Marks this write as one that makes `bot_id`'s events deliverable, so its deliverers
    /// look again right after the commit.
    pub(crate) fn wake_bot(&mut self, bot_id: &str) {
        if !self.wake.concerns(bot_id) {
            self.wake.bots.push(bot_id.to_owned());
        }
    }

    /// Marks this write as one that scheduled a webhook retry.
    pub(crate) fn wake_dispatcher(&mut self) {
        self.wake.dispatcher = true;
    }

    /// Notes that this write inserted a message (the `messages_stored` metric counts it once
    /// the batch has committed).
    pub(crate) fn note_message_stored(&mut self) {
        self.stored += 1;
    }
}
