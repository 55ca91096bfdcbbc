//! Prometheus metrics, served at `GET /metrics` (OpenMetrics text) with the admin token.
//!
//! The registry is process-wide, like a logger: the counters are bumped from deep inside the
//! writer thread, the gateway and the dispatcher, and threading a handle through every layer
//! would buy nothing for a process that runs one server. (Tests that start several servers in
//! one process read deltas.)
//!
//! Labels are bounded by construction: HTTP metrics carry the *matched route template*
//! (`/open-apis/v1/bot/send`, `/admin/v1/users/{id}`), never the raw path or query — the bot
//! token travels in the query string, and raw paths would make one series per ID. Requests
//! that match no route are labelled `unmatched`.
//!
//! Why the admin token: the numbers say how busy the server is and how many people are online,
//! which is the operator's business, and the main listener may face the internet. Prometheus
//! sends it with `authorization: {credentials_file: …}` in the scrape config. A separate
//! unauthenticated loopback listener would be the other choice; one listener and one token is
//! less to configure and cannot be exposed by mistake.

use std::sync::LazyLock;
use std::sync::atomic::AtomicI64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The labels of a request counter: method, route template, status code.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The HTTP method (`other` for a non-standard one).
    pub method: &'static str,
    /// The matched route template, or `unmatched`.
    pub route: &'static str,
    /// The response's status code.
    pub status: u16,
}

/// The labels of a request latency histogram: method and route template.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// The HTTP method (`other` for a non-standard one).
    pub method: &'static str,
    /// The matched route template, or `unmatched`.
    pub route: &'static str,
}

/// The label of the connected-clients gauge.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ClientLabels {
    /// `user` (a live WebSocket of the user API) or `bot` (a bot's event WebSocket).
    pub kind: &'static str,
}

/// The label of the writer's phase histogram: `begin`, `jobs`, `commit` or `publish` (see
/// [`Metrics::writer_phase_seconds`]).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PhaseLabels {
    /// The phase.
    pub phase: &'static str,
}

/// Every metric the server exports.
pub struct Metrics {
    registry: Registry,
    /// HTTP requests answered, by method, route and status.
    pub requests: Family<RequestLabels, Counter>,
    /// HTTP request latency in seconds (until the response head), by method and route.
    pub request_seconds: Family<RouteLabels, Histogram>,
    /// The storage writer's time per batch, by phase: `begin` (BEGIN; on PostgreSQL with the
    /// cluster's write lock or what the writer remembers read again), `jobs` (running the
    /// batch's writes), `commit` (the COMMIT; on PostgreSQL under contention with the lock
    /// and the rows' numbers settled), `publish` (handing the commit to the live layer and
    /// answering its callers). Where a node's
    /// write rate goes when its batches are full.
    pub writer_phase_seconds: Family<PhaseLabels, Histogram>,
    /// Messages committed to storage (bot and user sends; edits and recalls are not new
    /// messages).
    pub messages_stored: Counter,
    /// Write batches that failed to commit (a full disk, an I/O error): their callers got an
    /// error and nothing of the batch was stored.
    pub write_failures: Counter,
    /// Frames written to users' live WebSockets.
    pub live_deliveries: Counter,
    /// Events written to bots' WebSockets.
    pub bot_socket_deliveries: Counter,
    /// Open WebSockets, by kind.
    pub connected_clients: Family<ClientLabels, Gauge>,
    /// Webhook attempts made.
    pub webhook_attempts: Counter,
    /// Webhook attempts that failed (refused, timed out, non-2xx).
    pub webhook_failures: Counter,
    /// Events that became dead letters.
    pub webhook_dead_letters: Counter,
    /// Events waiting in the outbox (set when scraped).
    pub outbox_depth: Gauge<i64, AtomicI64>,
    /// Changes the search index has not reached yet (set when scraped).
    pub search_index_lag: Gauge<i64, AtomicI64>,
    /// WebSocket upgrades refused by the connection limits.
    pub ws_refused: Counter,
    /// Messages (committed batches, wakes) that did not make it through the NATS bus in time:
    /// NATS was unreachable or slow. Live clients resync from storage.
    pub bus_publish_failures: Counter,
    /// Times this node found it had missed messages on the NATS bus (a reconnect, a gap in a
    /// publisher's sequence) and told its live sessions to resync.
    pub bus_resyncs: Counter,
}

