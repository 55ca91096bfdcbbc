//! The writer's memory of the numbers it hands out: the last cursor, and each chat's last
//! sequence number. Only the writer appends, so it can remember them instead of reading
//! them for every message; the database stays the truth.
//!
//! A chat not remembered is read from the `(chat_key, seq)` index, a number is remembered only
//! once its row is written, and everything is forgotten when a batch does not commit (the
//! numbers handed out in it were never stored). On PostgreSQL, before a batch, when another
//! node has committed since, it is all read again at once (see [`Numbers::catch_up`]).
//! No `chats` counter row is written per message: one B-tree write less per recipient. Gaps
//! in cursors (a job that took one and then failed) do no harm: cursors only have to
//! increase.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use super::StoreError;
use super::batch_memo::BatchMemo;
use super::db::{Answer, Connection, DbError, PgArg, Piped, PipedParam, Row};
use super::record::Record;

/// The most chats remembered; past that the memory starts over (it only saves a read).
const MAX_REMEMBERED_CHATS: usize = 100_000;

/// The text of [`LAST_CURSOR`], for statements that read it beside other things.
macro_rules! last_cursor {
    () => {
        "SELECT MAX(last) FROM (\
         SELECT COALESCE(MAX(id), 0) AS last FROM messages \
         UNION ALL SELECT COALESCE(MAX(id), 0) FROM chat_log \
         UNION ALL SELECT last FROM cursor_floor) AS heads"
    };
}
pub(crate) use last_cursor;

/// The last sequence number of the chat named `k` in the statement around it (0 for none): what
/// every read of a chat's last number for several chats at once says.
macro_rules! last_seq_of_k {
    () => {
        "COALESCE((SELECT MAX(seq) FROM messages WHERE chat_key = k), 0)"
    };
}
pub(crate) use last_seq_of_k;

/// The highest cursor handed out: new messages' ids, the chat log's edits and recalls, and the
/// floor a deleted group's newest rows left behind (0 on an empty database).
pub(crate) const LAST_CURSOR: &str = last_cursor!();

/// The most chats whose sequence numbers [`Numbers::catch_up`] reads again at once.
const MAX_RELOADED_CHATS: usize = 1_000;

/// PostgreSQL (see [`Numbers::catch_up`]), rows of (what, key, value, number): the last
/// cursor (`c`); each chat of the JSON array `chats` with its last sequence number (`s`); each
/// bot of `bots` that exists, with its nickname (`n`); and each pair of `groups` (bot, group)
/// and of `users` (bot, user) that the bot may send to (`g`, `u`). Each list is an SQL
/// expression of type TEXT (a parameter: see [`RELOAD`]).
fn reload(chats: &str, bots: &str, groups: &str, users: &str) -> String {
    format!(
        concat!(
            "SELECT 'c', CAST(NULL AS TEXT), CAST(NULL AS TEXT), ({}) \
             UNION ALL SELECT 's', k, NULL, ",
            last_seq_of_k!(),
            " FROM json_array_elements_text(CAST({chats} AS JSON)) AS k \
             UNION ALL SELECT 'n', id, nickname, 0 FROM bots \
             WHERE id IN (SELECT json_array_elements_text(CAST({bots} AS JSON))) \
             UNION ALL SELECT 'g', bot_id, group_id, 0 FROM group_bots \
             WHERE (bot_id, group_id) IN (SELECT k->>0, k->>1 \
               FROM json_array_elements(CAST({groups} AS JSON)) AS k) \
             UNION ALL SELECT 'u', bot_id, user_id, 0 FROM bot_followers \
             WHERE (bot_id, user_id) IN (SELECT k->>0, k->>1 \
               FROM json_array_elements(CAST({users} AS JSON)) AS k)"
        ),
        LAST_CURSOR,
        chats = chats,
        bots = bots,
        groups = groups,
        users = users,
    )
}

/// [`reload`] with its lists as parameters `?1`–`?4` (made once: the statement cache is keyed
/// by the text). Prepared, also when pipelined ([`Numbers::catch_up_piped`]): the same query
/// as a simple one with its lists spelled out was planned anew for every batch (~0.45 ms of
/// the database's time, measured with `EXPLAIN ANALYZE`).
static RELOAD: LazyLock<String> = LazyLock::new(|| {
    reload(
        "CAST(?1 AS TEXT)",
        "CAST(?2 AS TEXT)",
        "CAST(?3 AS TEXT)",
        "CAST(?4 AS TEXT)",
    )
});

