//! What a live socket sends: frames written to the network by whoever has them, in order.
//!
//! The gateway fans a frame out on its own thread (the publisher's, or the NATS listener's);
//! an [`Outgoing`] takes it there and writes it to the socket at once when nothing is waiting
//! before it and the socket has room (`try_write`: one `send` per delivery and no task
//! woken). Otherwise the frame waits in `pending`, and the session's task, alerted, writes what
//! waits as the socket drains, several frames per `writev`. One lock orders it all: the
//! gateway writes (under it) only when nothing waits and the task is not writing; the task
//! takes frames out under it and marks itself writing until they are out. So frames never
//! interleave and leave in the order they were taken.
//!
//! When commits queue up for the fan-out, the gateway does not write at once (`now` false):
//! every frame waits for the task, which then writes several per `send`
//! ([`crate::bus::Bus::backlog`]).
//!
//! While the session starts (hello, replay), frames from the gateway are held rather than
//! written; [`Outgoing::go_live`] then drops those the replay already sent (by cursor) and
//! lets the rest through.

use std::collections::VecDeque;
use std::io::{ErrorKind, IoSlice};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::Notify;

use crate::gateway::{DirectSink, SESSION_QUEUE};

/// Frames written in one vectored write at most.
const WRITE_SLICES: usize = 64;

/// One live socket's sending side, shared by its session and the gateway.
pub(super) struct Outgoing {
    socket: OwnedWriteHalf,
    state: Mutex<State>,
    /// Wakes the session: frames wait for the socket, a write failed, or the gateway changed
    /// the session's flags.
    alert: Notify,
}

#[derive(Default)]
struct State {
    /// The session has started: frames from the gateway are written, not held.
    live: bool,
    /// Frames from the gateway while the session starts, with their cursors.
    held: Vec<(Option<i64>, Bytes)>,
    /// Frames taken and not yet written in full (the first may be partly written).
    pending: VecDeque<Bytes>,
    /// The cursor of the last chat-log frame taken: what the client will have got.
    last_cursor: i64,
    /// The session's task is writing frames it took from `pending`: nothing may be written
    /// before they are.
    writing: bool,
    /// Nothing more is taken: the session is ending (or a write failed).
    ended: bool,
    /// A write failed: the socket is gone.
    failed: Option<ErrorKind>,
}

/// Why writing stopped.
#[derive(Debug, thiserror::Error)]
pub(super) enum WriteError {
    #[error("the socket failed: {0}")]
    Failed(ErrorKind),
    #[error("the client stopped reading")]
    Stalled,
}