/// The writer's phase buckets, in seconds: 50 µs (an SQLite batch's jobs) to 1 s.
const WRITER_PHASE_BUCKETS: [f64; 13] = [
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

/// The writer's phases, in the order a batch goes through them (see
/// [`Metrics::writer_phase_seconds`]).
pub const WRITER_PHASES: [&str; 4] = ["begin", "jobs", "commit", "publish"];

/// Request latency buckets, in seconds: 0.5 ms to 10 s.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    &METRICS
}

impl Metrics {
    fn new() -> Self {
        let requests = Family::<RequestLabels, Counter>::default();
        let request_seconds =
            Family::<RouteLabels, Histogram>::new_with_constructor(new_latency_histogram);
        let connected_clients = Family::<ClientLabels, Gauge>::default();
        // Both kinds exist from the start, so a dashboard sees 0 rather than no series.
        for kind in ["user", "bot"] {
            let _ = connected_clients.get_or_create(&ClientLabels { kind });
        }
        let writer_phase_seconds = Family::<PhaseLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(WRITER_PHASE_BUCKETS)
        });
        for phase in WRITER_PHASES {
            let _ = writer_phase_seconds.get_or_create(&PhaseLabels { phase });
        }
        let mut registry = Registry::with_prefix("cloudlake");
        registry.register(
            "writer_phase_seconds",
            "The storage writer's time per batch, by phase: begin, jobs, commit, publish",
            writer_phase_seconds.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to the response head, by method and route template",
            request_seconds.clone(),
        );
        registry.register(
            "connected_clients",
            "Open WebSockets: user live sockets and bot event sockets",
            connected_clients.clone(),
        );
        let mut counter = |name: &str, help: &str| {
            let c = Counter::default();
            registry.register(name, help, c.clone());
            c
        };
        let messages_stored = counter("messages_stored", "Messages committed to storage");
        let write_failures = counter(
            "store_write_failures",
            "Write batches that failed to commit (nothing of them was stored)",
        );
        let live_deliveries = counter(
            "live_deliveries",
            "Frames written to users' live WebSockets",
        );
        let bot_socket_deliveries = counter(
            "bot_socket_deliveries",
            "Events written to bots' WebSockets",
        );
        let webhook_attempts = counter("webhook_attempts", "Webhook delivery attempts");
        let webhook_failures = counter("webhook_failures", "Webhook attempts that failed");
        let webhook_dead_letters =
            counter("webhook_dead_letters", "Events that became dead letters");
        let ws_refused = counter(
            "websocket_refused",
            "WebSocket upgrades refused by the connection limits",
        );
        let bus_publish_failures = counter(
            "bus_publish_failures",
            "Messages that did not make it through the NATS bus in time",
        );
        let bus_resyncs = counter(
            "bus_resyncs",
            "Times messages were missed on the NATS bus and live sessions told to resync",
        );
        let outbox_depth = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "outbox_depth",
            "Events waiting in the outbox (pending delivery)",
            outbox_depth.clone(),
        );
        let search_index_lag = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "search_index_lag",
            "Changes (new messages, edits, recalls, reactions) the search index has not reached",
            search_index_lag.clone(),
        );
        Metrics {
            registry,
            requests,
            request_seconds,
            writer_phase_seconds,
            messages_stored,
            write_failures,
            live_deliveries,
            bot_socket_deliveries,
            connected_clients,
            webhook_attempts,
            webhook_failures,
            webhook_dead_letters,
            outbox_depth,
            search_index_lag,
            ws_refused,
            bus_publish_failures,
            bus_resyncs,
        }
    }

    /// The whole registry in the OpenMetrics text format.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }

    /// Counts an open WebSocket of `kind` until the returned guard is dropped.
    pub fn client_connected(&'static self, kind: &'static str) -> ClientGuard {
        let gauge = self.connected_clients.get_or_create(&ClientLabels { kind });
        gauge.inc();
        ClientGuard(gauge.clone())
    }
}

fn new_latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// Decrements the connected-clients gauge when dropped.
pub struct ClientGuard(Gauge);

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}
