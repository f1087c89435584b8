//! The agent surface's own work: suggested prompts for a rep who opens their DM with Lexi.

use super::ids::{ChannelId, TeamId, ThreadTs, UserId};
use serde::{Deserialize, Serialize};

/// Offer a rep the suggested prompts (prospect search, campaigns, follow-ups, approvals).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestPrompts {
    pub team: TeamId,
    pub user: UserId,
    /// The rep's DM with Lexi.
    pub channel: ChannelId,
    /// The legacy assistant pane's thread (`assistant_thread_started`). `None` under
    /// `agent_view`: the prompts belong to the Messages tab, and sending a `thread_ts` there
    /// makes Slack drop the call silently.
    pub thread_ts: Option<ThreadTs>,
}

impl SuggestPrompts {
    /// One lane per rep: a second open waits for the first, which may already have offered.
    pub fn lane(&self) -> String {
        format!("prompts:{}/{}", self.team, self.user)
    }
}
