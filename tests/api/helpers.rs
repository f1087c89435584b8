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

/// A slash command's form body, as Slack posts it.
pub fn command_form(command: &str, text: &str, response_url: &str, trigger_id: &str) -> String {
    serde_urlencoded::to_string([
        ("token", "deprecated"),
        ("team_id", TEAM),
        ("team_domain", "acme"),
        ("channel_id", CHANNEL),
        ("channel_name", "sales"),
        ("user_id", REP),
        ("user_name", "dana"),
        ("command", command),
        ("text", text),
        ("api_app_id", "A0LEXI"),
        ("is_enterprise_install", "false"),
        ("response_url", response_url),
        ("trigger_id", trigger_id),
    ])
    .expect("form encodes")
}

/// A `block_actions` click by the rep on a button of the (ephemeral) message `message_ts`.
pub fn button_click(action_id: &str, value: &str, response_url: &str, message_ts: &str) -> Value {
    json!({
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": REP, "username": "dana", "team_id": TEAM},
        "api_app_id": "A0LEXI",
        "token": "deprecated",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": CHANNEL,
                      "is_ephemeral": true},
        "trigger_id": format!("trigger-{}", uuid::Uuid::new_v4().simple()),
        "channel": {"id": CHANNEL, "name": "sales"},
        "response_url": response_url,
        "actions": [{"action_id": action_id, "block_id": "b1", "type": "button", "value": value,
                     "text": {"type": "plain_text", "text": "Button"},
                     "action_ts": "1700000999.000100"}],
    })
}

impl TestApp {
    /// Sends a signed slash command (form body) as the rep in the sales channel.
    pub async fn slash_command(
        &self,
        command: &str,
        text: &str,
        response_url: &str,
        trigger_id: &str,
    ) -> reqwest::Response {
        let body = command_form(command, text, response_url, trigger_id);
        self.post_signed("application/x-www-form-urlencoded", &body)
            .await
    }

    /// Sends a signed interactivity payload (`payload=<json>`).
    pub async fn click(&self, payload: &Value) -> reqwest::Response {
        let body =
            serde_urlencoded::to_string([("payload", payload.to_string())]).expect("form encodes");
        self.post_signed("application/x-www-form-urlencoded", &body)
            .await
    }

    /// Shows `text` to the rep as an ephemeral message in the sales channel, as Slack shows a
    /// command's immediate answer, and ties the response URL `name` to it (so
    /// `replace_original` replaces it). Returns the message's ts.
    pub async fn show_ephemeral(&self, name: &str, text: &str) -> String {
        let reply: Value = self
            .http
            .post(format!("{}/chat.postEphemeral", self.slack.base_url()))
            .bearer_auth(BOT_TOKEN)
            .json(&json!({"channel": CHANNEL, "user": REP, "text": text}))
            .send()
            .await
            .expect("fake Slack answers")
            .json()
            .await
            .expect("JSON");
        let ts = reply["message_ts"].as_str().expect("message_ts").to_owned();
        self.slack.bind_response_url(name, CHANNEL, &ts);
        self.slack.bind_response_url_user(name, REP);
        ts
    }

    /// What Slack shows in one message, once `done` holds for it (waits on the fake's answers).
    pub async fn message_until(
        &self,
        channel: &str,
        ts: &str,
        done: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let answered = self.slack.answers();
            let shown = self
                .slack
                .message(channel, ts)
                .map(|m| lexi_slack::sim::render_text(&m))
                .unwrap_or_default();
            if done(&shown) {
                return shown;
            }
            if tokio::time::Instant::now() > deadline {
                let seen: Vec<String> = self
                    .slack
                    .requests()
                    .iter()
                    .map(|r| format!("{} {} {}", r.method, r.path, r.text()))
                    .collect();
                panic!(
                    "message {channel}/{ts} never became what was expected; Slack shows {shown:?} \
                     after {seen:#?}"
                );
            }
            self.slack
                .answered_beyond(answered, deadline - tokio::time::Instant::now())
                .await;
        }
    }
}

/// The `value` of the first button with `action_id` in a message's blocks (section accessories
/// and actions blocks), from the `n`th such button on.
pub fn button_value(message: &lexi_slack::sim::Message, action_id: &str, n: usize) -> String {
    let blocks = message.blocks.clone().unwrap_or_default();
    let buttons: Vec<Value> = blocks
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|b| {
            let mut found = vec![b["accessory"].clone()];
            found.extend(b["elements"].as_array().cloned().unwrap_or_default());
            found
        })
        .filter(|e| e["action_id"] == action_id)
        .collect();
    buttons
        .get(n)
        .and_then(|b| b["value"].as_str())
        .unwrap_or_else(|| panic!("no button {action_id} #{n} in {blocks}"))
        .to_owned()
}
