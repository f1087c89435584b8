//! `/lexi <subcommand>`: `tasks` lists the pending Lexi tasks with their buttons; anything else gets the help text.

use super::commands::{CommandForm, ephemeral};
use super::{AppState, admit, bad_request};
use crate::domain::{ChannelId, Job, ListTasks, TeamId, UserId};
use axum::response::Response;

pub(super) const HELP: &str = "Lexi's commands:\n\
    • `/lexi tasks`: the Lexi tasks waiting for approval, with Approve and Deny buttons\n\
    To talk to Lexi, mention @Lexi in a channel or send it a direct message.";

pub(super) async fn handle(state: &AppState, form: &CommandForm) -> Response {
    let subcommand = form
        .text
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match subcommand.as_str() {
        "tasks" => tasks(state, form).await,
        _ => ephemeral(HELP),
    }
}

async fn tasks(state: &AppState, form: &CommandForm) -> Response {
    let (Ok(team), Ok(channel), Ok(user)) = (
        TeamId::parse(&form.team_id),
        ChannelId::parse(&form.channel_id),
        UserId::parse(&form.user_id),
    ) else {
        return bad_request("slash command with invalid ids");
    };
    if form.response_url.len() > 2_000 || !state.response_urls.allows(&form.response_url) {
        return bad_request("slash command without a trusted response_url");
    }
    let job = Job::ListTasks(ListTasks {
        team,
        channel,
        user,
        response_url: form.response_url.clone(),
    });
    match admit(state, None, job, false).await {
        Ok(_) => ephemeral("Looking up pending tasks…"),
        Err(response) => response,
    }
}