/// A row of [`reload`]'s: what, key, value, number.
type Reloaded = (String, Option<String>, Option<String>, i64);

/// Reads a row of [`reload`]'s.
fn reloaded_row(row: &Row<'_>) -> Result<Reloaded, DbError> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

/// See the module documentation.
#[derive(Debug, Default)]
pub(crate) struct Numbers {
    cursor: Option<i64>,
    last_seq: HashMap<String, i64>,
    /// On PostgreSQL, the cluster's commit number when the numbers above were last known to
    /// be right (see [`Numbers::catch_up`]).
    cluster_commit: Option<i64>,
    /// On PostgreSQL, while a batch runs before it has taken the cluster's write lock: what
    /// the numbers handed out so far were counted from (see [`Numbers::settle`]).
    provisional: Option<Provisional>,
    /// On PostgreSQL, when this writer last saw that another node had committed during its
    /// batch (or just before it): see [`Numbers::lock_early`].
    contended_at: Option<Instant>,
}

/// How long a writer keeps taking the cluster's write lock late after it last saw another
/// node commit (see [`Numbers::lock_early`]).
const CONTENTION_MEMORY: Duration = Duration::from_secs(1);

/// The numbers a batch handed out before it took the cluster's write lock, counted on from
/// what this writer remembered: another node may have taken the same ones since.
#[derive(Debug, Default)]
struct Provisional {
    /// The last cursor before the batch's first.
    cursor_base: Option<i64>,
    /// Each chat numbered: its last sequence number before the batch's first, and the
    /// batch's last. Kept apart from `last_seq`, which may forget: the batch's rows are not in
    /// the database yet, so a chat forgotten could not be read back. Ordered, so that the
    /// reads of [`Numbers::settle_reads`] and their answers go in the same order.
    chats: BTreeMap<String, (i64, i64)>,
}

/// How far a batch's provisional numbers moved once known under the cluster's write lock (see
/// [`Numbers::settle`]): its cursors all by one amount (they stay in order, one after the
/// other), each chat's sequence numbers by that chat's (they stay gap-free).
#[derive(Debug, Default)]
pub(crate) struct Shift {
    cursor: i64,
    seqs: HashMap<String, i64>,
}

impl Shift {
    /// The cursor handed out as `provisional`, settled.
    pub(crate) fn cursor(&self, provisional: i64) -> i64 {
        provisional + self.cursor
    }

    /// The sequence number handed out as `provisional` in `chat_key`, settled.
    pub(crate) fn seq(&self, chat_key: &str, provisional: i64) -> i64 {
        provisional + self.seqs.get(chat_key).copied().unwrap_or(0)
    }

    /// Settles the numbers a record carries (only a new message's record carries new ones).
    pub(crate) fn record(&self, record: &mut Record) {
        if let Record::Appended {
            cursor, message, ..
        } = record
        {
            *cursor = self.cursor(*cursor);
            message.seq = self.seq(&message.chat_key, message.seq);
        }
    }
}

impl Numbers {
    /// The last cursor handed out, as the database and this writer know it.
    pub(crate) fn last_cursor(&mut self, conn: &Connection) -> Result<i64, StoreError> {
        if let Some(cursor) = self.cursor {
            return Ok(cursor);
        }
        let cursor: i64 = conn
            .prepare_cached(LAST_CURSOR)?
            .query_row([], |row| row.get(0))?;
        self.cursor = Some(cursor);
        Ok(cursor)
    }

    /// The next cursor: a new message's id, or an edit's or recall's chat log id.
    pub(crate) fn next_cursor(&mut self, conn: &Connection) -> Result<i64, StoreError> {
        let last = self.last_cursor(conn)?;
        if let Some(provisional) = &mut self.provisional {
            provisional.cursor_base.get_or_insert(last);
        }
        self.cursor = Some(last + 1);
        Ok(last + 1)
    }

    /// The chat's last sequence number (0 for a chat with no messages).
    pub(crate) fn last_seq(
        &mut self,
        conn: &Connection,
        chat_key: &str,
    ) -> Result<i64, StoreError> {
        if let Some((_, last)) = self
            .provisional
            .as_ref()
            .and_then(|provisional| provisional.chats.get(chat_key))
        {
            return Ok(*last);
        }
        let last = match self.last_seq.get(chat_key) {
            Some(seq) => *seq,
            None => conn
                .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM messages WHERE chat_key = ?1")?
                .query_row([chat_key], |row| row.get(0))?,
        };
        if let Some(provisional) = &mut self.provisional {
            provisional.chats.insert(chat_key.to_owned(), (last, last));
        }
        Ok(last)
    }

    /// Remembers the chat's last sequence number, once the row that has it is written (or, in
    /// a batch not yet under the cluster's write lock, handed to [`super::tx::Tx::hold_message`]).
    pub(crate) fn remember_seq(&mut self, chat_key: &str, seq: i64) {
        if let Some((_, last)) = self
            .provisional
            .as_mut()
            .and_then(|provisional| provisional.chats.get_mut(chat_key))
        {
            *last = seq;
        }
        if self.last_seq.len() >= MAX_REMEMBERED_CHATS && !self.last_seq.contains_key(chat_key) {
            self.last_seq.clear();
        }
        self.last_seq.insert(chat_key.to_owned(), seq);
    }

    /// On PostgreSQL, whether the next batch takes the cluster's write lock with its `BEGIN`
    /// (numbers settled from the start) rather than late (see `writer::CLUSTER_WRITE_LOCK`).
    /// Late costs more per batch (the database's work on the numbers, or a round trip more
    /// when the batch is not all sends) and saves waiting on the lock only when another node
    /// writes too: so early while this writer has seen no other node's commit for a second,
    /// late until then. (Early again after the first batch that saw none let two nodes
    /// writing at once take the lock with `BEGIN` whenever one committed twice in a row, and
    /// hold it across the batch's round trips while the other waited; measured: BENCHMARKS.md,
    /// issue 18, eighth session.)
    pub(crate) fn lock_early(&self) -> bool {
        self.contended_at
            .is_none_or(|at| at.elapsed() >= CONTENTION_MEMORY)
    }

    /// Notes the cluster's last commit number `last`, read as the write lock was taken:
    /// another node has committed since this writer last knew its numbers if it is not the
    /// one it knew (see [`Numbers::lock_early`]).
    pub(crate) fn note_contention(&mut self, last: i64) {
        if matches!(self.cluster_commit, Some(known) if known != last) {
            self.contended_at = Some(Instant::now());
        }
    }

    /// On PostgreSQL, at the start of a batch (after [`Numbers::catch_up`]): whether the
    /// numbers handed out from now on are provisional until [`Numbers::settle`] (the batch
    /// takes the cluster's write lock late), or final (it holds the lock already).
    pub(crate) fn start_batch(&mut self, provisional: bool) {
        self.provisional = provisional.then(Provisional::default);
    }

    /// Whether the numbers handed out now are provisional (see [`Numbers::start_batch`]).
    pub(crate) fn is_provisional(&self) -> bool {
        self.provisional.is_some()
    }

    /// PostgreSQL: what [`Numbers::settle`] reads under the cluster's write lock, statements
    /// for a pipeline: the last cursor, then the last sequence number of each chat numbered,
    /// in key order (none if the batch numbered nothing provisionally).
    pub(crate) fn settle_reads(&self) -> Vec<Piped<'_>> {
        let Some(provisional) = &self.provisional else {
            return Vec::new();
        };
        let mut reads = Vec::new();
        if provisional.cursor_base.is_some() {
            reads.push(Piped::read(LAST_CURSOR, Vec::new()));
        }
        if !provisional.chats.is_empty() {
            reads.push(Piped::read(
                concat!(
                    "SELECT ",
                    last_seq_of_k!(),
                    " FROM unnest($1::TEXT[]) WITH ORDINALITY AS t(k, n) ORDER BY n"
                ),
                vec![PipedParam::texts(
                    provisional.chats.keys().map(String::as_str),
                )],
            ));
        }
        reads
    }

    /// PostgreSQL: what a statement needs to settle the batch's numbers itself, under the
    /// cluster's write lock, as [`Numbers::settle`] does with the same reads: the last cursor
    /// before the batch's first (NULL when it handed out none), and each chat numbered with
    /// its last sequence number before the batch's first (two arrays, key by key).
    pub(crate) fn settle_params(&self) -> [PipedParam<'_>; 3] {
        let (cursor_base, chats) = match &self.provisional {
            Some(provisional) => (provisional.cursor_base, Some(&provisional.chats)),
            None => (None, None),
        };
        let chats = chats.into_iter().flatten();
        [
            PipedParam::One(cursor_base.map_or(PgArg::Null, PgArg::Int)),
            PipedParam::texts(chats.clone().map(|(key, _)| key.as_str())),
            PipedParam::ints(chats.map(|(_, (base, _))| *base)),
        ]
    }

    /// Ends the provisional numbering with what [`Numbers::settle_reads`] read under the
    /// cluster's write lock (`values`, each read's numbers in turn): how far the
    /// batch's numbers move, the cursor after the last cursor any node committed and each
    /// chat's sequence after its last, and what this writer remembers moved with them. No
    /// node can take a number now until this batch commits.
    pub(crate) fn settle(&mut self, values: &[i64]) -> Result<Shift, StoreError> {
        let Some(provisional) = self.provisional.take() else {
            return Ok(Shift::default());
        };
        let mut values = values.iter();
        let mut next = || {
            values.next().copied().ok_or_else(|| {
                StoreError::Internal("fewer numbers than asked for under the lock".into())
            })
        };
        let mut shift = Shift::default();
        if let Some(base) = provisional.cursor_base {
            shift.cursor = next()? - base;
            self.cursor = self.cursor.map(|cursor| cursor + shift.cursor);
        }
        for (chat, (base, last)) in provisional.chats {
            let moved = next()? - base;
            if last != base {
                self.remember_seq(&chat, last + moved);
            } else if moved != 0 {
                self.forget_seq(&chat);
            }
            if moved != 0 {
                shift.seqs.insert(chat, moved);
            }
        }
        Ok(shift)
    }

    /// Forgets one chat's sequence number (its messages were deleted).
    pub(crate) fn forget_seq(&mut self, chat_key: &str) {
        self.last_seq.remove(chat_key);
    }

    /// Forgets everything (see the module documentation for when).
    pub(crate) fn forget(&mut self) {
        self.last_seq.clear();
        self.cursor = None;
        self.cluster_commit = None;
        self.provisional = None;
    }

    /// On PostgreSQL, at the start of a batch, with the cluster's last commit number `last`:
    /// nothing to do if it is the one this writer knew its numbers at. Every commit that
    /// appends, edits or removes messages (or changes anything else) has something to tell and
    /// takes a number, so an unchanged number means nobody else has touched them.
    ///
    /// If another node has written since, what is remembered is read again, in one round
    /// trip: the last cursor, the last sequence number of each chat remembered, and the
    /// lookups in `memo` (up to [`MAX_RELOADED_CHATS`] chats; past that they are forgotten
    /// and read when next needed). A node mostly writes to the chats it wrote to in its last
    /// batches, for the same bots, and read one by one they were a round trip each: with two
    /// nodes taking turns, most of a batch's.
    pub(crate) fn catch_up(
        &mut self,
        conn: &Connection,
        last: i64,
        memo: &mut BatchMemo,
    ) -> Result<(), StoreError> {
        let Some(lists) = self.reload_lists(Some(last), memo)? else {
            return Ok(());
        };
        let rows = conn
            .prepare_cached(&RELOAD)?
            .query_map(lists, reloaded_row)?
            .collect::<Result<Vec<Reloaded>, _>>()?;
        self.reloaded(last, rows, memo);
        Ok(())
    }

    /// The lists [`Numbers::catch_up`] reads again, for [`Numbers::catch_up_piped`] to send
    /// with a batch's `BEGIN` (one round trip for both) when it is likely that another node
    /// has written since. `None` when there is nothing to read again.
    pub(crate) fn catch_up_lists(
        &mut self,
        memo: &mut BatchMemo,
    ) -> Result<Option<[String; 4]>, StoreError> {
        // `None` as the last number known: read again whatever there is to read.
        self.reload_lists(None, memo)
    }

    /// What [`Numbers::catch_up`] reads, for a pipeline ([`Connection::pipeline`]), the
    /// `lists` from [`Numbers::catch_up_lists`]; its answer is for
    /// [`Numbers::catch_up_with`].
    pub(crate) fn catch_up_piped(lists: &[String; 4]) -> Piped<'_> {
        Piped::read(
            &RELOAD,
            lists
                .iter()
                .map(|list| PipedParam::One(PgArg::Text(list)))
                .collect(),
        )
    }

    /// [`Numbers::catch_up`] with the rows of [`Numbers::catch_up_piped`], read with the
    /// cluster's last commit number `last` (unused if `last` is the one known: nobody else
    /// has written).
    pub(crate) fn catch_up_with(
        &mut self,
        last: i64,
        answer: &Answer,
        memo: &mut BatchMemo,
    ) -> Result<(), StoreError> {
        if self.cluster_commit == Some(last) {
            return Ok(());
        }
        let rows = answer.rows(reloaded_row)?;
        self.reloaded(last, rows, memo);
        Ok(())
    }

    /// The lists [`reload`] reads again (as JSON), or `None` if there is nothing to read:
    /// `last` is the cluster's commit number the numbers are known at, or nothing remembered
    /// at all (a writer's first batch).
    fn reload_lists(
        &mut self,
        last: Option<i64>,
        memo: &mut BatchMemo,
    ) -> Result<Option<[String; 4]>, StoreError> {
        // Bounded first, so that at most that many lookups are read again.
        memo.keep_bounded();
        if last.is_some() && self.cluster_commit == last {
            return Ok(None);
        }
        if self.cursor.is_none() && self.last_seq.is_empty() && memo.is_empty() {
            // Nothing to read again (a writer's first batch).
            self.cluster_commit = last;
            return Ok(None);
        }
        let chats: Vec<&String> = if self.last_seq.len() <= MAX_RELOADED_CHATS {
            self.last_seq.keys().collect()
        } else {
            Vec::new()
        };
        let bots: Vec<&String> = memo.nicknames.keys().collect();
        let pairs = |group: bool| {
            memo.reach
                .keys()
                .filter(|(_, is_group, _)| *is_group == group)
                .map(|(bot, _, recipient)| [bot, recipient])
                .collect::<Vec<_>>()
        };
        Ok(Some([
            as_json(&chats)?,
            as_json(&bots)?,
            as_json(&pairs(true))?,
            as_json(&pairs(false))?,
        ]))
    }

    /// Replaces what is remembered with `rows` of [`reload`], read at commit number `last`.
    fn reloaded(&mut self, last: i64, rows: Vec<Reloaded>, memo: &mut BatchMemo) {
        self.forget();
        let mut reach: HashSet<(bool, String, String)> = HashSet::new();
        memo.nicknames.clear();
        for (what, key, value, number) in rows {
            let key = key.unwrap_or_default();
            match what.as_str() {
                "c" => self.cursor = Some(number),
                "s" => self.remember_seq(&key, number),
                "n" => {
                    memo.nicknames.insert(key, value.unwrap_or_default());
                }
                "g" | "u" => {
                    reach.insert((what == "g", key, value.unwrap_or_default()));
                }
                _ => {}
            }
        }
        for ((bot, group, recipient), may) in memo.reach.iter_mut() {
            *may = reach.contains(&(*group, bot.clone(), recipient.clone()));
        }
        self.cluster_commit = Some(last);
    }

    /// This writer's own commit took the cluster's number `number`. What it remembers is
    /// right as of that number only if the commit came straight after the one it knew: if
    /// another node committed in between (while this batch ran before taking the lock), the
    /// next batch reads everything again.
    pub(crate) fn committed_as(&mut self, number: i64) {
        self.cluster_commit = (self.cluster_commit == Some(number - 1)).then_some(number);
    }
}

