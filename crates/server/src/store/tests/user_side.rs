//! What users do: sends, leaving.

use super::super::{Chat, Leave, Record, UserSend};
use super::{Harness, text};

#[tokio::test]
async fn a_users_send_appends_and_queues_the_event_for_the_groups_bot() {
    let h = Harness::with_bot_users_and_group().await;
    let chat = Chat::Group {
        group_id: "g".into(),
    };
    let sent = h
        .store
        .send_from_user(
            "alice".into(),
            chat.clone(),
            "m1".into(),
            text("hello", None),
        )
        .await
        .unwrap();
    let UserSend::Sent(row) = sent else {
        panic!("{sent:?}")
    };
    assert_eq!((row.seq, row.sender_id.as_str()), (1, "alice"));
    let commits = h.commits();
    let [commit] = commits.as_slice() else {
        panic!("{commits:?}")
    };
    assert!(
        matches!(commit.records.as_slice(),
            [Record::Appended { message, .. }] if message.msg_id == "m1" && message.chat_key == "g:g"),
        "{commit:?}"
    );
    assert_eq!(
        commit.wake.as_deref().map(|w| w.bots.clone()),
        Some(vec!["b".to_owned()])
    );
    assert_eq!(
        h.rows(
            1,
            "SELECT event_type FROM outbox WHERE bot_id = 'b' ORDER BY id DESC LIMIT 1"
        )
        .await,
        [vec![Some("message.receive.normal".into())]]
    );

    // Bob is not in the group: nothing is stored, recorded or queued.
    let refused = h
        .store
        .send_from_user("bob".into(), chat, "m2".into(), text("hi", None))
        .await
        .unwrap();
    assert!(matches!(refused, UserSend::NotInChat), "{refused:?}");
    assert!(h.commits().is_empty());
    assert_eq!(h.rows(1, "SELECT msg_id FROM messages").await.len(), 1);
}

#[tokio::test]
async fn the_owner_cannot_leave_and_a_member_leaves_with_a_record() {
    let h = Harness::with_bot_users_and_group().await;
    assert_eq!(
        h.store.leave("alice".into(), "g".into()).await.unwrap(),
        Leave::Owner
    );
    assert!(h.commits().is_empty());
    h.store
        .set_member("g".into(), "bob".into(), super::Role::Member)
        .await
        .unwrap();
    h.commits();
    assert_eq!(
        h.store.leave("bob".into(), "g".into()).await.unwrap(),
        Leave::Left
    );
    let records = h.records();
    assert!(
        matches!(records.as_slice(), [Record::Left { user_id, .. }] if user_id == "bob"),
        "{records:?}"
    );
}
