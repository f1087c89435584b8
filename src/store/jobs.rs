//! The job queue on disk: admitting work exactly once, saving progress, completing.

use super::threads::ThreadState;
use super::{Store, StoreError};
use crate::domain::{EventId, Job, JobId, JobRecord};

/// What became of a request to queue work.
#[derive(Debug, Clone, PartialEq)]
pub enum Admission {
    /// Queued (and on disk once [`Store::durable`] returns).
    Accepted(Box<JobRecord>),
    /// The event, or the Slack message it carries, was already accepted: nothing to do.
    Duplicate,
    /// A plain thread reply in a thread that isn't a Lexi conversation: not for us.
    NotOurThread,
}

impl Store {
    /// Records the event as seen and queues its job, as one: a crash part-way leaves the job
    /// written first, and [`Store::open`] completes the rest (see [`Store::admit_all`]).
    ///
    /// De-duplicates on the event id (Slack's retries) and on the Slack message the job answers
    /// (a mention in a thread arrives as two events with different ids). With
    /// `only_in_known_thread`, the job is queued only if its thread already talks to Lexi.
    pub fn admit(
        &self,
        event_id: Option<&EventId>,
        job: Job,
        only_in_known_thread: bool,
    ) -> Result<Admission, StoreError> {
        let request = self.prepare_admission(event_id, job, only_in_known_thread)?;
        let mut admitted = self.admit_all(std::slice::from_ref(&request))?;
        Ok(admitted.pop().unwrap_or(Admission::Duplicate))
    }

    /// Everything an admission writes, computed before the transaction.
    pub(super) fn prepare_admission(
        &self,
        event_id: Option<&EventId>,
        job: Job,
        only_in_known_thread: bool,
    ) -> Result<AdmissionRequest, StoreError> {
        let now = self.inner.clock.now_ms();
        let event_key = event_id.map(|id| seen_event_key(id.as_str()));
        let message_key = message_key(&job);
        let thread_key = thread_key(&job);
        let slack_event = slack_event(event_id, &job);
        let record = JobRecord {
            version: JobRecord::VERSION,
            id: JobId::new(self.inner.db.generate_id().map_err(StoreError::Engine)?),
            job,
            idempotency_key: uuid::Uuid::new_v4().to_string(),
            attempts: 0,
            not_before_ms: 0,
            enqueued_ms: now,
            slack_event,
        };
        let encoded = serde_json::to_vec(&record).map_err(StoreError::Corrupt)?;
        Ok(AdmissionRequest {
            event_key,
            message_key,
            thread_key,
            only_in_known_thread,
            stamp: now.to_be_bytes(),
            record,
            encoded,
        })
    }

    /// Admits `requests` in order (a later one sees the earlier ones' writes, so duplicates
    /// within the batch are caught too), one batch at a time.
    ///
    /// Not a sled transaction: in sled 0.34 every transaction (and `apply_batch`) pins the log,
    /// which writes the log buffer out twice (`roll_iobuf`, then the batch manifest), each a
    /// hand-off to sled's IO pool that wakes all seven of its threads; the flush before the ack
    /// then writes a third time. Plain inserts only fill the buffer, so the flush is the batch's
    /// one write. What the transaction gave is kept another way:
    /// - isolation: admissions hold `admission` for the whole batch, and the other writers of
    ///   these trees cannot make an admission wrong (retention forgets only old marks and idle
    ///   threads; the worker writes a thread only after its job was admitted);
    /// - atomicity: a crash may keep any prefix of the log (sled also flushes every 500 ms), so
    ///   each admission writes its job first and the marks after it. A prefix without the job
    ///   left nothing behind (Slack retries the unacknowledged event); a prefix with the job and
    ///   not all its marks is completed by [`Store::open`] (`recovery.rs`)
    ///   before anything is admitted, so that retry is a duplicate and the job runs once.
    pub(super) fn admit_all(
        &self,
        requests: &[AdmissionRequest],
    ) -> Result<Vec<Admission>, StoreError> {
        let started = ThreadState::Started.encode();
        let inner = &self.inner;
        let admitted = {
            let _one_batch_at_a_time = inner.admission.lock().unwrap_or_else(|e| e.into_inner());
            requests
                .iter()
                .map(|request| admit_one(inner, request, &started).map_err(StoreError::Engine))
                .collect::<Result<Vec<_>, _>>()?
        };
        let active = requests
            .iter()
            .zip(&admitted)
            .filter_map(|(request, admission)| {
                let accepted = matches!(admission, Admission::Accepted(_));
                let thread = request.thread_key.as_deref().filter(|_| accepted)?;
                Some((thread, request.stamp))
            });
        if let Err(error) = self.note_thread_activity(active) {
            // The jobs are on their way; a missing stamp only makes a thread look newer.
            tracing::warn!(%error, "cannot note thread activity");
        }
        Ok(admitted)
    }

