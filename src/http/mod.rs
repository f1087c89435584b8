//! The inbound edge: verify Slack's signature, understand the request, persist a job, answer within 3 seconds.
//!
//! Nothing here calls LeadLex or waits on it: handlers verify, parse, write the job to disk and
//! acknowledge. The worker does the rest.

mod approval_click;
mod commands;
mod events;
mod feedback_click;
mod followups_actions;
mod followups_command;
pub(crate) mod fuzzing;
mod interactions;
mod lexi_command;
mod verified;

pub use verified::Clock;

use crate::domain::{EventId, Job, UserId};
use crate::slack::ResponseUrlPolicy;
use crate::slack::verify::SigningSecrets;
use crate::store::{Admission, Store};
use crate::worker::WorkerHandle;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::sync::Arc;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use verified::{PayloadKind, VerifiedRequest};

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    /// `None` in Socket Mode without a signing secret: then every HTTP callback is refused.
    pub secrets: Option<SigningSecrets>,
    pub store: Store,
    pub worker: WorkerHandle,
    pub max_body_bytes: usize,
    pub max_queued_jobs: usize,
    pub request_timeout: Duration,
    pub clock: Clock,
    /// Which `response_url`s may be accepted (and later posted to).
    pub response_urls: ResponseUrlPolicy,
    /// `LEXI_APPROVERS`: may decide any Lexi task, besides the one who asked.
    pub approvers: Arc<[UserId]>,
    /// What `/metrics` shows and `/lexi status` reads.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// In Socket Mode: whether a socket is connected (Slack can deliver nothing otherwise).
    pub socket_connected: Option<tokio::sync::watch::Receiver<bool>>,
}

/// The routes: `POST /slack/events` for everything Slack sends, `GET /healthz`, `GET /readyz`, `GET /metrics`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/slack/events", post(slack_request))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
        // A whole request, body included, gets a bounded time: a trickled (slow-loris) body is cut off.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.request_timeout,
        ))
        .layer(CatchPanicLayer::new())
        .with_state(state)
}

/// One endpoint for all three kinds of Slack request, as Bolt does: told apart by content type
/// and, for forms, by their fields.
async fn slack_request(State(state): State<AppState>, request: VerifiedRequest) -> Response {
    if let Some(retry) = &request.retry_num {
        tracing::debug!(
            retry,
            reason = request.retry_reason.as_deref().unwrap_or("-"),
            "Slack retry"
        );
    }
    let inbound = match request.kind {
        PayloadKind::Json => Inbound::Event(&request.body),
        PayloadKind::Form => {
            let fields: Vec<(String, String)> = match serde_urlencoded::from_bytes(&request.body) {
                Ok(fields) => fields,
                Err(_) => return bad_request("form body is not URL-encoded"),
            };
            let field = |name: &str| {
                fields
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.as_str())
            };
            if let Some(payload) = field("payload") {
                return dispatch(&state, Inbound::Interaction(payload), Transport::Http).await;
            } else if field("command").is_some() {
                Inbound::CommandForm(&request.body)
            } else if field("ssl_check").is_some() {
                count_request(&state, "ssl_check", "ok");
                return StatusCode::OK.into_response();
            } else {
                count_request(&state, "unknown", "ok");
                return bad_request("form is neither a slash command nor an interaction");
            }
        }
    };
    dispatch(&state, inbound, Transport::Http).await
}

