//! Fault soak: messages flow through the real router while the fake LeadLex and Slack fail a share of
//! calls in every way they can, and LeadLex goes down for a while. Then what the fakes saw is
//! audited (`soak_audit.rs`): every message answered exactly once or the user told in its thread,
//! LeadLex retries bounded and backing off, the queue drained, the outage ridden out.
//!
//! CI runs a small, fast version: time is compressed through `Tuning` (millisecond backoff and
//! timeouts, a sub-second outage), not by sleeping. The full soak, with the shipped retry schedule
//! and a real two-minute outage:
//! `SOAK_FULL=1 cargo test --locked --test api soak:: -- --nocapture`
//! Answers are streamed, as shipped; `SOAK_STREAMING=off` soaks the plain reply alone.
//! Knobs: `SOAK_EVENTS`, `SOAK_THREADS`, `SOAK_ERROR_RATE` (percent), `SOAK_OUTAGE_SECS`, `SOAK_SEED`;
//! `SOAK_LOG=lexi_slack=warn` shows what the bot logged.

use crate::helpers::*;
use crate::soak_audit::{self, Sent};
use lexi_slack::bot::RetryPolicy;
use lexi_slack::config::{Config, Tuning};
use lexi_slack::sim::{FaultKind, FaultPlan};
use std::time::Duration;
use std::time::Instant;

/// One soak's size and timing.
#[derive(Debug, Clone)]
struct Soak {
    events: usize,
    threads: usize,
    error_rate: f64,
    seed: u64,
    /// Sending before, during and after the outage.
    before: Duration,
    outage: Duration,
    after: Duration,
    full: bool,
    /// Answers streamed, as shipped (`SOAK_STREAMING=off`: the plain reply only).
    streaming: bool,
}

fn setting(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

impl Soak {
    fn from_env() -> Self {
        let full = std::env::var("SOAK_FULL").is_ok_and(|v| v == "1");
        let (events, threads, outage) = if full {
            (1_000, 100, Duration::from_secs(120))
        } else {
            (120, 12, Duration::from_millis(1_200))
        };
        let outage = setting("SOAK_OUTAGE_SECS").map_or(outage, Duration::from_secs);
        let (before, after) = if full {
            (Duration::from_secs(60), Duration::from_secs(60))
        } else {
            (Duration::from_millis(300), Duration::from_millis(300))
        };
        let seed = setting("SOAK_SEED").unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
        let events = setting("SOAK_EVENTS").map_or(events, |n| n as usize).max(1);
        Self {
            events,
            threads: setting("SOAK_THREADS")
                .map_or(threads, |n| n as usize)
                .clamp(1, events),
            error_rate: setting("SOAK_ERROR_RATE").map_or(0.3, |p| p as f64 / 100.0),
            seed,
            before,
            outage,
            after,
            full,
            streaming: std::env::var("SOAK_STREAMING").map_or(true, |v| v != "off"),
        }
    }

    /// CI runs the shipped retry schedule 100 times faster (20 ms doubling to 300 ms, 24 tries: 6 s
    /// of patience) against an outage 100 times shorter (1.2 s). The full soak keeps the shipped
    /// schedule and a real two-minute outage. Both shorten the client timeouts (250 ms and 10 s
    /// rather than 90 s) so that each injected hang costs less time.
    fn tune(&self, t: &mut Tuning) {
        // One user sends everything: the request caps are not what is soaked here.
        t.user_calls_per_minute = 0;
        t.team_calls_per_minute = 0;
        t.max_attempts = Tuning::default().max_attempts;
        if self.full {
            let shipped = Tuning::default();
            t.retry_base_delay = shipped.retry_base_delay;
            t.retry_max_delay = shipped.retry_max_delay;
            t.leadlex_timeout = Duration::from_secs(10);
            t.leadlex_stream_idle_timeout = Duration::from_secs(10);
            t.slack_timeout = Duration::from_secs(10);
        } else {
            t.retry_base_delay = Duration::from_millis(20);
            t.retry_max_delay = Duration::from_millis(300);
            t.leadlex_timeout = Duration::from_millis(250);
            t.leadlex_stream_idle_timeout = Duration::from_millis(250);
            t.slack_timeout = Duration::from_millis(250);
        }
    }

    fn configure(&self) -> impl Fn(&mut Config) + Send + Sync + 'static {
        let soak = self.clone();
        move |config: &mut Config| {
            soak.tune(&mut config.tuning);
            config.streaming = soak.streaming;
        }
    }

    /// The retry schedule the bot runs with in this soak.
    fn retry(&self) -> RetryPolicy {
        let mut t = Tuning::default();
        self.tune(&mut t);
        RetryPolicy {
            max_attempts: t.max_attempts,
            base_delay: t.retry_base_delay,
            max_delay: t.retry_max_delay,
            max_server_wait: t.max_rate_limit_wait,
        }
    }

    fn rate_limit_wait(&self) -> Duration {
        if self.full {
            Duration::from_secs(1)
        } else {
            Duration::ZERO
        }
    }

    /// How long the audit may wait for everything to settle once sending is over.
    fn settle_deadline(&self) -> Duration {
        if self.full {
            Duration::from_secs(20 * 60)
        } else {
            Duration::from_secs(30)
        }
    }
}

