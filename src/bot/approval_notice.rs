//! Tells someone whose click decides nothing why (not theirs to decide, or already decided), in a message only they see.

use super::{Deps, Outcome};
use crate::domain::{Job, JobRecord};
use crate::slack::PrivateRecipient;
use crate::slack::approval_blocks::notice;

pub(super) async fn run(deps: &Deps, record: &mut JobRecord) -> Outcome {
    let Job::ApprovalNotice(job) = &record.job else {
        return Outcome::Done;
    };
    // The worker runs each job inside a span with its id; an entered guard must not live across
    // `.await`, so this job's own fields go on an event instead.
    tracing::debug!(id = %record.id, task = %job.task, user = %job.user, "approval_notice");
    let message = notice(&job.reason);

    let thread = match deps.store.approval(&job.task) {
        Ok(Some(approval)) => approval.thread_ts,
        _ => None,
    };
    let to = PrivateRecipient {
        response_url: job.origin.response_url.as_deref(),
        channel: job.origin.channel.as_ref(),
        user: &job.user,
        thread: thread.as_ref(),
    };
    let told = deps.slack.tell_privately(&to, &message).await;
    deps.after_slack(record.attempts, told, "cannot tell the clicker")
}
