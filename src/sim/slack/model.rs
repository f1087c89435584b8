//! What Slack would display: channels of messages (threads, ephemerals, reactions, streams),
//! assistant-thread state and response URLs.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

/// The bot's identity, as `auth.test` reports it.
pub const BOT_USER_ID: &str = "U0LEXI";
pub const BOT_ID: &str = "B0LEXI";
pub const TEAM_ID: &str = "T0ACME";

/// A message as Slack would show it.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub channel: String,
    pub ts: String,
    /// The parent's ts for thread replies; `None` for top-level messages.
    pub thread_ts: Option<String>,
    /// The author (the bot user `U0LEXI` for the bot's messages).
    pub user: String,
    /// `Some("B0LEXI")` when the bot posted it.
    pub bot_id: Option<String>,
    pub text: String,
    /// The Block Kit array, when the message has blocks.
    pub blocks: Option<Value>,
    pub metadata: Option<Value>,
    /// Set for ephemeral messages: the only user who sees it.
    pub ephemeral_for: Option<String>,
    /// Reaction name → users who reacted, in order.
    pub reactions: BTreeMap<String, Vec<String>>,
    /// True between `chat.startStream` and `chat.stopStream`.
    pub streaming: bool,
    /// Created by `chat.startStream`: its streamed text shows above its blocks.
    pub streamed: bool,
    /// How many times it was replaced (`chat.update`, `replace_original`).
    pub edits: u32,
}

impl Message {
    pub fn is_bot(&self) -> bool {
        self.bot_id.is_some()
    }

    pub fn is_ephemeral(&self) -> bool {
        self.ephemeral_for.is_some()
    }

    /// The `value`s of the buttons with `action_id` in the message's blocks (section
    /// accessories and actions blocks), in order.
    pub fn button_values(&self, action_id: &str) -> Vec<String> {
        let blocks = self.blocks.as_ref().and_then(Value::as_array);
        blocks
            .into_iter()
            .flatten()
            .flat_map(|b| {
                let elements = b["elements"].as_array().into_iter().flatten();
                std::iter::once(&b["accessory"]).chain(elements)
            })
            .filter(|e| e["action_id"] == action_id)
            .filter_map(|e| e["value"].as_str().map(str::to_owned))
            .collect()
    }

    /// The `value` of the first button with `action_id`, if the message has one.
    pub fn button_value(&self, action_id: &str) -> Option<String> {
        self.button_values(action_id).into_iter().next()
    }

    /// The message as the Web API returns it.
    pub fn json(&self) -> Value {
        let mut m = json!({"type": "message", "user": self.user, "text": self.text, "ts": self.ts});
        let fields = [
            ("bot_id", self.bot_id.clone().map(Value::String)),
            ("thread_ts", self.thread_ts.clone().map(Value::String)),
            ("blocks", self.blocks.clone()),
            ("metadata", self.metadata.clone()),
        ];
        for (k, v) in fields {
            if let Some(v) = v {
                m[k] = v;
            }
        }
        if !self.reactions.is_empty() {
            let r: Vec<Value> = self
                .reactions
                .iter()
                .map(|(name, users)| json!({"name": name, "users": users, "count": users.len()}))
                .collect();
            m["reactions"] = Value::Array(r);
        }
        m
    }
}

/// What an assistant thread shows besides messages.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssistantThread {
    /// The current status line; cleared by `""` or when the bot replies in the thread.
    pub status: Option<String>,
    pub loading_messages: Vec<String>,
    /// The thread's title (`assistant.threads.setTitle`).
    pub title: Option<String>,
    pub prompts: Vec<Value>,
    /// The heading shown above the prompts (`setSuggestedPrompts`' own `title`).
    pub prompts_title: Option<String>,
    /// Every status set, in order (`""` included), so tests can see transient ones.
    pub status_history: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct ResponseUrl {
    pub(super) channel: Option<String>,
    pub(super) ts: Option<String>,
    pub(super) user: Option<String>,
    pub(super) uses: u32,
}

#[derive(Default)]
pub(super) struct Model {
    seq: u64,
    channels: BTreeMap<String, Vec<Message>>,
    pub(super) assistant: HashMap<(String, String), AssistantThread>,
    pub(super) response_urls: HashMap<String, ResponseUrl>,
    pub(super) users: HashMap<String, (String, String)>,
}

/// The fields of a message a caller supplies.
pub(super) struct Draft {
    pub(super) thread_ts: Option<String>,
    pub(super) text: String,
    pub(super) blocks: Option<Value>,
    pub(super) metadata: Option<Value>,
}

