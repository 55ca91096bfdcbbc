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

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::DeliveryConfig;
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
pub async fn run(
    store: Store,
    client: WebhookClient,
    config: Arc<DeliveryConfig>,
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
                    if let Some(again) = map.get_mut(&bot) {
                        *again = true;
                        continue;
                    }
                    map.insert(bot.clone(), false);
                    let handle = tasks.spawn(bot_task(
                        bot.clone(),
                        store.clone(),
                        client.clone(),
                        config.clone(),
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
}

async fn bot_task(
    bot_id: String,
    store: Store,
    client: WebhookClient,
    config: Arc<DeliveryConfig>,
    active: Active,
) {
    loop {
        if let Err(e) = deliver_due(&bot_id, &store, &client, &config).await {
            tracing::warn!(bot = %bot_id, error = %e, "event delivery paused by a storage error");
        }
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

/// Sends every event of the bot that is due, oldest first, until none is.
async fn deliver_due(
    bot_id: &str,
    store: &Store,
    client: &WebhookClient,
    config: &DeliveryConfig,
) -> Result<(), StoreError> {
    loop {
        let Some(sub) = store.subscription(bot_id.to_owned()).await? else {
            return Ok(());
        };
        // Cleared meanwhile: the events wait for the bot WebSocket.
        let Some(url) = sub.webhook_url.clone() else {
            return Ok(());
        };
        let due = store
            .pending_events(bot_id.to_owned(), Some(now_ms()), PAGE)
            .await?;
        if due.is_empty() {
            return Ok(());
        }
        let metrics = crate::metrics::metrics();
        let mut outcomes = Vec::with_capacity(due.len());
        let mut oldest: Option<Instant> = None;
        for event in due {
            let outcome = if !sub.wants(&event.event_type) {
                Attempted::Skipped
            } else {
                metrics.webhook_attempts.inc();
                match client.post(&url, &sub.secret, &event).await {
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
                record(store, std::mem::take(&mut outcomes)).await?;
                oldest = None;
            }
        }
        if !outcomes.is_empty() {
            record(store, outcomes).await?;
        }
    }
}

/// Records attempts, then counts the dead letters among them: only once committed, so the
/// metric never runs ahead of what the outbox (and its depth) shows.
async fn record(store: &Store, outcomes: Vec<(i64, Attempted)>) -> Result<(), StoreError> {
    let dead = outcomes
        .iter()
        .filter(|(_, outcome)| matches!(outcome, Attempted::Dead { .. }))
        .count();
    store.record_attempts(outcomes).await?;
    crate::metrics::metrics()
        .webhook_dead_letters
        .inc_by(dead as u64);
    Ok(())
}
