//! An Approve or Deny click, recorded at the edge: tell LeadLex once, then show the result where the buttons were.
//!
//! The LeadLex call's result is written together with the approval's new state in one
//! transaction, so a re-run (after a crash, or to retry a Slack update) never calls LeadLex again.
//! An approval that went through turns this job into the one that follows the task.

use super::{Deps, FailReason, Outcome, approval_card, approval_messages, tasks_command};
use crate::domain::{
    ApprovalState, DecideResult, DecideTask, FollowTask, Job, JobRecord, TaskId, TaskStatus,
    Verdict,
};
use crate::leadlex::{LeadLexError, LeadLexErrorKind};
use crate::slack::approval_blocks::card_message;
use crate::store::now_ms;

pub(super) async fn run(deps: &Deps, record: &mut JobRecord) -> Outcome {
    let Job::DecideTask(job) = &record.job else {
        return Outcome::Done;
    };
    let job = job.clone();
    // The worker runs each job inside a span with its id; an entered guard must not live across
    // `.await`, so this job's own fields go on an event instead.
    tracing::debug!(id = %record.id, task = %job.task,
        verdict = ?job.decision.verdict, by = %job.decision.by, "decide");

    // Why the decision (or showing it) failed, if it did: the job is then counted as failed.
    let mut failed = None;
    let result = match &job.progress.result {
        Some(result) => result.clone(),
        None => match decide(deps, record, &job, &mut failed).await {
            Ok(result) => result,
            Err(outcome) => return outcome,
        },
    };
    let approval = match deps.store.approval(&job.task) {
        Ok(Some(approval)) => approval,
        Ok(None) => return Outcome::Done,
        Err(error) => {
            tracing::error!(%error, "cannot read the approval");
            return Outcome::RetryAfter(deps.retry.delay(record.attempts, None));
        }
    };
    let note = match &result {
        DecideResult::Refused { explanation } => Some(explanation.as_str()),
        DecideResult::Accepted | DecideResult::AlreadyClosed { .. } => None,
    };
    let elsewhere = async {
        if job.origin.ephemeral {
            tasks_command::listing_after(deps, &approval, note, &job.decision.by).await
        } else {
            card_message(&approval, note)
        }
    };
    if let Err(error) = approval_card::show(deps, &approval, &job.origin, note, elsewhere).await {
        if error.is_retryable() && deps.retry.may_retry(record.attempts) {
            tracing::warn!(%error, "cannot show the decision yet; will retry");
            return Outcome::RetryAfter(deps.retry.delay(record.attempts, error.retry_after()));
        }
        tracing::error!(%error, "cannot show the decision in Slack");
        failed = failed.or(Some(FailReason::of_slack(&error)));
    }
    let runs_now = matches!(
        result,
        DecideResult::Accepted if job.decision.verdict == Verdict::Approve
    ) || result
        == (DecideResult::AlreadyClosed {
            status: Some(TaskStatus::Approved),
        });
    if runs_now {
        follow(deps, record, &job.task)
    } else {
        failed.map_or(Outcome::Done, |reason| Outcome::Failed { reason })
    }
}

/// Calls LeadLex and records what it said; `Err` is how this run ends instead (retry, or stop).
/// A decision LeadLex would not take sets `failed`.
async fn decide(
    deps: &Deps,
    record: &mut JobRecord,
    job: &DecideTask,
    failed: &mut Option<FailReason>,
) -> Result<DecideResult, Outcome> {
    let approval = match deps.store.approval(&job.task) {
        Ok(Some(approval)) => approval,
        Ok(None) => {
            tracing::error!("a recorded decision has no approval; nothing to do");
            return Err(Outcome::Done);
        }
        Err(error) => {
            tracing::error!(%error, "cannot read the approval");
            return Err(Outcome::RetryAfter(deps.retry.delay(record.attempts, None)));
        }
    };
    let expected = ApprovalState::Deciding {
        decision: job.decision.clone(),
    };
    if approval.state != expected {
        tracing::warn!(state = ?approval.state, "the approval moved on without this job; nothing to do");
        return Err(Outcome::Done);
    }
    let result = if approval.may_decide(&job.decision.by, &deps.approvals.approvers) {
        match call(deps, job, &record.idempotency_key).await {
            Ok(()) => {
                tracing::info!("LeadLex took the decision");
                DecideResult::Accepted
            }
            Err(error) => {
                let result = refused(deps, record.attempts, job, &error).await?;
                if matches!(result, DecideResult::Refused { .. }) {
                    *failed = Some(FailReason::of_leadlex(&error));
                }
                result
            }
        }
    } else {
        // LEXI_APPROVERS changed between the click and now: the rule at call time wins.
        DecideResult::Refused {
            explanation: approval_messages::NOT_ALLOWED_ANY_MORE.into(),
        }
    };
    let next = match &result {
        DecideResult::Accepted => ApprovalState::Decided {
            decision: job.decision.clone(),
        },
        DecideResult::AlreadyClosed { status } => ApprovalState::Closed { status: *status },
        // Rolled back: the buttons return, and the next click decides afresh.
        DecideResult::Refused { .. } => ApprovalState::Pending,
    };
    let mut settled = record.clone();
    if let Job::DecideTask(d) = &mut settled.job {
        d.progress.result = Some(result.clone());
    }
    let saved = deps
        .store
        .settle_approval(&approval.task, &expected, &next, &settled);
    match saved {
        Ok(true) => {}
        Ok(false) => return Err(Outcome::Done),
        Err(error) => {
            tracing::error!(%error, "cannot record LeadLex's answer");
            return Err(Outcome::RetryAfter(deps.retry.delay(record.attempts, None)));
        }
    }
    *record = settled;
    if let Err(error) = deps.store.durable().await {
        tracing::error!(%error, "cannot flush LeadLex's answer");
    }
    Ok(result)
}

