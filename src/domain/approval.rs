//! Approvals: a Lexi task waiting for a sales team's decision in Slack, and the one decision made.

use super::answer::{Task, TaskStatus};
use super::ids::{ChannelId, ConversationId, MessageTs, TaskId, TeamId, ThreadTs, UserId};
use serde::{Deserialize, Serialize};

/// What a person decided about a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approve,
    Deny,
}

impl Verdict {
    pub fn past_tense(self) -> &'static str {
        match self {
            Verdict::Approve => "approved",
            Verdict::Deny => "denied",
        }
    }
}

/// Who decided what, and when (Unix milliseconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub verdict: Verdict,
    pub by: UserId,
    pub at_ms: u64,
}

/// Where an approval is in its life. Only `Pending` shows buttons; only a click on a `Pending`
/// approval can make a decision, and the store moves it on atomically.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ApprovalState {
    /// Waiting for someone allowed to decide.
    Pending,
    /// Decided in Slack; LeadLex is being told.
    Deciding { decision: Decision },
    /// LeadLex took the decision.
    Decided { decision: Decision },
    /// LeadLex says the task is past deciding (`status`), or no longer exists (`None`).
    Closed { status: Option<TaskStatus> },
}

impl ApprovalState {
    /// The decision made in Slack, whether or not LeadLex has taken it yet.
    pub fn decision(&self) -> Option<&Decision> {
        match self {
            ApprovalState::Deciding { decision } | ApprovalState::Decided { decision } => {
                Some(decision)
            }
            ApprovalState::Pending | ApprovalState::Closed { .. } => None,
        }
    }
}

/// How an approved task ended, as far as the bot followed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskOutcome {
    Completed,
    Failed,
    /// Still running when the bot stopped following it.
    Unknown,
}

/// What the approval card says about the task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskSummary {
    /// LeadLex's task type (`prospect_search`, …), when LeadLex listed the task.
    pub kind: Option<String>,
    pub description: String,
    /// Lexi credits the task may cost, when known.
    pub credits: Option<u64>,
}

/// LeadLex documents 5 credits for a prospect search; other kinds state no price.
const KNOWN_COSTS: &[(&str, u64)] = &[("prospect_search", 5)];
/// Metadata fields a task may state its own cost in.
const COST_FIELDS: &[&str] = &[
    "credits",
    "estimated_credits",
    "credit_cost",
    "cost_credits",
];

impl TaskSummary {
    pub fn of(task: &Task) -> Self {
        let stated = COST_FIELDS
            .iter()
            .find_map(|field| task.metadata.get(*field).and_then(|v| v.as_u64()));
        let by_kind = KNOWN_COSTS
            .iter()
            .find(|(kind, _)| *kind == task.kind)
            .map(|(_, cost)| *cost);
        Self {
            kind: Some(task.kind.clone()).filter(|k| !k.is_empty()),
            description: task.description.clone(),
            credits: stated.or(by_kind),
        }
    }
}

/// A task someone must decide on, as the bot files it (keyed by task id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Approval {
    pub task: TaskId,
    pub team: TeamId,
    /// Who asked Lexi (or listed the task): they may decide, besides the configured approvers.
    pub requester: UserId,
    /// Where the task was proposed, and where its outcome is posted.
    pub channel: ChannelId,
    /// The thread, when the task came from a conversation with Lexi.
    pub thread_ts: Option<ThreadTs>,
    pub conversation: Option<ConversationId>,
    /// The bot's message that carries the card, once posted.
    pub message_ts: Option<MessageTs>,
    /// Lexi's words shown above the card in that message, so an update can show them again.
    pub lead_markdown: Option<String>,
    pub summary: TaskSummary,
    pub state: ApprovalState,
    #[serde(default)]
    pub outcome: Option<TaskOutcome>,
    pub created_ms: u64,
}

impl Approval {
    /// The person who asked, or anyone in the configured approvers.
    pub fn may_decide(&self, user: &UserId, approvers: &[UserId]) -> bool {
        *user == self.requester || approvers.contains(user)
    }
}

