//! CRM reads and the AI follow-up suggestions built on them.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::prose;
use super::records::Contact;
use super::tasks::query_pairs;
use super::{ApiError, ApiResult, Shared, error, invalid, ok, parse_body};

pub(super) async fn suggest_followups(State(shared): State<Arc<Shared>>, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    let Some(contact_id) = body["contact_id"].as_str() else {
        return Err(invalid("contact_id", "contact_id is required"));
    };
    if uuid::Uuid::parse_str(contact_id).is_err() {
        return Err(invalid("contact_id", "contact_id must be a UUID"));
    }
    let count = match &body["count"] {
        Value::Null => 3,
        v => match v.as_u64() {
            Some(n @ 1..=10) => n as usize,
            _ => return Err(invalid("count", "count must be an integer from 1 to 10")),
        },
    };
    let lookback = match &body["lookback_days"] {
        Value::Null => 60,
        v => match v.as_u64() {
            Some(n) if n >= 1 => n,
            _ => {
                return Err(invalid(
                    "lookback_days",
                    "lookback_days must be a positive integer",
                ));
            }
        },
    };
    let channels: Vec<String> = match &body["channels"] {
        Value::Null => Vec::new(),
        Value::Array(items) => {
            let names: Vec<String> = items
                .iter()
                .filter_map(|c| c.as_str().map(str::to_owned))
                .collect();
            if names.len() != items.len()
                || names.iter().any(|c| !prose::CHANNELS.contains(&c.as_str()))
            {
                return Err(invalid(
                    "channels",
                    "channels may contain email, call, meeting, linkedin, whatsapp",
                ));
            }
            names
        }
        _ => return Err(invalid("channels", "channels must be an array")),
    };
    let mut m = shared.model();
    let Some(contact) = m.contacts.iter().find(|c| c.id == contact_id).cloned() else {
        return Err(error(
            StatusCode::NOT_FOUND,
            "not_found",
            "Contact not found in this workspace",
        ));
    };
    if m.credits < 2 {
        return Err(error(
            StatusCode::PAYMENT_REQUIRED,
            "insufficient_credits",
            "Workspace credit balance is exhausted",
        ));
    }
    m.credits -= 2;
    ok(json!({
        "suggestions": prose::followups(&contact, count, &channels),
        "activity_summary": prose::activity_summary(&contact, lookback),
        "credits_remaining": m.credits,
    }))
}

fn positive(q: &HashMap<String, String>, key: &str, default: usize) -> Result<usize, ApiError> {
    match q.get(key) {
        None => Ok(default),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(invalid(key, &format!("{key} must be a positive integer"))),
        },
    }
}

pub(super) async fn list_contacts(
    State(shared): State<Arc<Shared>>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let q = query_pairs(q.as_deref())?;
    let page = positive(&q, "page", 1)?;
    let per_page = positive(&q, "per_page", 50)?.min(100);
    let m = shared.model();
    let hits: Vec<&Contact> = m
        .contacts
        .iter()
        .filter(|c| q.get("search").is_none_or(|s| c.matches(s)))
        .collect();
    let rows: Vec<Value> = hits
        .iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .map(|c| c.list_json())
        .collect();
    let body = json!({"data": {"contacts": rows},
                      "meta": {"page": page, "per_page": per_page, "total": hits.len()}});
    Ok(axum::Json(body).into_response())
}

pub(super) async fn get_contact(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult {
    match shared.model().contacts.iter().find(|c| c.id == id) {
        Some(c) => ok(c.detail_json()),
        None => Err(error(
            StatusCode::NOT_FOUND,
            "not_found",
            "Contact not found",
        )),
    }
}
