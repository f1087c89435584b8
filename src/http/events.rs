//! Events API requests: URL verification, and events turned into jobs.

use super::{AppState, admit, bad_request};
use crate::domain::Job;
use crate::slack::events::{EventAction, EventsRequest, parse_events_request};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub(super) async fn handle(state: &AppState, body: &[u8]) -> Response {
    let request = match parse_events_request(body) {
        Ok(request) => request,
        Err(error) => {
            tracing::info!(%error, "unreadable Events API body");
            return bad_request("not an Events API payload");
        }
    };
    match request {
        EventsRequest::UrlVerification { challenge } => {
            Json(serde_json::json!({ "challenge": challenge })).into_response()
        }
        EventsRequest::AppRateLimited => {
            tracing::warn!("Slack is rate-limiting events for this app (over 30,000 an hour)");
            StatusCode::OK.into_response()
        }
        EventsRequest::Callback { event_id, action } => match action {
            EventAction::Ignore(reason) => {
                tracing::debug!(%event_id, reason, "event ignored");
                StatusCode::OK.into_response()
            }
            EventAction::Converse {
                converse,
                only_in_known_thread,
            } => {
                admitted(
                    state,
                    &event_id,
                    Job::Converse(*converse),
                    only_in_known_thread,
                )
                .await
            }
            EventAction::SuggestPrompts(offer) => {
                admitted(state, &event_id, Job::SuggestPrompts(offer), false).await
            }
        },
    }
}

/// Queues the event's job (once per event id) and acknowledges it.
async fn admitted(
    state: &AppState,
    event_id: &crate::domain::EventId,
    job: Job,
    only_in_known_thread: bool,
) -> Response {
    match admit(state, Some(event_id), job, only_in_known_thread).await {
        Ok(admission) => {
            tracing::debug!(%event_id, ?admission, "event acknowledged");
            StatusCode::OK.into_response()
        }
        Err(response) => response,
    }
}
