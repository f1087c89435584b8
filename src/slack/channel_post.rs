//! `chat.postMessage` at the top of a channel, for messages that start something (a shared draft, a Lexi discussion).

use super::error::SlackError;
use super::web_api::{OutgoingMessage, WebApi};
use crate::domain::{ChannelId, MessageTs};

impl WebApi {
    /// Posts a new top-level message as the bot; returns its ts (a thread can hang off it).
    pub async fn post_in_channel(
        &self,
        channel: &ChannelId,
        message: &OutgoingMessage,
    ) -> Result<MessageTs, SlackError> {
        self.post(channel, None, message, None).await
    }
}
