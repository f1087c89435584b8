//! Durable work: what an accepted Slack request asks the bot to do, as stored until it is done.

use super::agent_surface::SuggestPrompts;
use super::answer::LexiAnswer;
use super::approval::{ApprovalNotice, DecideTask, FollowTask, ListTasks};
use super::feedback::FeedbackThanks;
use super::followups::FollowupsJob;
use super::ids::{MessageTs, ThreadKey, UserId};
use serde::{Deserialize, Serialize};

/// The store's sequence number for a job; also its place in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(u64);

impl JobId {
    pub fn new(sequence: u64) -> Self {
        Self(sequence)
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "job-{}", self.0)
    }
}

/// Every kind of work the worker knows. Adding a variant breaks the build until it is handled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// A message for Lexi, to be answered in its thread.
    Converse(Converse),
    /// An Approve or Deny click, recorded: tell LeadLex, update the message.
    DecideTask(DecideTask),
    /// An approved task, followed until it completes or fails.
    FollowTask(FollowTask),
    /// A click that decides nothing, answered to the clicker alone.
    ApprovalNotice(ApprovalNotice),
    /// `/lexi tasks`: pending tasks with their buttons.
    ListTasks(ListTasks),
    /// `/followups` and its buttons (pick a contact, share a draft, discuss with Lexi).
    Followups(FollowupsJob),
    /// Thanks for a thumbs up or down on an answer (the feedback itself is already stored).
    FeedbackThanks(FeedbackThanks),
    /// Suggested prompts for a rep who opened their DM with Lexi (or a legacy assistant thread).
    SuggestPrompts(SuggestPrompts),
}

impl Job {
    /// Jobs with the same lane run one after another in queue order; others run side by side.
    /// A thread is a lane, so its messages reach Lexi in the order they were sent.
    pub fn lane(&self) -> Option<String> {
        match self {
            Job::Converse(c) => Some(c.thread.storage_key()),
            // One lane per task: its decision, then following it, never side by side.
            Job::DecideTask(d) => Some(format!("task:{}", d.task)),
            Job::FollowTask(f) => Some(format!("task:{}", f.task)),
            Job::ApprovalNotice(_) | Job::ListTasks(_) | Job::FeedbackThanks(_) => None,
            Job::Followups(f) => f.lane(),
            Job::SuggestPrompts(s) => Some(s.lane()),
        }
    }
}

/// Where a message was written, which decides how the answer may be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Channel,
    DirectMessage,
}

/// A user's message to Lexi.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Converse {
    pub thread: ThreadKey,
    pub message_ts: MessageTs,
    pub user: UserId,
    /// Plain text, the bot mention removed and Slack's markup undone.
    pub text: String,
    pub channel_kind: ChannelKind,
    #[serde(default)]
    pub progress: ConverseProgress,
}

#[cfg(test)]
use super::ids::{ChannelId, TeamId, ThreadTs};

#[cfg(test)]
impl Converse {
    /// A rep's message `ts` in the thread `root` of `T0ACME`/`C0SALES`: the unit tests' usual one.
    pub fn sample(root: &str, ts: &str) -> Self {
        Self {
            thread: ThreadKey {
                team: TeamId::parse("T0ACME").unwrap(),
                channel: ChannelId::parse("C0SALES").unwrap(),
                thread_ts: ThreadTs::parse(root).unwrap(),
            },
            message_ts: MessageTs::parse(ts).unwrap(),
            user: UserId::parse("U0REP").unwrap(),
            text: "hello".into(),
            channel_kind: ChannelKind::Channel,
            progress: ConverseProgress::default(),
        }
    }
}

/// What a run of a [`Converse`] job has already done, saved as it goes, so that a run that was
/// cut off resumes without a second placeholder, a second Lexi answer or a second reply.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConverseProgress {
    /// The "Lexi is working on it" message that the answer replaces.
    pub placeholder_ts: Option<MessageTs>,
    pub answer: Option<LexiAnswer>,
    /// How many messages of the answer are already in the thread.
    pub parts_posted: u32,
    /// Whether the user was told we are retrying (told once, not per attempt).
    #[serde(default)]
    pub told_retrying: bool,
    /// The streamed answer's message, once `chat.startStream` created it.
    #[serde(default)]
    pub stream_ts: Option<MessageTs>,
    /// Whether that stream was stopped with the complete answer (nothing left to do).
    #[serde(default)]
    pub stream_stopped: bool,
    /// Streaming failed for this message: the rest of the job uses the non-streamed reply.
    #[serde(default)]
    pub streaming_off: bool,
    /// `chat.startStream` was (perhaps) sent: saved before the call, so a run cut off before the
    /// stream's ts was saved knows to look for the stream it may have started.
    #[serde(default)]
    pub stream_starting: bool,
    /// A post's outcome is unknown (the connection failed after sending): the next run looks in
    /// the thread for it before posting again.
    #[serde(default)]
    pub check_thread: bool,
    /// The process start (`Deps::booted_ms`) whose run last read the thread back, so a resumed
    /// job reads it once per start, not once per retry.
    #[serde(default)]
    pub thread_checked_boot: Option<u64>,
}

/// A job as the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    /// The record layout's version, so a newer binary can read what an older one wrote.
    pub version: u32,
    pub id: JobId,
    pub job: Job,
    /// Sent as `Idempotency-Key` on every LeadLex call this job makes, on every attempt.
    pub idempotency_key: String,
    pub attempts: u32,
    /// Unix milliseconds before which the job must not run (retry backoff).
    pub not_before_ms: u64,
    pub enqueued_ms: u64,
    /// The Slack delivery this job answers, for logs: the Events API `event_id`, or for a
    /// command or click the request key built from Slack's `trigger_id`; `None` when the job
    /// keeps neither (other commands and clicks, jobs the bot queued itself, records written
    /// before this field existed).
    #[serde(default)]
    pub slack_event: Option<String>,
}

impl JobRecord {
    pub const VERSION: u32 = 1;
}
