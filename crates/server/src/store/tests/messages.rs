//! Bots' sends, edits and recalls.

use cloudlake_protocol::RecvType;

use super::super::{Chat, Delivery};
use super::{Harness, Record, text};

fn group() -> Chat {
    Chat::Group {
        group_id: "g".into(),
    }
}

#[tokio::test]
async fn a_batch_send_appends_one_row_and_one_record_per_reachable_chat() {
    let h = Harness::with_bot_users_and_group().await;
    let deliveries = h
        .store
        .send_from_bot(
            "b".into(),
            RecvType::User,
            vec![
                ("alice".into(), "m1".into()),
                ("bob".into(), "m2".into()),
                ("alice".into(), "m3".into()),
            ],
            text("hi", Some("<b>hi</b>")),
        )
        .await
        .unwrap();
    assert_eq!(
        deliveries,
        [
            Delivery::Stored { seq: 1 },
            Delivery::NotFriend,
            Delivery::Stored { seq: 2 }
        ]
    );
    let records = h.records();
    let appended: Vec<(i64, String, i64, Option<String>)> = records
        .iter()
        .map(|record| match record {
            Record::Appended {
                cursor, message, ..
            } => (
                *cursor,
                message.msg_id.clone(),
                message.seq,
                message.html.clone(),
            ),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        appended.len(),
        2,
        "bob does not follow the bot: {records:?}"
    );
    assert_eq!((appended[0].1.as_str(), appended[0].2), ("m1", 1));
    assert_eq!((appended[1].1.as_str(), appended[1].2), ("m3", 2));
    assert!(appended[0].0 < appended[1].0, "cursors increase");
    assert_eq!(appended[0].3.as_deref(), Some("<b>hi</b>"));
    // A message's id is its cursor; the HTML is stored as given.
    let rows = h
        .rows(
            5,
            "SELECT CAST(id AS TEXT), msg_id, chat_key, CAST(seq AS TEXT), html \
             FROM messages ORDER BY id",
        )
        .await;
    let expected = |i: usize, msg: &str, seq: &str| {
        vec![
            Some(appended[i].0.to_string()),
            Some(msg.into()),
            Some("p:b:alice".into()),
            Some(seq.into()),
            Some("<b>hi</b>".into()),
        ]
    };
    assert_eq!(rows, [expected(0, "m1", "1"), expected(1, "m3", "2")]);
}

#[tokio::test]
async fn an_edit_stores_its_html_and_records_the_message_as_it_now_stands() {
    let h = Harness::with_bot_users_and_group().await;
    h.store
        .send_from_bot(
            "b".into(),
            RecvType::Group,
            vec![("g".into(), "m1".into())],
            text("plain", None),
        )
        .await
        .unwrap();
    h.commits();
    let edited = h
        .store
        .edit_from_bot(
            "b".into(),
            group(),
            "m1".into(),
            text("new", Some("<i>new</i>")),
        )
        .await
        .unwrap();
    assert!(edited);
    let records = h.records();
    let [Record::Edited { cursor, message }] = records.as_slice() else {
        panic!("{records:?}");
    };
    assert_eq!(message.msg_id, "m1");
    assert_eq!(message.html.as_deref(), Some("<i>new</i>"));
    assert!(message.content.contains("new"), "{}", message.content);
    assert_eq!(message.edit_time, Some(1_000));
    assert_eq!(
        h.rows(3, "SELECT CAST(id AS TEXT), kind, msg_id FROM chat_log")
            .await,
        [vec![
            Some(cursor.to_string()),
            Some("edit".into()),
            Some("m1".into())
        ]]
    );
    // Not its message, or no such message: nothing changes, nothing is recorded.
    h.bot("other").await;
    h.store
        .add_bot_to_group("other".into(), "g".into())
        .await
        .unwrap();
    h.commits();
    let by_other = h
        .store
        .edit_from_bot("other".into(), group(), "m1".into(), text("x", None))
        .await
        .unwrap();
    assert!(!by_other);
    assert!(h.records().is_empty());
    assert_eq!(
        h.rows(1, "SELECT html FROM messages").await,
        [vec![Some("<i>new</i>".into())]]
    );
}

#[tokio::test]
async fn a_recall_is_recorded_once() {
    let h = Harness::with_bot_users_and_group().await;
    h.store
        .send_from_bot(
            "b".into(),
            RecvType::Group,
            vec![("g".into(), "m1".into())],
            text("x", None),
        )
        .await
        .unwrap();
    h.commits();
    assert!(
        h.store
            .recall_from_bot("b".into(), group(), "m1".into(), 2_000)
            .await
            .unwrap()
    );
    let records = h.records();
    assert!(
        matches!(records.as_slice(), [Record::Recalled { message, .. }] if message.recalled),
        "{records:?}"
    );
    assert!(
        !h.store
            .recall_from_bot("b".into(), group(), "m1".into(), 3_000)
            .await
            .unwrap()
    );
    assert!(h.records().is_empty(), "a second recall changes nothing");
    assert_eq!(
        h.rows(1, "SELECT CAST(recall_time AS TEXT) FROM messages")
            .await,
        [vec![Some("2000".into())]]
    );
}
