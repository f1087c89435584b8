//! Response URLs: five uses each; replace or delete the original, post in channel, or show an
//! ephemeral message to the user the URL belongs to.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::model::{BOT_USER_ID, Draft};
use super::validate::{Rejection, check_message};
use super::{Shared, slack_json};

/// Used when a test did not bind a user to the URL.
const UNBOUND_USER: &str = "U0UNBOUND";
const MAX_USES: u32 = 5;

fn flag(v: &Value) -> bool {
    v.as_bool().unwrap_or(false) || v.as_str() == Some("true")
}

fn fail(status: StatusCode, error: &str) -> Response {
    slack_json(status, &json!({"ok": false, "error": error}))
}

fn rejected(r: &Rejection) -> Response {
    let mut body = json!({"ok": false, "error": r.error});
    if !r.messages.is_empty() {
        body["response_metadata"] = json!({ "messages": r.messages });
    }
    slack_json(StatusCode::BAD_REQUEST, &body)
}

fn has_content(p: &Value) -> bool {
    ["text", "blocks", "markdown_text"]
        .iter()
        .any(|k| !p[k].is_null())
}

pub(super) async fn response_url(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let Ok(p @ Value::Object(_)) = serde_json::from_slice::<Value>(&body) else {
        return fail(StatusCode::BAD_REQUEST, "invalid_payload");
    };
    let mut m = shared.model();
    let url = m.response_urls.entry(name).or_default();
    url.uses += 1;
    if url.uses > MAX_USES {
        return fail(StatusCode::NOT_FOUND, "used_url");
    }
    let bound = url.clone();
    let original = bound.channel.clone().zip(bound.ts.clone());

    if flag(&p["delete_original"]) {
        if let Some((channel, ts)) = &original {
            m.delete(channel, ts);
        }
        if !has_content(&p) {
            return slack_json(StatusCode::OK, &json!({"ok": true}));
        }
    }
    if !has_content(&p) {
        // e.g. `{"response_type":"in_channel"}` alone: nothing new to show.
        return slack_json(StatusCode::OK, &json!({"ok": true}));
    }
    let content = match check_message(&p) {
        Ok(c) => c,
        Err(r) => return rejected(&r),
    };
    if flag(&p["replace_original"]) && !flag(&p["delete_original"]) {
        let Some((channel, ts)) = &original else {
            return fail(StatusCode::NOT_FOUND, "message_not_found");
        };
        let Some(msg) = m.get_mut(channel, ts) else {
            return fail(StatusCode::NOT_FOUND, "message_not_found");
        };
        // The original keeps its visibility, thread and ts.
        msg.text = content.display_text();
        msg.blocks = content.blocks;
        msg.edits += 1;
        return slack_json(StatusCode::OK, &json!({"ok": true}));
    }
    let draft = Draft {
        thread_ts: p["thread_ts"].as_str().map(str::to_owned),
        text: content.display_text(),
        blocks: content.blocks,
        metadata: p.get("metadata").cloned(),
    };
    let Some(channel) = bound.channel.clone() else {
        return fail(StatusCode::NOT_FOUND, "channel_not_found");
    };
    if p["response_type"] == "in_channel" {
        m.post(&channel, BOT_USER_ID, draft, None);
    } else {
        let user = bound.user.as_deref().unwrap_or(UNBOUND_USER);
        m.post(&channel, BOT_USER_ID, draft, Some(user));
    }
    slack_json(StatusCode::OK, &json!({"ok": true}))
}
