//! `/lexi <subcommand>`: `tasks`, `context`, `status`, `new`; anything else gets the help text.

use super::commands::{CommandForm, ephemeral};
use super::{AppState, admit, bad_request, internal};
use crate::domain::{ChannelId, Job, ListTasks, TeamId, UserId};
use crate::metrics;
use crate::store::ChannelContext;
use axum::response::Response;

pub(super) const HELP: &str = "Lexi's commands:\n\
    • `/lexi tasks`: the Lexi tasks waiting for approval, with Approve and Deny buttons\n\
    • `/lexi context list <list id>`: every message to Lexi from this channel is about that LeadLex list\n\
    • `/lexi context campaign <campaign id>`: … about that LeadLex campaign\n\
    • `/lexi context clear`: this channel is about nothing in particular again (`/lexi context` shows the binding)\n\
    • `/lexi status`: Lexi credits and LeadLex rate limit remaining, jobs waiting, version\n\
    • `/lexi new`: how to start a fresh conversation in a thread\n\
    To talk to Lexi, mention @Lexi in a channel or send it a direct message.";

const NEW: &str = "Slack doesn't run slash commands inside threads. To start a fresh Lexi \
    conversation in a thread, reply `@Lexi new` there; a new top-level message to @Lexi always \
    starts one.";

/// What `/lexi <text>` asks for, read before anything is looked up or stored.
#[derive(Debug, PartialEq)]
pub(super) enum Subcommand {
    Tasks,
    Context(ContextRequest),
    Status,
    New,
    Help,
}

/// `/lexi context …`.
#[derive(Debug, PartialEq)]
pub(super) enum ContextRequest {
    /// No verb: show the binding.
    Show,
    /// Bind the channel (`list`/`campaign` with an id) or unbind it (`clear`).
    Bind(Option<ChannelContext>),
    /// `list` or `campaign` without a valid id.
    NotAnId,
    Help,
}

pub(super) fn understand(text: &str) -> Subcommand {
    let mut words = text.split_whitespace();
    let subcommand = words.next().unwrap_or_default().to_ascii_lowercase();
    match subcommand.as_str() {
        "tasks" => Subcommand::Tasks,
        "context" => Subcommand::Context(context_request(&words.collect::<Vec<_>>())),
        "status" => Subcommand::Status,
        "new" => Subcommand::New,
        _ => Subcommand::Help,
    }
}

fn context_request(args: &[&str]) -> ContextRequest {
    let verb = args.first().map(|w| w.to_ascii_lowercase());
    let id = args.get(1).map(|raw| uuid::Uuid::parse_str(raw));
    match (verb.as_deref(), id) {
        (None, _) => ContextRequest::Show,
        (Some("clear"), None) => ContextRequest::Bind(None),
        (Some("list"), Some(Ok(id))) => ContextRequest::Bind(Some(ChannelContext::List(id))),
        (Some("campaign"), Some(Ok(id))) => {
            ContextRequest::Bind(Some(ChannelContext::Campaign(id)))
        }
        (Some("list" | "campaign"), Some(Err(_)) | None) => ContextRequest::NotAnId,
        _ => ContextRequest::Help,
    }
}

pub(super) async fn handle(state: &AppState, form: &CommandForm) -> Response {
    match understand(&form.text) {
        Subcommand::Tasks => tasks(state, form).await,
        Subcommand::Context(request) => context(state, form, request),
        Subcommand::Status => status(state),
        Subcommand::New => ephemeral(NEW),
        Subcommand::Help => ephemeral(HELP),
    }
}

fn context(state: &AppState, form: &CommandForm, request: ContextRequest) -> Response {
    let (Ok(team), Ok(channel)) = (
        TeamId::parse(&form.team_id),
        ChannelId::parse(&form.channel_id),
    ) else {
        return bad_request("slash command with invalid ids");
    };
    let wanted = match request {
        ContextRequest::Show => {
            return match state.store.channel_context(&team, &channel) {
                Ok(bound) => ephemeral(&describe(bound.as_ref())),
                Err(error) => internal(error),
            };
        }
        ContextRequest::Bind(wanted) => wanted,
        ContextRequest::NotAnId => {
            return ephemeral(
                "That isn't a LeadLex id: give the list's or campaign's id (a UUID like \
                 `3f2b8c1e-5d4a-4e8b-9c7d-1a2b3c4d5e6f`), as LeadLex shows it in the list's or campaign's URL.",
            );
        }
        ContextRequest::Help => return ephemeral(HELP),
    };
    match state
        .store
        .set_channel_context(&team, &channel, wanted.as_ref())
    {
        Ok(()) => ephemeral(&describe(wanted.as_ref())),
        Err(error) => internal(error),
    }
}

fn describe(bound: Option<&ChannelContext>) -> String {
    match bound {
        Some(ChannelContext::List(id)) => {
            format!("Every message to Lexi from this channel is now about the LeadLex list `{id}`.")
        }
        Some(ChannelContext::Campaign(id)) => format!(
            "Every message to Lexi from this channel is now about the LeadLex campaign `{id}`."
        ),
        None => "This channel isn't bound to a LeadLex list or campaign.".to_owned(),
    }
}

fn status(state: &AppState) -> Response {
    let seen = |name| {
        state
            .metrics
            .value(name, &[])
            .map_or_else(|| "not seen yet".to_owned(), |v| format!("{v} (last seen)"))
    };
    ephemeral(&format!(
        "Lexi status:\n\
         • Lexi credits remaining: {}\n\
         • LeadLex rate limit remaining: {}\n\
         • Jobs waiting or running: {}\n\
         • Version: lexi-slack {}",
        seen(metrics::CREDITS),
        seen(metrics::RATE_LIMIT),
        state.worker.unfinished(),
        env!("CARGO_PKG_VERSION"),
    ))
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
