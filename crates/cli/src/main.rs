//! `cloudlake`: run the server (`serve`), administer it (`admin`), and act as a bot (`send`,
//! `send-stream`, `batch-send`, `edit`, `recall`, `messages`, `upload`, `board`, `events`)
//! against cloudlake or Yunhu.

mod admin;
mod bot;
mod explain;
mod serve;
mod when;

use clap::{Parser, Subcommand};

/// mimalloc rather than glibc's malloc: the writer thread allocates and frees SQLite's pages
/// and every request's buffers, and glibc's per-thread arenas showed up in profiles growing
/// and trimming themselves (`malloc_consolidate`, `mprotect`, `madvise`) on every batch
/// (BENCHMARKS.md). The workspace builds it with `override`, so that SQLite's own `malloc`
/// calls go to it too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A self-hosted bot messaging server that speaks the Yunhu (云湖) bot open API.
#[derive(Parser)]
#[command(name = "cloudlake", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(serve::ServeArgs),
    /// Manage users, groups and bots through the admin API.
    Admin(admin::AdminArgs),
    /// Send a message as the bot.
    Send(bot::SendArgs),
    /// Send a text or markdown message streamed from stdin as it is produced (or given whole).
    SendStream(bot::SendStreamArgs),
    /// Send one message to many users or groups (split into requests of 200).
    BatchSend(bot::BatchSendArgs),
    /// Replace the content of a message the bot sent.
    Edit(bot::EditArgs),
    /// Recall a message the bot sent.
    Recall(bot::RecallArgs),
    /// Answer a person's click on a button of the bot's message (cloudlake only): a notice
    /// for them alone, a new text for the message, or both.
    AnswerClick(bot::AnswerClickArgs),
    /// Read a chat's history, newest first.
    Messages(bot::MessagesArgs),
    /// Upload an image, video or file; prints the key to send.
    Upload(bot::UploadArgs),
    /// Set or dismiss the bot's boards.
    Board(bot::BoardArgs),
    /// Print the bot's events live, one JSON object per line.
    Events(bot::EventsArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Admin(args) => admin::run(args).await,
            Command::Send(args) => bot::send(args).await,
            Command::SendStream(args) => bot::send_stream(args).await,
            Command::BatchSend(args) => bot::batch_send(args).await,
            Command::Edit(args) => bot::edit(args).await,
            Command::Recall(args) => bot::recall(args).await,
            Command::AnswerClick(args) => bot::answer_click(args).await,
            Command::Messages(args) => bot::messages(args).await,
            Command::Upload(args) => bot::upload(args).await,
            Command::Board(args) => bot::board(args).await,
            Command::Events(args) => bot::events(args).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) if e.is::<serve::Reported>() => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {}", explain::error_text(&e));
            std::process::ExitCode::FAILURE
        }
    }
}
