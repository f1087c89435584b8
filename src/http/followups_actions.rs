//! Clicks on `/followups` buttons (pick a contact, Share, Discuss): checked against what they name, then queued.

use super::{AppState, admit, bad_request};
use crate::domain::followups::{
    CardId, ContactRef, FollowupsCard, FollowupsCommand, FollowupsJob, FollowupsStep, Invocation,
    RequestKey, ResponseUrl, parse,
};
use crate::domain::{ChannelId, Job, TeamId, UserId};
use crate::slack::followup_blocks::{DISCUSS_ACTION, PICK_ACTION, SHARE_ACTION, parse_share_value};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

pub(super) use crate::slack::followup_blocks::ACTION_PREFIX;

/// The parts of a `block_actions` payload these buttons need.
#[derive(Debug, Deserialize)]
struct Click {
    team: Option<Id>,
    user: User,
    channel: Option<Id>,
    container: Option<Container>,
    response_url: Option<String>,
    trigger_id: Option<String>,
    #[serde(default)]
    actions: Vec<Action>,
}

#[derive(Debug, Deserialize)]
struct Id {
    id: String,
}

#[derive(Debug, Deserialize)]
struct User {
    id: String,
    team_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Container {
    message_ts: Option<String>,
    channel_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Action {
    action_id: String,
    #[serde(default)]
    value: String,
}

/// A click on a `/followups` button, read and checked against itself; whether the card it names
/// exists and belongs to the clicker, and whether its `response_url` is trusted, is for `handle`.
#[derive(Debug)]
pub(super) struct FollowupsClick {
    pub team: TeamId,
    pub channel: ChannelId,
    pub user: UserId,
    pub response_url: ResponseUrl,
    /// Slack's id of this click, when it gave one.
    pub trigger: Option<RequestKey>,
    pub action_id: String,
    pub action: ClickAction,
}

#[derive(Debug)]
pub(super) enum ClickAction {
    /// A contact chosen in a picker: the command for it, and the key that makes it run once.
    Pick {
        command: FollowupsCommand,
        picker: Option<RequestKey>,
    },
    Share {
        card: CardId,
        suggestion: usize,
    },
    Discuss {
        card: CardId,
    },
}

pub(super) fn parse_click(payload: &str) -> Result<FollowupsClick, &'static str> {
    let click =
        serde_json::from_str::<Click>(payload).map_err(|_| "follow-ups click is missing fields")?;
    let action = click
        .actions
        .first()
        .ok_or("follow-ups click has no action")?;
    let team = click
        .team
        .as_ref()
        .map(|t| t.id.as_str())
        .or(click.user.team_id.as_deref());
    let channel = click.channel.as_ref().map(|c| c.id.as_str()).or(click
        .container
        .as_ref()
        .and_then(|c| c.channel_id.as_deref()));
    let (Some(Ok(team)), Some(Ok(channel)), Ok(user)) = (
        team.map(TeamId::parse),
        channel.map(ChannelId::parse),
        UserId::parse(&click.user.id),
    ) else {
        return Err("follow-ups click ids are malformed");
    };
    let Some(Ok(response_url)) = click.response_url.as_deref().map(ResponseUrl::parse) else {
        return Err("follow-ups click has no trusted response_url");
    };
    let trigger = click
        .trigger_id
        .as_deref()
        .and_then(|t| RequestKey::new("click", t).ok());
    let action_kind = match action.action_id.as_str() {
        PICK_ACTION => {
            // The value is the command for the chosen contact, checked like typed text.
            let command = match parse(&action.value) {
                Ok(Invocation::Run(command)) if matches!(command.contact, ContactRef::Id(_)) => {
                    command
                }
                _ => return Err("picker value is not a command for a contact id"),
            };
            // One pick per picker: a double click must not spend credits twice.
            let picker = click
                .container
                .as_ref()
                .and_then(|c| c.message_ts.as_deref())
                .and_then(|ts| RequestKey::new("pick", &format!("{channel}/{ts}")).ok());
            ClickAction::Pick { command, picker }
        }
        SHARE_ACTION => {
            let (card, suggestion) =
                parse_share_value(&action.value).ok_or("share value is malformed")?;
            ClickAction::Share { card, suggestion }
        }
        DISCUSS_ACTION => {
            let card = CardId::parse(&action.value).map_err(|_| "discuss value is malformed")?;
            ClickAction::Discuss { card }
        }
        _ => return Err("no such follow-ups button"),
    };
    Ok(FollowupsClick {
        team,
        channel,
        user,
        response_url,
        trigger,
        action_id: action.action_id.clone(),
        action: action_kind,
    })
}

pub(super) async fn handle(state: &AppState, payload: &str) -> Response {
    let FollowupsClick {
        team,
        channel,
        user,
        response_url,
        trigger,
        action_id,
        action,
    } = match parse_click(payload) {
        Ok(click) => click,
        Err(reason) => return bad_request(reason),
    };
    if !state.response_urls.allows(response_url.as_str()) {
        return bad_request("follow-ups click has no trusted response_url");
    }
    let (step, request) = match action {
        ClickAction::Pick { command, picker } => {
            let step = FollowupsStep::Suggest {
                command,
                progress: Default::default(),
            };
            (step, picker.or(trigger))
        }
        ClickAction::Share { card, suggestion } => {
            let card = match owned_card(state, &card, &team, &channel, &user) {
                Ok(card) => card,
                Err(refused) => return refused.into_response(),
            };
            let has_draft = card
                .result
                .suggestions
                .get(suggestion)
                .is_some_and(|s| s.draft.is_some());
            if !has_draft {
                return bad_request("share names a suggestion without a draft");
            }
            let step = FollowupsStep::Share {
                card: card.id,
                suggestion,
                progress: Default::default(),
            };
            (step, trigger)
        }
        ClickAction::Discuss { card } => {
            let card = match owned_card(state, &card, &team, &channel, &user) {
                Ok(card) => card,
                Err(refused) => return refused.into_response(),
            };
            let step = FollowupsStep::Discuss {
                card: card.id,
                progress: Default::default(),
            };
            (step, trigger)
        }
    };

    let job = FollowupsJob {
        team,
        channel,
        user,
        response_url,
        request,
        step,
    };
    match admit(state, None, Job::Followups(job), false).await {
        Ok(admission) => {
            tracing::debug!(action = %action_id, ?admission, "follow-ups click acknowledged");
            StatusCode::OK.into_response()
        }
        Err(response) => response,
    }
}

/// Why a click naming a card is refused.
enum Refused {
    Invalid(&'static str),
    StoreFailed,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::Invalid(reason) => bad_request(reason),
            // A 500 makes Slack show the click failed; clicking again may well work.
            Refused::StoreFailed => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        }
    }
}

/// The card a button names, if it exists and belongs to whoever clicked, where they clicked.
fn owned_card(
    state: &AppState,
    id: &CardId,
    team: &TeamId,
    channel: &ChannelId,
    user: &UserId,
) -> Result<FollowupsCard, Refused> {
    let card = match state.store.card(id) {
        Ok(Some(card)) => card,
        Ok(None) => return Err(Refused::Invalid("unknown or expired follow-ups card")),
        Err(error) => {
            tracing::error!(%error, "cannot read a follow-ups card");
            return Err(Refused::StoreFailed);
        }
    };
    if card.team != *team || card.channel != *channel || card.requester != *user {
        return Err(Refused::Invalid("follow-ups card belongs to someone else"));
    }
    Ok(card)
}
