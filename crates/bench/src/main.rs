//! `cloudlake-bench`: a bounded load generator for cloudlake, loopback only.

mod baseline;
mod delay_proxy;
mod fanout;
mod http_load;
mod loopback;
mod raw_http;
mod raw_ws;
mod report;
mod setup;
mod synapse;
mod webhooks;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use reqwest::Url;
use serde_json::{Value, json};

/// The same allocator as the server binary: the in-process baseline it is compared with must
/// not be handicapped by a slower malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Bounded loopback load generator for cloudlake.
#[derive(Parser)]
#[command(name = "cloudlake-bench", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the bare-axum baseline (same JSON parse and response shape, no storage).
    Baseline {
        /// Where to listen (loopback).
        #[arg(long, default_value = "127.0.0.1:18090")]
        listen: SocketAddr,
    },
    /// Load batch_send: set up a bot and recipients through the admin API, then POST.
    Send {
        /// The server's base URL (loopback).
        #[arg(long, default_value = "http://127.0.0.1:8080/")]
        server: Url,
        /// The admin token.
        #[arg(long, env = "CLOUDLAKE_ADMIN_TOKEN")]
        admin_token: String,
        /// `group1`: one group per request; `group10`: 10 group recipients per request;
        /// `user200`: 200 user recipients.
        #[arg(long, value_enum, default_value_t = Scenario::Group10)]
        scenario: Scenario,
        /// Requests in flight (closed loop), or at most (open loop).
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// How long to run.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// Stop after this many requests.
        #[arg(long, default_value_t = 10_000_000)]
        max_requests: u64,
        /// Open loop at this rate (requests/s) instead of closed loop.
        #[arg(long)]
        rate: Option<f64>,
        /// Also run the same load against the in-process baseline, right after, and print the
        /// ratio.
        #[arg(long)]
        with_baseline: bool,
        /// Print a line every this many seconds (requests, latency, and the server's RSS with
        /// `--server-pid`): for soak runs.
        #[arg(long)]
        report_every: Option<f64>,
        /// The server's pid, to sample its RSS.
        #[arg(long)]
        server_pid: Option<u32>,
    },
    /// POST one JSON body to any loopback URL, closed loop: with `baseline` running in another
    /// process, the cross-check of this harness against `wrk` (BENCHMARKS.md).
    Post {
        /// The URL (loopback IP address and port).
        #[arg(
            long,
            default_value = "http://127.0.0.1:18090/open-apis/v1/bot/batch_send?token=x"
        )]
        url: Url,
        /// The body; by default a batch_send to 10 groups, as `send --scenario group10` sends.
        #[arg(long)]
        body: Option<String>,
        /// Requests in flight.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// How long to run.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
    },
    /// Live fan-out to the connected members of one group.
    Fanout {
        /// The server's base URL (loopback).
        #[arg(long, default_value = "http://127.0.0.1:8080/")]
        server: Url,
        /// The admin token.
        #[arg(long, env = "CLOUDLAKE_ADMIN_TOKEN")]
        admin_token: String,
        #[command(flatten)]
        load: fanout::Load,
    },
    /// The fan-out peer row: the same run against a Pusher-protocol server (Sockudo): clients
    /// subscribed to one public channel, messages published with the signed HTTP API.
    FanoutPusher {
        /// The server's base URL (loopback).
        #[arg(long, default_value = "http://127.0.0.1:6001/")]
        server: Url,
        /// The app's id.
        #[arg(long, default_value = "bench-app")]
        app_id: String,
        /// The app's key.
        #[arg(long, default_value = "bench-key")]
        app_key: String,
        /// The app's secret.
        #[arg(long, default_value = "bench-secret")]
        app_secret: String,
        #[command(flatten)]
        load: fanout::Load,
    },
    /// A TCP proxy on loopback adding a delay to every round trip (half each way), stopping
    /// by itself: a database further away than this machine, for the cluster's scaling row.
    DelayProxy {
        /// Where to listen (loopback).
        #[arg(long)]
        listen: SocketAddr,
        /// Where to forward (loopback).
        #[arg(long)]
        to: SocketAddr,
        /// Milliseconds added to each round trip (half each way).
        #[arg(long, default_value_t = 2.0)]
        round_trip_ms: f64,
        /// How long to run, at most.
        #[arg(long, default_value_t = 600.0)]
        seconds: f64,
    },
    /// The peer row: one message per request to one room of a Matrix homeserver (Synapse).
    Synapse {
        /// The homeserver's base URL (loopback).
        #[arg(long, default_value = "http://127.0.0.1:8008/")]
        server: Url,
        /// Requests in flight.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// How long to run.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
    },
    /// Webhook delivery: a fast receiver on loopback, a bot's webhook pointed at it, and
    /// events made by users sending the bot messages. The server needs
    /// `--webhook-allow-private` (the receiver is on loopback).
    Webhooks {
        /// The server's base URL (loopback).
        #[arg(long, default_value = "http://127.0.0.1:8080/")]
        server: Url,
        /// The admin token.
        #[arg(long, env = "CLOUDLAKE_ADMIN_TOKEN")]
        admin_token: String,
        /// Events to deliver.
        #[arg(long, default_value_t = 10_000)]
        events: usize,
        /// User sends in flight while making the events.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Set the webhook before making the events and time from the first send (by
        /// default the events wait in the outbox and only their delivery is timed).
        #[arg(long)]
        live: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Scenario {
    /// One group per request: one message, as a Matrix send to a room.
    Group1,
    Group10,
    User200,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Baseline { listen } => baseline::serve(listen).await,
        Command::Send {
            server,
            admin_token,
            scenario,
            concurrency,
            seconds,
            max_requests,
            rate,
            with_baseline,
            report_every,
            server_pid,
        } => {
            let admin = setup::Admin::new(server, admin_token)?;
            let (url, body) = prepare(&admin, scenario).await?;
            let load = http_load::HttpLoad {
                name: format!("cloudlake {}", scenario_name(scenario)),
                url,
                body,
                concurrency,
                duration: Duration::from_secs_f64(seconds),
                max_requests,
                rate,
                report_every: report_every.map(Duration::from_secs_f64),
                server_pid,
            };
            let measured = http_load::run(load.clone()).await?;
            println!("{measured}");
            if with_baseline {
                let addr = baseline::spawn().await?;
                let base = http_load::HttpLoad {
                    name: format!("baseline {}", scenario_name(scenario)),
                    url: Url::parse(&format!(
                        "http://{addr}/open-apis/v1/bot/batch_send?token=x"
                    ))?,
                    report_every: None,
                    server_pid: None,
                    ..load
                };
                let baseline = http_load::run(base).await?;
                println!("{baseline}");
                println!("{}", ratio(&measured, &baseline));
            }
            Ok(())
        }
        Command::Post {
            url,
            body,
            concurrency,
            seconds,
        } => {
            let ids: Vec<String> = (1..=10).map(|i| format!("{}", 100_000 + i)).collect();
            let body = body.unwrap_or_else(|| batch_send_body("group", ids));
            let load = http_load::HttpLoad {
                name: format!("post {url}"),
                url,
                body: Arc::from(body),
                concurrency,
                duration: Duration::from_secs_f64(seconds),
                max_requests: 10_000_000,
                rate: None,
                report_every: None,
                server_pid: None,
            };
            println!("{}", http_load::run(load).await?);
            Ok(())
        }
        Command::Fanout {
            server,
            admin_token,
            load,
        } => {
            let admin = setup::Admin::new(server, admin_token)?;
            println!("{}", fanout::run(&admin, load).await?);
            Ok(())
        }
        Command::FanoutPusher {
            server,
            app_id,
            app_key,
            app_secret,
            load,
        } => {
            loopback::require_loopback(&server)?;
            let app = fanout::PusherApp {
                server,
                id: app_id,
                key: app_key,
                secret: app_secret,
            };
            println!("{}", fanout::run_pusher(app, load).await?);
            Ok(())
        }
        Command::Webhooks {
            server,
            admin_token,
            events,
            concurrency,
            live,
        } => {
            let admin = setup::Admin::new(server, admin_token)?;
            println!(
                "{}",
                webhooks::run(&admin, events, concurrency, live).await?
            );
            Ok(())
        }
        Command::DelayProxy {
            listen,
            to,
            round_trip_ms,
            seconds,
        } => {
            let each_way = Duration::from_secs_f64(round_trip_ms.max(0.0) / 2000.0);
            let run_for = Duration::from_secs_f64(seconds.max(0.0));
            tokio::task::spawn_blocking(move || delay_proxy::run(listen, to, each_way, run_for))
                .await?
        }
        Command::Synapse {
            server,
            concurrency,
            seconds,
        } => {
            let load = synapse::SynapseLoad {
                server,
                concurrency,
                duration: Duration::from_secs_f64(seconds),
            };
            println!("{}", synapse::run(load).await?);
            Ok(())
        }
    }
}

