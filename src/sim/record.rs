//! What the simulated servers remember about each request, and the scripted answers tests give them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::http::request::Parts;
use bytes::Bytes;
use serde_json::{Map, Value};
use tokio::sync::watch;

use super::fault::FaultKind;

/// One request as a simulated server received it, recorded on arrival (before any hold or delay).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Header names are lower-cased; repeated headers are joined with `", "`.
    pub headers: BTreeMap<String, String>,
    pub body: Bytes,
    /// When it arrived, to measure the gaps between a client's retries.
    pub at: Instant,
    /// The fault a [`FaultPlan`](super::FaultPlan) or an outage answered it with, if any.
    pub fault: Option<FaultKind>,
}

impl Recorded {
    pub(crate) fn from_parts(parts: &Parts, body: Bytes) -> Self {
        let mut headers: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in &parts.headers {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            headers
                .entry(name.as_str().to_ascii_lowercase())
                .and_modify(|v| {
                    v.push_str(", ");
                    v.push_str(&value);
                })
                .or_insert(value);
        }
        Self {
            method: parts.method.as_str().to_owned(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers,
            body,
            at: Instant::now(),
            fault: None,
        }
    }

    /// The body as JSON: parsed JSON, or for a form-encoded body an object of its fields
    /// (values stay strings), or `Null` when it is neither.
    pub fn json(&self) -> Value {
        if let Ok(v) = serde_json::from_slice::<Value>(&self.body) {
            return v;
        }
        let is_form = self
            .header("content-type")
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        if is_form {
            if let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&self.body) {
                let map: Map<String, Value> = pairs
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect();
                return Value::Object(map);
            }
        }
        Value::Null
    }

    /// A header by name, ignoring case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The body as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// One query parameter, decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(self.query.as_deref()?).ok()?;
        pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

/// How a scripted response misbehaves instead of answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Close the connection without answering.
    Reset,
    /// Never answer; the client has to give up.
    Hang,
    /// Do what was asked, then close the connection without answering.
    LoseAnswer,
    /// Do what was asked, then never answer (the caller is cut off mid-call, as by a crash).
    HangAfterDoing,
}

/// A scripted response, consumed once, in FIFO order per (method, path).
#[derive(Debug, Clone)]
pub struct Canned {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
    pub(crate) delay: Option<Duration>,
    pub(crate) fault: Option<Fault>,
}

impl Canned {
    /// A JSON response with `Content-Type: application/json`.
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
            delay: None,
            fault: None,
        }
    }

    /// A Slack Web API refusal as Slack sends it: `{"ok": false, "error": error}`, with HTTP 200
    /// for a refusal and another status for a Slack-side failure or a rate limit.
    pub fn slack_error(status: u16, error: &str) -> Self {
        Self::json(status, serde_json::json!({"ok": false, "error": error}))
    }

    /// A LeadLex error as LeadLex sends it: `{"error": {"code": code, "message": message}}`.
    pub fn leadlex_error(status: u16, code: &str, message: &str) -> Self {
        Self::json(
            status,
            serde_json::json!({"error": {"code": code, "message": message}}),
        )
    }

    /// A plain-text response.
    pub fn text(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
            body: body.to_owned(),
            delay: None,
            fault: None,
        }
    }

    /// Sets a response header (replacing one of the same name).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = name.to_ascii_lowercase();
        self.headers.retain(|(k, _)| *k != name);
        self.headers.push((name, value.to_owned()));
        self
    }

    /// Waits this long before answering (the request is already recorded).
    pub fn delay(mut self, d: Duration) -> Self {
        self.delay = Some(d);
        self
    }

    /// Closes the connection without answering (the socket is dropped with a reset).
    pub fn reset() -> Self {
        Self {
            fault: Some(Fault::Reset),
            ..Self::text(500, "")
        }
    }

    /// Never answers; the request stays open until the client gives up or the server stops.
    pub fn hang() -> Self {
        Self {
            fault: Some(Fault::Hang),
            ..Self::text(500, "")
        }
    }

    /// Does the work (a post is made), then closes the connection unanswered: the caller
    /// cannot know that it happened.
    pub fn lose_answer() -> Self {
        Self {
            fault: Some(Fault::LoseAnswer),
            ..Self::text(500, "")
        }
    }

    /// Does the work, then never answers: the caller is stuck in the call, as a process that
    /// crashes right after Slack acted.
    pub fn hang_after_doing() -> Self {
        Self {
            fault: Some(Fault::HangAfterDoing),
            ..Self::text(500, "")
        }
    }

    pub fn status(&self) -> u16 {
        self.status
    }
}

