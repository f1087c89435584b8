//! The Web API methods the bot calls, applied to the model: each returns the success payload
//! (without `ok`) or the Slack error.

use serde_json::{Value, json};

use super::model::{BOT_ID, BOT_USER_ID, Draft, Model, TEAM_ID};
use super::validate::{Rejection, blocks_of, check_blocks, check_markdown_text, check_message};

/// Every method the fake knows; anything else is `unknown_method`.
pub(super) const METHODS: [&str; 18] = [
    "auth.test",
    "chat.postMessage",
    "chat.update",
    "chat.delete",
    "chat.postEphemeral",
    "chat.startStream",
    "chat.appendStream",
    "chat.stopStream",
    "reactions.add",
    "reactions.remove",
    "assistant.threads.setStatus",
    "assistant.threads.setSuggestedPrompts",
    "assistant.threads.setTitle",
    "users.info",
    "conversations.replies",
    "apps.connections.open",
    "api.test",
    "conversations.info",
];

type Reply = Result<Value, Rejection>;

fn s<'a>(p: &'a Value, key: &str) -> Option<&'a str> {
    p[key].as_str().filter(|v| !v.is_empty())
}

fn need<'a>(p: &'a Value, key: &str, error: &'static str) -> Result<&'a str, Rejection> {
    s(p, key).ok_or_else(|| Rejection::new(error))
}

/// `metadata` may come as an object or, in form bodies, as a JSON string.
fn metadata(p: &Value) -> Option<Value> {
    match &p["metadata"] {
        Value::String(raw) => serde_json::from_str(raw).ok(),
        Value::Null => None,
        v => Some(v.clone()),
    }
}

