//! The gateway: which live sessions see which chats, and fan-out of committed changes to them.
//!
//! Each session has a bounded queue: a channel its task drains ([`Gateway::connect`]), or for
//! a live socket the socket itself, which the fan-out writes to directly while it has room and
//! a bounded backlog behind it ([`DirectSink`], [`Gateway::connect_direct`]). Fan-out never
//! waits: a frame that does not fit marks the session as lagging and every later frame for it
//! is dropped, so a slow client never slows the writer or anyone else. The session then tells
//! its client to resync from the last cursor it delivered, and the client's reconnect replays
//! the gap from storage.
//!
//! A frame for many sessions ([`SPLIT_AT`]) is written by two threads, each taking half the
//! sessions; both finish before the next change, so each session still gets its frames in
//! order. (A thread is spawned for it: ~20 µs against ≥ 512 `send`s of ~7 µs.)

pub mod ws;

use crate::bus::frame::Frame;
use axum::extract::ws::Utf8Bytes;
use bytes::Bytes;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockWriteGuard};

use tokio::sync::mpsc;

use crate::bus::{Bus, Change};

/// A frame for this many sessions or more is fanned out by two threads at once.
const SPLIT_AT: usize = 512;

/// How many frames may wait for one session before it counts as lagging.
pub const SESSION_QUEUE: usize = 1024;

/// What a session's queue carries.
#[derive(Debug, Clone)]
pub enum Outbound {
    /// A frame; `cursor` is set for chat-log frames, which a session sends only once.
    Frame {
        /// The change log position, if the frame has one.
        cursor: Option<i64>,
        /// The encoded frame: one allocation per change, shared by every recipient's queue
        /// and handed to the socket as is (no copy per recipient).
        text: Utf8Bytes,
    },
    /// The session must end (its user was deleted, their token or password changed, or the
    /// sign-in session it was opened with ended).
    Close,
}

/// The live-session registry. Cloning it is cheap.
#[derive(Clone, Default)]
pub struct Gateway {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    routes: RwLock<Routes>,
    next_id: AtomicU64,
    /// More commits wait to be fanned out ([`Bus::backlog`]): sessions' tasks write.
    behind: AtomicBool,
    /// Sessions' tasks always write ([`Gateway::write_from_sessions`]).
    from_sessions: AtomicBool,
}

#[derive(Default)]
struct Routes {
    by_chat: HashMap<String, HashMap<u64, Arc<Link>>>,
    by_user: HashMap<String, HashMap<u64, Arc<Link>>>,
}

impl Routes {
    fn links_of(&self, user_id: &str) -> Vec<Arc<Link>> {
        self.by_user
            .get(user_id)
            .map(|s| s.values().cloned().collect())
            .unwrap_or_default()
    }
}

/// A session that takes its frames as they are fanned out, on the fan-out's thread, instead of
/// from a queue its task drains: the user's live socket ([`crate::api`]), which writes each
/// frame to the network at once when the socket has room. Waking a task per delivery, taking
/// the frame from its queue and framing it again was about a third of the server's CPU per
/// delivery at 100,000 deliveries/s (BENCHMARKS.md, fan-out).
pub trait DirectSink: Send + Sync {
    /// Takes one WebSocket frame (`frame`, already framed, shared by every recipient) with its
    /// chat-log cursor if it has one. `false`: no room, frames would be lost; the gateway then
    /// marks the session lagging, offers it nothing more and [`alerts`](Self::alert) it.
    /// `now`: write it at once if nothing waits before it; otherwise leave the writing to
    /// the session's task (when the fan-out is behind: the task then writes several frames
    /// at a time).
    fn offer(&self, cursor: Option<i64>, frame: &Bytes, now: bool) -> bool;
    /// The session's flags changed (it lags, or its credential was revoked): its task must
    /// look at them.
    fn alert(&self);
}

