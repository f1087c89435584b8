//! Group commit: many writers wait for one fsync instead of each paying for their own; and group
//! admission: the admissions that are ready are written together, then share that fsync.

use super::jobs::{Admission, AdmissionRequest};
use super::{Store, StoreError};
use crate::domain::{EventId, Job};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tokio::sync::{Mutex, Notify, oneshot, watch};

pub(super) struct GroupCommit {
    db: sled::Db,
    /// Tickets handed out: one per `durable` call, taken after the caller's writes.
    requested: AtomicU64,
    /// The highest ticket known to be on disk.
    completed: watch::Sender<u64>,
    /// Held by the one caller currently flushing on behalf of everyone.
    flushing: Mutex<()>,
    /// Admissions waiting for the next shared batch.
    pending: std::sync::Mutex<Vec<Pending>>,
    /// Set while one caller admits on behalf of everyone.
    admitting: AtomicBool,
    /// Told when that caller is done.
    admitted: Notify,
}

type Pending = (
    AdmissionRequest,
    oneshot::Sender<Result<Admission, StoreError>>,
);

impl GroupCommit {
    pub(super) fn new(db: sled::Db) -> Self {
        Self {
            db,
            requested: AtomicU64::new(0),
            completed: watch::Sender::new(0),
            flushing: Mutex::new(()),
            pending: std::sync::Mutex::new(Vec::new()),
            admitting: AtomicBool::new(false),
            admitted: Notify::new(),
        }
    }

    /// Waits until everything written before the call is on disk. One caller flushes for all
    /// the others waiting, and for those that arrive while it gathers them (see [`Self::gather`]).
    pub(super) async fn durable(&self) -> Result<(), StoreError> {
        let ticket = self.requested.fetch_add(1, Ordering::SeqCst) + 1;
        let mut done = self.completed.subscribe();
        loop {
            if *done.borrow_and_update() >= ticket {
                return Ok(());
            }
            if let Ok(_flusher) = self.flushing.try_lock() {
                if *self.completed.borrow() >= ticket {
                    return Ok(());
                }
                self.gather().await;
                // Every ticket up to `target` was taken after its writes, so this flush covers them.
                let target = self.requested.load(Ordering::SeqCst);
                let db = self.db.clone();
                tokio::task::spawn_blocking(move || db.flush())
                    .await
                    .map_err(|_| StoreError::Closed)?
                    .map_err(StoreError::Engine)?;
                self.completed.send_modify(|c| *c = (*c).max(target));
                return Ok(());
            }
            done.changed().await.map_err(|_| StoreError::Closed)?;
        }
    }

    /// Lets the tasks that are ready to run take their tickets before the flush starts, for up
    /// to [`GATHER_PASSES`] passes of the scheduler, stopping as soon as a pass brings none.
    ///
    /// Without it, each flush left with the tickets of those already waiting, and the tasks
    /// woken by the previous flush (an acknowledged request's neighbours, a job that just saved
    /// its progress and is about to save the next) needed one of their own. Every flush costs
    /// sled's hand-off to its IO threads, which wakes all seven of them: at 2,000 events a
    /// second that was 13 context switches per event, and 4-5 with gathering. It costs no timer
    /// and adds no wait when nothing else is ready.
    async fn gather(&self) {
        let mut taken = self.requested.load(Ordering::SeqCst);
        for _ in 0..GATHER_PASSES {
            tokio::task::yield_now().await;
            let now = self.requested.load(Ordering::SeqCst);
            if now == taken {
                return;
            }
            taken = now;
        }
    }
}

/// Bounds how long a flush waits for company when tasks keep arriving (each pass runs every
/// task that is ready once): the ack latency it may add stays within a few scheduler passes.
const GATHER_PASSES: u32 = 4;

impl Store {
    /// [`Store::admit`] for the request path: concurrent admissions are written as one batch.
    ///
    /// The first caller lets the requests that are ready to run queue theirs (one pass of the
    /// scheduler), then admits them all, in arrival order, with the same checks as `admit`, so
    /// that their acks wait for one flush together. (When admission was a sled transaction, each
    /// one also wrote the log twice, however small; see `Store::admit_all`.)
    pub async fn admit_batched(
        &self,
        event_id: Option<&EventId>,
        job: Job,
        only_in_known_thread: bool,
    ) -> Result<Admission, StoreError> {
        let request = self.prepare_admission(event_id, job, only_in_known_thread)?;
        let (tx, mut rx) = oneshot::channel();
        let batch = &self.inner.commit;
        batch
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((request, tx));
        loop {
            let done = batch.admitted.notified();
            tokio::pin!(done);
            done.as_mut().enable();
            if batch
                .admitting
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                tokio::task::yield_now().await;
                let queued =
                    std::mem::take(&mut *batch.pending.lock().unwrap_or_else(|e| e.into_inner()));
                if !queued.is_empty() {
                    let (requests, replies): (Vec<_>, Vec<_>) = queued.into_iter().unzip();
                    match self.admit_all(&requests) {
                        Ok(admissions) => {
                            for (reply, admission) in replies.into_iter().zip(admissions) {
                                let _ = reply.send(Ok(admission));
                            }
                        }
                        Err(error) => {
                            for reply in replies {
                                // Only sled's errors reach here; each caller gets its copy.
                                let copy = match &error {
                                    StoreError::Engine(e) => StoreError::Engine(e.clone()),
                                    _ => StoreError::Closed,
                                };
                                let _ = reply.send(Err(copy));
                            }
                        }
                    }
                }
                batch.admitting.store(false, Ordering::Release);
                batch.admitted.notify_waiters();
            }
            tokio::select! {
                result = &mut rx => return result.map_err(|_| StoreError::Closed)?,
                () = &mut done => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::StoreSettings;
    use super::*;
    use crate::domain::Converse;

    fn mention(root: &str, ts: &str) -> Job {
        Job::Converse(Converse::sample(root, ts))
    }

    async fn admit_concurrently(store: &Store) -> Vec<(usize, Admission)> {
        let mut tasks = tokio::task::JoinSet::new();
        // 60 distinct messages, each delivered three times: twice under one event id (a Slack
        // retry), once under another (the `message` twin of an `app_mention`).
        for i in 0..180usize {
            let store = store.clone();
            tasks.spawn(async move {
                let message = i % 60;
                let id = if i < 120 {
                    format!("Ev{message}")
                } else {
                    format!("EvTwin{message}")
                };
                let event = EventId::parse(&id).unwrap();
                let job = mention(&format!("{message}.1"), &format!("{message}.2"));
                let admission = store.admit_batched(Some(&event), job, false).await.unwrap();
                store.durable().await.unwrap();
                (message, admission)
            });
        }
        let mut all = Vec::new();
        while let Some(done) = tasks.join_next().await {
            all.push(done.unwrap());
        }
        all
    }

    fn check(store: &Store, all: &[(usize, Admission)]) {
        let mut accepted = vec![0; 60];
        for (message, admission) in all {
            if matches!(admission, Admission::Accepted(_)) {
                accepted[*message] += 1;
            }
        }
        assert!(accepted.iter().all(|&n| n == 1), "{accepted:?}");
        assert_eq!(store.job_count(), 60);
    }

    #[tokio::test]
    async fn batched_admissions_admit_each_message_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreSettings::default()).unwrap();
        let all = admit_concurrently(&store).await;
        check(&store, &all);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn batched_admissions_from_many_threads_admit_each_message_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreSettings::default()).unwrap();
        let all = admit_concurrently(&store).await;
        check(&store, &all);
    }
}
