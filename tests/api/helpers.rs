//! `TestApp`: the bot on port 0 against simulated Slack and LeadLex, plus signed-request helpers.

use lexi_slack::config::Config;
use lexi_slack::sim::{FakeLeadLex, FakeSlack};
use lexi_slack::slack::verify::sign;
use lexi_slack::startup::Application;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const SIGNING_SECRET: &str = "test-signing-secret";
pub const BOT_TOKEN: &str = "xoxb-test-token";
pub const API_KEY: &str = "wbk_test_key";
pub const TEAM: &str = "T0ACME";
pub const CHANNEL: &str = "C0SALES";
pub const BOT_USER: &str = "U0LEXI";
pub const REP: &str = "U0REP";
/// Generous: a deadline for conditions that normally hold within milliseconds.
pub const DEADLINE: Duration = Duration::from_secs(10);

pub struct TestApp {
    pub addr: SocketAddr,
    pub slack: Arc<FakeSlack>,
    pub leadlex: Arc<FakeLeadLex>,
    pub data_dir: Arc<tempfile::TempDir>,
    http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<anyhow::Result<()>>,
}

impl TestApp {
    /// A fresh bot with fresh simulators and an empty database.
    pub async fn spawn() -> TestApp {
        let slack = Arc::new(FakeSlack::start().await.expect("fake Slack starts"));
        let leadlex = Arc::new(FakeLeadLex::start().await.expect("fake LeadLex starts"));
        let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
        Self::spawn_with(slack, leadlex, dir).await
    }

    pub async fn spawn_with(
        slack: Arc<FakeSlack>,
        leadlex: Arc<FakeLeadLex>,
        data_dir: Arc<tempfile::TempDir>,
    ) -> TestApp {
        let config = test_config(&slack, &leadlex, &data_dir);
        let app = Application::build(config).await.expect("bot starts");
        Self::run(app, slack, leadlex, data_dir)
    }

    fn run(
        app: Application,
        slack: Arc<FakeSlack>,
        leadlex: Arc<FakeLeadLex>,
        data_dir: Arc<tempfile::TempDir>,
    ) -> TestApp {
        let addr = app.local_addr().expect("bound");
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        TestApp {
            addr,
            slack,
            leadlex,
            data_dir,
            http: reqwest::Client::builder()
                .timeout(DEADLINE)
                .build()
                .expect("client"),
            stop: Some(stop),
            server,
        }
    }

    /// Stops the bot as SIGTERM would (finishing or parking running jobs) and starts it again
    /// on the same database and simulators.
    pub async fn restart(mut self) -> TestApp {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let result = tokio::time::timeout(DEADLINE, &mut self.server)
            .await
            .expect("bot stops in time");
        result.expect("server task").expect("clean shutdown");
        Self::spawn_with(
            self.slack.clone(),
            self.leadlex.clone(),
            self.data_dir.clone(),
        )
        .await
    }