pub(super) fn call(model: &mut Model, method: &str, p: &Value, socket_url: &str) -> Reply {
    match method {
        "auth.test" => Ok(json!({
            "url": "https://acme.slack.com/", "team": "Acme", "user": "lexi",
            "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID,
            "app_id": "A0LEXI", "is_enterprise_install": false,
        })),
        "api.test" => Ok(json!({ "args": p })),
        "chat.postMessage" => post_message(model, p),
        "chat.update" => update(model, p),
        "chat.delete" => {
            let channel = need(p, "channel", "channel_not_found")?;
            let ts = need(p, "ts", "message_not_found")?;
            match model.get(channel, ts) {
                None => return Err(Rejection::new("message_not_found")),
                Some(m) if m.is_ephemeral() => return Err(Rejection::new("message_not_found")),
                Some(m) if !m.is_bot() => return Err(Rejection::new("cant_delete_message")),
                Some(_) => {}
            }
            model.delete(channel, ts);
            Ok(json!({"channel": channel, "ts": ts}))
        }
        "chat.postEphemeral" => {
            let channel = need(p, "channel", "channel_not_found")?;
            let user = need(p, "user", "user_not_found")?;
            let content = check_message(p)?;
            let draft = Draft {
                thread_ts: s(p, "thread_ts").map(str::to_owned),
                text: content.display_text(),
                blocks: content.blocks,
                metadata: None,
            };
            let msg = model.post(channel, BOT_USER_ID, draft, Some(user));
            Ok(json!({ "message_ts": msg.ts }))
        }
        "chat.startStream" => start_stream(model, p),
        "chat.appendStream" | "chat.stopStream" => stream_step(model, method, p),
        "reactions.add" | "reactions.remove" => react(model, method == "reactions.add", p),
        "assistant.threads.setStatus" => {
            let (channel, thread) = assistant_target(p)?;
            let Some(status) = p["status"].as_str() else {
                return Err(Rejection::new("invalid_arguments"));
            };
            let loading: Vec<String> = match &p["loading_messages"] {
                Value::Array(a) => a
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            };
            if loading.len() > 10 {
                return Err(Rejection::new("invalid_arguments"));
            }
            let a = model.assistant_thread(channel, thread);
            a.status = (!status.is_empty()).then(|| status.to_owned());
            a.loading_messages = loading;
            a.status_history.push(status.to_owned());
            Ok(json!({}))
        }
        "assistant.threads.setSuggestedPrompts" => {
            let channel = need(p, "channel_id", "channel_not_found")?;
            // Slack documents "up to four", each with a `title` and a `message`.
            let prompts = match &p["prompts"] {
                Value::Array(a) => a.clone(),
                Value::String(raw) => serde_json::from_str::<Vec<Value>>(raw)
                    .map_err(|_| Rejection::new("invalid_arguments"))?,
                _ => return Err(Rejection::new("invalid_arguments")),
            };
            let whole = |p: &Value| s(p, "title").is_some() && s(p, "message").is_some();
            if prompts.is_empty() || prompts.len() > 4 || !prompts.iter().all(whole) {
                return Err(Rejection::new("invalid_arguments"));
            }
            let thread = s(p, "thread_ts").unwrap_or_default();
            let a = model.assistant_thread(channel, thread);
            a.prompts = prompts;
            a.prompts_title = s(p, "title").map(str::to_owned);
            Ok(json!({}))
        }
        "assistant.threads.setTitle" => {
            let (channel, thread) = assistant_target(p)?;
            let title = need(p, "title", "invalid_arguments")?;
            model.assistant_thread(channel, thread).title = Some(title.to_owned());
            Ok(json!({}))
        }
        "users.info" => {
            let user = need(p, "user", "user_not_found")?;
            if !user.starts_with(['U', 'W', 'B']) {
                return Err(Rejection::new("user_not_found"));
            }
            Ok(json!({ "user": model.user_json(user) }))
        }
        "conversations.info" => {
            let channel = need(p, "channel", "channel_not_found")?;
            let is_im = channel.starts_with('D');
            Ok(
                json!({"channel": {"id": channel, "name": channel.to_lowercase(), "is_im": is_im,
                                  "is_channel": !is_im, "is_member": true}}),
            )
        }
        "conversations.replies" => {
            let channel = need(p, "channel", "channel_not_found")?;
            let ts = need(p, "ts", "thread_not_found")?;
            let msgs = model.thread(channel, ts);
            if msgs.is_empty() {
                return Err(Rejection::new("thread_not_found"));
            }
            // As Slack: the parent always comes first; `oldest` drops older replies (itself
            // too unless `inclusive`); metadata only with `include_all_metadata`.
            let oldest = s(p, "oldest").map(ts_key);
            let inclusive = flag(p, "inclusive");
            let with_metadata = flag(p, "include_all_metadata");
            let list: Vec<Value> = msgs
                .iter()
                .filter(|m| {
                    m.ts == ts
                        || oldest.is_none_or(|o| {
                            let k = ts_key(&m.ts);
                            k > o || (inclusive && k == o)
                        })
                })
                .map(|m| {
                    let mut json = m.json();
                    if !with_metadata {
                        if let Some(fields) = json.as_object_mut() {
                            fields.remove("metadata");
                        }
                    }
                    json
                })
                .collect();
            Ok(json!({"messages": list, "has_more": false}))
        }
        "apps.connections.open" => Ok(json!({ "url": socket_url })),
        _ => Err(Rejection::new("unknown_method")),
    }
}

/// A Slack ts as a number pair, for comparing (`"9.5"` is older than `"10.1"`).
fn ts_key(ts: &str) -> (u64, u64) {
    let (secs, micros) = ts.split_once('.').unwrap_or((ts, "0"));
    (secs.parse().unwrap_or(0), micros.parse().unwrap_or(0))
}

/// A boolean parameter as Slack reads it: `true` / `1` (query and form values are strings).
fn flag(p: &Value, name: &str) -> bool {
    match &p[name] {
        Value::Bool(b) => *b,
        Value::String(v) => v == "true" || v == "1",
        _ => false,
    }
}

fn assistant_target(p: &Value) -> Result<(&str, &str), Rejection> {
    let channel = need(p, "channel_id", "channel_not_found")?;
    let thread = need(p, "thread_ts", "invalid_arguments")?;
    Ok((channel, thread))
}

fn post_message(model: &mut Model, p: &Value) -> Reply {
    let channel = need(p, "channel", "channel_not_found")?;
    let content = check_message(p)?;
    let draft = Draft {
        thread_ts: s(p, "thread_ts").map(str::to_owned),
        text: content.display_text(),
        blocks: content.blocks,
        metadata: metadata(p),
    };
    let msg = model.post(channel, BOT_USER_ID, draft, None);
    Ok(json!({"channel": channel, "ts": msg.ts, "message": msg.json()}))
}

