//! Lexi chat, as JSON and as server-sent events, and the conversation history behind it.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use futures_util::StreamExt;
use serde_json::{Value, json};

use super::prose;
use super::records::{Task, now_iso8601};
use super::{ApiError, ApiResult, Shared, error, invalid, ok, parse_body};

/// What one chat turn produced.
struct Turned {
    conversation_id: String,
    response: String,
    task: Option<Task>,
    credits_remaining: u64,
}

/// The shared semantics of both chat endpoints.
fn converse(
    shared: &Shared,
    body: &Value,
    conversation: Option<&Value>,
    max_len: Option<usize>,
) -> Result<Turned, ApiError> {
    let message = body["message"].as_str().unwrap_or_default();
    if message.trim().is_empty() {
        return Err(invalid("message", "message is required"));
    }
    if max_len.is_some_and(|max| message.chars().count() > max) {
        return Err(invalid(
            "message",
            "message must be at most 12000 characters",
        ));
    }
    let mut m = shared.model();
    if m.credits == 0 {
        return Err(error(
            StatusCode::PAYMENT_REQUIRED,
            "insufficient_credits",
            "Your workspace has no Lexi credits remaining",
        ));
    }
    let conversation_id = match conversation.and_then(Value::as_str) {
        Some(id) if !m.conversations.contains_key(id) => {
            return Err(error(
                StatusCode::NOT_FOUND,
                "not_found",
                "Conversation not found",
            ));
        }
        Some(id) => id.to_owned(),
        None => uuid::Uuid::new_v4().to_string(),
    };
    let earlier = m
        .conversations
        .get(&conversation_id)
        .map_or(0, |t| t.iter().filter(|(role, _)| *role == "user").count());
    let (response, task) = if prose::asks_for_search(message) {
        let query = prose::search_query(message);
        let mut meta = json!({"query": query, "limit": 20});
        if let Some(list) = body["context"]["list_id"].as_str() {
            meta["list_id"] = json!(list);
        }
        let mut task = Task::new("prospect_search", &prose::search_description(&query), meta);
        task.conversation_id = Some(conversation_id.clone());
        (prose::search_answer(&query), Some(task))
    } else {
        (prose::plain_answer(message, earlier), None)
    };
    m.credits -= 1;
    if let Some(t) = &task {
        m.tasks.push(t.clone());
    }
    let turns = m.conversations.entry(conversation_id.clone()).or_default();
    turns.push(("user", message.to_owned()));
    turns.push(("assistant", response.clone()));
    Ok(Turned {
        conversation_id,
        response,
        task,
        credits_remaining: m.credits,
    })
}

pub(super) async fn chat(State(shared): State<Arc<Shared>>, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    let t = converse(&shared, &body, body["context"].get("conversation_id"), None)?;
    ok(json!({
        "response": t.response,
        "task_id": t.task.as_ref().map(|t| t.id.clone()),
        "requires_approval": t.task.is_some(),
        "conversation_id": t.conversation_id,
        "credits_remaining": t.credits_remaining,
    }))
}

fn sse(event: &str, data: &Value) -> Vec<u8> {
    format!("event: {event}\ndata: {data}\n\n").into_bytes()
}

pub(super) async fn chat_stream(State(shared): State<Arc<Shared>>, body: Bytes) -> ApiResult {
    let (scripted, pace) = {
        let mut m = shared.model();
        (m.streams.pop_front(), m.stream_pace)
    };
    let chunks = match scripted {
        Some(chunks) => chunks,
        None => {
            let body = parse_body(&body)?;
            let t = converse(&shared, &body, body.get("conversation_id"), Some(12_000))?;
            let mut chunks = vec![sse(
                "thinking",
                &json!({"text": "Looking through your CRM…"}),
            )];
            if let Some(task) = &t.task {
                for (status, summary) in [
                    (
                        "started",
                        format!("Preparing a prospect search: {}", task.description),
                    ),
                    (
                        "completed",
                        "Created a task that needs your approval".to_owned(),
                    ),
                ] {
                    let step =
                        json!({"tool": "prospect_search", "status": status, "summary": summary});
                    chunks.push(sse("tool_step", &step));
                }
            }
            for delta in prose::deltas(&t.response) {
                let ev = json!({"delta": delta, "conversation_id": t.conversation_id});
                chunks.push(sse("text", &ev));
            }
            let done = json!({"credits_remaining": t.credits_remaining,
                              "message_id": uuid::Uuid::new_v4().to_string()});
            chunks.push(sse("done", &done));
            chunks.push(b"data: [DONE]\n\n".to_vec());
            chunks
        }
    };
    let core = shared.core.clone();
    let stream =
        futures_util::stream::iter(chunks.into_iter().enumerate()).then(move |(i, chunk)| {
            let core = core.clone();
            async move {
                // Pausing lets each chunk leave on its own; a stopping server skips the pauses.
                if i > 0 && !core.is_stopping() {
                    tokio::time::sleep(pace).await;
                }
                Ok::<_, Infallible>(Bytes::from(chunk))
            }
        });
    let headers = [
        (header::CONTENT_TYPE, "text/event-stream"),
        (header::CACHE_CONTROL, "no-cache"),
    ];
    Ok((headers, Body::from_stream(stream)).into_response())
}

pub(super) async fn get_conversation(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult {
    let m = shared.model();
    let Some(turns) = m.conversations.get(&id) else {
        return Err(error(
            StatusCode::NOT_FOUND,
            "not_found",
            "Conversation not found",
        ));
    };
    let messages: Vec<Value> = turns
        .iter()
        .enumerate()
        .map(|(i, (role, content))| {
            json!({"id": format!("msg-{}", i + 1), "role": role,
             "content": content, "tool_calls": null, "tool_name": null, "tool_output": null,
             "created_at": now_iso8601()})
        })
        .collect();
    let title = turns
        .first()
        .map(|(_, c)| c.chars().take(60).collect::<String>());
    ok(
        json!({"id": id, "title": title, "context": {}, "archived": false,
              "created_at": now_iso8601(), "messages": messages}),
    )
}
