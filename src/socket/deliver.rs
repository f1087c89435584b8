//! One envelope through the HTTP path, and what its answer means for the ack.

use super::frame::{self, Envelope, EnvelopeKind};
use crate::http::{AppState, Inbound, Transport, dispatch};
use crate::metrics::SOCKET_ENVELOPES;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Largest handler answer copied into an ack (a slash command's message is a few KiB).
const MAX_ACK_PAYLOAD: usize = 64 * 1024;

/// What to send back for one envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Outcome {
    /// The ack frame's text.
    Ack(String),
    /// Nothing: Slack delivers the envelope again (to this or another connection).
    Withhold,
}

/// Hands the envelope's payload to the same code HTTP requests reach, then turns the answer into
/// an ack: the same parsing, de-duplication (event_id, message key) and persist-before-ack.
pub(super) async fn deliver(state: &AppState, envelope: &Envelope) -> Outcome {
    if envelope.retry_attempt > 0 {
        tracing::debug!(
            retry = envelope.retry_attempt,
            reason = %envelope.retry_reason,
            "Slack retry (Socket Mode)"
        );
    }
    // `payload` is exactly the body HTTP mode would POST.
    let body = envelope.payload.to_string();
    let inbound = match envelope.kind {
        EnvelopeKind::EventsApi => Inbound::Event(body.as_bytes()),
        EnvelopeKind::SlashCommands => Inbound::CommandJson(body.as_bytes()),
        EnvelopeKind::Interactive => Inbound::Interaction(&body),
    };
    // The same bound HTTP's timeout layer puts on a request: past it, Slack has retried anyway.
    let dispatched = tokio::time::timeout(
        state.request_timeout,
        dispatch(state, inbound, Transport::Socket),
    );
    let response = match dispatched.await {
        Ok(response) => response,
        Err(_) => StatusCode::REQUEST_TIMEOUT.into_response(),
    };
    let status = response.status();
    if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
        // The store failed, the queue is full or storing took too long: the work may not be on
        // disk. Over HTTP the 5xx (or 408) makes Slack retry; over a socket the only way to get
        // a retry is to leave the envelope unacked.
        tracing::warn!(
            kind = envelope.kind.as_str(),
            status = status.as_u16(),
            "not acknowledging a Socket Mode envelope, so that Slack delivers it again"
        );
        state
            .metrics
            .inc(SOCKET_ENVELOPES, &[("outcome", "withheld")]);
        return Outcome::Withhold;
    }
    if status.is_client_error() {
        // Malformed: a redelivery would be refused the same way, so it is acknowledged.
        tracing::info!(
            kind = envelope.kind.as_str(),
            status = status.as_u16(),
            "acknowledging a Socket Mode envelope the bot cannot use"
        );
    }
    let payload = if envelope.accepts_response_payload && status.is_success() {
        json_body(response).await
    } else {
        None
    };
    state.metrics.inc(SOCKET_ENVELOPES, &[("outcome", "acked")]);
    Outcome::Ack(frame::ack(&envelope.id, payload))
}

/// The handler's JSON answer (a slash command's ephemeral message), if it gave one.
async fn json_body(response: Response) -> Option<serde_json::Value> {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return None;
    }
    let bytes = axum::body::to_bytes(response.into_body(), MAX_ACK_PAYLOAD)
        .await
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}