/// Where a session's frames go.
enum Sink {
    /// A queue its task drains.
    Queue(mpsc::Sender<Outbound>),
    /// Straight to the session's socket.
    Direct(Arc<dyn DirectSink>),
}

/// The gateway's end of one session.
struct Link {
    id: u64,
    user_id: String,
    /// The hash of the credential the socket was opened with: sign-out ends only the sockets
    /// of the session signed out of, not the user's other devices.
    credential: Option<[u8; 32]>,
    sink: Sink,
    lagging: AtomicBool,
    /// Its credential was revoked: it ends (with the revocation's close code) even when its
    /// queue had no room for the [`Outbound::Close`].
    closed: AtomicBool,
    chats: RwLock<HashSet<String>>,
}

impl Link {
    /// Offers a frame; `framed` is its WebSocket framing, for direct sinks, which write it
    /// at once if `now`.
    fn offer(&self, cursor: Option<i64>, text: &Utf8Bytes, framed: &Bytes, now: bool) {
        if self.lagging.load(Ordering::Acquire) {
            return;
        }
        match &self.sink {
            Sink::Queue(queue) => {
                let item = Outbound::Frame {
                    cursor,
                    text: text.clone(),
                };
                if let Err(mpsc::error::TrySendError::Full(_)) = queue.try_send(item) {
                    self.lagging.store(true, Ordering::Release);
                }
            }
            Sink::Direct(sink) => {
                if !sink.offer(cursor, framed, now) {
                    self.lagging.store(true, Ordering::Release);
                    sink.alert();
                }
            }
        }
    }

    /// Tells the session to look at its flags: an empty frame in its queue (never written:
    /// the session checks `lagging` first; if the queue is full, it has items to take
    /// anyway), or an alert.
    fn alert(&self) {
        match &self.sink {
            Sink::Queue(queue) => {
                let _ = queue.try_send(Outbound::Frame {
                    cursor: None,
                    text: Utf8Bytes::from_static(""),
                });
            }
            Sink::Direct(sink) => sink.alert(),
        }
    }
}

/// A registered session: its queue's receiving end lives with the socket task. Dropping it
/// unregisters the session.
pub struct Session {
    gateway: Gateway,
    link: Arc<Link>,
}

impl Gateway {
    /// A gateway with no sessions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a session for `user_id`, subscribed to nothing yet. It is registered under
    /// its user first, so membership changes committed from now on already reach it.
    pub fn connect(&self, user_id: &str) -> (Session, mpsc::Receiver<Outbound>) {
        self.connect_with(user_id, None)
    }

    /// [`Gateway::connect`] for a socket opened with the credential whose hash is
    /// `credential`: a [`Change::UserClosed`] naming that hash ends it (sign-out).
    pub fn connect_with(
        &self,
        user_id: &str,
        credential: Option<[u8; 32]>,
    ) -> (Session, mpsc::Receiver<Outbound>) {
        let (queue, receiver) = mpsc::channel(SESSION_QUEUE);
        let session = self.register(user_id, credential, Sink::Queue(queue));
        (session, receiver)
    }

    /// [`Gateway::connect_with`] for a session whose frames go to `sink` as they are fanned
    /// out.
    pub fn connect_direct(
        &self,
        user_id: &str,
        credential: Option<[u8; 32]>,
        sink: Arc<dyn DirectSink>,
    ) -> Session {
        self.register(user_id, credential, Sink::Direct(sink))
    }

    fn register(&self, user_id: &str, credential: Option<[u8; 32]>, sink: Sink) -> Session {
        let link = Arc::new(Link {
            id: self.inner.next_id.fetch_add(1, Ordering::Relaxed),
            user_id: user_id.to_owned(),
            credential,
            sink,
            lagging: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            chats: RwLock::new(HashSet::new()),
        });
        self.routes()
            .by_user
            .entry(user_id.to_owned())
            .or_default()
            .insert(link.id, link.clone());
        Session {
            gateway: self.clone(),
            link,
        }
    }

