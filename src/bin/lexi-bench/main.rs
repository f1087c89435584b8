//! lexi-bench: the benchmark harness behind `bench/run` (see bench/README.md).
//!
//! - `system`: counting fakes in this process, one system under test as a child process, every
//!   measured phase, results as JSON.
//! - `store`: the store at scale (a million thread mappings).
//! - `retention`: a million events on a compressed clock with the sweeper running; size on disk.
//! - `report`: the results table in BENCHMARKS.md from a directory of results.
//! - `fakes`, `load`, `peak`: the pieces on their own, for poking at a running server.

mod event;
mod load;
mod procfs;
mod report;
mod retention;
mod store;
mod system;
mod track;

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "lexi-bench",
    about = "Benchmarks lexi-slack against Slack's Bolt apps"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run one system under test through every phase and write its results.
    System(system::SystemArgs),
    /// The store at scale: insert, look up, restart.
    Store(store::StoreArgs),
    /// A million events on a compressed clock, swept as the bot does: the size on disk over time.
    Retention(retention::RetentionArgs),
    /// Write the results table into BENCHMARKS.md.
    Report(report::ReportArgs),
    /// Start the counting fakes and print their counts every few seconds.
    Fakes {
        #[arg(long, default_value = "127.0.0.1:3901")]
        leadlex: SocketAddr,
        #[arg(long, default_value = "127.0.0.1:3902")]
        slack: SocketAddr,
        /// Stop after this many seconds.
        #[arg(long, default_value_t = 600)]
        seconds: u64,
    },
    /// Open loop at a fixed rate against a running server; prints ack latency as JSON.
    Load {
        #[arg(long, default_value_t = 500.0)]
        rate: f64,
        #[command(flatten)]
        against: Against,
    },
    /// Closed loop at N connections against a running server; prints the peak as JSON.
    Peak(Against),
}

/// The running server `load` and `peak` drive, and for how long over how many connections.
#[derive(clap::Args)]
struct Against {
    #[arg(long, default_value = "127.0.0.1:3000")]
    addr: SocketAddr,
    #[arg(long, default_value = "/slack/events")]
    path: String,
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    #[arg(long, default_value_t = 64)]
    connections: usize,
    #[arg(long, default_value = system::SIGNING_SECRET)]
    secret: String,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // One thread: lexi-bench is pinned to its own core, away from the system under test.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lexi-bench: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Cmd::System(args) => system::run(args).await,
            Cmd::Store(args) => store::run(args).await.map(|()| true),
            Cmd::Retention(args) => retention::run(args).await.map(|()| true),
            Cmd::Report(args) => report::run(&args).map(|()| true),
            Cmd::Fakes {
                leadlex,
                slack,
                seconds,
            } => fakes(leadlex, slack, seconds).await.map(|()| true),
            Cmd::Load { rate, against } => standalone(against, load::Mode::Open { rate })
                .await
                .map(|()| true),
            Cmd::Peak(against) => standalone(against, load::Mode::Closed).await.map(|()| true),
        }
    });
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("lexi-bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn fakes(leadlex: SocketAddr, slack: SocketAddr, seconds: u64) -> anyhow::Result<()> {
    let leadlex = lexi_slack::sim::CountingLeadLex::start_on(leadlex).await?;
    let slack = lexi_slack::sim::CountingSlack::start_on(slack, None).await?;
    println!(
        "LEADLEX_API_URL={}\nSLACK_API_URL={}",
        leadlex.base_url(),
        slack.base_url()
    );
    let until = tokio::time::Instant::now() + Duration::from_secs(seconds);
    let mut every = tokio::time::interval(Duration::from_secs(5));
    while tokio::time::Instant::now() < until {
        tokio::select! {
            _ = every.tick() => {
                println!("{}", serde_json::json!({"leadlex": leadlex.counts(), "slack": slack.counts()}));
            }
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    leadlex.shutdown().await;
    slack.shutdown().await;
    Ok(())
}

async fn standalone(against: Against, mode: load::Mode) -> anyhow::Result<()> {
    let tracker = track::Tracker::new(track::ReplyCall::Answer);
    let factory = event::EventFactory::new(&against.secret, std::process::id() & 0xFF_FFFF);
    let spec = load::LoadSpec {
        mode,
        duration: Duration::from_secs_f64(against.duration.clamp(0.1, 600.0)),
        connections: against.connections,
        timeout: Duration::from_secs(10),
    };
    let target = load::Target {
        addr: against.addr,
        path: against.path,
    };
    let result = load::run(&target, &spec, &factory, &tracker).await;
    println!("{}", serde_json::to_string_pretty(&result)?);
    Ok(())
}

/// Today's date (UTC), `YYYY-MM-DD`.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}
