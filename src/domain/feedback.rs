//! A rep's thumbs up or down on one of Lexi's answers.

use super::ids::{ChannelId, ConversationId, MessageTs, TeamId, ThreadTs, UserId};
use serde::{Deserialize, Serialize};

/// One click on an answer's feedback buttons; a later click by the same user replaces it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    pub team: Option<TeamId>,
    pub channel: ChannelId,
    /// The answer's message.
    pub message_ts: MessageTs,
    pub thread_ts: Option<ThreadTs>,
    /// The Lexi conversation the thread belongs to, when the bot knows it.
    pub conversation: Option<ConversationId>,
    pub user: UserId,
    pub positive: bool,
    /// Unix milliseconds.
    pub at_ms: u64,
}

/// Thanks, to the one who clicked, in a message only they see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackThanks {
    pub user: UserId,
    pub channel: ChannelId,
    pub thread_ts: Option<ThreadTs>,
    pub response_url: Option<String>,
    pub positive: bool,
}
