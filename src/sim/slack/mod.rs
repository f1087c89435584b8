//! The fake Slack Web API and response URLs, keeping a model of what Slack would display.

mod methods;
mod model;
mod render;
mod respond;
mod socket;
mod validate;

pub use model::{AssistantThread, BOT_ID, BOT_USER_ID, Message, TEAM_ID};
pub use render::{render_blocks, render_text};
pub use socket::{FakeSocket, NoConnection, SocketTimeout};

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde_json::{Map, Value, json};

use super::server::{Core, Running, shared_sim_api, with_recording};
use model::{Draft, Model};
use validate::Rejection;

/// A simulated Slack on loopback: Web API under `/api`, response URLs under `/response`.
pub struct FakeSlack {
    running: Running,
    shared: Arc<Shared>,
}

struct Shared {
    model: Mutex<Model>,
    addr: OnceLock<SocketAddr>,
    socket: FakeSocket,
}

impl Shared {
    fn model(&self) -> MutexGuard<'_, Model> {
        self.model.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `chat.postMessage` → `/api/chat.postMessage`; paths starting with `/` stay as given.
fn api_path(path: &str) -> String {
    if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/api/{path}")
    }
}

impl FakeSlack {
    /// Starts on `127.0.0.1:0`.
    pub async fn start() -> io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    pub async fn start_on(addr: SocketAddr) -> io::Result<Self> {
        let core = Core::new();
        let mut model = Model::default();
        let bot = (String::from("Lexi"), String::from("lexi@acme.law"));
        model.users.insert(BOT_USER_ID.to_owned(), bot);
        let shared = Arc::new(Shared {
            model: Mutex::new(model),
            addr: OnceLock::new(),
            socket: FakeSocket::new(core.clone()),
        });
        let routes = Router::new()
            .route("/api/{method}", any(web_api))
            .route("/response/{name}", post(respond::response_url))
            .route(
                "/socket",
                get(
                    |State(shared): State<Arc<Shared>>, upgrade: WebSocketUpgrade| async move {
                        shared.socket.accept(upgrade)
                    },
                ),
            )
            .fallback(|| async { (StatusCode::NOT_FOUND, "not found") })
            .with_state(shared.clone());
        let app = with_recording(routes, core.clone());
        let running = Running::serve(addr, app, core).await?;
        let _ = shared.addr.set(running.addr);
        Ok(Self { running, shared })
    }

    /// Socket Mode: the WebSocket that `apps.connections.open` hands out (`ws://…/socket`).
    pub fn socket(&self) -> &FakeSocket {
        &self.shared.socket
    }

    /// `http://127.0.0.1:PORT/api`; the client appends `/chat.postMessage`.
    pub fn base_url(&self) -> String {
        format!("http://{}/api", self.running.addr)
    }

    // Paths may be given as `chat.postMessage` as well as `/api/chat.postMessage`.
    shared_sim_api!(api_path, crate::sim::fault::Flavor::Slack);

    /// `http://127.0.0.1:PORT/response/<name>`: a response URL to hand the bot in a payload.
    pub fn response_url(&self, name: &str) -> String {
        format!("http://{}/response/{name}", self.running.addr)
    }

    /// Makes the next call of Web API `method` (e.g. `chat.postMessage`) refused with `error`,
    /// as Slack refuses: HTTP 200, `ok: false`.
    pub fn refuse_next(&self, method: &str, error: &str) {
        self.enqueue(
            "POST",
            &format!("/api/{method}"),
            crate::sim::Canned::slack_error(200, error),
        );
    }

    /// Shows `user` an ephemeral bot message in `channel` (what a slash command's ack looks like)
    /// and ties the response URL `name` to it; returns the message's ts.
    pub fn show_ephemeral(&self, name: &str, channel: &str, user: &str, text: &str) -> String {
        let draft = Draft {
            thread_ts: None,
            text: text.to_owned(),
            blocks: None,
            metadata: None,
        };
        let ts = self
            .shared
            .model()
            .post(channel, model::BOT_USER_ID, draft, Some(user))
            .ts;
        self.bind_response_url(name, channel, &ts);
        self.bind_response_url_user(name, user);
        ts
    }

    /// Ties a response URL to the message it came from (for `replace_original`/`delete_original`)
    /// and that message's channel (for `in_channel`).
    pub fn bind_response_url(&self, name: &str, channel: &str, ts: &str) {
        let mut m = self.shared.model();
        let user = m.get(channel, ts).and_then(|msg| msg.ephemeral_for.clone());
        let url = m.response_urls.entry(name.to_owned()).or_default();
        url.channel = Some(channel.to_owned());
        url.ts = Some(ts.to_owned());
        if url.user.is_none() {
            url.user = user;
        }
    }

    /// Ties a response URL to a channel only (a slash command has no original message).
    pub fn bind_response_url_channel(&self, name: &str, channel: &str) {
        let mut m = self.shared.model();
        m.response_urls.entry(name.to_owned()).or_default().channel = Some(channel.to_owned());
    }

    /// The user who sees the ephemeral responses posted through this URL.
    pub fn bind_response_url_user(&self, name: &str, user: &str) {
        let mut m = self.shared.model();
        m.response_urls.entry(name.to_owned()).or_default().user = Some(user.to_owned());
    }

