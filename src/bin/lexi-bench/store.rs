//! The store at scale: a million thread → conversation mappings through `lexi_slack::store::Store`,
//! with the shipped settings: insert rate, lookup latency (warm and right after a restart), restart
//! time, disk size, and optionally a full `lexi-slack` restart on that database.

use crate::load::{Percentiles, histogram};
use crate::procfs;
use anyhow::Context;
use lexi_slack::domain::{ChannelId, ConversationId, TeamId, ThreadKey, ThreadTs};
use lexi_slack::store::{Store, StoreSettings};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct StoreArgs {
    #[arg(long, default_value_t = 1_000_000)]
    pub mappings: u64,
    #[arg(long, default_value_t = 200_000)]
    pub lookups: u64,
    /// sled's page cache in MiB (default: the shipped setting).
    #[arg(long)]
    pub cache_mib: Option<u64>,
    /// A fresh database is made in here and removed afterwards.
    #[arg(long, default_value = "/tmp")]
    pub dir: PathBuf,
    /// A lexi-slack binary to restart on the filled database (time to a healthy /healthz).
    #[arg(long)]
    pub binary: Option<PathBuf>,
    /// Prefix for running `--binary` (e.g. `taskset -c 0`), space-separated.
    #[arg(long, default_value = "")]
    pub wrap: String,
    #[arg(long, default_value_t = 3199)]
    pub port: u16,
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Serialize)]
pub struct StoreReport {
    pub date: String,
    pub machine: procfs::Machine,
    pub mappings: u64,
    pub cache_mib: f64,
    /// `remember_conversation` of new threads, one after another (no fsync per insert).
    pub insert_per_s: f64,
    pub insert_us: Percentiles,
    /// The one flush (fsync) that made them durable.
    pub final_flush_s: f64,
    pub disk_bytes: u64,
    /// `Store::size_on_disk`, sled's own figure.
    pub sled_size_on_disk: u64,
    pub lookup_warm_us: Percentiles,
    pub lookup_miss_us: Percentiles,
    /// `Store::open` of the filled database.
    pub reopen_s: f64,
    pub lookup_after_reopen_us: Percentiles,
    pub process_restart: Option<ProcessRestart>,
}

#[derive(Debug, Serialize)]
pub struct ProcessRestart {
    /// From spawn to the first 200 from /healthz.
    pub healthy_s: f64,
    pub rss_idle_mib: f64,
    pub shutdown_s: Option<f64>,
}

fn key(i: u64) -> ThreadKey {
    ThreadKey {
        team: TeamId::parse("T0ACME").expect("valid"),
        channel: ChannelId::parse(&format!("C0SALES{}", i % 50)).expect("valid"),
        thread_ts: ThreadTs::parse(&crate::event::thread_ts(i)).expect("valid"),
    }
}

fn conversation(i: u64) -> ConversationId {
    ConversationId::parse(&format!("{:08x}-5c1e-4b7a-9f21-{:012x}", i as u32, i)).expect("valid")
}

/// xorshift64*: a cheap, repeatable spread over the keys.
struct Spread(u64);