    /// From now on the sessions' tasks write every frame to their sockets, not the thread
    /// that fans it out: for a gateway fed from a task on the runtime (the NATS bus's
    /// subscription), which must not be held by thousands of sends.
    pub fn write_from_sessions(&self) {
        self.inner.from_sessions.store(true, Ordering::Relaxed);
    }

    /// How many sessions are connected.
    pub fn session_count(&self) -> usize {
        self.inner
            .routes
            .read()
            .map(|r| r.by_user.values().map(HashMap::len).sum())
            .unwrap_or(0)
    }

    /// Tells every session to resync from storage: the node may have missed changes (the NATS
    /// bus lost messages, see [`crate::bus::nats`]). Each session ends with a `resync` frame
    /// at the last cursor it delivered, and its client's reconnect replays the gap.
    pub fn resync_all(&self) {
        let routes = self
            .inner
            .routes
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for link in routes.by_user.values().flat_map(HashMap::values) {
            link.lagging.store(true, Ordering::Release);
            link.alert();
        }
    }

    fn routes(&self) -> RwLockWriteGuard<'_, Routes> {
        // A panic while holding the lock leaves plain maps that are still consistent enough
        // to use; recover rather than take every live session down.
        self.inner
            .routes
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn subscribe(routes: &mut Routes, link: &Arc<Link>, chat_key: &str) {
        if let Ok(mut chats) = link.chats.write() {
            chats.insert(chat_key.to_owned());
        }
        routes
            .by_chat
            .entry(chat_key.to_owned())
            .or_default()
            .insert(link.id, link.clone());
    }

    fn unsubscribe(routes: &mut Routes, link: &Link, chat_key: &str) {
        if let Ok(mut chats) = link.chats.write() {
            chats.remove(chat_key);
        }
        if let Some(sessions) = routes.by_chat.get_mut(chat_key) {
            sessions.remove(&link.id);
            if sessions.is_empty() {
                routes.by_chat.remove(chat_key);
            }
        }
    }

    /// Offers a frame to every session subscribed to `chat_key` (only `only_user`'s, when set).
    fn fan_out(&self, chat_key: &str, only_user: Option<&str>, cursor: Option<i64>, frame: &Frame) {
        let routes = self
            .inner
            .routes
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(sessions) = routes.by_chat.get(chat_key) else {
            return;
        };
        let mut links = sessions
            .values()
            .filter(|link| only_user.is_none_or(|u| u == link.user_id))
            .peekable();
        if links.peek().is_none() {
            return;
        }
        // Encoded and framed once, shared by every recipient.
        let text = match frame.encode_shared() {
            Ok(text) => text,
            Err(e) => {
                tracing::error!(error = %e, chat = chat_key, "a live frame does not encode");
                return;
            }
        };
        let framed = ws::text_frame(text.as_bytes());
        // Behind, each frame is handed to the sessions' tasks, which write what accumulated
        // together: at 150,000 deliveries/s on two cores, writing each frame at once (one
        // `send` per frame, however far behind) fell further and further behind, where
        // batched writes kept up (BENCHMARKS.md, fan-out).
        let now = !(self.inner.behind.load(Ordering::Relaxed)
            || self.inner.from_sessions.load(Ordering::Relaxed));
        let offer = |links: &mut dyn Iterator<Item = &Arc<Link>>| {
            for link in links {
                link.offer(cursor, &text, &framed, now);
            }
        };
        // Collected only to be split: a small chat's frame allocates nothing per recipient,
        // nor does a frame for one user's sessions in a big chat.
        if now && only_user.is_none() && sessions.len() >= SPLIT_AT {
            let links: Vec<&Arc<Link>> = links.collect();
            let (first, second) = links.split_at(links.len() / 2);
            std::thread::scope(|scope| {
                scope.spawn(|| offer(&mut second.iter().copied()));
                offer(&mut first.iter().copied());
            });
        } else {
            offer(&mut links);
        }
    }

