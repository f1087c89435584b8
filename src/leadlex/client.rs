//! One reqwest client for LeadLex: bearer key, bounded time and body size, statuses mapped to errors.

use super::error::{LeadLexError, LeadLexErrorKind};
use super::stream::StreamLimits;
use super::wire;
use crate::domain::{ConversationId, LexiAnswer, Task, TaskId, TaskStatus};
use crate::metrics::{self, Metrics};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// LeadLex answers are small JSON documents; anything larger is refused rather than buffered.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Optional context sent with a chat message.
#[derive(Debug, Default, Clone)]
pub struct ChatContext<'a> {
    pub conversation: Option<&'a ConversationId>,
    pub list_id: Option<&'a str>,
    pub campaign_id: Option<&'a str>,
}

#[derive(Clone)]
pub struct LeadLexClient {
    http: reqwest::Client,
    base_url: String,
    api_key: SecretString,
    /// Calls, latencies, and the credits and rate limit LeadLex last reported.
    metrics: Option<Arc<Metrics>>,
    /// How long Lexi's answer stream may stay silent, and last in all.
    pub(super) stream_limits: StreamLimits,
}

impl std::fmt::Debug for LeadLexClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeadLexClient")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl LeadLexClient {
    /// `base_url` is the gateway (`https://data.leadlex.com/functions/v1/api-gateway`); `/v1/…` is appended.
    pub fn new(
        base_url: &str,
        api_key: SecretString,
        timeout: Duration,
    ) -> Result<Self, reqwest::Error> {
        let http = crate::outbound::client(timeout)?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key,
            metrics: None,
            stream_limits: StreamLimits::default(),
        })
    }

    /// Bounds Lexi's answer streams by silence and overall length instead of the client's timeout.
    pub fn with_stream_limits(mut self, limits: StreamLimits) -> Self {
        self.stream_limits = limits;
        self
    }

    pub(super) fn metrics(&self) -> Option<&Arc<Metrics>> {
        self.metrics.as_ref()
    }

    /// Counts calls (and keeps what LeadLex reports about credits and limits) in `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// `POST /v1/lexi/chat`: one message to Lexi, one answer back.
    pub async fn chat(
        &self,
        message: &str,
        context: &ChatContext<'_>,
        idempotency_key: &str,
    ) -> Result<LexiAnswer, LeadLexError> {
        const ENDPOINT: &str = "POST /v1/lexi/chat";
        let body = wire::ChatRequest {
            message,
            context: wire::ChatRequestContext {
                conversation_id: context.conversation.map(ConversationId::as_str),
                list_id: context.list_id,
                campaign_id: context.campaign_id,
            },
        };
        let request = self
            .request(Method::POST, "/v1/lexi/chat")
            .header("Idempotency-Key", idempotency_key)
            .json(&body);
        let (reply, request_id): (wire::ChatResponse, _) = self.send(ENDPOINT, request).await?;
        let decode = |detail: &str| LeadLexError {
            kind: LeadLexErrorKind::Decode {
                detail: detail.to_owned(),
            },
            endpoint: ENDPOINT,
            request_id: request_id.clone(),
        };
        let conversation_id =
            ConversationId::parse(&reply.conversation_id).map_err(|_| decode("conversation_id"))?;
        let task_needing_approval = match (reply.requires_approval, reply.task_id.as_deref()) {
            (true, Some(id)) => Some(TaskId::parse(id).map_err(|_| decode("task_id"))?),
            _ => None,
        };
        Ok(LexiAnswer {
            text: reply.response,
            conversation_id,
            task_needing_approval,
        })
    }

    /// `GET /v1/lexi/tasks?status=…`: the workspace's tasks in one status.
    pub async fn tasks(&self, status: TaskStatus) -> Result<Vec<Task>, LeadLexError> {
        const ENDPOINT: &str = "GET /v1/lexi/tasks";
        let request = self
            .request(Method::GET, "/v1/lexi/tasks")
            .query(&[("status", status.as_str())]);
        let (list, _): (wire::TaskList, _) = self.send(ENDPOINT, request).await?;
        Ok(list
            .tasks
            .into_iter()
            .filter_map(|t| {
                let id = TaskId::parse(&t.id).ok()?;
                let status = TaskStatus::ALL
                    .into_iter()
                    .find(|s| s.as_str() == t.status)?;
                Some(Task {
                    id,
                    kind: t.kind,
                    status,
                    description: t.description,
                    created_at: t.created_at,
                    metadata: t.metadata,
                })
            })
            .collect())
    }

    /// `POST /v1/lexi/tasks/{id}/approve`.
    pub async fn approve(&self, task: &TaskId, idempotency_key: &str) -> Result<(), LeadLexError> {
        let path = format!("/v1/lexi/tasks/{task}/approve");
        let request = self
            .request(Method::POST, &path)
            .header("Idempotency-Key", idempotency_key)
            .json(&serde_json::json!({}));
        let _: (serde::de::IgnoredAny, _) = self
            .send("POST /v1/lexi/tasks/{id}/approve", request)
            .await?;
        Ok(())
    }

    /// `POST /v1/lexi/tasks/{id}/dismiss` with a reason kept for LeadLex's analytics.
    pub async fn dismiss(
        &self,
        task: &TaskId,
        reason: &str,
        idempotency_key: &str,
    ) -> Result<(), LeadLexError> {
        let path = format!("/v1/lexi/tasks/{task}/dismiss");
        let request = self
            .request(Method::POST, &path)
            .header("Idempotency-Key", idempotency_key)
            .json(&wire::DismissRequest { reason });
        let _: (serde::de::IgnoredAny, _) = self
            .send("POST /v1/lexi/tasks/{id}/dismiss", request)
            .await?;
        Ok(())
    }

    pub(crate) fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base_url))
            .bearer_auth(self.api_key.expose_secret())
    }

    /// Sends, maps the status to an error or decodes `{"data": T}`; returns the `X-Request-ID` too.
    pub(crate) async fn send<T: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        request: RequestBuilder,
    ) -> Result<(T, Option<String>), LeadLexError> {
        let started = std::time::Instant::now();
        let fail = |kind, request_id| LeadLexError {
            kind,
            endpoint,
            request_id,
        };
        let response = request.send().await.map_err(|e| {
            let kind = transport(e);
            self.observe_failure(endpoint, &kind, started);
            fail(kind, None)
        })?;
        let status = response.status();
        let request_id = header(&response, "x-request-id");
        let retry_after = retry_after(&response);
        let rate_remaining = header(&response, "x-ratelimit-remaining");
        let body = read_capped(response)
            .await
            .map_err(|kind| fail(kind, request_id.clone()))?;
        self.observe_status(endpoint, status, started, rate_remaining.as_deref(), &body);
        tracing::debug!(
            endpoint,
            status = status.as_u16(),
            request_id = request_id.as_deref().unwrap_or("-"),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "LeadLex call"
        );
        if status.is_success() {
            return serde_json::from_slice::<wire::Envelope<T>>(&body)
                .map(|envelope| (envelope.data, request_id.clone()))
                .map_err(|e| {
                    fail(
                        LeadLexErrorKind::Decode {
                            detail: e.to_string(),
                        },
                        request_id,
                    )
                });
        }
        Err(fail(error_kind(status, &body, retry_after), request_id))
    }
}

