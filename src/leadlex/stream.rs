//! `POST /v1/lexi/chat/stream`: server-sent events, parsed incrementally into Lexi's typed events.

use super::client::{LeadLexClient, error_kind, header, retry_after, transport};
use super::error::{LeadLexError, LeadLexErrorKind};
use crate::domain::ConversationId;
use reqwest::{Method, Response};
use serde::{Deserialize, Serialize};

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

/// An open answer stream.
pub struct LexiStream {
    response: Response,
    parser: SseParser,
    ready: std::collections::VecDeque<Result<LexiEvent, SseError>>,
    request_id: Option<String>,
    ended: bool,
}

impl LexiStream {
    /// The next event; `None` once the stream has ended (after [`LexiEvent::End`] or EOF).
    pub async fn next(&mut self) -> Option<Result<LexiEvent, LeadLexError>> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                if matches!(event, Ok(LexiEvent::End)) {
                    self.ended = true;
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
            match self.response.chunk().await {
                Ok(Some(chunk)) => self.ready.extend(self.parser.push(&chunk)),
                Ok(None) => {
                    self.ended = true;
                    // Flush an event the server ended without a blank line after.
                    self.ready.extend(self.parser.push(b"\n\n"));
                    if self.ready.is_empty() {
                        return None;
                    }
                }
                Err(e) => {
                    self.ended = true;
                    return Some(Err(self.fail(transport(e))));
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
}

impl LeadLexClient {
    /// `POST /v1/lexi/chat/stream`: opens Lexi's answer as a stream of events. Errors before the
    /// stream starts (402, 429, …) arrive as ordinary JSON errors and are returned here.
    pub async fn chat_stream(
        &self,
        message: &str,
        conversation: Option<&ConversationId>,
        idempotency_key: &str,
    ) -> Result<LexiStream, LeadLexError> {
        let fail = |kind, request_id| LeadLexError {
            kind,
            endpoint: ENDPOINT,
            request_id,
        };
        let body = StreamRequest {
            message,
            conversation_id: conversation.map(ConversationId::as_str),
        };
        let response = self
            .request(Method::POST, "/v1/lexi/chat/stream")
            .header("Accept", "text/event-stream")
            .header("Idempotency-Key", idempotency_key)
            .json(&body)
            .send()
            .await
            .map_err(|e| fail(transport(e), None))?;
        let status = response.status();
        let request_id = header(&response, "x-request-id");
        if let Some(id) = &request_id {
            crate::telemetry::note_leadlex_request_id(id);
        }
        if !status.is_success() {
            let wait = retry_after(&response);
            let body = response.bytes().await.unwrap_or_default();
            return Err(fail(error_kind(status, &body, wait), request_id));
        }
        Ok(LexiStream {
            response,
            parser: SseParser::default(),
            ready: Default::default(),
            request_id,
            ended: false,
        })
    }
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
