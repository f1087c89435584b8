//! The storage bound: a million events through `lexi_slack::store::Store` on a compressed clock,
//! with the sweeper running beside them, and the database's size on disk as it goes.
//!
//! Each event is admitted and its job finished as the worker does (`admit`, the thread's
//! conversation remembered, `complete_job`). Every other event starts a thread; the rest reply
//! in the thread before. The store's clock advances a fixed step per event, so `--days` of
//! traffic pass during the run; a second thread sweeps once per simulated hour, as the bot's
//! sweeper does, with the shipped retention windows. If anything were kept forever, the size
//! would keep growing; with retention it levels off once the longest window (30 days for idle
//! threads) has passed.

use crate::procfs;
use lexi_slack::domain::{
    ChannelId, ChannelKind, ConversationId, Converse, EventId, Job, MessageTs, TeamId, ThreadKey,
    ThreadTs, UserId,
};
use lexi_slack::store::{Admission, Retention, Store, StoreClock, StoreSettings, Swept};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const HOUR_MS: u64 = 3_600_000;
const DAY_MS: u64 = 24 * HOUR_MS;

#[derive(clap::Args, Debug)]
pub struct RetentionArgs {
    #[arg(long, default_value_t = 1_000_000)]
    pub events: u64,
    /// Simulated days the events are spread over (1,000,000 over 90 days: ~11,000 a day).
    #[arg(long, default_value_t = 90)]
    pub days: u64,
    /// `LEXI_RETENTION` in hours.
    #[arg(long, default_value_t = 24)]
    pub retention_hours: u64,
    /// Size samples taken over the run.
    #[arg(long, default_value_t = 45)]
    pub samples: u64,
    /// A fresh database is made in here and removed afterwards.
    #[arg(long, default_value = "/tmp")]
    pub dir: PathBuf,
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Serialize)]
pub struct RetentionReport {
    pub date: String,
    pub machine: procfs::Machine,
    pub events: u64,
    pub simulated_days: u64,
    pub retention_hours: u64,
    pub run_s: f64,
    pub sweeps: u64,
    pub swept: SweptTotals,
    pub samples: Vec<Sample>,
    /// Largest `disk_bytes` in the second half of the run over the largest in the first half.
    pub second_half_over_first: f64,
}

#[derive(Debug, Default, Serialize)]
pub struct SweptTotals {
    pub seen: u64,
    pub threads: u64,
    pub approvals: u64,
    pub cards: u64,
}

#[derive(Debug, Serialize)]
pub struct Sample {
    pub events: u64,
    pub day: f64,
    /// `Store::size_on_disk`, sled's own figure.
    pub sled_size_on_disk: u64,
    /// The database directory's files, as `du` counts them.
    pub disk_bytes: u64,
    pub seen_marks: usize,
    pub threads: usize,
    pub jobs: usize,
}

fn thread(root: u64) -> ThreadKey {
    ThreadKey {
        team: TeamId::parse("T0ACME").expect("valid"),
        channel: ChannelId::parse(&format!("C0SALES{}", root % 50)).expect("valid"),
        thread_ts: ThreadTs::parse(&crate::event::thread_ts(root)).expect("valid"),
    }
}

/// Event `i`: even ones start thread `i`, odd ones reply in thread `i - 1`.
fn event(i: u64) -> (EventId, Job, ThreadKey) {
    let root = i & !1;
    let thread = thread(root);
    let job = Job::Converse(Converse {
        thread: thread.clone(),
        message_ts: MessageTs::parse(&crate::event::thread_ts(i + 1_000_000_000)).expect("valid"),
        user: UserId::parse("U0REP").expect("valid"),
        text: "find 20 CEOs at law firms in New York and draft an intro".into(),
        channel_kind: ChannelKind::DirectMessage,
        progress: Default::default(),
    });
    let id = EventId::parse(&format!("Ev{i:010}")).expect("valid");
    (id, job, thread)
}

