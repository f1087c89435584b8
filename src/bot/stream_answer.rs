//! A message for Lexi, answered as a stream: status while Lexi thinks, then `chat.startStream`,
//! batched `chat.appendStream`s and `chat.stopStream` with the final blocks. Anything that goes
//! wrong hands the job back to the non-streamed reply, which replaces what was shown.

use super::converse::{Step, remember_conversation};
use super::{Outcome, approval_card, messages};
use crate::domain::{Approval, ConversationId, Converse, LexiAnswer, TaskId, TaskStatus};
use crate::leadlex::{LeadLexError, LexiEvent, LexiStream};
use crate::slack::stream::Recipient;
use crate::slack::{ReplyTag, SlackError, feedback_blocks, render};
use slack_morphism::prelude::SlackBlock;
use std::time::Duration;
use tokio::time::Instant;

/// Whether answers are streamed, and how the text is batched into `chat.appendStream` calls.
#[derive(Debug, Clone, Default)]
pub struct StreamSettings {
    pub enabled: bool,
    /// Append once this many characters are waiting…
    pub flush_chars: usize,
    /// …or once this long has passed since the last call with text waiting.
    pub flush_interval: Duration,
}

/// How a streamed attempt ended.
pub(super) enum Streamed {
    /// The answer is complete in the thread.
    Done(Outcome),
    /// Streaming is off for this job from now on; progress says what the plain reply must do.
    FellBack,
}

const LOADING: [&str; 3] = [
    "Reading your CRM…",
    "Weighing what fits best…",
    "Putting the answer together…",
];

/// The status shown while Lexi works, from what was asked.
fn status_for(text: &str) -> &'static str {
    let t = text.to_lowercase();
    if ["find", "search", "prospect", "look for"]
        .iter()
        .any(|w| t.contains(w))
    {
        "is searching prospects…"
    } else if ["campaign", "draft", "email", "write"]
        .iter()
        .any(|w| t.contains(w))
    {
        "is drafting…"
    } else if t.contains("follow") {
        "is checking follow-ups…"
    } else {
        "is thinking…"
    }
}

pub(super) async fn run(step: &Step<'_>, job: &mut Converse) -> Streamed {
    let deps = step.deps;
    let channel = &job.thread.channel;
    if job.progress.stream_stopped {
        return Streamed::Done(Outcome::Done);
    }
    if let Some(old) = job.progress.stream_ts.take() {
        // A run before this one was cut off mid-stream: say so where the partial answer was.
        tracing::warn!(ts = %old, "an earlier streamed answer was interrupted; answering again");
        let _ = deps
            .slack
            .stop_stream(channel, &old, "", Vec::new(), None)
            .await;
        let note = render::notice(messages::INTERRUPTED);
        // Tagged, so no later read of the thread takes it for a stream still to be adopted.
        let tag = ReplyTag::interrupted(&step.key);
        let marked = (deps.slack)
            .update_tagged(channel, &old, &note, Some(&tag))
            .await;
        if let Err(error) = marked {
            tracing::warn!(%error, "cannot mark the interrupted answer");
        }
        if let Some(outcome) = step.save(job).await {
            return Streamed::Done(outcome);
        }
    }
    set_status(step, job, status_for(&job.text)).await;

    let conversation = match deps.store.conversation(&job.thread) {
        Ok(c) => c,
        Err(error) => {
            tracing::error!(%error, "cannot read the thread's conversation");
            return fall_back(step, job, None).await;
        }
    };
    let stream = deps
        .leadlex
        .chat_stream(&job.text, conversation.as_ref(), &step.key)
        .await;
    let mut stream = match stream {
        Ok(s) => s,
        Err(error) => {
            tracing::warn!(%error, "cannot stream Lexi's answer; answering without streaming");
            return fall_back(step, job, None).await;
        }
    };
    let mut relay = Relay::new(step, job, conversation);
    match relay.pump(&mut stream).await {
        Ok(()) => relay.finish().await,
        Err(Broke::Saved(outcome)) => Streamed::Done(outcome),
        Err(Broke::LeadLex(error)) => {
            tracing::warn!(%error, "Lexi's stream broke; answering without streaming");
            let job = relay.job;
            let shown = job.progress.stream_ts.take();
            if let Some(ts) = &shown {
                let _ = deps
                    .slack
                    .stop_stream(channel_of(job), ts, "", Vec::new(), None)
                    .await;
            }
            fall_back(step, job, shown.map(|ts| (ts, None))).await
        }
    }
}

fn channel_of(job: &Converse) -> &crate::domain::ChannelId {
    &job.thread.channel
}