/// Holds the requests to one path until released: for "the server is slow" tests without timing.
///
/// Held requests are recorded on arrival. Releasing (or dropping) the gate lets every held request
/// and every later one through.
#[must_use = "dropping a Gate releases it at once"]
#[derive(Debug)]
pub struct Gate {
    pub(crate) inner: Arc<GateInner>,
}

#[derive(Debug)]
pub(crate) struct GateInner {
    pub(crate) pattern: String,
    open: watch::Sender<bool>,
    held: AtomicUsize,
}

impl GateInner {
    pub(crate) fn new(pattern: String) -> Self {
        Self {
            pattern,
            open: watch::Sender::new(false),
            held: AtomicUsize::new(0),
        }
    }

    pub(crate) fn is_open(&self) -> bool {
        *self.open.borrow()
    }

    /// Waits until the gate opens, counting this request as held meanwhile.
    pub(crate) async fn pass(&self) {
        self.held.fetch_add(1, Ordering::SeqCst);
        let mut rx = self.open.subscribe();
        // The sender lives as long as `self`, so this only ends when the gate opens.
        let _ = rx.wait_for(|open| *open).await;
        self.held.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Gate {
    /// Lets every held request (and every later one) through.
    pub fn release(&self) {
        self.inner.open.send_replace(true);
    }

    /// How many requests are waiting at this gate right now.
    pub fn held(&self) -> usize {
        self.inner.held.load(Ordering::SeqCst)
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.release();
    }
}

/// `wait_for` gave up: names what the server did see.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "timed out after {waited:?} waiting for {wanted} request(s) to {path}: {matched} arrived; all requests seen: {seen:?}"
)]
pub struct Timeout {
    pub path: String,
    pub wanted: usize,
    pub matched: usize,
    pub waited: Duration,
    /// `"METHOD /path"` of every recorded request, in arrival order.
    pub seen: Vec<String>,
}

/// Whether `path` matches `pattern`: segment by segment, where a `*` segment matches any one
/// non-empty segment. Query strings are ignored on both sides.
pub(crate) fn path_matches(pattern: &str, path: &str) -> bool {
    let pattern = pattern.split('?').next().unwrap_or_default();
    let path = path.split('?').next().unwrap_or_default();
    if !pattern.contains('*') {
        return pattern == path;
    }
    let mut p = pattern.split('/');
    let mut s = path.split('/');
    loop {
        match (p.next(), s.next()) {
            (None, None) => return true,
            (Some("*"), Some(seg)) if !seg.is_empty() => {}
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

pub(crate) fn method_matches(pattern: &str, method: &str) -> bool {
    pattern == "*" || pattern.eq_ignore_ascii_case(method)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_star_segment_matches_exactly_one_segment() {
        let p = "/v1/lexi/tasks/*/approve";
        assert!(path_matches(p, "/v1/lexi/tasks/abc/approve"));
        assert!(!path_matches(p, "/v1/lexi/tasks/abc/dismiss"));
        assert!(!path_matches(p, "/v1/lexi/tasks//approve"));
        assert!(!path_matches(p, "/v1/lexi/tasks/a/b/approve"));
        assert!(path_matches("/v1/lexi/chat", "/v1/lexi/chat?x=1"));
        assert!(!path_matches("/v1/lexi/chat", "/v1/lexi/chat/stream"));
    }

    #[test]
    fn a_form_body_reads_as_a_json_object() {
        let req = axum::http::Request::builder()
            .method("POST")
            .uri("/api/chat.postMessage?x=1")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(())
            .unwrap();
        let (parts, ()) = req.into_parts();
        let rec = Recorded::from_parts(&parts, Bytes::from_static(b"channel=C1&text=hi+there"));
        assert_eq!(rec.json()["text"], "hi there");
        assert_eq!(
            rec.header("Content-Type"),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(rec.query_param("x").as_deref(), Some("1"));
    }
}