impl LeadLexClient {
    pub(super) fn observe_failure(
        &self,
        endpoint: &'static str,
        kind: &LeadLexErrorKind,
        started: std::time::Instant,
    ) {
        let Some(m) = &self.metrics else { return };
        let status = match kind {
            LeadLexErrorKind::Timeout => "timeout",
            _ => "transport",
        };
        m.inc(
            metrics::LEADLEX_CALLS,
            &[("endpoint", endpoint), ("status", status)],
        );
        m.observe(
            metrics::LEADLEX_LATENCY,
            &[("endpoint", endpoint)],
            started.elapsed(),
        );
    }

    pub(super) fn observe_status(
        &self,
        endpoint: &'static str,
        status: StatusCode,
        started: std::time::Instant,
        rate_remaining: Option<&str>,
        body: &[u8],
    ) {
        let Some(m) = &self.metrics else { return };
        m.inc(
            metrics::LEADLEX_CALLS,
            &[("endpoint", endpoint), ("status", status.as_str())],
        );
        m.observe(
            metrics::LEADLEX_LATENCY,
            &[("endpoint", endpoint)],
            started.elapsed(),
        );
        if let Some(remaining) = rate_remaining.and_then(|v| v.trim().parse::<u64>().ok()) {
            m.set(metrics::RATE_LIMIT, &[], remaining as f64);
        }
        if status == StatusCode::PAYMENT_REQUIRED {
            m.set(metrics::CREDITS, &[], 0.0);
        } else if status.is_success() {
            #[derive(serde::Deserialize)]
            struct Credits {
                credits_remaining: Option<u64>,
            }
            if let Ok(wire::Envelope {
                data:
                    Credits {
                        credits_remaining: Some(credits),
                    },
            }) = serde_json::from_slice(body)
            {
                m.set(metrics::CREDITS, &[], credits as f64);
            }
        }
    }
}

