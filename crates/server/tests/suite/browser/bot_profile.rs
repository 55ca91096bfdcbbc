//! A bot's profile in a group's info, in a real browser: its avatar (or initial), name, ID and
//! the description the admin set; Follow, which becomes Open chat, and Open chat, which opens
//! the private chat with the bot.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bots_profile_in_the_group_info_follows_and_opens_its_chat_in_a_real_browser() {
    const FOLLOWED: &str = "30714925";
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    server.group(GROUP, &[ALICE]).await;
    server.bot(BOT).await;
    server.bot(FOLLOWED).await;
    server.join(BOT, GROUP).await;
    server.join(FOLLOWED, GROUP).await;
    server.follow(FOLLOWED, ALICE).await;
    let (status, body) = server
        .admin(
            Method::PATCH,
            &format!("/bots/{BOT}"),
            Some(json!({"description": "Posts the build status.\nAsk it /status."})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let Some((driver, _profile)) = signed_in(&server, &alice, (390, 844)).await else {
        return;
    };
    open_chat(&driver, &format!("group:{GROUP}")).await;
    driver.click("#chat-info").await;
    let profiles = driver
        .wait_for(
            "the bots' profiles",
            "const d = document.getElementById('group-info'); \
             if (!d.open || d.querySelectorAll('.bot-profile').length < 2) return null; \
             const box = d.getBoundingClientRect(); \
             return {nulls: d.textContent.includes('null'), bots: [...d.querySelectorAll('.bot-profile')].map((li) => [li.dataset.botId, \
                       li.querySelector('.bot-avatar').textContent, \
                       li.querySelector(':scope > .member-name').textContent, \
                       li.querySelector('.bot-description')?.innerText ?? null, \
                       [...li.querySelectorAll('.bot-actions button')].map((b) => b.textContent)]), \
                     fits: [...d.querySelectorAll('.bot-profile *')].every((e) => e.getBoundingClientRect().right <= box.right + 0.5) \
                       && box.left >= 0 && box.right <= innerWidth}",
        )
        .await;
    assert_eq!(
        profiles,
        json!({"nulls": false, "bots": [
            [BOT, "B", format!("bot {BOT}"), "Posts the build status.\nAsk it /status.", ["Follow"]],
            [FOLLOWED, "B", format!("bot {FOLLOWED}"), null, ["Open chat"]],
        ], "fits": true})
    );

    // Follow: the bot is followed, and the button becomes Open chat, focused.
    let card = format!("#group-info .bot-profile[data-bot-id='{BOT}']");
    driver.click(&format!("{card} .bot-follow")).await;
    driver
        .wait_for(
            "Open chat in place of Follow",
            &format!(
                "const b = document.querySelector(\"{card} .bot-actions button\"); \
                 return b && b.textContent === 'Open chat' && document.activeElement === b"
            ),
        )
        .await;
    assert!(in_chats(&server, &alice, "bot", BOT).await, "followed");
    // Open chat: the dialog closes and the private chat with the bot opens.
    driver.click(&format!("{card} .bot-open")).await;
    driver
        .wait_for(
            "the bot's chat",
            &format!(
                "return !document.getElementById('group-info').open \
                 && document.querySelector('.chat-item.active')?.dataset.chatKey === 'bot:{BOT}' \
                 && document.getElementById('chat-title').textContent === 'bot {BOT}'"
            ),
        )
        .await;

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// The admin console sets a bot's description on its page; a refusal is shown as the server
/// words it and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_console_sets_a_bots_description_in_a_real_browser() {
    let server = TestServer::start().await;
    // The console opens on the users table, which must have a row.
    server.user(ALICE, "Alice").await;
    server.bot(BOT).await;
    let Some((driver, _profile)) = admin_console(&server).await else {
        return;
    };
    open_bot(&driver, BOT).await;
    let stored = async || {
        let (status, body) = server
            .admin(Method::GET, &format!("/bots/{BOT}"), None)
            .await;
        assert_eq!(status, 200, "{body}");
        body["description"].clone()
    };
    driver
        .type_into("#bot-description", "Posts the build status.")
        .await;
    // Saving redraws the bot's page: the field is marked, to wait for the redrawn one.
    driver
        .js("document.getElementById('bot-description').dataset.before = '1'; return 1")
        .await;
    driver.click("#description-form button[type=submit]").await;
    driver
        .wait_for(
            "the saved description, redrawn",
            "const f = document.getElementById('bot-description'); \
             return document.querySelector('#notice .notice.ok')?.textContent === 'Description saved.' \
               && f?.value === 'Posts the build status.' && f.dataset.before === undefined",
        )
        .await;
    assert_eq!(stored().await, "Posts the build status.");
    // A control character the field lets through is refused by the server, which says why.
    driver
        .js("document.getElementById('bot-description').value = 'a\\u0007b'; return 1")
        .await;
    driver.click("#description-form button[type=submit]").await;
    driver
        .wait_for(
            "the refusal",
            "return /control characters/.test(document.querySelector('#notice')?.textContent ?? '')",
        )
        .await;
    assert_eq!(stored().await, "Posts the build status.");

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}