fn scenario_name(scenario: Scenario) -> &'static str {
    match scenario {
        Scenario::Group1 => "batch_send 1 group",
        Scenario::Group10 => "batch_send 10 groups",
        Scenario::User200 => "batch_send 200 users",
    }
}

/// Creates the bot and recipients and returns the batch_send URL and body.
async fn prepare(admin: &setup::Admin, scenario: Scenario) -> anyhow::Result<(Url, Arc<str>)> {
    let (bot_id, token) = admin.bot("bench").await?;
    let (recv_type, ids): (&str, Vec<String>) = match scenario {
        Scenario::Group1 => ("group", admin.groups_with_bot(&bot_id, 1).await?),
        Scenario::Group10 => ("group", admin.groups_with_bot(&bot_id, 10).await?),
        Scenario::User200 => (
            "user",
            admin
                .users(&bot_id, None, 200)
                .await?
                .into_iter()
                .map(|(id, _)| id)
                .collect(),
        ),
    };
    let url = admin
        .base()
        .join(&format!("open-apis/v1/bot/batch_send?token={token}"))?;
    Ok((url, Arc::from(batch_send_body(recv_type, ids))))
}

/// The batch_send body every HTTP run sends: a short text with one button.
fn batch_send_body(recv_type: &str, ids: Vec<String>) -> String {
    json!({"recvIds": ids, "recvType": recv_type, "contentType": "text",
        "content": {"text": "bench message", "buttons": [[{"text": "ok", "actionType": 3, "value": "v"}]]}})
    .to_string()
}

fn ratio(measured: &Value, baseline: &Value) -> Value {
    let rate = |v: &Value| v["per_second"].as_f64().unwrap_or(0.0);
    json!({"ratio_to_baseline": ((rate(measured) / rate(baseline).max(1.0)) * 1000.0).round() / 1000.0})
}
