//! Reactions in the web client, in a real browser: "React" opens a palette the keyboard can
//! use, a chip shows each emoji's count with who reacted on hover, the reader's own chip is
//! pressed and takes the reaction back, another member's reaction arrives live, a field takes
//! any other emoji, and a refusal says why. At desktop and phone sizes, light and dark. With
//! `CLOUDLAKE_SCREENSHOTS=<dir>` it saves `reactions.png` there (the README's picture).

use super::*;

/// The state of every chip under message `id`: `[emoji, count, pressed, title]`.
fn chips(id: &str) -> String {
    format!(
        "const m = document.querySelector(\"#message-list .msg[data-msg-id='{id}']\"); \
         if (!m) return null; \
         return [...m.querySelectorAll('.msg-reactions .reaction-chip')].map(c => \
           [c.dataset.emoji, Number(c.querySelector('.reaction-count').textContent), \
            c.getAttribute('aria-pressed') === 'true', c.title])"
    )
}

/// Waits until the chips under `id` are exactly `want`.
async fn wait_chips(driver: &Driver, id: &str, want: Value) {
    let script = format!("return (() => {{ {} }})()", chips(id));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let shown = driver.js(&script).await;
        if shown == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "chips of {id}: want {want}, shown {shown}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `[emoji, count] -> users` as the server's history has them for message `id`.
async fn stored(server: &TestServer, token: &str, id: &str) -> Value {
    let message = user_history_message(server, token, GROUP, id).await;
    let reactions = message.get("reactions").cloned().unwrap_or(json!([]));
    Value::Array(
        reactions
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let users: Vec<Value> = r["users"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|u| u["userId"].clone())
                    .collect();
                json!([r["emoji"], r["count"], users])
            })
            .collect(),
    )
}

