//! Completing admissions that a crash cut short (see `Store::admit_all`, which writes each job
//! before the marks that make its event a duplicate).

use super::jobs::{message_key, seen_event_key, thread_key};
use super::threads::ThreadState;
use super::{Store, StoreError};
use crate::domain::{Job, JobRecord};

impl Store {
    /// Completes admissions a crash cut short: every unfinished job gets the seen marks and the
    /// thread that its admission writes after it (see [`Store::admit_all`]). Runs in
    /// [`Store::open`], before anything is admitted; returns how many marks it wrote.
    pub(super) fn complete_interrupted_admissions(&self) -> Result<usize, StoreError> {
        let inner = &self.inner;
        let started = ThreadState::Started.encode();
        let stamp = inner.clock.now_ms().to_be_bytes();
        let mut written = 0;
        for record in self.unfinished_jobs()? {
            let marks = event_key_of(&record)
                .into_iter()
                .chain(message_key(&record.job));
            for key in marks {
                written += usize::from(put_if_absent(&inner.seen, &key, &stamp)?);
            }
            if let Some(key) = thread_key(&record.job) {
                written += usize::from(put_if_absent(&inner.threads, &key, &started)?);
            }
        }
        if written > 0 {
            tracing::warn!(written, "completed admissions a crash had cut short");
            self.flush()?;
        }
        Ok(written)
    }
}

/// Writes `value` under `key` unless the key holds something already; says whether it wrote.
fn put_if_absent(tree: &sled::Tree, key: &str, value: &[u8]) -> Result<bool, StoreError> {
    let swapped = tree
        .compare_and_swap(key.as_bytes(), None::<&[u8]>, Some(value))
        .map_err(StoreError::Engine)?;
    Ok(swapped.is_ok())
}

/// The `ev:` mark of the event a job was admitted for, if it came with an event id:
/// `slack_event` holds that id, or (for a command or a click, which have none) the request's
/// own key.
fn event_key_of(record: &JobRecord) -> Option<String> {
    let id = record.slack_event.as_deref()?;
    let request_key = match &record.job {
        Job::Followups(f) => f.request.as_ref().map(ToString::to_string),
        _ => None,
    };
    (request_key.as_deref() != Some(id)).then(|| seen_event_key(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::followups::{
        ContactRef, FollowupsCommand, FollowupsJob, FollowupsStep, RequestKey, ResponseUrl,
    };
    use crate::domain::{ChannelId, Converse, EventId, TeamId, UserId};
    use crate::store::{Admission, StoreSettings};
    use std::path::Path;

    fn open(dir: &Path) -> Store {
        Store::open(dir, &StoreSettings::default()).expect("store opens")
    }

    /// What a crash leaves when the log kept the job but not the marks written after it.
    fn keep_only_the_jobs(store: &Store) {
        store.inner.seen.clear().unwrap();
        store.inner.threads.clear().unwrap();
        store.flush().unwrap();
    }

    fn seen_keys(store: &Store) -> Vec<String> {
        store
            .inner
            .seen
            .iter()
            .keys()
            .map(|k| String::from_utf8(k.unwrap().to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn a_job_whose_marks_a_crash_lost_is_still_answered_once() {
        let dir = tempfile::tempdir().unwrap();
        let mention = || Job::Converse(Converse::sample("1.1", "2.2"));
        {
            let store = open(dir.path());
            let admitted = store
                .admit(Some(&EventId::parse("Ev1").unwrap()), mention(), false)
                .unwrap();
            assert!(matches!(admitted, Admission::Accepted(_)));
            keep_only_the_jobs(&store);
        }

        let store = open(dir.path());
        // Slack's retry of the unacknowledged event, and the same message under its other id.
        let retry = store.admit(Some(&EventId::parse("Ev1").unwrap()), mention(), false);
        assert_eq!(retry.unwrap(), Admission::Duplicate);
        let as_message = store.admit(Some(&EventId::parse("Ev2").unwrap()), mention(), true);
        assert_eq!(as_message.unwrap(), Admission::Duplicate);
        assert_eq!(
            store.unfinished_jobs().unwrap().len(),
            1,
            "the job still runs"
        );
        // Its thread talks to Lexi again: a plain reply there is queued.
        let reply = Job::Converse(Converse::sample("1.1", "3.3"));
        let reply = store.admit(Some(&EventId::parse("Ev3").unwrap()), reply, true);
        assert!(matches!(reply.unwrap(), Admission::Accepted(_)));
    }

    #[test]
    fn nothing_is_written_when_no_admission_was_cut_short() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = open(dir.path());
            let event = EventId::parse("Ev1").unwrap();
            let job = Job::Converse(Converse::sample("1.1", "1.1"));
            store.admit(Some(&event), job, false).unwrap();
        }
        let store = open(dir.path());
        assert_eq!(store.complete_interrupted_admissions().unwrap(), 0);
    }

    #[test]
    fn a_command_gets_back_its_request_mark_and_no_event_mark() {
        let dir = tempfile::tempdir().unwrap();
        let request = RequestKey::new("cmd", "13345224609.738474920").unwrap();
        let command = || {
            Job::Followups(FollowupsJob {
                team: TeamId::parse("T0ACME").unwrap(),
                channel: ChannelId::parse("C0SALES").unwrap(),
                user: UserId::parse("U0REP").unwrap(),
                response_url: ResponseUrl::parse("https://hooks.slack.com/commands/T0/1/x")
                    .unwrap(),
                request: Some(request.clone()),
                step: FollowupsStep::Suggest {
                    command: FollowupsCommand::for_contact(ContactRef::Name("Jane".into())),
                    progress: Default::default(),
                },
            })
        };
        {
            let store = open(dir.path());
            assert!(matches!(
                store.admit(None, command(), false).unwrap(),
                Admission::Accepted(_)
            ));
            keep_only_the_jobs(&store);
        }
        let store = open(dir.path());
        assert_eq!(seen_keys(&store), ["req:T0ACME/cmd:13345224609.738474920"]);
        assert_eq!(
            store.admit(None, command(), false).unwrap(),
            Admission::Duplicate
        );
    }
}
