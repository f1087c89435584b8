//! Interactivity (`payload=` forms): button clicks, validated before anything is queued.

use super::{AppState, bad_request, followups_actions};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

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
                if action
                    .action_id
                    .starts_with(followups_actions::ACTION_PREFIX)
                {
                    return followups_actions::handle(state, raw).await;
                }
                tracing::info!(action_id = %action.action_id.chars().take(64).collect::<String>(), "unknown button");
            }
            bad_request("no such button")
        }
        // Shortcuts, modals and the like are not part of this app: acknowledge and move on.
        _ => StatusCode::OK.into_response(),
    }
}