/// What a non-success status (and its `{"error": …}` body) means.
pub(crate) fn error_kind(
    status: StatusCode,
    body: &[u8],
    retry_after: Option<Duration>,
) -> LeadLexErrorKind {
    let error = serde_json::from_slice::<wire::ErrorEnvelope>(body)
        .ok()
        .and_then(|e| e.error)
        .unwrap_or_default();
    match status {
        StatusCode::UNAUTHORIZED => LeadLexErrorKind::InvalidKey,
        StatusCode::PAYMENT_REQUIRED => LeadLexErrorKind::OutOfCredits,
        StatusCode::FORBIDDEN => LeadLexErrorKind::MissingPermission {
            message: error.message,
        },
        StatusCode::NOT_FOUND => LeadLexErrorKind::NotFound,
        StatusCode::TOO_MANY_REQUESTS => LeadLexErrorKind::RateLimited { retry_after },
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT => {
            LeadLexErrorKind::Invalid {
                code: error.code,
                message: error.message,
            }
        }
        s if s.is_server_error() => LeadLexErrorKind::Server { status: s.as_u16() },
        s => LeadLexErrorKind::UnexpectedStatus { status: s.as_u16() },
    }
}

pub(crate) fn transport(error: reqwest::Error) -> LeadLexErrorKind {
    if error.is_timeout() {
        LeadLexErrorKind::Timeout
    } else {
        LeadLexErrorKind::Transport(error)
    }
}

pub(crate) fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(128).collect())
}

/// LeadLex documents `X-RateLimit-Reset` as the epoch second of the next reset; a small number is
/// read as seconds from now, in case it is a delta. `Retry-After` (seconds) wins when present.
pub(crate) fn retry_after(response: &Response) -> Option<Duration> {
    let number = |name| header(response, name).and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(secs) = number("retry-after") {
        return Some(Duration::from_secs(secs));
    }
    let reset = number("x-ratelimit-reset")?;
    Some(Duration::from_secs(seconds_until(reset, now_secs())))
}

pub(crate) fn seconds_until(reset: u64, now: u64) -> u64 {
    if reset >= 1_000_000_000 {
        reset.saturating_sub(now)
    } else {
        reset
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

async fn read_capped(mut response: Response) -> Result<Vec<u8>, LeadLexErrorKind> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(LeadLexErrorKind::Decode {
                detail: format!("body larger than {MAX_BODY_BYTES} bytes"),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::seconds_until;

    #[test]
    fn rate_limit_reset_is_read_as_an_epoch_or_a_delta() {
        assert_eq!(seconds_until(1_708_905_600, 1_708_905_000), 600);
        assert_eq!(seconds_until(1_708_905_600, 1_708_999_999), 0);
        assert_eq!(seconds_until(30, 1_708_905_000), 30);
    }
}
