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

/// A change to the test configuration, kept across restarts.
pub type Configure = Arc<dyn Fn(&mut Config) + Send + Sync>;

pub struct TestApp {
    pub addr: SocketAddr,
    pub slack: Arc<FakeSlack>,
    pub leadlex: Arc<FakeLeadLex>,
    pub data_dir: Arc<tempfile::TempDir>,
    http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<anyhow::Result<()>>,
    configure: Configure,
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
        Self::spawn_with_configured(slack, leadlex, data_dir, Arc::new(|_: &mut Config| {})).await
    }

    /// A fresh bot whose test configuration is changed by `configure` (also after restarts).
    pub async fn spawn_configured(
        configure: impl Fn(&mut Config) + Send + Sync + 'static,
    ) -> TestApp {
        let slack = Arc::new(FakeSlack::start().await.expect("fake Slack starts"));
        let leadlex = Arc::new(FakeLeadLex::start().await.expect("fake LeadLex starts"));
        let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
        Self::spawn_with_configured(slack, leadlex, dir, Arc::new(configure)).await
    }

    async fn spawn_with_configured(
        slack: Arc<FakeSlack>,
        leadlex: Arc<FakeLeadLex>,
        data_dir: Arc<tempfile::TempDir>,
        configure: Configure,
    ) -> TestApp {
        let mut config = test_config(&slack, &leadlex, &data_dir);
        configure(&mut config);
        let app = Application::build(config).await.expect("bot starts");
        Self::run(app, slack, leadlex, data_dir, configure)
    }

    fn run(
        app: Application,
        slack: Arc<FakeSlack>,
        leadlex: Arc<FakeLeadLex>,
        data_dir: Arc<tempfile::TempDir>,
        configure: Configure,
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
            configure,
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
        Self::spawn_with_configured(
            self.slack.clone(),
            self.leadlex.clone(),
            self.data_dir.clone(),
            self.configure.clone(),
        )
        .await
    }

    /// Stops the bot as SIGTERM would and hands back its data directory (to read the store).
    pub async fn stop(mut self) -> Arc<tempfile::TempDir> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let result = tokio::time::timeout(DEADLINE, &mut self.server)
            .await
            .expect("bot stops in time");
        result.expect("server task").expect("clean shutdown");
        self.data_dir.clone()
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
            let mut config = test_config(&self.slack, &self.leadlex, &self.data_dir);
            (self.configure)(&mut config);
            match Application::build(config).await {
                Ok(app) => {
                    let (slack, leadlex) = (self.slack.clone(), self.leadlex.clone());
                    let configure = self.configure.clone();
                    return Self::run(app, slack, leadlex, self.data_dir.clone(), configure);
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

    /// POSTs a request with a made-up signature, as a forger would; returns the status.
    pub async fn post_forged(&self) -> u16 {
        self.http
            .post(self.url("/slack/events"))
            .header("content-type", "application/json")
            .header("x-slack-request-timestamp", now().to_string())
            .header("x-slack-signature", "v0=00")
            .body("{}")
            .send()
            .await
            .expect("bot answers")
            .status()
            .as_u16()
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
                .bot_messages(channel, root)
                .iter()
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
    config.tuning.task_follow_first_delay = Duration::from_millis(10);
    config.tuning.task_follow_max_delay = Duration::from_millis(50);
    // Generous: an fsync on a busy disk must not turn an acknowledged event into a 408. The
    // slow-loris test sets its own short limit.
    config.tuning.request_timeout = Duration::from_secs(5);
    // The core suite checks the non-streamed reply; tests/api/streaming.rs turns streaming on.
    config.streaming = false;
    // The placeholder first, then Lexi: the order the suite asserts on. The deferred placeholder
    // (quick answers as one message) has its own tests in tests/api/placeholder.rs.
    config.tuning.placeholder_after = Duration::ZERO;
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
        self.slack.show_ephemeral(name, CHANNEL, REP, text)
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

/// The `value` of the `n`th button with `action_id` in a message's blocks.
pub fn button_value(message: &lexi_slack::sim::Message, action_id: &str, n: usize) -> String {
    let values = message.button_values(action_id);
    values.get(n).cloned().unwrap_or_else(|| {
        panic!(
            "no button {action_id} #{n} in {:?}",
            message.blocks.as_ref()
        )
    })
}

impl TestApp {
    /// Types a slash command in `channel` as `user`; its response URL is `response_url`.
    pub async fn slash_command_as(
        &self,
        user: &str,
        channel: &str,
        command: &str,
        text: &str,
        response_url: &str,
    ) -> reqwest::Response {
        let body = serde_urlencoded::to_string([
            ("token", "deprecated"),
            ("team_id", TEAM),
            ("team_domain", "acme"),
            ("channel_id", channel),
            ("channel_name", "sales"),
            ("user_id", user),
            ("user_name", "dana"),
            ("command", command),
            ("text", text),
            ("api_app_id", "A0LEXI"),
            ("response_url", response_url),
            ("trigger_id", "1337.42.abcdef"),
        ])
        .expect("form encodes");
        self.post_signed("application/x-www-form-urlencoded", &body)
            .await
    }

    /// Waits until `check` finds what it looks for, re-checking whenever either fake answers a
    /// request; panics after [`DEADLINE`] naming `what`.
    pub async fn until<T>(&self, what: &str, check: impl Fn() -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let (slack_seen, leadlex_seen) = (self.slack.answers(), self.leadlex.answers());
            if let Some(found) = check() {
                return found;
            }
            let now = tokio::time::Instant::now();
            if now > deadline {
                panic!("timed out waiting for {what}");
            }
            let left = deadline - now;
            tokio::select! {
                () = self.slack.answered_beyond(slack_seen, left) => {}
                () = self.leadlex.answered_beyond(leadlex_seen, left) => {}
            }
        }
    }
}

/// One button click on a message, as Slack's block_actions payload carries it.
pub struct Click<'a> {
    pub user: &'a str,
    pub action_id: &'a str,
    pub value: &'a str,
    pub channel: &'a str,
    pub message_ts: &'a str,
    pub ephemeral: bool,
    pub response_url: String,
}

impl Click<'_> {
    /// The payload, with a fresh `action_ts` (each call is a new click).
    pub fn payload(&self) -> Value {
        self.payload_at(&next_action_ts())
    }

    pub fn payload_at(&self, action_ts: &str) -> Value {
        json!({
            "type": "block_actions",
            "team": {"id": TEAM, "domain": "acme"},
            "user": {"id": self.user, "username": "someone", "team_id": TEAM},
            "api_app_id": "A0LEXI", "token": "deprecated",
            "container": {"type": "message", "message_ts": self.message_ts,
                          "channel_id": self.channel, "is_ephemeral": self.ephemeral},
            "trigger_id": format!("1337.42.{action_ts}"),
            "channel": {"id": self.channel, "name": "sales"},
            "response_url": self.response_url,
            "actions": [{"action_id": self.action_id, "block_id": "b1", "type": "button",
                         "value": self.value, "action_ts": action_ts,
                         "text": {"type": "plain_text", "text": "Approve"}}],
        })
    }
}

