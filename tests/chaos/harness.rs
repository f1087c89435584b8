//! The chaos harness's machinery: the bot as a child process to kill, and delivery as Slack does it.

use super::{BOT_USER, CHANNEL, REP, SECRET, TEAM};
use lexi_slack::sim::FakeSlack;
use lexi_slack::slack::verify::sign;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What the drivers of clicks and commands need: the bot's port, a client, the fake Slack (to
/// find cards and bind response URLs) and the count of re-deliveries.
#[derive(Clone)]
pub(crate) struct Link {
    pub(crate) http: reqwest::Client,
    pub(crate) port: u16,
    pub(crate) slack: Arc<FakeSlack>,
    pub(crate) retries: Arc<AtomicUsize>,
}

impl Link {
    /// Delivers a JSON event or a form (command, click) until the bot takes it.
    pub(crate) async fn deliver(&self, body: &str) {
        deliver(&self.http, self.port, body, &self.retries).await;
    }
}

pub(crate) fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A tiny deterministic generator, so a failing run can be replayed from its printed seed.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

pub(crate) struct Bot {
    pub(crate) child: Option<Child>,
    pub(crate) port: u16,
    pub(crate) dir: std::path::PathBuf,
    pub(crate) slack_url: String,
    pub(crate) leadlex_url: String,
}

impl Bot {
    pub(crate) fn start(&mut self) {
        let child = Command::new(env!("CARGO_BIN_EXE_lexi-slack"))
            .arg("serve")
            .env_clear()
            .env("SLACK_SIGNING_SECRET", SECRET)
            .env("SLACK_BOT_TOKEN", "xoxb-chaos")
            .env("LEADLEX_API_KEY", "wbk_chaos")
            .env("SLACK_API_URL", &self.slack_url)
            .env("LEADLEX_API_URL", &self.leadlex_url)
            .env("LISTEN_ADDR", format!("127.0.0.1:{}", self.port))
            .env("DATA_DIR", &self.dir)
            // One user sends every event here, far past the request caps on purpose.
            .env("LEXI_USER_CALLS_PER_MINUTE", "0")
            .env("LEXI_TEAM_CALLS_PER_MINUTE", "0")
            // The shipped default (streamed answers) unless CHAOS_STREAMING says otherwise.
            .env(
                "LEXI_STREAMING",
                std::env::var("CHAOS_STREAMING").unwrap_or_else(|_| "on".into()),
            )
            .env(
                "RUST_LOG",
                std::env::var("CHAOS_LOG").unwrap_or_else(|_| "error".into()),
            )
            .stdout(if std::env::var("CHAOS_LOG").is_ok() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the bot binary starts");
        self.child = Some(child);
    }

    /// SIGKILL: no shutdown, no flush, as a crash.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub(crate) async fn wait_ready(&self, http: &reqwest::Client) {
        let url = format!("http://127.0.0.1:{}/readyz", self.port);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(r) = http.get(&url).send().await {
                if r.status() == 200 {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the bot did not become ready after a restart");
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        self.kill();
    }
}

pub(crate) fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("bound").port()
}

pub(crate) fn event(event_id: &str, ts: &str, thread_ts: Option<&str>, text: &str) -> Value {
    let mut inner = json!({
        "type": "app_mention", "user": REP, "text": format!("<@{BOT_USER}> {text}"),
        "ts": ts, "channel": CHANNEL, "event_ts": ts, "team": TEAM,
    });
    if let Some(root) = thread_ts {
        inner["thread_ts"] = json!(root);
    }
    json!({
        "token": "x", "team_id": TEAM, "api_app_id": "A0LEXI", "type": "event_callback",
        "event_id": event_id, "event_time": 1, "event": inner,
        "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": true}],
    })
}

/// Sends one request until Slack would consider it delivered (a 200), retrying as Slack does
/// while the bot is down. `body` is JSON (events) or a form (commands, clicks).
pub(crate) async fn deliver(http: &reqwest::Client, port: u16, body: &str, retries: &AtomicUsize) {
    let content_type = if body.starts_with('{') {
        "application/json"
    } else {
        "application/x-www-form-urlencoded"
    };
    let url = format!("http://127.0.0.1:{port}/slack/events");
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut attempt = 0;
    loop {
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs() as i64;
        let mut request = http
            .post(&url)
            .header("content-type", content_type)
            .header("x-slack-request-timestamp", ts.to_string())
            .header("x-slack-signature", sign(SECRET, ts, body.as_bytes()))
            .body(body.to_owned());
        if attempt > 0 {
            request = request.header("x-slack-retry-num", attempt.to_string());
        }
        match request.send().await {
            Ok(r) if r.status() == 200 => return,
            _ => {
                attempt += 1;
                retries.fetch_add(1, Ordering::Relaxed);
                assert!(Instant::now() < deadline, "an event was never accepted");
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        }
    }
}
