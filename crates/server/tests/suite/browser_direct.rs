//! Direct messages in a real browser (issue 21): Alice finds Bob in the *New message* picker
//! and writes to him; Bob's open client shows the new chat arrive live, named after Alice,
//! with its unread count in the list and the tab's title; his reply reaches Alice live. Bob
//! also reaches the same chat from the group's member list. At desktop and phone size. With
//! `CLOUDLAKE_SCREENSHOTS=<dir>` it saves `direct-messages.png` there (the README's picture).

use super::*;

const CAROL: &str = "5550001";

/// The chat key the web client gives the direct chat of Alice and Bob: the pair in byte order.
fn dm_key() -> String {
    let (low, high) = if ALICE < BOB {
        (ALICE, BOB)
    } else {
        (BOB, ALICE)
    };
    format!("dm:{low}:{high}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_direct_message_from_the_people_picker_arrives_live_in_a_real_browser() {
    let shots = std::env::var("CLOUDLAKE_SCREENSHOTS")
        .ok()
        .map(PathBuf::from);
    direct_messages((1280, 800), shots.as_deref()).await;
    direct_messages((390, 844), None).await;
}

async fn direct_messages(size: (u32, u32), shots: Option<&Path>) {
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    let bob = server.user(BOB, "Bob").await;
    server.user(CAROL, "Carol").await;
    let (status, body) = server
        .admin(
            Method::POST,
            "/groups",
            Some(json!({"id": GROUP, "name": "Release crew"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    for member in [ALICE, BOB, CAROL] {
        let (status, body) = server
            .admin(
                Method::PUT,
                &format!("/groups/{GROUP}/members/{member}"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let Some((bob_driver, _bob_profile)) = signed_in(&server, &bob, size).await else {
        return;
    };
    let Some((driver, _profile)) = signed_in(&server, &alice, size).await else {
        return;
    };
    let key = dm_key();

    // Alice: New message, "bo" finds Bob (never herself), and choosing him opens the chat.
    driver.click("#people-open").await;
    let everyone = driver
        .wait_for(
            "everyone but Alice",
            "const d = document.getElementById('people'); \
             const rows = [...d.querySelectorAll('.people-row')]; \
             return d.open && rows.length === 2 && rows.map((r) => r.dataset.userId)",
        )
        .await;
    assert_eq!(everyone, json!([BOB, CAROL]));
    assert_eq!(
        driver.js("return document.activeElement?.id").await,
        "people-query",
        "the search box has the focus"
    );
    driver.type_into("#people-query", "bo").await;
    let found = driver
        .wait_for(
            "Bob alone",
            "const rows = [...document.querySelectorAll('#people-list .people-row')]; \
             return rows.length === 1 && rows[0].textContent",
        )
        .await;
    assert_eq!(found, format!("BBob{BOB}"));
    driver.press(ENTER).await;
    // Closing, the dialog gives focus back to its opener for a moment; the chat then takes it
    // for the composer: wait for that, the state the person is left in.
    let opened = driver
        .wait_for(
            "the direct chat open",
            &format!(
                "return !document.getElementById('people').open \
                 && document.querySelector('.chat-item.active')?.dataset.chatKey === '{key}' \
                 && !document.getElementById('composer').hidden \
                 && document.activeElement?.id === 'composer-text' \
                 && {{title: document.getElementById('chat-title').textContent, \
                     members: document.getElementById('chat-info').hidden, \
                     focus: document.activeElement?.id}}"
            ),
        )
        .await;
    assert_eq!(
        opened,
        json!({"title": "Bob", "members": true, "focus": "composer-text"})
    );

    // Bob's page is in the background, notifications allowed: a recorder stands in for the
    // browser's notifications (as in `desktop_notifications_in_a_real_browser`).
    bob_driver
        .js("window.__shown = []; \
             window.Notification = class { \
               static permission = 'granted'; \
               constructor(title, options) { this.title = title; this.options = options; window.__shown.push(this); } \
               close() {} }; \
             document.hasFocus = () => false; return 1")
        .await;
    driver.type_into("#composer-text", "Lunch at noon?").await;
    driver.press(ENTER).await;
    driver
        .wait_for(
            "Alice's message in her chat",
            "return document.querySelector('#message-list .msg:last-child')?.textContent.includes('Lunch at noon?')",
        )
        .await;
    let arrived = bob_driver
        .wait_for(
            "the direct chat in Bob's list, unread",
            &format!(
                "const item = document.querySelector(\"[data-chat-key='{key}']\"); \
                 return item?.querySelector('.unread')?.textContent === '1' && {{ \
                   name: item.querySelector('.chat-name').textContent, \
                   preview: item.querySelector('.chat-preview').textContent, \
                   first: document.querySelector('.chat-item')?.dataset.chatKey === '{key}', \
                   title: document.title}}"
            ),
        )
        .await;
    assert_eq!(
        arrived,
        json!({"name": "Alice", "preview": "Alice: Lunch at noon?", "first": true,
               "title": "(1) cloudlake"})
    );

    // The new chat's first message was notified, under Alice's name.
    let shown = bob_driver
        .wait_for(
            "the notification",
            "const n = window.__shown[0]; \
             return n && {title: n.title, body: n.options.body, count: window.__shown.length}",
        )
        .await;
    assert_eq!(
        shown,
        json!({"title": "Alice", "body": "Alice: Lunch at noon?", "count": 1})
    );
    bob_driver.js("delete document.hasFocus; return 1").await;

    // `@` in the direct chat offers Bob; a mention of him is badged apart in his list.
    driver.type_into("#composer-text", "@Bo").await;
    driver
        .wait_for(
            "Bob offered to mention",
            "const l = document.getElementById('mention-list'); \
             return !l.hidden && l.querySelectorAll('li').length === 1 && l.textContent.includes('Bob')",
        )
        .await;
    driver.press(ENTER).await;
    driver.type_into("#composer-text", "are you in?").await;
    driver.press(ENTER).await;
    let badged = bob_driver
        .wait_for(
            "the mention badged",
            &format!(
                "const item = document.querySelector(\"[data-chat-key='{key}']\"); \
                 return item?.querySelector('.mentions')?.textContent === '@1' && {{ \
                   unread: item.querySelector('.unread')?.textContent, title: document.title}}"
            ),
        )
        .await;
    assert_eq!(badged, json!({"unread": "2", "title": "(2) cloudlake"}));

    // Bob opens it (read: the count goes), replies; Alice sees the reply live.
    open_chat(&bob_driver, &key).await;
    bob_driver
        .wait_for(
            "the unread count gone",
            &format!(
                "return !document.querySelector(\"[data-chat-key='{key}'] .unread\") \
                 && document.title === 'cloudlake'"
            ),
        )
        .await;
    bob_driver
        .type_into("#composer-text", "Yes — the usual place.")
        .await;
    bob_driver.press(ENTER).await;
    driver
        .wait_for(
            "Bob's reply in Alice's open chat",
            "return document.querySelector('#message-list .msg:last-child')?.textContent.includes('Yes — the usual place.')",
        )
        .await;
    // The server's count too, once the client's read marker (sent after a short pause) is in.
    wait_unread(&server, &bob, key.trim_start_matches("dm:"), 0).await;
    if size.0 > 700 {
        driver.screenshot(shots, "direct-messages.png").await;
    }

    // From the group's member list, Bob's *Message* beside Alice opens the same chat; there
    // is none beside himself.
    if size.0 <= 700 {
        bob_driver.click("#back").await;
    }
    open_chat(&bob_driver, &format!("group:{GROUP}")).await;
    bob_driver.click("#chat-info").await;
    let buttons = bob_driver
        .wait_for(
            "the members' Message buttons",
            "const d = document.getElementById('group-info'); \
             const b = [...d.querySelectorAll('.people .member-message')]; \
             return d.open && b.length > 0 && b.map((x) => x.getAttribute('aria-label'))",
        )
        .await;
    assert_eq!(buttons, json!(["Message Alice", "Message Carol"]));
    bob_driver
        .click("#group-info .member-message[aria-label='Message Alice']")
        .await;
    bob_driver
        .wait_for(
            "the same direct chat open",
            &format!(
                "return !document.getElementById('group-info').open \
                 && document.querySelector('.chat-item.active')?.dataset.chatKey === '{key}' \
                 && document.querySelectorAll(\"[data-chat-key^='dm:']\").length === 1 \
                 && document.querySelector('#message-list .msg:last-child')?.textContent.includes('the usual place')"
            ),
        )
        .await;

    for d in [driver, bob_driver] {
        d.call("DELETE", &d.s(""), None).await;
    }
    server.stop().await;
}
