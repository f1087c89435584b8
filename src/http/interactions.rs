//! Interactivity (`payload=` forms): button clicks, dispatched on their `action_id` prefix and validated before anything is queued.

use super::{AppState, approval_click, bad_request, feedback_click, followups_actions};
use crate::slack::{approval_blocks, feedback_blocks};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// Just enough of the payload to route it; each handler parses the rest.
#[derive(Debug, Deserialize)]
struct Payload {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    actions: Vec<Action>,
}

#[derive(Debug, Deserialize)]
struct Action {
    action_id: String,
}

/// Which handler a payload is for, read from its `type` and first action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Route {
    Followups,
    Feedback,
    Approval,
    /// A shortcut, modal or the like: not part of this app, acknowledged.
    Acknowledge,
}

pub(super) fn route(payload: &str) -> Result<Route, &'static str> {
    let payload: Payload =
        serde_json::from_str(payload).map_err(|_| "interaction payload is not JSON")?;
    if payload.kind != "block_actions" {
        return Ok(Route::Acknowledge);
    }
    if let Some(action) = payload.actions.first() {
        let id = action.action_id.as_str();
        if id.starts_with(followups_actions::ACTION_PREFIX) {
            return Ok(Route::Followups);
        }
        if id == feedback_blocks::ACTION_ID {
            return Ok(Route::Feedback);
        }
        if id.starts_with(approval_blocks::ACTION_PREFIX) {
            return Ok(Route::Approval);
        }
        tracing::info!(action_id = %id.chars().take(64).collect::<String>(), "unknown button");
    }
    Err("no such button")
}

pub(super) async fn handle(state: &AppState, payload: &str) -> Response {
    match route(payload) {
        Ok(Route::Followups) => followups_actions::handle(state, payload).await,
        Ok(Route::Feedback) => feedback_click::handle(state, payload).await,
        Ok(Route::Approval) => approval_click::handle(state, payload).await,
        Ok(Route::Acknowledge) => StatusCode::OK.into_response(),
        Err(reason) => bad_request(reason),
    }
}