    /// Saves a job's attempts, schedule and progress.
    pub fn save_job(&self, record: &JobRecord) -> Result<(), StoreError> {
        let encoded = serde_json::to_vec(record).map_err(StoreError::Corrupt)?;
        self.inner
            .jobs
            .insert(record.id.get().to_be_bytes(), encoded)
            .map_err(StoreError::Engine)?;
        Ok(())
    }

    /// Removes a finished job.
    pub fn complete_job(&self, id: JobId) -> Result<(), StoreError> {
        self.inner
            .jobs
            .remove(id.get().to_be_bytes())
            .map_err(StoreError::Engine)?;
        Ok(())
    }

    pub fn job(&self, id: JobId) -> Result<Option<JobRecord>, StoreError> {
        self.inner
            .jobs
            .get(id.get().to_be_bytes())
            .map_err(StoreError::Engine)?
            .map(|raw| serde_json::from_slice(&raw).map_err(StoreError::Corrupt))
            .transpose()
    }

    /// Every unfinished job, oldest first: what a restart picks up.
    pub fn unfinished_jobs(&self) -> Result<Vec<JobRecord>, StoreError> {
        let mut records = Vec::new();
        for entry in self.inner.jobs.iter() {
            let (_, raw) = entry.map_err(StoreError::Engine)?;
            match serde_json::from_slice(&raw) {
                Ok(record) => records.push(record),
                // One unreadable record must not stop every other job: log it and move on.
                Err(error) => tracing::error!(%error, "skipping an unreadable job record"),
            }
        }
        Ok(records)
    }

    pub fn job_count(&self) -> usize {
        self.inner.jobs.len()
    }

