//! A message for Lexi: placeholder in the thread, ask Lexi (continuing the thread's conversation), replace the placeholder with the answer.

use super::{Deps, Outcome};
use super::{adopt, approval_card, messages, stream_answer};
use crate::domain::{Approval, ConversationId, Converse, Job, JobRecord, LexiAnswer, ThreadKey};
use crate::leadlex::{ChatContext, LeadLexError, LeadLexErrorKind};
use crate::slack::{OutgoingMessage, ReplyTag, SlackError, render};

/// LeadLex's documented maximum message length (characters).
const MAX_MESSAGE_CHARS: usize = 12_000;

pub(super) async fn run(deps: &Deps, record: &mut JobRecord) -> Outcome {
    let step = Step {
        deps,
        attempts: record.attempts,
        key: record.idempotency_key.clone(),
        header: record.clone(),
    };
    let Job::Converse(job) = &mut record.job else {
        return Outcome::Done;
    };
    let span = tracing::info_span!("converse", id = %step.header.id, thread = %job.thread, user = %job.user);
    // Instrumented, not entered: an entered span's guard held across `.await` stays entered on the
    // worker thread while other tasks run, so under load spans nest without end (every log line
    // grows, then the stack overflows).
    tracing::Instrument::instrument(converse(deps, step, job), span).await
}

async fn converse(deps: &Deps, step: Step<'_>, job: &mut Converse) -> Outcome {
    // Resumed after a crash: first find what an earlier run posted but never recorded.
    if adopt::needed(deps, step.header.enqueued_ms, job) {
        if let Err(outcome) = adopt::earlier_posts(&step, job).await {
            return outcome;
        }
    }
    // The streamed answer is complete in the thread (saved, or adopted just now).
    if job.progress.stream_stopped {
        return Outcome::Done;
    }
    // `@Lexi new` (`/lexi new` can't run in threads): this thread starts a fresh conversation.
    if job.text.trim().eq_ignore_ascii_case("new") {
        return step.start_over(job).await;
    }
    if job.text.is_empty() || job.text.chars().count() > MAX_MESSAGE_CHARS {
        let text = if job.text.is_empty() {
            messages::INTRO
        } else {
            messages::TOO_LONG
        };
        return step.reply_without_lexi(job, text).await;
    }

    super::agent_surface::title_new_thread(deps, job).await;
    let fresh = job.progress.placeholder_ts.is_none() && job.progress.answer.is_none();
    if deps.streaming.enabled && !job.progress.streaming_off && fresh {
        match stream_answer::run(&step, job).await {
            stream_answer::Streamed::Done(outcome) => return outcome,
            stream_answer::Streamed::FellBack => {}
        }
    }

    let answer = match job.progress.answer.clone() {
        Some(answer) => answer,
        None => match step.ask_lexi_with_placeholder(job).await {
            Ok(Ok(answer)) => {
                job.progress.answer = Some(answer.clone());
                if let Some(outcome) = step.save(job).await {
                    return outcome;
                }
                answer
            }
            Ok(Err(failure)) => return step.lexi_failed(job, failure).await,
            Err(outcome) => return outcome,
        },
    };
    step.post_answer(job, &answer).await
}

pub(super) struct Step<'a> {
    pub(super) deps: &'a Deps,
    attempts: u32,
    pub(super) key: String,
    /// The record as this run found it; progress is saved by swapping in the current job.
    pub(super) header: JobRecord,
}