pub async fn run(args: RetentionArgs) -> anyhow::Result<()> {
    let dir = args
        .dir
        .join(format!("lexi-bench-retention-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    let n = args.events.max(2);
    let step_ms = (args.days.max(1) * DAY_MS / n).max(1);
    // Simulated Unix ms; starts at a real date so nothing looks older than it is.
    let start_ms = lexi_slack::store::now_ms();
    let clock = Arc::new(AtomicU64::new(start_ms));
    let settings = StoreSettings {
        retention: Retention::new(Duration::from_secs(args.retention_hours * 3600)),
        clock: StoreClock::new({
            let clock = clock.clone();
            move || clock.load(Ordering::Relaxed)
        }),
        ..StoreSettings::default()
    };
    let store = Store::open(&dir, &settings)?;
    eprintln!(
        "lexi-bench retention: {n} events over {} simulated days ({step_ms} ms apart), retention {} h, in {}",
        args.days,
        args.retention_hours,
        dir.display()
    );

    // The sweeper: once per simulated hour, beside the admissions, as the bot's runs beside the
    // worker. The clock never runs more than two simulated hours ahead of the last sweep: a
    // sweep takes the same real time however compressed the clock is, so without this the
    // sweeps would fall behind and the run would measure the compression, not the retention.
    let done = Arc::new(AtomicBool::new(false));
    let swept_at = Arc::new(AtomicU64::new(start_ms));
    let sweeper = {
        let (store, clock, done, swept_at) =
            (store.clone(), clock.clone(), done.clone(), swept_at.clone());
        std::thread::spawn(move || -> anyhow::Result<(u64, SweptTotals)> {
            let mut next = start_ms + HOUR_MS;
            let (mut sweeps, mut totals) = (0, SweptTotals::default());
            while !done.load(Ordering::Relaxed) {
                let now = clock.load(Ordering::Relaxed);
                if now < next {
                    std::thread::sleep(Duration::from_millis(1));
                    continue;
                }
                let Swept {
                    seen,
                    threads,
                    approvals,
                    cards,
                } = store.sweep(now)?;
                totals.seen += seen as u64;
                totals.threads += threads as u64;
                totals.approvals += approvals as u64;
                totals.cards += cards as u64;
                sweeps += 1;
                swept_at.store(now, Ordering::Relaxed);
                next = now - now % HOUR_MS + HOUR_MS;
            }
            Ok((sweeps, totals))
        })
    };

    let every = (n / args.samples.max(1)).max(1);
    let mut samples = Vec::new();
    let started = Instant::now();
    for i in 0..n {
        let at = start_ms + i * step_ms;
        while at > swept_at.load(Ordering::Relaxed) + 2 * HOUR_MS + step_ms {
            if sweeper.is_finished() {
                break;
            }
            std::thread::sleep(Duration::from_micros(50));
        }
        clock.store(at, Ordering::Relaxed);
        let (id, job, thread) = event(i);
        let Admission::Accepted(record) = store.admit(Some(&id), job, false)? else {
            anyhow::bail!("event {i} was not admitted");
        };
        if i % 2 == 0 {
            let conversation = ConversationId::parse(&format!("conv-{i}")).expect("valid");
            store.remember_conversation(&thread, &conversation)?;
        }
        store.complete_job(record.id)?;
        if (i + 1) % every == 0 || i + 1 == n {
            store.flush()?;
            let sample = Sample {
                events: i + 1,
                day: (i * step_ms) as f64 / DAY_MS as f64,
                sled_size_on_disk: store.size_on_disk()?,
                disk_bytes: crate::store::du(&dir),
                seen_marks: store.seen_count(),
                threads: store.thread_count(),
                jobs: store.job_count(),
            };
            eprintln!(
                "  {:>9} events  day {:>5.1}  {:>7.1} MiB on disk  {:>7} seen marks  {:>7} threads  {} jobs",
                sample.events,
                sample.day,
                sample.disk_bytes as f64 / 1024.0 / 1024.0,
                sample.seen_marks,
                sample.threads,
                sample.jobs
            );
            samples.push(sample);
        }
    }
    let run_s = started.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let (sweeps, swept) = sweeper
        .join()
        .map_err(|_| anyhow::anyhow!("the sweeper panicked"))??;
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);

    let half = samples.len() / 2;
    let largest = |s: &[Sample]| s.iter().map(|s| s.disk_bytes).max().unwrap_or(0).max(1);
    let report = RetentionReport {
        date: crate::today(),
        machine: procfs::machine(),
        events: n,
        simulated_days: args.days,
        retention_hours: args.retention_hours,
        run_s,
        sweeps,
        swept,
        second_half_over_first: largest(&samples[half..]) as f64 / largest(&samples[..half]) as f64,
        samples,
    };
    eprintln!(
        "lexi-bench retention: {sweeps} sweeps in {run_s:.0} s; largest size in the second half is {:.2}× the first half's",
        report.second_half_over_first
    );
    if let Some(parent) = args.out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&args.out, serde_json::to_string_pretty(&report)? + "\n")?;
    Ok(())
}