    /// Kills the bot without any shutdown (its in-flight work is cut off), then starts a new one
    /// on the same database, as after a crash.
    pub async fn crash_and_restart(mut self) -> TestApp {
        self.server.abort();
        let _ = (&mut self.server).await;
        self.stop.take();
        // The aborted tasks release the database as the runtime drops them: wait for the lock.
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let config = test_config(&self.slack, &self.leadlex, &self.data_dir);
            match Application::build(config).await {
                Ok(app) => {
                    let (slack, leadlex) = (self.slack.clone(), self.leadlex.clone());
                    return Self::run(app, slack, leadlex, self.data_dir.clone());
                }
                Err(e)
                    if tokio::time::Instant::now() < deadline
                        && e.to_string().contains("in use") =>
                {
                    tokio::task::yield_now().await;
                }
                Err(e) => panic!("bot restarts: {e:#}"),
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// POSTs a body to /slack/events signed now with the app's secret.
    pub async fn post_signed(&self, content_type: &str, body: &str) -> reqwest::Response {
        self.post_signed_with(content_type, body, &[]).await
    }

    pub async fn post_signed_with(
        &self,
        content_type: &str,
        body: &str,
        extra_headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let ts = now();
        let mut request = self
            .http
            .post(self.url("/slack/events"))
            .header("content-type", content_type)
            .header("x-slack-request-timestamp", ts.to_string())
            .header(
                "x-slack-signature",
                sign(SIGNING_SECRET, ts, body.as_bytes()),
            )
            .body(body.to_owned());
        for (name, value) in extra_headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("bot answers")
    }

    /// Sends an Events API callback and asserts Slack would get its 200.
    pub async fn send_event(&self, event: &Value) {
        let response = self
            .post_signed("application/json", &event.to_string())
            .await;
        assert_eq!(response.status(), 200, "event acknowledged");
    }

    /// Waits until the fake Slack saw `n` calls of `method`.
    pub async fn slack_calls(&self, method: &str, n: usize) -> Vec<lexi_slack::sim::Recorded> {
        self.slack
            .wait_for(&format!("/api/{method}"), n, DEADLINE)
            .await
            .unwrap_or_else(|e| panic!("Slack {method}: {e}"))
    }

    /// Waits until the fake LeadLex saw `n` calls to `path`.
    pub async fn leadlex_calls(&self, path: &str, n: usize) -> Vec<lexi_slack::sim::Recorded> {
        self.leadlex
            .wait_for(path, n, DEADLINE)
            .await
            .unwrap_or_else(|e| panic!("LeadLex {path}: {e}"))
    }

    /// What Slack shows in a thread, as text, bot replies only, once `n` bot replies are final
    /// (no "working on it" placeholder left).
    pub async fn bot_replies(&self, channel: &str, root: &str, n: usize) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let answered = self.slack.answers();
            let replies: Vec<String> = self
                .slack
                .thread(channel, root)
                .iter()
                .filter(|m| m.user == BOT_USER || m.bot_id.is_some())
                .map(lexi_slack::sim::render_text)
                .collect();
            // Placeholders ("working on it", "will keep trying") are replaced by the final answer.
            let settled = replies.len() >= n
                && replies
                    .iter()
                    .all(|r| !r.contains("working on it") && !r.contains("keep trying"));
            if settled {
                return replies;
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "expected {n} settled bot replies in {channel}/{root}, Slack shows {replies:#?}"
                );
            }
            self.slack
                .answered_beyond(answered, deadline - tokio::time::Instant::now())
                .await;
        }
    }
}

pub fn test_config(slack: &FakeSlack, leadlex: &FakeLeadLex, dir: &tempfile::TempDir) -> Config {
    let vars: HashMap<&str, String> = HashMap::from([
        ("SLACK_SIGNING_SECRET", SIGNING_SECRET.to_owned()),
        ("SLACK_BOT_TOKEN", BOT_TOKEN.to_owned()),
        ("LEADLEX_API_KEY", API_KEY.to_owned()),
        ("SLACK_API_URL", slack.base_url()),
        ("LEADLEX_API_URL", leadlex.base_url()),
        ("LISTEN_ADDR", "127.0.0.1:0".to_owned()),
        ("DATA_DIR", dir.path().display().to_string()),
    ]);
    let mut config =
        Config::from_lookup(|name| vars.get(name).cloned()).expect("valid test config");
    // Same logic, shorter waits: retries in milliseconds instead of seconds.
    config.tuning.retry_base_delay = Duration::from_millis(20);
    config.tuning.retry_max_delay = Duration::from_millis(100);
    config.tuning.max_attempts = 3;
    config.tuning.leadlex_timeout = Duration::from_secs(2);
    config.tuning.shutdown_grace = Duration::from_millis(500);
    config.tuning.request_timeout = Duration::from_millis(500);
    config
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// An `app_mention` callback, as Slack sends it.
pub fn mention(event_id: &str, ts: &str, thread_ts: Option<&str>, text: &str) -> Value {
    let mut event = json!({
        "type": "app_mention", "user": REP, "text": format!("<@{BOT_USER}> {text}"),
        "ts": ts, "channel": CHANNEL, "event_ts": ts, "team": TEAM,
    });
    if let Some(root) = thread_ts {
        event["thread_ts"] = json!(root);
    }
    callback(event_id, event)
}

/// A `message` callback: a plain reply in a channel thread.
pub fn thread_reply(event_id: &str, ts: &str, thread_ts: &str, text: &str) -> Value {
    callback(
        event_id,
        json!({
            "type": "message", "user": REP, "text": text, "ts": ts, "thread_ts": thread_ts,
            "channel": CHANNEL, "event_ts": ts, "channel_type": "channel", "team": TEAM,
        }),
    )
}

pub fn callback(event_id: &str, event: Value) -> Value {
    json!({
        "token": "deprecated", "team_id": TEAM, "api_app_id": "A0LEXI", "type": "event_callback",
        "event_id": event_id, "event_time": now(), "event": event,
        "authorizations": [{"enterprise_id": null, "team_id": TEAM, "user_id": BOT_USER,
                            "is_bot": true, "is_enterprise_install": false}],
    })
}