    fn dispatch(&self, change: Change) {
        match change {
            Change::Chat {
                cursor,
                chat_key,
                frame,
            } => self.fan_out(&chat_key, None, Some(cursor), &frame),
            Change::ChatState {
                chat_key,
                only_user,
                frame,
            } => self.fan_out(
                &chat_key,
                only_user.as_deref(),
                None,
                &Frame::Encoded(frame),
            ),
            Change::Joined { user_id, chat_key } => {
                let mut routes = self.routes();
                for link in routes.links_of(&user_id) {
                    Self::subscribe(&mut routes, &link, &chat_key);
                }
            }
            Change::Left { user_id, chat_key } => {
                let mut routes = self.routes();
                for link in routes.links_of(&user_id) {
                    Self::unsubscribe(&mut routes, &link, &chat_key);
                }
            }
            Change::ChatClosed { chat_key } => {
                let mut routes = self.routes();
                if let Some(sessions) = routes.by_chat.remove(&chat_key) {
                    for link in sessions.values() {
                        if let Ok(mut chats) = link.chats.write() {
                            chats.remove(&chat_key);
                        }
                    }
                }
            }
            Change::UserClosed { user_id, session } => {
                let routes = self
                    .inner
                    .routes
                    .read()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if let Some(sessions) = routes.by_user.get(&user_id) {
                    let ended = sessions.values().filter(|link| match &session {
                        Some(hash) => link.credential.as_ref() == Some(hash),
                        None => true,
                    });
                    for link in ended {
                        link.closed.store(true, Ordering::Release);
                        link.lagging.store(true, Ordering::Release);
                        // Not `offer`: closing must get through even to a lagging session.
                        match &link.sink {
                            Sink::Queue(queue) => {
                                let _ = queue.try_send(Outbound::Close);
                            }
                            Sink::Direct(sink) => sink.alert(),
                        }
                    }
                }
            }
        }
    }
}

impl Bus for Gateway {
    fn publish(&self, changes: Vec<Change>) {
        for change in changes {
            self.dispatch(change);
        }
    }

    fn backlog(&self, more_waiting: bool) {
        self.inner.behind.store(more_waiting, Ordering::Relaxed);
    }
}

impl Session {
    /// Subscribes the session to these chats (idempotent).
    pub fn subscribe(&self, chat_keys: impl IntoIterator<Item = String>) {
        let mut routes = self.gateway.routes();
        for key in chat_keys {
            Gateway::subscribe(&mut routes, &self.link, &key);
        }
    }

    /// Drops every subscription not in `chat_keys`: after a second read of the user's chats,
    /// this undoes a subscription to a chat the user left while the session was starting.
    pub fn retain(&self, chat_keys: &HashSet<String>) {
        let mut routes = self.gateway.routes();
        let current: Vec<String> = self
            .link
            .chats
            .read()
            .map(|c| c.iter().cloned().collect())
            .unwrap_or_default();
        for key in current.iter().filter(|k| !chat_keys.contains(*k)) {
            Gateway::unsubscribe(&mut routes, &self.link, key);
        }
    }

    /// Whether frames were dropped for this session: it must resync.
    pub fn is_lagging(&self) -> bool {
        self.link.lagging.load(Ordering::Acquire)
    }

