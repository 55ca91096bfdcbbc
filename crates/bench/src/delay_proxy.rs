//! A TCP proxy on loopback that delays every byte by a fixed time in each direction: a database
//! "further away" than the same machine, for the cluster's scaling row (issue 18: two nodes
//! against one with 2 ms added to every PostgreSQL round trip).
//!
//! Each direction of a connection is a reader that stamps what it reads with the time it is
//! due and a writer that waits for that time, so data keeps its order and a stream of small
//! messages is delayed, not throttled: a round trip (request there, answer back) gains
//! `2 × delay`.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How many reads may wait in one direction before the reader waits for the writer.
const IN_FLIGHT: usize = 1024;

/// Proxies connections on `listen` to `to`, each byte `delay` later in each direction, until
/// `run_for` has passed (a bound, as every load the harness makes stops by itself).
pub async fn run(
    listen: SocketAddr,
    to: SocketAddr,
    delay: Duration,
    run_for: Duration,
) -> anyhow::Result<()> {
    if !listen.ip().is_loopback() || !to.ip().is_loopback() {
        bail!("the proxy listens on and forwards to loopback addresses only");
    }
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("listen on {listen}"))?;
    let deadline = tokio::time::sleep(run_for);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            () = &mut deadline => return Ok(()),
            accepted = listener.accept() => {
                let (client, _) = accepted?;
                tokio::spawn(async move {
                    if let Err(e) = proxy(client, to, delay).await {
                        eprintln!("delay proxy: a connection ended: {e}");
                    }
                });
            }
        }
    }
}

/// One connection: both directions until either side closes.
async fn proxy(client: TcpStream, to: SocketAddr, delay: Duration) -> anyhow::Result<()> {
    let server = TcpStream::connect(to).await?;
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    tokio::select! {
        r = direction(client_read, server_write, delay) => r,
        r = direction(server_read, client_write, delay) => r,
    }
}

/// Copies `from` to `to`, each read written `delay` after it was read.
async fn direction(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    delay: Duration,
) -> anyhow::Result<()> {
    let (due, mut waiting) = mpsc::channel::<(Instant, Vec<u8>)>(IN_FLIGHT);
    let writer = async move {
        while let Some((at, bytes)) = waiting.recv().await {
            tokio::time::sleep_until(at).await;
            to.write_all(&bytes).await?;
        }
        to.shutdown().await?;
        anyhow::Ok(())
    };
    let reader = async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = from.read(&mut buf).await?;
            if n == 0 {
                return anyhow::Ok(());
            }
            if due
                .send((Instant::now() + delay, buf[..n].to_vec()))
                .await
                .is_err()
            {
                return Ok(());
            }
        }
    };
    let (read, write) = tokio::join!(reader, writer);
    read.and(write)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_round_trip_gains_twice_the_delay_and_keeps_its_bytes() {
        // An echo server, and the proxy in front of it.
        let echo = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let echo_addr = echo.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = echo.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            loop {
                let n = s.read(&mut buf).await.unwrap();
                if n == 0 {
                    return;
                }
                s.write_all(&buf[..n]).await.unwrap();
            }
        });
        let probe = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let listen = probe.local_addr().unwrap();
        drop(probe);
        let delay = Duration::from_millis(20);
        tokio::spawn(run(listen, echo_addr, delay, Duration::from_secs(10)));
        let mut client = loop {
            if let Ok(c) = TcpStream::connect(listen).await {
                break c;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        for round in 0..3u8 {
            let started = std::time::Instant::now();
            let sent = [round; 100];
            client.write_all(&sent).await.unwrap();
            let mut got = [0u8; 100];
            client.read_exact(&mut got).await.unwrap();
            assert_eq!(got, sent);
            assert!(started.elapsed() >= 2 * delay, "{:?}", started.elapsed());
        }
    }

    #[tokio::test]
    async fn refuses_to_forward_off_this_machine() {
        let off: SocketAddr = "10.0.0.1:5432".parse().unwrap();
        let on: SocketAddr = "127.0.0.1:0".parse().unwrap();
        assert!(run(on, off, Duration::ZERO, Duration::ZERO).await.is_err());
    }
}
