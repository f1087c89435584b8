//! The bot's vocabulary: ids, jobs and Lexi's answers, free of any wire format.

pub mod agent_surface;
pub mod answer;
pub mod approval;
pub mod feedback;
pub mod followups;
pub mod ids;
pub mod job;
pub mod utc;

pub use answer::{LexiAnswer, Task, TaskStatus};
pub use approval::{
    Approval, ApprovalNotice, ApprovalState, ClickOrigin, DecideProgress, DecideResult, DecideTask,
    Decision, FollowTask, ListTasks, NoticeReason, TaskOutcome, TaskSummary, Verdict,
};
pub use ids::{
    ChannelId, ContactId, ConversationId, EventId, InvalidId, MessageTs, TaskId, TeamId, ThreadKey,
    ThreadTs, UserId,
};
pub use job::{ChannelKind, Converse, ConverseProgress, Job, JobId, JobRecord};
