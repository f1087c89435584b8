//! The Slack Web API calls the bot makes, in the domain's words, over slack-morphism's typed methods.

use super::connector::ReqwestConnector;
use super::error::{SlackError, SlackErrorKind};
use super::reply_tag::ReplyTag;
use super::response_url::ResponseUrlPolicy;
use crate::domain::{ChannelId, MessageTs, ThreadTs, UserId};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use slack_morphism::prelude::*;
use std::time::Duration;

/// A message as the bot sends it: blocks, plus the plain text Slack shows in notifications.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutgoingMessage {
    pub text: String,
    pub blocks: Vec<SlackBlock>,
}

/// How a `response_url` message is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseType {
    Ephemeral,
    InChannel,
}

/// A message sent through a `response_url` (slash commands and button clicks).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Response {
    #[serde(flatten)]
    pub message: OutgoingMessage,
    pub response_type: ResponseType,
    /// Replace the message the button was clicked in, instead of adding one.
    pub replace_original: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_ts: Option<String>,
}

/// Who the bot is in its workspace (`auth.test`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotIdentity {
    pub user_id: String,
    pub bot_id: Option<String>,
    pub team_id: String,
    pub team: String,
    pub url: String,
}

#[derive(Clone)]
pub struct WebApi {
    client: SlackClient<ReqwestConnector>,
    token: SlackApiToken,
    response_urls: ResponseUrlPolicy,
}

impl std::fmt::Debug for WebApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebApi(..)")
    }
}

impl WebApi {
    /// `api_url` is `https://slack.com/api` or a simulator's; method names are appended.
    pub fn new(
        api_url: &str,
        bot_token: &SecretString,
        timeout: Duration,
    ) -> Result<Self, reqwest::Error> {
        let http = crate::outbound::client(timeout)?;
        let token = SlackApiToken::new(SlackApiTokenValue(bot_token.expose_secret().to_owned()));
        Ok(Self {
            client: SlackClient::new(ReqwestConnector::new(http, api_url)),
            token,
            response_urls: ResponseUrlPolicy::new(api_url),
        })
    }

    /// Counts every Slack call, by method and status, with its latency, in `metrics`.
    pub fn with_metrics(mut self, metrics: std::sync::Arc<crate::metrics::Metrics>) -> Self {
        let connector = self.client.http_api.connector.as_ref().clone();
        self.client = SlackClient::new(connector.with_metrics(metrics));
        self
    }

