//! A minimal HTTP/1.1 keep-alive client for the load runs: the request's bytes are built once,
//! each connection writes them and reads one response (status line, `Content-Length`, body).
//!
//! Why not reqwest (which the harness used before): on two cores shared with the server, the
//! harness's own CPU hides the server's speed. reqwest through hyper's pool cost about as much
//! CPU per request as the bare-axum baseline did to answer it, so `send` reported 4,228 req/s
//! where a light generator measured 15,660 (issue 19). This client does what `wrk` does — one
//! thread, a fixed request, a response parsed only as far as its length and its first bytes —
//! and is cross-checked against `wrk` on the baseline (BENCHMARKS.md).

use std::net::SocketAddr;

use anyhow::Context;
use reqwest::Url;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One request, ready to write again and again.
#[derive(Debug, Clone)]
pub struct Request {
    /// Where it goes.
    pub addr: SocketAddr,
    /// The whole request: head and body.
    bytes: std::sync::Arc<[u8]>,
}

impl Request {
    /// A `POST` of `body` (JSON) to `url`, which must name a loopback IP address and port.
    pub fn post_json(url: &Url, body: &str) -> anyhow::Result<Self> {
        let Target { addr, host, target } = Target::of(url)?;
        let port = addr.port();
        let head = format!(
            "POST {target} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        );
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body.as_bytes());
        Ok(Request {
            addr,
            bytes: bytes.into(),
        })
    }
}

/// Where a request to a URL goes, for the hand-written clients (this one and `raw_ws`).
pub struct Target {
    /// The address to connect to: an IP address, never a name to resolve.
    pub addr: SocketAddr,
    /// The URL's host as written (for the `Host` header).
    pub host: String,
    /// The path and query (the request line's target).
    pub target: String,
}

impl Target {
    /// `url`'s target, which must name an IP address (the harness never resolves names).
    pub fn of(url: &Url) -> anyhow::Result<Self> {
        let host = url.host_str().context("the URL has no host")?;
        let ip: std::net::IpAddr = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .context("the load runs take an IP address, not a host name")?;
        let port = url.port_or_known_default().context("the URL has no port")?;
        let target = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        Ok(Target {
            addr: SocketAddr::new(ip, port),
            host: host.to_owned(),
            target,
        })
    }
}

/// What one exchange gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// HTTP 200 whose body starts `{"code":1,` (a Yunhu success).
    Success,
    /// Any other complete response.
    Refused,
}

/// One keep-alive connection.
pub struct Connection {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Connection {
    /// Connects to `addr` (Nagle off, as a real client's small requests want).
    pub async fn open(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream,
            buf: Vec::with_capacity(4096),
        })
    }

    /// Writes the request and reads its response. An error means the connection is no longer
    /// usable (closed, or a response this client does not read: chunked, or `Connection:
    /// close`); the caller opens a new one.
    pub async fn exchange(&mut self, request: &Request) -> std::io::Result<Answer> {
        self.stream.write_all(&request.bytes).await?;
        self.buf.clear();
        let (head_end, status, length, close) = loop {
            self.fill().await?;
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let (status, length, close) = parse_head(&self.buf[..end])?;
                break (end + 4, status, length, close);
            }
            if self.buf.len() > 64 * 1024 {
                return Err(invalid("a response head over 64 KiB"));
            }
        };
        while self.buf.len() < head_end + length {
            self.fill().await?;
        }
        let body = &self.buf[head_end..head_end + length];
        let answer = if status == 200 && body.starts_with(b"{\"code\":1,") {
            Answer::Success
        } else {
            Answer::Refused
        };
        if close || self.buf.len() > head_end + length {
            // The server will close, or sent more than one response: start afresh.
            return Err(invalid("connection not reusable"));
        }
        Ok(answer)
    }

    async fn fill(&mut self) -> std::io::Result<()> {
        let start = self.buf.len();
        self.buf.resize(start + 8192, 0);
        let n = self.stream.read(&mut self.buf[start..]).await?;
        self.buf.truncate(start + n);
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        Ok(())
    }
}

fn invalid(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The status code, the body's length and whether the server closes after this response.
fn parse_head(head: &[u8]) -> std::io::Result<(u16, usize, bool)> {
    let head = std::str::from_utf8(head).map_err(|_| invalid("a response head not in UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("no status line"))?;
    let (mut length, mut close) = (None, false);
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse().ok();
        } else if name.eq_ignore_ascii_case("connection") {
            close = value.eq_ignore_ascii_case("close");
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(invalid("a chunked response"));
        }
    }
    let length = length.ok_or_else(|| invalid("a response without Content-Length"))?;
    Ok((status, length, close))
}

/// CPU time this thread has used so far (from `/proc/thread-self/schedstat`, in ns), or
/// `None` where that file does not exist.
pub fn thread_cpu() -> Option<std::time::Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(std::time::Duration::from_nanos(ns))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_status_length_and_close() {
        let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 42";
        assert_eq!(parse_head(head).unwrap(), (200, 42, false));
        let head = b"HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\nConnection: close";
        assert_eq!(parse_head(head).unwrap(), (429, 0, true));
        assert!(parse_head(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked").is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK").is_err());
    }

    #[tokio::test]
    async fn talks_to_a_real_server() {
        let addr = crate::baseline::spawn().await.unwrap();
        let url = Url::parse(&format!(
            "http://{addr}/open-apis/v1/bot/batch_send?token=x"
        ))
        .unwrap();
        let good = Request::post_json(
            &url,
            r#"{"recvIds":["1","2"],"recvType":"group","contentType":"text","content":{"text":"x"}}"#,
        )
        .unwrap();
        let bad = Request::post_json(&url, "{").unwrap();
        let mut conn = Connection::open(good.addr).await.unwrap();
        // The same connection carries each exchange in turn.
        assert_eq!(conn.exchange(&good).await.unwrap(), Answer::Success);
        assert_eq!(conn.exchange(&bad).await.unwrap(), Answer::Refused);
        assert_eq!(conn.exchange(&good).await.unwrap(), Answer::Success);
    }
}
