//! `POST /v1/lexi/chat/stream`: server-sent events, parsed incrementally into Lexi's typed events.

use super::client::{LeadLexClient, error_kind, header, retry_after, transport};
use super::error::{LeadLexError, LeadLexErrorKind};
use crate::domain::ConversationId;
use crate::metrics::{self, Metrics};
use reqwest::{Method, Response};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

const ENDPOINT: &str = "POST /v1/lexi/chat/stream";
/// An event larger than this is not a Lexi event; the stream is refused rather than buffered.
const MAX_EVENT_BYTES: usize = 1024 * 1024;

/// One event of Lexi's answer stream.
#[derive(Debug, Clone, PartialEq)]
pub enum LexiEvent {
    Thinking {
        text: String,
    },
    ToolStep(ToolStep),
    /// A piece of the answer; the first one carries the conversation id.
    Text {
        delta: String,
        conversation_id: Option<String>,
    },
    Done {
        credits_remaining: Option<u64>,
        message_id: Option<String>,
    },
    /// `data: [DONE]`: nothing follows.
    End,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ToolStep {
    #[serde(default)]
    pub tool: String,
    /// `started` or `completed`.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub summary: String,
}

#[derive(Deserialize)]
struct ThinkingData {
    #[serde(default)]
    text: String,
}

#[derive(Deserialize)]
struct TextData {
    #[serde(default)]
    delta: String,
    conversation_id: Option<String>,
}

#[derive(Deserialize)]
struct DoneData {
    credits_remaining: Option<u64>,
    message_id: Option<String>,
}

#[derive(Serialize)]
struct StreamRequest<'a> {
    message: &'a str,
    /// Top level here, unlike `POST /v1/lexi/chat` (LeadLex API §3.2).
    #[serde(skip_serializing_if = "Option::is_none")]
    conversation_id: Option<&'a str>,
}

/// Why bytes could not be read as a Lexi event.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SseError {
    #[error("`{event}` event is not valid JSON: {detail}")]
    BadData { event: String, detail: String },
    #[error("event line is not UTF-8")]
    NotUtf8,
    #[error("event larger than {MAX_EVENT_BYTES} bytes")]
    TooLarge,
}

/// Turns bytes, however they are chunked, into events. Bytes are kept until a whole line has
/// arrived, so a multi-byte character split across chunks is never decoded in halves.
#[derive(Debug, Default)]
pub struct SseParser {
    pending: Vec<u8>,
    event: Option<String>,
    data: Vec<String>,
}

impl SseParser {
    /// Feeds a chunk; returns the events it completed, in order.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Result<LexiEvent, SseError>> {
        self.pending.extend_from_slice(chunk);
        let mut out = Vec::new();
        let mut start = 0;
        while let Some(at) = self.pending[start..].iter().position(|b| *b == b'\n') {
            let end = start + at;
            let line = &self.pending[start..end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            match std::str::from_utf8(line) {
                Ok(line) => {
                    let line = line.to_owned();
                    if let Some(event) = self.line(&line) {
                        out.push(event);
                    }
                }
                Err(_) => out.push(Err(SseError::NotUtf8)),
            }
            start = end + 1;
        }
        self.pending.drain(..start);
        if self.pending.len() > MAX_EVENT_BYTES {
            self.pending.clear();
            out.push(Err(SseError::TooLarge));
        }
        out
    }

    fn line(&mut self, line: &str) -> Option<Result<LexiEvent, SseError>> {
        if line.is_empty() {
            return self.dispatch();
        }
        if line.starts_with(':') {
            return None; // a comment (keep-alive)
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => self.event = Some(value.to_owned()),
            "data" => self.data.push(value.to_owned()),
            _ => {} // id, retry: nothing Lexi uses
        }
        None
    }

    fn dispatch(&mut self) -> Option<Result<LexiEvent, SseError>> {
        let event = self.event.take();
        let data = std::mem::take(&mut self.data).join("\n");
        if data.is_empty() && event.is_none() {
            return None;
        }
        if data.trim() == "[DONE]" {
            return Some(Ok(LexiEvent::End));
        }
        let name = event.unwrap_or_else(|| "message".to_owned());
        let bad = |e: serde_json::Error| SseError::BadData {
            event: name.clone(),
            detail: e.to_string(),
        };
        let parsed = match name.as_str() {
            "thinking" => serde_json::from_str::<ThinkingData>(&data)
                .map(|d| LexiEvent::Thinking { text: d.text }),
            "tool_step" => serde_json::from_str::<ToolStep>(&data).map(LexiEvent::ToolStep),
            "text" => serde_json::from_str::<TextData>(&data).map(|d| LexiEvent::Text {
                delta: d.delta,
                conversation_id: d.conversation_id,
            }),
            "done" => serde_json::from_str::<DoneData>(&data).map(|d| LexiEvent::Done {
                credits_remaining: d.credits_remaining,
                message_id: d.message_id,
            }),
            _ => return None, // an event kind Lexi added later: ignored
        };
        Some(parsed.map_err(bad))
    }
}

