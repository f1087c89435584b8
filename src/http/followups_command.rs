//! `/followups`: checked and answered at once ("Looking at…", or how to use it); LeadLex is asked by the worker.

use super::commands::{CommandForm, ephemeral};
use super::{AppState, admit, bad_request};
use crate::domain::followups::{
    FollowupsJob, FollowupsStep, Invocation, ParseError, RequestKey, ResponseUrl, SuggestProgress,
    parse,
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

pub(super) async fn handle(state: &AppState, form: CommandForm) -> Response {
    // A typed @-mention arrives as `<@U…>`: a Slack user, never a LeadLex contact.
    let parsed = if form.text.contains("<@") {
        Err(ParseError::SlackUser)
    } else {
        parse(&to_plain_text(&form.text, None))
    };
    let command = match parsed {
        Ok(Invocation::Run(command)) => command,
        Ok(Invocation::Help) => return ephemeral(USAGE),
        Err(error) => return ephemeral(&format!(":warning: {error}\n\n{USAGE}")),
    };
    let (Ok(team), Ok(channel), Ok(user)) = (
        TeamId::parse(&form.team_id),
        ChannelId::parse(&form.channel_id),
        UserId::parse(&form.user_id),
    ) else {
        return bad_request("slash command ids are malformed");
    };
    let response_url = match ResponseUrl::parse(&form.response_url) {
        Ok(url) if state.response_urls.allows(url.as_str()) => url,
        _ => {
            tracing::warn!("refusing a slash command whose response_url is not Slack's");
            return bad_request("untrusted response_url");
        }
    };
    // Slack doesn't retry commands, but a proxy might: the trigger id makes a repeat harmless.
    let request = match form.trigger_id.as_str() {
        "" => None,
        trigger => RequestKey::new("cmd", trigger).ok(),
    };
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
