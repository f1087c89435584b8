//! The fake LeadLex API: auth, chat continuity, the task lifecycle, follow-ups, contacts, SSE.

use serde_json::{Value, json};

use super::client;
use crate::sim::{FakeLeadLex, JANE_DOE_ID};

struct Api {
    ll: FakeLeadLex,
    http: reqwest::Client,
}

impl Api {
    async fn start() -> Self {
        Self {
            ll: FakeLeadLex::start().await.unwrap(),
            http: client(),
        }
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.ll.base_url());
        let mut req = self
            .http
            .request(method.parse().unwrap(), url)
            .header("Authorization", "Bearer wbk_test_key");
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn chat(&self, body: Value) -> (u16, Value) {
        self.call("POST", "/v1/lexi/chat", Some(body)).await
    }
}

#[tokio::test]
async fn calls_without_a_workspace_key_are_refused_with_headers() {
    let api = Api::start().await;
    let resp = api
        .http
        .post(format!("{}/v1/lexi/chat", api.ll.base_url()))
        .header("Authorization", "Bearer xoxb-wrong")
        .json(&json!({"message": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["x-request-id"], "req-1");
    assert!(resp.headers().contains_key("x-ratelimit-reset"));
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_key");
}

#[tokio::test]
async fn a_conversation_continues_and_remembers_its_messages() {
    let api = Api::start().await;
    let (status, first) = api.chat(json!({"message": "What's new with Acme?"})).await;
    assert_eq!(status, 200);
    let data = &first["data"];
    assert_eq!(data["requires_approval"], false);
    assert!(data["task_id"].is_null());
    assert!(
        data["response"]
            .as_str()
            .unwrap()
            .contains("What's new with Acme?")
    );
    let conv = data["conversation_id"].as_str().unwrap().to_owned();

    let context = json!({"conversation_id": conv});
    let (_, second) = api
        .chat(json!({"message": "And Jane?", "context": context}))
        .await;
    assert_eq!(second["data"]["conversation_id"], conv.as_str());
    assert_eq!(
        api.ll.conversation(&conv),
        ["What's new with Acme?", "And Jane?"]
    );
    assert_eq!(api.ll.credits(), 4998);

    let unknown = json!({"message": "hi", "context": {"conversation_id": "nope"}});
    assert_eq!(api.chat(unknown).await.0, 404);
    let (status, empty) = api.chat(json!({"message": "  "})).await;
    assert_eq!(
        (status, &empty["error"]["code"]),
        (400, &json!("validation_error"))
    );
    api.ll.set_credits(0);
    let (status, broke) = api.chat(json!({"message": "hi"})).await;
    assert_eq!(
        (status, &broke["error"]["code"]),
        (402, &json!("insufficient_credits"))
    );
}

#[tokio::test]
async fn an_approved_search_task_completes_on_the_next_completed_listing() {
    let api = Api::start().await;
    let (_, reply) = api
        .chat(json!({"message": "Find me 20 CEOs at law firms in New York"}))
        .await;
    let data = &reply["data"];
    assert_eq!(data["requires_approval"], true);
    assert!(
        data["response"]
            .as_str()
            .unwrap()
            .contains("Please approve this task")
    );
    let id = data["task_id"].as_str().unwrap().to_owned();

    let (_, pending) = api.call("GET", "/v1/lexi/tasks", None).await;
    let task = &pending["data"]["tasks"][0];
    assert_eq!(task["id"], id.as_str());
    assert_eq!(task["type"], "prospect_search");
    assert_eq!(
        task["metadata"]["query"],
        "20 CEOs at law firms in New York"
    );

    let approve = format!("/v1/lexi/tasks/{id}/approve");
    let (status, ok) = api.call("POST", &approve, None).await;
    assert_eq!((status, &ok["data"]["status"]), (200, &json!("approved")));
    assert_eq!(api.call("POST", &approve, None).await.0, 400);
    assert_eq!(
        api.call("POST", "/v1/lexi/tasks/unknown/approve", None)
            .await
            .0,
        404
    );

    let (_, done) = api
        .call("GET", "/v1/lexi/tasks?status=completed", None)
        .await;
    assert_eq!(done["data"]["tasks"][0]["id"], id.as_str());
    assert_eq!(done["data"]["tasks"][0]["metadata"]["results"], 20);
    assert_eq!(api.ll.task(&id).unwrap().status, "completed");
}

#[tokio::test]
async fn completion_waits_for_polls_and_outcomes_can_be_forced() {
    let api = Api::start().await;
    api.ll.set_completion_after_polls(2);
    let a = api
        .ll
        .add_task("prospect_search", "Search for A", json!({"query": "A"}));
    let b = api
        .ll
        .add_task("prospect_search", "Search for B", json!({"query": "B"}));
    api.ll.set_task_outcome(&b, "failed");
    for id in [&a, &b] {
        api.call("POST", &format!("/v1/lexi/tasks/{id}/approve"), None)
            .await;
    }
    let (_, first) = api
        .call("GET", "/v1/lexi/tasks?status=completed", None)
        .await;
    assert_eq!(first["data"]["tasks"], json!([]));
    let (_, second) = api
        .call("GET", "/v1/lexi/tasks?status=completed", None)
        .await;
    assert_eq!(second["data"]["tasks"][0]["id"], a.as_str());
    let (_, failed) = api.call("GET", "/v1/lexi/tasks?status=failed", None).await;
    assert_eq!(failed["data"]["tasks"][0]["id"], b.as_str());

    let c = api
        .ll
        .add_task("list_operation", "Tidy the list", json!({}));
    let reason = json!({"reason": "Not relevant right now"});
    let (status, body) = api
        .call("POST", &format!("/v1/lexi/tasks/{c}/dismiss"), Some(reason))
        .await;
    assert_eq!(
        (status, &body["data"]["status"]),
        (200, &json!("dismissed"))
    );
    assert_eq!(
        api.ll.task(&c).unwrap().dismiss_reason.as_deref(),
        Some("Not relevant right now")
    );
    assert_eq!(
        api.call("POST", &format!("/v1/lexi/tasks/{c}/dismiss"), None)
            .await
            .0,
        400
    );
}

#[tokio::test]
async fn followups_validate_the_contact_and_respect_count_and_channels() {
    let api = Api::start().await;
    let path = "/v1/ai/suggest-followups";
    let (status, bad) = api
        .call("POST", path, Some(json!({"contact_id": "jane"})))
        .await;
    assert_eq!(
        (status, &bad["error"]["code"]),
        (400, &json!("validation_error"))
    );
    let stranger = json!({"contact_id": "00000000-0000-4000-8000-000000000000"});
    assert_eq!(api.call("POST", path, Some(stranger)).await.0, 404);
    let too_many = json!({"contact_id": JANE_DOE_ID, "count": 11});
    assert_eq!(api.call("POST", path, Some(too_many)).await.0, 400);

    let ask = json!({"contact_id": JANE_DOE_ID, "count": 2, "channels": ["email"]});
    let (status, ok) = api.call("POST", path, Some(ask)).await;
    assert_eq!(status, 200);
    let suggestions = ok["data"]["suggestions"].as_array().unwrap();
    assert_eq!(suggestions.len(), 2);
    assert!(suggestions.iter().all(|s| s["type"] == "email"));
    assert!(
        suggestions[0]["draft_body"]
            .as_str()
            .unwrap()
            .contains("Jane")
    );
    assert_eq!(ok["data"]["credits_remaining"], 4998);
}

#[tokio::test]
async fn contacts_search_by_partial_name_or_email() {
    let api = Api::start().await;
    let (_, sams) = api.call("GET", "/v1/contacts?search=sam", None).await;
    assert_eq!(sams["meta"]["total"], 2);
    let (_, jane) = api
        .call("GET", "/v1/contacts?search=JANE%40ACME", None)
        .await;
    assert_eq!(jane["data"]["contacts"][0]["company_name"], "Acme Legal");
    let (_, page) = api
        .call("GET", "/v1/contacts?per_page=1&page=2", None)
        .await;
    assert_eq!(page["data"]["contacts"].as_array().unwrap().len(), 1);
    assert_eq!(page["meta"]["page"], 2);
    let (status, one) = api
        .call("GET", &format!("/v1/contacts/{JANE_DOE_ID}"), None)
        .await;
    assert_eq!(
        (status, &one["data"]["company"]),
        (200, &json!("Acme Legal"))
    );
    assert_eq!(api.call("GET", "/v1/contacts/nobody", None).await.0, 404);
}

async fn read_stream(api: &Api, body: Value) -> (String, Vec<usize>) {
    let resp = api
        .http
        .post(format!("{}/v1/lexi/chat/stream", api.ll.base_url()))
        .header("Authorization", "Bearer wbk_test_key")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut bytes = Vec::new();
    let mut sizes = Vec::new();
    let mut resp = resp;
    while let Some(chunk) = resp.chunk().await.unwrap() {
        sizes.push(chunk.len());
        bytes.extend_from_slice(&chunk);
    }
    (String::from_utf8(bytes).unwrap(), sizes)
}

#[tokio::test]
async fn the_stream_sends_thinking_text_done_and_the_end_marker() {
    let api = Api::start().await;
    let (text, _) = read_stream(&api, json!({"message": "Summarise Acme"})).await;
    assert!(text.starts_with("event: thinking\ndata: "));
    assert!(text.ends_with("data: [DONE]\n\n"));
    let mut reply = String::new();
    let mut conv = None;
    for frame in text.split("\n\n").filter(|f| f.starts_with("event: text")) {
        let data: Value = serde_json::from_str(frame.split_once("data: ").unwrap().1).unwrap();
        reply.push_str(data["delta"].as_str().unwrap());
        conv = data["conversation_id"].as_str().map(str::to_owned);
    }
    assert!(reply.contains("**Here's what I found** about \"Summarise Acme\""));
    assert_eq!(api.ll.conversation(&conv.unwrap()), ["Summarise Acme"]);
    assert!(text.contains("event: done\ndata: {\"credits_remaining\":4999"));
}

#[tokio::test]
async fn a_scripted_stream_arrives_chunk_by_chunk() {
    let api = Api::start().await;
    let frame = "event: text\ndata: {\"delta\":\"café\"}\n\n".as_bytes();
    let split = frame.iter().position(|b| *b == 0xC3).unwrap() + 1; // inside "é"
    api.ll
        .enqueue_stream(vec![frame[..split].to_vec(), frame[split..].to_vec()]);
    let (text, sizes) = read_stream(&api, json!({"message": "anything"})).await;
    assert_eq!(text.as_bytes(), frame);
    assert_eq!(sizes, [split, frame.len() - split]);
}