impl Outgoing {
    /// The sending side of a socket; frames are held until [`Outgoing::go_live`].
    pub(super) fn new(socket: OwnedWriteHalf) -> Self {
        Outgoing {
            socket,
            state: Mutex::new(State::default()),
            alert: Notify::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Plain data, consistent between statements: recover from a panic elsewhere.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues a frame of the session's own (hello, replay, resync, pong, close) after
    /// everything taken so far; [`Outgoing::flush`] writes it.
    pub(super) fn push(&self, frame: Bytes) {
        let mut state = self.state();
        if state.failed.is_none() {
            state.pending.push_back(frame);
        }
    }

    /// Queues the session's last frame (a resync naming the last cursor taken, or a close)
    /// and takes nothing after it. `last` makes it from that cursor.
    pub(super) fn end_with(&self, last: impl FnOnce(i64) -> Bytes) {
        let mut state = self.state();
        state.ended = true;
        let frame = last(state.last_cursor);
        if state.failed.is_none() {
            state.pending.push_back(frame);
        }
    }

    /// The session has sent what its replay found, up to `last_sent`: the held frames after
    /// it are queued, and from now on the gateway's frames are written as they come.
    pub(super) fn go_live(&self, last_sent: i64) {
        let mut state = self.state();
        state.live = true;
        state.last_cursor = last_sent;
        for (cursor, frame) in std::mem::take(&mut state.held) {
            if let Some(cursor) = cursor {
                if cursor <= state.last_cursor {
                    continue;
                }
                state.last_cursor = cursor;
            }
            state.pending.push_back(frame);
        }
    }

    /// Waits until something needs the session's attention.
    pub(super) async fn alerted(&self) {
        self.alert.notified().await;
    }

    /// Writes everything pending, waiting for the socket to drain as long as it makes
    /// progress within `stall`.
    ///
    /// The frames are taken out and written without the lock (`writing` keeps the gateway
    /// from writing past them meanwhile): held over the `send`, the lock made the fan-out
    /// thread sleep on it whenever it reached a session whose task was writing, and a burst
    /// of messages to 5,000 sessions waited ten times longer (BENCHMARKS.md, fan-out).
    pub(super) async fn flush(&self, stall: Duration) -> Result<(), WriteError> {
        loop {
            let mut batch: VecDeque<Bytes> = {
                let mut state = self.state();
                if let Some(kind) = state.failed {
                    return Err(WriteError::Failed(kind));
                }
                if state.pending.is_empty() {
                    return Ok(());
                }
                state.writing = true;
                let take = state.pending.len().min(WRITE_SLICES);
                state.pending.drain(..take).collect()
            };
            let written = self.write_some(&mut batch);
            {
                let mut state = self.state();
                state.writing = false;
                if let Err(kind) = written {
                    state.failed = Some(kind);
                    state.pending.clear();
                    return Err(WriteError::Failed(kind));
                }
                if batch.is_empty() {
                    continue;
                }
                // The socket is full: what is left goes back before what came meanwhile.
                while let Some(frame) = batch.pop_back() {
                    state.pending.push_front(frame);
                }
            }
            match tokio::time::timeout(stall, self.socket.as_ref().writable()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    self.state().failed = Some(e.kind());
                    return Err(WriteError::Failed(e.kind()));
                }
                Err(_) => return Err(WriteError::Stalled),
            }
        }
    }

    /// Writes frames off the front of `batch` until it is empty or the socket would block.
    fn write_some(&self, batch: &mut VecDeque<Bytes>) -> Result<(), ErrorKind> {
        while !batch.is_empty() {
            let slices: Vec<IoSlice<'_>> = batch.iter().map(|frame| IoSlice::new(frame)).collect();
            match wrote(self.socket.as_ref().try_write_vectored(&slices))? {
                Wrote::Bytes(mut written) => {
                    crate::metrics::metrics()
                        .live_deliveries
                        .inc_by(count_written(batch, &mut written));
                }
                Wrote::Blocked => return Ok(()),
            }
        }
        Ok(())
    }
}

/// What one write that never waits did.
enum Wrote {
    /// Wrote this many bytes (at least one).
    Bytes(usize),
    /// The socket had no room (or the call was interrupted): wait until it is writable.
    Blocked,
}

/// Sorts a non-blocking write's result; `Err` is a socket that is gone.
fn wrote(result: std::io::Result<usize>) -> Result<Wrote, ErrorKind> {
    match result {
        Ok(0) => Err(ErrorKind::WriteZero),
        Ok(written) => Ok(Wrote::Bytes(written)),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {
            Ok(Wrote::Blocked)
        }
        Err(e) => Err(e.kind()),
    }
}

/// Drops the frames `written` bytes cover from `pending` (cutting the first one not covered
/// whole), and says how many were written whole.
fn count_written(pending: &mut VecDeque<Bytes>, written: &mut usize) -> u64 {
    let mut whole = 0;
    while let Some(front) = pending.front_mut() {
        if *written >= front.len() {
            *written -= front.len();
            pending.pop_front();
            whole += 1;
        } else {
            let _ = front.split_to(*written);
            break;
        }
    }
    whole
}

impl DirectSink for Outgoing {
    fn offer(&self, cursor: Option<i64>, frame: &Bytes, now: bool) -> bool {
        let mut state = self.state();
        if state.ended || state.failed.is_some() {
            // The session is ending and will say where its client stands; nothing is lost
            // that its resync or its client's reconnect does not find again.
            return true;
        }
        if !state.live {
            if state.held.len() >= SESSION_QUEUE {
                return false;
            }
            state.held.push((cursor, frame.clone()));
            return true;
        }
        if cursor.is_some_and(|cursor| cursor <= state.last_cursor) {
            return true;
        }
        if state.pending.len() >= SESSION_QUEUE {
            // Not taken: the resync names the cursor before it.
            return false;
        }
        if let Some(cursor) = cursor {
            state.last_cursor = cursor;
        }
        // The session's task is writing what waits (it was alerted when it began to).
        let waiting = !state.pending.is_empty() || state.writing;
        if waiting || !now {
            state.pending.push_back(frame.clone());
            if !waiting {
                drop(state);
                self.alert.notify_one();
            }
            return true;
        }
        // The common case: nothing waits, the frame goes out now in one `send`.
        match wrote(self.socket.as_ref().try_write(frame)) {
            Ok(Wrote::Bytes(written)) if written == frame.len() => {
                crate::metrics::metrics().live_deliveries.inc();
                return true;
            }
            Ok(Wrote::Bytes(written)) => state.pending.push_back(frame.slice(written..)),
            Ok(Wrote::Blocked) => state.pending.push_back(frame.clone()),
            Err(kind) => state.failed = Some(kind),
        }
        // The socket is full (or failed): the session's task takes over.
        drop(state);
        self.alert.notify_one();
        true
    }