/// Strictly increasing, Slack-shaped `action_ts` values.
pub fn next_action_ts() -> String {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("1800000000.{n:06}")
}

pub const APPROVE: &str = "approval:approve";
pub const DENY: &str = "approval:deny";

/// The approval card Lexi's answer carries in a thread.
#[derive(Debug, Clone)]
pub struct Card {
    pub ts: String,
    pub task: String,
}

impl TestApp {
    /// Asks Lexi for a prospect search in a new thread at `root`, which proposes a task, and
    /// waits for the approval card.
    pub async fn ask_for_a_search(&self, root: &str) -> Card {
        let event_id = format!("Ev{}", root.replace('.', ""));
        self.send_event(&mention(
            &event_id,
            root,
            None,
            "find 20 CEOs at law firms in New York",
        ))
        .await;
        self.until("the approval card", || {
            self.slack.thread(CHANNEL, root).iter().find_map(|m| {
                let task = m.button_value(APPROVE)?;
                Some(Card {
                    ts: m.ts.clone(),
                    task,
                })
            })
        })
        .await
    }

    /// `user` clicks `action_id` on the card in the thread, with a response URL of its own.
    pub async fn click_card(&self, user: &str, action_id: &str, card: &Card) -> reqwest::Response {
        let payload = self.card_click(user, action_id, card).payload();
        self.click(&payload).await
    }

