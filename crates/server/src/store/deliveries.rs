//! Delivery state of the events outbox: what is due, what happened to each attempt, the
//! bots' subscriptions (webhook URL, wanted event types, signing secret), and replays.
//!
//! Every change goes through the writer, so delivery state is as durable as the events: a
//! restart resumes exactly the rows still `pending`.

use super::db::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::{Store, StoreError};
use crate::clock::now_ms;

/// How many dead letters the delivery report lists (newest first).
const DEAD_LETTERS_SHOWN: u32 = 100;

/// Where and what a bot wants its events. Deliberately not `Debug`: it holds the secret.
#[derive(Clone)]
pub struct Subscription {
    /// The bot.
    pub bot_id: String,
    /// The webhook URL; `None` means the bot receives events on its WebSocket.
    pub webhook_url: Option<String>,
    /// The wanted event types; `None` means all.
    pub event_types: Option<Vec<String>>,
    /// The webhook signing key (raw bytes). Never log it.
    pub secret: Vec<u8>,
}

impl Subscription {
    /// Whether the bot wants events of this type. "Every type" means every type Yunhu sends:
    /// a cloudlake extension ([`cloudlake_protocol::EXTENSION_EVENT_TYPES`]) only when named,
    /// so a bot written for Yunhu never receives an event it cannot know.
    pub fn wants(&self, event_type: &str) -> bool {
        match &self.event_types {
            Some(types) => types.iter().any(|t| t == event_type),
            None => !cloudlake_protocol::EXTENSION_EVENT_TYPES.contains(&event_type),
        }
    }
}

/// A pending event with its delivery state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEvent {
    /// The outbox row (delivery order).
    pub id: i64,
    /// The envelope's `eventId`: the `webhook-id` of every attempt.
    pub event_id: String,
    /// The envelope's `eventType`.
    pub event_type: String,
    /// The exact envelope JSON to send.
    pub payload: String,
    /// Attempts made so far.
    pub attempts: u32,
}

/// What one attempt (or a decision not to attempt) leaves behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempted {
    /// The receiver answered 2xx (or the frame was written to the bot's WebSocket).
    Delivered,
    /// It failed; try again at `at` (epoch ms).
    Retry {
        /// When.
        at: i64,
        /// Why it failed.
        error: String,
    },
    /// It failed for the last time, or cannot ever succeed: a dead letter.
    Dead {
        /// Why.
        error: String,
    },
    /// The bot does not want this event type.
    Skipped,
}

/// A dead letter, as the admin sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    /// The event's ID.
    pub event_id: String,
    /// Its type.
    pub event_type: String,
    /// Attempts made.
    pub attempts: u32,
    /// The last attempt's error.
    pub last_error: Option<String>,
    /// When the event happened, epoch ms.
    pub created_at: i64,
}

/// A bot's delivery report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryStats {
    /// The bot.
    pub bot_id: String,
    /// Where events go: the webhook URL, or `null` for the bot WebSocket.
    pub webhook_url: Option<String>,
    /// The wanted event types, `null` for all.
    pub event_types: Option<Vec<String>>,
    /// Events waiting (including those between retries).
    pub pending: u64,
    /// Events delivered.
    pub delivered: u64,
    /// Dead letters.
    pub dead: u64,
    /// Events of unwanted types.
    pub skipped: u64,
    /// The most recent error of any event still pending or dead.
    pub last_error: Option<String>,
    /// The newest dead letters.
    pub dead_letters: Vec<DeadLetter>,
}

