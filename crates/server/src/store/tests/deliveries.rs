//! Event delivery bookkeeping: what wakes whom.

use super::super::Attempted;
use super::Harness;

#[tokio::test]
async fn a_scheduled_retry_wakes_the_dispatcher_and_a_replay_wakes_the_bot() {
    let h = Harness::with_bot_users_and_group().await;
    let events = h.store.pending_events("b".into(), None, 10).await.unwrap();
    let first = events.first().expect("the follow queued an event").clone();

    h.store
        .record_attempts(vec![(
            first.id,
            Attempted::Retry {
                at: 5_000,
                error: "503".into(),
            },
        )])
        .await
        .unwrap();
    let commits = h.commits();
    let [commit] = commits.as_slice() else {
        panic!("{commits:?}")
    };
    assert!(commit.records.is_empty());
    let wake = commit.wake.as_deref().unwrap();
    assert!(wake.dispatcher && wake.bots.is_empty(), "{wake:?}");

    h.store
        .record_attempts(vec![(
            first.id,
            Attempted::Dead {
                error: "gone".into(),
            },
        )])
        .await
        .unwrap();
    assert!(h.commits().is_empty(), "a dead letter wakes no one");
    assert_eq!(
        h.rows(2, "SELECT state, CAST(attempts AS TEXT) FROM outbox WHERE id = (SELECT MIN(id) FROM outbox)")
            .await,
        [vec![Some("dead".into()), Some("2".into())]]
    );

    assert_eq!(
        h.store
            .replay_event("b".into(), first.event_id.clone())
            .await
            .unwrap(),
        1
    );
    let commits = h.commits();
    assert!(
        matches!(commits.as_slice(), [c] if c.wake.as_deref().is_some_and(|w| w.bots == ["b"] && !w.dispatcher)),
        "{commits:?}"
    );
}
