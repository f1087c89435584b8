//! Everything that speaks Slack: signatures, payloads, Block Kit, the Web API.

pub mod markup;
pub mod mrkdwn;
pub mod split;
