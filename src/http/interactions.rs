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

pub(super) async fn handle(state: &AppState, payload: &str) -> Response {
    let raw = payload;
    let payload: Payload = match serde_json::from_str(payload) {
        Ok(p) => p,
        Err(_) => return bad_request("interaction payload is not JSON"),
    };
    match payload.kind.as_str() {
        "block_actions" => {
            if let Some(action) = payload.actions.first() {
                let id = action.action_id.as_str();
                if id.starts_with(followups_actions::ACTION_PREFIX) {
                    return followups_actions::handle(state, raw).await;
                }
                if id == feedback_blocks::ACTION_ID {
                    return feedback_click::handle(state, raw).await;
                }
                if id.starts_with(approval_blocks::ACTION_PREFIX) {
                    return approval_click::handle(state, raw).await;
                }
                tracing::info!(action_id = %id.chars().take(64).collect::<String>(), "unknown button");
            }
            bad_request("no such button")
        }
        // Shortcuts, modals and the like are not part of this app: acknowledge and move on.
        _ => StatusCode::OK.into_response(),
    }
}
