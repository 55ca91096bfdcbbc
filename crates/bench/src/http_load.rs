//! HTTP load: POST the same body again and again, closed loop (a fixed number of requests in
//! flight) or open loop (a fixed arrival rate, latency measured from each request's intended
//! start so that a stalled server cannot hide its stall).
//!
//! The load runs on one thread of its own (a current-thread runtime, like `wrk -t1`) over
//! [`crate::raw_http`] connections, and reports the CPU that thread used: the harness shares
//! the machine's cores with the server it measures, so its cost is part of every result.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use hdrhistogram::Histogram;
use reqwest::Url;
use serde_json::{Value, json};

use crate::loopback::require_loopback;
use crate::raw_http::{Answer, Connection, Request, thread_cpu};
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
    /// Print a line per interval of this length (for soak runs), with the server's RSS when
    /// `server_pid` is set.
    pub report_every: Option<Duration>,
    /// The server's pid, for RSS samples.
    pub server_pid: Option<u32>,
}

struct Shared {
    stop: AtomicBool,
    started: AtomicU64,
    ok: AtomicU64,
    failed: AtomicU64,
    /// Every latency of the run. Shared rather than one histogram per request: a long open-loop
    /// run would otherwise hold one histogram per request until the end.
    latency: Mutex<Histogram<u64>>,
    /// Latencies since the last interval line.
    interval: Mutex<Histogram<u64>>,
}

impl Shared {
    fn record(&self, ok: bool, latency: Duration) {
        let counter = if ok { &self.ok } else { &self.failed };
        counter.fetch_add(1, Ordering::Relaxed);
        for h in [&self.latency, &self.interval] {
            record(
                &mut h.lock().unwrap_or_else(std::sync::PoisonError::into_inner),
                latency,
            );
        }
    }
}

/// Runs the load on a thread of its own and returns its summary.
pub async fn run(load: HttpLoad) -> anyhow::Result<Value> {
    require_loopback(&load.url)?;
    let request = Request::post_json(&load.url, &load.body)?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("bench-load".into())
        .spawn(move || {
            let result = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("the load's runtime")
                .map(|rt| rt.block_on(drive(load, request)));
            let _ = tx.send(result);
        })
        .context("the load's thread")?;
    rx.await.context("the load's thread ended early")?
}

async fn drive(load: HttpLoad, request: Request) -> Value {
    let shared = Arc::new(Shared {
        stop: AtomicBool::new(false),
        started: AtomicU64::new(0),
        ok: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        latency: Mutex::new(histogram()),
        interval: Mutex::new(histogram()),
    });
    let duration = load.duration.min(MAX_DURATION);
    let cpu_before = thread_cpu();
    let begin = Instant::now();
    let reporter = load
        .report_every
        .map(|every| tokio::spawn(report_intervals(shared.clone(), every, load.server_pid)));
    match load.rate {
        None => closed_loop(&load, &request, &shared, begin + duration).await,
        Some(rate) => open_loop(&load, &request, &shared, begin + duration, rate).await,
    }
    let elapsed = begin.elapsed();
    let cpu = thread_cpu()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    if let Some(reporter) = reporter {
        reporter.abort();
    }
    let latency = shared
        .latency
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut report = summary(
        &load.name,
        shared.ok.load(Ordering::Relaxed),
        shared.failed.load(Ordering::Relaxed),
        elapsed,
        &latency,
    );
    if let Some(cpu) = cpu {
        // Cores' worth of CPU the load thread used over the run (1.0 = one core, busy).
        report["harness_cpu_cores"] =
            json!((cpu.as_secs_f64() / elapsed.as_secs_f64().max(1e-9) * 1000.0).round() / 1000.0);
    }
    if let Some(rss) = load.server_pid.and_then(crate::fanout::rss_kib) {
        report["server_rss_kib"] = json!(rss);
    }
    report
}

