//! The webhook dispatcher: finds bots with events due and runs one delivery task per such
//! bot.
//!
//! Isolation: each bot's events go through its own task, one attempt in flight at a time, so
//! a slow or dead endpoint only ever holds up its own bot. Order: a bot's due events are sent
//! oldest first; an event waiting for a retry does not hold back the ones after it (strict
//! order would let one bad event block a bot for the 30 hours of the schedule).
//!
//! Delivery is at least once: outcomes are committed a page (or [`RECORD_EVERY`]) at a time,
//! so a crash can re-send the last few deliveries, with the same `webhook-id` (receivers
//! de-duplicate on it, as Standard Webhooks intends).
//!
//! Waking: the store bumps a signal after every commit that made events deliverable; the
//! supervisor also wakes for the earliest scheduled retry, and polls slowly as a safety net.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use super::DeliveryConfig;
use super::lease::Leases;
use super::schedule::next_attempt_at;
use super::webhook::{Outcome, WebhookClient};
use crate::clock::now_ms;
use crate::store::{Attempted, Store, StoreError};

/// How many due events a bot's task reads at a time.
const PAGE: u32 = 32;
/// Outcomes are recorded a page at a time, but never held longer than this. Measured here
/// (release, 2000 queued events, one bot, loopback receiver): one commit per event gave
/// ~330 deliveries/s with `synchronous=FULL` and ~1,500/s with NORMAL; per page, ~3,800/s
/// and ~9,200/s.
const RECORD_EVERY: Duration = Duration::from_millis(250);

/// Which bots have a delivery task, and whether it must look again before it ends (set when
/// new work appeared while it ran, so nothing is missed between its last read and its end).
type Active = Arc<Mutex<HashMap<String, bool>>>;

/// Runs until `shutdown` turns true; then stops every delivery task. An attempt cut short
/// leaves its event pending: it is sent again (same `webhook-id`) after the restart.
pub(crate) async fn run(
    store: Store,
    client: WebhookClient,
    config: Arc<DeliveryConfig>,
    leases: Arc<Leases>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut signal = store.event_signal();
    let active: Active = Arc::default();
    let mut tasks = JoinSet::new();
    // Which bot each task serves, so a task that panicked can be cleared and started again.
    let mut task_bots: HashMap<tokio::task::Id, String> = HashMap::new();
    while !*shutdown.borrow() {
        let now = now_ms();
        let next = match store.due_webhook_bots(now).await {
            Ok((due, next)) => {
                let mut map = active.lock().unwrap_or_else(|e| e.into_inner());
                for bot in due {
                    if leases.elsewhere(&bot) {
                        continue;
                    }
                    if let Some(again) = map.get_mut(&bot) {
                        *again = true;
                        continue;
                    }
                    map.insert(bot.clone(), false);
                    let handle = tasks.spawn(bot_task(
                        bot.clone(),
                        Deliverer {
                            store: store.clone(),
                            client: client.clone(),
                            config: config.clone(),
                            leases: leases.clone(),
                        },
                        active.clone(),
                    ));
                    task_bots.insert(handle.id(), bot);
                }
                next
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not read due events; trying again later");
                None
            }
        };
        while let Some(done) = tasks.try_join_next_with_id() {
            match done {
                Ok((id, ())) => {
                    task_bots.remove(&id);
                }
                Err(e) => {
                    if let Some(bot) = task_bots.remove(&e.id()) {
                        tracing::error!(bot = %bot, "a delivery task panicked; it restarts");
                        active
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .remove(&bot);
                    }
                }
            }
        }
        let wait = next
            .map(|at| Duration::from_millis(u64::try_from(at - now).unwrap_or(0)))
            .map_or(config.poll_interval, |w| w.min(config.poll_interval));
        tokio::select! {
            woken = signal.recv() => if matches!(woken, Err(RecvError::Closed)) { break },
            () = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => {}
        }
        // One scan answers every wake-up queued meanwhile.
        while matches!(signal.try_recv(), Ok(_) | Err(TryRecvError::Lagged(_))) {}
    }
    tasks.shutdown().await;
    leases.release_all().await;
}

/// What a bot's delivery task works with.
struct Deliverer {
    store: Store,
    client: WebhookClient,
    config: Arc<DeliveryConfig>,
    leases: Arc<Leases>,
}

async fn bot_task(bot_id: String, deliverer: Deliverer, active: Active) {
    // Whether new work appeared for the bot; clears the mark.
    let look_again = || {
        let mut map = active.lock().unwrap_or_else(|e| e.into_inner());
        map.get_mut(&bot_id)
            .is_some_and(|again| std::mem::replace(again, false))
    };
    loop {
        if let Err(e) = deliver_due(&bot_id, &deliverer).await {
            tracing::warn!(bot = %bot_id, error = %e, "event delivery paused by a storage error");
        }
        if look_again() {
            continue;
        }
        // Nothing due: give the bot's lease up, so that its deliverer on another node (its
        // WebSocket there, say) can take over at once. The bot is still marked active here
        // meanwhile, so no second task of this node can send without the lease.
        deliverer.leases.release(&bot_id).await;
        let mut map = active.lock().unwrap_or_else(|e| e.into_inner());
        match map.get_mut(&bot_id) {
            Some(again) if *again => *again = false,
            _ => {
                map.remove(&bot_id);
                return;
            }
        }
    }
}

/// Outcomes being committed while the next page is sent, and the events they are for (which
/// a read made meanwhile still sees as pending, and must skip).
struct Recording {
    ids: HashSet<i64>,
    commit: JoinHandle<Result<(), StoreError>>,
}

