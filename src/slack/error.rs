//! Slack Web API failures: Slack's error code, whether trying again can help, how long to wait.

use slack_morphism::errors::SlackClientError;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
#[error("Slack {method}: {kind}")]
pub struct SlackError {
    pub method: &'static str,
    pub kind: SlackErrorKind,
}

#[derive(Debug, thiserror::Error)]
pub enum SlackErrorKind {
    /// `{"ok": false, "error": code}`; `detail` holds `response_metadata.messages` when sent.
    #[error("{code}")]
    Api { code: String, detail: Vec<String> },
    /// HTTP 429 (or `ratelimited`): wait `retry_after` before calling this method again.
    #[error("rate limited")]
    RateLimited { retry_after: Option<Duration> },
    #[error("HTTP status {status}")]
    Http { status: u16 },
    #[error("connection failed: {0}")]
    Transport(String),
    #[error("unreadable response: {0}")]
    Decode(String),
}

/// Slack's codes for its own trouble: the same call may well succeed in a moment.
const TRANSIENT_CODES: &[&str] = &[
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "ratelimited",
];

impl SlackError {
    pub(super) fn from_client(method: &'static str, error: SlackClientError) -> Self {
        let kind = match error {
            SlackClientError::ApiError(e) => SlackErrorKind::Api {
                code: e.code,
                detail: e.errors.unwrap_or_default(),
            },
            SlackClientError::RateLimitError(e) => SlackErrorKind::RateLimited {
                retry_after: e.retry_after,
            },
            SlackClientError::HttpError(e) => SlackErrorKind::Http {
                status: e.status_code.as_u16(),
            },
            SlackClientError::ProtocolError(e) => SlackErrorKind::Decode(e.json_error.to_string()),
            other => SlackErrorKind::Transport(other.to_string()),
        };
        Self { method, kind }
    }

    pub fn is_retryable(&self) -> bool {
        match &self.kind {
            SlackErrorKind::Api { code, .. } => TRANSIENT_CODES.contains(&code.as_str()),
            SlackErrorKind::RateLimited { .. } => true,
            SlackErrorKind::Http { status } => *status >= 500 || *status == 408,
            SlackErrorKind::Transport(_) | SlackErrorKind::Decode(_) => true,
        }
    }

    /// Whether Slack may have done what was asked although we got no answer saying so (the
    /// connection broke, or the reply was cut or garbled): a post may be in the thread.
    pub fn outcome_unknown(&self) -> bool {
        match &self.kind {
            SlackErrorKind::Transport(_) | SlackErrorKind::Decode(_) => true,
            SlackErrorKind::Http { status } => *status >= 500 || *status == 408,
            SlackErrorKind::Api { code, .. } => {
                matches!(
                    code.as_str(),
                    "internal_error" | "fatal_error" | "request_timeout"
                )
            }
            SlackErrorKind::RateLimited { .. } => false,
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self.kind {
            SlackErrorKind::RateLimited { retry_after } => retry_after,
            _ => None,
        }
    }

    /// Slack's error code, when Slack answered with one.
    pub fn code(&self) -> Option<&str> {
        match &self.kind {
            SlackErrorKind::Api { code, .. } => Some(code),
            _ => None,
        }
    }
}