impl Step<'_> {
    /// Saves progress and waits until it is on disk, so a crash from here on resumes after it.
    pub(super) async fn save(&self, job: &Converse) -> Option<Outcome> {
        let mut record = self.header.clone();
        record.job = Job::Converse(job.clone());
        let saved = match self.deps.store.save_job(&record) {
            Ok(()) => self.deps.store.durable().await,
            Err(e) => Err(e),
        };
        saved.err().map(|error| {
            tracing::error!(%error, "cannot save job progress");
            Outcome::RetryAfter(self.deps.retry.delay(self.attempts, None))
        })
    }

    /// Asks Lexi; if the answer takes longer than `placeholder_after`, puts the "working on it"
    /// placeholder up meanwhile (once per message: a retry finds it in `progress`). `Err` is the
    /// run's outcome when the placeholder cannot be posted or saved.
    ///
    /// With a zero wait the placeholder goes up first and Lexi is only asked once it is there,
    /// so no credit is spent where the bot cannot post. With a wait, a quick answer comes as
    /// one message; the price is that a channel the bot cannot post in is only found out after
    /// Lexi answered.
    async fn ask_lexi_with_placeholder(
        &self,
        job: &mut Converse,
    ) -> Result<Result<LexiAnswer, LeadLexError>, Outcome> {
        let wait = self.deps.placeholder_after;
        if job.progress.placeholder_ts.is_some() {
            return Ok(self.ask_lexi(job).await);
        }
        if wait.is_zero() {
            self.post_placeholder(job).await?;
            return Ok(self.ask_lexi(job).await);
        }
        let asking = job.clone();
        let ask = self.ask_lexi(&asking);
        tokio::pin!(ask);
        tokio::select! {
            biased;
            answered = &mut ask => return Ok(answered),
            () = tokio::time::sleep(wait) => {}
        }
        // Lexi's request is already on the wire (hyper drives it on its own task); it goes on
        // while the placeholder is posted, and is dropped (to be asked again with the same
        // Idempotency-Key) only if the placeholder fails.
        self.post_placeholder(job).await?;
        Ok(ask.await)
    }

    async fn post_placeholder(&self, job: &mut Converse) -> Result<(), Outcome> {
        let tag = ReplyTag::part(&self.key, 0);
        let (channel, thread) = (&job.thread.channel, &job.thread.thread_ts);
        match (self.deps.slack)
            .post_in_thread(channel, thread, &render::working(), &tag)
            .await
        {
            Ok(ts) => {
                job.progress.placeholder_ts = Some(ts);
                match self.save(job).await {
                    Some(outcome) => Err(outcome),
                    None => Ok(()),
                }
            }
            Err(e) => Err(self.post_failed(job, e)),
        }
    }

    /// A post that failed: if Slack may have made it anyway, the next run looks for it first.
    fn post_failed(&self, job: &mut Converse, error: SlackError) -> Outcome {
        if error.outcome_unknown() {
            job.progress.check_thread = true;
        }
        self.slack_failed(error)
    }

    async fn ask_lexi(&self, job: &Converse) -> Result<LexiAnswer, LeadLexError> {
        let conversation = match self.deps.store.conversation(&job.thread) {
            Ok(c) => c,
            Err(error) => {
                // Without the mapping we would start a second conversation: better to wait.
                tracing::error!(%error, "cannot read the thread's conversation");
                return Err(LeadLexError {
                    kind: LeadLexErrorKind::Server { status: 503 },
                    endpoint: "store",
                    request_id: None,
                });
            }
        };
        // The channel's `/lexi context` binding; without it (or the store) Lexi still answers.
        let bound = (self.deps.store)
            .channel_context(&job.thread.team, &job.thread.channel)
            .unwrap_or_else(|error| {
                tracing::warn!(%error, "cannot read the channel's context; sending none");
                None
            });
        let (list_id, campaign_id) = crate::store::ChannelContext::ids(bound.as_ref());
        let context = ChatContext {
            conversation: conversation.as_ref(),
            list_id: list_id.as_deref(),
            campaign_id: campaign_id.as_deref(),
        };
        let answer = self
            .deps
            .leadlex
            .chat(&job.text, &context, &self.key)
            .await?;
        tracing::info!(conversation = %answer.conversation_id, "Lexi answered");
        remember_conversation(self.deps, &job.thread, &answer.conversation_id);
        Ok(answer)
    }

    async fn lexi_failed(&self, job: &mut Converse, error: LeadLexError) -> Outcome {
        if matches!(error.kind, LeadLexErrorKind::InvalidKey) {
            self.deps.report_key_refused(&error);
        }
        let server_wait = error.retry_after();
        let too_long_a_wait = server_wait.is_some_and(|w| w > self.deps.retry.max_server_wait);
        if error.is_retryable() && self.deps.retry.may_retry(self.attempts) && !too_long_a_wait {
            tracing::warn!(%error, attempt = self.attempts + 1, "LeadLex failed; will retry");
            if !job.progress.told_retrying && self.attempts >= 1 {
                if let Some(ts) = &job.progress.placeholder_ts {
                    let note = render::notice(messages::RETRYING);
                    // Best effort: the retry happens whether or not the note shows.
                    let _ = self.deps.slack.update(&job.thread.channel, ts, &note).await;
                }
                job.progress.told_retrying = true;
                let _ = self.save(job).await;
            }
            return Outcome::RetryAfter(self.deps.retry.delay(self.attempts, server_wait));
        }
        tracing::warn!(%error, "LeadLex failed; telling the user");
        let text = if error.is_retryable() && !too_long_a_wait {
            messages::GAVE_UP.to_owned()
        } else {
            messages::for_leadlex_error(&error)
        };
        self.show(job, &render::notice(&text))
            .await
            .failed_if_done(super::FailReason::of_leadlex(&error))
    }

    /// Replaces the placeholder (or posts, if there is none) with one message.
    async fn show(&self, job: &mut Converse, message: &OutgoingMessage) -> Outcome {
        let tag = ReplyTag::part(&self.key, 0);
        let (channel, thread) = (&job.thread.channel, &job.thread.thread_ts);
        let posted = match &job.progress.placeholder_ts {
            Some(ts) => {
                let updated = (self.deps.slack)
                    .update_tagged(channel, ts, message, Some(&tag))
                    .await;
                return updated.map_or_else(|e| self.slack_failed(e), |()| Outcome::Done);
            }
            None => {
                (self.deps.slack)
                    .post_in_thread(channel, thread, message, &tag)
                    .await
            }
        };
        posted.map_or_else(|e| self.post_failed(job, e), |_| Outcome::Done)
    }

    async fn start_over(&self, job: &mut Converse) -> Outcome {
        if let Err(error) = self.deps.store.forget_conversation(&job.thread) {
            tracing::error!(%error, "cannot forget the thread's conversation");
            return Outcome::RetryAfter(self.deps.retry.delay(self.attempts, None));
        }
        self.reply_without_lexi(job, messages::FRESH_START).await
    }

    async fn reply_without_lexi(&self, job: &mut Converse, text: &str) -> Outcome {
        if job.progress.parts_posted > 0 {
            return Outcome::Done;
        }
        self.show(job, &render::notice(text)).await
    }

    async fn post_answer(&self, job: &mut Converse, answer: &LexiAnswer) -> Outcome {
        // A task to approve: its record is on disk before its buttons can be seen.
        let approval = match &answer.task_needing_approval {
            Some(task) => match approval_card::file(self.deps, job, answer, task).await {
                Ok(approval) => Some(approval),
                Err(error) => {
                    tracing::error!(%error, "cannot file the approval");
                    return Outcome::RetryAfter(self.deps.retry.delay(self.attempts, None));
                }
            },
            None => None,
        };
        let (mut parts, mut card_at) = with_card(render::answer(&answer.text), approval.as_ref());
        // Not on the mrkdwn fallback below: a surface refusing one new block may refuse these.
        crate::slack::feedback_blocks::attach(&mut parts);
        let mut fallen_back = false;
        let mut index = job.progress.parts_posted as usize;
        while index < parts.len() {
            let part = &parts[index];
            let placeholder = job.progress.placeholder_ts.clone().filter(|_| index == 0);
            let tag = ReplyTag::part(&self.key, index as u32);
            let (channel, thread) = (&job.thread.channel, &job.thread.thread_ts);
            let result = match &placeholder {
                Some(ts) => (self.deps.slack)
                    .update_tagged(channel, ts, part, Some(&tag))
                    .await
                    .map(|()| ts.clone()),
                None => {
                    (self.deps.slack)
                        .post_in_thread(channel, thread, part, &tag)
                        .await
                }
            };
            match result {
                Ok(ts) => {
                    if let Some(approval) = approval.as_ref().filter(|_| card_at == Some(index)) {
                        approval_card::remember_message(self.deps, &approval.task, &ts);
                    }
                    index += 1;
                    job.progress.parts_posted = index as u32;
                    if index < parts.len() {
                        if let Some(outcome) = self.save(job).await {
                            return outcome;
                        }
                    }
                }
                // Some surfaces refuse the markdown block: fall back to mrkdwn sections once.
                Err(e) if e.code() == Some("invalid_blocks") && !fallen_back => {
                    tracing::warn!(error = %e, "Slack refused the markdown block; sending mrkdwn");
                    fallen_back = true;
                    (parts, card_at) =
                        with_card(render::answer_as_mrkdwn(&answer.text), approval.as_ref());
                    index = job.progress.parts_posted as usize;
                }
                // The placeholder is gone (deleted by someone): post the answer as a new message.
                Err(e)
                    if placeholder.is_some()
                        && matches!(
                            e.code(),
                            Some("message_not_found" | "cant_update_message")
                        ) =>
                {
                    job.progress.placeholder_ts = None;
                }
                // A post that may have landed is looked for before the retry posts again (an
                // update's unknown outcome costs one harmless read of the thread).
                Err(e) => return self.post_failed(job, e),
            }
        }
        Outcome::Done
    }

    pub(super) fn slack_failed(&self, error: SlackError) -> Outcome {
        if error.is_retryable() && self.deps.retry.may_retry(self.attempts) {
            tracing::warn!(%error, attempt = self.attempts + 1, "Slack failed; will retry");
            return Outcome::RetryAfter(self.deps.retry.delay(self.attempts, error.retry_after()));
        }
        // Not in the channel, archived, token revoked…: nobody can be told in the thread.
        tracing::error!(%error, "cannot post in the thread; giving up on this message");
        Outcome::Failed {
            reason: super::FailReason::of_slack(&error),
        }
    }
}

/// Ties the thread to Lexi's conversation. First writer wins: if the thread already has one,
/// it is kept (and returned).
pub(super) fn remember_conversation(
    deps: &Deps,
    thread: &ThreadKey,
    returned: &ConversationId,
) -> Option<ConversationId> {
    match deps.store.remember_conversation(thread, returned) {
        Ok(kept) => {
            if kept != *returned {
                tracing::warn!(
                    kept = %kept,
                    %returned,
                    "Lexi returned another conversation for a known thread; keeping the first"
                );
            }
            Some(kept)
        }
        Err(error) => {
            tracing::error!(%error, "cannot store the thread's conversation");
            None
        }
    }
}

/// The answer's messages with the approval card in the last one (or after it, when it is full),
/// and which message carries the card.
fn with_card(
    mut parts: Vec<OutgoingMessage>,
    approval: Option<&Approval>,
) -> (Vec<OutgoingMessage>, Option<usize>) {
    let card_at = approval.map(|a| crate::slack::approval_blocks::attach_card(&mut parts, a));
    (parts, card_at)
}
