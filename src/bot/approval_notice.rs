//! Tells someone whose click decides nothing why (not theirs to decide, or already decided), in a message only they see.

use super::{Deps, Outcome};
use crate::domain::{Job, JobRecord};
use crate::slack::approval_blocks::notice;
use crate::slack::{Response, ResponseType};

pub(super) async fn run(deps: &Deps, record: &mut JobRecord) -> Outcome {
    let Job::ApprovalNotice(job) = &record.job else {
        return Outcome::Done;
    };
    // The worker runs each job inside a span with its id; an entered guard must not live across
    // `.await`, so this job's own fields go on an event instead.
    tracing::debug!(id = %record.id, task = %job.task, user = %job.user, "approval_notice");
    let message = notice(&job.reason);

    // The click's response_url first: it reaches the clicker even where the bot can't post.
    if let Some(url) = &job.origin.response_url {
        let response = Response {
            message: message.clone(),
            response_type: ResponseType::Ephemeral,
            replace_original: false,
            thread_ts: None,
        };
        match deps.slack.respond(url, &response).await {
            Ok(()) => return Outcome::Done,
            Err(error) if error.is_retryable() && deps.retry.may_retry(record.attempts) => {
                return Outcome::RetryAfter(deps.retry.delay(record.attempts, error.retry_after()));
            }
            // Expired or used up (30 minutes, 5 uses): fall back to chat.postEphemeral.
            Err(error) => tracing::info!(%error, "response_url refused; posting ephemerally"),
        }
    }
    let Some(channel) = &job.origin.channel else {
        return Outcome::Done;
    };
    let thread = match deps.store.approval(&job.task) {
        Ok(Some(approval)) => approval.thread_ts,
        _ => None,
    };
    match deps
        .slack
        .post_ephemeral(channel, &job.user, thread.as_ref(), &message)
        .await
    {
        Ok(()) => Outcome::Done,
        Err(error) if error.is_retryable() && deps.retry.may_retry(record.attempts) => {
            Outcome::RetryAfter(deps.retry.delay(record.attempts, error.retry_after()))
        }
        Err(error) => {
            tracing::warn!(%error, "cannot tell the clicker");
            Outcome::Done
        }
    }
}
