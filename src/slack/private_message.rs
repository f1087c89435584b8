//! A message only one person sees: through a click's or command's `response_url` when there is
//! one (it works even where the bot can't post), else `chat.postEphemeral`.

use super::error::SlackError;
use super::web_api::{OutgoingMessage, Response, ResponseType, WebApi};
use crate::domain::{ChannelId, ThreadTs, UserId};

/// Where a private message can reach someone.
pub struct PrivateRecipient<'a> {
    pub response_url: Option<&'a str>,
    pub channel: Option<&'a ChannelId>,
    pub user: &'a UserId,
    pub thread: Option<&'a ThreadTs>,
}

impl WebApi {
    /// Shows `message` to the recipient alone. A `response_url` that refuses for good (expired
    /// after 30 minutes, used 5 times) falls back to `chat.postEphemeral`; errors worth retrying
    /// are returned as they are, so the caller's job can try again.
    pub async fn tell_privately(
        &self,
        to: &PrivateRecipient<'_>,
        message: &OutgoingMessage,
    ) -> Result<(), SlackError> {
        if let Some(url) = to.response_url {
            let response = Response {
                message: message.clone(),
                response_type: ResponseType::Ephemeral,
                replace_original: false,
                thread_ts: None,
            };
            match self.respond(url, &response).await {
                Ok(()) => return Ok(()),
                Err(error) if error.is_retryable() => return Err(error),
                Err(error) => tracing::info!(%error, "response_url refused; posting ephemerally"),
            }
        }
        match to.channel {
            Some(channel) => {
                self.post_ephemeral(channel, to.user, to.thread, message)
                    .await
            }
            None => {
                tracing::info!("no channel to post the private message in");
                Ok(())
            }
        }
    }
}
