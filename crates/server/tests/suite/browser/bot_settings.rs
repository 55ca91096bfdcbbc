//! A bot's settings in a group (wire §7.9, issue 20), in a real browser: the admin console
//! sets the bot's settings form; the group's owner opens the group's info, the bot's
//! *Settings*, fills the form in and saves it, and the bot gets `bot.setting` with those
//! values; a plain member is not offered *Settings*. At desktop and phone width.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_settings_of_a_bot_in_a_real_browser() {
    group_settings((1280, 800)).await;
    group_settings((390, 844)).await;
}

async fn group_settings(size: (u32, u32)) {
    const BOB: &str = "4827368";
    let phone = size.0 < 600;
    let server = TestServer::start().await;
    let alice = server.user(ALICE, "Alice").await;
    let bob = server.user(BOB, "Bob").await;
    server.group(GROUP, &[ALICE, BOB]).await;
    let (status, body) = server
        .admin(
            Method::PUT,
            &format!("/groups/{GROUP}/members/{ALICE}"),
            Some(json!({"role": "owner"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    server.bot(BOT).await;
    server.join(BOT, GROUP).await;

    // The admin console sets the settings form, as an operator types it.
    if !phone {
        let Some((console, _profile)) = admin_console(&server).await else {
            return;
        };
        open_bot(&console, BOT).await;
        console
            .type_into(
                "#settings-form-form input[name=fields]",
                "time:radio:Report at:Morning,Evening; city:input:City; loud:switch:Mention everyone",
            )
            .await;
        console
            .click("#settings-form-form button[type=submit]")
            .await;
        console
            .wait_for(
                "the saved settings form",
                "return document.querySelector('#notice .notice.ok')?.textContent === 'Settings form saved.' \
                   && document.getElementById('settings-form-now')?.textContent \
                      === 'Report at (radio: Morning, Evening); City (input); Mention everyone (switch)'",
            )
            .await;
        console.call("DELETE", &console.s(""), None).await;
        drop(console);
    } else {
        let (status, body) = server
            .admin(
                Method::PUT,
                &format!("/bots/{BOT}/settings-form"),
                Some(json!({"fields": [
                    {"id": "time", "type": "radio", "label": "Report at", "options": ["Morning", "Evening"]},
                    {"id": "city", "type": "input", "label": "City"},
                    {"id": "loud", "type": "switch", "label": "Mention everyone"}
                ]})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let (_, form) = server
        .admin(Method::GET, &format!("/bots/{BOT}/settings-form"), None)
        .await;
    assert_eq!(form["fields"].as_array().map(Vec::len), Some(3), "{form}");

    // A plain member sees the bot, without Settings.
    let Some((driver, _profile)) = signed_in(&server, &bob, size).await else {
        return;
    };
    open_chat(&driver, &format!("group:{GROUP}")).await;
    driver.click("#chat-info").await;
    let card = format!("#group-info .bot-profile[data-bot-id='{BOT}']");
    let buttons = driver
        .wait_for(
            "the bot's actions",
            &format!(
                "const b = document.querySelectorAll(\"{card} .bot-actions button\"); \
                 return b.length ? [...b].map((e) => e.textContent) : null"
            ),
        )
        .await;
    assert_eq!(buttons, json!(["Follow"]), "{size:?}");
    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);

    // The owner opens the bot's settings, fills them in and saves.
    let Some((driver, _profile)) = signed_in(&server, &alice, size).await else {
        return;
    };
    open_chat(&driver, &format!("group:{GROUP}")).await;
    driver.click("#chat-info").await;
    driver
        .wait_for(
            "Settings beside Follow",
            &format!(
                "return [...document.querySelectorAll(\"{card} .bot-actions button\")] \
                   .map((e) => e.textContent).join() === 'Follow,Settings'"
            ),
        )
        .await;
    driver.click(&format!("{card} .bot-settings-open")).await;
    let panel = format!("{card} form.bot-settings");
    let shown = driver
        .wait_for(
            "the settings form",
            &format!(
                "const f = document.querySelector(\"{panel}\"); \
                 if (!f || !f.querySelector('[data-field]')) return null; \
                 const d = document.getElementById('group-info').getBoundingClientRect(); \
                 const controls = [...f.querySelectorAll('input, select, textarea')]; \
                 const named = (c) => c.labels.length > 0 || !!c.closest('fieldset')?.querySelector('legend'); \
                 return {{labels: [...f.querySelectorAll('div.cf-field > label, legend')].map((l) => l.textContent.trim()), \
                         allLabelled: controls.every(named), \
                         focused: document.activeElement?.closest('[data-field]')?.dataset.field, \
                         fits: [...f.querySelectorAll('*')].every((e) => {{ const r = e.getBoundingClientRect(); \
                           return r.width === 0 || (r.left >= d.left - 0.5 && r.right <= d.right + 0.5); }}), \
                         expanded: document.querySelector(\"{card} .bot-settings-open\").getAttribute('aria-expanded')}}"
            ),
        )
        .await;
    assert_eq!(
        shown,
        json!({"labels": ["Report at", "City", "Mention everyone"], "allLabelled": true,
               "focused": "time", "fits": true, "expanded": "true"}),
        "{size:?}"
    );
    driver
        .click(&format!("{panel} [data-field=time] input[value='1']"))
        .await;
    driver
        .type_into(&format!("{panel} [data-field=city] input"), "Hangzhou")
        .await;
    driver
        .click(&format!("{panel} [data-field=loud] input"))
        .await;
    let shots = std::env::var("CLOUDLAKE_SCREENSHOTS")
        .ok()
        .map(PathBuf::from);
    if !phone {
        driver
            .screenshot(shots.as_deref(), "bot-settings.png")
            .await;
    }
    driver.click(&format!("{panel} button[type=submit]")).await;
    driver
        .wait_for(
            "Saved",
            &format!(
                "return document.querySelector(\"{panel} .bot-settings-status\")?.textContent \
                   === 'Saved. bot {BOT} has been told.'"
            ),
        )
        .await;

    // The bot got bot.setting with exactly those values.
    let event = server
        .outbox(BOT)
        .into_iter()
        .rfind(|e| e["header"]["eventType"] == "bot.setting")
        .expect("bot.setting in the bot's outbox");
    assert_eq!(event["event"]["groupId"], GROUP);
    assert_eq!(event["event"]["chatId"], BOT);
    let setting: Value =
        serde_json::from_str(event["event"]["settingJson"].as_str().unwrap()).unwrap();
    assert_eq!(
        setting,
        json!({
            "time": {"id": "time", "type": "radio", "label": "Report at", "selectIndex": 1, "selectValue": "Evening"},
            "city": {"id": "city", "type": "input", "label": "City", "value": "Hangzhou"},
            "loud": {"id": "loud", "type": "switch", "label": "Mention everyone", "value": true}
        }),
        "{size:?}"
    );

    // Opened again, the form shows what was saved.
    driver.click(&format!("{card} .bot-settings-open")).await;
    driver.click(&format!("{card} .bot-settings-open")).await;
    let again = driver
        .wait_for(
            "the saved values",
            &format!(
                "const f = document.querySelector(\"{panel}\"); \
                 if (!f || !f.querySelector('[data-field]')) return null; \
                 return [f.querySelector('[data-field=time] input:checked')?.value, \
                         f.querySelector('[data-field=city] input').value, \
                         f.querySelector('[data-field=loud] input').checked]"
            ),
        )
        .await;
    assert_eq!(again, json!(["1", "Hangzhou", true]), "{size:?}");

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}
