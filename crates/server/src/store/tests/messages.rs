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
        [Delivery::Stored, Delivery::NotFriend, Delivery::Stored]
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

/// The writer remembers what a send looked up (the bot's nickname, whom it may reach) from
/// batch to batch: a change to either must show in the very next send.
#[tokio::test]
async fn a_send_sees_a_membership_or_bot_change_made_since_the_last_send() {
    let h = Harness::with_bot_users_and_group().await;
    let send = |msg_id: &str| {
        h.store.send_from_bot(
            "b".into(),
            RecvType::Group,
            vec![("g".into(), msg_id.into())],
            text("hi", None),
        )
    };
    assert_eq!(send("m1").await.unwrap(), [Delivery::Stored]);
    h.store
        .remove_bot_from_group("b".into(), "g".into())
        .await
        .unwrap();
    assert_eq!(send("m2").await.unwrap(), [Delivery::NotInGroup]);
    h.store
        .add_bot_to_group("b".into(), "g".into())
        .await
        .unwrap();
    assert_eq!(send("m3").await.unwrap(), [Delivery::Stored]);
    // The bot deleted and made again under its ID with another name: the next message
    // carries the new name.
    h.store.delete_bot("b".into()).await.unwrap();
    h.store
        .create_bot(
            Some("b".into()),
            "renamed".into(),
            None,
            crate::secret::TokenHash::of("b2"),
        )
        .await
        .unwrap();
    h.store
        .add_bot_to_group("b".into(), "g".into())
        .await
        .unwrap();
    h.commits();
    assert_eq!(send("m4").await.unwrap(), [Delivery::Stored]);
    let nicknames: Vec<(String, String)> = h
        .records()
        .iter()
        .filter_map(|record| match record {
            Record::Appended { message, .. } => {
                Some((message.msg_id.clone(), message.sender_nickname.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(nicknames, [("m4".to_owned(), "renamed".to_owned())]);
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

/// Two nodes on one PostgreSQL database send to the same chats at once, so that each batch
/// numbers its messages before it takes the cluster's write lock, counting on from numbers the
/// other node has taken meanwhile: every chat's sequence is still 1, 2, 3… in cursor order,
/// every record carries the numbers its row has, and the commits, put in the order of their
/// cluster numbers, carry cursors that only increase.
#[test]
fn two_nodes_sending_to_the_same_chats_keep_numbers_gap_free_and_in_commit_order() {
    use std::collections::HashMap;
    use std::sync::Arc;

    use super::super::{Commit, Store};
    use super::{Kept, fresh_postgres};
    use crate::secret::TokenHash;

    let Some(url) = fresh_postgres() else {
        eprintln!("skipped: CLOUDLAKE_TEST_DATABASE_URL not set");
        return;
    };
    let kept = [Arc::new(Kept::default()), Arc::new(Kept::default())];
    let nodes: Vec<_> = kept
        .iter()
        .map(|sink| Store::open_postgres(&url, sink.clone()).unwrap())
        .collect();
    const GROUPS: [&str; 3] = ["g1", "g2", "g3"];
    const SENDS: usize = 60;
    const HOSTILE: &str = "hi ' \" \\ \\' {a,b} NULL $$ $q$ E'x' \n 你好 );--";
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = &nodes[0].0;
        store
            .create_bot(Some("b".into()), "bot".into(), None, TokenHash::of("b"))
            .await
            .unwrap();
        for group in GROUPS {
            store
                .create_group(Some(group.into()), group.into(), false)
                .await
                .unwrap();
            store
                .add_bot_to_group("b".into(), group.into())
                .await
                .unwrap();
        }
        // A few senders per node, each waiting for its send before the next: many batches
        // on each node, interleaved, so each sees the other's commits and takes the lock late
        // (`Numbers::lock_early`), after its first batches took it early.
        const SENDERS: usize = 3;
        let mut senders = Vec::new();
        for (node, (store, _)) in nodes.iter().enumerate() {
            for sender in 0..SENDERS {
                let store = store.clone();
                senders.push(tokio::spawn(async move {
                    for i in (sender..SENDS).step_by(SENDERS) {
                        let recipients = GROUPS
                            .iter()
                            .map(|group| (group.to_string(), format!("{node}-{i}-{group}")))
                            .collect();
                        // Every fourth send of both nodes shows the same picture, new to
                        // the chats: both note it there at about the same time, a write that
                        // must wait for the lock like the rows (else each batch can end up
                        // waiting on the other's: a deadlock). A batch with none of those
                        // has its rows written into the statement that commits it
                        // (`Batch::commit_sends`), one with any settles them first: a text
                        // that quoting could trip on is stored as sent either way.
                        let mut message = text(HOSTILE, None);
                        if i % 4 == 0 {
                            message.media_keys = vec![format!("picture-{i}")];
                        }
                        let sent = store
                            .send_from_bot("b".into(), RecvType::Group, recipients, message)
                            .await
                            .unwrap();
                        assert_eq!(sent, [Delivery::Stored; 3]);
                    }
                }));
            }
        }
        for sender in senders {
            sender.await.unwrap();
        }
    });
    drop(runtime);

    let mut db = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let rows = db
        .query(
            "SELECT chat_key, seq, id, msg_id, content FROM messages ORDER BY chat_key, id",
            &[],
        )
        .unwrap();
    for row in &rows {
        let content: serde_json::Value = serde_json::from_str(row.get(4)).unwrap();
        assert_eq!(content["text"], HOSTILE);
    }
    assert_eq!(rows.len(), 2 * SENDS * GROUPS.len());
    let mut stored: HashMap<String, (i64, i64)> = HashMap::new();
    let mut next_seq: HashMap<String, i64> = HashMap::new();
    for row in &rows {
        let (chat, seq, id, msg_id): (String, i64, i64, String) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        let expected = next_seq.entry(chat.clone()).or_insert(1);
        assert_eq!(seq, *expected, "{chat}: a gap or a repeat in cursor order");
        *expected += 1;
        stored.insert(msg_id, (id, seq));
    }
    let mut commits: Vec<Commit> = kept
        .iter()
        .flat_map(|sink| std::mem::take(&mut *sink.0.lock().unwrap()))
        .collect();
    commits.sort_by_key(|commit| commit.number);
    let numbers: Vec<i64> = commits.iter().filter_map(|commit| commit.number).collect();
    assert_eq!(numbers, (1..=numbers.len() as i64).collect::<Vec<_>>());
    let mut last_cursor = 0;
    let mut recorded = 0;
    for record in commits.iter().flat_map(|commit| &commit.records) {
        if let Record::Appended {
            cursor, message, ..
        } = record
        {
            assert_eq!(
                stored[&message.msg_id],
                (*cursor, message.seq),
                "{record:?}"
            );
            assert!(
                *cursor > last_cursor,
                "cursors out of commit order: {record:?}"
            );
            last_cursor = *cursor;
            recorded += 1;
        }
    }
    assert_eq!(recorded, rows.len());
    let media: i64 = db
        .query_one("SELECT COUNT(*) FROM message_media", &[])
        .unwrap()
        .get(0);
    assert_eq!(media, (SENDS.div_ceil(4) * GROUPS.len()) as i64);
    for (store, writer) in nodes {
        drop(store);
        writer.join();
    }
}
