//! What the bot does with each job: an exhaustive match from job kind to handler.

mod adopt;
mod agent_surface;
mod approval_card;
mod approval_messages;
mod approval_notice;
mod approval_settings;
mod converse;
mod decide;
mod feedback;
mod follow_task;
mod followups;
mod messages;
mod quota;
mod retry;
mod stream_answer;
mod tasks_command;

pub use agent_surface::AgentSurfaceSettings;
pub use approval_settings::{ApprovalSettings, FollowPolicy};
pub use quota::{Quota, QuotaSettings};
pub use retry::RetryPolicy;
pub use stream_answer::StreamSettings;

use crate::domain::{Job, JobRecord};
use crate::leadlex::LeadLexClient;
use crate::slack::WebApi;
use crate::store::Store;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// What handlers may touch: the two clients, the store, the retry policy and the approval rules. Nothing else.
pub struct Deps {
    pub slack: WebApi,
    pub leadlex: LeadLexClient,
    pub store: Store,
    pub retry: RetryPolicy,
    pub approvals: ApprovalSettings,
    /// Whether and how answers are streamed into threads.
    pub streaming: StreamSettings,
    /// Caps on requests to Lexi per user and per workspace (none unless set).
    pub quota: Quota,
    /// Suggested prompts and thread titles in Lexi's DM.
    pub agent_surface: AgentSurfaceSettings,
    /// How long Lexi may take before a "working on it" placeholder goes up (zero: at once).
    /// A quick answer then arrives as one message instead of a placeholder and an edit.
    pub placeholder_after: std::time::Duration,
    /// When this process started (Unix ms): a job enqueued before it is resumed from an
    /// earlier run, which may have posted messages it never recorded (see `adopt`).
    pub booted_ms: u64,
    /// The bot's own `bot_id`, learnt from `auth.test` the first time adoption needs it.
    own_bot_id: tokio::sync::OnceCell<String>,
    /// Set once LeadLex has refused our key, so the operator is told loudly once, not per message.
    key_refused_reported: AtomicBool,
}

impl Deps {
    pub fn new(slack: WebApi, leadlex: LeadLexClient, store: Store, retry: RetryPolicy) -> Self {
        Self {
            slack,
            leadlex,
            store,
            retry,
            approvals: ApprovalSettings::default(),
            streaming: StreamSettings::default(),
            quota: Quota::new(QuotaSettings::off()),
            agent_surface: AgentSurfaceSettings::default(),
            placeholder_after: DEFAULT_PLACEHOLDER_AFTER,
            booted_ms: crate::store::now_ms(),
            own_bot_id: tokio::sync::OnceCell::new(),
            key_refused_reported: AtomicBool::new(false),
        }
    }

    /// Puts the "working on it" placeholder up after `wait` without an answer.
    pub fn with_placeholder_after(mut self, wait: std::time::Duration) -> Self {
        self.placeholder_after = wait;
        self
    }

    /// The bot's `bot_id` (asked of Slack once, then remembered).
    async fn own_bot_id(&self) -> Result<&str, crate::slack::SlackError> {
        self.own_bot_id
            .get_or_try_init(|| async {
                let me = self.slack.identify().await?;
                Ok(me.bot_id.unwrap_or_default())
            })
            .await
            .map(String::as_str)
    }

    /// Who may decide tasks besides the one who asked, and how long approved tasks are followed.
    pub fn with_approvals(mut self, approvals: ApprovalSettings) -> Self {
        self.approvals = approvals;
        self
    }

    /// Streams answers with these settings (off unless set).
    pub fn with_streaming(mut self, streaming: StreamSettings) -> Self {
        self.streaming = streaming;
        self
    }

    /// Caps requests to Lexi per user and per workspace.
    pub fn with_quota(mut self, quota: Quota) -> Self {
        self.quota = quota;
        self
    }

    /// How often prompts are offered in the DM.
    pub fn with_agent_surface(mut self, agent_surface: AgentSurfaceSettings) -> Self {
        self.agent_surface = agent_surface;
        self
    }

    /// What a Slack failure means for a job: try again if it may help and attempts are left,
    /// else log it and give up (the user-facing work is best effort at that point).
    fn after_slack(
        &self,
        attempts: u32,
        result: Result<(), crate::slack::SlackError>,
        what: &str,
    ) -> Outcome {
        match result {
            Ok(()) => Outcome::Done,
            Err(error) if error.is_retryable() && self.retry.may_retry(attempts) => {
                Outcome::RetryAfter(self.retry.delay(attempts, error.retry_after()))
            }
            Err(error) => {
                tracing::warn!(%error, "{what}");
                Outcome::Failed {
                    reason: FailReason::of_slack(&error),
                }
            }
        }
    }

