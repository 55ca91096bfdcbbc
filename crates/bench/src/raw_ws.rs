//! A minimal WebSocket client for the fan-out run: the opening handshake, then unmasked server
//! frames parsed in place from one reused buffer.
//!
//! Why not tokio-tungstenite (which the fan-out run used before): with 5,000 clients on one
//! thread sharing two cores with the server, the clients' own CPU decides the latency measured.
//! tungstenite zero-fills its read buffer before every read and allocates each frame's payload;
//! at 100,000 deliveries/s that was a third of the machine. This reads what `wrk` would: bytes
//! into a buffer, a frame header, a payload slice. It speaks only what the live socket sends:
//! whole (unfragmented) text frames, pings (answered), close; it sends text frames (a
//! subscription).

use anyhow::bail;
use reqwest::Url;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::raw_http::Target;

/// The largest frame accepted (the live socket's frames are a few KiB).
const MAX_FRAME: usize = 1 << 20;

/// One open WebSocket.
pub struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
    /// Where the unread bytes of `buf` start (they end at `buf.len()`).
    start: usize,
}

impl Client {
    /// Opens a WebSocket to `url` (`ws://` and a loopback IP address).
    pub async fn connect(url: &Url) -> anyhow::Result<Self> {
        let Target { addr, host, target } = Target::of(url)?;
        let port = addr.port();
        let mut stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        // The key is fixed (RFC 6455's example): the accept value is not checked, as the
        // server is the one under test, not an attacker.
        let request = format!(
            "GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await?;
        let mut client = Client {
            stream,
            buf: Vec::with_capacity(4096),
            start: 0,
        };
        let head_end = loop {
            if let Some(at) = memchr::memmem::find(&client.buf, b"\r\n\r\n") {
                break at + 4;
            }
            if client.fill().await? == 0 {
                bail!("the server closed during the handshake");
            }
        };
        if !client.buf.starts_with(b"HTTP/1.1 101") {
            let head = String::from_utf8_lossy(&client.buf[..head_end]);
            bail!(
                "the upgrade was refused: {}",
                head.lines().next().unwrap_or("")
            );
        }
        client.start = head_end;
        Ok(client)
    }

    /// The next text frame's payload, or `None` once the server closed.
    pub async fn next_text(&mut self) -> anyhow::Result<Option<&[u8]>> {
        loop {
            let Some((opcode, payload)) = self.parse()? else {
                if self.fill().await? == 0 {
                    return Ok(None);
                }
                continue;
            };
            match opcode {
                0x1 => return Ok(Some(&self.buf[payload.0..payload.1])),
                0x8 => return Ok(None),
                0x9 => {
                    let data = self.buf[payload.0..payload.1].to_vec();
                    self.pong(&data).await?;
                }
                0x2 | 0xA => {}
                other => bail!("unexpected frame opcode {other:#x}"),
            }
        }
    }

    /// The first whole frame in the buffer, consumed: its opcode and its payload's range in
    /// `buf` (valid until the next read).
    fn parse(&mut self) -> anyhow::Result<Option<(u8, (usize, usize))>> {
        let Some((opcode, header, len)) = frame_at(&self.buf[self.start..])? else {
            return Ok(None);
        };
        let payload = (self.start + header, self.start + header + len);
        self.start = payload.1;
        Ok(Some((opcode, payload)))
    }

    /// Reads more bytes after the unread ones, first moving those to the front.
    async fn fill(&mut self) -> std::io::Result<usize> {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let len = self.buf.len();
        if self.buf.capacity() - len < 1024 {
            self.buf.reserve(self.buf.capacity());
        }
        // Read into the spare capacity without zeroing it first.
        let spare = self.buf.capacity() - len;
        let mut limited = (&mut self.stream).take(spare as u64);
        limited.read_buf(&mut self.buf).await
    }

    /// Sends a text frame (a subscription, say).
    pub async fn send_text(&mut self, text: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(&client_frame(0x1, text)).await
    }

    /// Answers a ping.
    async fn pong(&mut self, data: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(&client_frame(0xA, data)).await
    }
}

/// A client's frame: masked, as servers require, with a zero mask (the payload is unchanged;
/// masking guards against cache poisoning by scripts, which a benchmark is not).
fn client_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![0x80 | opcode];
    match payload.len() {
        n @ 0..=125 => frame.push(0x80 | n as u8),
        n @ 126..=0xFFFF => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(&[0; 4]);
    frame.extend_from_slice(payload);
    frame
}

/// The server frame at the start of `bytes`, if it is all there: its opcode, its header's
/// length and its payload's length.
fn frame_at(bytes: &[u8]) -> anyhow::Result<Option<(u8, usize, usize)>> {
    if bytes.len() < 2 {
        return Ok(None);
    }
    if bytes[0] & 0x80 == 0 {
        bail!("a fragmented message (the live socket sends whole ones)");
    }
    if bytes[1] & 0x80 != 0 {
        bail!("a masked frame from the server");
    }
    let (len, header) = match bytes[1] & 0x7F {
        126 if bytes.len() >= 4 => (usize::from(u16::from_be_bytes([bytes[2], bytes[3]])), 4),
        127 if bytes.len() >= 10 => {
            let mut n = [0u8; 8];
            n.copy_from_slice(&bytes[2..10]);
            (usize::try_from(u64::from_be_bytes(n))?, 10)
        }
        126 | 127 => return Ok(None),
        n => (usize::from(n), 2),
    };
    if len > MAX_FRAME {
        bail!("a frame of {len} bytes");
    }
    if bytes.len() < header + len {
        return Ok(None);
    }
    Ok(Some((bytes[0] & 0x0F, header, len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_length_form_and_waits_for_the_rest() {
        // 5 bytes, the 7-bit length
        assert_eq!(frame_at(b"\x81\x05hello").unwrap(), Some((1, 2, 5)));
        assert_eq!(frame_at(b"\x81\x05hel").unwrap(), None);
        // 300 bytes, the 16-bit length
        let mut long = vec![0x81, 126, 0x01, 0x2C];
        long.extend(std::iter::repeat_n(b'x', 300));
        assert_eq!(frame_at(&long).unwrap(), Some((1, 4, 300)));
        assert_eq!(frame_at(&long[..3]).unwrap(), None);
        assert_eq!(frame_at(&long[..200]).unwrap(), None);
        // 70,000 bytes, the 64-bit length
        let mut huge = vec![0x81, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70];
        huge.extend(std::iter::repeat_n(b'x', 70_000));
        assert_eq!(frame_at(&huge).unwrap(), Some((1, 10, 70_000)));
        // a ping, a close
        assert_eq!(frame_at(b"\x89\x00").unwrap(), Some((9, 2, 0)));
        assert_eq!(frame_at(b"\x88\x02\x03\xe8").unwrap(), Some((8, 2, 2)));
    }

    #[test]
    fn refuses_what_the_live_socket_never_sends() {
        assert!(frame_at(b"\x01\x05hello").is_err(), "a fragment");
        assert!(frame_at(b"\x81\x85abcdhello").is_err(), "a masked frame");
        let too_big = [0x81, 127, 0, 0, 0, 0, 0x10, 0, 0, 0];
        assert!(frame_at(&too_big).is_err(), "over the bound");
    }

    #[test]
    fn client_frames_are_masked_with_the_length_form_their_size_needs() {
        assert_eq!(client_frame(0x1, b"hi"), b"\x81\x82\0\0\0\0hi");
        let long = client_frame(0x1, &[b'x'; 300]);
        assert_eq!(&long[..8], &[0x81, 0xFE, 0x01, 0x2C, 0, 0, 0, 0]);
        assert_eq!(long.len(), 8 + 300);
    }
}
