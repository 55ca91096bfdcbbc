//! A cache of bot tokens, because every bot API call authenticates and most calls come from a
//! few bots. Invalidation is exact on this node: any change to a bot clears the cache and
//! bumps a generation, and a lookup that started before the change cannot re-insert what it
//! read. Entries also expire, so a change made by another node is seen within [`TTL`].

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::model::Bot;
use crate::secret::TokenHash;

/// How long an entry is trusted without asking the database again.
pub(crate) const TTL: Duration = Duration::from_secs(10);
/// The most entries kept; past that the cache starts over (it only ever holds real bots).
const MAX_ENTRIES: usize = 65_536;

#[derive(Default)]
pub(crate) struct TokenCache {
    entries: RwLock<HashMap<TokenHash, (Bot, Instant)>>,
    generation: AtomicU64,
}

impl TokenCache {
    /// The bot for a token, if cached and fresh.
    pub(crate) fn get(&self, token: &TokenHash) -> Option<Bot> {
        let entries = self.entries.read().ok()?;
        let (bot, at) = entries.get(token)?;
        (at.elapsed() < TTL).then(|| bot.clone())
    }

    /// The generation to pass to [`TokenCache::put`] after a database lookup.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Caches a lookup made at `generation`, unless a bot changed since.
    pub(crate) fn put(&self, token: TokenHash, bot: Bot, generation: u64) {
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        // Checked under the write lock, which `clear` also takes: no interleaving can slip a
        // stale entry in after a clear.
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(token, (bot, Instant::now()));
    }

    /// Forgets everything: a bot changed.
    pub(crate) fn clear(&self) {
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bot() -> Bot {
        Bot {
            bot_id: "b".into(),
            nickname: "n".into(),
            avatar_url: String::new(),
            webhook_url: None,
            created_at: 0,
        }
    }

    #[test]
    fn a_lookup_that_raced_a_change_is_not_cached() {
        let cache = TokenCache::default();
        let token = TokenHash::of("t");
        let before = cache.generation();
        cache.clear(); // a bot changed while the lookup was reading the database
        cache.put(token, bot(), before);
        assert_eq!(cache.get(&token), None);
        cache.put(token, bot(), cache.generation());
        assert_eq!(cache.get(&token), Some(bot()));
        cache.clear();
        assert_eq!(cache.get(&token), None);
    }
}
