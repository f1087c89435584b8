//! `/followups` in the worker: suggest next steps for a contact, share a draft, discuss with Lexi.
//!
//! Every answer goes to the requester only, through the response URL Slack gave with the command
//! or click (30 minutes, 5 posts); past that, as an ephemeral message through the Web API.

mod discuss;
mod messages;
mod share;
mod suggest;

use super::{Deps, FailReason, Outcome};
use crate::domain::followups::{CardId, FollowupsCard, FollowupsJob, FollowupsStep};
use crate::domain::{Job, JobRecord, MessageTs};
use crate::slack::followup_blocks;
use crate::slack::{OutgoingMessage, Response, ResponseType, SlackError, SlackErrorKind, render};
use crate::store::now_ms;
use std::time::Duration;
use tracing::Instrument;

/// Slack keeps a response URL for 30 minutes…
const RESPONSE_URL_LIFE_MS: u64 = 30 * 60 * 1000;
/// …and takes at most 5 posts on it.
const RESPONSE_URL_USES: u8 = 5;
/// Kept in hand at the end of the URL's life, so the final word still gets through it.
const LAST_WORD_MS: u64 = 60 * 1000;

pub(super) async fn run(deps: &Deps, record: &mut JobRecord) -> Outcome {
    let Job::Followups(job) = &record.job else {
        return Outcome::Done;
    };
    let span =
        tracing::info_span!("followups", id = %record.id, user = %job.user, channel = %job.channel);
    match &job.step {
        FollowupsStep::Suggest { .. } => suggest::run(deps, record).instrument(span).await,
        FollowupsStep::Share { .. } => share::run(deps, record).instrument(span).await,
        FollowupsStep::Discuss { .. } => discuss::run(deps, record).instrument(span).await,
    }
}

/// Tells the requester, in place of the command's ack, why LeadLex was not asked (a request cap).
pub(super) async fn refuse(deps: &Deps, record: &JobRecord, text: &str) -> Outcome {
    let Some(run) = Run::new(deps, record) else {
        return Outcome::Done;
    };
    let mut used = match &run.job.step {
        FollowupsStep::Suggest { progress, .. } => progress.responses_used,
        _ => 0,
    };
    match run.show(&mut used, &render::notice(text), true).await {
        Ok(()) => Outcome::Done,
        Err(error) => run.slack_failed(error),
    }
}

/// One run of a follow-ups job: the record as this run found it, and what it needs to answer.
struct Run<'a> {
    deps: &'a Deps,
    header: JobRecord,
    job: FollowupsJob,
}

impl<'a> Run<'a> {
    fn new(deps: &'a Deps, record: &JobRecord) -> Option<Self> {
        match &record.job {
            Job::Followups(job) => Some(Self {
                deps,
                header: record.clone(),
                job: job.clone(),
            }),
            _ => None,
        }
    }

    /// The record with `step` as the job's current progress.
    fn record_with(&self, step: FollowupsStep) -> JobRecord {
        let mut record = self.header.clone();
        record.job = Job::Followups(FollowupsJob {
            step,
            ..self.job.clone()
        });
        record
    }

    /// Writes progress to disk before the next side effect, so a crash resumes after it.
    async fn save(&self, step: FollowupsStep) -> Option<Outcome> {
        self.save_record(&self.record_with(step)).await
    }

    /// Like [`Self::save`], and also into `record`, which the worker saves on a retry.
    async fn keep(&self, record: &mut JobRecord, step: FollowupsStep) -> Option<Outcome> {
        *record = self.record_with(step);
        self.save_record(record).await
    }

    async fn save_record(&self, record: &JobRecord) -> Option<Outcome> {
        let saved = match self.deps.store.save_job(record) {
            Ok(()) => self.deps.store.durable().await,
            Err(e) => Err(e),
        };
        saved.err().map(|error| {
            tracing::error!(%error, "cannot save follow-ups progress");
            Outcome::RetryAfter(self.deps.retry.delay(self.header.attempts, None))
        })
    }

    /// Whether trying again after `wait` still leaves the response URL alive to answer through.
    fn may_retry(&self, wait: Duration) -> bool {
        let deadline = self.header.enqueued_ms + RESPONSE_URL_LIFE_MS;
        let retry_at = now_ms() + wait.as_millis() as u64;
        self.deps.retry.may_retry(self.header.attempts) && retry_at + LAST_WORD_MS < deadline
    }

    fn retry_delay(&self, server_says: Option<Duration>) -> Duration {
        self.deps.retry.delay(self.header.attempts, server_says)
    }