impl Recording {
    fn start(store: &Store, outcomes: Vec<(i64, Attempted)>) -> Self {
        let ids = outcomes.iter().map(|(id, _)| *id).collect();
        let dead = outcomes
            .iter()
            .filter(|(_, outcome)| matches!(outcome, Attempted::Dead { .. }))
            .count();
        let store = store.clone();
        Recording {
            ids,
            // A task of its own: the commit goes on while the next page is sent, and still
            // completes if this bot's delivery task is stopped at shutdown.
            commit: tokio::spawn(async move {
                store.record_attempts(outcomes).await?;
                // Counted once committed: the metric never runs ahead of the outbox depth.
                crate::metrics::metrics()
                    .webhook_dead_letters
                    .inc_by(dead as u64);
                Ok(())
            }),
        }
    }

    async fn finish(self) -> Result<(), StoreError> {
        self.commit.await.map_err(|_| StoreError::TaskPanicked)?
    }
}

/// Sends every event of the bot that is due, oldest first, one at a time, until none is.
///
/// Pipelined: a page's outcomes are committed while the next page is sent (the commit, with
/// `synchronous=FULL` an fsync, took as long as sending the page did; see BENCHMARKS.md). At
/// most one page's outcomes are uncommitted at a time, and sending stays strictly one event
/// after another.
async fn deliver_due(bot_id: &str, deliverer: &Deliverer) -> Result<(), StoreError> {
    let mut recording: Option<Recording> = None;
    let result = deliver_pages(bot_id, deliverer, &mut recording).await;
    // Whatever happened, what was sent is recorded before the task looks again or ends.
    let recorded = match recording.take() {
        Some(r) => r.finish().await,
        None => Ok(()),
    };
    result.and(recorded)
}

async fn deliver_pages(
    bot_id: &str,
    deliverer: &Deliverer,
    recording: &mut Option<Recording>,
) -> Result<(), StoreError> {
    let Deliverer {
        store,
        client,
        config,
        leases,
    } = deliverer;
    loop {
        let Some(sub) = store.subscription(bot_id.to_owned()).await? else {
            return Ok(());
        };
        // Cleared meanwhile: the events wait for the bot WebSocket.
        let Some(url) = sub.webhook_url.clone() else {
            return Ok(());
        };
        // The lease is held before the page is read, not only before each event is sent:
        // a page read while another node held the bot can list events that node sends and
        // records meanwhile; once it has let go, sending from that stale page would deliver
        // them twice. (A node releases only after its outcomes are committed, so a page read
        // under the lease is current.) Seen once in the cluster test's CI runs.
        if !leases.hold(bot_id).await? {
            return Ok(());
        }
        let skip = recording.as_ref().map_or(0, |r| r.ids.len());
        let due: Vec<_> = store
            .pending_events(bot_id.to_owned(), Some(now_ms()), PAGE + skip as u32)
            .await?
            .into_iter()
            .filter(|e| !recording.as_ref().is_some_and(|r| r.ids.contains(&e.id)))
            .take(PAGE as usize)
            .collect();
        if due.is_empty() {
            match recording.take() {
                // Once it is committed, an event retried at once may be due again: look again.
                Some(r) => {
                    r.finish().await?;
                    continue;
                }
                None => return Ok(()),
            }
        }
        // The URL is checked once per page, not per event (with a host name, that check is a
        // DNS lookup; connections are still guarded by the resolver).
        let target = client.check(&url).await;
        let metrics = crate::metrics::metrics();
        let mut outcomes = Vec::with_capacity(due.len());
        let mut oldest: Option<Instant> = None;
        let mut lost = false;
        for event in due {
            // Another node took the bot over (this one stalled past its lease): stop here.
            if !leases.hold(bot_id).await? {
                lost = true;
                break;
            }
            let outcome = if !sub.wants(&event.event_type) {
                Attempted::Skipped
            } else {
                metrics.webhook_attempts.inc();
                let sent = match &target {
                    Ok(url) => client.post_to(url.clone(), &sub.secret, &event).await,
                    Err(refused) => refused.clone(),
                };
                match sent {
                    Outcome::Delivered => Attempted::Delivered,
                    Outcome::Refused(error) => {
                        metrics.webhook_failures.inc();
                        tracing::warn!(bot = %bot_id, event = %event.event_id, %error, "webhook refused; dead letter");
                        Attempted::Dead { error }
                    }
                    Outcome::Failed { error, retry_after } => {
                        metrics.webhook_failures.inc();
                        let made = event.attempts.saturating_add(1);
                        match next_attempt_at(&config.retry_schedule, made, retry_after, now_ms()) {
                            Some(at) => Attempted::Retry { at, error },
                            None => {
                                tracing::warn!(bot = %bot_id, event = %event.event_id, %error, attempts = made, "webhook failed for the last time; dead letter");
                                Attempted::Dead { error }
                            }
                        }
                    }
                }
            };
            outcomes.push((event.id, outcome));
            let first = *oldest.get_or_insert_with(Instant::now);
            if first.elapsed() >= RECORD_EVERY {
                // A slow receiver: record what is done so far, so a crash re-sends little.
                if let Some(r) = recording.take() {
                    r.finish().await?;
                }
                *recording = Some(Recording::start(store, std::mem::take(&mut outcomes)));
                oldest = None;
            }
        }
        // The previous page's commit has had this whole page to finish.
        if let Some(r) = recording.take() {
            r.finish().await?;
        }
        if !outcomes.is_empty() {
            *recording = Some(Recording::start(store, outcomes));
        }
        if lost {
            return Ok(());
        }
    }
}
