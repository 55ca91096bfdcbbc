//! The server's side of WebSocket framing (RFC 6455 §5.2), for frames written to a socket as
//! bytes: a server's frames are not masked, so one text frame's bytes serve every recipient.

use bytes::{BufMut, Bytes, BytesMut};

/// Opcode of a text frame.
pub const TEXT: u8 = 0x1;
/// Opcode of a close frame.
pub const CLOSE: u8 = 0x8;
/// Opcode of a ping frame.
pub const PING: u8 = 0x9;
/// Opcode of a pong frame.
pub const PONG: u8 = 0xA;

/// One whole (FIN) unmasked frame with this opcode and payload.
pub fn frame(opcode: u8, payload: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(payload.len() + 10);
    out.put_u8(0x80 | opcode);
    match payload.len() {
        // Lengths up to 125 fit the second byte; 126 and 127 announce 16 and 64 bits.
        len @ 0..=125 => out.put_u8(len as u8),
        len @ 126..=0xFFFF => {
            out.put_u8(126);
            out.put_u16(len as u16);
        }
        len => {
            out.put_u8(127);
            out.put_u64(len as u64);
        }
    }
    out.put_slice(payload);
    out.freeze()
}

/// A text frame.
pub fn text_frame(text: &[u8]) -> Bytes {
    frame(TEXT, text)
}

/// A close frame without a status code (a normal end, RFC 6455 §7.1.5: 1005 to the peer).
pub fn bare_close() -> Bytes {
    frame(CLOSE, b"")
}

/// A close frame with a status code and a reason (at most 123 bytes, cut at a character
/// boundary: a control frame's payload is at most 125).
pub fn close_frame(code: u16, reason: &str) -> Bytes {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let mut payload = Vec::with_capacity(2 + end);
    payload.extend_from_slice(&code.to_be_bytes());
    payload.extend_from_slice(&reason.as_bytes()[..end]);
    frame(CLOSE, &payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_take_the_header_rfc_6455_gives_them() {
        assert_eq!(&text_frame(b"hi")[..], b"\x81\x02hi");
        let mid = text_frame(&[b'a'; 126]);
        assert_eq!(&mid[..4], b"\x81\x7e\x00\x7e");
        assert_eq!(mid.len(), 4 + 126);
        let long = text_frame(&vec![b'a'; 70_000]);
        assert_eq!(&long[..10], b"\x81\x7f\x00\x00\x00\x00\x00\x01\x11\x70");
        assert_eq!(long.len(), 10 + 70_000);
    }

    #[test]
    fn a_close_frame_carries_its_code_and_a_reason_cut_to_fit() {
        assert_eq!(&close_frame(4401, "bye")[..], b"\x88\x05\x11\x31bye");
        let long = close_frame(1000, &"é".repeat(100));
        assert!(long.len() <= 2 + 125);
        assert!(std::str::from_utf8(&long[4..]).is_ok());
    }
}
