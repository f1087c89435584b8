//! The `lexi-slack` binary: `serve` (the default) runs the bot; `healthcheck` probes a running one; `check` and `demo` help new users.

use clap::{Parser, Subcommand};
use lexi_slack::config::{Config, LogFormat};
use lexi_slack::startup::{Application, shutdown_signal};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "lexi-slack",
    version,
    about = "LeadLex's Lexi in your Slack threads"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the bot (the default).
    Serve,
    /// Exit 0 if the bot on LISTEN_ADDR answers /healthz (for container health checks).
    Healthcheck,
    /// Validate the configuration, the Slack token, the LeadLex key and the data directory.
    Check,
    /// Feedback on Lexi's answers (👍/👎).
    Feedback {
        #[command(subcommand)]
        command: FeedbackCommand,
    },
    /// Try the bot without Slack or LeadLex: the real bot against built-in simulators, in a terminal chat.
    Demo {
        /// Run the lines of this file instead of reading the terminal; exit 1 if a step fails.
        #[arg(long)]
        script: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum FeedbackCommand {
    /// Print every recorded click as JSON lines (reads DATA_DIR; stop the bot first, sled
    /// allows one process at a time).
    Export,
}

fn main() -> ExitCode {
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("lexi-slack: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run())
}

/// On one core (`taskset`, a cpuset), tokio's single-threaded scheduler: the multi-threaded one
/// with a single worker still splits the work between that worker and the main thread (which
/// runs `main`'s future, the accept loop included) and synchronises them; in paired runs on one
/// core the single-threaded one used 7-12 % less CPU per event.
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    if cores == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    }
}

async fn run() -> ExitCode {
    let cli = Cli::parse();
    // A missing .env is normal in production; the environment is enough.
    let _ = dotenvy::dotenv();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve().await,
        Command::Healthcheck => healthcheck().await,
        Command::Check => check().await,
        Command::Feedback {
            command: FeedbackCommand::Export,
        } => export_feedback(),
        Command::Demo { script } => demo(script.as_deref()).await,
    }
}

async fn serve() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("lexi-slack: {error}\nSee .env.example for every setting.");
            return ExitCode::FAILURE;
        }
    };
    lexi_slack::telemetry::init(config.log_format);
    let result = async {
        let app = Application::build(config).await?;
        app.run_until(shutdown_signal()).await
    }
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("lexi-slack: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn demo(script: Option<&std::path::Path>) -> ExitCode {
    // The bot's own logs would drown the chat: unless RUST_LOG says otherwise, only errors show.
    lexi_slack::telemetry::init_with_default(LogFormat::Text, "error");
    match lexi_slack::demo::run(script).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("lexi-slack demo: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn check() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            for problem in &error.problems {
                println!("✗ {problem}");
            }
            return ExitCode::FAILURE;
        }
    };
    let findings = lexi_slack::check::run(&config).await;
    for finding in &findings {
        println!("{} {}", if finding.ok { "✓" } else { "✗" }, finding.line);
    }
    if findings.iter().all(|f| f.ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn export_feedback() -> ExitCode {
    use std::io::Write;
    let dir = std::env::var("DATA_DIR").unwrap_or_else(|_| "./data".into());
    let settings = lexi_slack::store::StoreSettings::default();
    let store = match lexi_slack::store::Store::open(std::path::Path::new(&dir), &settings) {
        Ok(store) => store,
        Err(error) => {
            eprintln!("lexi-slack: cannot open the database in {dir}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let records = match store.all_feedback() {
        Ok(records) => records,
        Err(error) => {
            eprintln!("lexi-slack: cannot read feedback: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout().lock();
    for record in &records {
        let line = serde_json::to_string(record).unwrap_or_default();
        if writeln!(out, "{line}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

async fn healthcheck() -> ExitCode {
    lexi_slack::telemetry::init(LogFormat::Text);
    let addr = lexi_slack::config::listen_addr_from_env();
    let host = if addr.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else {
        addr.ip().to_string()
    };
    let url = format!("http://{host}:{}/healthz", addr.port());
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(3))
        .build();
    let healthy = match client {
        Ok(client) => matches!(client.get(&url).send().await, Ok(r) if r.status().is_success()),
        Err(_) => false,
    };
    if healthy {
        ExitCode::SUCCESS
    } else {
        eprintln!("lexi-slack: {url} did not answer 200");
        ExitCode::FAILURE
    }
}
