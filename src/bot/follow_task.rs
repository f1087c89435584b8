//! An approved task, followed until LeadLex lists it as completed or failed, then reported where it was asked for.
//!
//! LeadLex has no single-task read and no completion push, so each round lists `completed`, then
//! `failed` (one status per call). A task still running is not a failure: the job comes back
//! later ([`Outcome::Later`]) with a growing wait, until the follow limit has passed since
//! approval. The job is on disk between rounds, so following survives restarts.

use super::{Deps, Outcome, approval_card, approval_messages};
use crate::domain::{Approval, FollowTask, Job, JobRecord, Task, TaskId, TaskOutcome, TaskStatus};
use crate::leadlex::{LeadLexError, LeadLexErrorKind};
use crate::slack::approval_blocks::{ephemeral_text, outcome, stopped_following};
use crate::slack::{OutgoingMessage, ReplyTag, SlackError};
use crate::store::now_ms;
use std::time::Duration;

pub(super) async fn run(deps: &Deps, record: &mut JobRecord) -> Outcome {
    let Job::FollowTask(job) = &record.job else {
        return Outcome::Done;
    };
    let mut job = job.clone();
    // The worker runs each job inside a span with its id; an entered guard must not live across
    // `.await`, so this job's own fields go on an event instead.
    tracing::debug!(id = %record.id, task = %job.task, round = job.rounds, "follow_task");
    let approval = match deps.store.approval(&job.task) {
        Ok(Some(approval)) => approval,
        Ok(None) => return Outcome::Done,
        Err(error) => {
            tracing::error!(%error, "cannot read the approval");
            return Outcome::Later(deps.approvals.follow.delay(job.rounds));
        }
    };

    if !job.reported {
        let (message, ended) = match finished(deps, &job.task).await {
            Ok(Some(task)) => {
                tracing::info!(status = task.status.as_str(), "the task finished");
                let ended = match task.status {
                    TaskStatus::Failed => TaskOutcome::Failed,
                    _ => TaskOutcome::Completed,
                };
                (outcome(&approval, &task), ended)
            }
            Ok(None) if !limit_passed(deps, &job) => {
                job.rounds += 1;
                record.job = Job::FollowTask(job.clone());
                return Outcome::Later(deps.approvals.follow.delay(job.rounds));
            }
            Ok(None) => {
                tracing::info!("the task is still running at the follow limit; stopping");
                let limit = deps.approvals.follow.limit;
                (stopped_following(&approval, limit), TaskOutcome::Unknown)
            }
            Err(error) => {
                tracing::warn!(%error, "cannot check on the task; stopping");
                let text = approval_messages::cannot_follow(&error);
                (ephemeral_text(&text), TaskOutcome::Unknown)
            }
        };
        let tag = ReplyTag::notice(&record.idempotency_key);
        if let Err(error) = post(deps, &approval, &message, &tag).await {
            if error.is_retryable() && deps.retry.may_retry(record.attempts) {
                tracing::warn!(%error, "cannot post the task's outcome yet; will retry");
                return Outcome::RetryAfter(deps.retry.delay(record.attempts, error.retry_after()));
            }
            tracing::error!(%error, "cannot post the task's outcome");
        }
        job.reported = true;
        record.job = Job::FollowTask(job.clone());
        let saved = deps.store.save_job(record);
        if let Err(error) = saved {
            tracing::error!(%error, "cannot save that the outcome was posted");
        }
        let _ = deps.store.durable().await;
        remember_outcome(deps, &job.task, ended);
    }

    // The card's "Lexi is working on it" becomes how it ended (best effort).
    if let Ok(Some(approval)) = deps.store.approval(&job.task)
        && let Err(error) = approval_card::update(deps, &approval, None).await
    {
        tracing::warn!(%error, "cannot update the card with the task's outcome");
    }
    Outcome::Done
}

/// The task as LeadLex lists it once it finished: `Ok(None)` while it still runs. Errors that
/// retrying can't fix end the following; the others count as "not yet".
async fn finished(deps: &Deps, task: &TaskId) -> Result<Option<Task>, LeadLexError> {
    for status in [TaskStatus::Completed, TaskStatus::Failed] {
        match deps.leadlex.tasks(status).await {
            Ok(tasks) => {
                if let Some(found) = tasks.into_iter().find(|t| t.id == *task) {
                    return Ok(Some(found));
                }
            }
            Err(error) if error.is_retryable() => {
                tracing::warn!(%error, "cannot list tasks this round");
                return Ok(None);
            }
            Err(error) => {
                if matches!(error.kind, LeadLexErrorKind::InvalidKey) {
                    deps.report_key_refused(&error);
                }
                return Err(error);
            }
        }
    }
    Ok(None)
}

fn limit_passed(deps: &Deps, job: &FollowTask) -> bool {
    let elapsed = Duration::from_millis(now_ms().saturating_sub(job.since_ms));
    elapsed >= deps.approvals.follow.limit
}

/// Into the task's thread, or the channel `/lexi tasks` ran in when it has no thread.
async fn post(
    deps: &Deps,
    approval: &Approval,
    message: &OutgoingMessage,
    tag: &ReplyTag,
) -> Result<(), SlackError> {
    match &approval.thread_ts {
        Some(thread) => deps
            .slack
            .post_in_thread(&approval.channel, thread, message, tag)
            .await
            .map(drop),
        None => deps
            .slack
            .post_in_channel(&approval.channel, message)
            .await
            .map(drop),
    }
}

fn remember_outcome(deps: &Deps, task: &TaskId, ended: TaskOutcome) {
    let saved = deps.store.update_approval(task, |a| {
        Some(Approval {
            outcome: Some(ended),
            ..a.clone()
        })
    });
    if let Err(error) = saved {
        tracing::warn!(%error, "cannot record the task's outcome");
    }
}
