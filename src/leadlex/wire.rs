//! LeadLex's JSON, as documented; private to the client, mapped to domain types at its boundary.

use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
pub(super) struct Envelope<T> {
    pub data: T,
}

#[derive(Deserialize, Default)]
pub(super) struct ErrorEnvelope {
    pub error: Option<ErrorBody>,
}

#[derive(Deserialize, Default)]
pub(super) struct ErrorBody {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
}

#[derive(Serialize)]
pub(super) struct ChatRequest<'a> {
    pub message: &'a str,
    #[serde(skip_serializing_if = "ChatRequestContext::is_empty")]
    pub context: ChatRequestContext<'a>,
}

#[derive(Serialize, Default)]
pub(super) struct ChatRequestContext<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<&'a str>,
}

impl ChatRequestContext<'_> {
    fn is_empty(&self) -> bool {
        self.conversation_id.is_none() && self.list_id.is_none() && self.campaign_id.is_none()
    }
}

#[derive(Deserialize)]
pub(super) struct ChatResponse {
    #[serde(default)]
    pub response: String,
    pub task_id: Option<String>,
    #[serde(default)]
    pub requires_approval: bool,
    pub conversation_id: String,
}

#[derive(Deserialize)]
pub(super) struct TaskList {
    #[serde(default)]
    pub tasks: Vec<TaskDto>,
}

#[derive(Deserialize)]
pub(super) struct TaskDto {
    pub id: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    pub status: String,
    #[serde(default)]
    pub description: String,
    pub created_at: Option<String>,
    #[serde(default)]
    pub metadata: serde_json::Value,
}

#[derive(Serialize)]
pub(super) struct DismissRequest<'a> {
    pub reason: &'a str,
}
