//! Property tests of the lenient readers (wire §12): content and button normalisation, and
//! that no input — arbitrary JSON or arbitrary bytes — makes a request parser panic.
//!
//! These are also the stable-toolchain stand-in for the cargo-fuzz targets in `fuzz/`: the
//! same functions, a bounded number of cases per CI run (`PROPTEST_CASES` raises it).

#![allow(clippy::unwrap_used)]

use cloudlake_protocol::{
    BatchSendRequest, Content, ContentType, EditRequest, OutgoingMessage, RecallRequest,
    SendRequest,
};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Any JSON value, nested a few levels.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("text".to_owned()),
                    Just("buttons".to_owned()),
                    Just("at".to_owned()),
                    Just("actionType".to_owned()),
                    Just("url".to_owned()),
                    Just("value".to_owned()),
                    Just("imageKey".to_owned()),
                    Just("recvId".to_owned()),
                    Just("recvIds".to_owned()),
                    Just("recvType".to_owned()),
                    Just("contentType".to_owned()),
                    Just("content".to_owned()),
                    Just("msgId".to_owned()),
                    "[a-zA-Z]{1,6}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A valid button as JSON.
fn button() -> impl Strategy<Value = Value> {
    (".{1,10}", 1u8..=3, "[a-z]{1,8}").prop_map(|(text, action, v)| match action {
        1 => json!({"text": text, "actionType": 1, "url": format!("https://{v}.example")}),
        n => json!({"text": text, "actionType": n, "value": v}),
    })
}

fn content_types() -> impl Strategy<Value = ContentType> {
    prop_oneof![
        Just(ContentType::Text),
        Just(ContentType::Markdown),
        Just(ContentType::Html),
        Just(ContentType::Image),
        Just(ContentType::File),
        Just(ContentType::Video),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever `content` is, reading it answers Ok or an error: never a panic.
    #[test]
    fn content_parse_never_panics(ct in content_types(), v in any_json()) {
        let _ = Content::parse(ct, Some(&v));
    }

    /// Normalisation is idempotent: reading what was read gives the same content.
    #[test]
    fn content_normalisation_is_idempotent(ct in content_types(), v in any_json()) {
        if let Ok(content) = Content::parse(ct, Some(&v)) {
            let again = Content::parse(ct, Some(&serde_json::to_value(&content).unwrap())).unwrap();
            prop_assert_eq!(again, content);
        }
    }

    /// A flat list of buttons is one button per row (wire §5.2): the same as writing the rows.
    #[test]
    fn flat_buttons_are_one_per_row(buttons in prop::collection::vec(button(), 1..8), text in ".{1,20}") {
        let flat = json!({"text": text, "buttons": buttons});
        let rows: Vec<Value> = buttons.iter().map(|b| json!([b])).collect();
        let nested = json!({"text": text, "buttons": rows});
        let flat = Content::parse(ContentType::Text, Some(&flat)).unwrap();
        let nested = Content::parse(ContentType::Text, Some(&nested)).unwrap();
        prop_assert_eq!(flat.buttons.len(), buttons.len());
        prop_assert!(flat.buttons.iter().all(|row| row.len() == 1));
        prop_assert_eq!(flat, nested);
    }

    /// Rows keep their buttons in order, and empty rows vanish.
    #[test]
    fn rows_keep_order_and_drop_empty_rows(rows in prop::collection::vec(prop::collection::vec(button(), 0..4), 0..5)) {
        let v = json!({"text": "x", "buttons": rows});
        let content = Content::parse(ContentType::Text, Some(&v)).unwrap();
        let expected: Vec<usize> = rows.iter().map(Vec::len).filter(|n| *n > 0).collect();
        prop_assert_eq!(content.buttons.iter().map(Vec::len).collect::<Vec<_>>(), expected);
        for (row, sent) in content.buttons.iter().zip(rows.iter().filter(|r| !r.is_empty())) {
            for (button, sent) in row.iter().zip(sent) {
                prop_assert_eq!(&button.text, sent["text"].as_str().unwrap());
                prop_assert_eq!(u64::from(button.action_type.code()), sent["actionType"].as_u64().unwrap());
            }
        }
    }

    /// `at` as a comma-joined string means the same as the list.
    #[test]
    fn at_string_is_the_list(ids in prop::collection::vec("[0-9]{1,9}", 0..6)) {
        let list = Content::parse(ContentType::Text, Some(&json!({"text": "x", "at": ids}))).unwrap();
        let joined = Content::parse(ContentType::Text, Some(&json!({"text": "x", "at": ids.join(",")}))).unwrap();
        prop_assert_eq!(&list.at, &ids);
        prop_assert_eq!(list, joined);
    }

    /// No body makes a request parser panic: arbitrary bytes…
    #[test]
    fn request_parsers_never_panic_on_bytes(body in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = SendRequest::parse(&body);
        let _ = BatchSendRequest::parse(&body);
        let _ = EditRequest::parse(&body);
        let _ = RecallRequest::parse(&body);
        let _ = OutgoingMessage::parse_body(&body);
    }

    /// …or arbitrary JSON with the right keys in the wrong shapes.
    #[test]
    fn request_parsers_never_panic_on_json(v in any_json()) {
        let body = v.to_string();
        let _ = SendRequest::parse(body.as_bytes());
        let _ = BatchSendRequest::parse(body.as_bytes());
        let _ = EditRequest::parse(body.as_bytes());
        let _ = RecallRequest::parse(body.as_bytes());
        let _ = OutgoingMessage::parse_body(body.as_bytes());
    }
}
