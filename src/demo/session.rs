//! One Slack user at the keyboard: each line becomes the signed request Slack would send, then what Slack shows is printed.

use crate::sim::{BOT_USER_ID, FakeLeadLex, FakeSlack, Message, TEAM_ID, render_text};
use crate::slack::verify::sign;
use crate::worker::WorkerHandle;
use anyhow::{Context, anyhow, bail};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

const CHANNEL: &str = "C0DEMO";
const USER: &str = "U0DANA";
/// How long a step may keep the bot busy (an approved task is followed until it completes).
const STEP_DEADLINE: Duration = Duration::from_secs(20);

/// A button Slack shows, numbered so it can be clicked by typing the number.
struct Button {
    channel: String,
    message_ts: String,
    ephemeral: bool,
    action_id: String,
    value: String,
    label: String,
}

pub(super) struct Session {
    addr: SocketAddr,
    http: reqwest::Client,
    slack: Arc<FakeSlack>,
    leadlex: Arc<FakeLeadLex>,
    worker: WorkerHandle,
    last_thread: Option<String>,
    buttons: Vec<Button>,
    /// What was last printed for each message, so only new and changed ones are printed.
    shown: HashMap<String, String>,
    /// Everything the last step printed (for `expect` lines).
    last_output: String,
    sequence: u64,
}

impl Session {
    pub(super) fn new(
        addr: SocketAddr,
        slack: Arc<FakeSlack>,
        leadlex: Arc<FakeLeadLex>,
        worker: WorkerHandle,
    ) -> anyhow::Result<Self> {
        slack.add_user(USER, "Dana Reyes", "dana@acme.law");
        Ok(Self {
            addr,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()?,
            slack,
            leadlex,
            worker,
            last_thread: None,
            buttons: Vec::new(),
            shown: HashMap::new(),
            last_output: String::new(),
            sequence: 0,
        })
    }

    /// One typed line: act as Slack would, wait until the bot is idle, print what changed.
    pub(super) async fn step(&mut self, line: &str) -> anyhow::Result<()> {
        let line = line.trim();
        if let Some(expected) = line.strip_prefix("expect ") {
            return if self.last_output.contains(expected.trim()) {
                Ok(())
            } else {
                Err(anyhow!("expected Slack to show {expected:?}"))
            };
        }
        // A stage direction for the simulator, not something a Slack user can do.
        if let Some(n) = line.strip_prefix("!credits ") {
            let n = n.trim().parse().context("!credits takes a number")?;
            self.leadlex.set_credits(n);
            println!("  (LeadLex simulator: the workspace now has {n} Lexi credits)");
            return Ok(());
        }
        self.last_output.clear();
        if let Ok(n) = line.parse::<usize>() {
            self.click(n).await?;
        } else if let Some(reply) = line.strip_prefix('>') {
            self.reply(reply.trim()).await?;
        } else if line.starts_with('/') {
            self.command(line).await?;
        } else {
            self.mention(line).await?;
        }
        self.settle().await?;
        self.print_changes();
        Ok(())
    }

    async fn mention(&mut self, text: &str) -> anyhow::Result<()> {
        let text = format!("<@{BOT_USER_ID}> {text}");
        let ts = self.slack.add_user_message(CHANNEL, USER, &text, None);
        self.last_thread = Some(ts.clone());
        let event = json!({"type": "app_mention", "user": USER, "text": text, "ts": ts,
                           "channel": CHANNEL, "event_ts": ts, "team": TEAM_ID});
        self.event(event).await
    }

    async fn reply(&mut self, text: &str) -> anyhow::Result<()> {
        let root = self
            .last_thread
            .clone()
            .context("no thread yet: write a message first")?;
        let ts = self
            .slack
            .add_user_message(CHANNEL, USER, text, Some(&root));
        let event = json!({"type": "message", "user": USER, "text": text, "ts": ts,
                           "thread_ts": root, "channel": CHANNEL, "event_ts": ts,
                           "channel_type": "channel", "team": TEAM_ID});
        self.event(event).await
    }

    async fn event(&mut self, event: Value) -> anyhow::Result<()> {
        self.sequence += 1;
        let body = json!({
            "token": "demo", "team_id": TEAM_ID, "api_app_id": "A0LEXI", "type": "event_callback",
            "event_id": format!("EvDEMO{}", self.sequence), "event_time": now(), "event": event,
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": true}],
        });
        self.post("application/json", body.to_string())
            .await
            .map(drop)
    }

    async fn command(&mut self, line: &str) -> anyhow::Result<()> {
        let (command, text) = line.split_once(' ').unwrap_or((line, ""));
        self.sequence += 1;
        let name = format!("command-{}", self.sequence);
        self.slack.bind_response_url_channel(&name, CHANNEL);
        self.slack.bind_response_url_user(&name, USER);
        let body = serde_urlencoded::to_string([
            ("token", "demo"),
            ("team_id", TEAM_ID),
            ("team_domain", "acme"),
            ("channel_id", CHANNEL),
            ("channel_name", "demo-sales"),
            ("user_id", USER),
            ("user_name", "dana"),
            ("command", command),
            ("text", text.trim()),
            ("api_app_id", "A0LEXI"),
            ("response_url", &self.slack.response_url(&name)),
            ("trigger_id", &format!("1337.42.{}", self.sequence)),
        ])?;
        let answer = self.post("application/x-www-form-urlencoded", body).await?;
        // The command's immediate answer: Slack shows it to the one who typed it.
        if let Ok(ack) = serde_json::from_str::<Value>(&answer)
            && let Some(text) = ack["text"].as_str()
        {
            self.print(&format!("  (only you) {}", indent(&unescape(text))));
        }
        Ok(())
    }

