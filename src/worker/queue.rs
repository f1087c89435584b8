//! Which job may run next: lanes (one job at a time per thread, in order), due times, and the
//! records of jobs handed over in memory.

use crate::domain::{JobId, JobRecord};
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;

/// Jobs in one lane run strictly in order, one at a time; the lane's head is the only one
/// eligible, so a retrying head holds back the rest of its thread.
#[derive(Default)]
pub(super) struct Queue {
    lanes: HashMap<Arc<str>, VecDeque<JobId>>,
    entries: HashMap<JobId, Entry>,
    /// Eligible jobs by due time: lane heads and lane-less jobs not running.
    ready: BinaryHeap<Reverse<(u64, JobId)>>,
    /// Entries scheduled for later (a retry's backoff, a task checked on again): not work the
    /// worker can do now, so they don't count against the admission bound.
    deferred: usize,
    /// Every queued job by when it was accepted, oldest first (for the queue-age gauge).
    by_age: BTreeSet<(u64, JobId)>,
}

struct Entry {
    lane: Option<Arc<str>>,
    due_ms: u64,
    enqueued_ms: u64,
    deferred: bool,
    /// The record as last saved, when the worker has it: running the job then needs no read
    /// and decode from the store (a tenth of the worker's own CPU per message at load).
    record: Option<JobRecord>,
}

impl Queue {
    /// Queues a job; false if it was already queued. With `keep`, the record stays in memory
    /// until the job runs (jobs handed over by the HTTP edge); without, it is read from the
    /// store when due (what a restart finds on disk, so memory does not grow with it).
    pub(super) fn add(&mut self, record: JobRecord, keep: bool, now_ms: u64) -> bool {
        if self.entries.contains_key(&record.id) {
            return false;
        }
        let id = record.id;
        let lane: Option<Arc<str>> = record.job.lane().map(Into::into);
        let due_ms = record.not_before_ms;
        let deferred = due_ms > now_ms;
        let eligible = match &lane {
            Some(lane) => {
                let jobs = self.lanes.entry(lane.clone()).or_default();
                jobs.push_back(id);
                jobs.len() == 1
            }
            None => true,
        };
        self.deferred += usize::from(deferred);
        let enqueued_ms = record.enqueued_ms;
        self.by_age.insert((enqueued_ms, id));
        let record = keep.then_some(record);
        self.entries.insert(
            id,
            Entry {
                lane,
                due_ms,
                enqueued_ms,
                deferred,
                record,
            },
        );
        if eligible {
            self.ready.push(Reverse((due_ms, id)));
        }
        true
    }

    /// The next job due by `now_ms`, with its record if the queue holds it.
    pub(super) fn pop_due(&mut self, now_ms: u64) -> Option<(JobId, Option<JobRecord>)> {
        while let Some(Reverse((due, id))) = self.ready.peek().copied() {
            if due > now_ms {
                return None;
            }
            self.ready.pop();
            // Skip stale heap entries left by a reschedule.
            if let Some(entry) = self.entries.get_mut(&id).filter(|e| e.due_ms == due) {
                if entry.deferred {
                    entry.deferred = false;
                    self.deferred -= 1;
                }
                return Some((id, entry.record.take()));
            }
        }
        None
    }

    pub(super) fn next_due(&self) -> Option<u64> {
        self.ready.peek().map(|Reverse((due, _))| *due)
    }

    /// Runs `id` again at `due_ms`, from `record` if given (the record just saved).
    pub(super) fn reschedule(
        &mut self,
        id: JobId,
        due_ms: u64,
        record: Option<JobRecord>,
        now_ms: u64,
    ) {
        if let Some(entry) = self.entries.get_mut(&id) {
            entry.due_ms = due_ms;
            entry.record = record;
            let deferred = due_ms > now_ms;
            if deferred != entry.deferred {
                entry.deferred = deferred;
                if deferred {
                    self.deferred += 1;
                } else {
                    self.deferred -= 1;
                }
            }
            self.ready.push(Reverse((due_ms, id)));
        }
    }

