//! Users, groups, bots and their relations.

use super::super::{Record, Role};
use super::Harness;

#[tokio::test]
async fn following_records_a_join_and_queues_an_event_once() {
    let h = Harness::new();
    h.bot("b").await;
    h.user("alice").await;
    h.commits();
    assert!(h.store.follow("b".into(), "alice".into()).await.unwrap());
    let commits = h.commits();
    let [commit] = commits.as_slice() else {
        panic!("{commits:?}")
    };
    assert!(
        matches!(commit.records.as_slice(),
            [Record::Joined { user_id, chat_key }] if user_id == "alice" && chat_key == "p:b:alice"),
        "{commit:?}"
    );
    let wake = commit.wake.as_deref().expect("the bot is woken");
    assert_eq!(wake.bots, ["b"]);
    assert_eq!(
        h.rows(2, "SELECT bot_id, event_type FROM outbox").await,
        [vec![Some("b".into()), Some("bot.followed".into())]]
    );
    // Following again changes nothing: no records, no wake-up, no second event.
    assert!(!h.store.follow("b".into(), "alice".into()).await.unwrap());
    assert!(h.commits().is_empty());
    assert_eq!(h.rows(1, "SELECT event_id FROM outbox").await.len(), 1);
}

#[tokio::test]
async fn membership_changes_record_joins_and_leaves_with_events_for_the_groups_bots() {
    let h = Harness::with_bot_users_and_group().await;
    assert!(
        h.store
            .set_member("g".into(), "bob".into(), Role::Member)
            .await
            .unwrap()
    );
    h.store
        .remove_member("g".into(), "bob".into())
        .await
        .unwrap();
    let records = h.records();
    assert!(
        matches!(records.as_slice(), [
            Record::Joined { user_id: a, chat_key: k1 },
            Record::Left { user_id: b, chat_key: k2 },
            Record::Appended { message, .. },
        ] if a == "bob" && b == "bob" && k1 == "g:g" && k2 == "g:g"
            && message.chat_key == "g:g" && message.content_type == "tip"
            && message.content == r#"{"text":"\"user bob\"已被移出群聊"}"#),
        "{records:?}"
    );
    // The join, the leave and the tip of the removal, to the group's bot.
    assert_eq!(
        h.rows(
            1,
            "SELECT event_type FROM outbox WHERE payload LIKE '%bob%' ORDER BY id"
        )
        .await,
        [
            vec![Some("group.join".into())],
            vec![Some("group.leave".into())],
            vec![Some("message.receive.normal".into())]
        ]
    );
    // Removing a non-member is refused and leaves nothing behind.
    let missing = h.store.remove_member("g".into(), "bob".into()).await;
    assert!(missing.is_err());
    assert!(h.commits().is_empty());
}

#[tokio::test]
async fn deleting_a_group_closes_its_chat_and_keeps_the_cursor_floor() {
    let h = Harness::with_bot_users_and_group().await;
    h.store
        .send_from_bot(
            "b".into(),
            cloudlake_protocol::RecvType::Group,
            vec![("g".into(), "m1".into())],
            super::text("x", None),
        )
        .await
        .unwrap();
    let latest = h.store.latest_cursor().await.unwrap();
    h.commits();
    h.store.delete_group("g".into()).await.unwrap();
    let records = h.records();
    assert!(
        matches!(records.as_slice(), [Record::ChatClosed { chat_key }] if chat_key == "g:g"),
        "{records:?}"
    );
    assert!(h.rows(1, "SELECT msg_id FROM messages").await.is_empty());
    // Cursors never go back below one a client may hold.
    assert_eq!(h.store.latest_cursor().await.unwrap(), latest);
}

#[tokio::test]
async fn a_new_user_token_or_deletion_ends_the_users_sessions() {
    use crate::secret::TokenHash;
    let h = Harness::with_bot_users_and_group().await;
    h.store
        .create_session("bob".into(), TokenHash::of("phone"), 0, i64::MAX)
        .await
        .unwrap();
    h.commits();
    h.store
        .set_user_token("bob".into(), TokenHash::of("new"))
        .await
        .unwrap();
    // The old token's sockets and the session's end; one opened with the new token does not,
    // however late the close reaches the gateway.
    let mut ended: Vec<[u8; 32]> = h
        .records()
        .into_iter()
        .map(|record| match record {
            Record::UserClosed {
                user_id,
                session: Some(hash),
            } if user_id == "bob" => hash,
            other => panic!("{other:?}"),
        })
        .collect();
    ended.sort_unstable();
    let mut expected = [TokenHash::of("bob").0, TokenHash::of("phone").0];
    expected.sort_unstable();
    assert_eq!(ended, expected);
    assert!(
        h.rows(1, "SELECT user_id FROM user_sessions")
            .await
            .is_empty()
    );

    h.store.delete_user("bob".into()).await.unwrap();
    let records = h.records();
    assert!(
        matches!(records.as_slice(), [
            Record::UserClosed { user_id: b, session: None },
        ] if b == "bob"),
        "{records:?}"
    );
    assert!(
        h.rows(1, "SELECT id FROM users WHERE id = 'bob'")
            .await
            .is_empty()
    );
}
