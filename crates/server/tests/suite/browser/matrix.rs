//! Issue 21's views side by side: one chat with most of what the web client draws (markdown,
//! a reply and its quote, an edited message, reactions, buttons, an A2UI card, a board, the
//! day and new-messages lines, the unread and mention badges) and the panels over it (the
//! group's info with a bot's settings, search results, Discover, New message, the lightbox)
//! and the admin console's pages, each checked in
//! the four views people use — desktop and 390×844 phone, light and dark: every visible text
//! readable (WCAG AA, 4.5:1 against what is behind it), nothing wider than the window. The
//! behaviour of each feature has its own test; this one holds their looks to every view.

use super::*;

/// Every visible element with text of its own under `ROOT`, whose contrast is under 4.5:1 or
/// which sticks out of the window sideways (outside a scrolling box): `[what, ratio, right]`.
const CHECK: &str = "\
    const rgb = (c) => c.match(/[\\d.]+/g).map(Number); \
    const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }; \
                                 return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); }; \
    const bg = (el) => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor); \
                           if (c.length < 4 || c[3] > 0) return c; } return [255, 255, 255]; }; \
    const scrolls = (el) => { for (el = el.parentElement; el; el = el.parentElement) { \
                                const o = getComputedStyle(el).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return true; } \
                              return false; }; \
    const what = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : ''); \
    const bad = []; \
    for (const el of ROOT.querySelectorAll('*')) { \
      const s = getComputedStyle(el); \
      if (s.display === 'none' || s.visibility === 'hidden' || el.getClientRects().length === 0 || el.closest('[hidden]')) continue; \
      const r = el.getBoundingClientRect(); \
      if (r.width === 0 || r.height === 0) continue; \
      if ((r.right > innerWidth + 1 || r.left < -1) && !scrolls(el)) bad.push([what(el), null, Math.round(r.right)]); \
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim() !== ''); \
      if (!own || Number(s.opacity) === 0) continue; \
      const b = lum(bg(el)), t = lum(rgb(s.color)); \
      const ratio = (Math.max(b, t) + 0.05) / (Math.min(b, t) + 0.05); \
      if (ratio < 4.5) bad.push([what(el) + ' ' + JSON.stringify(el.textContent.trim().slice(0, 30)), Math.round(ratio * 10) / 10, null]); \
    } \
    return bad";

