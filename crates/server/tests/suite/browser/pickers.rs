//! The admin console's pickers of users, groups and bots filter as one types, in a real
//! browser: with 500 users, a name or part of an ID narrows the list, a single match is picked
//! so that Enter submits it, ↓ goes to the list, Esc brings every option back.

use super::*;

/// The picker `<select name=…>`'s options (without the empty first choice), the chosen value,
/// and the filter's count, in the view.
async fn picker_state(driver: &Driver, name: &str) -> Value {
    driver
        .js(&format!(
            "const s = document.querySelector('#view select[name={name}]'); \
             const f = s.form.querySelector('.picker-filter'); \
             return {{options: [...s.options].filter(o => o.value).map(o => o.textContent), \
                      value: s.value, count: s.form.querySelector('.picker-count').textContent, \
                      filterNamed: f.hasAttribute('name')}}"
        ))
        .await
}

/// Types `text` into the filter of the picker `<select name=…>`, after clearing it.
async fn filter(driver: &Driver, name: &str, text: &str) {
    driver
        .js(&format!(
            "const f = document.querySelector('#view select[name={name}]').form.querySelector('.picker-filter'); \
             f.value = ''; f.focus(); return 1"
        ))
        .await;
    let css = format!("#view form:has(select[name={name}]) .picker-filter");
    driver.type_into(&css, text).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pickers_filter_as_you_type_in_a_real_browser() {
    const ZELDA: &str = "7999999";
    let server = TestServer::start().await;
    // 500 users, created a few at a time.
    let ids: Vec<(String, String)> = (0..500)
        .map(|i| (format!("{}", 7_000_000 + i * 7), format!("User {i:03}")))
        .collect();
    for chunk in ids.chunks(50) {
        futures_util::future::join_all(chunk.iter().map(|(id, name)| server.user(id, name))).await;
    }
    server.user(ZELDA, "Zelda").await;
    server.group(GROUP, &[ZELDA]).await;
    let Some((driver, _profile)) = admin_console(&server).await else {
        return;
    };
    driver.resize(1280, 900).await;

    // The password form's user picker: every user, no filter yet.
    let all = picker_state(&driver, "userId").await;
    assert_eq!(all["options"].as_array().unwrap().len(), 501);
    assert_eq!(all["count"], "");
    assert_eq!(all["filterNamed"], false, "the filter is never sent");

    // By name, any case: one match, picked, and Enter submits the form with it.
    driver
        .type_into("#view form input[name=password]", "zelda's passphrase")
        .await;
    filter(&driver, "userId", "zEL").await;
    assert_eq!(
        picker_state(&driver, "userId").await,
        json!({"options": [format!("Zelda ({ZELDA})")], "value": ZELDA, "count": "1 of 501",
               "filterNamed": false})
    );
    driver.press(ENTER).await;
    driver
        .wait_for(
            "the password notice",
            &format!("return document.querySelector('#notice .notice.ok')?.textContent === 'Password set for Zelda ({ZELDA}).'"),
        )
        .await;
    let (status, _) = server
        .call(
            Method::POST,
            "/api/v1/session",
            "",
            Some(json!({"userId": ZELDA, "password": "zelda's passphrase"})),
        )
        .await;
    assert_eq!(status, 201, "the password was set for Zelda");

    // By part of an ID: several match, none is picked for you; ↓ goes to the list.
    driver
        .wait_for(
            "the form reset, every option back",
            "const s = document.querySelector('#view select[name=userId]'); \
             return s && [...s.options].filter(o => o.value).length === 501",
        )
        .await;
    filter(&driver, "userId", "70001").await;
    let some = picker_state(&driver, "userId").await;
    // The IDs are 7000000 + 7i: those with "70001" in them.
    let expected: Vec<String> = ids
        .iter()
        .filter(|(id, _)| id.contains("70001"))
        .map(|(id, name)| format!("{name} ({id})"))
        .collect();
    assert!(expected.len() >= 2, "{expected:?}");
    assert_eq!(some["options"], json!(expected));
    assert_eq!(some["value"], "", "several match: none picked");
    assert_eq!(some["count"], format!("{} of 501", expected.len()));
    driver.press(ARROW_DOWN).await;
    assert_eq!(
        driver
            .js("return document.activeElement === document.querySelector('#view select[name=userId]')")
            .await,
        json!(true),
        "↓ moves to the list"
    );
    // Nothing matches: the empty choice says so.
    filter(&driver, "userId", "nobody by that name").await;
    let none = picker_state(&driver, "userId").await;
    assert_eq!(none["options"], json!([]));
    assert_eq!(none["count"], "0 of 501");
    // Esc in the filter brings every option back.
    driver.press(ESCAPE).await;
    let back = picker_state(&driver, "userId").await;
    assert_eq!(back["options"].as_array().unwrap().len(), 501);
    assert_eq!(back["count"], "");

    // A group's page: a member found by name and added from the keyboard.
    open_group(&driver, GROUP).await;
    driver
        .wait_for(
            "the group's page",
            "return !!document.querySelector('#group-detail select[name=user]')",
        )
        .await;
    assert_eq!(
        picker_state(&driver, "user").await["options"]
            .as_array()
            .unwrap()
            .len(),
        500,
        "Zelda is in the group already"
    );
    filter(&driver, "user", "user 499").await;
    assert_eq!(
        picker_state(&driver, "user").await["value"],
        ids[499].0.as_str()
    );
    driver.press(ENTER).await;
    let added = &ids[499].0;
    driver
        .wait_for(
            "User 499 among the members",
            &format!(
                "return [...document.querySelectorAll('#group-detail table tbody tr')] \
                   .some(r => r.cells[0].textContent === '{added}')"
            ),
        )
        .await;
    let (_, group) = server
        .admin(Method::GET, &format!("/groups/{GROUP}"), None)
        .await;
    assert!(
        group["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["userId"] == added.as_str()),
        "{group}"
    );

    driver.call("DELETE", &driver.s(""), None).await;
    drop(driver);
    server.stop().await;
}
