//! A thumbs up or down on an answer: recorded in the store at once, thanks queued as a job
//! (once: a click delivered twice changes nothing and is not thanked again).

use super::{AppState, admit, bad_request, internal};
use crate::domain::feedback::{Feedback, FeedbackThanks};
use crate::domain::{ChannelId, Job, MessageTs, TeamId, ThreadKey, ThreadTs, UserId};
use crate::slack::feedback_blocks::{NEGATIVE, POSITIVE};
use crate::store::now_ms;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Payload {
    team: Option<IdField>,
    user: IdField,
    container: Container,
    response_url: Option<String>,
    actions: Vec<ActionField>,
}

#[derive(Debug, Deserialize)]
struct IdField {
    id: String,
}

#[derive(Debug, Deserialize)]
struct Container {
    message_ts: String,
    channel_id: String,
    thread_ts: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ActionField {
    value: String,
}

/// A thumbs click, read and checked; the `response_url` still has to pass the policy.
#[derive(Debug)]
pub(super) struct Click {
    pub positive: bool,
    pub user: UserId,
    pub channel: ChannelId,
    pub message_ts: MessageTs,
    pub team: Option<TeamId>,
    pub thread_ts: Option<ThreadTs>,
    pub response_url: Option<String>,
}

pub(super) fn parse(payload: &str) -> Result<Click, &'static str> {
    let p = serde_json::from_str::<Payload>(payload)
        .map_err(|_| "feedback click is not a block_actions payload")?;
    let positive = match p.actions.first().map(|a| a.value.as_str()) {
        Some(POSITIVE) => true,
        Some(NEGATIVE) => false,
        _ => return Err("feedback click has no known value"),
    };
    let parsed = (
        UserId::parse(&p.user.id),
        ChannelId::parse(&p.container.channel_id),
        MessageTs::parse(&p.container.message_ts),
    );
    let (Ok(user), Ok(channel), Ok(message_ts)) = parsed else {
        return Err("feedback click carries an invalid id");
    };
    Ok(Click {
        positive,
        user,
        channel,
        message_ts,
        team: p.team.and_then(|t| TeamId::parse(&t.id).ok()),
        thread_ts: p.container.thread_ts.and_then(|t| ThreadTs::parse(&t).ok()),
        response_url: p.response_url,
    })
}

pub(super) async fn handle(state: &AppState, payload: &str) -> Response {
    let Click {
        positive,
        user,
        channel,
        message_ts,
        team,
        thread_ts,
        response_url,
    } = match parse(payload) {
        Ok(click) => click,
        Err(reason) => return bad_request(reason),
    };
    let response_url = response_url.filter(|u| state.response_urls.allows(u));
    let conversation = match (&team, &thread_ts) {
        (Some(team), Some(thread_ts)) => state
            .store
            .conversation(&ThreadKey {
                team: team.clone(),
                channel: channel.clone(),
                thread_ts: thread_ts.clone(),
            })
            .ok()
            .flatten(),
        _ => None,
    };
    let feedback = Feedback {
        team,
        channel: channel.clone(),
        message_ts,
        thread_ts: thread_ts.clone(),
        conversation,
        user: user.clone(),
        positive,
        at_ms: now_ms(),
    };
    match state.store.record_feedback(&feedback) {
        Ok(true) => {}
        Ok(false) => {
            tracing::debug!(%user, positive, "repeated feedback click; already thanked");
            return StatusCode::OK.into_response();
        }
        Err(error) => return internal(error),
    }
    tracing::info!(%user, positive, "feedback on an answer");
    let value = if positive { POSITIVE } else { NEGATIVE };
    (state.metrics).inc(crate::metrics::FEEDBACK_CLICKS, &[("value", value)]);
    let thanks = Job::FeedbackThanks(FeedbackThanks {
        user,
        channel,
        thread_ts,
        response_url,
        positive,
    });
    match admit(state, None, thanks, false).await {
        Ok(_) => StatusCode::OK.into_response(),
        Err(response) => response,
    }
}
