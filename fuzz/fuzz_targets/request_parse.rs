//! Every bot API request parser on arbitrary bytes: an answer or an error, never a panic.
#![no_main]

use cloudlake_protocol::{
    BatchSendRequest, EditRequest, MessagesQuery, OutgoingMessage, RecallRequest, SendRequest,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let _ = SendRequest::parse(body);
    let _ = BatchSendRequest::parse(body);
    let _ = EditRequest::parse(body);
    let _ = RecallRequest::parse(body);
    let _ = OutgoingMessage::parse_body(body);
    let _ = MessagesQuery::pairs_from_body(body);
});
