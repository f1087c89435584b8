//! `apps.connections.open`: trades the app-level token for a one-time WebSocket URL.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::time::Duration;

/// The `wss://…?ticket=…` URL Slack hands out. The ticket lets anyone connect as the app once,
/// so the URL is a secret: it is never logged, and its `Debug` prints nothing.
#[derive(Clone)]
pub struct SocketUrl(SecretString);

impl SocketUrl {
    #[cfg(test)]
    pub(super) fn new(url: &str) -> Self {
        Self(SecretString::from(url))
    }

    pub(super) fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for SocketUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SocketUrl(..)")
    }
}

/// Why no socket URL was handed out.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The token itself is the problem (`invalid_auth`, `not_allowed_token_type`, `token_revoked`,
    /// a missing `connections:write` scope …): retrying quickly will not help.
    #[error(
        "Slack refused SLACK_APP_TOKEN (`{0}`): it must be the app-level token xapp-… with the connections:write scope"
    )]
    Refused(String),
    #[error("apps.connections.open failed: Slack answered `{0}`")]
    Failed(String),
    #[error("apps.connections.open is rate-limited")]
    RateLimited { retry_after: Option<Duration> },
    #[error("apps.connections.open answered HTTP {0}")]
    Status(u16),
    #[error("cannot reach Slack for apps.connections.open: {0}")]
    Transport(#[source] reqwest::Error),
    #[error("apps.connections.open answered without a ws:// or wss:// URL")]
    NoUrl,
}

impl OpenError {
    /// Whether an admin must act (fix the token or the app's settings) before this can work.
    pub fn needs_an_admin(&self) -> bool {
        matches!(self, Self::Refused(_))
    }

    /// How long Slack asked the bot to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }
}

/// Errors Slack gives for a token that cannot open sockets.
const TOKEN_ERRORS: &[&str] = &[
    "not_authed",
    "invalid_auth",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "not_allowed_token_type",
    "missing_scope",
    "no_permission",
];

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    ok: bool,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    url: Option<String>,
}

/// Asks Slack for a socket URL; `api_url` is `https://slack.com/api` or a simulator's.
pub async fn open_connection(
    http: &reqwest::Client,
    api_url: &str,
    app_token: &SecretString,
) -> Result<SocketUrl, OpenError> {
    let response = http
        .post(format!("{api_url}/apps.connections.open"))
        .bearer_auth(app_token.expose_secret())
        .send()
        .await
        .map_err(|e| OpenError::Transport(e.without_url()))?;
    let status = response.status();
    if status.as_u16() == 429 {
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        return Err(OpenError::RateLimited { retry_after });
    }
    if !status.is_success() {
        return Err(OpenError::Status(status.as_u16()));
    }
    let answer: Answer = response
        .json()
        .await
        .map_err(|e| OpenError::Transport(e.without_url()))?;
    if !answer.ok {
        let error: String = answer
            .error
            .unwrap_or_else(|| "unknown_error".to_owned())
            .chars()
            .take(64)
            .collect();
        return Err(match error.as_str() {
            "ratelimited" => OpenError::RateLimited { retry_after: None },
            e if TOKEN_ERRORS.contains(&e) => OpenError::Refused(error),
            _ => OpenError::Failed(error),
        });
    }
    match answer.url {
        Some(url) if url.starts_with("wss://") || url.starts_with("ws://") => {
            Ok(SocketUrl(SecretString::from(url)))
        }
        _ => Err(OpenError::NoUrl),
    }
}