/// Thread `t`'s root ts; message `m` of it is `root` with `m` as the fraction.
fn ts(t: usize, m: usize) -> String {
    format!("17200{t:05}.{m:06}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_and_an_outage_leave_every_message_answered_once_or_explained() {
    let soak = Soak::from_env();
    println!("soak: {soak:?}");
    if let Ok(filter) = std::env::var("SOAK_LOG") {
        // What the bot did, for a soak that failed: `SOAK_LOG=lexi_slack=warn`.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    }
    let retry = soak.retry();
    let app = TestApp::spawn_configured(soak.configure()).await;

    let kinds = FaultKind::TRANSIENT;
    app.leadlex.set_faults(Some(
        FaultPlan::new(soak.seed, soak.error_rate, &kinds).rate_limit_wait(soak.rate_limit_wait()),
    ));
    app.slack.set_faults(Some(
        FaultPlan::new(soak.seed.rotate_left(17), soak.error_rate, &kinds)
            .on("*", "/api/*")
            .rate_limit_wait(soak.rate_limit_wait()),
    ));

    // Round robin over the threads, paced evenly over before + outage + after.
    let started = Instant::now();
    let span = soak.before + soak.outage + soak.after;
    let switch = {
        let leadlex = app.leadlex.clone();
        let (before, outage) = (soak.before, soak.outage);
        tokio::spawn(async move {
            tokio::time::sleep_until((started + before).into()).await;
            leadlex.set_outage(true);
            let on = Instant::now();
            tokio::time::sleep_until((started + before + outage).into()).await;
            leadlex.set_outage(false);
            (on, Instant::now())
        })
    };
    let mut sent: Vec<Sent> = Vec::with_capacity(soak.events);
    for k in 0..soak.events {
        let due = started + span.mul_f64(k as f64 / soak.events as f64);
        tokio::time::sleep_until(due.into()).await;
        let (t, m) = (k % soak.threads, k / soak.threads);
        let token = soak_audit::token(t, m);
        let root = ts(t, 0);
        let parent = (m > 0).then_some(root.as_str());
        let text = format!("tell me about {token}");
        app.send_event(&mention(
            &format!("EvSoak{t}x{m}"),
            &ts(t, m),
            parent,
            &text,
        ))
        .await;
        sent.push(Sent {
            root,
            token,
            at: Instant::now(),
        });
    }
    let (outage_on, outage_off) = switch.await.expect("the outage switch");

    let tally = soak_audit::settle(&app, &sent, soak.settle_deadline()).await;
    no_jobs_left_within(&app, soak.settle_deadline()).await;
    // The plain call is the one retried; a stream is opened once, on a job's first run.
    let attempts = soak_audit::attempts_by_key(&app.leadlex.requests_to("/v1/lexi/chat"));
    let streams = soak_audit::attempts_by_key(&app.leadlex.requests_to("/v1/lexi/chat/stream"));
    let streams_reopened: Vec<&String> = streams
        .iter()
        .filter(|(_, opens)| opens.len() > 1)
        .map(|(key, _)| key)
        .collect();
    let gaps = soak_audit::backoff(&attempts, &retry);
    let recovery = soak_audit::recovery(&app, &sent, outage_off);
    let during: Vec<&Sent> = sent
        .iter()
        .filter(|s| s.at >= outage_on && s.at <= outage_off)
        .collect();
    let unanswered_during = during
        .iter()
        .filter(|s| tally.missing.contains(&s.token))
        .count();
    let split = soak_audit::threads_with_several_conversations(&soak_audit::asks(&app.leadlex));

    let mut injected = app.leadlex.faults_injected();
    for (kind, n) in app.slack.faults_injected() {
        *injected.entry(kind).or_default() += n;
    }
    let by_kind: Vec<String> = injected
        .iter()
        .map(|(k, n)| format!("{}={n}", k.name()))
        .collect();
    let counts: Vec<usize> = attempts.values().map(Vec::len).collect();
    let max_tries = counts.iter().copied().max().unwrap_or(0);
    let mean_tries = counts.iter().sum::<usize>() as f64 / counts.len().max(1) as f64;
    println!(
        "soak result: events={} threads={} streaming={} error_rate={} seed={} outage={:?} \
         leadlex_faults={} slack_faults={} faults_by_kind=[{}] answered={} told={} \
         sent_during_outage={} unanswered_during_outage={unanswered_during} \
         lexi_streams_opened={} lexi_plain_calls={} \
         tries_per_key_max={max_tries} tries_per_key_mean={mean_tries:.2} \
         median_gap_ms_by_retry={:?} after_outage: first_leadlex_answer={:?} backlog_answered p50={:?} p95={:?} all={:?} took={:?}",
        soak.events,
        soak.threads,
        soak.streaming,
        soak.error_rate,
        soak.seed,
        soak.outage,
        app.leadlex.faults_injected().values().sum::<u64>(),
        app.slack.faults_injected().values().sum::<u64>(),
        by_kind.join(" "),
        tally.answered,
        tally.told,
        during.len(),
        app.leadlex.count("/v1/lexi/chat/stream"),
        app.leadlex.count("/v1/lexi/chat"),
        gaps.median_ms_by_retry,
        recovery.first_answer_from_leadlex,
        recovery.backlog_p50,
        recovery.backlog_p95,
        recovery.backlog_all,
        started.elapsed(),
    );

    if !tally.notices.is_empty() {
        println!("soak notices: {:#?}", tally.notices);
    }
    assert!(
        tally.duplicated.is_empty(),
        "answered twice: {:?}",
        tally.duplicated
    );
    assert!(
        tally.garbled.is_empty(),
        "messages that are neither answer nor notice: {:?}",
        tally.garbled
    );
    assert!(
        tally.lost.is_empty(),
        "neither answered nor told: {:?}",
        tally.lost
    );
    assert_eq!(tally.placeholders, 0, "placeholders left waiting");
    assert_eq!(
        tally.answered + tally.told,
        soak.events,
        "every message answered or its user told"
    );
    assert_eq!(
        unanswered_during, 0,
        "every message sent during the outage was answered once it ended"
    );
    assert!(
        max_tries <= retry.max_attempts as usize,
        "{max_tries} tries for one key, past {}",
        retry.max_attempts
    );
    assert!(
        gaps.too_short.is_empty(),
        "retries sooner than the backoff: {:?}",
        gaps.too_short
    );
    assert!(
        gaps.grows,
        "the gaps between tries grow: {:?}",
        gaps.median_ms_by_retry
    );
    assert!(
        streams_reopened.is_empty(),
        "streams opened again for one message: {streams_reopened:?}"
    );
    assert!(
        split.is_empty(),
        "threads with several conversations: {split:?}"
    );
    if soak.error_rate > 0.0 {
        assert!(
            injected.len() >= kinds.len(),
            "every kind was injected: {by_kind:?}"
        );
    }
}

/// A bad key fails every message the same way: the operator needs one loud line, not one per
/// message; each user still reads why in their thread.
// current_thread: every task of the bot runs on this thread, under this test's subscriber.
#[tokio::test(flavor = "current_thread")]
async fn a_refused_key_is_logged_once_at_error_level_however_many_messages_hit_it() {
    let (logs, _guard) = Captured::plain(tracing::Level::INFO);

    let app = TestApp::spawn().await;
    app.leadlex.set_faults(Some(
        FaultPlan::new(1, 1.0, &[FaultKind::Unauthorized]).on("POST", "/v1/lexi/chat"),
    ));
    let roots: Vec<String> = (0..5).map(|i| format!("17200990{i:02}.000100")).collect();
    for (i, root) in roots.iter().enumerate() {
        app.send_event(&mention(&format!("EvKey{i}"), root, None, "hello"))
            .await;
    }
    for root in &roots {
        let replies = app.bot_replies(CHANNEL, root, 1).await;
        assert!(replies[0].contains("API key was refused"), "{replies:?}");
    }
    assert_eq!(
        app.leadlex.count("/v1/lexi/chat"),
        5,
        "a refused key is not retried"
    );
    drop(app);

    let text = logs.text();
    let refused: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("LeadLex refused LEADLEX_API_KEY"))
        .collect();
    assert_eq!(refused.len(), 1, "{text}");
    assert!(refused[0].contains(" ERROR "), "{}", refused[0]);
    let again = text
        .lines()
        .filter(|l| l.contains(" WARN ") && l.contains("LeadLex still refuses the API key"))
        .count();
    assert_eq!(again, 4, "quieter after the first: {text}");
}