    /// Whether the session's credential was revoked: it must end, not resync.
    pub fn is_closed(&self) -> bool {
        self.link.closed.load(Ordering::Acquire)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let mut routes = self.gateway.routes();
        let chats: Vec<String> = self
            .link
            .chats
            .read()
            .map(|c| c.iter().cloned().collect())
            .unwrap_or_default();
        for key in chats {
            Gateway::unsubscribe(&mut routes, &self.link, &key);
        }
        if let Some(sessions) = routes.by_user.get_mut(&self.link.user_id) {
            sessions.remove(&self.link.id);
            if sessions.is_empty() {
                routes.by_user.remove(&self.link.user_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(cursor: i64, chat: &str) -> Change {
        Change::Chat {
            cursor,
            chat_key: chat.into(),
            frame: Frame::Encoded(Arc::from(format!("f{cursor}"))),
        }
    }

    #[test]
    fn frames_reach_only_subscribers_of_the_chat() {
        let gateway = Gateway::new();
        let (alice, mut alice_rx) = gateway.connect("alice");
        let (_bob, mut bob_rx) = gateway.connect("bob");
        alice.subscribe(["g:1".to_owned()]);
        gateway.publish(vec![frame(1, "g:1"), frame(2, "g:2")]);
        assert!(matches!(
            alice_rx.try_recv(),
            Ok(Outbound::Frame {
                cursor: Some(1),
                ..
            })
        ));
        assert!(alice_rx.try_recv().is_err());
        assert!(bob_rx.try_recv().is_err());
    }

    #[test]
    fn joins_and_leaves_change_live_subscriptions_in_order() {
        let gateway = Gateway::new();
        let (_s, mut rx) = gateway.connect("alice");
        gateway.publish(vec![
            frame(1, "g:1"),
            Change::Joined {
                user_id: "alice".into(),
                chat_key: "g:1".into(),
            },
            frame(2, "g:1"),
            Change::Left {
                user_id: "alice".into(),
                chat_key: "g:1".into(),
            },
            frame(3, "g:1"),
        ]);
        assert!(matches!(
            rx.try_recv(),
            Ok(Outbound::Frame {
                cursor: Some(2),
                ..
            })
        ));
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn a_full_queue_marks_the_session_lagging_and_drops_everything_after() {
        let gateway = Gateway::new();
        let (session, mut rx) = gateway.connect("alice");
        session.subscribe(["g:1".to_owned()]);
        let burst: Vec<Change> = (1..=(SESSION_QUEUE as i64 + 10))
            .map(|c| frame(c, "g:1"))
            .collect();
        gateway.publish(burst);
        assert!(session.is_lagging());
        // Draining makes room, but nothing after the gap may slip in.
        while rx.try_recv().is_ok() {}
        gateway.publish(vec![frame(5000, "g:1")]);
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn a_closed_sign_in_session_ends_only_the_sockets_opened_with_it() {
        let gateway = Gateway::new();
        let (a, mut a_rx) = gateway.connect_with("alice", Some([1; 32]));
        let (b, mut b_rx) = gateway.connect_with("alice", Some([2; 32]));
        let (t, mut t_rx) = gateway.connect("alice");
        gateway.publish(vec![Change::UserClosed {
            user_id: "alice".into(),
            session: Some([1; 32]),
        }]);
        assert!(matches!(a_rx.try_recv(), Ok(Outbound::Close)));
        assert!(a.is_closed() && !b.is_closed() && !t.is_closed());
        assert!(b_rx.try_recv().is_err() && t_rx.try_recv().is_err());
        gateway.publish(vec![Change::UserClosed {
            user_id: "alice".into(),
            session: None,
        }]);
        assert!(matches!(b_rx.try_recv(), Ok(Outbound::Close)));
        assert!(matches!(t_rx.try_recv(), Ok(Outbound::Close)));
    }

    #[test]
    fn dropping_a_session_unregisters_it() {
        let gateway = Gateway::new();
        let (session, _rx) = gateway.connect("alice");
        session.subscribe(["g:1".to_owned(), "p:b:alice".to_owned()]);
        assert_eq!(gateway.session_count(), 1);
        drop(session);
        assert_eq!(gateway.session_count(), 0);
        let routes = gateway.inner.routes.read().unwrap();
        assert!(routes.by_chat.is_empty() && routes.by_user.is_empty());
    }
}
