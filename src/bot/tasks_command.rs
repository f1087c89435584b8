//! `/lexi tasks`: the workspace's pending Lexi tasks, each with its Approve and Deny buttons, shown to the one who asked.
//!
//! Tasks that were not proposed in a Slack thread have no approval yet; listing files one, with
//! the person who ran the command as requester, so their buttons work like any other.

use super::{Deps, FailReason, Outcome, approval_messages};
use crate::domain::{
    Approval, ApprovalState, ChannelId, Job, JobRecord, ListTasks, TaskStatus, TaskSummary, TeamId,
    UserId,
};
use crate::leadlex::{LeadLexError, LeadLexErrorKind};
use crate::slack::approval_blocks::{ephemeral_text, listing};
use crate::slack::{OutgoingMessage, PrivateRecipient};
use crate::store::now_ms;

pub(super) async fn run(deps: &Deps, record: &mut JobRecord) -> Outcome {
    let Job::ListTasks(job) = &record.job else {
        return Outcome::Done;
    };
    // The worker runs each job inside a span with its id; an entered guard must not live across
    // `.await`, so this job's own fields go on an event instead.
    tracing::debug!(id = %record.id, user = %job.user, channel = %job.channel, "list_tasks");
    let mut failed = None;
    let message = match pending(deps, job).await {
        Ok(approvals) => listing(None, &approvals),
        Err(error) => {
            if matches!(error.kind, LeadLexErrorKind::InvalidKey) {
                deps.report_key_refused(&error);
            }
            let wait = error.retry_after();
            let too_long_a_wait = wait.is_some_and(|w| w > deps.retry.max_server_wait);
            if error.is_retryable() && deps.retry.may_retry(record.attempts) && !too_long_a_wait {
                tracing::warn!(%error, "cannot list tasks yet; will retry");
                return Outcome::RetryAfter(deps.retry.delay(record.attempts, wait));
            }
            tracing::warn!(%error, "cannot list tasks");
            failed = Some(FailReason::of_leadlex(&error));
            ephemeral_text(&approval_messages::cannot_list(&error))
        }
    };
    let to = PrivateRecipient {
        response_url: Some(&job.response_url),
        channel: Some(&job.channel),
        user: &job.user,
        thread: None,
    };
    let told = deps.slack.tell_privately(&to, &message).await;
    let outcome = deps.after_slack(record.attempts, told, "cannot answer /lexi tasks");
    match failed {
        Some(reason) => outcome.failed_if_done(reason),
        None => outcome,
    }
}

/// The listing that replaces one a task was just decided from: that task first, then what is
/// still pending (best effort: without LeadLex, just the task).
pub(super) async fn listing_after(
    deps: &Deps,
    decided: &Approval,
    note: Option<&str>,
    clicker: &UserId,
) -> OutgoingMessage {
    // The listing is the clicker's: tasks new since it was shown are filed with them as requester.
    let asked = ListTasks {
        team: decided.team.clone(),
        channel: decided.channel.clone(),
        user: clicker.clone(),
        response_url: String::new(),
    };
    let rest = pending(deps, &asked).await.unwrap_or_else(|error| {
        tracing::warn!(%error, "cannot refresh the listing; showing the decided task alone");
        Vec::new()
    });
    let mut message = listing(Some((decided, note)), &rest);
    if let Some(note) = note {
        message.text = crate::slack::mrkdwn::escape(note);
    }
    message
}

/// Pending tasks, each with its approval (filed now, durably, for tasks that have none).
async fn pending(deps: &Deps, job: &ListTasks) -> Result<Vec<Approval>, LeadLexError> {
    let tasks = deps.leadlex.tasks(TaskStatus::Pending).await?;
    let mut approvals = Vec::with_capacity(tasks.len());
    for task in &tasks {
        let fresh = new_approval(&job.team, &job.channel, &job.user, task);
        match deps.store.add_approval(&fresh) {
            Ok(kept) => approvals.push(kept),
            // Without a record its buttons would be refused: leave the task out of the listing.
            Err(error) => tracing::error!(%error, task = %task.id, "cannot file an approval"),
        }
    }
    if let Err(error) = deps.store.durable().await {
        tracing::error!(%error, "cannot flush filed approvals");
    }
    Ok(approvals)
}

fn new_approval(
    team: &TeamId,
    channel: &ChannelId,
    user: &UserId,
    task: &crate::domain::Task,
) -> Approval {
    Approval {
        task: task.id.clone(),
        team: team.clone(),
        requester: user.clone(),
        channel: channel.clone(),
        thread_ts: None,
        conversation: None,
        message_ts: None,
        lead_markdown: None,
        summary: TaskSummary::of(task),
        state: ApprovalState::Pending,
        outcome: None,
        created_ms: now_ms(),
    }
}