    fn alert(&self) {
        self.alert.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;
    use tokio::net::{TcpListener, TcpStream};

    /// An `Outgoing` on one end of a loopback connection, and the other end.
    async fn pair() -> (Outgoing, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let (_read, write) = server.into_split();
        (Outgoing::new(write), client)
    }

    fn text(s: &str) -> Bytes {
        crate::gateway::ws::text_frame(s.as_bytes())
    }

    /// Reads until `len` bytes have come.
    async fn read_exactly(client: &mut TcpStream, len: usize) -> Vec<u8> {
        let mut got = vec![0; len];
        client.read_exact(&mut got).await.unwrap();
        got
    }

    #[tokio::test]
    async fn frames_held_while_starting_are_sent_after_the_replay_once() {
        let (out, mut client) = pair().await;
        // Fanned out while the session replays: 5 and 6 are in the replay too.
        for cursor in 5..=8 {
            assert!(out.offer(Some(cursor), &text(&format!("live {cursor}")), true));
        }
        out.push(text("replay 5"));
        out.push(text("replay 6"));
        out.flush(Duration::from_secs(5)).await.unwrap();
        out.go_live(6);
        out.flush(Duration::from_secs(5)).await.unwrap();
        // Live now: written at once, on the offering thread.
        assert!(out.offer(Some(9), &text("live 9"), true));
        assert!(
            out.offer(Some(9), &text("live 9 again"), false),
            "a duplicate is skipped"
        );
        let expected: Vec<u8> = ["replay 5", "replay 6", "live 7", "live 8", "live 9"]
            .iter()
            .flat_map(|t| text(t).to_vec())
            .collect();
        assert_eq!(read_exactly(&mut client, expected.len()).await, expected);
    }

    #[tokio::test]
    async fn behind_the_frames_wait_for_the_sessions_task_which_writes_them_together() {
        let (out, mut client) = pair().await;
        out.go_live(0);
        for cursor in 1..=3 {
            assert!(out.offer(Some(cursor), &text(&format!("f{cursor}")), false));
        }
        assert_eq!(
            out.state().pending.len(),
            3,
            "nothing written by the fan-out"
        );
        // The task was told, and writes all three.
        tokio::time::timeout(Duration::from_secs(5), out.alerted())
            .await
            .expect("alerted");
        out.flush(Duration::from_secs(5)).await.unwrap();
        assert!(out.state().pending.is_empty());
        // Caught up: the next frame goes out at once again.
        assert!(out.offer(Some(4), &text("f4"), true));
        assert!(out.state().pending.is_empty());
        let expected: Vec<u8> = ["f1", "f2", "f3", "f4"]
            .iter()
            .flat_map(|t| text(t).to_vec())
            .collect();
        assert_eq!(read_exactly(&mut client, expected.len()).await, expected);
    }

    #[tokio::test]
    async fn a_client_that_stops_reading_fills_the_queue_and_the_resync_names_the_last_frame_taken()
    {
        let (out, mut client) = pair().await;
        out.go_live(0);
        let frame = |cursor: i64| text(&format!("{cursor:>8}{}", "x".repeat(4000)));
        let mut cursor = 0;
        // The socket's buffers fill, then the queue: the offer that finds no room says so.
        while out.offer(Some(cursor + 1), &frame(cursor + 1), true) {
            cursor += 1;
            assert!(cursor < 100_000, "the queue is bounded");
        }
        assert!(out.state().pending.len() == SESSION_QUEUE);
        out.end_with(|last| text(&format!("resync {last}")));
        // Taken after the end: dropped.
        assert!(out.offer(Some(cursor + 2), &frame(cursor + 2), true));
        let reading = tokio::spawn(async move {
            let mut all = Vec::new();
            client.read_to_end(&mut all).await.unwrap();
            all
        });
        out.flush(Duration::from_secs(5)).await.unwrap();
        drop(out);
        let all = reading.await.unwrap();
        let mut expected: Vec<u8> = (1..=cursor).flat_map(|c| frame(c).to_vec()).collect();
        expected.extend_from_slice(&text(&format!("resync {cursor}")));
        assert_eq!(all.len(), expected.len());
        assert!(
            all == expected,
            "every frame taken, in order, then the resync"
        );
    }

    #[test]
    fn written_bytes_retire_whole_frames_and_cut_the_next() {
        let mut pending: VecDeque<Bytes> = [&b"abc"[..], b"de", b"fgh"]
            .into_iter()
            .map(Bytes::from_static)
            .collect();
        let mut written = 6;
        assert_eq!(count_written(&mut pending, &mut written), 2);
        assert_eq!(pending, [Bytes::from_static(b"gh")]);
    }
}
