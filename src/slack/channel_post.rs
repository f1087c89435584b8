//! `chat.postMessage` at the top of a channel, for messages that start something (a shared draft, a Lexi discussion).

use super::error::{SlackError, SlackErrorKind};
use super::web_api::{OutgoingMessage, WebApi};
use crate::domain::{ChannelId, MessageTs};
use slack_morphism::prelude::*;

impl WebApi {
    /// Posts a new top-level message as the bot; returns its ts (a thread can hang off it).
    pub async fn post_in_channel(
        &self,
        channel: &ChannelId,
        message: &OutgoingMessage,
    ) -> Result<MessageTs, SlackError> {
        const METHOD: &str = "chat.postMessage";
        let content = SlackMessageContent::new()
            .with_text(message.text.clone())
            .with_blocks(message.blocks.clone());
        let request =
            SlackApiChatPostMessageRequest::new(SlackChannelId(channel.to_string()), content);
        let response = self
            .with_session()
            .chat_post_message(&request)
            .await
            .map_err(|e| SlackError::from_client(METHOD, e))?;
        MessageTs::parse(&response.ts.0).map_err(|_| SlackError {
            method: METHOD,
            kind: SlackErrorKind::Decode("ts".into()),
        })
    }
}
