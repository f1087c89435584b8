//! Runs queued jobs: one at a time per thread (in the order they arrived), many threads at once, retries on schedule.

use crate::bot::{self, Deps, Outcome};
use crate::domain::{Job, JobId, JobRecord};
use crate::metrics::{self, Metrics};
use crate::store::Store;
use futures_util::FutureExt;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::Instrument;

/// How the HTTP edge hands accepted jobs to the worker.
#[derive(Clone)]
pub struct WorkerHandle {
    tx: mpsc::UnboundedSender<JobRecord>,
    unfinished: Arc<AtomicUsize>,
    running: Arc<AtomicBool>,
}

impl WorkerHandle {
    /// Hands over a job already on disk. If the worker has stopped, the job waits on disk for
    /// the next start, so nothing is lost either way.
    pub fn submit(&self, record: JobRecord) {
        self.unfinished.fetch_add(1, Ordering::Relaxed);
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
        self.unfinished.load(Ordering::Relaxed)
    }
}

pub struct Worker {
    deps: Arc<Deps>,
    rx: mpsc::UnboundedReceiver<JobRecord>,
    unfinished: Arc<AtomicUsize>,
    running: Arc<AtomicBool>,
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
        let unfinished = Arc::new(AtomicUsize::new(0));
        let running = Arc::new(AtomicBool::new(false));
        let handle = WorkerHandle {
            tx,
            unfinished: unfinished.clone(),
            running: running.clone(),
        };
        let worker = Self {
            deps,
            rx,
            unfinished,
            running,
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
                self.unfinished.fetch_add(records.len(), Ordering::Relaxed);
                for record in &records {
                    queue.add(record);
                }
            }
            Err(error) => tracing::error!(%error, "cannot read unfinished jobs"),
        }
        let mut running: JoinSet<(JobRecord, Outcome, bool)> = JoinSet::new();
        loop {
            while running.len() < self.max_concurrent {
                let Some(id) = queue.pop_due(now_ms()) else {
                    break;
                };
                match store.job(id) {
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
                        queue.reschedule(id, now_ms() + 1_000);
                    }
                }
            }
            let wake = queue
                .next_due()
                .map(|due| Instant::now() + Duration::from_millis(due.saturating_sub(now_ms())));
            tokio::select! {
                _ = shutdown.changed() => break,
                Some(record) = self.rx.recv() => {
                    // A job admitted while the store was being scanned arrives twice; count it once.
                    if !queue.add(&record) {
                        self.unfinished.fetch_sub(1, Ordering::Relaxed);
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
            };
            m.inc(
                metrics::JOB_RUNS,
                &[("kind", job_kind(&record)), ("outcome", result)],
            );
        }
        match outcome {
            Outcome::Done => {
                if let Err(error) = store.complete_job(record.id) {
                    tracing::error!(%error, id = %record.id, "cannot remove a finished job");
                }
                self.finished(queue, record.id);
            }
            Outcome::Handoff(next) => {
                self.settle(store, queue, record, Outcome::Done);
                if queue.add(&next) {
                    self.unfinished.fetch_add(1, Ordering::Relaxed);
                }
            }
            Outcome::RetryAfter(wait) => {
                record.attempts += 1;
                record.not_before_ms = now_ms() + wait.as_millis() as u64;
                if let Err(error) = store.save_job(&record) {
                    tracing::error!(%error, id = %record.id, "cannot save a job's retry");
                }
                queue.reschedule(record.id, record.not_before_ms);
            }
            Outcome::Later(wait) => {
                record.not_before_ms = now_ms() + wait.as_millis() as u64;
                if let Err(error) = store.save_job(&record) {
                    tracing::error!(%error, id = %record.id, "cannot save a job's next run");
                }
                queue.reschedule(record.id, record.not_before_ms);
            }
        }
    }

    fn finished(&self, queue: &mut Queue, id: JobId) {
        queue.remove(id);
        self.unfinished.fetch_sub(1, Ordering::Relaxed);
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
    // Every log line of the attempt names its job.
    let span = tracing::info_span!("job", job_id = %record.id, kind = job_kind(&record));
    let attempt = AssertUnwindSafe(bot::run(&deps, &mut record))
        .catch_unwind()
        .instrument(span)
        .await;
    let panicked = attempt.is_err();
    let outcome = attempt.unwrap_or_else(|_| {
        tracing::error!(id = %record.id, kind = job_kind(&record), "a job panicked; it will be retried");
        if deps.retry.may_retry(record.attempts) {
            Outcome::RetryAfter(deps.retry.delay(record.attempts, None))
        } else {
            Outcome::Done
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

/// Which job may run next. Jobs in one lane run strictly in order, one at a time; the lane's head
/// is the only one eligible, so a retrying head holds back the rest of its thread.
#[derive(Default)]
struct Queue {
    lanes: HashMap<Arc<str>, VecDeque<JobId>>,
    entries: HashMap<JobId, Entry>,
    /// Eligible jobs by due time: lane heads and lane-less jobs not running.
    ready: BinaryHeap<Reverse<(u64, JobId)>>,
}

struct Entry {
    lane: Option<Arc<str>>,
    due_ms: u64,
}

impl Queue {
    /// Queues a job; false if it was already queued.
    fn add(&mut self, record: &JobRecord) -> bool {
        if self.entries.contains_key(&record.id) {
            return false;
        }
        let lane: Option<Arc<str>> = record.job.lane().map(Into::into);
        let due_ms = record.not_before_ms;
        let eligible = match &lane {
            Some(lane) => {
                let jobs = self.lanes.entry(lane.clone()).or_default();
                jobs.push_back(record.id);
                jobs.len() == 1
            }
            None => true,
        };
        self.entries.insert(record.id, Entry { lane, due_ms });
        if eligible {
            self.ready.push(Reverse((due_ms, record.id)));
        }
        true
    }

    fn pop_due(&mut self, now_ms: u64) -> Option<JobId> {
        while let Some(Reverse((due, id))) = self.ready.peek().copied() {
            if due > now_ms {
                return None;
            }
            self.ready.pop();
            // Skip stale heap entries left by a reschedule.
            if self.entries.get(&id).is_some_and(|e| e.due_ms == due) {
                return Some(id);
            }
        }
        None
    }

    fn next_due(&self) -> Option<u64> {
        self.ready.peek().map(|Reverse((due, _))| *due)
    }

    fn reschedule(&mut self, id: JobId, due_ms: u64) {
        if let Some(entry) = self.entries.get_mut(&id) {
            entry.due_ms = due_ms;
            self.ready.push(Reverse((due_ms, id)));
        }
    }

    fn remove(&mut self, id: JobId) {
        let Some(entry) = self.entries.remove(&id) else {
            return;
        };
        let Some(lane) = entry.lane else { return };
        let Some(jobs) = self.lanes.get_mut(&lane) else {
            return;
        };
        jobs.retain(|j| *j != id);
        match jobs.front().copied() {
            Some(next) => {
                let due = self.entries.get(&next).map_or(0, |e| e.due_ms);
                self.ready.push(Reverse((due, next)));
            }
            None => {
                self.lanes.remove(&lane);
            }
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::*;

    fn record(id: u64, root: &str, due: u64) -> JobRecord {
        JobRecord {
            version: 1,
            id: JobId::new(id),
            job: Job::Converse(Converse {
                thread: ThreadKey {
                    team: TeamId::parse("T1").unwrap(),
                    channel: ChannelId::parse("C1").unwrap(),
                    thread_ts: ThreadTs::parse(root).unwrap(),
                },
                message_ts: MessageTs::parse("1.1").unwrap(),
                user: UserId::parse("U1").unwrap(),
                text: "hi".into(),
                channel_kind: ChannelKind::Channel,
                progress: Default::default(),
            }),
            idempotency_key: "k".into(),
            attempts: 0,
            not_before_ms: due,
            enqueued_ms: 0,
        }
    }

    #[test]
    fn a_thread_runs_one_job_at_a_time_in_order() {
        let mut q = Queue::default();
        q.add(&record(1, "1.1", 0));
        q.add(&record(2, "1.1", 0));
        q.add(&record(3, "2.2", 0));
        assert_eq!(q.pop_due(10), Some(JobId::new(1)));
        assert_eq!(q.pop_due(10), Some(JobId::new(3)));
        assert_eq!(q.pop_due(10), None, "job 2 waits for job 1");
        q.remove(JobId::new(1));
        assert_eq!(q.pop_due(10), Some(JobId::new(2)));
    }

    #[test]
    fn a_retrying_job_holds_back_its_thread_until_due() {
        let mut q = Queue::default();
        q.add(&record(1, "1.1", 0));
        q.add(&record(2, "1.1", 0));
        assert_eq!(q.pop_due(10), Some(JobId::new(1)));
        q.reschedule(JobId::new(1), 500);
        assert_eq!(q.pop_due(100), None);
        assert_eq!(q.next_due(), Some(500));
        assert_eq!(q.pop_due(500), Some(JobId::new(1)));
    }

    #[test]
    fn adding_the_same_job_twice_is_harmless() {
        let mut q = Queue::default();
        assert!(q.add(&record(1, "1.1", 0)));
        assert!(!q.add(&record(1, "1.1", 0)));
        assert_eq!(q.pop_due(1), Some(JobId::new(1)));
        q.remove(JobId::new(1));
        assert_eq!(q.pop_due(1), None);
    }
}
