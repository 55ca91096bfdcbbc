//! A TCP proxy on loopback that delays every byte by a fixed time in each direction: a database
//! "further away" than the same machine, for the cluster's scaling row (issue 18: two nodes
//! against one with 2 ms added to every PostgreSQL round trip).
//!
//! Each direction of a connection is a reader that stamps what it reads with the time it is
//! due and a writer that waits for that time, so data keeps its order and a stream of small
//! messages is delayed, not throttled: a round trip (request there, answer back) gains
//! `2 × delay` (measured with pgbench through it: `SELECT 1` 0.08 ms direct, 2.29 ms with 1 ms
//! each way).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// How often the accepting loop looks at its deadline.
const POLL: Duration = Duration::from_millis(50);

/// Proxies connections on `listen` to `to`, each byte `delay` later in each direction, until
/// `run_for` has passed (a bound, as every load the harness makes stops by itself).
///
/// Blocking, on threads of its own (four per connection; a server's database pool is a few
/// connections): tokio's timer counts whole milliseconds and rounds up, which made 1 ms each
/// way 4.4 ms a round trip where a thread's sleep is within a tenth of a millisecond.
pub fn run(
    listen: SocketAddr,
    to: SocketAddr,
    delay: Duration,
    run_for: Duration,
) -> anyhow::Result<()> {
    if !listen.ip().is_loopback() || !to.ip().is_loopback() {
        bail!("the proxy listens on and forwards to loopback addresses only");
    }
    let listener = TcpListener::bind(listen).with_context(|| format!("listen on {listen}"))?;
    listener.set_nonblocking(true)?;
    let deadline = Instant::now() + run_for;
    while Instant::now() < deadline {
        match listener.accept() {
            Ok((client, _)) => {
                std::thread::spawn(move || {
                    if let Err(e) = proxy(client, to, delay) {
                        eprintln!("delay proxy: a connection ended: {e}");
                    }
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(POLL),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// One connection: both directions until either side closes.
fn proxy(client: TcpStream, to: SocketAddr, delay: Duration) -> anyhow::Result<()> {
    // Not every platform's accept leaves the listener's non-blocking mode behind.
    client.set_nonblocking(false)?;
    let server = TcpStream::connect(to)?;
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let there = {
        let (from, to) = (client.try_clone()?, server.try_clone()?);
        std::thread::spawn(move || direction(from, to, delay))
    };
    let back = direction(server, client, delay);
    let there = there
        .join()
        .map_err(|_| anyhow::anyhow!("a proxy thread panicked"))?;
    back.and(there)
}

/// Copies `from` to `to`, each read written `delay` after it was read; then closes both.
fn direction(mut from: TcpStream, to: TcpStream, delay: Duration) -> anyhow::Result<()> {
    let (due, waiting) = mpsc::channel::<(Instant, Vec<u8>)>();
    let writer = {
        let mut to = to.try_clone()?;
        std::thread::spawn(move || -> std::io::Result<()> {
            for (at, bytes) in waiting {
                let now = Instant::now();
                if at > now {
                    std::thread::sleep(at - now);
                }
                to.write_all(&bytes)?;
            }
            Ok(())
        })
    };
    let mut buf = vec![0u8; 64 * 1024];
    let read = loop {
        match from.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => {
                if due
                    .send((Instant::now() + delay, buf[..n].to_vec()))
                    .is_err()
                {
                    break Ok(());
                }
            }
            Err(e) => break Err(e),
        }
    };
    drop(due);
    let written = writer
        .join()
        .map_err(|_| anyhow::anyhow!("a proxy thread panicked"))?;
    // Either side closing ends the other direction too.
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
    read?;
    written?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_trip_gains_twice_the_delay_and_keeps_its_bytes() {
        // An echo server, and the proxy in front of it.
        let echo = TcpListener::bind("127.0.0.1:0").unwrap();
        let echo_addr = echo.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut s, _) = echo.accept().unwrap();
            let mut buf = [0u8; 1024];
            loop {
                let n = s.read(&mut buf).unwrap();
                if n == 0 {
                    return;
                }
                s.write_all(&buf[..n]).unwrap();
            }
        });
        let probe = TcpListener::bind("127.0.0.1:0").unwrap();
        let listen = probe.local_addr().unwrap();
        drop(probe);
        let delay = Duration::from_millis(20);
        std::thread::spawn(move || run(listen, echo_addr, delay, Duration::from_secs(10)));
        let mut client = loop {
            if let Ok(c) = TcpStream::connect(listen) {
                break c;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        for round in 0..3u8 {
            let started = Instant::now();
            let sent = [round; 100];
            client.write_all(&sent).unwrap();
            let mut got = [0u8; 100];
            client.read_exact(&mut got).unwrap();
            assert_eq!(got, sent);
            assert!(started.elapsed() >= 2 * delay, "{:?}", started.elapsed());
        }
    }

    #[test]
    fn refuses_to_forward_off_this_machine() {
        let off: SocketAddr = "10.0.0.1:5432".parse().unwrap();
        let on: SocketAddr = "127.0.0.1:0".parse().unwrap();
        assert!(run(on, off, Duration::ZERO, Duration::ZERO).is_err());
    }
}
