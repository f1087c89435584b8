//! Count-only fakes for load tests: LeadLex and Slack answering at once, remembering nothing but
//! how many requests each route got.
//!
//! [`FakeLeadLex`](super::FakeLeadLex) and [`FakeSlack`](super::FakeSlack) record every request and
//! keep a model of every conversation and message, which is what tests want and what a benchmark
//! cannot afford: a million events would keep a million recorded requests in memory (and the fake
//! LeadLex runs out of credits after 5,000 chats). These two answer every call with a fixed,
//! valid reply, count it per path, and optionally hand each Slack Web API call to a [`SlackTap`],
//! which is how `lexi-bench` times the moment a reply reaches "Slack".

use std::collections::BTreeMap;
use std::io;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use serde::Deserialize;

use super::server::{Core, Running};

/// What Lexi answers every chat with: short Markdown, like a typical answer.
pub const COUNTING_ANSWER: &str = "I found **3 CEOs** at law firms in New York:\n\n\
1. **Jane Doe**, CEO at Doe & Partners LLP\n\
2. **Marcus Lee**, Managing Partner at Lee Legal Group\n\
3. **Sam Carter**, CEO at Carter Law\n\n\
Want me to add them to a list, or draft an intro email to each?";

/// One Slack Web API call as a [`CountingSlack`] saw it, handed to its tap on arrival.
#[derive(Debug, Clone, Copy)]
pub struct SlackCall<'a> {
    /// `chat.postMessage`, `chat.update`, `auth.test`, …
    pub method: &'a str,
    pub channel: Option<&'a str>,
    /// The `ts` the call names (`chat.update`), if any.
    pub ts: Option<&'a str>,
    pub thread_ts: Option<&'a str>,
    /// The `ts` the fake gives the new message (`chat.postMessage`).
    pub posted_ts: Option<&'a str>,
    /// The message's notification text, if the call has one.
    pub text: Option<&'a str>,
}

/// Called for every Web API call, on arrival, before the answer is sent.
pub type SlackTap = Arc<dyn Fn(&SlackCall<'_>) + Send + Sync>;

/// Requests per path, shared by a counting server and its handle.
#[derive(Default)]
struct Counts(Mutex<BTreeMap<String, u64>>);

impl Counts {
    fn bump(&self, key: &str) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match map.get_mut(key) {
            Some(n) => *n += 1,
            None => {
                map.insert(key.to_owned(), 1);
            }
        }
    }

    fn get(&self, key: &str) -> u64 {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key).copied().unwrap_or(0)
    }

    fn all(&self) -> BTreeMap<String, u64> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

fn json(body: String) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response()
}

/// A count-only fake on its listener: the one server behind [`CountingLeadLex`] and
/// [`CountingSlack`], which differ only in their routes (and `Api` keeps the two apart).
pub struct Counting<Api> {
    running: Running,
    counts: Arc<Counts>,
    /// What [`base_url`](Self::base_url) appends to the address: `""`, or `/api` for Slack.
    base_path: &'static str,
    api: PhantomData<Api>,
}

/// Marks a [`Counting`] fake as LeadLex.
pub enum LeadLexApi {}

/// Marks a [`Counting`] fake as the Slack Web API.
pub enum SlackApi {}

/// A LeadLex that answers every `POST /v1/lexi/chat` at once with [`COUNTING_ANSWER`] and a new
/// conversation id, and counts requests per path.
pub type CountingLeadLex = Counting<LeadLexApi>;

/// A Slack Web API (under `/api`) that answers every method with `ok: true` and a plausible body,
/// gives each posted message a new `ts`, counts calls per method and shows each to the tap.
pub type CountingSlack = Counting<SlackApi>;

impl<Api> Counting<Api> {
    /// Serves `app` on `addr`; `app` bumps `counts`.
    async fn serve(
        addr: SocketAddr,
        base_path: &'static str,
        counts: Arc<Counts>,
        app: Router,
    ) -> io::Result<Self> {
        let running = Running::serve(addr, app, Core::new()).await?;
        Ok(Self {
            running,
            counts,
            base_path,
            api: PhantomData,
        })
    }

