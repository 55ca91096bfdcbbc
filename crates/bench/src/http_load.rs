//! HTTP load: POST the same body again and again, closed loop (a fixed number of requests in
//! flight) or open loop (a fixed arrival rate, latency measured from each request's intended
//! start so that a stalled server cannot hide its stall).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use hdrhistogram::Histogram;
use reqwest::Url;
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::loopback::require_loopback;
use crate::report::{histogram, record, summary};

/// The longest run allowed, whatever is asked.
pub const MAX_DURATION: Duration = Duration::from_secs(900);

/// One HTTP load run.
#[derive(Debug, Clone)]
pub struct HttpLoad {
    /// A name for the report.
    pub name: String,
    /// The full URL, token included.
    pub url: Url,
    /// The request body.
    pub body: Arc<str>,
    /// Requests in flight at most.
    pub concurrency: usize,
    /// How long to run.
    pub duration: Duration,
    /// Stop after this many requests even if time remains.
    pub max_requests: u64,
    /// Open loop at this many requests per second; closed loop when `None`.
    pub rate: Option<f64>,
}

struct Shared {
    stop: AtomicBool,
    started: AtomicU64,
    ok: AtomicU64,
    failed: AtomicU64,
}

/// Runs the load and returns its summary.
pub async fn run(load: HttpLoad) -> anyhow::Result<Value> {
    require_loopback(&load.url)?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(load.concurrency)
        .tcp_nodelay(true)
        .build()
        .context("http client")?;
    let shared = Arc::new(Shared {
        stop: AtomicBool::new(false),
        started: AtomicU64::new(0),
        ok: AtomicU64::new(0),
        failed: AtomicU64::new(0),
    });
    let duration = load.duration.min(MAX_DURATION);
    let begin = Instant::now();
    let merged = match load.rate {
        None => closed_loop(&load, &client, &shared, begin + duration).await,
        Some(rate) => open_loop(&load, &client, &shared, begin + duration, rate).await,
    };
    let elapsed = begin.elapsed();
    Ok(summary(
        &load.name,
        shared.ok.load(Ordering::Relaxed),
        shared.failed.load(Ordering::Relaxed),
        elapsed,
        &merged,
    ))
}

/// Sends one request; true when the server answered HTTP 200 with code 1.
async fn one(client: &reqwest::Client, load: &HttpLoad) -> bool {
    let sent = client
        .post(load.url.clone())
        .header("Content-Type", "application/json")
        .body(load.body.to_string())
        .send()
        .await;
    match sent {
        Ok(resp) if resp.status().is_success() => match resp.bytes().await {
            // A cheap check of the envelope: every success starts `{"code":1,`.
            Ok(body) => body.starts_with(b"{\"code\":1,"),
            Err(_) => false,
        },
        _ => false,
    }
}

fn take_ticket(shared: &Shared, load: &HttpLoad, deadline: Instant) -> bool {
    if shared.stop.load(Ordering::Relaxed) || Instant::now() >= deadline {
        return false;
    }
    shared.started.fetch_add(1, Ordering::Relaxed) < load.max_requests
}

async fn closed_loop(
    load: &HttpLoad,
    client: &reqwest::Client,
    shared: &Arc<Shared>,
    deadline: Instant,
) -> Histogram<u64> {
    let mut workers = Vec::new();
    for _ in 0..load.concurrency.max(1) {
        let (client, load, shared) = (client.clone(), load.clone(), shared.clone());
        workers.push(tokio::spawn(async move {
            let mut h = histogram();
            while take_ticket(&shared, &load, deadline) {
                let start = Instant::now();
                let ok = one(&client, &load).await;
                record(&mut h, start.elapsed());
                let counter = if ok { &shared.ok } else { &shared.failed };
                counter.fetch_add(1, Ordering::Relaxed);
            }
            h
        }));
    }
    merge(workers).await
}

async fn open_loop(
    load: &HttpLoad,
    client: &reqwest::Client,
    shared: &Arc<Shared>,
    deadline: Instant,
    rate: f64,
) -> Histogram<u64> {
    let interval = Duration::from_secs_f64(1.0 / rate.max(0.001));
    let in_flight = Arc::new(Semaphore::new(load.concurrency.max(1)));
    let mut tasks = Vec::new();
    let first = Instant::now();
    let mut n: u32 = 0;
    while take_ticket(shared, load, deadline) {
        let intended = first + interval * n;
        n = n.saturating_add(1);
        tokio::time::sleep_until(intended.into()).await;
        // More requests outstanding than allowed means the server is not keeping up: count the
        // arrival as failed rather than queue without bound.
        let Ok(permit) = in_flight.clone().try_acquire_owned() else {
            shared.failed.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let (client, load, shared) = (client.clone(), load.clone(), shared.clone());
        tasks.push(tokio::spawn(async move {
            let ok = one(&client, &load).await;
            let latency = intended.elapsed();
            drop(permit);
            let counter = if ok { &shared.ok } else { &shared.failed };
            counter.fetch_add(1, Ordering::Relaxed);
            let mut h = histogram();
            record(&mut h, latency);
            h
        }));
    }
    merge(tasks).await
}

async fn merge(tasks: Vec<tokio::task::JoinHandle<Histogram<u64>>>) -> Histogram<u64> {
    let mut all = histogram();
    for task in tasks {
        if let Ok(h) = task.await {
            let _ = all.add(&h);
        }
    }
    all
}