fn split_types(types: Option<String>) -> Option<Vec<String>> {
    types.map(|t| {
        t.split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
}

/// 32 random bytes: two v4 UUIDs (each from the OS's CSPRNG, 122 random bits; 244 in all).
fn new_secret() -> Vec<u8> {
    let mut key = Vec::with_capacity(32);
    key.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    key.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    key
}

type SubscriptionRow = (Option<String>, Option<String>, Option<Vec<u8>>);

fn subscription_row(
    conn: &Connection,
    bot_id: &str,
) -> Result<Option<SubscriptionRow>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT webhook_url, event_types, webhook_secret FROM bots WHERE id = ?1")?
        .query_row([bot_id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .optional()?)
}

/// Reads a subscription inside a write, making the secret if the bot has none yet.
fn subscription_in_write(conn: &Connection, bot_id: &str) -> Result<Subscription, StoreError> {
    let Some((url, types, secret)) = subscription_row(conn, bot_id)? else {
        return Err(StoreError::not_found("bot", bot_id));
    };
    let secret = match secret {
        Some(secret) => secret,
        None => {
            let secret = new_secret();
            conn.prepare_cached("UPDATE bots SET webhook_secret = ?2 WHERE id = ?1")?
                .execute(params![bot_id, secret])?;
            secret
        }
    };
    Ok(Subscription {
        bot_id: bot_id.to_owned(),
        webhook_url: url,
        event_types: split_types(types),
        secret,
    })
}

fn pending_row(row: &super::db::Row<'_>) -> super::db::Result<PendingEvent> {
    Ok(PendingEvent {
        id: row.get(0)?,
        event_id: row.get(1)?,
        event_type: row.get(2)?,
        payload: row.get(3)?,
        attempts: row.get(4)?,
    })
}

impl Store {
    /// A bot's subscription, making its signing secret on first use. `None`: no such bot.
    pub async fn subscription(&self, bot_id: String) -> Result<Option<Subscription>, StoreError> {
        let id = bot_id.clone();
        let read = self
            .readers
            .read(move |conn| subscription_row(conn, &id))
            .await?;
        match read {
            None => Ok(None),
            Some((url, types, Some(secret))) => Ok(Some(Subscription {
                bot_id,
                webhook_url: url,
                event_types: split_types(types),
                secret,
            })),
            Some((_, _, None)) => self
                .writer
                .write(move |conn| subscription_in_write(conn, &bot_id))
                .await
                .map(Some),
        }
    }

    /// Changes where and what a bot receives. `url`: `None` leaves it, `Some(None)` clears
    /// it (events then wait for the bot WebSocket). `types`: `None` leaves them,
    /// `Some(None)` means every type.
    pub async fn set_subscription(
        &self,
        bot_id: String,
        url: Option<Option<String>>,
        types: Option<Option<Vec<String>>>,
    ) -> Result<Subscription, StoreError> {
        self.writer
            .write_tx(move |tx| {
                let conn = tx.conn();
                subscription_in_write(conn, &bot_id)?;
                if let Some(url) = url {
                    conn.prepare_cached("UPDATE bots SET webhook_url = ?2 WHERE id = ?1")?
                        .execute(params![bot_id, url])?;
                }
                if let Some(types) = types {
                    let joined = types.map(|t| t.join(","));
                    conn.prepare_cached("UPDATE bots SET event_types = ?2 WHERE id = ?1")?
                        .execute(params![bot_id, joined])?;
                }
                // Pending events may now have somewhere to go.
                tx.wake_bot(&bot_id);
                subscription_in_write(conn, &bot_id)
            })
            .await
    }

    /// Replaces a bot's signing secret; the old one stops verifying at once.
    pub async fn rotate_webhook_secret(&self, bot_id: String) -> Result<Vec<u8>, StoreError> {
        self.writer
            .write(move |conn| {
                let secret = new_secret();
                let changed = conn
                    .prepare_cached("UPDATE bots SET webhook_secret = ?2 WHERE id = ?1")?
                    .execute(params![bot_id, secret])?;
                if changed == 0 {
                    return Err(StoreError::not_found("bot", bot_id));
                }
                Ok(secret)
            })
            .await
    }

    /// The bots with a webhook URL and an event due at `now`, and the earliest later due
    /// time of any such bot (when to look again).
    pub async fn due_webhook_bots(
        &self,
        now: i64,
    ) -> Result<(Vec<String>, Option<i64>), StoreError> {
        self.readers
            .read(move |conn| {
                // Per webhook bot, two seeks in the (bot_id, next_attempt_at) index: the cost
                // grows with the number of webhook bots, not with the events waiting (for
                // instance, for bots whose WebSocket is offline).
                let mut stmt = conn.prepare_cached(
                    "SELECT b.id, \
                       (SELECT MIN(o.next_attempt_at) FROM outbox o \
                        WHERE o.bot_id = b.id AND o.state = 'pending') \
                     FROM bots b WHERE b.webhook_url IS NOT NULL",
                )?;
                let mut due = Vec::new();
                let mut next: Option<i64> = None;
                let rows = stmt.query_map([], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, Option<i64>>(1)?))
                })?;
                for row in rows {
                    match row? {
                        (bot, Some(at)) if at <= now => due.push(bot),
                        (_, Some(at)) => next = Some(next.map_or(at, |n| n.min(at))),
                        (_, None) => {}
                    }
                }
                Ok((due, next))
            })
            .await
    }

    /// A bot's pending events, oldest first, at most `limit`; with `due_at`, only those due
    /// by then (the webhook path; the WebSocket sends whatever is pending).
    pub async fn pending_events(
        &self,
        bot_id: String,
        due_at: Option<i64>,
        limit: u32,
    ) -> Result<Vec<PendingEvent>, StoreError> {
        self.readers
            .read(move |conn| {
                // Both walk the pending rows in event order and stop at `limit` (INDEXED BY:
                // left alone, SQLite picks the due-time index and sorts every due row).
                let mut stmt = conn.prepare_cached(
                    "SELECT id, event_id, event_type, payload, attempts \
                     FROM outbox INDEXED BY outbox_pending_by_bot \
                     WHERE bot_id = ?1 AND state = 'pending' AND next_attempt_at <= ?2 \
                     ORDER BY id LIMIT ?3",
                )?;
                let rows = stmt.query_map(
                    params![bot_id, due_at.unwrap_or(i64::MAX), limit],
                    pending_row,
                )?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
    }

    /// Records what happened to events. Only rows still pending change, so an outcome that
    /// arrives after an admin action (or twice) cannot undo it or count twice.
    pub async fn record_attempts(&self, outcomes: Vec<(i64, Attempted)>) -> Result<(), StoreError> {
        self.writer
            .write_tx(move |tx| {
                let conn = tx.conn();
                let now = now_ms();
                for (id, outcome) in &outcomes {
                    let (state, next, error, delivered_at, counts): (_, i64, Option<&str>, _, i64) =
                        match outcome {
                            Attempted::Delivered => ("delivered", 0, None, Some(now), 1),
                            Attempted::Retry { at, error } => {
                                ("pending", *at, Some(error), None, 1)
                            }
                            Attempted::Dead { error } => ("dead", 0, Some(error), None, 1),
                            Attempted::Skipped => ("skipped", 0, None, None, 0),
                        };
                    conn.prepare_cached(
                        "UPDATE outbox SET state = ?2, attempts = attempts + ?3, \
                         next_attempt_at = ?4, last_error = COALESCE(?5, last_error), \
                         delivered_at = ?6 WHERE id = ?1 AND state = 'pending'",
                    )?
                    .execute(params![
                        id,
                        state,
                        counts,
                        next,
                        error,
                        delivered_at
                    ])?;
                    if matches!(outcome, Attempted::Retry { .. }) {
                        // The dispatcher must learn the new due time to wake for it.
                        tx.wake_dispatcher();
                    }
                }
                Ok(())
            })
            .await
    }

    /// How many events wait in the outbox, all bots together (the `outbox_depth` metric).
    pub async fn outbox_depth(&self) -> Result<i64, StoreError> {
        self.readers
            .read(|conn| {
                // Counted from the partial index of pending rows, not the whole table.
                Ok(conn
                    .prepare_cached("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")?
                    .query_row([], |row| row.get(0))?)
            })
            .await
    }

    /// A bot's delivery report.
    pub async fn delivery_stats(
        &self,
        bot_id: String,
    ) -> Result<Option<DeliveryStats>, StoreError> {
        self.readers
            .read(move |conn| {
                let Some((url, types, _)) = subscription_row(conn, &bot_id)? else {
                    return Ok(None);
                };
                let mut counts = [0u64; 4];
                let mut stmt = conn.prepare_cached(
                    "SELECT state, COUNT(*) FROM outbox WHERE bot_id = ?1 GROUP BY state",
                )?;
                let rows = stmt.query_map([&bot_id], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
                })?;
                for row in rows {
                    let (state, n) = row?;
                    let slot = match state.as_str() {
                        "pending" => 0,
                        "delivered" => 1,
                        "dead" => 2,
                        _ => 3,
                    };
                    counts[slot] = u64::try_from(n).unwrap_or(0);
                }
                let last_error: Option<String> = conn
                    .prepare_cached(
                        "SELECT last_error FROM outbox WHERE bot_id = ?1 \
                         AND state IN ('pending', 'dead') AND last_error IS NOT NULL \
                         ORDER BY id DESC LIMIT 1",
                    )?
                    .query_row([&bot_id], |row| row.get(0))
                    .optional()?;
                let mut stmt = conn.prepare_cached(
                    "SELECT event_id, event_type, attempts, last_error, created_at FROM outbox \
                     WHERE bot_id = ?1 AND state = 'dead' ORDER BY id DESC LIMIT ?2",
                )?;
                let dead_letters = stmt
                    .query_map(params![bot_id, DEAD_LETTERS_SHOWN], |row| {
                        Ok(DeadLetter {
                            event_id: row.get(0)?,
                            event_type: row.get(1)?,
                            attempts: row.get(2)?,
                            last_error: row.get(3)?,
                            created_at: row.get(4)?,
                        })
                    })?
                    .collect::<Result<_, _>>()?;
                Ok(Some(DeliveryStats {
                    bot_id: bot_id.clone(),
                    webhook_url: url,
                    event_types: split_types(types),
                    pending: counts[0],
                    delivered: counts[1],
                    dead: counts[2],
                    skipped: counts[3],
                    last_error,
                    dead_letters,
                }))
            })
            .await
    }

    /// Makes one dead letter pending again, with a fresh retry schedule. Returns how many
    /// events were replayed (0 or 1); `NotFound` if the bot has no such event.
    pub async fn replay_event(&self, bot_id: String, event_id: String) -> Result<u64, StoreError> {
        self.writer
            .write_tx(move |tx| {
                let conn = tx.conn();
                let state: Option<String> = conn
                    .prepare_cached("SELECT state FROM outbox WHERE bot_id = ?1 AND event_id = ?2")?
                    .query_row([&bot_id, &event_id], |row| row.get(0))
                    .optional()?;
                if state.is_none() {
                    return Err(StoreError::not_found("event", event_id));
                }
                let n = conn
                    .prepare_cached(
                        "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = 0, \
                         last_error = NULL, delivered_at = NULL \
                         WHERE bot_id = ?1 AND event_id = ?2 AND state = 'dead'",
                    )?
                    .execute([&bot_id, &event_id])?;
                tx.wake_bot(&bot_id);
                Ok(n as u64)
            })
            .await
    }

    /// Makes every finished event (delivered, dead or skipped) that happened in
    /// `[since, until]` (epoch ms) pending again: they are delivered again with their
    /// original `eventId`, so receivers can tell a replay from a new event.
    pub async fn replay_range(
        &self,
        bot_id: String,
        since: i64,
        until: i64,
    ) -> Result<u64, StoreError> {
        self.writer
            .write_tx(move |tx| {
                let conn = tx.conn();
                let n = conn
                    .prepare_cached(
                        "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = 0, \
                         last_error = NULL, delivered_at = NULL \
                         WHERE bot_id = ?1 AND created_at BETWEEN ?2 AND ?3 AND state != 'pending'",
                    )?
                    .execute(params![bot_id, since, until])?;
                tx.wake_bot(&bot_id);
                Ok(n as u64)
            })
            .await
    }

    /// Whether other nodes may share this store (PostgreSQL), so that webhook delivery must
    /// be claimed per bot ([`Store::claim_delivery`]).
    pub fn is_shared(&self) -> bool {
        self.shared
    }

    /// Claims, or renews, the right to deliver `bot_id`'s webhook events until `until`
    /// (epoch ms) for `node`. True if `node` holds it now: it held it already, or nobody
    /// holds it past `now`. Each bot's events are thus sent from one node at a time, in
    /// order, and a node that died is replaced once its lease runs out.
    pub async fn claim_delivery(
        &self,
        bot_id: String,
        node: String,
        now: i64,
        until: i64,
    ) -> Result<bool, StoreError> {
        self.writer
            .write(move |conn| {
                let n = conn
                    .prepare_cached(
                        "INSERT INTO delivery_leases (bot_id, node, until_ms) VALUES (?1, ?2, ?3) \
                         ON CONFLICT (bot_id) DO UPDATE SET node = excluded.node, \
                           until_ms = excluded.until_ms \
                         WHERE delivery_leases.node = excluded.node \
                           OR delivery_leases.until_ms < ?4",
                    )?
                    .execute(params![bot_id, node, until, now])?;
                Ok(n > 0)
            })
            .await
    }

    /// Gives up `node`'s delivery lease on `bot_id`, if it holds it.
    pub async fn release_delivery(&self, bot_id: String, node: String) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| {
                conn.prepare_cached("DELETE FROM delivery_leases WHERE bot_id = ?1 AND node = ?2")?
                    .execute([bot_id, node])?;
                Ok(())
            })
            .await
    }

    /// Gives up every delivery lease of `node` (at shutdown): other nodes take over at once
    /// instead of when the leases run out.
    pub async fn release_deliveries(&self, node: String) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| {
                conn.prepare_cached("DELETE FROM delivery_leases WHERE node = ?1")?
                    .execute([node])?;
                Ok(())
            })
            .await
    }
}

#[cfg(test)]
mod wants_tests {
    use super::Subscription;

    fn subscribed(types: Option<&[&str]>) -> Subscription {
        Subscription {
            bot_id: "1".into(),
            webhook_url: None,
            event_types: types.map(|t| t.iter().map(|s| (*s).to_owned()).collect()),
            secret: Vec::new(),
        }
    }

    /// "Every type" is every type Yunhu sends: a Yunhu bot never sees cloudlake's extensions.
    #[test]
    fn an_extension_type_goes_only_to_a_bot_that_names_it() {
        let every = subscribed(None);
        assert!(every.wants("message.receive.normal"));
        assert!(every.wants("button.report.inline"));
        assert!(!every.wants("message.reaction"));
        let named = subscribed(Some(&["message.reaction"]));
        assert!(named.wants("message.reaction"));
        assert!(!named.wants("message.receive.normal"));
    }
}
