//! Runs queued jobs: one at a time per thread (in the order they arrived), many threads at once, retries on schedule.

mod admission;
mod queue;

pub use admission::QueueBound;

use crate::bot::{self, Deps, FailReason, Outcome};
use crate::domain::{Job, JobId, JobRecord};
use crate::metrics::{self, Metrics};
use crate::store::Store;
use admission::Load;
use futures_util::FutureExt;
use queue::Queue;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

/// How the HTTP edge hands accepted jobs to the worker.
#[derive(Clone)]
pub struct WorkerHandle {
    tx: mpsc::UnboundedSender<JobRecord>,
    load: Arc<Load>,
    running: Arc<AtomicBool>,
    bound: QueueBound,
    oldest_enqueued_ms: Arc<AtomicU64>,
}

impl WorkerHandle {
    /// Hands over a job already on disk. If the worker has stopped, the job waits on disk for
    /// the next start, so nothing is lost either way.
    pub fn submit(&self, record: JobRecord) {
        self.load.unfinished.fetch_add(1, Ordering::Relaxed);
        if self.tx.send(record).is_err() {
            tracing::debug!("worker stopped; the job runs after the restart");
        }
    }

    /// Whether the worker loop is running (for `/readyz`).
    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::Relaxed)
    }

    /// Jobs accepted and not yet finished.
    pub fn unfinished(&self) -> usize {
        self.load.unfinished()
    }

    /// How long ago the oldest unfinished job was accepted (zero when there is none), as the
    /// worker loop last saw its queue: read at scrape time without touching the store.
    pub fn oldest_unfinished_age(&self) -> Duration {
        match self.oldest_enqueued_ms.load(Ordering::Relaxed) {
            0 => Duration::ZERO,
            enqueued => Duration::from_millis(now_ms().saturating_sub(enqueued)),
        }
    }

    /// Limits the work accepted from now on (see [`QueueBound`]).
    pub fn with_bound(mut self, bound: QueueBound) -> Self {
        self.bound = bound;
        self
    }

    /// Whether one more job may be accepted now.
    pub fn has_room(&self) -> bool {
        self.load.has_room(&self.bound)
    }

    /// Waits (up to the bound's patience) until one more job may be accepted; false if the
    /// queue stayed full, and the request should be refused so that Slack retries it later.
    pub async fn wait_for_room(&self) -> bool {
        self.load.wait_for_room(&self.bound).await
    }
}

pub struct Worker {
    deps: Arc<Deps>,
    rx: mpsc::UnboundedReceiver<JobRecord>,
    load: Arc<Load>,
    running: Arc<AtomicBool>,
    /// The queue's oldest `enqueued_ms` (0: empty), for [`WorkerHandle::oldest_unfinished_age`].
    oldest_enqueued_ms: Arc<AtomicU64>,
    max_concurrent: usize,
    grace: Duration,
    metrics: Option<Arc<Metrics>>,
}

impl Worker {
    /// Counts job runs by kind and outcome, how long jobs waited, and how many run, in `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// A worker and the handle to feed it; jobs left unfinished by an earlier run go first.
    pub fn new(deps: Arc<Deps>, max_concurrent: usize, grace: Duration) -> (Self, WorkerHandle) {
        let (tx, rx) = mpsc::unbounded_channel();
        let load = Arc::new(Load::new());
        let running = Arc::new(AtomicBool::new(false));
        let oldest_enqueued_ms = Arc::new(AtomicU64::new(0));
        let handle = WorkerHandle {
            tx,
            load: load.clone(),
            running: running.clone(),
            bound: QueueBound::fixed(crate::config::Tuning::default().max_queued_jobs),
            oldest_enqueued_ms: oldest_enqueued_ms.clone(),
        };
        let worker = Self {
            deps,
            rx,
            load,
            running,
            oldest_enqueued_ms,
            max_concurrent: max_concurrent.max(1),
            grace,
            metrics: None,
        };
        (worker, handle)
    }

