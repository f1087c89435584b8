//! LeadLex failures: what happened, whether trying again can help, and the request id support asks for.

use std::time::Duration;

/// A failed LeadLex call. Match on `kind`; `request_id` is LeadLex's `X-Request-ID`, for the logs.
#[derive(Debug, thiserror::Error)]
#[error("LeadLex {endpoint}: {kind} (request id {})", request_id.as_deref().unwrap_or("none"))]
pub struct LeadLexError {
    pub kind: LeadLexErrorKind,
    pub endpoint: &'static str,
    pub request_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LeadLexErrorKind {
    /// 401: the API key is wrong, expired or revoked.
    #[error("the API key was refused")]
    InvalidKey,
    /// 403: the key lacks a permission (`lexi`, `write:ai`, …).
    #[error("the API key lacks a permission: {message}")]
    MissingPermission { message: String },
    /// 402: the workspace is out of credits.
    #[error("out of credits")]
    OutOfCredits,
    /// 400: LeadLex refused the input.
    #[error("invalid request ({code}): {message}")]
    Invalid { code: String, message: String },
    /// 404: the task, contact or conversation doesn't exist in this workspace.
    #[error("not found")]
    NotFound,
    /// 429: over the plan's rate limit; `retry_after` from `X-RateLimit-Reset` or `Retry-After`.
    #[error("rate limited")]
    RateLimited { retry_after: Option<Duration> },
    /// 5xx.
    #[error("server error {status}")]
    Server { status: u16 },
    #[error("no answer in time")]
    Timeout,
    #[error("connection failed")]
    Transport(#[source] reqwest::Error),
    /// A body that isn't what the API documents (truncated, not JSON, wrong shape).
    #[error("unreadable response: {detail}")]
    Decode { detail: String },
    #[error("unexpected status {status}")]
    UnexpectedStatus { status: u16 },
}

impl LeadLexError {
    /// Whether the same call may succeed later. Everything else needs a person to act.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            LeadLexErrorKind::RateLimited { .. }
                | LeadLexErrorKind::Server { .. }
                | LeadLexErrorKind::Timeout
                | LeadLexErrorKind::Transport(_)
                | LeadLexErrorKind::Decode { .. }
        )
    }

    /// How long LeadLex asked us to wait, when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self.kind {
            LeadLexErrorKind::RateLimited { retry_after } => retry_after,
            _ => None,
        }
    }
}