/// Bounds on Lexi's answer stream. The client's timeout covers a whole request, which would cut
/// off a long answer that is still flowing; a stream is bounded by silence instead, plus an
/// overall cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamLimits {
    /// The longest wait for the response, or between two arrivals of bytes (events or
    /// keep-alive comments), before the stream is given up as stalled.
    pub idle: Duration,
    /// The longest a whole stream may last, however steadily it flows.
    pub max: Duration,
}

impl Default for StreamLimits {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(60),
            max: Duration::from_secs(10 * 60),
        }
    }
}

/// An open answer stream.
pub struct LexiStream {
    response: Response,
    parser: SseParser,
    ready: std::collections::VecDeque<Result<LexiEvent, SseError>>,
    request_id: Option<String>,
    ended: bool,
    /// Whether any event came: a stream that closes before one is broken, not an empty answer.
    any_event: bool,
    limits: StreamLimits,
    /// When bytes last arrived (or the response did): the idle limit counts from here. Kept
    /// here rather than per call, so a caller that times out `next` and calls again doesn't
    /// restart the count.
    last_arrival: Instant,
    give_up_at: Instant,
    opened: std::time::Instant,
    metrics: Option<Arc<Metrics>>,
    /// How the stream ended, once it did (counted once).
    outcome: Option<&'static str>,
}

impl LexiStream {
    /// The next event; `None` once the stream has ended (after [`LexiEvent::End`] or EOF).
    /// A stream silent for longer than the idle limit, or open longer than the overall cap,
    /// ends with a [`LeadLexErrorKind::Timeout`].
    pub async fn next(&mut self) -> Option<Result<LexiEvent, LeadLexError>> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                self.any_event = true;
                match &event {
                    Ok(LexiEvent::End) => {
                        self.ended = true;
                        self.record("completed");
                    }
                    Ok(LexiEvent::Done {
                        credits_remaining: Some(credits),
                        ..
                    }) => {
                        if let Some(m) = &self.metrics {
                            m.set(metrics::CREDITS, &[], *credits as f64);
                        }
                    }
                    Ok(_) => {}
                    // The reader stops at an unreadable event: the stream ends broken.
                    Err(_) => self.record("broken"),
                }
                return Some(event.map_err(|e| {
                    self.fail(LeadLexErrorKind::Decode {
                        detail: e.to_string(),
                    })
                }));
            }
            if self.ended {
                return None;
            }
            let idle_until = self.last_arrival + self.limits.idle;
            let deadline = idle_until.min(self.give_up_at);
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Ok(Ok(Some(chunk))) => {
                    self.last_arrival = Instant::now();
                    self.ready.extend(self.parser.push(&chunk));
                }
                Ok(Ok(None)) => {
                    self.ended = true;
                    // Flush an event the server ended without a blank line after.
                    self.ready.extend(self.parser.push(b"\n\n"));
                    if self.ready.is_empty() && !self.any_event {
                        // Nothing at all (a body that is no event stream): broken, so the job
                        // asks again rather than showing an empty answer.
                        self.record("broken");
                        let detail = "the stream closed before any event".to_owned();
                        return Some(Err(self.fail(LeadLexErrorKind::Decode { detail })));
                    }
                    if !self.ready.iter().any(|e| matches!(e, Ok(LexiEvent::End))) {
                        // Closed without `[DONE]`: whatever came is all there is.
                        self.record("cut_short");
                    }
                    if self.ready.is_empty() {
                        return None;
                    }
                }
                Ok(Err(e)) => {
                    self.ended = true;
                    let kind = transport(e);
                    let too_long = matches!(kind, LeadLexErrorKind::Timeout);
                    self.record(if too_long { "too_long" } else { "broken" });
                    return Some(Err(self.fail(kind)));
                }
                Err(_elapsed) => {
                    self.ended = true;
                    let too_long = Instant::now() >= self.give_up_at;
                    self.record(if too_long { "too_long" } else { "idle_timeout" });
                    return Some(Err(self.fail(LeadLexErrorKind::Timeout)));
                }
            }
        }
    }

    fn fail(&self, kind: LeadLexErrorKind) -> LeadLexError {
        LeadLexError {
            kind,
            endpoint: ENDPOINT,
            request_id: self.request_id.clone(),
        }
    }

    /// Counts how the stream ended and how long it lasted, the first time it ends.
    fn record(&mut self, outcome: &'static str) {
        if self.outcome.is_some() {
            return;
        }
        self.outcome = Some(outcome);
        if let Some(m) = &self.metrics {
            let labels = [("outcome", outcome)];
            m.inc(metrics::LEADLEX_STREAMS, &labels);
            m.observe(
                metrics::LEADLEX_STREAM_DURATION,
                &labels,
                self.opened.elapsed(),
            );
        }
    }
}

