//! One system under test, start to stop: counting fakes in this process, the system as a child
//! process pointed at them, then idle memory, fixed-rate runs, the peak, overload, and shutdown.

use crate::event::EventFactory;
use crate::load::{self, LoadResult, LoadSpec, Mode, Target};
use crate::procfs::{self, CoreUse};
use crate::track::{Replies, ReplyCall, Tracker};
use anyhow::{Context, bail};
use lexi_slack::sim::{CountingLeadLex, CountingSlack};
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

pub const SIGNING_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

#[derive(clap::Args, Debug)]
pub struct SystemArgs {
    /// Short name for the results (lexi-slack, bolt-js, bolt-py, …).
    #[arg(long)]
    pub name: String,
    /// One line saying what runs, for the table.
    #[arg(long, default_value = "")]
    pub label: String,
    /// The Slack call that carries the system's answer.
    #[arg(long, value_enum)]
    pub reply: ReplyCall,
    #[arg(long, default_value = "/slack/events")]
    pub path: String,
    /// Where the system listens (it is told through LISTEN_ADDR, HOST and PORT).
    #[arg(long, default_value_t = 3100)]
    pub port: u16,
    /// A fresh data directory is made in here (DATA_DIR) and removed afterwards.
    #[arg(long, default_value = "/tmp")]
    pub data_root: PathBuf,
    /// Results as JSON.
    #[arg(long)]
    pub out: PathBuf,
    /// The system's stdout and stderr.
    #[arg(long)]
    pub log: PathBuf,
    /// Phases in order: idle, rate:N (open loop, N req/s), peak (closed loop), overload
    /// (open loop at --overload-factor × the peak), events:N (closed loop until N events are
    /// sent: a fixed amount of work, for instruction counts under callgrind).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "idle,rate:500,rate:2000,peak,overload"
    )]
    pub phases: Vec<String>,
    /// Seconds of load per phase.
    #[arg(long, default_value_t = 15.0)]
    pub duration: f64,
    /// Seconds of closed-loop warm-up (not reported) before the first measured phase.
    #[arg(long, default_value_t = 5.0)]
    pub warmup: f64,
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    #[arg(long, default_value_t = 2.0)]
    pub overload_factor: f64,
    #[arg(long, default_value_t = 10.0)]
    pub overload_duration: f64,
    #[arg(long, default_value_t = 256)]
    pub overload_connections: usize,
    /// Longest wait for the replies after a phase (a wait also ends after 10 s without progress).
    #[arg(long, default_value_t = 120.0)]
    pub max_drain: f64,
    /// Fail (exit 1) unless every acked event got exactly one reply and every request got a 200.
    #[arg(long)]
    pub check: bool,
    /// The core the system is pinned to (for the share of it that other processes took).
    #[arg(long, default_value_t = 0)]
    pub sut_core: usize,
    /// The command that starts the system (after `--`), e.g. `taskset -c 0 target/release/lexi-slack`.
    #[arg(last = true, required = true)]
    pub command: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct SystemReport {
    pub name: String,
    pub label: String,
    pub command: Vec<String>,
    pub reply_call: ReplyCall,
    pub date: String,
    pub machine: procfs::Machine,
    /// From spawn until the port accepted connections.
    pub listening_s: f64,
    pub idle: Option<Idle>,
    pub phases: Vec<Phase>,
    pub shutdown_s: Option<f64>,
    pub exit: String,
    /// Bytes in the data directory after shutdown.
    pub data_dir_bytes: u64,
    pub problems: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Idle {
    /// 2 s after the port opened, before any event.
    pub rss_mib: f64,
    pub pss_mib: f64,
    pub processes: usize,
    /// After the first event was answered and 1 s of quiet.
    pub rss_after_first_event_mib: f64,
    pub first_event_e2e_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct Phase {
    pub name: String,
    pub load: LoadResult,
    pub replies: Replies,
    /// Acked events still unanswered when the load stopped.
    pub backlog_at_load_end: u64,
    /// Answers received while the load ran, per second of load.
    pub replied_per_s_during_load: f64,
    /// Every acked event answered before the wait gave up.
    pub drained: bool,
    /// From the last ack to the last answer.
    pub drain_s: Option<f64>,
    /// Answered events per second from the first send to the last answer.
    pub full_events_per_s: f64,
    /// CPU of the system's process tree while loaded, and until drained.
    pub sut_cpu_s_load: f64,
    pub sut_cpu_s_total: f64,
    /// SUT CPU (load + drain) / answered events.
    pub cpu_ms_per_event: f64,
    /// This process (load generator and fakes), while loaded.
    pub bench_cpu_s_load: f64,
    pub cores_during_load: Vec<CoreUse>,
    /// Busy share of the SUT's core not spent by the SUT (other processes, interrupts): noise.
    pub sut_core_foreign_pct: f64,
    /// Bytes the system logged during the phase, per answered event.
    pub log_bytes_per_event: f64,
    /// Context switches of the system's threads (load + drain) per answered event.
    pub context_switches_per_event: f64,
    /// Write-family system calls (sockets, log, disk) per answered event.
    pub write_syscalls_per_event: f64,
    /// Sampled every 100 ms over load and drain, summed over the process tree.
    pub rss_peak_mib: f64,
    pub rss_after_mib: f64,
    /// Summed high-water marks of the tree's processes after the phase (lifetime peaks).
    pub hwm_mib: f64,
    /// Calls the fakes received during the phase and its drain.
    pub fake_calls: BTreeMap<String, u64>,
}

/// What every phase of one run drives and watches: the system's address, the events sent to it,
/// the tracker of their answers, the fakes it calls, and the clock ticks of its CPU times.
struct Rig {
    target: Target,
    factory: EventFactory,
    tracker: Arc<Tracker>,
    leadlex: CountingLeadLex,
    slack: CountingSlack,
    ticks: f64,
}

impl Rig {
    /// Calls the fakes received so far, keyed `leadlex PATH` and `slack METHOD`.
    fn fake_calls(&self) -> BTreeMap<String, u64> {
        let mut all: BTreeMap<String, u64> = self
            .leadlex
            .counts()
            .into_iter()
            .map(|(k, v)| (format!("leadlex {k}"), v))
            .collect();
        all.extend(
            self.slack
                .counts()
                .into_iter()
                .map(|(k, v)| (format!("slack {k}"), v)),
        );
        all
    }
}

pub async fn run(args: SystemArgs) -> anyhow::Result<bool> {
    let tracker = Tracker::new(args.reply);
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    let leadlex = CountingLeadLex::start_on(any).await?;
    let slack = CountingSlack::start_on(any, Some(tracker.tap())).await?;
    let addr = SocketAddr::from(([127, 0, 0, 1], args.port));
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let run_id = (procfs_unique() + RUNS.fetch_add(1, Ordering::Relaxed)) as u32 & 0xFF_FFFF;
    let rig = Rig {
        target: Target {
            addr,
            path: args.path.clone(),
        },
        factory: EventFactory::new(SIGNING_SECRET, run_id),
        tracker,
        leadlex,
        slack,
        ticks: procfs::clock_ticks(),
    };

    let data_dir = args
        .data_root
        .join(format!("lexi-bench-{}-{}", args.name, std::process::id()));
    if data_dir.exists() {
        std::fs::remove_dir_all(&data_dir)?;
    }
    std::fs::create_dir_all(&data_dir)?;
    if let Some(parent) = args.log.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let log = std::fs::File::create(&args.log)
        .with_context(|| format!("cannot write {}", args.log.display()))?;

    let mut child = Command::new(&args.command[0])
        .args(&args.command[1..])
        .env_remove("RUST_LOG")
        .env_remove("LOG_FORMAT")
        .env("SLACK_SIGNING_SECRET", SIGNING_SECRET)
        .env(
            "SLACK_BOT_TOKEN",
            "xoxb-1000000000-2000000000-benchbenchbenchbench",
        )
        .env("LEADLEX_API_KEY", "wbk_bench_0123456789abcdef")
        .env("SLACK_API_URL", rig.slack.base_url())
        .env("LEADLEX_API_URL", rig.leadlex.base_url())
        .env("LISTEN_ADDR", addr.to_string())
        .env("HOST", "127.0.0.1")
        .env("PORT", args.port.to_string())
        .env("DATA_DIR", &data_dir)
        // One asker sends the whole load: lexi-slack's request caps would turn most of it away.
        .env("LEXI_USER_CALLS_PER_MINUTE", "0")
        .env("LEXI_TEAM_CALLS_PER_MINUTE", "0")
        // The job the peers do too: one chat call, one threaded post (no stream, no status).
        .env("LEXI_STREAMING", "off")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("cannot start {:?}", args.command))?;
    let pid = child.id();
    let spawned = Instant::now();
    let mut report = SystemReport {
        name: args.name.clone(),
        label: args.label.clone(),
        command: args.command.clone(),
        reply_call: args.reply,
        date: crate::today(),
        machine: procfs::machine(),
        listening_s: 0.0,
        idle: None,
        phases: Vec::new(),
        shutdown_s: None,
        exit: String::new(),
        data_dir_bytes: 0,
        problems: Vec::new(),
    };

    let outcome = drive(&args, &mut report, &mut child, spawned, &rig).await;
    if let Err(error) = &outcome {
        report.problems.push(format!("{error:#}"));
    }

    // Stop: SIGTERM, then up to 30 s for a clean exit.
    let pids = procfs::tree(pid);
    let stopping = Instant::now();
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let mut exited = None;
    while stopping.elapsed() < Duration::from_secs(30) {
        if let Ok(Some(status)) = child.try_wait() {
            exited = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    match exited {
        Some(status) => {
            report.shutdown_s = Some(stopping.elapsed().as_secs_f64());
            report.exit = status.to_string();
        }
        None => {
            report.exit = "killed after 30 s".into();
            let _ = child.kill();
            let _ = child.wait();
        }
    }
    for p in pids.iter().skip(1) {
        if std::path::Path::new(&format!("/proc/{p}")).exists() {
            let _ = Command::new("kill")
                .args(["-KILL", &p.to_string()])
                .status();
        }
    }
    report.data_dir_bytes = dir_bytes(&data_dir);
    let _ = std::fs::remove_dir_all(&data_dir);
    rig.leadlex.shutdown().await;
    rig.slack.shutdown().await;

    let mut ok = outcome.is_ok();
    if args.check {
        for phase in &report.phases {
            let r = &phase.replies;
            let l = &phase.load;
            if phase.log_bytes_per_event > 4096.0 {
                report.problems.push(format!(
                    "{}: {} log bytes per event (runaway logging?)",
                    phase.name, phase.log_bytes_per_event
                ));
                ok = false;
            }
            if r.missing > 0 || r.duplicates > 0 || l.ok != l.sent || l.error_rate > 0.0 {
                report.problems.push(format!(
                    "{}: {} sent, {} acked, {} answered, {} missing, {} duplicates, statuses {:?}, {} connect errors, {} timeouts, {} I/O errors",
                    phase.name,
                    l.sent,
                    r.acked,
                    r.replied,
                    r.missing,
                    r.duplicates,
                    l.statuses,
                    l.connect_errors,
                    l.timeouts,
                    l.io_errors
                ));
                ok = false;
            }
        }
    }
    if let Some(parent) = args.out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&args.out, serde_json::to_string_pretty(&report)? + "\n")?;
    for problem in &report.problems {
        eprintln!("lexi-bench: {}: {problem}", args.name);
    }
    Ok(ok)
}

async fn drive(
    args: &SystemArgs,
    report: &mut SystemReport,
    child: &mut Child,
    spawned: Instant,
    rig: &Rig,
) -> anyhow::Result<()> {
    let Rig {
        target,
        factory,
        tracker,
        ..
    } = rig;
    let pid = child.id();
    // Listening?
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            bail!(
                "the system exited at start ({status}); see {}",
                args.log.display()
            );
        }
        if tokio::net::TcpStream::connect(target.addr).await.is_ok() {
            break;
        }
        if spawned.elapsed() > Duration::from_secs(60) {
            bail!("the system did not listen on {} within 60 s", target.addr);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    report.listening_s = spawned.elapsed().as_secs_f64();

    // Idle, then one event end to end (this also does any lazy start-up work).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let pids = procfs::tree(pid);
    let rss = procfs::rss_kib(&pids);
    let pss = procfs::pss_kib(&pids);
    tracker.begin_phase();
    let first = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let one = LoadSpec {
                mode: Mode::Open { rate: 1000.0 },
                duration: Duration::from_millis(1),
                connections: 1,
                timeout: Duration::from_secs(10),
            };
            let r = load::run(target, &one, factory, tracker).await;
            if r.ok == 1 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await;
    if first.is_err() {
        bail!(
            "no 200 for a signed event within 30 s; see {}",
            args.log.display()
        );
    }
    wait_for_replies(tracker, Duration::from_secs(30), Duration::from_secs(30)).await;
    let first_e2e = tracker.replies().e2e_ms.max;
    if tracker.replies().missing > 0 {
        bail!(
            "the first event was acked but never answered; see {}",
            args.log.display()
        );
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    report.idle = Some(Idle {
        rss_mib: procfs::mib(rss),
        pss_mib: procfs::mib(pss),
        processes: pids.len(),
        rss_after_first_event_mib: procfs::mib(procfs::rss_kib(&procfs::tree(pid))),
        first_event_e2e_ms: first_e2e,
    });

    if args.warmup > 0.0 {
        tracker.begin_phase();
        let warm = LoadSpec {
            mode: Mode::Closed,
            duration: Duration::from_secs_f64(args.warmup),
            connections: args.connections.min(16),
            timeout: Duration::from_secs(10),
        };
        load::run(target, &warm, factory, tracker).await;
        wait_for_replies(
            tracker,
            Duration::from_secs_f64(args.max_drain),
            Duration::from_secs(10),
        )
        .await;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }

    let mut peak_rate: Option<f64> = None;
    for name in &args.phases {
        let (mode, duration, connections) = match name.as_str() {
            "idle" => continue,
            "peak" => (Mode::Closed, args.duration, args.connections),
            "overload" => {
                let Some(peak) = peak_rate else {
                    report
                        .problems
                        .push("overload skipped: it needs a peak phase before it".into());
                    continue;
                };
                let rate = (peak * args.overload_factor).max(1.0);
                (
                    Mode::Open { rate },
                    args.overload_duration,
                    args.overload_connections,
                )
            }
            other => match (
                other
                    .strip_prefix("rate:")
                    .and_then(|r| r.parse::<f64>().ok()),
                other
                    .strip_prefix("events:")
                    .and_then(|n| n.parse::<u64>().ok()),
            ) {
                (Some(rate), _) => (Mode::Open { rate }, args.duration, args.connections),
                // A fixed number of events, however long they take (under valgrind, minutes).
                (_, Some(events)) => (Mode::Count { events }, 3600.0, args.connections),
                _ => bail!("unknown phase {other:?}"),
            },
        };
        if let Ok(Some(status)) = child.try_wait() {
            bail!(
                "the system exited ({status}) before {name}; see {}",
                args.log.display()
            );
        }
        let spec = LoadSpec {
            mode,
            duration: Duration::from_secs_f64(duration),
            connections,
            timeout: Duration::from_secs(10),
        };
        let phase = measure(args, name, &spec, pid, rig).await;
        eprintln!(
            "lexi-bench: {} {}: {:.0} acks/s (errors {:.2} %), ack p50/p99/p99.9 {:.2}/{:.2}/{:.2} ms, \
             e2e p50/p99 {:.2}/{:.2} ms, {} missing, drain {}, {:.3} ms CPU/event, RSS peak {:.1} MiB, \
             {:.1} context switches and {:.1} write calls per event",
            args.name,
            name,
            phase.load.ok_per_s,
            phase.load.error_rate * 100.0,
            phase.load.ack_latency_ms.p50,
            phase.load.ack_latency_ms.p99,
            phase.load.ack_latency_ms.p999,
            phase.replies.e2e_ms.p50,
            phase.replies.e2e_ms.p99,
            phase.replies.missing,
            phase
                .drain_s
                .map_or_else(|| "not drained".to_owned(), |d| format!("{d:.2} s")),
            phase.cpu_ms_per_event,
            phase.rss_peak_mib,
            phase.context_switches_per_event,
            phase.write_syscalls_per_event,
        );
        if name == "peak" {
            peak_rate = Some(phase.load.ok_per_s);
        }
        report.phases.push(phase);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(())
}

async fn measure(args: &SystemArgs, name: &str, spec: &LoadSpec, pid: u32, rig: &Rig) -> Phase {
    let Rig {
        target,
        factory,
        tracker,
        ..
    } = rig;
    let ticks = rig.ticks;
    let pids = procfs::tree(pid);
    let me = [std::process::id()];
    let calls_before = rig.fake_calls();
    let log_before = std::fs::metadata(&args.log).map_or(0, |m| m.len());
    tracker.begin_phase();
    let cpu0 = procfs::cpu_seconds(&pids, ticks);
    let switches0 = procfs::context_switches(&pids);
    let writes0 = procfs::write_syscalls(&pids);
    let bench0 = procfs::cpu_seconds(&me, ticks);
    let cores0 = procfs::cpu_times();

    // RSS sampler, alongside the load on this thread.
    let stop = Arc::new(AtomicBool::new(false));
    let peak_kib = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (stop, peak_kib, pids) = (stop.clone(), peak_kib.clone(), pids.clone());
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(100));
            while !stop.load(Ordering::Relaxed) {
                every.tick().await;
                peak_kib.fetch_max(procfs::rss_kib(&pids), Ordering::Relaxed);
            }
        })
    };

    let started = Instant::now();
    let load = load::run(target, spec, factory, tracker).await;
    let load_end = Instant::now();
    let cpu1 = procfs::cpu_seconds(&pids, ticks);
    let bench1 = procfs::cpu_seconds(&me, ticks);
    let cores1 = procfs::cpu_times();
    let (acked, replied) = tracker.progress();
    let backlog = acked - replied;
    let loaded_for = load_end.duration_since(started).as_secs_f64();

    let drained = wait_for_replies(
        tracker,
        Duration::from_secs_f64(args.max_drain),
        Duration::from_secs(10),
    )
    .await;
    let cpu2 = procfs::cpu_seconds(&pids, ticks);
    let switches = procfs::context_switches(&pids).saturating_sub(switches0);
    let writes = procfs::write_syscalls(&pids).saturating_sub(writes0);
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.await;
    let rss_after = procfs::rss_kib(&pids);
    let replies = tracker.replies();
    let last_ack = load.ended_at.unwrap_or(load_end);
    let drain_s = drained.then(|| {
        tracker
            .last_reply()
            .map_or(0.0, |r| r.saturating_duration_since(last_ack).as_secs_f64())
    });
    let until_last_reply = tracker
        .last_reply()
        .map_or(loaded_for, |r| {
            r.saturating_duration_since(started).as_secs_f64()
        })
        .max(loaded_for.min(spec.duration.as_secs_f64()));
    let calls_after = rig.fake_calls();
    let log_after = std::fs::metadata(&args.log).map_or(0, |m| m.len());
    let cores = procfs::core_use(&cores0, &cores1);
    let sut_share = (cpu1 - cpu0) / loaded_for.max(1e-9) * 100.0;
    let foreign = cores.get(args.sut_core).map_or(0.0, |c| {
        ((c.busy_pct - sut_share).max(0.0) * 10.0).round() / 10.0
    });
    let fake_calls = calls_after
        .iter()
        .map(|(k, v)| (k.clone(), v - calls_before.get(k).copied().unwrap_or(0)))
        .filter(|(_, v)| *v > 0)
        .collect();
    // Per-event figures divide by the answered events (at least one).
    let answered = replies.replied.max(1) as f64;
    Phase {
        name: name.to_owned(),
        backlog_at_load_end: backlog,
        replied_per_s_during_load: replied as f64 / loaded_for.min(spec.duration.as_secs_f64()),
        drained,
        drain_s,
        full_events_per_s: replies.replied as f64 / until_last_reply.max(1e-9),
        sut_cpu_s_load: round3(cpu1 - cpu0),
        sut_cpu_s_total: round3(cpu2 - cpu0),
        cpu_ms_per_event: round3((cpu2 - cpu0) * 1000.0 / answered),
        bench_cpu_s_load: round3(bench1 - bench0),
        cores_during_load: cores,
        sut_core_foreign_pct: foreign,
        log_bytes_per_event: (log_after.saturating_sub(log_before) as f64 / answered).round(),
        context_switches_per_event: round3(switches as f64 / answered),
        write_syscalls_per_event: round3(writes as f64 / answered),
        rss_peak_mib: procfs::mib(peak_kib.load(Ordering::Relaxed).max(rss_after)),
        rss_after_mib: procfs::mib(rss_after),
        hwm_mib: procfs::mib(procfs::hwm_kib(&pids)),
        fake_calls,
        replies,
        load,
    }
}

/// Waits until every acked event of the phase has its reply; false if it gave up (after
/// `stall` without progress, or `max` in all).
async fn wait_for_replies(tracker: &Tracker, max: Duration, stall: Duration) -> bool {
    let start = Instant::now();
    let mut last = tracker.progress();
    let mut moved = Instant::now();
    loop {
        let now = tracker.progress();
        if now.1 >= now.0 {
            return true;
        }
        if now != last {
            last = now;
            moved = Instant::now();
        }
        if start.elapsed() > max || moved.elapsed() > stall {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn procfs_unique() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}
