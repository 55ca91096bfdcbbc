//! Group administration by bots.

use super::super::{MemberChange, Record, Role};
use super::Harness;

#[tokio::test]
async fn a_bot_removes_a_member_but_not_the_owner() {
    let h = Harness::with_bot_users_and_group().await;
    h.store
        .set_member("g".into(), "bob".into(), Role::Member)
        .await
        .unwrap();
    h.commits();
    assert_eq!(
        h.store
            .remove_member_by_bot("b".into(), "g".into(), "alice".into())
            .await
            .unwrap(),
        MemberChange::Owner
    );
    assert!(h.commits().is_empty());
    assert_eq!(
        h.store
            .remove_member_by_bot("b".into(), "g".into(), "bob".into())
            .await
            .unwrap(),
        MemberChange::Done
    );
    let commits = h.commits();
    let [commit] = commits.as_slice() else {
        panic!("{commits:?}")
    };
    assert!(
        matches!(commit.records.as_slice(),
            [Record::Left { user_id, chat_key }, Record::Appended { message, .. }]
                if user_id == "bob" && chat_key == "g:g" && message.content_type == "tip"
                    && message.sender_id == "b"),
        "{commit:?}"
    );
    // The bot that acted gets no event of its own tip.
    assert_eq!(
        h.rows(
            1,
            "SELECT event_type FROM outbox WHERE event_type = 'message.receive.normal'"
        )
        .await
        .len(),
        0
    );
    assert!(commit.wake.as_deref().is_some_and(|w| w.concerns("b")));
    assert_eq!(
        h.rows(1, "SELECT user_id FROM group_members WHERE group_id = 'g'")
            .await,
        [vec![Some("alice".into())]]
    );
}