/// Best effort: a status that does not show must not hold up the answer.
async fn set_status(step: &Step<'_>, job: &Converse, status: &str) {
    let loading: &[&str] = if status.is_empty() { &[] } else { &LOADING };
    let (channel, thread) = (&job.thread.channel, &job.thread.thread_ts);
    if let Err(error) = step
        .deps
        .slack
        .set_status(channel, thread, status, loading)
        .await
    {
        tracing::debug!(%error, "cannot set the thread's status");
    }
}

/// Hands over to the non-streamed reply: it replaces `shown` (the streamed message) with the
/// whole answer, asking Lexi again (same Idempotency-Key) unless the answer is already known.
async fn fall_back(
    step: &Step<'_>,
    job: &mut Converse,
    shown: Option<(crate::domain::MessageTs, Option<LexiAnswer>)>,
) -> Streamed {
    set_status(step, job, "").await;
    job.progress.streaming_off = true;
    job.progress.stream_ts = None;
    if let Some((ts, answer)) = shown {
        job.progress.placeholder_ts = Some(ts);
        job.progress.answer = answer;
    }
    match step.save(job).await {
        Some(outcome) => Streamed::Done(outcome),
        None => Streamed::FellBack,
    }
}

enum Broke {
    LeadLex(LeadLexError),
    Saved(Outcome),
}

/// The answer as it arrives, and what of it Slack has been sent.
struct Relay<'s, 'd, 'j> {
    step: &'s Step<'d>,
    job: &'j mut Converse,
    conversation: Option<ConversationId>,
    /// Everything Lexi wrote so far.
    full: String,
    /// Written but not yet sent to Slack.
    pending: String,
    last_flush: Instant,
    /// Slack refused a stream call: keep reading, then replace the message with the answer.
    slack_broke: Option<SlackError>,
    task_created: Option<String>,
    credits: Option<u64>,
}

impl<'s, 'd, 'j> Relay<'s, 'd, 'j> {
    fn new(
        step: &'s Step<'d>,
        job: &'j mut Converse,
        conversation: Option<ConversationId>,
    ) -> Self {
        Self {
            step,
            job,
            conversation,
            full: String::new(),
            pending: String::new(),
            last_flush: Instant::now(),
            slack_broke: None,
            task_created: None,
            credits: None,
        }
    }

    async fn pump(&mut self, stream: &mut LexiStream) -> Result<(), Broke> {
        let interval = self.step.deps.streaming.flush_interval;
        loop {
            let next = if self.pending.is_empty() {
                stream.next().await
            } else {
                match tokio::time::timeout_at(self.last_flush + interval, stream.next()).await {
                    Ok(next) => next,
                    Err(_) => {
                        self.flush().await?;
                        continue;
                    }
                }
            };
            let event = match next {
                None | Some(Ok(LexiEvent::End)) => return Ok(()),
                Some(Err(error)) => return Err(Broke::LeadLex(error)),
                Some(Ok(event)) => event,
            };
            match event {
                LexiEvent::Thinking { .. } | LexiEvent::End => {}
                LexiEvent::ToolStep(step) => {
                    if step.status == "completed" {
                        self.task_created = Some(step.tool.clone());
                    } else if self.job.progress.stream_ts.is_none() {
                        let status = status_for(&step.tool.replace('_', " "));
                        set_status(self.step, self.job, status).await;
                    }
                }
                LexiEvent::Text {
                    delta,
                    conversation_id,
                } => {
                    if let Some(id) = conversation_id.and_then(|c| ConversationId::parse(&c).ok()) {
                        let kept = remember_conversation(self.step.deps, &self.job.thread, &id);
                        self.conversation = Some(kept.unwrap_or(id));
                    }
                    self.full.push_str(&delta);
                    self.pending.push_str(&delta);
                    let started = self.job.progress.stream_ts.is_some();
                    let due = self.pending.chars().count() >= self.step.deps.streaming.flush_chars
                        || self.last_flush.elapsed() >= interval;
                    if !started || due {
                        self.flush().await?;
                    }
                }
                LexiEvent::Done {
                    credits_remaining, ..
                } => self.credits = credits_remaining,
            }
        }
    }