    /// Shows `message` to the user alone: through the response URL while it lasts (replacing
    /// the message the URL belongs to when `replace`), else as an ephemeral Web API message.
    /// `used` counts the URL's posts across runs.
    async fn show(
        &self,
        used: &mut u8,
        message: &OutgoingMessage,
        replace: bool,
    ) -> Result<(), SlackError> {
        let expired = now_ms() + 5_000 >= self.header.enqueued_ms + RESPONSE_URL_LIFE_MS;
        if expired || *used >= RESPONSE_URL_USES {
            return self.show_ephemeral(message).await;
        }
        let mut response = Response {
            message: message.clone(),
            response_type: ResponseType::Ephemeral,
            replace_original: replace,
            thread_ts: None,
        };
        let url = self.job.response_url.as_str();
        *used += 1;
        let mut result = self.deps.slack.respond(url, &response).await;
        let nothing_to_replace =
            matches!(&result, Err(e) if matches!(e.kind, SlackErrorKind::Http { status: 404 }));
        if replace && nothing_to_replace && *used < RESPONSE_URL_USES {
            // The message to replace is gone (or Slack never had one): show this as a new one.
            tracing::info!("nothing to replace through the response URL; posting a new message");
            response.replace_original = false;
            *used += 1;
            result = self.deps.slack.respond(url, &response).await;
        }
        match result {
            // Expired, used up or refused: the Web API can still reach the user if Lexi is in
            // the channel.
            Err(error) if !error.is_retryable() => {
                tracing::warn!(%error, "the response URL refused the answer; posting it ephemerally");
                self.show_ephemeral(message).await
            }
            other => other,
        }
    }

    async fn show_ephemeral(&self, message: &OutgoingMessage) -> Result<(), SlackError> {
        self.deps
            .slack
            .post_ephemeral(&self.job.channel, &self.job.user, None, message)
            .await
    }

    /// The card a button acts on. One no longer kept is answered "too old to act on"; a store
    /// failure becomes a retry.
    async fn card(&self, used: &mut u8, id: &CardId) -> Result<FollowupsCard, Outcome> {
        match self.deps.store.card(id) {
            Ok(Some(card)) => Ok(card),
            Ok(None) => Err(self.tell(used, messages::RESULT_EXPIRED).await),
            Err(error) => {
                tracing::error!(%error, "cannot read the follow-ups card");
                Err(Outcome::RetryAfter(self.retry_delay(None)))
            }
        }
    }

    /// Posts what a button starts (`what`, for the log) at the top of the job's channel. Where
    /// Slack won't have it there for good, the clicker is told how to fix that.
    async fn post_in_channel(
        &self,
        used: &mut u8,
        message: &OutgoingMessage,
        what: &str,
    ) -> Result<MessageTs, Outcome> {
        match self
            .deps
            .slack
            .post_in_channel(&self.job.channel, message)
            .await
        {
            Ok(ts) => Ok(ts),
            Err(error) if error.is_retryable() => Err(self.slack_failed(error)),
            Err(error) => {
                tracing::warn!(%error, "cannot post the {what} to the channel");
                let told = self.tell(used, messages::CANT_POST_HERE).await;
                Err(told.failed_if_done(FailReason::of_slack(&error)))
            }
        }
    }

    /// Re-renders the result a button was clicked in, so it shows what the click did.
    async fn refresh(&self, used: &mut u8, card: &FollowupsCard) -> Outcome {
        match self.show(used, &followup_blocks::result(card), true).await {
            Ok(()) => Outcome::Done,
            Err(error) => self.slack_failed(error),
        }
    }

    /// Tells the clicker something below the result, leaving the result as it is.
    async fn tell(&self, used: &mut u8, text: &str) -> Outcome {
        match self.show(used, &render::notice(text), false).await {
            Ok(()) => Outcome::Done,
            Err(error) => self.slack_failed(error),
        }
    }

    /// A Slack failure: try again while that can help, else log it (nobody can be told).
    fn slack_failed(&self, error: SlackError) -> Outcome {
        let wait = self.retry_delay(error.retry_after());
        if error.is_retryable() && self.may_retry(wait) {
            tracing::warn!(%error, attempt = self.header.attempts + 1, "Slack failed; will retry");
            return Outcome::RetryAfter(wait);
        }
        tracing::error!(%error, "cannot show the follow-ups answer; giving up");
        Outcome::Failed {
            reason: FailReason::of_slack(&error),
        }
    }
}