    /// The click, not yet sent; its response URL is bound to the card and the clicker.
    pub fn card_click<'a>(&self, user: &'a str, action_id: &'a str, card: &'a Card) -> Click<'a> {
        let name = format!("click-{}", next_action_ts().replace('.', "-"));
        self.slack.bind_response_url(&name, CHANNEL, &card.ts);
        self.slack.bind_response_url_user(&name, user);
        Click {
            user,
            action_id,
            value: &card.task,
            channel: CHANNEL,
            message_ts: &card.ts,
            ephemeral: false,
            response_url: self.slack.response_url(&name),
        }
    }

    /// The card as Slack shows it now.
    pub fn shown(&self, card: &Card) -> String {
        self.slack
            .message(CHANNEL, &card.ts)
            .map(|m| lexi_slack::sim::render_text(&m))
            .unwrap_or_default()
    }

    /// Waits until the card shows `text`; returns what it shows.
    pub async fn card_shows(&self, card: &Card, text: &str) -> String {
        self.until(&format!("the card to show {text:?}"), || {
            let shown = self.shown(card);
            shown.contains(text).then_some(shown)
        })
        .await
    }

    /// Waits until `user` has been shown `n` ephemeral messages containing `text`.
    pub async fn ephemerals_saying(&self, user: &str, text: &str, n: usize) -> Vec<String> {
        self.until(&format!("{n} ephemeral messages saying {text:?}"), || {
            let said: Vec<String> = self
                .slack
                .ephemerals_for(user)
                .iter()
                .map(lexi_slack::sim::render_text)
                .filter(|t| t.contains(text))
                .collect();
            (said.len() >= n).then_some(said)
        })
        .await
    }

    /// Waits until a bot message in the thread at `root` (the card aside) contains `text`.
    pub async fn thread_says(&self, root: &str, text: &str) -> String {
        self.until(&format!("the thread to say {text:?}"), || {
            self.slack
                .bot_messages(CHANNEL, root)
                .iter()
                .map(lexi_slack::sim::render_text)
                .find(|t| t.contains(text))
        })
        .await
    }
}

/// Scrapes `/metrics` until `done` holds for the text (the worker counts a job just after its
/// last call, so a scrape can come a moment early); panics, naming `what`, after [`DEADLINE`].
pub async fn scrape_until(app: &TestApp, what: &str, done: impl Fn(&str) -> bool) -> String {
    scrape_until_within(app, what, DEADLINE, done).await
}

/// [`scrape_until`] with its own deadline. Between scrapes it waits for the fake Slack to be
/// answered again (a job's last step), for 20 ms at most.
pub async fn scrape_until_within(
    app: &TestApp,
    what: &str,
    within: Duration,
    done: impl Fn(&str) -> bool,
) -> String {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let seen = app.slack.answers();
        let text = reqwest::get(app.url("/metrics"))
            .await
            .expect("scraped")
            .text()
            .await
            .expect("text");
        if done(&text) {
            return text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} never showed in\n{text}"
        );
        app.slack
            .answered_beyond(seen, Duration::from_millis(20))
            .await;
    }
}

/// Waits until the bot reports no job queued or running (`/metrics`' queue gauge reads 0);
/// panics after `within`.
pub async fn no_jobs_left_within(app: &TestApp, within: Duration) {
    let drained = |scrape: &str| scrape.lines().any(|l| l == "lexi_jobs_queued 0");
    scrape_until_within(app, "an empty queue", within, drained).await;
}

/// Log output kept in memory, for tests that read what was logged.
#[derive(Clone, Default)]
pub struct Captured(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Captured {
    /// Captures, on this thread, every plain-text log line up to `level` (without colour codes),
    /// for as long as the guard lives. A `current_thread` test sees every task of the bot.
    pub fn plain(level: tracing::Level) -> (Captured, tracing::subscriber::DefaultGuard) {
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    /// Everything written so far.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
