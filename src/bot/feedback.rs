//! Thanks for feedback on an answer, shown only to the one who clicked.

use super::{Deps, Outcome};
use crate::domain::{Job, JobRecord};
use crate::slack::{Response, ResponseType, render};

pub(super) async fn run(deps: &Deps, record: &mut JobRecord) -> Outcome {
    let Job::FeedbackThanks(job) = &record.job else {
        return Outcome::Done;
    };
    let message = render::notice(if job.positive {
        "Thanks! Glad that helped."
    } else {
        "Thanks for telling us. Lexi's team reviews answers marked as unhelpful."
    });
    if let Some(url) = &job.response_url {
        let response = Response {
            message: message.clone(),
            response_type: ResponseType::Ephemeral,
            replace_original: false,
            thread_ts: None,
        };
        match deps.slack.respond(url, &response).await {
            Ok(()) => return Outcome::Done,
            Err(error) => tracing::info!(%error, "response_url refused; posting ephemerally"),
        }
    }
    let posted = deps
        .slack
        .post_ephemeral(&job.channel, &job.user, job.thread_ts.as_ref(), &message)
        .await;
    match posted {
        Err(error) if error.is_retryable() && deps.retry.may_retry(record.attempts) => {
            Outcome::RetryAfter(deps.retry.delay(record.attempts, error.retry_after()))
        }
        Err(error) => {
            // Thanks are a courtesy: the feedback itself is already recorded.
            tracing::warn!(%error, "cannot thank for feedback");
            Outcome::Done
        }
        Ok(()) => Outcome::Done,
    }
}