async fn call(deps: &Deps, job: &DecideTask, key: &str) -> Result<(), LeadLexError> {
    match job.decision.verdict {
        Verdict::Approve => deps.leadlex.approve(&job.task, key).await,
        Verdict::Deny => {
            // LeadLex keeps the reason for its analytics: name who denied it, and where.
            let reason = format!("Denied in Slack by user {}", job.decision.by);
            deps.leadlex.dismiss(&job.task, &reason, key).await
        }
    }
}

/// What a failed call means for the decision; `Err` while it is worth trying again.
async fn refused(
    deps: &Deps,
    attempts: u32,
    job: &DecideTask,
    error: &LeadLexError,
) -> Result<DecideResult, Outcome> {
    if matches!(error.kind, LeadLexErrorKind::InvalidKey) {
        deps.report_key_refused(error);
    }
    let server_wait = error.retry_after();
    let too_long_a_wait = server_wait.is_some_and(|w| w > deps.retry.max_server_wait);
    if error.is_retryable() && deps.retry.may_retry(attempts) && !too_long_a_wait {
        tracing::warn!(%error, attempt = attempts + 1, "LeadLex failed; will retry");
        return Err(Outcome::RetryAfter(deps.retry.delay(attempts, server_wait)));
    }
    tracing::warn!(%error, "LeadLex did not take the decision");
    let verdict = job.decision.verdict;
    Ok(match &error.kind {
        // "Not pending": decided elsewhere, or already running. Show what LeadLex says it is.
        LeadLexErrorKind::Invalid { .. } => match status_of(deps, &job.task).await {
            Ok(Some(TaskStatus::Pending)) => DecideResult::Refused {
                explanation: approval_messages::not_decided_try_again(verdict),
            },
            // Already what was asked: our own earlier call landed (a crash cut off its answer;
            // it carried the same Idempotency-Key), or someone decided the same way elsewhere.
            Ok(Some(TaskStatus::Approved)) if verdict == Verdict::Approve => DecideResult::Accepted,
            Ok(Some(TaskStatus::Dismissed)) if verdict == Verdict::Deny => DecideResult::Accepted,
            Ok(status) => DecideResult::AlreadyClosed { status },
            Err(error) => DecideResult::Refused {
                explanation: approval_messages::not_decided(verdict, &error),
            },
        },
        LeadLexErrorKind::NotFound => DecideResult::AlreadyClosed { status: None },
        _ => DecideResult::Refused {
            explanation: approval_messages::not_decided(verdict, error),
        },
    })
}

/// The task's status as LeadLex lists it (one status per call, as the API takes it), or `None`
/// when no list has it.
async fn status_of(deps: &Deps, task: &TaskId) -> Result<Option<TaskStatus>, LeadLexError> {
    for status in TaskStatus::ALL {
        let tasks = deps.leadlex.tasks(status).await?;
        if let Some(found) = tasks.iter().find(|t| t.id == *task) {
            return Ok(Some(found.status));
        }
    }
    Ok(None)
}

/// This job becomes the one that follows the task: same record, same lane, fresh attempts.
fn follow(deps: &Deps, record: &mut JobRecord, task: &TaskId) -> Outcome {
    record.job = Job::FollowTask(FollowTask {
        task: task.clone(),
        since_ms: now_ms(),
        rounds: 0,
        reported: false,
    });
    record.attempts = 0;
    Outcome::Later(deps.approvals.follow.first_delay)
}