    pub(super) fn remove(&mut self, id: JobId) {
        let Some(entry) = self.entries.remove(&id) else {
            return;
        };
        self.deferred -= usize::from(entry.deferred);
        self.by_age.remove(&(entry.enqueued_ms, id));
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

    /// When the oldest queued job (running or not) was accepted.
    pub(super) fn oldest_enqueued_ms(&self) -> Option<u64> {
        self.by_age.first().map(|(enqueued, _)| *enqueued)
    }

    /// Jobs scheduled for later when they were queued or rescheduled.
    pub(super) fn deferred(&self) -> usize {
        self.deferred
    }
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
            enqueued_ms: id * 10,
            slack_event: None,
        }
    }

    fn id_of(popped: Option<(JobId, Option<JobRecord>)>) -> Option<JobId> {
        popped.map(|(id, _)| id)
    }

    #[test]
    fn a_thread_runs_one_job_at_a_time_in_order() {
        let mut q = Queue::default();
        q.add(record(1, "1.1", 0), false, 0);
        q.add(record(2, "1.1", 0), false, 0);
        q.add(record(3, "2.2", 0), false, 0);
        assert_eq!(id_of(q.pop_due(10)), Some(JobId::new(1)));
        assert_eq!(id_of(q.pop_due(10)), Some(JobId::new(3)));
        assert_eq!(q.pop_due(10), None, "job 2 waits for job 1");
        q.remove(JobId::new(1));
        assert_eq!(id_of(q.pop_due(10)), Some(JobId::new(2)));
    }

    #[test]
    fn a_retrying_job_holds_back_its_thread_until_due() {
        let mut q = Queue::default();
        q.add(record(1, "1.1", 0), false, 0);
        q.add(record(2, "1.1", 0), false, 0);
        assert_eq!(id_of(q.pop_due(10)), Some(JobId::new(1)));
        q.reschedule(JobId::new(1), 500, None, 10);
        assert_eq!(q.pop_due(100), None);
        assert_eq!(q.next_due(), Some(500));
        assert_eq!(id_of(q.pop_due(500)), Some(JobId::new(1)));
    }

    #[test]
    fn adding_the_same_job_twice_is_harmless() {
        let mut q = Queue::default();
        assert!(q.add(record(1, "1.1", 0), false, 0));
        assert!(!q.add(record(1, "1.1", 0), false, 0));
        assert_eq!(id_of(q.pop_due(1)), Some(JobId::new(1)));
        q.remove(JobId::new(1));
        assert_eq!(q.pop_due(1), None);
    }

    #[test]
    fn a_kept_record_comes_back_when_due_and_a_saved_one_after_a_reschedule() {
        let mut q = Queue::default();
        q.add(record(1, "1.1", 0), true, 0);
        q.add(record(2, "2.2", 0), false, 0);
        let (id, kept) = q.pop_due(1).unwrap();
        assert_eq!(
            (id, kept.map(|r| r.id)),
            (JobId::new(1), Some(JobId::new(1)))
        );
        let (id, kept) = q.pop_due(1).unwrap();
        assert_eq!(
            (id, kept.is_none()),
            (JobId::new(2), true),
            "read from the store"
        );
        let mut retried = record(1, "1.1", 50);
        retried.attempts = 1;
        q.reschedule(JobId::new(1), 50, Some(retried), 1);
        let (_, kept) = q.pop_due(50).unwrap();
        assert_eq!(kept.map(|r| r.attempts), Some(1));
    }

    #[test]
    fn jobs_scheduled_for_later_are_counted_until_they_run_or_leave() {
        let mut q = Queue::default();
        q.add(record(1, "1.1", 0), false, 100);
        q.add(record(2, "2.2", 900), false, 100);
        assert_eq!(q.deferred(), 1, "job 2 is not due yet");
        assert_eq!(id_of(q.pop_due(100)), Some(JobId::new(1)));
        q.reschedule(JobId::new(1), 5_000, None, 100);
        assert_eq!(q.deferred(), 2);
        assert_eq!(id_of(q.pop_due(900)), Some(JobId::new(2)));
        assert_eq!(q.deferred(), 1, "job 2 runs");
        q.remove(JobId::new(1));
        assert_eq!(q.deferred(), 0, "job 1 was removed while waiting");
    }

    #[test]
    fn the_oldest_queued_job_is_known_until_it_leaves() {
        let mut q = Queue::default();
        assert_eq!(q.oldest_enqueued_ms(), None);
        q.add(record(2, "1.1", 0), false, 0);
        q.add(record(1, "2.2", 0), false, 0);
        q.add(record(3, "1.1", 0), false, 0);
        assert_eq!(q.oldest_enqueued_ms(), Some(10), "job 1, running or not");
        q.remove(JobId::new(1));
        assert_eq!(q.oldest_enqueued_ms(), Some(20));
        q.remove(JobId::new(2));
        q.remove(JobId::new(3));
        assert_eq!(q.oldest_enqueued_ms(), None);
    }
}