/// Prints one line per interval: requests ok / failed in it, its latency percentiles, and the
/// server's RSS at its end.
async fn report_intervals(shared: Arc<Shared>, every: Duration, server_pid: Option<u32>) {
    let begin = Instant::now();
    let mut ticks = tokio::time::interval_at((begin + every).into(), every);
    let (mut ok_before, mut failed_before) = (0, 0);
    loop {
        ticks.tick().await;
        let (ok, failed) = (
            shared.ok.load(Ordering::Relaxed),
            shared.failed.load(Ordering::Relaxed),
        );
        let h = std::mem::replace(
            &mut *shared
                .interval
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
            histogram(),
        );
        let mut line = summary(
            "interval",
            ok - ok_before,
            failed - failed_before,
            every,
            &h,
        );
        line["at_seconds"] = json!(begin.elapsed().as_secs());
        if let Some(rss) = server_pid.and_then(crate::fanout::rss_kib) {
            line["server_rss_kib"] = json!(rss);
        }
        println!("{line}");
        (ok_before, failed_before) = (ok, failed);
    }
}

/// Sends one request on `conn` (opening it first if needed); true when the server answered
/// HTTP 200 with code 1. A connection that failed is dropped, and the next request opens
/// another.
async fn one(conn: &mut Option<Connection>, request: &Request) -> bool {
    if conn.is_none() {
        *conn = Connection::open(request.addr).await.ok();
    }
    let Some(open) = conn else {
        return false;
    };
    match open.exchange(request).await {
        Ok(answer) => answer == Answer::Success,
        Err(_) => {
            *conn = None;
            false
        }
    }
}

fn take_ticket(shared: &Shared, load: &HttpLoad, deadline: Instant) -> bool {
    if shared.stop.load(Ordering::Relaxed) || Instant::now() >= deadline {
        return false;
    }
    shared.started.fetch_add(1, Ordering::Relaxed) < load.max_requests
}

async fn closed_loop(load: &HttpLoad, request: &Request, shared: &Arc<Shared>, deadline: Instant) {
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..load.concurrency.max(1) {
        let (request, load, shared) = (request.clone(), load.clone(), shared.clone());
        workers.spawn(async move {
            let mut conn = None;
            while take_ticket(&shared, &load, deadline) {
                let start = Instant::now();
                let ok = one(&mut conn, &request).await;
                shared.record(ok, start.elapsed());
            }
        });
    }
    workers.join_all().await;
}

async fn open_loop(
    load: &HttpLoad,
    request: &Request,
    shared: &Arc<Shared>,
    deadline: Instant,
    rate: f64,
) {
    let interval = Duration::from_secs_f64(1.0 / rate.max(0.001));
    // Idle connections, and how many more may be opened: an arrival takes an idle one, or
    // opens one while fewer than `concurrency` exist.
    let idle: Arc<Mutex<Vec<Connection>>> = Arc::default();
    let unopened = Arc::new(AtomicUsize::new(load.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let first = Instant::now();
    let mut n: u32 = 0;
    while take_ticket(shared, load, deadline) {
        let intended = first + interval * n;
        n = n.saturating_add(1);
        tokio::time::sleep_until(intended.into()).await;
        let taken = idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        let mut conn = match taken {
            Some(conn) => Some(conn),
            None if take_slot(&unopened) => None,
            // More requests outstanding than allowed means the server is not keeping up:
            // count the arrival as failed rather than queue without bound.
            None => {
                shared.failed.fetch_add(1, Ordering::Relaxed);
                continue;
            }
        };
        let (request, shared, idle, unopened) = (
            request.clone(),
            shared.clone(),
            idle.clone(),
            unopened.clone(),
        );
        tasks.spawn(async move {
            let ok = one(&mut conn, &request).await;
            shared.record(ok, intended.elapsed());
            match conn {
                Some(conn) => idle
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(conn),
                // The connection failed: its slot is free for a new one.
                None => {
                    unopened.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        // Finished tasks are reaped as the run goes, so a long run holds only what is in
        // flight.
        while tasks.try_join_next().is_some() {}
    }
    tasks.join_all().await;
}

/// Takes one of the connection slots not yet opened, if any is left.
fn take_slot(unopened: &AtomicUsize) -> bool {
    unopened
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
        .is_ok()
}