    /// A thread as users see it: root first, then replies by ts (ephemerals excluded).
    pub fn thread(&self, channel: &str, thread_ts: &str) -> Vec<Message> {
        self.shared.model().thread(channel, thread_ts)
    }

    /// The bot's messages in a thread, oldest first: what a test checks the bot answered.
    pub fn bot_messages(&self, channel: &str, thread_ts: &str) -> Vec<Message> {
        let mut messages = self.thread(channel, thread_ts);
        messages.retain(Message::is_bot);
        messages
    }

    /// One message (ephemeral ones included).
    pub fn message(&self, channel: &str, ts: &str) -> Option<Message> {
        self.shared.model().get(channel, ts).cloned()
    }

    /// Every non-ephemeral message in a channel by ts, thread replies included
    /// (top-level ones have `thread_ts == None`).
    pub fn channel_messages(&self, channel: &str) -> Vec<Message> {
        self.shared.model().channel_messages(channel)
    }

    /// The ephemeral messages shown to one user, in every channel.
    pub fn ephemerals_for(&self, user: &str) -> Vec<Message> {
        self.shared.model().ephemerals_for(user)
    }

    /// Puts a user's message in the model (as Slack would show it) and returns its ts.
    pub fn add_user_message(
        &self,
        channel: &str,
        user: &str,
        text: &str,
        thread_ts: Option<&str>,
    ) -> String {
        let draft = Draft {
            thread_ts: thread_ts.map(str::to_owned),
            text: text.to_owned(),
            blocks: None,
            metadata: None,
        };
        self.shared.model().post(channel, user, draft, None).ts
    }

    /// Registers a user for `users.info` (unknown ids get a made-up plausible user).
    pub fn add_user(&self, id: &str, real_name: &str, email: &str) {
        let mut m = self.shared.model();
        m.users
            .insert(id.to_owned(), (real_name.to_owned(), email.to_owned()));
    }

    /// Status, title and suggested prompts set on an assistant thread
    /// (`thread_ts` is `""` for prompts set without a thread).
    pub fn assistant_thread(&self, channel: &str, thread_ts: &str) -> Option<AssistantThread> {
        let key = (channel.to_owned(), thread_ts.to_owned());
        self.shared.model().assistant.get(&key).cloned()
    }
}

/// Slack answers errors with HTTP 200 and `ok: false`.
fn slack_error(r: &Rejection) -> Response {
    let mut body = json!({"ok": false, "error": r.error});
    if !r.messages.is_empty() {
        body["response_metadata"] = json!({ "messages": r.messages });
    }
    slack_json(StatusCode::OK, &body)
}

fn slack_json(status: StatusCode, body: &Value) -> Response {
    let ct = [(header::CONTENT_TYPE, "application/json; charset=utf-8")];
    (status, ct, body.to_string()).into_response()
}

/// Query parameters, then the JSON or form body, as one object (form values stay strings).
fn params(
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> Result<Map<String, Value>, Rejection> {
    let form = |raw: &[u8]| -> Result<Map<String, Value>, Rejection> {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(raw)
            .map(|pairs| {
                pairs
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect()
            })
            .map_err(|_| Rejection::new("invalid_form_data"))
    };
    let mut out = form(query.unwrap_or_default().as_bytes())?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(out);
    }
    let fields = if content_type.starts_with("application/json") {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(m)) => m,
            _ => return Err(Rejection::new("invalid_json")),
        }
    } else {
        form(body)?
    };
    out.extend(fields);
    Ok(out)
}

/// Bot methods need `xoxb-`; `apps.connections.open` needs an app-level `xapp-` token.
fn check_token(method: &str, token: Option<&str>) -> Result<(), Rejection> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(Rejection::new("not_authed"));
    };
    let wanted = if method == "apps.connections.open" {
        "xapp-"
    } else {
        "xoxb-"
    };
    let known = ["xoxb-", "xapp-", "xoxp-"];
    match known.iter().find(|p| token.starts_with(**p)) {
        Some(p) if *p == wanted && token.len() > p.len() => Ok(()),
        Some(p) if *p != wanted => Err(Rejection::new("not_allowed_token_type")),
        _ => Err(Rejection::new("invalid_auth")),
    }
}

async fn web_api(
    State(shared): State<Arc<Shared>>,
    Path(method): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !methods::METHODS.contains(&method.as_str()) {
        return slack_error(&Rejection::new("unknown_method"));
    }
    let params = match params(&headers, query.as_deref(), &body) {
        Ok(p) => Value::Object(p),
        Err(r) => return slack_error(&r),
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if let Err(r) = check_token(&method, bearer.or(params["token"].as_str())) {
        return slack_error(&r);
    }
    let socket_url = format!(
        "ws://{}/socket",
        shared
            .addr
            .get()
            .map_or_else(String::new, ToString::to_string)
    );
    let reply = methods::call(&mut shared.model(), &method, &params, &socket_url);
    match reply {
        Ok(mut body) => {
            body["ok"] = json!(true);
            let ct = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if ct.starts_with("application/json") && !ct.contains("charset") {
                body["warning"] = json!("missing_charset");
                body["response_metadata"] = json!({"warnings": ["missing_charset"]});
            }
            slack_json(StatusCode::OK, &body)
        }
        Err(r) => slack_error(&r),
    }
}