    /// Runs until `shutdown` turns true, then waits up to the grace period for running jobs;
    /// any still running are left on disk and run again after the next start.
    pub async fn run(mut self, store: Store, mut shutdown: watch::Receiver<bool>) {
        let _running = RunningFlag::raise(self.running.clone());
        let mut queue = Queue::default();
        match store.unfinished_jobs() {
            Ok(records) => {
                if !records.is_empty() {
                    tracing::info!(
                        count = records.len(),
                        "resuming jobs left from the last run"
                    );
                }
                self.load
                    .unfinished
                    .fetch_add(records.len(), Ordering::Relaxed);
                let now = now_ms();
                for record in records {
                    queue.add(record, false, now);
                }
            }
            Err(error) => tracing::error!(%error, "cannot read unfinished jobs"),
        }
        let mut running: JoinSet<(JobRecord, Outcome, bool)> = JoinSet::new();
        loop {
            let oldest = queue.oldest_enqueued_ms().unwrap_or(0);
            self.oldest_enqueued_ms.store(oldest, Ordering::Relaxed);
            while running.len() < self.max_concurrent {
                let Some((id, kept)) = queue.pop_due(now_ms()) else {
                    break;
                };
                let record = match kept {
                    Some(record) => Ok(Some(record)),
                    None => store.job(id),
                };
                match record {
                    Ok(Some(record)) => {
                        if let Some(m) = &self.metrics {
                            let due = record.not_before_ms.max(record.enqueued_ms);
                            let waited = Duration::from_millis(now_ms().saturating_sub(due));
                            m.observe(
                                metrics::JOB_QUEUE_WAIT,
                                &[("kind", job_kind(&record))],
                                waited,
                            );
                        }
                        let deps = self.deps.clone();
                        running.spawn(run_guarded(deps, record));
                        self.gauge_running(running.len());
                    }
                    Ok(None) => self.finished(&mut queue, id),
                    Err(error) => {
                        tracing::error!(%error, %id, "cannot load a job; trying again shortly");
                        let now = now_ms();
                        queue.reschedule(id, now + 1_000, None, now);
                    }
                }
            }
            self.load
                .deferred
                .store(queue.deferred(), Ordering::Relaxed);
            let wake = queue
                .next_due()
                .map(|due| Instant::now() + Duration::from_millis(due.saturating_sub(now_ms())));
            tokio::select! {
                _ = shutdown.changed() => break,
                Some(record) = self.rx.recv() => {
                    // A job admitted while the store was being scanned arrives twice; count it once.
                    if !queue.add(record, true, now_ms()) {
                        self.load.unfinished.fetch_sub(1, Ordering::Relaxed);
                    }
                }
                Some(done) = running.join_next(), if !running.is_empty() => {
                    self.gauge_running(running.len());
                    match done {
                        Ok((record, outcome, panicked)) => {
                            self.count_panic(panicked, &record);
                            self.settle(&store, &mut queue, record, outcome);
                        }
                        Err(error) => tracing::error!(%error, "a job task was lost"),
                    }
                }
                _ = tokio::time::sleep_until(wake.unwrap_or_else(Instant::now)), if wake.is_some() => {}
            }
        }
        let stop_by = Instant::now() + self.grace;
        while !running.is_empty() {
            match tokio::time::timeout_at(stop_by, running.join_next()).await {
                Ok(Some(Ok((record, outcome, panicked)))) => {
                    self.count_panic(panicked, &record);
                    self.settle(&store, &mut queue, record, outcome);
                }
                Ok(_) => {}
                Err(_) => {
                    tracing::warn!(
                        left = running.len(),
                        "shutdown grace over; unfinished jobs will run after the restart"
                    );
                    running.abort_all();
                    break;
                }
            }
        }
    }

    fn count_panic(&self, panicked: bool, record: &JobRecord) {
        if let Some(m) = self.metrics.as_ref().filter(|_| panicked) {
            m.inc(
                metrics::JOB_RUNS,
                &[("kind", job_kind(record)), ("outcome", "panicked")],
            );
        }
    }

    fn gauge_running(&self, running: usize) {
        if let Some(m) = &self.metrics {
            m.set(metrics::JOBS_RUNNING, &[], running as f64);
        }
    }

