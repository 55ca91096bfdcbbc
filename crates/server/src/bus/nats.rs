//! The bus between nodes: NATS, one subject, one subscription per node.
//!
//! Every node publishes each committed batch as one message ([`super::wire`]) on one subject
//! and subscribes to that subject once. What the subscription hears (the node's own messages
//! included) goes to the node's [`Gateway`], which routes it in-process to the node's sockets,
//! and bot wake-ups go to the node's store ([`Store::wake_local`]). A node's gateway is fed
//! only from the subscription, never directly: every node then sees one order.
//!
//! # Order
//!
//! Live sessions need frames in cursor order. NATS keeps the order of one connection's
//! messages, and a single nats-server handles messages one at a time, passing each to every
//! subscriber before the next one it processes. So [`NatsBus::publish`] returns only once
//! the message is *through the server*: it waits until this node's own subscription hears it
//! back. (async-nats's `flush` only writes the client's buffer to the socket; it says nothing
//! about the server.) A store that serializes "commit, then publish" across nodes — a
//! cluster-wide lock held from commit until `publish` returns — therefore gets its batches to
//! every subscriber in commit order.
//!
//! That reasoning holds for nodes connected to one nats-server. Across a cluster of NATS
//! servers a message reaches the other servers' subscribers over routes, after this node's
//! echo, and two nodes on different servers could be heard in different orders. On
//! PostgreSQL every commit therefore carries its number in the cluster, and each node's
//! listener puts what it hears back in that order ([`super::order`]). Nodes connect to the
//! first server of `--nats-url` that answers, in the order given (not a random one), so
//! that with the same list everywhere they normally share one server and nothing waits on a
//! route; the others are where they go when it is lost.
//!
//! # Failures
//!
//! NATS being unreachable must not stop the node's publishing thread (nor, once its queue is
//! full, the writer behind it): a publish waits at most [`NatsOptions::publish_timeout`] (not
//! at all while the client is known to be disconnected, and not for its echo after one timed
//! out, until one is heard again), then logs, counts `cloudlake_bus_publish_failures_total`
//! and returns. Every
//! committed batch carries the publishing node's sequence number; a subscriber that sees a
//! gap in it (or reconnects after a disconnection, during which it heard nothing) tells its
//! node's sessions to resync from storage ([`Gateway::resync_all`]). Storage is the truth;
//! the bus is only how it gets to sockets fast.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use async_nats::connection::State;
use async_nats::{Client, Event, Subject, Subscriber};
use bytes::Bytes;
use futures_util::{FutureExt, StreamExt};
use tokio::runtime::Handle;
use tokio::sync::watch;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use super::order::{CommitOrder, HOLD};
use super::wire::{self, Batch, CommitPart};
use super::{Bus, Change};
use crate::config::{DEFAULT_NATS_SUBJECT, redact_url};
use crate::gateway::Gateway;
use crate::store::{LocalWaker, Store, Wake};

/// The default longest wait for one publish to get through NATS.
pub const DEFAULT_PUBLISH_TIMEOUT: Duration = Duration::from_secs(2);
/// The default longest wait for the first connection at start-up.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How to reach NATS.
#[derive(Debug, Clone)]
pub struct NatsOptions {
    /// The server URL(s), as async-nats takes them: `nats://host:4222`, `tls://…`,
    /// `nats://user:password@host`, or several separated by commas. May hold credentials:
    /// log it only through [`redact_url`].
    pub url: String,
    /// The subject for changes. Nodes of one cluster must agree; two clusters may share a
    /// NATS server with different subjects.
    pub subject: String,
    /// The longest a publish waits to get through NATS before it is given up (and counted).
    pub publish_timeout: Duration,
    /// The longest the first connection may take at start-up.
    pub connect_timeout: Duration,
}