fn update(model: &mut Model, p: &Value) -> Reply {
    let channel = need(p, "channel", "channel_not_found")?;
    let ts = need(p, "ts", "message_not_found")?;
    match model.get(channel, ts) {
        None => return Err(Rejection::new("message_not_found")),
        Some(m) if m.is_ephemeral() => return Err(Rejection::new("message_not_found")),
        Some(m) if !m.is_bot() => return Err(Rejection::new("cant_update_message")),
        Some(_) => {}
    }
    let content = check_message(p)?;
    let meta = metadata(p);
    let Some(msg) = model.get_mut(channel, ts) else {
        return Err(Rejection::new("message_not_found"));
    };
    msg.text = content.display_text();
    // Passing text without blocks drops the old blocks, as Slack does.
    msg.blocks = content.blocks;
    msg.streamed = false;
    if meta.is_some() {
        msg.metadata = meta;
    }
    msg.edits += 1;
    let m = msg.json();
    Ok(json!({"channel": channel, "ts": ts, "text": msg.text, "message": m}))
}

fn start_stream(model: &mut Model, p: &Value) -> Reply {
    let channel = need(p, "channel", "channel_not_found")?;
    // Streaming outside a DM must name who it streams to.
    if !channel.starts_with('D') {
        need(p, "recipient_user_id", "missing_recipient_user_id")?;
        need(p, "recipient_team_id", "missing_recipient_team_id")?;
    }
    let md = s(p, "markdown_text");
    check_markdown_text(md)?;
    let draft = Draft {
        thread_ts: s(p, "thread_ts").map(str::to_owned),
        text: md.unwrap_or_default().to_owned(),
        blocks: None,
        metadata: None,
    };
    let ts = model.post(channel, BOT_USER_ID, draft, None).ts;
    if let Some(m) = model.get_mut(channel, &ts) {
        m.streaming = true;
        m.streamed = true;
    }
    Ok(json!({"channel": channel, "ts": ts}))
}

fn stream_step(model: &mut Model, method: &str, p: &Value) -> Reply {
    let channel = need(p, "channel", "channel_not_found")?;
    let ts = need(p, "ts", "message_not_found")?;
    let md = s(p, "markdown_text");
    check_markdown_text(md)?;
    let stopping = method == "chat.stopStream";
    let blocks = if stopping { blocks_of(p)? } else { None };
    if let Some(b) = &blocks {
        check_blocks(b)?;
    }
    let meta = metadata(p);
    let Some(msg) = model.get_mut(channel, ts) else {
        return Err(Rejection::new("message_not_found"));
    };
    if !msg.streaming {
        return Err(Rejection::new("message_not_in_streaming_state"));
    }
    msg.text.push_str(md.unwrap_or_default());
    if stopping {
        msg.streaming = false;
        if blocks.is_some() {
            msg.blocks = blocks;
        }
        if meta.is_some() {
            msg.metadata = meta;
        }
        let m = msg.json();
        return Ok(json!({"channel": channel, "ts": ts, "message": m}));
    }
    Ok(json!({"channel": channel, "ts": ts}))
}

fn react(model: &mut Model, add: bool, p: &Value) -> Reply {
    let channel = need(p, "channel", "channel_not_found")?;
    let ts = need(p, "timestamp", "no_item_specified")?;
    let name = need(p, "name", "invalid_name")?;
    if name.contains(':') || name.contains(' ') {
        return Err(Rejection::new("invalid_name"));
    }
    let Some(msg) = model.get_mut(channel, ts).filter(|m| !m.is_ephemeral()) else {
        return Err(Rejection::new("message_not_found"));
    };
    let users = msg.reactions.entry(name.to_owned()).or_default();
    let has = users.iter().any(|u| u == BOT_USER_ID);
    match (add, has) {
        (true, true) => return Err(Rejection::new("already_reacted")),
        (false, false) => return Err(Rejection::new("no_reaction")),
        (true, false) => users.push(BOT_USER_ID.to_owned()),
        (false, true) => users.retain(|u| u != BOT_USER_ID),
    }
    if users.is_empty() {
        msg.reactions.remove(name);
    }
    Ok(json!({}))
}