    fn settle(&self, store: &Store, queue: &mut Queue, mut record: JobRecord, outcome: Outcome) {
        if let Some(m) = &self.metrics {
            let result = match &outcome {
                Outcome::Done => "done",
                Outcome::RetryAfter(_) => "retry",
                Outcome::Later(_) => "later",
                Outcome::Handoff(_) => "handoff",
                Outcome::Failed { .. } => "failed",
            };
            m.inc(
                metrics::JOB_RUNS,
                &[("kind", job_kind(&record)), ("outcome", result)],
            );
            if let Outcome::Failed { reason } = &outcome {
                m.inc(
                    metrics::JOBS_FAILED,
                    &[("kind", job_kind(&record)), ("reason", reason.as_str())],
                );
            }
        }
        match outcome {
            Outcome::Done | Outcome::Failed { .. } => {
                if let Err(error) = store.complete_job(record.id) {
                    tracing::error!(%error, id = %record.id, "cannot remove a finished job");
                }
                self.finished(queue, record.id);
            }
            Outcome::Handoff(next) => {
                self.settle(store, queue, record, Outcome::Done);
                if queue.add(*next, true, now_ms()) {
                    self.load.unfinished.fetch_add(1, Ordering::Relaxed);
                }
            }
            Outcome::RetryAfter(wait) => {
                let now = now_ms();
                record.attempts += 1;
                record.not_before_ms = now + wait.as_millis() as u64;
                if let Err(error) = store.save_job(&record) {
                    tracing::error!(%error, id = %record.id, "cannot save a job's retry");
                }
                queue.reschedule(record.id, record.not_before_ms, Some(record), now);
            }
            Outcome::Later(wait) => {
                let now = now_ms();
                record.not_before_ms = now + wait.as_millis() as u64;
                if let Err(error) = store.save_job(&record) {
                    tracing::error!(%error, id = %record.id, "cannot save a job's next run");
                }
                queue.reschedule(record.id, record.not_before_ms, Some(record), now);
            }
        }
    }

    fn finished(&self, queue: &mut Queue, id: JobId) {
        queue.remove(id);
        self.load.finished();
    }
}

/// Raised while the worker loop runs; lowered however it ends (even by abort).
struct RunningFlag(Arc<AtomicBool>);

impl RunningFlag {
    fn raise(flag: Arc<AtomicBool>) -> Self {
        flag.store(true, Ordering::Relaxed);
        Self(flag)
    }
}

impl Drop for RunningFlag {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

/// One attempt, with a panic turned into a retry instead of a lost job or a dead worker.
async fn run_guarded(deps: Arc<Deps>, mut record: JobRecord) -> (JobRecord, Outcome, bool) {
    // Every log line of the attempt names its job and the Slack delivery it answers; the
    // LeadLex client adds LeadLex's request id once a call returns one.
    let span = tracing::info_span!(
        "job",
        job_id = %record.id,
        kind = job_kind(&record),
        event = record.slack_event.as_deref(),
        leadlex_request_id = tracing::field::Empty,
    );
    let attempt = AssertUnwindSafe(bot::run(&deps, &mut record)).catch_unwind();
    let attempt = crate::telemetry::in_job_span(span.clone(), attempt).await;
    let panicked = attempt.is_err();
    let outcome = attempt.unwrap_or_else(|_| {
        if deps.retry.may_retry(record.attempts) {
            span.in_scope(|| tracing::error!("a job panicked; it will be retried"));
            Outcome::RetryAfter(deps.retry.delay(record.attempts, None))
        } else {
            span.in_scope(|| tracing::error!("a job panicked again; giving up on it"));
            Outcome::Failed {
                reason: FailReason::Panicked,
            }
        }
    });
    (record, outcome, panicked)
}

/// A job's kind, as a metric label and a log field.
pub fn job_kind(record: &JobRecord) -> &'static str {
    match &record.job {
        Job::Converse(_) => "converse",
        Job::DecideTask(_) => "decide_task",
        Job::FollowTask(_) => "follow_task",
        Job::ApprovalNotice(_) => "approval_notice",
        Job::ListTasks(_) => "list_tasks",
        Job::Followups(_) => "followups",
        Job::FeedbackThanks(_) => "feedback_thanks",
        Job::SuggestPrompts(_) => "suggest_prompts",
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}
