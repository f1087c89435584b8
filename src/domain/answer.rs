//! What Lexi says back, and the tasks it asks people to approve.

use super::ids::{ConversationId, TaskId};
use serde::{Deserialize, Serialize};

/// One answer from Lexi to one message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LexiAnswer {
    /// Markdown, as Lexi wrote it.
    pub text: String,
    pub conversation_id: ConversationId,
    /// Present when Lexi proposes a task that someone has to approve before it runs.
    pub task_needing_approval: Option<TaskId>,
}

/// Where a Lexi task is in its life: pending → approved → completed | failed, or pending → dismissed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Pending,
    Approved,
    Dismissed,
    Completed,
    Failed,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 5] = [
        TaskStatus::Pending,
        TaskStatus::Approved,
        TaskStatus::Dismissed,
        TaskStatus::Completed,
        TaskStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Pending => "pending",
            TaskStatus::Approved => "approved",
            TaskStatus::Dismissed => "dismissed",
            TaskStatus::Completed => "completed",
            TaskStatus::Failed => "failed",
        }
    }
}

/// A task as LeadLex lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: TaskId,
    /// `prospect_search`, `campaign_start`, `contact_update`, `list_operation`, or newer kinds.
    pub kind: String,
    pub status: TaskStatus,
    pub description: String,
    pub created_at: Option<String>,
    pub metadata: serde_json::Value,
}
