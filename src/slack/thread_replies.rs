//! Reading back what the bot posted in a thread (`conversations.replies` with metadata), so a job
//! re-run after a crash can find its own messages by their [`ReplyTag`].

use super::error::{SlackError, SlackErrorKind};
use super::reply_tag::ReplyTag;
use super::web_api::WebApi;
use crate::domain::{ChannelId, MessageTs, ThreadTs};
use slack_morphism::prelude::*;

/// A bot message in a thread, as much as adoption needs of it.
#[derive(Debug, Clone, PartialEq)]
pub struct BotReply {
    pub ts: MessageTs,
    pub bot_id: String,
    pub tag: Option<ReplyTag>,
}

/// Pages read at most: a thread's replies after one message fit in far fewer (200 a page).
const MAX_PAGES: usize = 10;
const PAGE_SIZE: &str = "200";

impl WebApi {
    /// The bot messages in `thread` newer than `after`, oldest first.
    ///
    /// slack-morphism's request has no `include_all_metadata`, without which Slack leaves the
    /// metadata out, so the call is made with our own parameters.
    pub async fn bot_replies_after(
        &self,
        channel: &ChannelId,
        thread: &ThreadTs,
        after: &MessageTs,
    ) -> Result<Vec<BotReply>, SlackError> {
        const METHOD: &str = "conversations.replies";
        let mut replies = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let params: Vec<(&str, Option<&str>)> = vec![
                ("channel", Some(channel.as_str())),
                ("ts", Some(thread.as_str())),
                ("oldest", Some(after.as_str())),
                ("inclusive", Some("false")),
                ("include_all_metadata", Some("true")),
                ("limit", Some(PAGE_SIZE)),
                ("cursor", cursor.as_deref()),
            ];
            let page: SlackApiConversationsRepliesResponse = self
                .with_session()
                .http_session_api
                .http_get(METHOD, &params, None)
                .await
                .map_err(|e| SlackError::from_client(METHOD, e))?;
            for message in page.messages {
                let Some(bot_id) = message.sender.bot_id else {
                    continue;
                };
                let ts = MessageTs::parse(&message.origin.ts.0).map_err(|_| SlackError {
                    method: METHOD,
                    kind: SlackErrorKind::Decode("ts".into()),
                })?;
                // `oldest` is exclusive, but the thread's root comes back whatever its age.
                if ts_order(&ts, after) != std::cmp::Ordering::Greater {
                    continue;
                }
                let tag = message
                    .content
                    .metadata
                    .as_ref()
                    .and_then(ReplyTag::from_metadata);
                replies.push(BotReply {
                    ts,
                    bot_id: bot_id.0,
                    tag,
                });
            }
            cursor = page
                .response_metadata
                .and_then(|m| m.next_cursor)
                .map(|c| c.0)
                .filter(|c| !c.is_empty());
            if cursor.is_none() {
                break;
            }
        }
        replies.sort_by(|a, b| ts_order(&a.ts, &b.ts));
        Ok(replies)
    }
}

/// Slack timestamps are `seconds.micros`; compared as numbers, not strings.
fn ts_order(a: &MessageTs, b: &MessageTs) -> std::cmp::Ordering {
    let key = |ts: &MessageTs| {
        let (s, f) = ts.as_str().split_once('.').unwrap_or((ts.as_str(), ""));
        (s.parse::<u64>().unwrap_or(0), f.parse::<u64>().unwrap_or(0))
    };
    key(a).cmp(&key(b))
}
