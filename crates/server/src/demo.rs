//! `serve --demo`: a bot, two users and the two groups of Yunhu's examples, so that the
//! original batch_send page's curl request works with only the token replaced.

use crate::secret::{TokenHash, new_token};
use crate::store::{Role, Store, StoreError};

/// The demo bot's ID (the bot of Yunhu's documented history example).
pub const BOT_ID: &str = "86297657";
/// The demo bot's nickname.
pub const BOT_NICKNAME: &str = "cloudlake demo bot";
/// The demo groups: the two recipients of the original batch_send page.
pub const GROUP_IDS: [&str; 2] = ["307149245", "665344168"];
/// The demo users.
pub const USER_IDS: [&str; 2] = ["7756242", "4827368"];
/// The demo users' nicknames, in the order of [`USER_IDS`] (the README calls them by name).
pub const USER_NICKNAMES: [&str; 2] = ["Alice", "Bob"];

/// One seeded user, with the one copy of their token.
#[derive(Debug, Clone)]
pub struct DemoUser {
    /// The user's ID.
    pub id: String,
    /// The user's nickname.
    pub nickname: String,
    /// The user's token; only its hash is stored.
    pub token: String,
}

/// What was seeded, with the one copy of the bot's token.
#[derive(Debug, Clone)]
pub struct DemoSeed {
    /// The bot's ID.
    pub bot_id: String,
    /// The bot's nickname.
    pub bot_nickname: String,
    /// The bot's token; only its hash is stored.
    pub bot_token: String,
    /// The users, with their tokens.
    pub users: Vec<DemoUser>,
    /// The groups' IDs.
    pub group_ids: Vec<String>,
}

/// Seeds the demo data if the directory is empty; `None` if anything already exists.
pub async fn seed_if_empty(store: &Store) -> Result<Option<DemoSeed>, StoreError> {
    if !store.list_bots().await?.is_empty()
        || !store.list_users().await?.is_empty()
        || !store.list_groups().await?.is_empty()
    {
        return Ok(None);
    }
    let bot_token = new_token();
    store
        .create_bot(
            Some(BOT_ID.into()),
            BOT_NICKNAME.into(),
            None,
            TokenHash::of(&bot_token),
        )
        .await?;
    let mut users = Vec::new();
    for (id, nickname) in USER_IDS.iter().zip(USER_NICKNAMES) {
        let token = new_token();
        store
            .create_user(Some((*id).into()), nickname.into(), TokenHash::of(&token))
            .await?;
        store.follow(BOT_ID.into(), (*id).into()).await?;
        users.push(DemoUser {
            id: (*id).to_owned(),
            nickname: nickname.to_owned(),
            token,
        });
    }
    for (id, name) in GROUP_IDS.iter().zip(["Demo group", "Second demo group"]) {
        // Open, so that the demo users can also leave and rejoin from the client.
        store
            .create_group(Some((*id).into()), name.into(), true)
            .await?;
        store.add_bot_to_group(BOT_ID.into(), (*id).into()).await?;
        for (user, role) in USER_IDS.iter().zip([Role::Owner, Role::Member]) {
            store.set_member((*id).into(), (*user).into(), role).await?;
        }
    }
    Ok(Some(DemoSeed {
        bot_id: BOT_ID.into(),
        bot_nickname: BOT_NICKNAME.into(),
        bot_token,
        users,
        group_ids: GROUP_IDS.iter().map(|g| (*g).to_owned()).collect(),
    }))
}
