//! The agent surface's Web API calls: chat streams, assistant-thread status, title and suggested prompts.

use super::error::{SlackError, SlackErrorKind};
use super::reply_tag::ReplyTag;
use super::web_api::WebApi;
use crate::domain::{ChannelId, MessageTs, TeamId, ThreadTs, UserId};
use serde::Serialize;
use slack_morphism::prelude::*;

/// Whom a stream in a channel is for (Slack requires both outside DMs).
#[derive(Debug, Clone)]
pub struct Recipient<'a> {
    pub user: &'a UserId,
    pub team: &'a TeamId,
}

/// One suggested prompt: the button's title and the message it sends.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SuggestedPrompt {
    pub title: String,
    pub message: String,
}

/// `assistant.threads.setStatus` with `loading_messages`, which slack-morphism's request lacks.
#[derive(Serialize)]
struct SetStatus<'a> {
    channel_id: &'a str,
    thread_ts: &'a str,
    status: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    loading_messages: &'a [&'a str],
}

/// `assistant.threads.setSuggestedPrompts` without a thread: under `agent_view` the prompts are
/// pinned to the Messages tab (slack-morphism's request insists on `thread_ts`).
#[derive(Serialize)]
struct SetPrompts<'a> {
    channel_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    thread_ts: Option<&'a str>,
    prompts: &'a [SuggestedPrompt],
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
}

#[derive(serde::Deserialize)]
struct Empty {}

impl WebApi {
    /// `chat.startStream` in a thread, with the first text; returns the streaming message's ts.
    pub async fn start_stream(
        &self,
        channel: &ChannelId,
        thread: &ThreadTs,
        recipient: Option<Recipient<'_>>,
        markdown: &str,
    ) -> Result<MessageTs, SlackError> {
        const METHOD: &str = "chat.startStream";
        let request = SlackApiChatStartStreamRequest::new(SlackChannelId(channel.to_string()))
            .with_thread_ts(SlackTs(thread.to_string()))
            .with_markdown_text(markdown.to_owned())
            .opt_recipient_user_id(recipient.as_ref().map(|r| SlackUserId(r.user.to_string())))
            .opt_recipient_team_id(recipient.as_ref().map(|r| SlackTeamId(r.team.to_string())));
        let response = self
            .with_session()
            .chat_start_stream(&request)
            .await
            .map_err(|e| SlackError::from_client(METHOD, e))?;
        MessageTs::parse(&response.ts.0).map_err(|_| SlackError {
            method: METHOD,
            kind: SlackErrorKind::Decode("ts".into()),
        })
    }

    /// `chat.appendStream`: more of the answer.
    pub async fn append_stream(
        &self,
        channel: &ChannelId,
        ts: &MessageTs,
        markdown: &str,
    ) -> Result<(), SlackError> {
        let request = SlackApiChatAppendStreamRequest::new(
            SlackChannelId(channel.to_string()),
            SlackTs(ts.to_string()),
        )
        .with_markdown_text(markdown.to_owned());
        self.with_session()
            .chat_append_stream(&request)
            .await
            .map_err(|e| SlackError::from_client("chat.appendStream", e))?;
        Ok(())
    }

    /// `chat.stopStream`: the last text (may be empty), the blocks shown after the answer, and
    /// the job's tag (a stream cannot carry one until it stops: see [`ReplyTag`]).
    pub async fn stop_stream(
        &self,
        channel: &ChannelId,
        ts: &MessageTs,
        markdown: &str,
        blocks: Vec<SlackBlock>,
        tag: Option<&ReplyTag>,
    ) -> Result<(), SlackError> {
        let mut content = SlackMessageContent::new().opt_metadata(tag.map(ReplyTag::to_metadata));
        if !blocks.is_empty() {
            content = content.with_blocks(blocks);
        }
        let request = SlackApiChatStopStreamRequest::new(
            SlackChannelId(channel.to_string()),
            SlackTs(ts.to_string()),
            content,
        );
        // slack-morphism's request has no `markdown_text`; it goes at the top level beside it.
        let body = StopStream {
            request: &request,
            markdown_text: (!markdown.is_empty()).then_some(markdown),
        };
        let _: SlackApiChatStopStreamResponse = self
            .with_session()
            .http_session_api
            .http_post("chat.stopStream", &body, None)
            .await
            .map_err(|e| SlackError::from_client("chat.stopStream", e))?;
        Ok(())
    }

    /// `assistant.threads.setStatus`; an empty `status` clears it.
    pub async fn set_status(
        &self,
        channel: &ChannelId,
        thread: &ThreadTs,
        status: &str,
        loading_messages: &[&str],
    ) -> Result<(), SlackError> {
        let body = SetStatus {
            channel_id: channel.as_str(),
            thread_ts: thread.as_str(),
            status,
            loading_messages,
        };
        let _: Empty = self
            .with_session()
            .http_session_api
            .http_post("assistant.threads.setStatus", &body, None)
            .await
            .map_err(|e| SlackError::from_client("assistant.threads.setStatus", e))?;
        Ok(())
    }

    /// `assistant.threads.setSuggestedPrompts`, for a thread or (without one) the Messages tab.
    pub async fn set_suggested_prompts(
        &self,
        channel: &ChannelId,
        thread: Option<&ThreadTs>,
        title: Option<&str>,
        prompts: &[SuggestedPrompt],
    ) -> Result<(), SlackError> {
        let body = SetPrompts {
            channel_id: channel.as_str(),
            thread_ts: thread.map(ThreadTs::as_str),
            prompts,
            title,
        };
        let _: Empty = self
            .with_session()
            .http_session_api
            .http_post("assistant.threads.setSuggestedPrompts", &body, None)
            .await
            .map_err(|e| SlackError::from_client("assistant.threads.setSuggestedPrompts", e))?;
        Ok(())
    }

    /// `assistant.threads.setTitle`.
    pub async fn set_title(
        &self,
        channel: &ChannelId,
        thread: &ThreadTs,
        title: &str,
    ) -> Result<(), SlackError> {
        let request = SlackApiAssistantThreadSetTitleRequest::new(
            SlackChannelId(channel.to_string()),
            SlackTs(thread.to_string()),
            title.to_owned(),
        );
        self.with_session()
            .assistant_threads_set_title(&request)
            .await
            .map_err(|e| SlackError::from_client("assistant.threads.setTitle", e))?;
        Ok(())
    }
}

#[derive(Serialize)]
struct StopStream<'a> {
    #[serde(flatten)]
    request: &'a SlackApiChatStopStreamRequest,
    #[serde(skip_serializing_if = "Option::is_none")]
    markdown_text: Option<&'a str>,
}