    fn session(&self) -> SlackClientSession<'_, ReqwestConnector> {
        self.client.open_session(&self.token)
    }

    /// `chat.postMessage` into a thread, marked with the job it belongs to (see [`ReplyTag`]:
    /// every message the bot posts in a thread carries one, so a job re-run after a crash can
    /// tell its own messages from everything else); returns the new message's ts.
    pub async fn post_in_thread(
        &self,
        channel: &ChannelId,
        thread: &ThreadTs,
        message: &OutgoingMessage,
        tag: &ReplyTag,
    ) -> Result<MessageTs, SlackError> {
        self.post(channel, Some(thread), message, Some(tag)).await
    }

    /// `chat.postMessage`, in a thread or (without one) at the top of the channel.
    pub(super) async fn post(
        &self,
        channel: &ChannelId,
        thread: Option<&ThreadTs>,
        message: &OutgoingMessage,
        tag: Option<&ReplyTag>,
    ) -> Result<MessageTs, SlackError> {
        const METHOD: &str = "chat.postMessage";
        let request =
            SlackApiChatPostMessageRequest::new(channel_id(channel), content(message, tag))
                .opt_thread_ts(thread.map(|t| SlackTs(t.to_string())));
        let response = self
            .session()
            .chat_post_message(&request)
            .await
            .map_err(|e| SlackError::from_client(METHOD, e))?;
        MessageTs::parse(&response.ts.0).map_err(|_| SlackError {
            method: METHOD,
            kind: SlackErrorKind::Decode("ts".into()),
        })
    }

    /// `chat.update`: replaces a message the bot posted (its metadata stays as it was).
    pub async fn update(
        &self,
        channel: &ChannelId,
        ts: &MessageTs,
        message: &OutgoingMessage,
    ) -> Result<(), SlackError> {
        self.update_tagged(channel, ts, message, None).await
    }

    /// `chat.update` that also re-tags the message (`None` keeps its metadata).
    pub async fn update_tagged(
        &self,
        channel: &ChannelId,
        ts: &MessageTs,
        message: &OutgoingMessage,
        tag: Option<&ReplyTag>,
    ) -> Result<(), SlackError> {
        let request = SlackApiChatUpdateRequest::new(
            channel_id(channel),
            content(message, tag),
            SlackTs(ts.to_string()),
        );
        self.session()
            .chat_update(&request)
            .await
            .map_err(|e| SlackError::from_client("chat.update", e))?;
        Ok(())
    }

    /// `chat.postEphemeral`: a message only `user` sees.
    pub async fn post_ephemeral(
        &self,
        channel: &ChannelId,
        user: &UserId,
        thread: Option<&ThreadTs>,
        message: &OutgoingMessage,
    ) -> Result<(), SlackError> {
        let request = SlackApiChatPostEphemeralRequest::new(
            channel_id(channel),
            SlackUserId(user.to_string()),
            content(message, None),
        )
        .opt_thread_ts(thread.map(|t| SlackTs(t.to_string())));
        self.session()
            .chat_post_ephemeral(&request)
            .await
            .map_err(|e| SlackError::from_client("chat.postEphemeral", e))?;
        Ok(())
    }

    /// Posts to a `response_url` (no token: the URL itself is the credential). Only Slack's
    /// hooks host and the configured API's origin are posted to (see [`ResponseUrlPolicy`]).
    pub async fn respond(&self, response_url: &str, response: &Response) -> Result<(), SlackError> {
        const METHOD: &str = "response_url";
        if !self.response_urls.allows(response_url) {
            return Err(SlackError {
                method: METHOD,
                kind: SlackErrorKind::Api {
                    code: "untrusted_response_url".into(),
                    detail: Vec::new(),
                },
            });
        }
        let url = response_url.parse().map_err(|_| SlackError {
            method: METHOD,
            kind: SlackErrorKind::Decode("response_url".into()),
        })?;
        let span = tracing::Span::current();
        let context = SlackClientApiCallContext {
            rate_control_params: None,
            token: None,
            tracing_span: &span,
            is_sensitive_url: true,
        };
        let _: serde_json::Value = self
            .client
            .http_api
            .connector
            .http_post_uri(url, response, context)
            .await
            .map_err(|e| SlackError::from_client(METHOD, e))?;
        Ok(())
    }

    /// `auth.test`: the bot's user id, bot id and workspace.
    pub async fn identify(&self) -> Result<BotIdentity, SlackError> {
        let r = self
            .session()
            .auth_test()
            .await
            .map_err(|e| SlackError::from_client("auth.test", e))?;
        Ok(BotIdentity {
            user_id: r.user_id.0,
            bot_id: r.bot_id.map(|b| b.0),
            team_id: r.team_id.0,
            team: r.team,
            url: r.url.0.to_string(),
        })
    }

    /// For the other rooms' calls (assistant threads, streams) that use slack-morphism directly.
    pub fn with_session<'a>(&'a self) -> SlackClientSession<'a, ReqwestConnector> {
        self.session()
    }
}

fn channel_id(channel: &ChannelId) -> SlackChannelId {
    SlackChannelId(channel.to_string())
}

fn content(message: &OutgoingMessage, tag: Option<&ReplyTag>) -> SlackMessageContent {
    SlackMessageContent::new()
        .with_text(message.text.clone())
        .with_blocks(message.blocks.clone())
        .opt_metadata(tag.map(ReplyTag::to_metadata))
}