impl Spread {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

pub async fn run(args: StoreArgs) -> anyhow::Result<()> {
    let dir = args
        .dir
        .join(format!("lexi-bench-store-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    let mut settings = StoreSettings::default();
    if let Some(mib) = args.cache_mib {
        settings.cache_bytes = mib * 1024 * 1024;
    }
    let store = Store::open(&dir, &settings)?;
    let n = args.mappings.max(1);

    eprintln!(
        "lexi-bench store: inserting {n} mappings in {}",
        dir.display()
    );
    let mut insert = histogram();
    let started = Instant::now();
    for i in 0..n {
        let one = Instant::now();
        store.remember_conversation(&key(i), &conversation(i))?;
        let _ = insert.record((one.elapsed().as_nanos() as u64).max(1));
    }
    let insert_s = started.elapsed().as_secs_f64();
    let flushing = Instant::now();
    store.flush()?;
    let final_flush_s = flushing.elapsed().as_secs_f64();
    anyhow::ensure!(
        store.thread_count() as u64 == n,
        "not every mapping was stored"
    );

    let lookups = |store: &Store, seed: u64, miss: bool| -> anyhow::Result<Percentiles> {
        let mut h = histogram();
        let mut spread = Spread(seed);
        for _ in 0..args.lookups {
            let i = spread.next(n);
            let k = if miss { key(n + i) } else { key(i) };
            let one = Instant::now();
            let found = store.conversation(&k)?;
            let _ = h.record((one.elapsed().as_nanos() as u64).max(1));
            anyhow::ensure!(found.is_some() != miss, "lookup {i} found the wrong thing");
        }
        // Recorded in ns, so Percentiles::of (µs → ms) reads out µs.
        Ok(Percentiles::of(&h))
    };
    let lookup_warm_us = lookups(&store, 0x9E37_79B9_7F4A_7C15, false)?;
    let lookup_miss_us = lookups(&store, 0xD1B5_4A32_D192_ED03, true)?;
    let sled_size_on_disk = store.size_on_disk()?;
    drop(store);
    let disk_bytes = du(&dir);

    let reopening = Instant::now();
    let store = Store::open(&dir, &settings)?;
    let reopen_s = reopening.elapsed().as_secs_f64();
    let lookup_after_reopen_us = lookups(&store, 0x1234_5678_9ABC_DEF1, false)?;
    drop(store);

    let process_restart = match &args.binary {
        Some(binary) => Some(restart(&args, binary, &dir).await?),
        None => None,
    };
    let _ = std::fs::remove_dir_all(&dir);

    let report = StoreReport {
        date: crate::today(),
        machine: procfs::machine(),
        mappings: n,
        cache_mib: settings.cache_bytes as f64 / 1024.0 / 1024.0,
        insert_per_s: (n as f64 / insert_s).round(),
        insert_us: Percentiles::of(&insert),
        final_flush_s,
        disk_bytes,
        sled_size_on_disk,
        lookup_warm_us,
        lookup_miss_us,
        reopen_s,
        lookup_after_reopen_us,
        process_restart,
    };
    eprintln!(
        "lexi-bench store: {} inserts/s, lookup p50/p99/p99.9 {:.1}/{:.1}/{:.1} µs warm, p99 {:.1} µs after reopen, reopen {:.3} s, {:.1} MiB on disk",
        report.insert_per_s,
        report.lookup_warm_us.p50,
        report.lookup_warm_us.p99,
        report.lookup_warm_us.p999,
        report.lookup_after_reopen_us.p99,
        report.reopen_s,
        report.disk_bytes as f64 / 1024.0 / 1024.0
    );
    if let Some(parent) = args.out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&args.out, serde_json::to_string_pretty(&report)? + "\n")?;
    Ok(())
}

async fn restart(args: &StoreArgs, binary: &Path, dir: &Path) -> anyhow::Result<ProcessRestart> {
    let mut command: Vec<String> = args.wrap.split_whitespace().map(str::to_owned).collect();
    command.push(binary.display().to_string());
    let spawned = Instant::now();
    let mut child = Command::new(&command[0])
        .args(&command[1..])
        .env_remove("RUST_LOG")
        .env("SLACK_SIGNING_SECRET", crate::system::SIGNING_SECRET)
        .env(
            "SLACK_BOT_TOKEN",
            "xoxb-1000000000-2000000000-benchbenchbenchbench",
        )
        .env("LEADLEX_API_KEY", "wbk_bench_0123456789abcdef")
        // Nothing is called during a restart with no unfinished jobs; point at a closed port anyway.
        .env("SLACK_API_URL", "http://127.0.0.1:9/api")
        .env("LEADLEX_API_URL", "http://127.0.0.1:9")
        .env("LISTEN_ADDR", format!("127.0.0.1:{}", args.port))
        .env("DATA_DIR", dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start {command:?}"))?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()?;
    let url = format!("http://127.0.0.1:{}/healthz", args.port);
    let healthy_s = loop {
        if let Ok(r) = http.get(&url).send().await {
            if r.status().is_success() {
                break spawned.elapsed().as_secs_f64();
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            anyhow::bail!("lexi-slack exited on the filled database: {status}");
        }
        if spawned.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            anyhow::bail!("lexi-slack was not healthy within 60 s on the filled database");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss = procfs::rss_kib(&[child.id()]);
    let stopping = Instant::now();
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let mut shutdown_s = None;
    while stopping.elapsed() < Duration::from_secs(30) {
        if let Ok(Some(_)) = child.try_wait() {
            shutdown_s = Some(stopping.elapsed().as_secs_f64());
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    if shutdown_s.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    Ok(ProcessRestart {
        healthy_s,
        rss_idle_mib: procfs::mib(rss),
        shutdown_s,
    })
}

pub(crate) fn du(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => du(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}
