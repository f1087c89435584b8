//! Approvals on disk, keyed by task id: who asked, where the card is, and the one decision.
//!
//! A click is admitted in one transaction over approvals, jobs and seen marks, so the decision
//! and the job that tells LeadLex are written together or not at all, and only once per task.

use super::{Store, StoreError};
use crate::domain::{Approval, ApprovalState, Job, JobId, JobRecord, TaskId};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

/// What a click asks the store to do, decided by looking at the approval as it is now.
#[derive(Debug, Clone, PartialEq)]
pub struct ClickPlan {
    /// The approval's new state, if the click changes it.
    pub state: Option<ApprovalState>,
    /// The work the click leaves for the worker.
    pub job: Job,
}

/// What became of a click.
#[derive(Debug, Clone, PartialEq)]
pub enum ClickAdmission {
    /// No approval for that task id: the payload was not made by this bot.
    UnknownTask,
    /// The same click was already admitted (Slack re-sent it).
    Duplicate,
    /// Recorded; the job is queued (on disk once [`Store::durable`] returns).
    Accepted(Box<JobRecord>),
}

impl Store {
    pub fn approval(&self, task: &TaskId) -> Result<Option<Approval>, StoreError> {
        self.inner
            .approvals
            .get(task.as_str())
            .map_err(StoreError::Engine)?
            .map(|raw| decode(&raw))
            .transpose()
    }

    /// Files a new approval unless the task already has one; returns the one kept.
    pub fn add_approval(&self, approval: &Approval) -> Result<Approval, StoreError> {
        let encoded = encode(approval)?;
        let swapped = self
            .inner
            .approvals
            .compare_and_swap(
                approval.task.as_str(),
                None::<&[u8]>,
                Some(encoded.as_slice()),
            )
            .map_err(StoreError::Engine)?;
        match swapped {
            Ok(()) => Ok(approval.clone()),
            Err(existing) => match existing.current {
                Some(raw) => decode(&raw),
                None => Ok(approval.clone()),
            },
        }
    }

    /// Changes an approval with `change`, retried if someone else wrote it meanwhile; `None`
    /// from `change` leaves it as it is. Returns the approval as it ends up (None: no such task).
    pub fn update_approval(
        &self,
        task: &TaskId,
        change: impl Fn(&Approval) -> Option<Approval>,
    ) -> Result<Option<Approval>, StoreError> {
        loop {
            let Some(raw) = self
                .inner
                .approvals
                .get(task.as_str())
                .map_err(StoreError::Engine)?
            else {
                return Ok(None);
            };
            let current = decode(&raw)?;
            let Some(changed) = change(&current) else {
                return Ok(Some(current));
            };
            let encoded = encode(&changed)?;
            let swapped = self
                .inner
                .approvals
                .compare_and_swap(task.as_str(), Some(raw), Some(encoded))
                .map_err(StoreError::Engine)?;
            if swapped.is_ok() {
                return Ok(Some(changed));
            }
        }
    }

    /// Admits a click: de-duplicates it on `click_key`, lets `plan` choose from the approval as
    /// it is at this instant, and writes the new state, the seen mark and the job atomically.
    /// Of any number of simultaneous clicks, exactly one sees the approval still pending.
    pub fn admit_click(
        &self,
        task: &TaskId,
        click_key: &str,
        plan: impl Fn(&Approval) -> ClickPlan,
    ) -> Result<ClickAdmission, StoreError> {
        let seen_key = format!("click:{click_key}");
        let now = self.inner.clock.now_ms();
        let id = JobId::new(self.inner.db.generate_id().map_err(StoreError::Engine)?);
        let idempotency_key = uuid::Uuid::new_v4().to_string();
        let inner = &self.inner;
        let outcome =
            (&inner.approvals, &inner.jobs, &inner.seen).transaction(|(approvals, jobs, seen)| {
                if seen.get(seen_key.as_bytes())?.is_some() {
                    return Ok(ClickAdmission::Duplicate);
                }
                let Some(raw) = approvals.get(task.as_str())? else {
                    return Ok(ClickAdmission::UnknownTask);
                };
                let mut approval = decode(&raw).map_err(abort)?;
                let ClickPlan { state, job } = plan(&approval);
                if let Some(state) = state {
                    approval.state = state;
                    approvals.insert(task.as_str(), encode(&approval).map_err(abort)?)?;
                }
                let record = JobRecord {
                    version: JobRecord::VERSION,
                    id,
                    job,
                    idempotency_key: idempotency_key.clone(),
                    attempts: 0,
                    not_before_ms: 0,
                    enqueued_ms: now,
                    // A click has no event id, and this job keeps no trigger id.
                    slack_event: None,
                };
                jobs.insert(
                    &record.id.get().to_be_bytes(),
                    encode(&record).map_err(abort)?,
                )?;
                seen.insert(seen_key.as_bytes(), &now.to_be_bytes())?;
                Ok(ClickAdmission::Accepted(Box::new(record)))
            });
        outcome.map_err(unwrap_transaction)
    }

    /// Moves an approval from `expected` to `next` and saves the job's record in the same
    /// transaction, so the job's progress and the approval never disagree after a crash.
    /// Returns false (writing nothing) if the approval is no longer in `expected`.
    pub fn settle_approval(
        &self,
        task: &TaskId,
        expected: &ApprovalState,
        next: &ApprovalState,
        record: &JobRecord,
    ) -> Result<bool, StoreError> {
        let encoded_record = encode(record)?;
        let inner = &self.inner;
        let outcome = (&inner.approvals, &inner.jobs).transaction(|(approvals, jobs)| {
            let Some(raw) = approvals.get(task.as_str())? else {
                return Ok(false);
            };
            let mut approval = decode(&raw).map_err(abort)?;
            if approval.state != *expected {
                return Ok(false);
            }
            approval.state = next.clone();
            approvals.insert(task.as_str(), encode(&approval).map_err(abort)?)?;
            jobs.insert(&record.id.get().to_be_bytes(), encoded_record.as_slice())?;
            Ok(true)
        });
        outcome.map_err(unwrap_transaction)
    }

    pub fn approval_count(&self) -> usize {
        self.inner.approvals.len()
    }
}

fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(StoreError::Corrupt)
}

fn decode(raw: &[u8]) -> Result<Approval, StoreError> {
    serde_json::from_slice(raw).map_err(StoreError::Corrupt)
}

fn abort(error: StoreError) -> ConflictableTransactionError<StoreError> {
    ConflictableTransactionError::Abort(error)
}

fn unwrap_transaction(error: TransactionError<StoreError>) -> StoreError {
    match error {
        TransactionError::Storage(e) => StoreError::Engine(e),
        TransactionError::Abort(e) => e,
    }
}

#[cfg(test)]
mod tests;
