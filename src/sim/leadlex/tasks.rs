//! Lexi tasks: listing (which drives completion), approve and dismiss.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::records::{TASK_STATUSES, Task};
use super::{ApiError, ApiResult, Shared, error, invalid, ok, parse_body};

pub(super) fn query_pairs(query: Option<&str>) -> Result<HashMap<String, String>, ApiError> {
    serde_urlencoded::from_str(query.unwrap_or_default()).map_err(|_| {
        error(
            StatusCode::BAD_REQUEST,
            "validation_error",
            "Malformed query string",
        )
    })
}

pub(super) async fn list_tasks(
    State(shared): State<Arc<Shared>>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let q = query_pairs(q.as_deref())?;
    let status = q.get("status").map_or("pending", String::as_str);
    if !TASK_STATUSES.contains(&status) {
        return Err(invalid(
            "status",
            "status must be one of pending, approved, dismissed, completed, failed",
        ));
    }
    let mut m = shared.model();
    if status == "completed" || status == "failed" {
        let after = m.completion_after_polls;
        for t in m.tasks.iter_mut().filter(|t| t.status == "approved") {
            t.polls += 1;
            if t.polls >= after {
                t.finish();
            }
        }
    }
    let tasks: Vec<Value> = m
        .tasks
        .iter()
        .filter(|t| t.status == status)
        .map(Task::json)
        .collect();
    ok(json!({ "tasks": tasks }))
}

pub(super) async fn approve(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult {
    let mut m = shared.model();
    let after = m.completion_after_polls;
    let Some(task) = m.tasks.iter_mut().find(|t| t.id == id) else {
        return Err(error(StatusCode::NOT_FOUND, "not_found", "Task not found"));
    };
    if task.status != "pending" {
        let msg = format!("Task is not pending (status: {})", task.status);
        return Err(error(StatusCode::BAD_REQUEST, "validation_error", &msg));
    }
    task.status = "approved".to_owned();
    task.polls = 0;
    if after == 0 {
        task.finish();
    }
    ok(json!({"task_id": id, "status": "approved", "execution_started": true}))
}

pub(super) async fn dismiss(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body = parse_body(&body)?;
    let mut m = shared.model();
    let Some(task) = m.tasks.iter_mut().find(|t| t.id == id) else {
        return Err(error(StatusCode::NOT_FOUND, "not_found", "Task not found"));
    };
    if task.status != "pending" {
        let msg = format!("Task is not pending (status: {})", task.status);
        return Err(error(StatusCode::BAD_REQUEST, "validation_error", &msg));
    }
    task.status = "dismissed".to_owned();
    task.dismiss_reason = body["reason"].as_str().map(str::to_owned);
    ok(json!({"task_id": id, "status": "dismissed"}))
}
