//! Recording, waiting, scripting and gates: the machinery both fakes share (exercised on LeadLex).

use std::time::Duration;

use serde_json::json;

use super::{DEADLINE, client};
use crate::sim::{Canned, FakeLeadLex};

const KEY: &str = "Bearer wbk_test";

#[tokio::test]
async fn requests_are_recorded_and_wait_for_wakes_on_arrival() {
    let ll = FakeLeadLex::start().await.unwrap();
    let url = format!("{}/v1/contacts?search=jane", ll.base_url());
    let call = tokio::spawn(client().get(url).header("Authorization", KEY).send());
    let seen = ll.wait_for("/v1/contacts", 1, DEADLINE).await.unwrap();
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].query.as_deref(), Some("search=jane"));
    assert_eq!(seen[0].header("AUTHORIZATION"), Some(KEY));
    assert_eq!(call.await.unwrap().unwrap().status(), 200);
    assert_eq!(ll.count("/v1/contacts"), 1);

    let err = ll
        .wait_for("/v1/lexi/chat", 1, Duration::from_millis(20))
        .await
        .unwrap_err();
    assert_eq!(err.matched, 0);
    assert!(err.to_string().contains("GET /v1/contacts"), "{err}");

    ll.clear_requests();
    assert!(ll.requests().is_empty());
}

#[tokio::test]
async fn canned_answers_are_fifo_per_route_and_match_wildcards() {
    let ll = FakeLeadLex::start().await.unwrap();
    let path = "/v1/lexi/tasks/*/approve";
    let limited = json!({"error": {"code": "rate_limited", "message": "slow down"}});
    ll.enqueue(
        "POST",
        path,
        Canned::json(503, json!({"error": {"code": "unavailable"}})),
    );
    ll.enqueue(
        "POST",
        path,
        Canned::json(429, limited).header("Retry-After", "1"),
    );
    let url = |id: &str| format!("{}/v1/lexi/tasks/{id}/approve", ll.base_url());
    let c = client();
    let statuses = [
        c.post(url("a"))
            .header("Authorization", KEY)
            .send()
            .await
            .unwrap(),
        c.post(url("b"))
            .header("Authorization", KEY)
            .send()
            .await
            .unwrap(),
        c.post(url("c"))
            .header("Authorization", KEY)
            .send()
            .await
            .unwrap(),
    ];
    let codes: Vec<u16> = statuses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(codes, [503, 429, 404]);
    assert_eq!(statuses[1].headers()["retry-after"], "1");
    assert!(statuses[1].headers().contains_key("x-request-id"));
    assert_eq!(ll.count(path), 3);
}

#[tokio::test]
async fn a_held_route_waits_for_release_without_blocking_others() {
    let ll = FakeLeadLex::start().await.unwrap();
    let gate = ll.hold("/v1/lexi/chat");
    let chat = tokio::spawn(
        client()
            .post(format!("{}/v1/lexi/chat", ll.base_url()))
            .header("Authorization", KEY)
            .json(&json!({"message": "hello"}))
            .send(),
    );
    ll.wait_for("/v1/lexi/chat", 1, DEADLINE).await.unwrap();
    let other = client()
        .get(format!("{}/v1/contacts", ll.base_url()))
        .header("Authorization", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200);
    assert!(!chat.is_finished(), "the held chat answered before release");
    gate.release();
    assert_eq!(chat.await.unwrap().unwrap().status(), 200);
}

#[tokio::test]
async fn reset_drops_the_connection_and_hang_outlasts_the_client() {
    let ll = FakeLeadLex::start().await.unwrap();
    ll.enqueue("POST", "/v1/lexi/chat", Canned::reset());
    ll.enqueue("*", "/v1/lexi/chat", Canned::hang());
    let url = format!("{}/v1/lexi/chat", ll.base_url());
    let body = json!({"message": "hi"});
    let reset = client()
        .post(&url)
        .header("Authorization", KEY)
        .json(&body)
        .send()
        .await;
    let err = reset.expect_err("a reset must not produce a response");
    assert!(!err.is_timeout(), "{err:?}");

    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let hung = impatient
        .post(&url)
        .header("Authorization", KEY)
        .json(&body)
        .send()
        .await;
    assert!(hung.expect_err("hang must not answer").is_timeout());

    let fine = client()
        .post(&url)
        .header("Authorization", KEY)
        .json(&body)
        .send()
        .await;
    assert_eq!(fine.unwrap().status(), 200);
    assert_eq!(ll.count("/v1/lexi/chat"), 3);
}

#[tokio::test]
async fn stopping_the_server_ends_held_and_delayed_requests() {
    let ll = FakeLeadLex::start().await.unwrap();
    let gate = ll.hold("/v1/lexi/chat");
    let slow = Canned::json(200, json!({"data": {}})).delay(Duration::from_secs(600));
    ll.enqueue("GET", "/v1/contacts", slow);
    let chat = client()
        .post(format!("{}/v1/lexi/chat", ll.base_url()))
        .header("Authorization", KEY)
        .json(&json!({"message": "hello"}))
        .send();
    let contacts = client()
        .get(format!("{}/v1/contacts", ll.base_url()))
        .header("Authorization", KEY)
        .send();
    let (chat, contacts) = (tokio::spawn(chat), tokio::spawn(contacts));
    // Both are visible on arrival, before the hold and the delay.
    ll.wait_for("/v1/lexi/chat", 1, DEADLINE).await.unwrap();
    ll.wait_for("/v1/contacts", 1, DEADLINE).await.unwrap();
    ll.shutdown().await;
    assert!(chat.await.unwrap().is_err());
    assert!(contacts.await.unwrap().is_err());
    drop(gate);
}
