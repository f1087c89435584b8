//! Slash commands: dispatched on the command name, answered at once with an ephemeral message; slow work goes to the worker.

use super::{AppState, bad_request, followups_command, lexi_command};
use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// The fields of a slash-command form the bot reads.
#[derive(Debug, Deserialize)]
#[allow(dead_code, reason = "fields are read as commands land")]
pub(super) struct CommandForm {
    pub team_id: String,
    pub channel_id: String,
    pub user_id: String,
    pub command: String,
    #[serde(default)]
    pub text: String,
    pub response_url: String,
    #[serde(default)]
    pub trigger_id: String,
}

pub(super) async fn handle(state: &AppState, body: &[u8]) -> Response {
    match read_form(body) {
        Some(form) => handle_form(state, form).await,
        None => bad_request("slash command form is missing fields"),
    }
}

/// Socket Mode carries the same fields as a JSON object (every value a string, as in the form).
pub(super) async fn handle_json(state: &AppState, body: &[u8]) -> Response {
    match serde_json::from_slice(body) {
        Ok(form) => handle_form(state, form).await,
        Err(_) => bad_request("slash command payload is missing fields"),
    }
}

async fn handle_form(state: &AppState, form: CommandForm) -> Response {
    match form.command.as_str() {
        followups_command::COMMAND => followups_command::handle(state, form).await,
        "/lexi" => lexi_command::handle(state, &form).await,
        _ => ephemeral(&format!(
            "Lexi doesn't handle `{}` yet. Mention @Lexi in a channel or send it a direct message.",
            form.command.chars().take(32).collect::<String>()
        )),
    }
}

/// The form's fields, or `None` when one the bot needs is missing or the body is not a form.
pub(super) fn read_form(body: &[u8]) -> Option<CommandForm> {
    serde_urlencoded::from_bytes(body).ok()
}

/// An immediate reply only the person who typed the command sees.
pub(super) fn ephemeral(text: &str) -> Response {
    Json(serde_json::json!({
        "response_type": "ephemeral",
        "text": crate::slack::mrkdwn::escape(text),
    }))
    .into_response()
}
