//! Events API bodies (JSON) → what the bot should do: the one boundary between Slack's event shapes and the domain.

use super::markup::to_plain_text;
use crate::domain::agent_surface::SuggestPrompts;
use crate::domain::{
    ChannelId, ChannelKind, Converse, EventId, InvalidId, MessageTs, TeamId, ThreadKey, ThreadTs,
    UserId,
};
use slack_morphism::prelude::{
    SlackEventCallbackBody, SlackMessageEventType, SlackPushEvent, SlackPushEventCallback,
};

/// One Events API request, understood.
#[derive(Debug, PartialEq)]
pub enum EventsRequest {
    /// Slack checking the Request URL; answered with the challenge.
    UrlVerification { challenge: String },
    /// An event; `action` says what, if anything, it asks of the bot.
    Callback {
        event_id: EventId,
        action: EventAction,
    },
    /// Slack telling us it dropped events for a minute (logged, nothing to do).
    AppRateLimited,
}

#[derive(Debug, PartialEq)]
pub enum EventAction {
    /// A message for Lexi. `only_in_known_thread`: a plain thread reply in a channel, which is
    /// for Lexi only when the thread already is a Lexi conversation.
    Converse {
        converse: Box<Converse>,
        only_in_known_thread: bool,
    },
    /// A rep opened their DM with Lexi (or, legacy, an assistant thread): offer prompts.
    SuggestPrompts(SuggestPrompts),
    /// Nothing to do; the reason goes to the debug log.
    Ignore(&'static str),
}

#[derive(Debug, thiserror::Error)]
pub enum EventsError {
    #[error("body is not an Events API payload: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error("event carries an invalid id: {0}")]
    InvalidId(#[from] InvalidId),
}

/// Parses a verified Events API body.
pub fn parse_events_request(body: &[u8]) -> Result<EventsRequest, EventsError> {
    let push: SlackPushEvent = serde_json::from_slice(body)?;
    Ok(match push {
        SlackPushEvent::UrlVerification(v) => EventsRequest::UrlVerification {
            challenge: v.challenge,
        },
        SlackPushEvent::AppRateLimited(_) => EventsRequest::AppRateLimited,
        SlackPushEvent::EventCallback(callback) => EventsRequest::Callback {
            event_id: EventId::parse(&callback.event_id.0)?,
            action: action_for(&callback)?,
        },
    })
}

fn action_for(callback: &SlackPushEventCallback) -> Result<EventAction, InvalidId> {
    let team = TeamId::parse(&callback.team_id.0)?;
    // The installation's bot user is in `authorizations`; its mentions are addressed to us.
    let bot_user = callback
        .authorizations
        .iter()
        .flatten()
        .find(|a| a.is_bot.unwrap_or(false))
        .map(|a| a.user_id.0.as_str());

    match &callback.event {
        SlackEventCallbackBody::AppMention(mention) => {
            let message_ts = MessageTs::parse(&mention.origin.ts.0)?;
            let thread_ts = match &mention.origin.thread_ts {
                Some(root) => ThreadTs::parse(&root.0)?,
                None => ThreadTs::rooted_at(&message_ts),
            };
            let text = mention.content.text.as_deref().unwrap_or_default();
            Ok(EventAction::Converse {
                converse: Box::new(Converse {
                    thread: ThreadKey {
                        team,
                        channel: ChannelId::parse(&mention.channel.0)?,
                        thread_ts,
                    },
                    message_ts,
                    user: UserId::parse(&mention.user.0)?,
                    text: plain_text(text, bot_user),
                    channel_kind: ChannelKind::Channel,
                    progress: Default::default(),
                }),
                only_in_known_thread: false,
            })
        }
        SlackEventCallbackBody::Message(message) => {
            let human_subtype = match &message.subtype {
                None => true,
                Some(SlackMessageEventType::ThreadBroadcast | SlackMessageEventType::FileShare) => {
                    true
                }
                Some(_) => false,
            };
            if !human_subtype {
                return Ok(EventAction::Ignore(
                    "message subtype (edit, delete, join, bot…)",
                ));
            }
            if message.sender.bot_id.is_some() {
                return Ok(EventAction::Ignore("message from a bot"));
            }
            let Some(user) = &message.sender.user else {
                return Ok(EventAction::Ignore("message without a user"));
            };
            if Some(user.0.as_str()) == bot_user {
                return Ok(EventAction::Ignore("our own message"));
            }
            let Some(channel) = &message.origin.channel else {
                return Ok(EventAction::Ignore("message without a channel"));
            };
            let channel_type = message.origin.channel_type.as_ref().map(|t| t.0.as_str());
            let message_ts = MessageTs::parse(&message.origin.ts.0)?;
            let root = message.origin.thread_ts.as_ref().map(|t| t.0.as_str());
            let is_thread_reply = root.is_some_and(|root| root != message_ts.as_str());
            let (channel_kind, only_in_known_thread) = match channel_type {
                Some("im") => (ChannelKind::DirectMessage, false),
                _ if is_thread_reply => (ChannelKind::Channel, true),
                _ => return Ok(EventAction::Ignore("channel message outside a thread")),
            };
            let thread_ts = match root {
                Some(root) => ThreadTs::parse(root)?,
                None => ThreadTs::rooted_at(&message_ts),
            };
            let text = message
                .content
                .as_ref()
                .and_then(|c| c.text.as_deref())
                .unwrap_or_default();
            Ok(EventAction::Converse {
                converse: Box::new(Converse {
                    thread: ThreadKey {
                        team,
                        channel: ChannelId::parse(&channel.0)?,
                        thread_ts,
                    },
                    message_ts,
                    user: UserId::parse(&user.0)?,
                    text: plain_text(text, bot_user),
                    channel_kind,
                    progress: Default::default(),
                }),
                only_in_known_thread,
            })
        }
        // Under `agent_view`, opening the Messages tab (the DM) is the moment to offer prompts.
        SlackEventCallbackBody::AppHomeOpened(opened) => {
            if opened.tab.as_deref() != Some("messages") {
                return Ok(EventAction::Ignore(
                    "app home opened on a tab other than Messages",
                ));
            }
            Ok(EventAction::SuggestPrompts(SuggestPrompts {
                team,
                user: UserId::parse(&opened.user.0)?,
                channel: ChannelId::parse(&opened.channel.0)?,
                thread_ts: None,
            }))
        }
        // The legacy assistant pane (`assistant_view`) opens each conversation as a thread.
        SlackEventCallbackBody::AssistantThreadStarted(started) => {
            let thread = &started.assistant_thread;
            Ok(EventAction::SuggestPrompts(SuggestPrompts {
                team,
                user: UserId::parse(&thread.user_id.0)?,
                channel: ChannelId::parse(&thread.channel_id.0)?,
                thread_ts: Some(ThreadTs::parse(&thread.thread_ts.0)?),
            }))
        }
        _ => Ok(EventAction::Ignore("event type the bot does not handle")),
    }
}

/// Lexi gets what the user typed: no mention of the bot, no Slack markup.
fn plain_text(text: &str, bot_user: Option<&str>) -> String {
    let text = match bot_user {
        Some(_) => text,
        // Without the authorizations block we still know an app_mention starts with our mention.
        None => strip_leading_mention(text),
    };
    to_plain_text(text, bot_user)
}

fn strip_leading_mention(text: &str) -> &str {
    let trimmed = text.trim_start();
    if trimmed.starts_with("<@")
        && let Some(end) = trimmed.find('>')
    {
        return &trimmed[end + 1..];
    }
    text
}

#[cfg(test)]
#[path = "events_tests.rs"]
mod tests;