/// A payload from Slack whose origin is established (a verified signature, or the Socket Mode
/// connection the app token opened), before it is parsed.
pub(crate) enum Inbound<'a> {
    /// An Events API body (JSON).
    Event(&'a [u8]),
    /// A slash command as HTTP posts it: a URL-encoded form.
    CommandForm(&'a [u8]),
    /// A slash command as Socket Mode carries it: a JSON object with the same fields.
    CommandJson(&'a [u8]),
    /// An interactivity payload: the JSON text of the `payload` form field.
    Interaction(&'a str),
}

/// How a payload reached the bot, for the request counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    /// `POST /slack/events`, signature checked.
    Http,
    /// A Socket Mode envelope.
    Socket,
}

/// The one path every Slack payload takes after its origin is established, whatever the
/// transport: the same parsing, de-duplication, persist-before-acknowledge and queue bound.
/// A 2xx means "acknowledge"; a 5xx means "not taken, let Slack deliver it again".
pub(crate) async fn dispatch(
    state: &AppState,
    inbound: Inbound<'_>,
    transport: Transport,
) -> Response {
    let verification = match transport {
        Transport::Http => "ok",
        Transport::Socket => "socket",
    };
    match inbound {
        Inbound::Event(body) => {
            count_request(state, "event", verification);
            events::handle(state, body).await
        }
        Inbound::CommandForm(body) => {
            count_request(state, "slash_command", verification);
            commands::handle(state, body).await
        }
        Inbound::CommandJson(body) => {
            count_request(state, "slash_command", verification);
            commands::handle_json(state, body).await
        }
        Inbound::Interaction(payload) => {
            count_request(state, "interaction", verification);
            interactions::handle(state, payload).await
        }
    }
}

/// Prometheus' text format; the queue's depth and age are read at scrape time.
async fn metrics(State(state): State<AppState>) -> Response {
    state.metrics.set(
        crate::metrics::JOBS_QUEUED,
        &[],
        state.worker.unfinished() as f64,
    );
    state.metrics.set(
        crate::metrics::JOBS_OLDEST,
        &[],
        state.worker.oldest_unfinished_age().as_secs_f64(),
    );
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

/// Counts a request from Slack by kind and verification result.
fn count_request(state: &AppState, kind: &str, verification: &str) {
    state.metrics.inc(
        crate::metrics::REQUESTS,
        &[("kind", kind), ("verification", verification)],
    );
}

/// Ready when the store answers and the worker runs: only then is an acknowledged event handled.
/// In Socket Mode also only while a socket is connected, since nothing can arrive otherwise.
async fn ready(State(state): State<AppState>) -> Response {
    let store_ok = state.store.size_on_disk().is_ok();
    let socket_ok = state
        .socket_connected
        .as_ref()
        .is_none_or(|connected| *connected.borrow());
    if store_ok && socket_ok && state.worker.is_running() {
        (StatusCode::OK, "ready").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready").into_response()
    }
}

/// Persists the job (once: duplicates are acknowledged and dropped), then acknowledges.
async fn admit(
    state: &AppState,
    event_id: Option<&EventId>,
    job: Job,
    only_in_known_thread: bool,
) -> Result<Admission, Response> {
    // The queue holds about what the worker finishes in half a second (see `worker::QueueBound`):
    // past that a request waits a moment for room, then gets a 503 that Slack retries later.
    if !state.worker.wait_for_room().await {
        return Err(StatusCode::SERVICE_UNAVAILABLE.into_response());
    }
    let admission = state
        .store
        .admit_batched(event_id, job, only_in_known_thread)
        .await
        .map_err(internal)?;
    if let Admission::Accepted(record) = &admission {
        // The 200 goes out only once the job is on disk: a crash after it cannot lose the work.
        state.store.durable().await.map_err(internal)?;
        state.worker.submit((**record).clone());
    }
    Ok(admission)
}

/// A 503 (Slack retries later) while the queue is at its bound.
fn queue_full(state: &AppState) -> Option<Response> {
    (!state.worker.has_room()).then(|| {
        tracing::warn!(
            queued = state.worker.unfinished(),
            "queue full; asking Slack to retry later"
        );
        StatusCode::SERVICE_UNAVAILABLE.into_response()
    })
}

fn internal(error: crate::store::StoreError) -> Response {
    // A 500 makes Slack retry the delivery, which is what we want when the store hiccups.
    tracing::error!(%error, "cannot persist a Slack request");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

fn bad_request(reason: &'static str) -> Response {
    tracing::info!(reason, "refusing a malformed Slack request");
    (StatusCode::BAD_REQUEST, "invalid request").into_response()
}
