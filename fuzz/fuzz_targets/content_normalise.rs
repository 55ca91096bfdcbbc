//! Content normalisation on arbitrary JSON: never a panic, and idempotent (reading what was
//! read gives the same content).
#![no_main]

use cloudlake_protocol::{Content, ContentType};
use libfuzzer_sys::fuzz_target;

const TYPES: [ContentType; 6] = [
    ContentType::Text,
    ContentType::Markdown,
    ContentType::Html,
    ContentType::Image,
    ContentType::File,
    ContentType::Video,
];

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(rest) else {
        return;
    };
    let content_type = TYPES[usize::from(first) % TYPES.len()];
    if let Ok(content) = Content::parse(content_type, Some(&value)) {
        let again = serde_json::to_value(&content).expect("content serializes");
        assert_eq!(
            Content::parse(content_type, Some(&again)).ok(),
            Some(content)
        );
    }
});