    /// `http://127.0.0.1:PORT` for LeadLex (the client appends `/v1/...`), and
    /// `http://127.0.0.1:PORT/api` for Slack (clients append `/chat.postMessage`).
    pub fn base_url(&self) -> String {
        format!("http://{}{}", self.running.addr, self.base_path)
    }

    /// Requests so far to `key`: a path for LeadLex (e.g. `/v1/lexi/chat`), a method for Slack
    /// (e.g. `chat.postMessage`).
    pub fn count(&self, key: &str) -> u64 {
        self.counts.get(key)
    }

    /// Requests per path (LeadLex) or method (Slack) so far.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.counts.all()
    }

    pub async fn shutdown(self) {
        self.running.shutdown().await
    }
}

struct LeadLexState {
    counts: Arc<Counts>,
    conversations: AtomicU64,
}

impl CountingLeadLex {
    pub async fn start_on(addr: SocketAddr) -> io::Result<Self> {
        let counts = Arc::new(Counts::default());
        let state = Arc::new(LeadLexState {
            counts: counts.clone(),
            conversations: AtomicU64::new(0),
        });
        let app = Router::new()
            .route("/v1/lexi/chat", post(leadlex_chat))
            .fallback(leadlex_other)
            .with_state(state);
        Self::serve(addr, "", counts, app).await
    }
}

async fn leadlex_chat(State(state): State<Arc<LeadLexState>>, headers: HeaderMap) -> Response {
    state.counts.bump("/v1/lexi/chat");
    if !headers.contains_key(header::AUTHORIZATION) {
        let body = r#"{"error":{"code":"unauthorized","message":"Missing API key"}}"#;
        return (StatusCode::UNAUTHORIZED, json(body.to_owned())).into_response();
    }
    let n = state.conversations.fetch_add(1, Ordering::Relaxed) + 1;
    let body = serde_json::json!({
        "data": {
            "response": COUNTING_ANSWER,
            "task_id": null,
            "requires_approval": false,
            "conversation_id": format!("conv-{n}"),
        }
    });
    json(body.to_string())
}

async fn leadlex_other(State(state): State<Arc<LeadLexState>>, uri: Uri) -> Response {
    state.counts.bump(uri.path());
    let body = r#"{"error":{"code":"not_found","message":"Not in the counting fake"}}"#;
    (StatusCode::NOT_FOUND, json(body.to_owned())).into_response()
}

struct SlackState {
    counts: Arc<Counts>,
    next_ts: AtomicU64,
    tap: Option<SlackTap>,
}

/// The fields a counting Slack reads, from a JSON or a form body.
#[derive(Deserialize, Default)]
struct CallFields {
    channel: Option<String>,
    ts: Option<String>,
    thread_ts: Option<String>,
    text: Option<String>,
}

impl CountingSlack {
    pub async fn start_on(addr: SocketAddr, tap: Option<SlackTap>) -> io::Result<Self> {
        let counts = Arc::new(Counts::default());
        let state = Arc::new(SlackState {
            counts: counts.clone(),
            next_ts: AtomicU64::new(0),
            tap,
        });
        let app = Router::new()
            .route("/api/{method}", any(slack_method))
            .fallback(|| async { (StatusCode::NOT_FOUND, "not found") })
            .with_state(state);
        Self::serve(addr, "/api", counts, app).await
    }
}

