//! The live socket's WebSocket plumbing, done here rather than by axum's `ws` so that the
//! session owns the TCP socket itself and the gateway can write frames to it directly (see
//! [`super::outgoing`]): the opening handshake (RFC 6455 §4.2) and a reader of the frames a
//! client sends (RFC 6455 §5). Clients send only pings and closes; anything else is read and
//! ignored, within [`MAX_CLIENT_MESSAGE`].

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use bytes::{Buf, Bytes, BytesMut};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use sha1::{Digest, Sha1};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use super::{MAX_CLIENT_MESSAGE, READ_BUFFER};
use crate::api::problem::Problem;
use crate::gateway::ws;

/// The GUID RFC 6455 §1.3 appends to the client's key.
const ACCEPT_GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// A request to open a WebSocket, checked: what the handler needs to answer it and take the
/// connection over.
pub(crate) struct Upgrade {
    accept: HeaderValue,
    on_upgrade: OnUpgrade,
}

impl<S: Send + Sync> FromRequestParts<S> for Upgrade {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        let headers = &parts.headers;
        if !has_token(headers, header::CONNECTION, "upgrade") {
            return Err(bad("a WebSocket request needs `Connection: upgrade`"));
        }
        if !has_token(headers, header::UPGRADE, "websocket") {
            return Err(bad("a WebSocket request needs `Upgrade: websocket`"));
        }
        if headers
            .get(header::SEC_WEBSOCKET_VERSION)
            .map(HeaderValue::as_bytes)
            != Some(b"13")
        {
            return Err(bad(
                "only WebSocket version 13 is spoken (`Sec-WebSocket-Version: 13`)",
            ));
        }
        let Some(key) = headers.get(header::SEC_WEBSOCKET_KEY) else {
            return Err(bad("a WebSocket request needs a `Sec-WebSocket-Key`"));
        };
        let accept = accept_key(key.as_bytes());
        let Some(on_upgrade) = parts.extensions.remove::<OnUpgrade>() else {
            return Err(bad("this connection cannot be upgraded"));
        };
        Ok(Upgrade { accept, on_upgrade })
    }
}

fn bad(why: &str) -> Problem {
    Problem::BadRequest(why.to_owned())
}

/// Whether a comma-separated header has this token (case-insensitively).
fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// `Sec-WebSocket-Accept` for a client's key (RFC 6455 §4.2.2).
fn accept_key(key: &[u8]) -> HeaderValue {
    let mut sha1 = Sha1::new();
    sha1.update(key);
    sha1.update(ACCEPT_GUID);
    let encoded = base64::engine::general_purpose::STANDARD.encode(sha1.finalize());
    // Base64 is always a valid header value.
    HeaderValue::from_str(&encoded).unwrap_or_else(|_| HeaderValue::from_static(""))
}

impl Upgrade {
    /// Answers `101 Switching Protocols` and runs `session` on the socket once hyper has
    /// handed the connection over.
    pub(crate) fn on_upgrade<F, Fut>(self, session: F) -> Response
    where
        F: FnOnce(OwnedReadHalf, Bytes, OwnedWriteHalf) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let Upgrade { accept, on_upgrade } = self;
        tokio::spawn(async move {
            let upgraded = match on_upgrade.await {
                Ok(upgraded) => upgraded,
                Err(e) => {
                    tracing::debug!(error = %e, "a live socket's upgrade failed");
                    return;
                }
            };
            // The listener serves every connection as a `TokioIo<TcpStream>`
            // (`crate::connections`), so this is what the upgrade wraps.
            match upgraded.downcast::<TokioIo<TcpStream>>() {
                Ok(parts) => {
                    let (read, write) = parts.io.into_inner().into_split();
                    session(read, parts.read_buf, write).await;
                }
                Err(_) => tracing::error!("a live socket is not a TCP stream; closed"),
            }
        });
        (
            StatusCode::SWITCHING_PROTOCOLS,
            [
                (header::CONNECTION, HeaderValue::from_static("upgrade")),
                (header::UPGRADE, HeaderValue::from_static("websocket")),
                (header::SEC_WEBSOCKET_ACCEPT, accept),
            ],
        )
            .into_response()
    }
}

/// What a client sent that the session acts on.
#[derive(Debug, PartialEq)]
pub(super) enum Incoming {
    /// A ping, to be answered with a pong carrying the same data.
    Ping(Bytes),
    /// A close, with its status code if it has one: the client is going.
    Close(Option<u16>),
}

