//! The fake LeadLex REST API: Lexi chat (JSON and SSE), Lexi tasks, follow-up suggestions, contacts.

mod chat;
mod crm;
mod prose;
mod records;
mod tasks;

pub use records::{Contact, JANE_DOE_ID, MARCUS_LEE_ID, SAM_CARTER_ID, SAM_PATEL_ID, Task};

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::server::{Core, Running, shared_sim_api, with_recording};

/// A simulated LeadLex API on loopback, with in-memory workspace state.
pub struct FakeLeadLex {
    running: Running,
    shared: Arc<Shared>,
}

pub(super) struct Shared {
    pub(super) model: Mutex<Model>,
    pub(super) core: Arc<Core>,
}

/// One turn of a conversation: `("user" | "assistant", content)`.
pub(super) type Turn = (&'static str, String);

pub(super) struct Model {
    pub(super) credits: u64,
    pub(super) conversations: HashMap<String, Vec<Turn>>,
    pub(super) tasks: Vec<Task>,
    pub(super) contacts: Vec<Contact>,
    pub(super) completion_after_polls: u32,
    pub(super) streams: VecDeque<Vec<Vec<u8>>>,
    pub(super) stream_pace: Duration,
    pub(super) rate_limit: u64,
    pub(super) rate_remaining: u64,
    pub(super) requests_seen: u64,
}

impl Shared {
    pub(super) fn model(&self) -> MutexGuard<'_, Model> {
        self.model.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn same(path: &str) -> String {
    path.to_owned()
}

impl FakeLeadLex {
    /// Starts on `127.0.0.1:0`.
    pub async fn start() -> io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    pub async fn start_on(addr: SocketAddr) -> io::Result<Self> {
        let core = Core::new();
        let shared = Arc::new(Shared {
            model: Mutex::new(Model {
                credits: 5000,
                conversations: HashMap::new(),
                tasks: Vec::new(),
                contacts: records::seed_contacts(),
                completion_after_polls: 1,
                streams: VecDeque::new(),
                stream_pace: Duration::from_millis(2),
                rate_limit: 10_000,
                rate_remaining: 10_000,
                requests_seen: 0,
            }),
            core: core.clone(),
        });
        let routes = Router::new()
            .route("/v1/lexi/chat", post(chat::chat))
            .route("/v1/lexi/chat/stream", post(chat::chat_stream))
            .route("/v1/lexi/tasks", get(tasks::list_tasks))
            .route("/v1/lexi/tasks/{id}/approve", post(tasks::approve))
            .route("/v1/lexi/tasks/{id}/dismiss", post(tasks::dismiss))
            .route("/v1/lexi/conversations/{id}", get(chat::get_conversation))
            .route("/v1/ai/suggest-followups", post(crm::suggest_followups))
            .route("/v1/contacts", get(crm::list_contacts))
            .route("/v1/contacts/{id}", get(crm::get_contact))
            .fallback(|req: Request| async move {
                let msg = format!("No route for {} {}", req.method(), req.uri().path());
                error(StatusCode::NOT_FOUND, "not_found", &msg).into_response()
            })
            .method_not_allowed_fallback(|req: Request| async move {
                let msg = format!("{} is not allowed on {}", req.method(), req.uri().path());
                error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", &msg).into_response()
            })
            .layer(middleware::from_fn(require_key))
            .with_state(shared.clone());
        let app = with_recording(routes, core.clone())
            .layer(middleware::from_fn_with_state(shared.clone(), decorate));
        let running = Running::serve(addr, app, core).await?;
        Ok(Self { running, shared })
    }

    /// `http://127.0.0.1:PORT`; the client appends `/v1/...`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.running.addr)
    }

    shared_sim_api!(same, crate::sim::fault::Flavor::LeadLex);

    /// The user messages Lexi received in a conversation, in order.
    pub fn conversation(&self, id: &str) -> Vec<String> {
        self.shared
            .model()
            .conversations
            .get(id)
            .map(|turns| {
                turns
                    .iter()
                    .filter(|(role, _)| *role == "user")
                    .map(|(_, m)| m.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Ids of every conversation Lexi knows.
    pub fn conversation_ids(&self) -> Vec<String> {
        self.shared.model().conversations.keys().cloned().collect()
    }

    /// Scripts the next `POST /v1/lexi/chat/stream` answer as raw chunks, written one by one.
    pub fn enqueue_stream(&self, chunks: Vec<Vec<u8>>) {
        self.shared.model().streams.push_back(chunks);
    }

    /// The pause between SSE events (default 2 ms; raise it for a watchable demo).
    pub fn set_stream_pace(&self, pace: Duration) {
        self.shared.model().stream_pace = pace;
    }

    pub fn set_credits(&self, n: u64) {
        self.shared.model().credits = n;
    }

    pub fn credits(&self) -> u64 {
        self.shared.model().credits
    }

    /// The values the `X-RateLimit-Limit` / `-Remaining` headers start from (default 10000).
    pub fn set_rate_limit(&self, limit: u64, remaining: u64) {
        let mut m = self.shared.model();
        m.rate_limit = limit;
        m.rate_remaining = remaining;
    }

    /// Adds a contact and returns its id.
    pub fn add_contact(&self, contact: Contact) -> String {
        let id = contact.id.clone();
        self.shared.model().contacts.push(contact);
        id
    }

    pub fn contacts(&self) -> Vec<Contact> {
        self.shared.model().contacts.clone()
    }

    /// Adds a pending task and returns its id.
    pub fn add_task(&self, kind: &str, description: &str, metadata: Value) -> String {
        let task = Task::new(kind, description, metadata);
        let id = task.id.clone();
        self.shared.model().tasks.push(task);
        id
    }

    pub fn task(&self, id: &str) -> Option<Task> {
        self.shared
            .model()
            .tasks
            .iter()
            .find(|t| t.id == id)
            .cloned()
    }

    /// Every task, in creation order.
    pub fn tasks(&self) -> Vec<Task> {
        self.shared.model().tasks.clone()
    }

    /// An approved task finishes on the `n`th listing with `status=completed` or `status=failed`
    /// after approval (default 1: the first such listing already shows it; 0: at approval).
    pub fn set_completion_after_polls(&self, n: u32) {
        self.shared.model().completion_after_polls = n;
    }

    /// Decides what a task becomes when it finishes: `"failed"` or `"completed"`.
    /// An approved task that has already had enough polls finishes now.
    pub fn set_task_outcome(&self, id: &str, outcome: &str) {
        let mut m = self.shared.model();
        let after = m.completion_after_polls;
        if let Some(t) = m.tasks.iter_mut().find(|t| t.id == id) {
            t.outcome = outcome.to_owned();
            if t.status == "approved" && t.polls >= after {
                t.finish();
            }
        }
    }

    /// Sets a task's status directly, bypassing the lifecycle.
    pub fn set_task_status(&self, id: &str, status: &str) {
        if let Some(t) = self.shared.model().tasks.iter_mut().find(|t| t.id == id) {
            t.status = status.to_owned();
        }
    }
}

/// A LeadLex error envelope: `{"error":{"code","message","details"?}}`.
pub(super) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut err = json!({"code": self.code, "message": self.message});
        if let Some(field) = self.field {
            err["details"] = json!({"fields": {field: self.message}});
        }
        (self.status, axum::Json(json!({ "error": err }))).into_response()
    }
}

pub(super) type ApiResult = Result<Response, ApiError>;

pub(super) fn error(status: StatusCode, code: &'static str, message: &str) -> ApiError {
    ApiError {
        status,
        code,
        message: message.to_owned(),
        field: None,
    }
}

/// A 400 `validation_error` naming the offending field.
pub(super) fn invalid(field: &str, message: &str) -> ApiError {
    ApiError {
        field: Some(field.to_owned()),
        ..error(StatusCode::BAD_REQUEST, "validation_error", message)
    }
}

/// The success envelope `{"data": ...}`.
pub(super) fn ok(data: Value) -> ApiResult {
    Ok(axum::Json(json!({ "data": data })).into_response())
}

/// Every call needs `Authorization: Bearer wbk_...`.
async fn require_key(req: Request, next: Next) -> Response {
    let authorized = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|k| k.starts_with("wbk_") && k.len() > 4);
    if authorized {
        next.run(req).await
    } else {
        error(
            StatusCode::UNAUTHORIZED,
            "invalid_key",
            "Invalid or missing API key",
        )
        .into_response()
    }
}

/// Adds `X-Request-ID` and `X-RateLimit-*` to every response, scripted ones included
/// (a script's own values win).
async fn decorate(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let (n, limit, remaining) = {
        let mut m = shared.model();
        m.requests_seen += 1;
        m.rate_remaining = m.rate_remaining.saturating_sub(1);
        (m.requests_seen, m.rate_limit, m.rate_remaining)
    };
    let mut resp = next.run(req).await;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let reset = (now / 86_400 + 1) * 86_400;
    let h = resp.headers_mut();
    for (k, v) in [
        ("x-request-id", format!("req-{n}")),
        ("x-ratelimit-limit", limit.to_string()),
        ("x-ratelimit-remaining", remaining.to_string()),
        ("x-ratelimit-reset", reset.to_string()),
    ] {
        if !h.contains_key(k) {
            if let Ok(v) = HeaderValue::from_str(&v) {
                h.insert(k, v);
            }
        }
    }
    resp
}

pub(super) fn parse_body(body: &Bytes) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(v) if v.is_object() => Ok(v),
        _ => Err(error(
            StatusCode::BAD_REQUEST,
            "validation_error",
            "Request body must be a JSON object",
        )),
    }
}