/// Contrast and fit of the chips under `id`: `[[name, background luminance, contrast], …]`
/// and whether every chip lies inside the message bubble.
fn chip_looks(id: &str) -> String {
    format!(
        "const rgb = (c) => c.match(/[\\d.]+/g).map(Number); \
         const lum = ([r, g, b]) => {{ const f = (v) => {{ v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }}; \
                                      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); }}; \
         const bg = (el) => {{ for (; el; el = el.parentElement) {{ const c = rgb(getComputedStyle(el).backgroundColor); \
                                if (c.length < 4 || c[3] > 0) return c; }} return [255, 255, 255]; }}; \
         const m = document.querySelector(\"#message-list .msg[data-msg-id='{id}']\"); \
         const box = m.getBoundingClientRect(); \
         const list = [...m.querySelectorAll('.reaction-chip')]; \
         return {{ chips: list.map(c => {{ const b = lum(bg(c)), t = lum(rgb(getComputedStyle(c.querySelector('.reaction-count')).color)); \
                     return [c.getAttribute('aria-pressed'), Math.round(b * 100) / 100, Math.round((Math.max(b, t) + 0.05) / (Math.min(b, t) + 0.05) * 10) / 10]; }}), \
                   inside: list.every(c => {{ const r = c.getBoundingClientRect(); return r.left >= box.left && r.right <= box.right && r.bottom <= box.bottom; }}), \
                   pageWide: document.documentElement.scrollWidth <= window.innerWidth }}"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reacting_and_taking_it_back_with_another_members_reaction_live_in_a_real_browser() {
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    let bob = server.user(BOB, "Bob").await;
    server.group(GROUP, &[ALICE, BOB]).await;
    let first = user_send(&server, &bob, GROUP, "Who is in for lunch at noon?").await;
    let Some((driver, _profile)) = signed_in(&server, &alice, (1280, 800)).await else {
        return;
    };
    open_chat(&driver, &format!("group:{GROUP}")).await;
    let shots = std::env::var("CLOUDLAKE_SCREENSHOTS")
        .ok()
        .map(PathBuf::from);
    let react = |id: &str, emoji: &str| {
        let path = format!(
            "/messages/{id}/reactions/{}",
            emoji
                .bytes()
                .map(|b| format!("%{b:02X}"))
                .collect::<String>()
        );
        let server = &server;
        let bob = bob.clone();
        async move {
            let (status, body) = server.user_api(Method::PUT, &bob, &path, None).await;
            assert_eq!(status, 200, "{body}");
        }
    };

    for ((width, height), scheme) in [
        ((1280, 800), "light"),
        ((1280, 800), "dark"),
        ((390, 844), "light"),
        ((390, 844), "dark"),
    ] {
        let at = format!("{width} {scheme}");
        driver.resize(width, height).await;
        driver.color_scheme(scheme).await;
        driver
            .wait_for(
                "the emulated scheme",
                &format!("return matchMedia('(prefers-color-scheme: {scheme})').matches"),
            )
            .await;
        // A message of Bob's arrives live; it has no chips yet.
        let id = user_send(&server, &bob, GROUP, &format!("Pizza or ramen? ({at})")).await;
        let li = format!("#message-list .msg[data-msg-id='{id}']");
        driver
            .wait_for(
                "Bob's message, live",
                &format!("return !!document.querySelector(\"{li}\")"),
            )
            .await;
        wait_chips(&driver, &id, json!([])).await;
        assert_eq!(
            driver
                .js(&format!(
                    "return document.querySelector(\"{li} .msg-reactions\").hidden"
                ))
                .await,
            json!(true),
            "{at}: an empty bar takes no room"
        );

        // React, by keyboard: the palette opens with its first emoji focused; Enter picks it.
        driver.click(&format!("{li} .msg-react")).await;
        driver
            .wait_for(
                "the palette, focused",
                &format!(
                    "const p = document.querySelector(\"{li} .reaction-palette\"); \
                     return p && document.activeElement === p.querySelector('.reaction-pick') \
                       && p.querySelectorAll('.reaction-pick').length === 8"
                ),
            )
            .await;
        driver.press(ENTER).await;
        wait_chips(&driver, &id, json!([["👍", 1, true, "Alice"]])).await;
        assert_eq!(
            driver
                .js(&format!(
                    "return !document.querySelector(\"{li} .reaction-palette\")"
                ))
                .await,
            json!(true),
            "{at}: the palette closes once picked"
        );
        assert_eq!(
            stored(&server, &alice, &id).await,
            json!([["👍", 1, [ALICE]]])
        );

        // Bob's reactions arrive live: a new chip, and a count going up with both named.
        react(&id, "❤️").await;
        wait_chips(
            &driver,
            &id,
            json!([["👍", 1, true, "Alice"], ["❤️", 1, false, "Bob"]]),
        )
        .await;
        react(&id, "👍").await;
        wait_chips(
            &driver,
            &id,
            json!([["👍", 2, true, "Alice, Bob"], ["❤️", 1, false, "Bob"]]),
        )
        .await;

        // Readable and inside the bubble, pressed or not, in this scheme and size.
        let looks = driver.js(&chip_looks(&id)).await;
        assert_eq!(looks["inside"], json!(true), "{at}: {looks}");
        assert_eq!(looks["pageWide"], json!(true), "{at}: {looks}");
        for chip in looks["chips"].as_array().unwrap() {
            let background = chip[1].as_f64().unwrap();
            if scheme == "dark" {
                assert!(background < 0.1, "{at}: a chip is not dark: {looks}");
            } else {
                assert!(background > 0.7, "{at}: a chip is not light: {looks}");
            }
            assert!(
                chip[2].as_f64().unwrap() >= 4.5,
                "{at}: a chip is hard to read: {looks}"
            );
        }
        if (width, scheme) == (1280, "light") {
            // The picture shows the palette open on the message above, then closes it.
            let above = format!("#message-list .msg[data-msg-id='{first}']");
            driver.click(&format!("{above} .msg-react")).await;
            driver
                .wait_for(
                    "the palette above",
                    &format!("return !!document.querySelector(\"{above} .reaction-palette\")"),
                )
                .await;
            driver.screenshot(shots.as_deref(), "reactions.png").await;
            driver.press(ESCAPE).await;
        }

        // Clicking her own (pressed) chip takes Alice's reaction back; Bob's stays.
        driver
            .click(&format!("{li} .reaction-chip[data-emoji='👍']"))
            .await;
        wait_chips(
            &driver,
            &id,
            json!([["❤️", 1, false, "Bob"], ["👍", 1, false, "Bob"]]),
        )
        .await;
        assert_eq!(
            stored(&server, &alice, &id).await,
            json!([["❤️", 1, [BOB]], ["👍", 1, [BOB]]])
        );
        // And clicking Bob's ❤️ adds hers beside his.
        driver
            .click(&format!("{li} .reaction-chip[data-emoji='❤️']"))
            .await;
        wait_chips(
            &driver,
            &id,
            json!([["❤️", 2, true, "Bob, Alice"], ["👍", 1, false, "Bob"]]),
        )
        .await;
    }

    // Any other single emoji through the palette's field; text is refused, and says why.
    let id = user_send(&server, &bob, GROUP, "Friday demo is on").await;
    let li = format!("#message-list .msg[data-msg-id='{id}']");
    driver
        .wait_for(
            "the last message",
            &format!("return !!document.querySelector(\"{li}\")"),
        )
        .await;
    for (typed, ok) in [("ok", false), ("🦀", true)] {
        driver.click(&format!("{li} .msg-react")).await;
        driver
            .wait_for(
                "the palette",
                &format!("return !!document.querySelector(\"{li} .reaction-other\")"),
            )
            .await;
        // WebDriver types only the Basic Multilingual Plane: the field is filled by script,
        // then submitted with Enter from the keyboard.
        driver
            .js(&format!(
                "const f = document.querySelector(\"{li} .reaction-other\"); f.value = {typed:?}; f.focus(); return 1"
            ))
            .await;
        driver.press(ENTER).await;
        if ok {
            wait_chips(&driver, &id, json!([["🦀", 1, true, "Alice"]])).await;
        } else {
            driver
                .wait_for(
                    "the refusal",
                    &format!(
                        "const e = document.querySelector(\"{li} .reaction-error\"); \
                         return e && e.getAttribute('role') === 'alert' && /emoji/.test(e.textContent)"
                    ),
                )
                .await;
            assert_eq!(stored(&server, &alice, &id).await, json!([]));
        }
    }
    // Esc closes the palette without reacting.
    driver.click(&format!("{li} .msg-react")).await;
    driver
        .wait_for(
            "the palette",
            &format!("return !!document.querySelector(\"{li} .reaction-palette\")"),
        )
        .await;
    driver.press(ESCAPE).await;
    driver
        .wait_for(
            "the palette closed by Esc",
            &format!(
                "return !document.querySelector(\"{li} .reaction-palette\") \
                 && document.activeElement === document.querySelector(\"{li} .msg-react\")"
            ),
        )
        .await;
    assert_eq!(
        stored(&server, &alice, &id).await,
        json!([["🦀", 1, [ALICE]]])
    );

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}