/// Why reading from a client stopped.
#[derive(Debug, thiserror::Error)]
pub(super) enum ReadError {
    #[error("the connection ended")]
    Ended,
    #[error("reading: {0}")]
    Io(#[from] std::io::Error),
    /// The client broke the protocol: the session closes with 1002.
    #[error("protocol error: {0}")]
    Protocol(&'static str),
    /// A message larger than [`MAX_CLIENT_MESSAGE`]: the session closes with 1009.
    #[error("a message over {MAX_CLIENT_MESSAGE} bytes")]
    TooBig,
}

impl ReadError {
    /// The close frame the server answers this with, if any.
    pub(super) fn close_frame(&self) -> Option<Bytes> {
        match self {
            ReadError::Protocol(why) => Some(ws::close_frame(1002, why)),
            ReadError::TooBig => Some(ws::close_frame(1009, "message too big")),
            ReadError::Ended | ReadError::Io(_) => None,
        }
    }
}

/// Reads a client's frames.
pub(super) struct Reader {
    socket: OwnedReadHalf,
    frames: Frames,
}

impl Reader {
    /// A reader of `socket`, starting with the bytes hyper had read past the request.
    pub(super) fn new(socket: OwnedReadHalf, already: Bytes) -> Self {
        let mut buf = BytesMut::with_capacity(READ_BUFFER.max(already.len()));
        buf.extend_from_slice(&already);
        Reader {
            socket,
            frames: Frames { buf, message: None },
        }
    }

    /// The next ping or close. Cancel-safe: what was read stays in the buffer.
    pub(super) async fn next(&mut self) -> Result<Incoming, ReadError> {
        loop {
            if let Some(incoming) = self.frames.parse()? {
                return Ok(incoming);
            }
            let buf = &mut self.frames.buf;
            if buf.capacity() - buf.len() < READ_BUFFER / 2 {
                buf.reserve(READ_BUFFER);
            }
            if self.socket.read_buf(buf).await? == 0 {
                return Err(ReadError::Ended);
            }
        }
    }
}

/// The bytes a client sent, not yet taken as frames.
struct Frames {
    buf: BytesMut,
    /// The data message being received, fragmented: its bytes so far (data frames are not
    /// kept). `None` between messages; `Some(0)` after an empty first fragment.
    message: Option<usize>,
}

impl Frames {
    /// Takes the frames the buffer holds whole, up to the first the session acts on.
    fn parse(&mut self) -> Result<Option<Incoming>, ReadError> {
        while let Some(frame) = next_frame(&mut self.buf)? {
            match frame.opcode {
                ws::PING => return Ok(Some(Incoming::Ping(frame.payload))),
                ws::CLOSE => {
                    let code = (frame.payload.len() >= 2)
                        .then(|| u16::from_be_bytes([frame.payload[0], frame.payload[1]]));
                    return Ok(Some(Incoming::Close(code)));
                }
                ws::PONG => {}
                // Data: continuation, text, binary. Only their size matters.
                0x0..=0x2 => {
                    // RFC 6455 §5.4: a continuation belongs to a message begun, and a new
                    // message waits for the last one's final fragment.
                    let so_far = match (frame.opcode, self.message) {
                        (0x0, Some(so_far)) => so_far,
                        (0x0, None) => {
                            return Err(ReadError::Protocol("a continuation of no message"));
                        }
                        (_, None) => 0,
                        (_, Some(_)) => {
                            return Err(ReadError::Protocol(
                                "a new message inside a fragmented one",
                            ));
                        }
                    };
                    let size = so_far + frame.payload.len();
                    if size > MAX_CLIENT_MESSAGE {
                        return Err(ReadError::TooBig);
                    }
                    self.message = (!frame.fin).then_some(size);
                }
                _ => return Err(ReadError::Protocol("unknown opcode")),
            }
        }
        Ok(None)
    }
}

/// One frame a client sent, unmasked.
struct Frame {
    fin: bool,
    opcode: u8,
    payload: Bytes,
}

/// Takes one whole frame off the front of `buf`, if it holds one.
fn next_frame(buf: &mut BytesMut) -> Result<Option<Frame>, ReadError> {
    let [first, second, ..] = buf[..] else {
        return Ok(None);
    };
    let fin = first & 0x80 != 0;
    let opcode = first & 0x0F;
    if first & 0x70 != 0 {
        return Err(ReadError::Protocol("reserved bits set"));
    }
    // RFC 6455 §5.1: every frame from a client is masked.
    if second & 0x80 == 0 {
        return Err(ReadError::Protocol("an unmasked frame from a client"));
    }
    let (len, header) = match second & 0x7F {
        126 if buf.len() >= 4 => (u64::from(u16::from_be_bytes([buf[2], buf[3]])), 4),
        127 if buf.len() >= 10 => {
            let mut n = [0u8; 8];
            n.copy_from_slice(&buf[2..10]);
            (u64::from_be_bytes(n), 10)
        }
        126 | 127 => return Ok(None),
        n => (u64::from(n), 2),
    };
    if opcode & 0x8 != 0 && (len > 125 || !fin) {
        return Err(ReadError::Protocol(
            "a control frame over 125 bytes or fragmented",
        ));
    }
    // Checked before waiting for the payload: a client cannot make the buffer grow past it.
    let len = match usize::try_from(len) {
        Ok(len) if len <= MAX_CLIENT_MESSAGE => len,
        _ => return Err(ReadError::TooBig),
    };
    if buf.len() < header + 4 + len {
        return Ok(None);
    }
    buf.advance(header);
    let mask = [buf[0], buf[1], buf[2], buf[3]];
    buf.advance(4);
    let mut payload = buf.split_to(len);
    for (i, byte) in payload.iter_mut().enumerate() {
        *byte ^= mask[i % 4];
    }
    Ok(Some(Frame {
        fin,
        opcode,
        payload: payload.freeze(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client's frame: masked with a fixed key.
    fn client_frame(first: u8, payload: &[u8]) -> Vec<u8> {
        let mask = [1, 2, 3, 4];
        let mut out = vec![first];
        match payload.len() {
            n @ 0..=125 => out.push(0x80 | n as u8),
            n => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
        }
        out.extend_from_slice(&mask);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        out
    }

    fn parse_all(bytes: &[u8]) -> Result<Option<Incoming>, ReadError> {
        Frames {
            buf: BytesMut::from(bytes),
            message: None,
        }
        .parse()
    }

    #[test]
    fn the_accept_key_is_the_rfc_example() {
        // RFC 6455 §1.3.
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn pings_are_unmasked_and_closes_carry_their_code() {
        let mut bytes = client_frame(0x81, b"ignored text");
        bytes.extend(client_frame(0x89, b"are you there"));
        assert_eq!(
            parse_all(&bytes).unwrap(),
            Some(Incoming::Ping(Bytes::from_static(b"are you there")))
        );
        assert_eq!(
            parse_all(&client_frame(0x88, &1000u16.to_be_bytes())).unwrap(),
            Some(Incoming::Close(Some(1000)))
        );
        assert_eq!(
            parse_all(&client_frame(0x88, b"")).unwrap(),
            Some(Incoming::Close(None))
        );
    }

    #[test]
    fn a_fragmented_message_is_taken_in_its_frames_with_a_ping_between() {
        let mut bytes = client_frame(0x01, b"");
        bytes.extend(client_frame(0x00, b"ab"));
        // Control frames may come between a message's fragments (RFC 6455 §5.4).
        bytes.extend(client_frame(0x89, b"mid"));
        bytes.extend(client_frame(0x80, b"cd"));
        bytes.extend(client_frame(0x82, b"next"));
        bytes.extend(client_frame(0x89, b"after"));
        let mut frames = Frames {
            buf: BytesMut::from(&bytes[..]),
            message: None,
        };
        assert_eq!(
            frames.parse().unwrap(),
            Some(Incoming::Ping(Bytes::from_static(b"mid")))
        );
        assert_eq!(frames.message, Some(2));
        assert_eq!(
            frames.parse().unwrap(),
            Some(Incoming::Ping(Bytes::from_static(b"after")))
        );
        assert_eq!(frames.message, None);
    }

    #[test]
    fn a_partial_frame_waits_for_the_rest() {
        let bytes = client_frame(0x89, b"ping data");
        for cut in 0..bytes.len() {
            let mut buf = BytesMut::from(&bytes[..cut]);
            assert!(next_frame(&mut buf).unwrap().is_none(), "cut at {cut}");
            assert_eq!(buf.len(), cut, "nothing taken");
        }
    }

    #[test]
    fn broken_or_oversized_frames_are_refused() {
        // Unmasked.
        assert!(matches!(
            parse_all(b"\x89\x00"),
            Err(ReadError::Protocol(_))
        ));
        // Reserved bits.
        assert!(matches!(
            parse_all(&client_frame(0xC1, b"x")),
            Err(ReadError::Protocol(_))
        ));
        // A fragmented ping.
        assert!(matches!(
            parse_all(&client_frame(0x09, b"x")),
            Err(ReadError::Protocol(_))
        ));
        // Over the limit, refused from its header alone.
        let big = client_frame(0x82, &vec![0; MAX_CLIENT_MESSAGE + 1]);
        assert!(matches!(parse_all(&big[..8]), Err(ReadError::TooBig)));
        // A message over the limit in frames under it.
        let mut parts = client_frame(0x02, &vec![0; MAX_CLIENT_MESSAGE]);
        parts.extend(client_frame(0x80, b"x"));
        assert!(matches!(parse_all(&parts), Err(ReadError::TooBig)));
        // A continuation of no message, before or after a whole one.
        assert!(matches!(
            parse_all(&client_frame(0x80, b"x")),
            Err(ReadError::Protocol("a continuation of no message"))
        ));
        let mut after = client_frame(0x81, b"whole");
        after.extend(client_frame(0x80, b"x"));
        assert!(matches!(
            parse_all(&after),
            Err(ReadError::Protocol("a continuation of no message"))
        ));
        // A new message after an empty first fragment.
        let mut inside = client_frame(0x01, b"");
        inside.extend(client_frame(0x81, b"x"));
        assert!(matches!(
            parse_all(&inside),
            Err(ReadError::Protocol("a new message inside a fragmented one"))
        ));
        // A 64-bit length.
        assert!(matches!(
            parse_all(b"\x82\xff\xff\xff\xff\xff\xff\xff\xff\xff"),
            Err(ReadError::TooBig)
        ));
    }
}