    /// Forgets seen-event marks made before `cutoff_ms` (Unix ms), so the database stays small.
    /// Returns how many were removed.
    pub fn expire_seen_before(&self, cutoff_ms: u64) -> Result<usize, StoreError> {
        let cutoff = cutoff_ms;
        let mut removed = 0;
        for entry in self.inner.seen.iter() {
            let (key, stamp) = entry.map_err(StoreError::Engine)?;
            let seen_at = <[u8; 8]>::try_from(stamp.as_ref())
                .map(u64::from_be_bytes)
                .unwrap_or(0);
            if seen_at < cutoff {
                self.inner.seen.remove(key).map_err(StoreError::Engine)?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// One admission, ready to be written.
pub(super) struct AdmissionRequest {
    event_key: Option<String>,
    message_key: Option<String>,
    thread_key: Option<String>,
    only_in_known_thread: bool,
    stamp: [u8; 8],
    record: JobRecord,
    encoded: Vec<u8>,
}

fn admit_one(
    trees: &super::Inner,
    request: &AdmissionRequest,
    started: &[u8],
) -> Result<Admission, sled::Error> {
    let (seen, jobs, threads) = (&trees.seen, &trees.jobs, &trees.threads);
    let stamp = &request.stamp;
    if let Some(key) = &request.event_key {
        if seen.get(key.as_bytes())?.is_some() {
            return Ok(Admission::Duplicate);
        }
    }
    if let Some(key) = &request.message_key {
        if seen.get(key.as_bytes())?.is_some() {
            if let Some(key) = &request.event_key {
                seen.insert(key.as_bytes(), stamp)?;
            }
            return Ok(Admission::Duplicate);
        }
    }
    let new_thread = match &request.thread_key {
        Some(key) => {
            let known = threads.get(key.as_bytes())?.is_some();
            if request.only_in_known_thread && !known {
                return Ok(Admission::NotOurThread);
            }
            (!known).then_some(key)
        }
        None => None,
    };
    // The job first: every mark below is one `Store::open` can rebuild from it.
    jobs.insert(
        request.record.id.get().to_be_bytes(),
        request.encoded.as_slice(),
    )?;
    if let Some(key) = new_thread {
        threads.insert(key.as_bytes(), started)?;
    }
    for key in request.event_key.iter().chain(&request.message_key) {
        seen.insert(key.as_bytes(), stamp)?;
    }
    Ok(Admission::Accepted(Box::new(request.record.clone())))
}

/// The seen mark of a Slack event, by its id.
pub(super) fn seen_event_key(event_id: &str) -> String {
    format!("ev:{event_id}")
}

/// The Slack message a job answers, if it answers one.
pub(super) fn message_key(job: &Job) -> Option<String> {
    match job {
        Job::Converse(c) => Some(format!(
            "msg:{}/{}/{}",
            c.thread.team, c.thread.channel, c.message_ts
        )),
        // Clicks are de-duplicated by the approvals transaction; the rest answer no message.
        Job::DecideTask(_) | Job::FollowTask(_) | Job::ApprovalNotice(_) | Job::ListTasks(_) => {
            None
        }
        // Deduplicated on the event id; how often a rep is offered prompts is the job's to decide.
        Job::FeedbackThanks(_) | Job::SuggestPrompts(_) => None,
        // Commands and clicks carry no event id; Slack's own id of the request stands in.
        Job::Followups(f) => f
            .request
            .as_ref()
            .map(|key| format!("req:{}/{key}", f.team)),
    }
}

/// What the job's log lines name as its Slack delivery: the event id, else the key of the
/// command or click (from its `trigger_id`) when the job keeps one.
fn slack_event(event_id: Option<&EventId>, job: &Job) -> Option<String> {
    if let Some(id) = event_id {
        return Some(id.to_string());
    }
    match job {
        Job::Followups(f) => f.request.as_ref().map(ToString::to_string),
        _ => None,
    }
}

pub(super) fn thread_key(job: &Job) -> Option<String> {
    match job {
        Job::Converse(c) => Some(c.thread.storage_key()),
        // Not messages to Lexi: they must not make a thread look like a Lexi conversation.
        Job::DecideTask(_) | Job::FollowTask(_) | Job::ApprovalNotice(_) | Job::ListTasks(_) => {
            None
        }
        Job::Followups(_) | Job::FeedbackThanks(_) | Job::SuggestPrompts(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::followups::{
        ContactRef, FollowupsCommand, FollowupsJob, FollowupsStep, RequestKey, ResponseUrl,
    };
    use crate::domain::{ChannelId, Converse, TeamId, UserId};
    use crate::store::StoreSettings;

    fn converse(ts: &str) -> Job {
        Job::Converse(Converse::sample(ts, ts))
    }

    fn followups(request: Option<RequestKey>) -> Job {
        Job::Followups(FollowupsJob {
            team: TeamId::parse("T0ACME").unwrap(),
            channel: ChannelId::parse("C0SALES").unwrap(),
            user: UserId::parse("U0REP").unwrap(),
            response_url: ResponseUrl::parse("https://hooks.slack.com/commands/T0/1/x").unwrap(),
            request,
            step: FollowupsStep::Suggest {
                command: FollowupsCommand::for_contact(ContactRef::Name("Jane".into())),
                progress: Default::default(),
            },
        })
    }

    fn accepted(admission: Admission) -> JobRecord {
        match admission {
            Admission::Accepted(record) => *record,
            other => panic!("not admitted: {other:?}"),
        }
    }

    #[test]
    fn a_job_keeps_the_slack_delivery_it_answers() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreSettings::default()).unwrap();
        let event = EventId::parse("Ev0OBSERVE").unwrap();
        let from_event = accepted(store.admit(Some(&event), converse("1.1"), false).unwrap());
        assert_eq!(from_event.slack_event.as_deref(), Some("Ev0OBSERVE"));
        let stored = store.job(from_event.id).unwrap().unwrap();
        assert_eq!(stored.slack_event.as_deref(), Some("Ev0OBSERVE"));

        let trigger = RequestKey::new("cmd", "13345224609.738474920").unwrap();
        let command = accepted(store.admit(None, followups(Some(trigger)), false).unwrap());
        assert_eq!(
            command.slack_event.as_deref(),
            Some("cmd:13345224609.738474920")
        );

        let queued_by_the_bot = accepted(store.admit(None, converse("2.2"), false).unwrap());
        assert_eq!(queued_by_the_bot.slack_event, None);
    }

    #[test]
    fn a_record_written_before_slack_event_existed_still_loads() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreSettings::default()).unwrap();
        let record = accepted(store.admit(None, converse("1.1"), false).unwrap());
        // The layout an older binary wrote: every field but `slack_event`.
        let mut old = serde_json::to_value(&record).unwrap();
        old.as_object_mut().unwrap().remove("slack_event");
        store
            .inner
            .jobs
            .insert(
                record.id.get().to_be_bytes(),
                serde_json::to_vec(&old).unwrap(),
            )
            .unwrap();

        let loaded = store.job(record.id).unwrap().expect("still readable");
        assert_eq!(loaded.slack_event, None);
        assert_eq!(loaded.job, record.job);
        assert_eq!(store.unfinished_jobs().unwrap(), vec![loaded]);
    }
}