/// A list as JSON text, for [`reload`]'s lists.
fn as_json<T: serde::Serialize>(list: &T) -> Result<String, StoreError> {
    serde_json::to_string(list).map_err(|e| StoreError::Internal(format!("a list as JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_is_taken_late_for_a_second_after_another_node_was_seen_committing() {
        let mut numbers = Numbers::default();
        // A writer's first batch: nothing known, nobody seen.
        assert!(numbers.lock_early());
        numbers.note_contention(7);
        assert!(numbers.lock_early());
        numbers.cluster_commit = Some(7);
        numbers.committed_as(8);
        // Alone: the number it finds is its own last.
        numbers.note_contention(8);
        assert!(numbers.lock_early());
        // Another node committed 9 meanwhile.
        numbers.note_contention(9);
        assert!(!numbers.lock_early());
        numbers.cluster_commit = Some(9);
        // A late batch that found nobody else had committed since its begin: still late, the
        // other node may write again at any moment...
        numbers.note_contention(9);
        assert!(!numbers.lock_early());
        // ...until a second has passed without another node's commit.
        numbers.contended_at = Instant::now().checked_sub(CONTENTION_MEMORY);
        assert!(numbers.lock_early());
        // Seen again: late again.
        numbers.note_contention(10);
        assert!(!numbers.lock_early());
    }
}
