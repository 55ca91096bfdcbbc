//! `cloudlake serve`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use cloudlake_server::config::{
    ADMIN_TOKEN_FILE, DEFAULT_DATA_DIR, DEFAULT_LISTEN, DEFAULT_MAX_BODY_BYTES,
};
use cloudlake_server::store::Durability;
use cloudlake_server::{Config, Server};
use tracing_subscriber::EnvFilter;

/// Options of `serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// Where the database and the admin token live (created if missing).
    #[arg(long, env = "CLOUDLAKE_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    data_dir: PathBuf,
    /// The address to listen on.
    #[arg(long, env = "CLOUDLAKE_LISTEN", default_value = DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// Use this admin token instead of the one in the data directory.
    #[arg(long, env = "CLOUDLAKE_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// On an empty data directory, create a demo bot, two users and two groups, and print a
    /// ready-to-paste curl request.
    #[arg(long)]
    demo: bool,
    /// `full`: a reply means the message survives a power cut. `normal`: it survives the
    /// process being killed, not necessarily a power cut (faster).
    #[arg(long, env = "CLOUDLAKE_DURABILITY", value_enum, default_value_t = DurabilityArg::Full)]
    durability: DurabilityArg,
    /// The largest bot API request body accepted, in bytes.
    #[arg(long, env = "CLOUDLAKE_MAX_BODY_BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: usize,
}

#[derive(Clone, Copy, ValueEnum)]
enum DurabilityArg {
    Full,
    Normal,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let config = Config {
        data_dir: args.data_dir.clone(),
        listen: args.listen,
        admin_token: args.admin_token,
        demo: args.demo,
        durability: match args.durability {
            DurabilityArg::Full => Durability::Full,
            DurabilityArg::Normal => Durability::Normal,
        },
        max_body_bytes: args.max_body_bytes,
    };
    let server = Server::bind(config).await.context("cannot start")?;
    let addr = server.local_addr()?;
    if let Some(token) = &server.new_admin_token {
        println!(
            "admin token (shown once; saved in {}): {token}",
            args.data_dir.join(ADMIN_TOKEN_FILE).display()
        );
    }
    if let Some(seed) = &server.demo {
        print_demo(seed, addr);
    } else if args.demo {
        println!("--demo: the data directory already has data, so nothing was seeded.");
    }
    println!(
        "cloudlake listening on http://{addr} (data in {})",
        args.data_dir.display()
    );
    println!("web client: http://{addr}/ (user token)  admin console: http://{addr}/admin");
    server.serve(shutdown_signal()).await?;
    println!("cloudlake stopped");
    Ok(())
}

fn print_demo(seed: &cloudlake_server::demo::DemoSeed, addr: SocketAddr) {
    println!("demo data created:");
    println!("  bot {}  token: {}", seed.bot_id, seed.bot_token);
    for (user, token) in &seed.users {
        println!("  user {user}  token: {token}");
    }
    println!(
        "  groups: {} (the bot and both users are in each)",
        seed.group_ids.join(", ")
    );
    println!("try the original batch_send request:");
    println!(
        "curl --location 'http://{addr}/open-apis/v1/bot/batch_send?token={}' \\\n\
         --header 'Content-Type: application/json' \\\n\
         --data '{{\"recvIds\": [\"{}\", \"{}\"], \"recvType\": \"group\", \"contentType\": \"text\", \
         \"content\": {{\"text\": \"这里是消息内容\", \"buttons\": [[{{\"text\": \"复制\", \"actionType\": 2, \"value\": \"xxxx\"}}, \
         {{\"text\": \"点击跳转\", \"actionType\": 1, \"url\": \"http://www.baidu.com\"}}]]}}}}'",
        seed.bot_token, seed.group_ids[0], seed.group_ids[1]
    );
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: no new connections; finishing requests in flight");
}