async fn slack_method(
    State(state): State<Arc<SlackState>>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.counts.bump(&method);
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let fields: CallFields = if body.is_empty() {
        CallFields::default()
    } else if is_json {
        serde_json::from_slice(&body).unwrap_or_default()
    } else {
        serde_urlencoded::from_bytes(&body).unwrap_or_default()
    };
    let channel = fields.channel.as_deref().unwrap_or("C0BENCH");
    let posted_ts = (method == "chat.postMessage").then(|| {
        let n = state.next_ts.fetch_add(1, Ordering::Relaxed) + 1;
        format!("{}.{:06}", 1_800_000_000 + n / 1_000_000, n % 1_000_000)
    });
    if let Some(tap) = &state.tap {
        tap(&SlackCall {
            method: &method,
            channel: fields.channel.as_deref(),
            ts: fields.ts.as_deref(),
            thread_ts: fields.thread_ts.as_deref(),
            posted_ts: posted_ts.as_deref(),
            text: fields.text.as_deref(),
        });
    }
    let message = |ts: &str| {
        serde_json::json!({
            "type": "message", "user": super::BOT_USER_ID, "bot_id": super::BOT_ID,
            "text": "", "ts": ts,
        })
    };
    let reply = match method.as_str() {
        "auth.test" => serde_json::json!({
            "ok": true, "url": "https://acme.slack.com/", "team": "Acme", "user": "lexi",
            "team_id": super::TEAM_ID, "user_id": super::BOT_USER_ID, "bot_id": super::BOT_ID,
            "app_id": "A0LEXI", "is_enterprise_install": false,
        }),
        "chat.postMessage" => {
            let ts = posted_ts.as_deref().unwrap_or_default();
            serde_json::json!({"ok": true, "channel": channel, "ts": ts, "message": message(ts)})
        }
        "chat.update" => {
            let ts = fields.ts.as_deref().unwrap_or_default();
            serde_json::json!({
                "ok": true, "channel": channel, "ts": ts, "text": "", "message": message(ts),
            })
        }
        _ => serde_json::json!({"ok": true}),
    };
    json(reply.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn local() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 0))
    }

    #[tokio::test]
    async fn leadlex_answers_every_chat_and_counts() {
        let leadlex = CountingLeadLex::start_on(local()).await.unwrap();
        let http = reqwest::Client::new();
        for _ in 0..3 {
            let reply: serde_json::Value = http
                .post(format!("{}/v1/lexi/chat", leadlex.base_url()))
                .bearer_auth("wbk_test")
                .json(&serde_json::json!({"message": "hi"}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(reply["data"]["response"], COUNTING_ANSWER);
        }
        assert_eq!(leadlex.count("/v1/lexi/chat"), 3);
        leadlex.shutdown().await;
    }

    #[tokio::test]
    async fn slack_gives_new_ts_and_shows_each_call_to_the_tap() {
        type Seen = Vec<(String, Option<String>, Option<String>)>;
        let seen: Arc<Mutex<Seen>> = Arc::default();
        let log = seen.clone();
        let tap: SlackTap = Arc::new(move |call: &SlackCall<'_>| {
            log.lock().unwrap().push((
                call.method.to_owned(),
                call.thread_ts.or(call.ts).map(str::to_owned),
                call.posted_ts.map(str::to_owned),
            ));
        });
        let slack = CountingSlack::start_on(local(), Some(tap)).await.unwrap();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        let posted: serde_json::Value = http
            .post(format!("{}/chat.postMessage", slack.base_url()))
            .json(&serde_json::json!({"channel": "C1", "thread_ts": "1.1", "text": "…"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let ts = posted["ts"].as_str().unwrap().to_owned();
        let form = [("channel", "C1"), ("ts", ts.as_str()), ("text", "done")];
        let updated: serde_json::Value = http
            .post(format!("{}/chat.update", slack.base_url()))
            .form(&form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(updated["ok"], true);
        assert_eq!(updated["ts"], ts.as_str());
        assert_eq!(slack.count("chat.postMessage"), 1);
        assert_eq!(slack.count("chat.update"), 1);
        let seen = seen.lock().unwrap().clone();
        assert_eq!(
            seen,
            vec![
                (
                    "chat.postMessage".into(),
                    Some("1.1".into()),
                    Some(ts.clone())
                ),
                ("chat.update".into(), Some(ts), None),
            ]
        );
        slack.shutdown().await;
    }
}
