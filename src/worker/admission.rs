//! How much work the HTTP edge may queue: about what the worker finishes in half a second.
//!
//! Acknowledging a message is cheaper than answering it, so under a sustained burst the acks
//! outran the answers and the queue grew by the difference: minutes of delay and memory that
//! was never returned. The edge now accepts a message only while the runnable work is within
//! what the worker finishes in [`QueueBound::drain_target`] at the rate it has lately been
//! finishing jobs; beyond that a request waits up to [`QueueBound::patience`] for room, then
//! gets a 503, which Slack retries (up to three times, over about five minutes).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Limits on the queued work (from [`crate::config::Tuning`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueueBound {
    /// Unfinished jobs of any kind beyond which nothing more is accepted: bounds memory.
    pub max_jobs: usize,
    /// Runnable jobs always accepted, however slowly jobs finish (a LeadLex answer takes
    /// seconds, so a worker of 64 slots finishes a dozen a second).
    pub floor: usize,
    /// Runnable jobs beyond what the worker finishes in this long wait for room.
    pub drain_target: Duration,
    /// How long a request waits for room before it is refused.
    pub patience: Duration,
}

impl QueueBound {
    /// No bound but `max_jobs` and the floor; what a worker gets until it is told otherwise.
    pub fn fixed(max_jobs: usize) -> Self {
        Self {
            max_jobs,
            floor: max_jobs,
            drain_target: Duration::ZERO,
            patience: Duration::ZERO,
        }
    }

    /// Runnable jobs allowed while the worker finishes `per_second`.
    pub fn limit(&self, per_second: f64) -> usize {
        let drains = (per_second * self.drain_target.as_secs_f64()) as usize;
        drains.max(self.floor).min(self.max_jobs)
    }
}

/// What the worker tells the edge about its load; shared by both.
pub(super) struct Load {
    pub(super) unfinished: AtomicUsize,
    /// Of those, scheduled for later (retry backoff, a task checked on again).
    pub(super) deferred: AtomicUsize,
    finished: AtomicU64,
    rate: Mutex<RateWindow>,
    /// Told whenever a job finishes: a request waiting for room looks again.
    room: Notify,
    refusals: Mutex<Refusals>,
}

/// Jobs finished per second, measured over windows of a quarter second, smoothed over the last
/// few so that one quiet window does not halve the bound.
struct RateWindow {
    started: Instant,
    finished_then: u64,
    per_second: f64,
}

const RATE_WINDOW: Duration = Duration::from_millis(250);

/// Refused requests are logged once a second with their count, not one line each: under
/// overload that would be thousands of lines a second.
struct Refusals {
    since_logged: u64,
    logged_at: Option<Instant>,
}

impl Load {
    pub(super) fn new() -> Self {
        Self {
            unfinished: AtomicUsize::new(0),
            deferred: AtomicUsize::new(0),
            finished: AtomicU64::new(0),
            rate: Mutex::new(RateWindow {
                started: Instant::now(),
                finished_then: 0,
                per_second: 0.0,
            }),
            room: Notify::new(),
            refusals: Mutex::new(Refusals {
                since_logged: 0,
                logged_at: None,
            }),
        }
    }

    /// A job left the queue.
    pub(super) fn finished(&self) {
        self.unfinished.fetch_sub(1, Ordering::Relaxed);
        self.finished.fetch_add(1, Ordering::Relaxed);
        self.room.notify_one();
    }

    pub(super) fn unfinished(&self) -> usize {
        self.unfinished.load(Ordering::Relaxed)
    }

    /// Jobs the worker could run now or is running.
    fn runnable(&self) -> usize {
        self.unfinished()
            .saturating_sub(self.deferred.load(Ordering::Relaxed))
    }

    fn per_second(&self) -> f64 {
        let mut window = self.rate.lock().unwrap_or_else(|e| e.into_inner());
        let elapsed = window.started.elapsed();
        if elapsed >= RATE_WINDOW {
            let finished = self.finished.load(Ordering::Relaxed);
            let measured =
                finished.saturating_sub(window.finished_then) as f64 / elapsed.as_secs_f64();
            window.per_second = (window.per_second + measured) / 2.0;
            window.started = Instant::now();
            window.finished_then = finished;
        }
        window.per_second
    }

    pub(super) fn has_room(&self, bound: &QueueBound) -> bool {
        self.unfinished() < bound.max_jobs && self.runnable() < bound.limit(self.per_second())
    }

    /// True once there is room, false if there was none within the bound's patience.
    pub(super) async fn wait_for_room(&self, bound: &QueueBound) -> bool {
        if self.has_room(bound) {
            return true;
        }
        let deadline = tokio::time::Instant::now() + bound.patience;
        loop {
            let freed = self.room.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            if self.has_room(bound) {
                return true;
            }
            if tokio::time::timeout_at(deadline, freed).await.is_err() {
                let room = self.has_room(bound);
                if !room {
                    self.refused();
                }
                return room;
            }
        }
    }

    fn refused(&self) {
        let mut refusals = self.refusals.lock().unwrap_or_else(|e| e.into_inner());
        refusals.since_logged += 1;
        if refusals
            .logged_at
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(1))
        {
            tracing::warn!(
                refused = refusals.since_logged,
                queued = self.unfinished(),
                "queue full; asking Slack to retry later"
            );
            refusals.since_logged = 0;
            refusals.logged_at = Some(Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUND: QueueBound = QueueBound {
        max_jobs: 10_000,
        floor: 100,
        drain_target: Duration::from_millis(500),
        patience: Duration::from_millis(50),
    };

    #[test]
    fn the_limit_follows_the_rate_between_the_floor_and_the_maximum() {
        assert_eq!(BOUND.limit(0.0), 100, "an idle worker still takes a burst");
        assert_eq!(BOUND.limit(3_000.0), 1_500, "half a second of work");
        assert_eq!(BOUND.limit(1e9), 10_000);
        assert_eq!(QueueBound::fixed(7).limit(1e9), 7);
    }

    #[test]
    fn jobs_waiting_for_a_retry_leave_room_for_new_ones_until_the_maximum() {
        let load = Load::new();
        load.unfinished.store(100, Ordering::Relaxed);
        assert!(!load.has_room(&BOUND), "100 runnable jobs fill the floor");
        load.deferred.store(60, Ordering::Relaxed);
        assert!(load.has_room(&BOUND));
        load.unfinished.store(10_000, Ordering::Relaxed);
        load.deferred.store(10_000, Ordering::Relaxed);
        assert!(!load.has_room(&BOUND), "memory is bounded all the same");
    }

    #[tokio::test]
    async fn a_request_waits_for_a_job_to_finish_then_gets_in() {
        let load = std::sync::Arc::new(Load::new());
        load.unfinished.store(100, Ordering::Relaxed);
        let bound = QueueBound {
            patience: Duration::from_secs(30),
            ..BOUND
        };
        let waiting = tokio::spawn({
            let load = load.clone();
            async move { load.wait_for_room(&bound).await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        load.finished();
        assert!(waiting.await.unwrap());
    }

    #[tokio::test]
    async fn a_request_that_finds_no_room_in_time_is_refused() {
        let load = Load::new();
        load.unfinished.store(100, Ordering::Relaxed);
        assert!(!load.wait_for_room(&BOUND).await);
    }
}
