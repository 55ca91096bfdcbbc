//! A write job's transaction context: the connection inside the batch's transaction, the
//! writer's numbers, the batch's memo of lookups, and what the job leaves for after the commit (its records, the
//! deliverers to wake, the messages it stored). One value a job receives, instead of state
//! kept on the writer thread on the side.

use super::StoreError;
use super::batch_memo::BatchMemo;
use super::db::Connection;
use super::numbers::{Numbers, Shift};
use super::outbox::Wake;
use super::record::Record;

/// An insert of a row that carries the writer's numbers, run once they are settled (see
/// [`Tx::insert_numbered`]), with how far they moved.
pub(crate) type NumberedInsert = Box<dyn FnOnce(&Connection, &Shift) -> Result<(), StoreError>>;

/// See the module documentation. Made by the writer for each job.
pub(crate) struct Tx<'a> {
    conn: &'a Connection,
    numbers: &'a mut Numbers,
    memo: &'a mut BatchMemo,
    pub(super) records: Vec<Record>,
    pub(super) wake: Wake,
    pub(super) stored: u64,
    /// Inserts waiting for the batch's numbers to be settled (see [`Tx::insert_numbered`]).
    pub(super) numbered: Vec<NumberedInsert>,
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
            numbered: Vec::new(),
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

    /// Runs a write (the insert of a row that carries numbers this job took from
    /// [`Tx::numbers`], and any other write of a job that runs before the lock): at once, or,
    /// while the numbers are provisional (PostgreSQL, before the batch takes the cluster's
    /// write lock; see `writer`), once they are settled, with how far they moved. Nothing the
    /// job or a later job of the batch reads may depend on the write being done before that.
    pub(crate) fn insert_numbered(&mut self, insert: NumberedInsert) -> Result<(), StoreError> {
        if self.numbers.is_provisional() {
            self.numbered.push(insert);
            Ok(())
        } else {
            insert(self.conn, &Shift::default())
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