impl Drop for LexiStream {
    /// A stream dropped before it ended was left by its reader (the job gave up on it).
    fn drop(&mut self) {
        self.record("abandoned");
    }
}

impl LeadLexClient {
    /// `POST /v1/lexi/chat/stream`: opens Lexi's answer as a stream of events. Errors before the
    /// stream starts (402, 429, …) arrive as ordinary JSON errors and are returned here. The
    /// response must start within the idle limit; after that the stream is bounded by
    /// [`StreamLimits`], not by the client's timeout.
    pub async fn chat_stream(
        &self,
        message: &str,
        conversation: Option<&ConversationId>,
        idempotency_key: &str,
    ) -> Result<LexiStream, LeadLexError> {
        let opened = std::time::Instant::now();
        let limits = self.stream_limits;
        let give_up_at = Instant::now() + limits.max;
        let fail = |kind, request_id| LeadLexError {
            kind,
            endpoint: ENDPOINT,
            request_id,
        };
        let body = StreamRequest {
            message,
            conversation_id: conversation.map(ConversationId::as_str),
        };
        let request = self
            .request(Method::POST, "/v1/lexi/chat/stream")
            // Replaces the client's whole-request timeout for this one call.
            .timeout(limits.max)
            .header("Accept", "text/event-stream")
            .header("Idempotency-Key", idempotency_key)
            .json(&body);
        let sent = tokio::time::timeout(limits.idle, request.send()).await;
        let response = match sent {
            Ok(Ok(response)) => response,
            Ok(Err(e)) => {
                let kind = transport(e);
                self.observe_failure(ENDPOINT, &kind, opened);
                return Err(fail(kind, None));
            }
            Err(_elapsed) => {
                let kind = LeadLexErrorKind::Timeout;
                self.observe_failure(ENDPOINT, &kind, opened);
                return Err(fail(kind, None));
            }
        };
        let status = response.status();
        let request_id = header(&response, "x-request-id");
        let rate_remaining = header(&response, "x-ratelimit-remaining");
        if let Some(id) = &request_id {
            crate::telemetry::note_leadlex_request_id(id);
        }
        if !status.is_success() {
            let wait = retry_after(&response);
            let body = response.bytes().await.unwrap_or_default();
            self.observe_status(ENDPOINT, status, opened, rate_remaining.as_deref(), &body);
            return Err(fail(error_kind(status, &body, wait), request_id));
        }
        // A 200 that is no event stream (a proxy's error page, a JSON body) would read as a
        // stream that ends at once, and show as an empty answer: it is unreadable instead, so
        // the job falls back to the plain reply.
        let content_type = header(&response, "content-type").unwrap_or_default();
        if !content_type.is_empty()
            && !content_type
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("text/event-stream")
        {
            self.observe_status(ENDPOINT, status, opened, rate_remaining.as_deref(), b"");
            let detail = format!("a 200 of {content_type}, not an event stream");
            return Err(fail(LeadLexErrorKind::Decode { detail }, request_id));
        }
        // Counted like the other calls, with the time until the stream opened; how it then
        // went is counted when it ends.
        self.observe_status(ENDPOINT, status, opened, rate_remaining.as_deref(), b"");
        Ok(LexiStream {
            response,
            parser: SseParser::default(),
            ready: Default::default(),
            request_id,
            ended: false,
            any_event: false,
            limits,
            last_arrival: Instant::now(),
            give_up_at,
            opened,
            metrics: self.metrics().cloned(),
            outcome: None,
        })
    }
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