    /// Logs a refused LeadLex key as an error the first time, as a warning after that.
    fn report_key_refused(&self, error: &crate::leadlex::LeadLexError) {
        if self.key_refused_reported.swap(true, Ordering::Relaxed) {
            tracing::warn!(%error, "LeadLex still refuses the API key");
        } else {
            tracing::error!(
                %error,
                "LeadLex refused LEADLEX_API_KEY: every Lexi request will fail until the key is fixed"
            );
        }
    }
}

/// What the placeholder waits for by default: long enough for a quick answer to come first,
/// short enough that a rep never wonders whether the bot heard them.
pub const DEFAULT_PLACEHOLDER_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// How a run of a job ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Finished: answered, or the user was told why not. Remove the job.
    Done,
    /// Try again after this long; progress so far is saved in the record.
    RetryAfter(Duration),
    /// Not a failure: there is nothing to do yet (a task still running). Run again after this
    /// long without counting an attempt.
    Later(Duration),
    /// Finished, and this job (already admitted to the store) takes over: the worker queues
    /// it now instead of at the next start. Discussing follow-ups with Lexi hands over to a
    /// conversation job this way.
    Handoff(Box<JobRecord>),
    /// Given up because of an error (whether or not the user could be told): removed like
    /// `Done`, but counted as failed, so an operator sees it.
    Failed { reason: FailReason },
}

impl Outcome {
    /// A give-up that still told the user ended `Done`: it is a failure all the same. A retry,
    /// or a failure of the telling itself, stays what it is.
    pub(crate) fn failed_if_done(self, reason: FailReason) -> Outcome {
        match self {
            Outcome::Done => Outcome::Failed { reason },
            other => other,
        }
    }
}

/// Why a job was given up on: the closed set of `lexi_jobs_failed_total`'s `reason` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailReason {
    /// LeadLex said no for good: key, permission, credits, a request it won't take.
    LeadLexRefused,
    /// LeadLex kept failing in ways that can pass (timeouts, 5xx, 429) until the retries ran out
    /// or it asked for a longer wait than a reply may take.
    LeadLexUnavailable,
    /// Slack said no for good: not in the channel, token revoked, message gone…
    SlackRefused,
    /// Slack kept failing in ways that can pass until the retries ran out.
    SlackUnavailable,
    /// The bot's own database kept failing until the retries ran out.
    StoreUnavailable,
    /// The job's last attempt panicked.
    Panicked,
}

impl FailReason {
    pub fn as_str(self) -> &'static str {
        match self {
            FailReason::LeadLexRefused => "leadlex_refused",
            FailReason::LeadLexUnavailable => "leadlex_unavailable",
            FailReason::SlackRefused => "slack_refused",
            FailReason::SlackUnavailable => "slack_unavailable",
            FailReason::StoreUnavailable => "store_unavailable",
            FailReason::Panicked => "panicked",
        }
    }

    /// Why a job that stops on this LeadLex error failed.
    pub(crate) fn of_leadlex(error: &crate::leadlex::LeadLexError) -> Self {
        if error.is_retryable() {
            FailReason::LeadLexUnavailable
        } else {
            FailReason::LeadLexRefused
        }
    }

    /// Why a job that stops on this Slack error failed.
    pub(crate) fn of_slack(error: &crate::slack::SlackError) -> Self {
        if error.is_retryable() {
            FailReason::SlackUnavailable
        } else {
            FailReason::SlackRefused
        }
    }
}

/// Runs one attempt of a job. Progress is saved into `record` (and the store) as it is made.
pub async fn run(deps: &Deps, record: &mut JobRecord) -> Outcome {
    // Over a request cap: the user is told when to try again, and Lexi is not asked.
    if let Some(outcome) = quota::check(deps, record).await {
        return outcome;
    }
    match record.job {
        Job::Converse(_) => converse::run(deps, record).await,
        Job::DecideTask(_) => decide::run(deps, record).await,
        Job::FollowTask(_) => follow_task::run(deps, record).await,
        Job::ApprovalNotice(_) => approval_notice::run(deps, record).await,
        Job::ListTasks(_) => tasks_command::run(deps, record).await,
        Job::Followups(_) => followups::run(deps, record).await,
        Job::FeedbackThanks(_) => feedback::run(deps, record).await,
        Job::SuggestPrompts(_) => agent_surface::run(deps, record).await,
    }
}