impl NatsOptions {
    /// The defaults, with the URL given.
    pub fn new(url: impl Into<String>) -> Self {
        NatsOptions {
            url: url.into(),
            subject: DEFAULT_NATS_SUBJECT.to_owned(),
            publish_timeout: DEFAULT_PUBLISH_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }
}

/// Why the bus could not start.
#[derive(Debug, thiserror::Error)]
pub enum NatsError {
    /// NATS did not accept a connection.
    #[error("cannot connect to NATS at {url}: {source}")]
    Connect {
        /// The URL, without credentials.
        url: String,
        /// The cause.
        source: async_nats::ConnectError,
    },
    /// The subscription was refused.
    #[error("cannot subscribe to {subject:?} on NATS at {url}: {source}")]
    Subscribe {
        /// The URL, without credentials.
        url: String,
        /// The subject.
        subject: String,
        /// The cause.
        source: async_nats::SubscribeError,
    },
    /// The subject is not a valid NATS subject for publishing (empty, wildcards, spaces).
    #[error("{0:?} is not a NATS subject (dot-separated tokens, no spaces or wildcards)")]
    Subject(String),
}

/// The NATS bus of one node: publishes this node's commits, and feeds this node's gateway
/// and store from its one subscription. Cloning it is cheap; the subscription ends when the
/// last clone is dropped.
#[derive(Clone)]
pub struct NatsBus {
    shared: Arc<Shared>,
}

struct Shared {
    client: Client,
    subject: Subject,
    /// This node's id on the bus (random per start).
    node: String,
    /// The runtime that drives the client, for publishing from plain threads.
    handle: Handle,
    publish_timeout: Duration,
    /// This node's last sequence number; held while a publish is under way, so that numbers
    /// reach the client in order.
    seq: Mutex<u64>,
    /// The highest of this node's sequence numbers its own subscription has heard back.
    echoed: watch::Receiver<u64>,
    /// While publishing fails: the sequence number of the first batch that did not get
    /// through (0 while it works). Until this node hears back that batch or a later one,
    /// publishes do not wait for their echo (see [`NatsBus::send`]).
    failed_at: AtomicU64,
    /// Where bot wake-ups from other nodes go, once the store is open. Not the store
    /// itself: the store holds this bus, and a cycle would outlive shutdown.
    store: Arc<OnceLock<LocalWaker>>,
    listener: AbortHandle,
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl NatsBus {
    /// Connects, subscribes, and starts the task that feeds `gateway` from the subscription.
    /// Call it within the tokio runtime that serves: the client runs on it, and publishing
    /// from other threads blocks on it.
    ///
    /// Fails if NATS does not accept a connection within the connect timeout; once running,
    /// the client reconnects by itself for as long as it takes.
    pub async fn connect(options: &NatsOptions, gateway: Gateway) -> Result<NatsBus, NatsError> {
        let url = redact_url(&options.url);
        let subject = Subject::from(options.subject.as_str());
        if !valid_subject(&subject) {
            return Err(NatsError::Subject(options.subject.clone()));
        }
        let node = uuid::Uuid::new_v4().simple().to_string();
        // The gateway hears this node's and every other node's commits from the subscription's
        // task, on the runtime: the sessions' tasks write the frames, rather than the gateway
        // holding a runtime thread for thousands of sends (and no backlog tells it when to
        // stop, as the publishing thread does on a single node).
        gateway.write_from_sessions();
        let events_url = url.clone();
        let events_gateway = gateway.clone();
        let disconnected = Arc::new(AtomicBool::new(false));
        let servers: Vec<&str> = options
            .url
            .split(',')
            .map(str::trim)
            .filter(|url| !url.is_empty())
            .collect();
        let client = async_nats::ConnectOptions::new()
            .name(format!("cloudlake {node}"))
            .connection_timeout(options.connect_timeout)
            // Never give up reconnecting: a node without its bus still serves from storage,
            // and should hear the others again as soon as NATS is back.
            .max_reconnects(None)
            // The servers in the order given: see "Order" above.
            .retain_servers_order()
            .event_callback(move |event| {
                on_event(event, &events_url, &events_gateway, &disconnected);
                std::future::ready(())
            })
            // async-nats reads one URL from a string: a list is given to it as a list.
            .connect(servers.as_slice())
            .await
            .map_err(|source| NatsError::Connect {
                url: url.clone(),
                source,
            })?;
        let subscriber =
            client
                .subscribe(subject.clone())
                .await
                .map_err(|source| NatsError::Subscribe {
                    url: url.clone(),
                    subject: options.subject.clone(),
                    source,
                })?;
        let (echo, echoed) = watch::channel(0);
        let store = Arc::new(OnceLock::new());
        let listener = tokio::spawn(listen(
            subscriber,
            node.clone(),
            echo,
            gateway,
            store.clone(),
        ))
        .abort_handle();
        tracing::info!(nats = %url, subject = %subject, node = %node, "connected to the NATS bus");
        Ok(NatsBus {
            shared: Arc::new(Shared {
                client,
                subject,
                node,
                handle: Handle::current(),
                publish_timeout: options.publish_timeout,
                seq: Mutex::new(0),
                echoed,
                failed_at: AtomicU64::new(0),
                store,
                listener,
            }),
        })
    }

    /// Hands bot wake-ups published by other nodes to `store` from now on (the store is
    /// opened after the bus, since the bus is what it publishes on). Wake-ups heard before
    /// are dropped: deliverers look at the whole outbox when they start.
    pub fn deliver_wakes_to(&self, store: &Store) {
        let _ = self.shared.store.set(store.local_waker());
    }

    /// This node's id on the bus.
    pub fn node_id(&self) -> &str {
        &self.shared.node
    }

    /// A bus for frames that are not part of any commit (`send-stream` previews): published
    /// without waiting, from any thread, and dropped if the client's queue is full. They
    /// go through NATS like commits, so that users on every node see them, and through the
    /// same client, so that a preview published before its stream's final message is
    /// committed reaches every node before that message.
    pub fn ephemeral(&self) -> Arc<dyn Bus> {
        Arc::new(Ephemeral(self.shared.clone()))
    }

    /// Publishes one message per payload, in order; then waits until this node's own
    /// subscription has heard the last one back: the server has passed them on.
    ///
    /// Not while publishing fails: once a batch has timed out (a NATS server that stopped
    /// answering with its socket still open), later batches are handed to the client without
    /// waiting for their echo, until this node hears one back. Waiting the timeout for each
    /// would hold the publishing thread, and behind it every live session that waits for it to
    /// settle before registering ([`super::sink::LiveSink::settled`]), for the timeout times
    /// the commits queued. Every node resyncs its sessions over the gap anyway.
    fn send(&self, payloads: Vec<(u64, Bytes)>) {
        let shared = &*self.shared;
        let Some(&(last, _)) = payloads.last() else {
            return;
        };
        let failed_at = shared.failed_at.load(Ordering::Relaxed);
        let mut echoed = shared.echoed.clone();
        if failed_at != 0 && *echoed.borrow() >= failed_at {
            shared.failed_at.store(0, Ordering::Relaxed);
            tracing::info!("publishing on the NATS bus works again");
        }
        let wait_for_echo = shared.failed_at.load(Ordering::Relaxed) == 0;
        let outcome = if shared.client.connection_state() == State::Connected {
            shared.handle.block_on(async {
                tokio::time::timeout(shared.publish_timeout, async {
                    for (_, payload) in payloads {
                        shared
                            .client
                            .publish(shared.subject.clone(), payload)
                            .await
                            .map_err(|e| e.to_string())?;
                    }
                    if !wait_for_echo {
                        return Ok(());
                    }
                    echoed
                        .wait_for(|&heard| heard >= last)
                        .await
                        .map(|_| ())
                        .map_err(|_| "the subscription has stopped".to_owned())
                })
                .await
                .unwrap_or_else(|_| Err("timed out".to_owned()))
            })
        } else {
            // Skipped rather than queued in the client: a backlog sent on reconnect would be
            // stale, and waiting would hold up the writer. The gap in the sequence numbers
            // tells every node (this one too) to resync its sessions.
            Err("not connected".to_owned())
        };
        if let Err(reason) = outcome {
            crate::metrics::metrics().bus_publish_failures.inc();
            let first = shared
                .failed_at
                .compare_exchange(0, last, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok();
            if first {
                tracing::error!(%reason, seq = last, "a batch did not get through the NATS bus; live clients will resync from storage");
            } else {
                tracing::debug!(%reason, seq = last, "a batch did not get through the NATS bus");
            }
        }
    }
}

impl Bus for NatsBus {
    fn publish(&self, changes: Vec<Change>) {
        self.publish_commit(changes, None, None);
    }

    fn publish_wake(&self, wake: &Wake) {
        self.publish_commit(Vec::new(), Some(wake), None);
    }

    /// Blocks until the batch is through NATS (or the publish timeout): call it from a plain
    /// thread, never from an async task (`block_on` panics there).
    fn publish_commit(&self, changes: Vec<Change>, wake: Option<&Wake>, number: Option<i64>) {
        // A numbered commit goes out even with nothing else in it: listeners count on seeing
        // every number.
        if changes.is_empty() && wake.is_none() && number.is_none() {
            return;
        }
        let shared = &*self.shared;
        // Held until the batch is through, so sequence numbers reach NATS in order even if
        // several threads publish.
        let mut seq = shared.seq.lock().unwrap_or_else(|e| e.into_inner());
        let max = Some(shared.client.max_payload())
            .filter(|&m| m > 0)
            .unwrap_or(1024 * 1024);
        let payloads = encode_commit(&shared.node, &mut seq, changes, wake.cloned(), number, max);
        self.send(payloads);
    }
}

/// Room left in each message for the commit's part numbers, which are known only once the
/// commit has been split.
const PART_HEADROOM: usize = 64;

/// Encodes one commit into messages no larger than `max` bytes, each with the next sequence
/// number (and, when numbered, its part of the commit). A commit that fits is encoded once.
fn encode_commit(
    node: &str,
    seq: &mut u64,
    changes: Vec<Change>,
    wake: Option<Wake>,
    number: Option<i64>,
    max: usize,
) -> Vec<(u64, Bytes)> {
    let whole = Batch {
        node: node.to_owned(),
        seq: Some(*seq + 1),
        commit: number.map(|number| CommitPart {
            number,
            part: 0,
            parts: 1,
        }),
        changes,
        wake,
    };
    let payload = wire::encode(&whole);
    if payload.len() <= max {
        *seq += 1;
        return vec![(*seq, payload)];
    }
    let mut pieces = Vec::new();
    let limit = max.saturating_sub(PART_HEADROOM);
    split(node, seq, whole.changes, whole.wake, limit, &mut pieces);
    let parts = u32::try_from(pieces.len()).unwrap_or(u32::MAX);
    pieces
        .into_iter()
        .enumerate()
        .map(|(part, mut batch)| {
            batch.commit = number.map(|number| CommitPart {
                number,
                part: u32::try_from(part).unwrap_or(u32::MAX),
                parts,
            });
            let seq = batch.seq.unwrap_or_default();
            (seq, wire::encode(&batch))
        })
        .collect()
}

/// Halves `changes` (with `wake` going with the last part) until each part encodes within
/// `max` bytes; each part takes the next sequence number. A single change that cannot fit is
/// dropped, with its number: subscribers see the gap and resync.
fn split(
    node: &str,
    seq: &mut u64,
    changes: Vec<Change>,
    wake: Option<Wake>,
    max: usize,
    out: &mut Vec<Batch>,
) {
    *seq += 1;
    let batch = Batch {
        node: node.to_owned(),
        seq: Some(*seq),
        commit: None,
        changes,
        wake,
    };
    let size = wire::encode(&batch).len();
    if size <= max {
        out.push(batch);
        return;
    }
    *seq -= 1;
    let Batch {
        mut changes, wake, ..
    } = batch;
    if changes.len() <= 1 {
        *seq += 1;
        crate::metrics::metrics().bus_publish_failures.inc();
        tracing::error!(
            bytes = size,
            max,
            "a change is larger than NATS's max_payload; it is left out and clients resync"
        );
        if !changes.is_empty()
            && let Some(wake) = wake
        {
            split(node, seq, Vec::new(), Some(wake), max, out);
        }
        return;
    }
    let second = changes.split_off(changes.len() / 2);
    split(node, seq, changes, None, max, out);
    split(node, seq, second, wake, max, out);
}

/// See [`NatsBus::ephemeral`].
struct Ephemeral(Arc<Shared>);

impl Bus for Ephemeral {
    fn publish(&self, changes: Vec<Change>) {
        let shared = &*self.0;
        let payload = wire::encode(&Batch {
            node: shared.node.clone(),
            seq: None,
            commit: None,
            changes,
            wake: None,
        });
        // Polled once, never awaited: this may run on an async task. If the client's queue
        // has room the message is in it, in order with everything published before; if not
        // (or tokio's cooperative budget says "later"), a preview is lost, which only means
        // the next one shows a little more text at once.
        match shared
            .client
            .publish(shared.subject.clone(), payload)
            .now_or_never()
        {
            Some(Ok(())) => {}
            Some(Err(e)) => tracing::debug!(error = %e, "an ephemeral frame was not published"),
            None => tracing::debug!("the NATS client is busy; an ephemeral frame is dropped"),
        }
    }
}

/// The subscription's task: every message to the gateway in the cluster's commit order
/// ([`CommitOrder`]), wake-ups to the store, and a resync when messages were lost.
async fn listen(
    mut subscriber: Subscriber,
    me: String,
    echo: watch::Sender<u64>,
    gateway: Gateway,
    store: Arc<OnceLock<LocalWaker>>,
) {
    // The last sequence number heard from each node. (One entry per node start: a handful
    // of strings over a cluster's life.)
    let mut last: HashMap<String, u64> = HashMap::new();
    let mut order = CommitOrder::new();
    let deliver = |batch: Batch| deliver(batch, &me, &gateway, &store);
    loop {
        let heard = match order.deadline() {
            None => subscriber.next().await,
            Some(deadline) => tokio::select! {
                heard = subscriber.next() => heard,
                () = tokio::time::sleep_until(deadline) => {
                    tracing::warn!(
                        waited_ms = HOLD.as_millis() as u64,
                        "a commit did not arrive over the NATS bus; live sessions resync"
                    );
                    crate::metrics::metrics().bus_resyncs.inc();
                    gateway.resync_all();
                    order.skip(Instant::now()).into_iter().for_each(deliver);
                    continue;
                }
            },
        };
        // Ends only when the client is closed: async-nats re-subscribes after a reconnect.
        let Some(message) = heard else { break };
        let batch = match wire::decode(message.payload) {
            Ok(batch) => batch,
            Err(e) => {
                tracing::warn!(error = %e, "an unreadable message on the NATS bus is ignored");
                continue;
            }
        };
        if let Some(seq) = batch.seq {
            match last.insert(batch.node.clone(), seq) {
                Some(previous) if seq != previous + 1 => {
                    tracing::warn!(
                        node = %batch.node,
                        expected = previous + 1,
                        heard = seq,
                        "messages were lost on the NATS bus; live sessions resync"
                    );
                    crate::metrics::metrics().bus_resyncs.inc();
                    gateway.resync_all();
                }
                _ => {}
            }
            // The echo says "the server has it", which is all the publishing writer waits
            // for: not for earlier commits of other nodes still on their way over a route.
            if batch.node == me {
                echo.send_if_modified(|heard| {
                    let newer = seq > *heard;
                    if newer {
                        *heard = seq;
                    }
                    newer
                });
            }
        }
        match batch.commit {
            Some(part) => order
                .take(part, batch, Instant::now())
                .into_iter()
                .for_each(deliver),
            None => deliver(batch),
        }
    }
    tracing::warn!("the NATS subscription has ended: this node no longer hears the bus");
}

/// One bus message's changes to the gateway, and its wake-up (another node's) to the store.
fn deliver(batch: Batch, me: &str, gateway: &Gateway, store: &OnceLock<LocalWaker>) {
    if !batch.changes.is_empty() {
        let changes = batch.changes;
        // A panic while routing one message must not end the node's only subscription.
        if catch_unwind(AssertUnwindSafe(|| gateway.publish(changes))).is_err() {
            tracing::error!("routing a message from the NATS bus panicked");
        }
    }
    // The node that committed has woken its own deliverers already.
    if let Some(wake) = batch.wake
        && batch.node != me
        && let Some(waker) = store.get()
    {
        waker.wake(wake);
    }
}

/// Logs the client's connection events; after a disconnection, the node heard nothing for a
/// while: its sessions resync.
fn on_event(event: Event, url: &str, gateway: &Gateway, disconnected: &AtomicBool) {
    match event {
        Event::Disconnected => {
            disconnected.store(true, Ordering::Relaxed);
            tracing::error!(nats = %url, "disconnected from NATS; reconnecting");
        }
        Event::Connected => {
            if disconnected.swap(false, Ordering::Relaxed) {
                tracing::info!(nats = %url, "reconnected to NATS; live sessions resync");
                crate::metrics::metrics().bus_resyncs.inc();
                gateway.resync_all();
            }
        }
        Event::SlowConsumer(_) => {
            // Messages were dropped for this subscription; the sequence gap will show it too.
            tracing::warn!(nats = %url, "this node fell behind the NATS bus; live sessions resync");
            crate::metrics::metrics().bus_resyncs.inc();
            gateway.resync_all();
        }
        Event::Closed => tracing::warn!(nats = %url, "the NATS connection is closed"),
        other => tracing::warn!(nats = %url, event = %other, "NATS"),
    }
}

/// Whether `subject` can be published on: dot-separated non-empty tokens, no wildcards or
/// whitespace.
fn valid_subject(subject: &str) -> bool {
    !subject.is_empty()
        && subject.split('.').all(|token| {
            !token.is_empty()
                && token != "*"
                && token != ">"
                && !token.chars().any(|c| c.is_whitespace())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_checked() {
        assert!(valid_subject("cloudlake.changes"));
        assert!(!valid_subject(""));
        assert!(!valid_subject("a..b"));
        assert!(!valid_subject("a.*"));
        assert!(!valid_subject("a b"));
    }

    #[test]
    fn an_oversized_commit_is_split_in_order_with_its_parts_and_the_wake_last() {
        let frame = |cursor: i64| Change::Chat {
            cursor,
            chat_key: "g:1".into(),
            frame: super::super::frame::Frame::Encoded(Arc::from("x".repeat(300))),
        };
        let mut seq = 4;
        let wake = Wake {
            bots: vec!["b1".into()],
            dispatcher: false,
        };
        let out = encode_commit(
            "n",
            &mut seq,
            (1..=8).map(frame).collect(),
            Some(wake.clone()),
            Some(77),
            1000,
        );
        assert!(out.len() > 1);
        assert_eq!(seq, 4 + out.len() as u64);
        let mut cursors = Vec::new();
        for (i, (n, payload)) in out.iter().enumerate() {
            assert!(payload.len() <= 1000);
            let batch = wire::decode(payload.clone()).expect("decodes");
            assert_eq!(batch.seq, Some(*n));
            assert_eq!(*n, 5 + i as u64);
            assert_eq!(
                batch.commit,
                Some(CommitPart {
                    number: 77,
                    part: i as u32,
                    parts: out.len() as u32
                })
            );
            let last = i == out.len() - 1;
            assert_eq!(batch.wake.as_ref(), last.then_some(&wake));
            for change in batch.changes {
                if let Change::Chat { cursor, .. } = change {
                    cursors.push(cursor);
                }
            }
        }
        assert_eq!(cursors, (1..=8).collect::<Vec<_>>());

        // One that fits is one message, part 0 of 1.
        let out = encode_commit("n", &mut seq, vec![frame(9)], None, Some(78), 1000);
        assert_eq!(out.len(), 1);
        let batch = wire::decode(out[0].1.clone()).expect("decodes");
        assert_eq!(
            batch.commit,
            Some(CommitPart {
                number: 78,
                part: 0,
                parts: 1
            })
        );
    }
}
