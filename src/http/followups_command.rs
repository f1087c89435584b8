//! `/followups`: checked and answered at once ("Looking at…", or how to use it); LeadLex is asked by the worker.

use super::commands::{CommandForm, ephemeral};
use super::{AppState, admit, bad_request};
use crate::domain::followups::{
    FollowupsCommand, FollowupsJob, FollowupsStep, Invocation, ParseError, RequestKey, ResponseUrl,
    SuggestProgress, parse,
};
use crate::domain::{ChannelId, Job, TeamId, UserId};
use crate::slack::markup::to_plain_text;
use axum::response::Response;

pub(super) const COMMAND: &str = "/followups";

const USAGE: &str = "*Usage:* `/followups <contact> [--count N] [--days N] [--channels email,call,meeting,linkedin,whatsapp]`
• `<contact>`: the contact's e-mail, name (quotes welcome) or LeadLex contact id
• `--count`: how many suggestions, 1 to 10 (default 3)
• `--days`: how many days of activity to look at, 1 to 365 (default 60)
• `--channels`: only suggest these channels (default: all five)
Example: `/followups jane@acme.law --count 5 --channels email,call`
Each run uses 2 LeadLex AI credits. Only you see the result.";

/// What a `/followups` form asks for, read before anything is stored.
#[derive(Debug)]
pub(super) enum Understood {
    /// Show how to use it.
    Usage,
    /// The text is not a valid command: say what was wrong, and how to use it.
    Mistake(ParseError),
    /// The form itself is not Slack's: a bare 400.
    Malformed(&'static str),
    Run(Box<Request>),
}

/// A valid `/followups` request; the `response_url` still has to pass the policy.
#[derive(Debug)]
pub(super) struct Request {
    pub command: FollowupsCommand,
    pub team: TeamId,
    pub channel: ChannelId,
    pub user: UserId,
    pub response_url: ResponseUrl,
    /// Slack doesn't retry commands, but a proxy might: the trigger id makes a repeat harmless.
    pub request: Option<RequestKey>,
}

/// Reads a `/followups` form: its text first (a mistake there is the user's to fix), then the ids.
pub(super) fn understand(form: &CommandForm) -> Understood {
    // A typed @-mention arrives as `<@U…>`: a Slack user, never a LeadLex contact.
    let parsed = if form.text.contains("<@") {
        Err(ParseError::SlackUser)
    } else {
        parse(&to_plain_text(&form.text, None))
    };
    let command = match parsed {
        Ok(Invocation::Run(command)) => command,
        Ok(Invocation::Help) => return Understood::Usage,
        Err(error) => return Understood::Mistake(error),
    };
    let (Ok(team), Ok(channel), Ok(user)) = (
        TeamId::parse(&form.team_id),
        ChannelId::parse(&form.channel_id),
        UserId::parse(&form.user_id),
    ) else {
        return Understood::Malformed("slash command ids are malformed");
    };
    let Ok(response_url) = ResponseUrl::parse(&form.response_url) else {
        return Understood::Malformed("response_url is not a URL");
    };
    let request = match form.trigger_id.as_str() {
        "" => None,
        trigger => RequestKey::new("cmd", trigger).ok(),
    };
    Understood::Run(Box::new(Request {
        command,
        team,
        channel,
        user,
        response_url,
        request,
    }))
}

pub(super) async fn handle(state: &AppState, form: CommandForm) -> Response {
    let Request {
        command,
        team,
        channel,
        user,
        response_url,
        request,
    } = match understand(&form) {
        Understood::Run(request) => *request,
        Understood::Usage => return ephemeral(USAGE),
        Understood::Mistake(error) => return ephemeral(&format!(":warning: {error}\n\n{USAGE}")),
        Understood::Malformed(reason) => return bad_request(reason),
    };
    if !state.response_urls.allows(response_url.as_str()) {
        tracing::warn!("refusing a slash command whose response_url is not Slack's");
        return bad_request("untrusted response_url");
    }
    if state.worker.unfinished() >= state.max_queued_jobs {
        tracing::warn!("queue full; asking the user to try /followups again");
        return ephemeral("Lexi is very busy right now. Please try again in a minute.");
    }
    let contact = command.contact.to_string();
    let job = FollowupsJob {
        team,
        channel,
        user,
        response_url,
        request,
        step: FollowupsStep::Suggest {
            command,
            // This very answer is the placeholder the result replaces.
            progress: SuggestProgress {
                placeholder_shown: true,
                ..Default::default()
            },
        },
    };
    match admit(state, None, Job::Followups(job), false).await {
        Ok(admission) => {
            tracing::debug!(?admission, "/followups acknowledged");
            ephemeral(&format!("Looking at recent activity with {contact}…"))
        }
        Err(response) => response,
    }
}
