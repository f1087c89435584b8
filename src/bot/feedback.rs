//! Thanks for feedback on an answer, shown only to the one who clicked.

use super::{Deps, Outcome};
use crate::domain::{Job, JobRecord};
use crate::slack::{PrivateRecipient, render};

pub(super) async fn run(deps: &Deps, record: &mut JobRecord) -> Outcome {
    let Job::FeedbackThanks(job) = &record.job else {
        return Outcome::Done;
    };
    let message = render::notice(if job.positive {
        "Thanks! Glad that helped."
    } else {
        "Thanks for telling us. Lexi's team reviews answers marked as unhelpful."
    });
    let to = PrivateRecipient {
        response_url: job.response_url.as_deref(),
        channel: Some(&job.channel),
        user: &job.user,
        thread: job.thread_ts.as_ref(),
    };
    let told = deps.slack.tell_privately(&to, &message).await;
    // Thanks are a courtesy: the feedback itself is already recorded.
    deps.after_slack(record.attempts, told, "cannot thank for feedback")
}