    /// Sends what is waiting: the stream's first text starts it.
    async fn flush(&mut self) -> Result<(), Broke> {
        self.last_flush = Instant::now();
        if self.slack_broke.is_some() || self.pending.is_empty() {
            return Ok(());
        }
        let deps = self.step.deps;
        let job = &mut *self.job;
        let (channel, thread) = (&job.thread.channel, &job.thread.thread_ts);
        let result = match &job.progress.stream_ts {
            Some(ts) => deps.slack.append_stream(channel, ts, &self.pending).await,
            None => {
                // Saved before the call: a crash after Slack creates the stream but before its
                // ts is saved leaves an untagged message that the re-run must look for.
                if !job.progress.stream_starting {
                    job.progress.stream_starting = true;
                    if let Some(outcome) = self.step.save(job).await {
                        return Err(Broke::Saved(outcome));
                    }
                }
                set_status(self.step, job, "").await;
                let recipient = (job.channel_kind == crate::domain::ChannelKind::Channel)
                    .then_some(Recipient {
                        user: &job.user,
                        team: &job.thread.team,
                    });
                match deps
                    .slack
                    .start_stream(channel, thread, recipient, &self.pending)
                    .await
                {
                    Ok(ts) => {
                        job.progress.stream_ts = Some(ts);
                        if let Some(outcome) = self.step.save(job).await {
                            return Err(Broke::Saved(outcome));
                        }
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
        };
        match result {
            Ok(()) => self.pending.clear(),
            Err(error) => {
                tracing::warn!(%error, "Slack refused a stream call; the answer will replace it");
                self.slack_broke = Some(error);
            }
        }
        Ok(())
    }

    async fn finish(mut self) -> Streamed {
        let deps = self.step.deps;
        let Some(conversation_id) = self.conversation.clone() else {
            tracing::warn!("Lexi's stream named no conversation; answering without streaming");
            let shown = self.job.progress.stream_ts.take().map(|ts| (ts, None));
            return fall_back(self.step, self.job, shown).await;
        };
        let mut answer = LexiAnswer {
            text: std::mem::take(&mut self.full),
            conversation_id,
            task_needing_approval: None,
        };
        if let Some(tool) = &self.task_created {
            answer.task_needing_approval = find_task(self.step, tool).await;
        }
        let approval = match &answer.task_needing_approval {
            Some(task) => match approval_card::file(deps, self.job, &answer, task).await {
                Ok(approval) => Some(approval),
                Err(error) => {
                    tracing::error!(%error, "cannot file the approval");
                    None
                }
            },
            None => None,
        };
        let job = &mut *self.job;
        let Some(ts) = job.progress.stream_ts.clone() else {
            // Slack never started the stream (or Lexi wrote nothing): post the answer plainly.
            return fall_back_with(self.step, job, None, answer).await;
        };
        if self.slack_broke.is_none() {
            let blocks = final_blocks(approval.as_ref(), self.credits);
            let channel = &job.thread.channel;
            let tag = ReplyTag::part(&self.step.key, 0);
            match deps
                .slack
                .stop_stream(channel, &ts, &self.pending, blocks, Some(&tag))
                .await
            {
                Ok(()) => {
                    if let Some(approval) = &approval {
                        approval_card::remember_message(deps, &approval.task, &ts);
                    }
                    job.progress.stream_stopped = true;
                    job.progress.answer = Some(answer);
                    let _ = self.step.save(job).await;
                    return Streamed::Done(Outcome::Done);
                }
                Err(error) => tracing::warn!(%error, "cannot stop the stream; replacing it"),
            }
        }
        let _ = deps
            .slack
            .stop_stream(&job.thread.channel, &ts, "", Vec::new(), None)
            .await;
        job.progress.stream_ts = None;
        fall_back_with(self.step, job, Some(ts), answer).await
    }
}

async fn fall_back_with(
    step: &Step<'_>,
    job: &mut Converse,
    shown: Option<crate::domain::MessageTs>,
    answer: LexiAnswer,
) -> Streamed {
    job.progress.answer = Some(answer.clone());
    match shown {
        Some(ts) => fall_back(step, job, Some((ts, Some(answer)))).await,
        None => fall_back(step, job, None).await,
    }
}

/// The stream's `done` names no task; a task Lexi just created is the newest pending one of
/// the tool's kind that no card shows yet.
async fn find_task(step: &Step<'_>, tool: &str) -> Option<TaskId> {
    let tasks = match step.deps.leadlex.tasks(TaskStatus::Pending).await {
        Ok(tasks) => tasks,
        Err(error) => {
            tracing::warn!(%error, "cannot list pending tasks after a streamed answer");
            return None;
        }
    };
    tasks
        .into_iter()
        .filter(|t| t.kind == tool)
        .filter(|t| matches!(step.deps.store.approval(&t.id), Ok(None)))
        .max_by(|a, b| a.created_at.cmp(&b.created_at))
        .map(|t| t.id)
}

/// Shown after the streamed text: the approval card, the credits left, the feedback buttons.
fn final_blocks(approval: Option<&Approval>, credits: Option<u64>) -> Vec<SlackBlock> {
    let mut blocks = Vec::new();
    if let Some(approval) = approval {
        blocks.extend(crate::slack::approval_blocks::card(approval, None));
    }
    if let Some(credits) = credits {
        blocks.push(render::context(&format!("_{credits} Lexi credits left_")));
    }
    blocks.push(feedback_blocks::buttons());
    blocks
}