/// Where a click came from, so the clicked message can be answered or replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClickOrigin {
    /// The click's `response_url` (valid for 30 minutes, 5 uses).
    pub response_url: Option<String>,
    pub channel: Option<ChannelId>,
    pub message_ts: Option<MessageTs>,
    /// Clicked in an ephemeral message (a `/lexi tasks` listing).
    pub ephemeral: bool,
}

/// An allowed click, recorded: tell LeadLex and update the message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecideTask {
    pub task: TaskId,
    pub decision: Decision,
    pub origin: ClickOrigin,
    #[serde(default)]
    pub progress: DecideProgress,
}

/// What a run of a [`DecideTask`] has done, so a re-run never calls LeadLex twice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DecideProgress {
    /// Set (with the approval's new state, atomically) once LeadLex has answered for good.
    pub result: Option<DecideResult>,
}

/// How LeadLex took a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum DecideResult {
    /// LeadLex approved or dismissed the task.
    Accepted,
    /// The task was no longer pending (`status` as LeadLex lists it) or no longer exists.
    AlreadyClosed { status: Option<TaskStatus> },
    /// LeadLex refused or never answered; the decision was rolled back and the buttons return.
    Refused { explanation: String },
}

/// An approved task, watched until it completes or fails, or the follow limit passes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowTask {
    pub task: TaskId,
    /// When following began (Unix ms): the limit counts from here, across restarts.
    pub since_ms: u64,
    /// Rounds of polling so far; the wait between rounds grows with it.
    pub rounds: u32,
    /// The outcome is in the thread; only the card update may be left.
    #[serde(default)]
    pub reported: bool,
}

/// Why a click decides nothing, told to the clicker only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum NoticeReason {
    NotAllowed { requester: UserId },
    AlreadyDecided { decision: Decision },
    Closed { status: Option<TaskStatus> },
}

/// A short ephemeral answer to a click that decides nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalNotice {
    pub task: TaskId,
    pub user: UserId,
    pub origin: ClickOrigin,
    pub reason: NoticeReason,
}

/// `/lexi tasks`: the workspace's pending tasks, each with its buttons, for the one who asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListTasks {
    pub team: TeamId,
    pub channel: ChannelId,
    pub user: UserId,
    pub response_url: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn task(kind: &str, metadata: serde_json::Value) -> Task {
        Task {
            id: TaskId::parse("t-1").unwrap(),
            kind: kind.into(),
            status: TaskStatus::Pending,
            description: "Search for CEOs".into(),
            created_at: None,
            metadata,
        }
    }

    #[test]
    fn a_tasks_cost_comes_from_its_metadata_or_its_kind() {
        assert_eq!(
            TaskSummary::of(&task("prospect_search", json!({}))).credits,
            Some(5)
        );
        assert_eq!(
            TaskSummary::of(&task("list_operation", json!({"estimated_credits": 2}))).credits,
            Some(2)
        );
        assert_eq!(
            TaskSummary::of(&task("contact_update", json!({}))).credits,
            None
        );
    }

    #[test]
    fn the_requester_and_approvers_may_decide_and_nobody_else() {
        let user = |id: &str| UserId::parse(id).unwrap();
        let approval = Approval {
            task: TaskId::parse("t-1").unwrap(),
            team: TeamId::parse("T1").unwrap(),
            requester: user("U0REP"),
            channel: ChannelId::parse("C1").unwrap(),
            thread_ts: None,
            conversation: None,
            message_ts: None,
            lead_markdown: None,
            summary: TaskSummary::of(&task("prospect_search", json!({}))),
            state: ApprovalState::Pending,
            outcome: None,
            created_ms: 0,
        };
        let approvers = [user("U0BOSS")];
        assert!(approval.may_decide(&user("U0REP"), &approvers));
        assert!(approval.may_decide(&user("U0BOSS"), &approvers));
        assert!(!approval.may_decide(&user("U0OTHER"), &approvers));
    }
}