impl Model {
    /// Strictly increasing, Slack-shaped: `1700000000.000100`, `1700000000.000200`, …
    fn next_ts(&mut self) -> String {
        self.seq += 1;
        let micros = 1_700_000_000_000_000u64 + self.seq * 100;
        format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000)
    }

    /// Adds a message and returns a copy of it.
    pub(super) fn post(
        &mut self,
        channel: &str,
        user: &str,
        draft: Draft,
        ephemeral_for: Option<&str>,
    ) -> Message {
        let is_bot = user == BOT_USER_ID;
        if is_bot && ephemeral_for.is_none() {
            // Slack clears an assistant status once the app replies in that thread.
            if let Some(thread) = &draft.thread_ts {
                let key = (channel.to_owned(), thread.clone());
                if let Some(a) = self.assistant.get_mut(&key) {
                    a.status = None;
                }
            }
        }
        let msg = Message {
            channel: channel.to_owned(),
            ts: self.next_ts(),
            thread_ts: draft.thread_ts,
            user: user.to_owned(),
            bot_id: is_bot.then(|| BOT_ID.to_owned()),
            text: draft.text,
            blocks: draft.blocks,
            metadata: draft.metadata,
            ephemeral_for: ephemeral_for.map(str::to_owned),
            reactions: BTreeMap::new(),
            streaming: false,
            streamed: false,
            edits: 0,
        };
        self.channels
            .entry(channel.to_owned())
            .or_default()
            .push(msg.clone());
        msg
    }

    pub(super) fn get(&self, channel: &str, ts: &str) -> Option<&Message> {
        self.channels.get(channel)?.iter().find(|m| m.ts == ts)
    }

    pub(super) fn get_mut(&mut self, channel: &str, ts: &str) -> Option<&mut Message> {
        self.channels
            .get_mut(channel)?
            .iter_mut()
            .find(|m| m.ts == ts)
    }

    pub(super) fn delete(&mut self, channel: &str, ts: &str) -> Option<Message> {
        let msgs = self.channels.get_mut(channel)?;
        let i = msgs.iter().position(|m| m.ts == ts)?;
        Some(msgs.remove(i))
    }

    /// Root first, then replies by ts; ephemerals left out.
    pub(super) fn thread(&self, channel: &str, thread_ts: &str) -> Vec<Message> {
        let Some(msgs) = self.channels.get(channel) else {
            return Vec::new();
        };
        let mut out: Vec<Message> = msgs
            .iter()
            .filter(|m| !m.is_ephemeral())
            .filter(|m| m.ts == thread_ts || m.thread_ts.as_deref() == Some(thread_ts))
            .cloned()
            .collect();
        out.sort_by(|a, b| (a.ts != thread_ts, &a.ts).cmp(&(b.ts != thread_ts, &b.ts)));
        out
    }

    pub(super) fn channel_messages(&self, channel: &str) -> Vec<Message> {
        self.channels
            .get(channel)
            .map(|msgs| msgs.iter().filter(|m| !m.is_ephemeral()).cloned().collect())
            .unwrap_or_default()
    }

    pub(super) fn ephemerals_for(&self, user: &str) -> Vec<Message> {
        self.channels
            .values()
            .flatten()
            .filter(|m| m.ephemeral_for.as_deref() == Some(user))
            .cloned()
            .collect()
    }

    pub(super) fn assistant_thread(
        &mut self,
        channel: &str,
        thread_ts: &str,
    ) -> &mut AssistantThread {
        self.assistant
            .entry((channel.to_owned(), thread_ts.to_owned()))
            .or_default()
    }

    /// `users.info` data: a registered user, or a plausible one made up from the id.
    pub(super) fn user_json(&self, id: &str) -> Value {
        let (real_name, email) = self.users.get(id).cloned().unwrap_or_else(|| {
            const NAMES: [&str; 4] = ["Alice Chen", "Bob Martinez", "Carol Singh", "Dan Okafor"];
            let n = id.bytes().map(usize::from).sum::<usize>() % NAMES.len();
            let name = NAMES[n].to_owned();
            let email = format!(
                "{}@acme.law",
                name.split(' ').next().unwrap_or("user").to_lowercase()
            );
            (name, email)
        });
        let is_bot = id == BOT_USER_ID;
        let (first, last) = real_name.split_once(' ').unwrap_or((&real_name, ""));
        json!({
            "id": id, "team_id": TEAM_ID, "name": real_name.to_lowercase().replace(' ', "."),
            "real_name": real_name, "tz": "America/New_York", "tz_offset": -18000,
            "is_bot": is_bot, "deleted": false, "is_admin": false,
            "profile": {"real_name": real_name, "display_name": first, "first_name": first,
                        "last_name": last, "email": email},
        })
    }
}
