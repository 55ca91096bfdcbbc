//! When to try again: the retry schedule (configuration), jitter, and `Retry-After`.

use std::time::Duration;

/// The longest wait a receiver's `Retry-After` can ask for; longer requests are capped.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Svix's schedule: the first attempt at once, then retries after 5 s, 5 min, 30 min, 2 h,
/// 5 h, 10 h and 10 h; after the eighth failure the event is a dead letter.
pub fn default_schedule() -> Vec<Duration> {
    [0, 5, 300, 1800, 7200, 18000, 36000, 36000]
        .into_iter()
        .map(Duration::from_secs)
        .collect()
}

/// When to make the next attempt, in epoch ms, after `attempts` attempts have failed; `None`
/// when the schedule is exhausted (dead letter). `schedule[0]` is the delay of the first
/// attempt, so `schedule[n]` is the wait after the `n`th failure. A receiver's
/// `Retry-After` lengthens the wait, never shortens it.
pub fn next_attempt_at(
    schedule: &[Duration],
    attempts: u32,
    retry_after: Option<Duration>,
    now_ms: i64,
) -> Option<i64> {
    let base = *schedule.get(usize::try_from(attempts).ok()?)?;
    // Jitter spreads the schedule's retries; a receiver's own Retry-After is taken as said.
    let wait = match retry_after {
        Some(asked) => jitter(base).max(asked.min(MAX_RETRY_AFTER)),
        None => jitter(base),
    };
    let wait_ms = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
    Some(now_ms.saturating_add(wait_ms))
}

/// Up to ±10% random jitter, so a receiver that comes back is not hit by every retry at once.
fn jitter(wait: Duration) -> Duration {
    let ms = wait.as_millis() as u64;
    let spread = ms / 10;
    if spread == 0 {
        return wait;
    }
    // A v4 UUID is 122 random bits from the OS; plenty for jitter, and no extra dependency.
    let r = (uuid::Uuid::new_v4().as_u128() as u64) % (2 * spread + 1);
    Duration::from_millis(ms - spread + r)
}

/// Reads `Retry-After` in its delay-seconds form. (The HTTP-date form is ignored: the
/// schedule's own wait applies.)
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_schedule_then_gives_up() {
        let s = default_schedule();
        assert_eq!(next_attempt_at(&s, 0, None, 1000), Some(1000));
        let second = next_attempt_at(&s, 1, None, 0).unwrap_or_default();
        assert!((4500..=5500).contains(&second), "{second}");
        assert!(next_attempt_at(&s, 7, None, 0).is_some());
        assert_eq!(next_attempt_at(&s, 8, None, 0), None);
    }

    #[test]
    fn retry_after_only_lengthens_the_wait() {
        let s = vec![Duration::ZERO, Duration::ZERO];
        assert_eq!(
            next_attempt_at(&s, 1, Some(Duration::from_secs(2)), 0),
            Some(2000)
        );
        let s = default_schedule();
        let at = next_attempt_at(&s, 2, Some(Duration::from_secs(1)), 0).unwrap_or_default();
        assert!(at >= 270_000, "{at}");
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