    async fn click(&mut self, n: usize) -> anyhow::Result<()> {
        let button = n
            .checked_sub(1)
            .and_then(|i| self.buttons.get(i))
            .with_context(|| format!("there is no button {n}"))?;
        self.sequence += 1;
        let name = format!("click-{}", self.sequence);
        self.slack
            .bind_response_url(&name, &button.channel, &button.message_ts);
        self.slack.bind_response_url_user(&name, USER);
        let action_ts = format!("{}.{:06}", now(), self.sequence);
        let payload = json!({
            "type": "block_actions",
            "team": {"id": TEAM_ID, "domain": "acme"},
            "user": {"id": USER, "username": "dana", "team_id": TEAM_ID},
            "api_app_id": "A0LEXI", "token": "demo",
            "container": {"type": "message", "message_ts": button.message_ts,
                          "channel_id": button.channel, "is_ephemeral": button.ephemeral},
            "trigger_id": format!("1337.42.{action_ts}"),
            "channel": {"id": button.channel, "name": "demo-sales"},
            "response_url": self.slack.response_url(&name),
            "actions": [{"action_id": button.action_id, "block_id": "b1", "type": "button",
                         "value": button.value, "action_ts": action_ts,
                         "text": {"type": "plain_text", "text": button.label}}],
        });
        self.print(&format!("  (you clicked [{n}] {})", button.label));
        let body = serde_urlencoded::to_string([("payload", payload.to_string())])?;
        let answer = self.post("application/x-www-form-urlencoded", body).await?;
        if let Ok(ack) = serde_json::from_str::<Value>(&answer)
            && let Some(text) = ack["text"].as_str()
        {
            self.print(&format!("  (only you) {}", indent(&unescape(text))));
        }
        Ok(())
    }

    /// Signs and sends a request as Slack would; the bot's answer body.
    async fn post(&self, content_type: &str, body: String) -> anyhow::Result<String> {
        let ts = now();
        let response = self
            .http
            .post(format!("http://{}/slack/events", self.addr))
            .header("content-type", content_type)
            .header("x-slack-request-timestamp", ts.to_string())
            .header(
                "x-slack-signature",
                sign(super::SIGNING_SECRET, ts, body.as_bytes()),
            )
            .body(body)
            .send()
            .await
            .context("the bot did not answer")?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if !status.is_success() {
            bail!("the bot answered {status}");
        }
        Ok(text)
    }

    /// Waits until the bot has no job left (woken by each request the simulators answer).
    async fn settle(&self) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + STEP_DEADLINE;
        loop {
            let seen = (self.slack.answers(), self.leadlex.answers());
            if self.worker.unfinished() == 0 {
                return Ok(());
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                bail!("the bot was still busy after {} s", STEP_DEADLINE.as_secs());
            }
            // A job retrying or following a task may not call anyone for a while: re-check at least every 100 ms.
            let wait = (deadline - now).min(Duration::from_millis(100));
            tokio::select! {
                () = self.slack.answered_beyond(seen.0, wait) => {}
                () = self.leadlex.answered_beyond(seen.1, wait) => {}
            }
        }
    }

    /// Prints every bot message that is new or changed since the last step, buttons numbered.
    fn print_changes(&mut self) {
        let mut messages: Vec<Message> = self.slack.channel_messages(CHANNEL);
        messages.extend(self.slack.ephemerals_for(USER));
        for message in messages {
            if message.user == USER && !message.is_bot() && !message.is_ephemeral() {
                continue;
            }
            let rendered = render_text(&message);
            let key = format!("{}/{}", message.channel, message.ts);
            if self.shown.get(&key) == Some(&rendered) {
                continue;
            }
            let updated = self.shown.insert(key, rendered.clone()).is_some();
            let who = match (message.is_ephemeral(), &message.thread_ts) {
                (true, _) => "  (only you) Lexi",
                (false, Some(_)) => "  ↳ Lexi",
                (false, None) => "#demo-sales Lexi",
            };
            let note = if updated { " (updated)" } else { "" };
            self.print(&format!("{who}{note}: {}", indent(&rendered)));
            let labels = self.number_buttons(&message);
            if !labels.is_empty() {
                self.print(&format!("      buttons: {}", labels.join("  ")));
            }
        }
        if self.last_output.is_empty() {
            self.print("  (nothing new in Slack)");
        }
    }

    fn number_buttons(&mut self, message: &Message) -> Vec<String> {
        let blocks = message.blocks.clone().unwrap_or_default();
        let mut labels = Vec::new();
        for block in blocks.as_array().into_iter().flatten() {
            let mut elements = vec![block["accessory"].clone()];
            elements.extend(block["elements"].as_array().cloned().unwrap_or_default());
            for element in elements.iter().filter(|e| e["type"] == "button") {
                let label = element["text"]["text"].as_str().unwrap_or("?").to_owned();
                self.buttons.push(Button {
                    channel: message.channel.clone(),
                    message_ts: message.ts.clone(),
                    ephemeral: message.is_ephemeral(),
                    action_id: element["action_id"].as_str().unwrap_or_default().to_owned(),
                    value: element["value"].as_str().unwrap_or_default().to_owned(),
                    label: label.clone(),
                });
                labels.push(format!("[{}] {label}", self.buttons.len()));
            }
        }
        labels
    }

    fn print(&mut self, text: &str) {
        println!("{text}");
        self.last_output.push_str(text);
        self.last_output.push('\n');
    }
}

/// Slack shows `&lt;` as `<`: so does the terminal.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn indent(text: &str) -> String {
    text.trim_end().replace('\n', "\n      ")
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}