/// Runs [`CHECK`] on the element `root` selects (the whole page for `body`).
async fn check(driver: &Driver, root: &str, view: &str, what: &str) {
    let script = format!(
        "const ROOT = document.querySelector(\"{root}\"); if (!ROOT) return ['missing']; {CHECK}"
    );
    let bad = driver.js(&script).await;
    assert_eq!(bad, json!([]), "{view}: {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_view_is_readable_and_fits_in_a_real_browser() {
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    let bob = server.user(BOB, "Bob").await;
    server.group(GROUP, &[ALICE, BOB]).await;
    server.group(GROUP2, &[ALICE, BOB]).await;
    let (status, body) = server
        .admin(
            Method::PUT,
            &format!("/groups/{GROUP}/members/{ALICE}"),
            Some(json!({"role": "owner"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let bot = server.bot(BOT).await;
    server.join(BOT, GROUP).await;
    server.join(BOT, GROUP2).await;
    let (status, body) = server
        .admin(
            Method::PUT,
            &format!("/bots/{BOT}/settings-form"),
            Some(json!({"fields": [
                {"id": "time", "type": "radio", "label": "Report at", "options": ["Morning", "Evening"]},
                {"id": "city", "type": "input", "label": "City"}]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let send = async |body: Value| {
        let reply = server.post("/bot/send", &bot, body).await;
        assert_eq!(reply["code"], 1, "{reply}");
        reply["data"]["messageInfo"]["msgId"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let first = send(json!({"recvId": GROUP, "recvType": "group", "contentType": "markdown",
        "content": {"text": "## Build #4821\n\n- **1,204** passed\n- see [the log](https://ci.example.com/4821) or mail ops@example.com\n\n```\ncargo test --workspace\n```",
                    "buttons": [[{"text": "Approve", "actionType": 3, "value": "ok"},
                                 {"text": "Docs", "actionType": 1, "url": "https://example.com"}]]}}))
    .await;
    let card = json!({"updateComponents": {"surfaceId": "s", "components": [
        {"id": "root", "component": "Card", "child": "col"},
        {"id": "col", "component": "Column", "children": ["t", "f", "c", "b"]},
        {"id": "t", "component": "Text", "text": "Order #7", "variant": "h2"},
        {"id": "f", "component": "TextField", "label": "Note"},
        {"id": "c", "component": "CheckBox", "label": "Gift wrap"},
        {"id": "bl", "component": "Text", "text": "Confirm"},
        {"id": "b", "component": "Button", "child": "bl", "primary": true, "action": {"name": "ok"}}]}})
    .to_string();
    send(json!({"recvId": GROUP, "recvType": "group", "contentType": "a2ui", "content": {"text": card}})).await;
    let board = server
        .post(
            "/bot/board",
            &bot,
            json!({"chatId": GROUP, "chatType": "group", "contentType": "markdown",
                   "content": "**Deploy freeze** until Friday"}),
        )
        .await;
    assert_eq!(board["code"], 1, "{board}");
    // Bob: a reply quoting the bot, a reaction, an edited message; in the other group a
    // mention of Alice (her @ badge) and an unread message.
    let said = user_send(&server, &bob, GROUP, "looks good").await;
    let (status, body) = server
        .user_api(
            Method::POST,
            &bob,
            &format!("/messages/{said}/edit"),
            Some(json!({"contentType": "text", "content": {"text": "looks good to me"}})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = server
        .user_api(
            Method::POST,
            &bob,
            &format!("/chats/group/{GROUP}/messages"),
            Some(json!({"contentType": "text", "content": {"text": "which log?"}, "parentId": first})),
        )
        .await;
    assert!(status == 200 || status == 201, "{body}");
    let (status, body) = server
        .user_api(
            Method::PUT,
            &bob,
            &format!("/messages/{first}/reactions/👍"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = server
        .user_api(
            Method::POST,
            &bob,
            &format!("/chats/group/{GROUP2}/messages"),
            Some(json!({"contentType": "text", "content": {"text": "@Alice\u{200b} ping", "at": [ALICE]}})),
        )
        .await;
    assert!(status == 200 || status == 201, "{body}");

    let Some((driver, _profile)) = signed_in(&server, &alice, (1280, 800)).await else {
        return;
    };
    // Alice's own image, for the lightbox: a PNG the browser draws, sent with the paper clip.
    open_chat(&driver, &format!("group:{GROUP}")).await;
    let png = driver
        .js(
            "const c = document.createElement('canvas'); c.width = 1600; c.height = 900; \
             const g = c.getContext('2d'); g.fillStyle = '#3a7bd5'; g.fillRect(0, 0, 1600, 900); \
             return c.toDataURL('image/png').split(',')[1]",
        )
        .await;
    let files = tempfile::tempdir().unwrap();
    let wide = files.path().join("wide.png");
    std::fs::write(&wide, base64(png.as_str().unwrap())).unwrap();
    driver
        .type_into("#composer-file", wide.to_str().unwrap())
        .await;
    driver
        .wait_for(
            "the sent image, loaded",
            "const img = document.querySelector('#message-list img.msg-image'); \
             return img?.complete && img.naturalWidth === 1600",
        )
        .await;
    for ((width, height), scheme) in [
        ((1280, 800), "light"),
        ((1280, 800), "dark"),
        ((390, 844), "light"),
        ((390, 844), "dark"),
    ] {
        let view = format!("{width}×{height} {scheme}");
        driver.resize(width, height).await;
        driver.color_scheme(scheme).await;
        driver
            .wait_for(
                "the emulated scheme",
                &format!("return matchMedia('(prefers-color-scheme: {scheme})').matches"),
            )
            .await;
        // The chat list: badges, previews, search, sign out.
        if width < 600 && driver.js("return !document.getElementById('back').hidden && document.getElementById('chat').getBoundingClientRect().width > 0").await == json!(true) {
            driver.click("#back").await;
        }
        driver
            .wait_for(
                "the chat list with its badges",
                "return !!document.querySelector('.chat-item .unread') && !!document.querySelector('.chat-item .mentions, .chat-item .mention')",
            )
            .await;
        check(&driver, "#sidebar", &view, "the chat list").await;

        // The chat: every kind of message, the board, the lines.
        open_chat(&driver, &format!("group:{GROUP}")).await;
        driver
            .wait_for(
                "the whole chat",
                "return document.querySelectorAll('#message-list .msg').length >= 4 \
                   && !!document.querySelector('.a2ui-card') && !!document.querySelector('.board') \
                   && !!document.querySelector('.msg-quote') && !!document.querySelector('.reaction-chip') \
                   && !!document.querySelector('.edited') && !!document.querySelector('.day-divider')",
            )
            .await;
        check(&driver, "#chat", &view, "the chat").await;

        // The image in the lightbox, within the window.
        driver.click("#message-list img.msg-image").await;
        driver
            .wait_for(
                "the lightbox",
                "const d = document.getElementById('lightbox'); \
                 return d.open && d.querySelector('img')?.complete",
            )
            .await;
        check(&driver, "#lightbox", &view, "the lightbox").await;
        driver.press(ESCAPE).await;
        driver
            .wait_for(
                "the lightbox closed",
                "return !document.getElementById('lightbox').open",
            )
            .await;

        // The group's info, with the bot's settings open (Alice owns the group).
        driver.click("#chat-info").await;
        driver
            .wait_for(
                "the group's info",
                "return document.getElementById('group-info').open && !!document.querySelector('#group-info .bot-settings-open')",
            )
            .await;
        driver.click("#group-info .bot-settings-open").await;
        driver
            .wait_for(
                "the settings form",
                "return !!document.querySelector('#group-info form.bot-settings [data-field]')",
            )
            .await;
        check(&driver, "#group-info", &view, "the group's info").await;
        driver.press(ESCAPE).await;
        driver
            .wait_for(
                "the dialog closed",
                "return !document.getElementById('group-info').open",
            )
            .await;

        // Search results (the list's own panel).
        if width < 600 {
            driver.click("#back").await;
        }
        driver.type_into("#search-input", "log").await;
        driver
            .wait_for(
                "search results",
                "return document.querySelectorAll('#search-results li, #search-results .search-hit').length > 0",
            )
            .await;
        check(&driver, "#sidebar", &view, "search results").await;
        driver.press(ESCAPE).await;
        driver
            .js("const i = document.getElementById('search-input'); i.value = ''; i.dispatchEvent(new Event('input')); return 1")
            .await;

        // Discover, and New message.
        for (open, dialog) in [("#discover-open", "#discover"), ("#people-open", "#people")] {
            driver.click(open).await;
            driver
                .wait_for(
                    "the panel",
                    &format!("return document.querySelector(\"{dialog}\").open"),
                )
                .await;
            tokio::time::sleep(Duration::from_millis(300)).await;
            check(&driver, dialog, &view, dialog).await;
            driver.press(ESCAPE).await;
            driver
                .wait_for(
                    "the panel closed",
                    &format!("return !document.querySelector(\"{dialog}\").open"),
                )
                .await;
        }
    }

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}

/// The admin console's bot page (description, webhook, event types, secret, commands, menu,
/// settings form, followers, groups) and users tab in the four views.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_console_is_readable_and_fits_in_every_view_in_a_real_browser() {
    let server = TestServer::start().await;
    server.user(ALICE, "Alice").await;
    server.group(GROUP, &[ALICE]).await;
    server.bot(BOT).await;
    server.join(BOT, GROUP).await;
    server.follow(BOT, ALICE).await;
    for (path, body) in [
        (
            format!("/bots/{BOT}/commands"),
            json!({"name": "order", "kind": "form", "form": [{"id": "n", "type": "input", "label": "Name"}]}),
        ),
        (format!("/bots/{BOT}/menus"), json!({"name": "Check in"})),
    ] {
        let (status, body) = server.admin(Method::POST, &path, Some(body)).await;
        assert!(status == 200 || status == 201, "{body}");
    }
    let (status, body) = server
        .admin(
            Method::PUT,
            &format!("/bots/{BOT}/settings-form"),
            Some(json!({"fields": [{"id": "city", "type": "input", "label": "City"}]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let Some((driver, _profile)) = admin_console(&server).await else {
        return;
    };
    for ((width, height), scheme) in [
        ((1280, 800), "light"),
        ((1280, 800), "dark"),
        ((390, 844), "light"),
        ((390, 844), "dark"),
    ] {
        let view = format!("{width}×{height} {scheme}");
        driver.resize(width, height).await;
        driver.color_scheme(scheme).await;
        driver
            .wait_for(
                "the emulated scheme",
                &format!("return matchMedia('(prefers-color-scheme: {scheme})').matches"),
            )
            .await;
        driver.click("#tab-users").await;
        driver
            .wait_for(
                "the users table",
                "return !!document.querySelector('#view table tbody tr')",
            )
            .await;
        check(&driver, "body", &view, "the users tab").await;
        open_bot(&driver, BOT).await;
        driver
            .wait_for(
                "the bot's page, whole",
                "return !!document.getElementById('settings-form-now') \
                   && !document.getElementById('delivery-health')?.textContent.includes('loading')",
            )
            .await;
        check(&driver, "body", &view, "a bot's page").await;
    }
    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}
