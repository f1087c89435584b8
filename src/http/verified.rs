//! An extractor that yields a request only once its size is bounded and its signature checked.

use super::AppState;
use crate::slack::verify::verify;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The current Unix time in seconds; replaceable so tests can replay Slack's own example.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> i64 + Send + Sync>);

impl Clock {
    pub fn system() -> Self {
        Self(Arc::new(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or_default()
        }))
    }

    pub fn fixed(now: i64) -> Self {
        Self(Arc::new(move || now))
    }

    fn now(&self) -> i64 {
        (self.0)()
    }
}

pub(super) enum PayloadKind {
    /// Events API.
    Json,
    /// Slash commands and interactivity.
    Form,
}

/// A request that came from Slack: handlers can receive nothing else.
pub(super) struct VerifiedRequest {
    pub kind: PayloadKind,
    pub body: Bytes,
    pub retry_num: Option<String>,
    pub retry_reason: Option<String>,
}

impl FromRequest<AppState> for VerifiedRequest {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let headers = &parts.headers;
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|len| len > state.max_body_bytes) {
            state.metrics.inc(
                crate::metrics::REQUESTS,
                &[("kind", "unverified"), ("verification", "too_large")],
            );
            return Err(too_large());
        }
        let body = axum::body::to_bytes(body, state.max_body_bytes)
            .await
            .map_err(|e| {
                let source = e.into_inner();
                if source
                    .downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some()
                {
                    too_large()
                } else {
                    (StatusCode::BAD_REQUEST, "invalid request").into_response()
                }
            })?;

        let Some(secrets) = &state.secrets else {
            // Socket Mode without a signing secret: nothing over HTTP can be Slack's.
            tracing::warn!(
                "refused an HTTP callback: SLACK_SIGNING_SECRET is not set (Socket Mode only)"
            );
            state.metrics.inc(
                crate::metrics::REQUESTS,
                &[("kind", "unverified"), ("verification", "refused")],
            );
            return Err(StatusCode::UNAUTHORIZED.into_response());
        };
        if let Err(reason) = verify(
            secrets,
            text(headers, "x-slack-request-timestamp"),
            text(headers, "x-slack-signature"),
            &body,
            state.clock.now(),
        ) {
            // No detail for the caller; the reason (never the secret) for the log.
            tracing::warn!(%reason, "refused a request that is not signed by Slack");
            state.metrics.inc(
                crate::metrics::REQUESTS,
                &[("kind", "unverified"), ("verification", "refused")],
            );
            return Err(StatusCode::UNAUTHORIZED.into_response());
        }

        let media_type = text(headers, "content-type")
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase());
        let kind = match media_type.as_deref() {
            Some("application/json") => PayloadKind::Json,
            Some("application/x-www-form-urlencoded") => PayloadKind::Form,
            _ => return Err(StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response()),
        };
        Ok(Self {
            kind,
            body,
            retry_num: text(headers, "x-slack-retry-num").map(str::to_owned),
            retry_reason: text(headers, "x-slack-retry-reason").map(str::to_owned),
        })
    }
}

fn text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn too_large() -> Response {
    tracing::warn!("refused an oversized request");
    StatusCode::PAYLOAD_TOO_LARGE.into_response()
}
