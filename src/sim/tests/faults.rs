//! Fault plans and outages over HTTP: what a client sees, and that a fault changes nothing.

use std::time::Duration;

use serde_json::{Value, json};

use super::{DEADLINE, client};
use crate::sim::{FakeLeadLex, FakeSlack, FaultKind, FaultPlan};

#[tokio::test]
async fn every_fault_kind_reaches_the_client_as_a_real_server_would_send_it() {
    let ll = FakeLeadLex::start().await.unwrap();
    let quick = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let chat = format!("{}/v1/lexi/chat", ll.base_url());
    let mut seen = Vec::new();
    for kind in FaultKind::TRANSIENT
        .into_iter()
        .chain([FaultKind::Unauthorized])
    {
        ll.set_faults(Some(
            FaultPlan::new(3, 1.0, &[kind]).rate_limit_wait(Duration::from_secs(2)),
        ));
        let sent = quick
            .post(&chat)
            .header("Authorization", "Bearer wbk_test")
            .json(&json!({"message": "hello"}))
            .send()
            .await;
        let shown = match sent {
            Err(e) if e.is_timeout() => "timeout".to_owned(),
            Err(_) => "connection error".to_owned(),
            Ok(r) => {
                let status = r.status().as_u16();
                // LeadLex sends X-RateLimit-* on every answer; a spent limit says when it resets.
                let spent = r
                    .headers()
                    .get("x-ratelimit-remaining")
                    .is_some_and(|v| v == "0");
                let retry = r
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_owned());
                let body = r.text().await.unwrap();
                let json = serde_json::from_str::<Value>(&body).is_ok();
                format!("{status} json={json} spent={spent} retry_after={retry:?}")
            }
        };
        seen.push((kind.name(), shown));
    }
    let expected = [
        ("500", "500 json=true spent=false retry_after=None"),
        ("503", "503 json=true spent=false retry_after=None"),
        ("429_reset", "429 json=true spent=true retry_after=None"),
        (
            "429_retry_after",
            "429 json=true spent=false retry_after=Some(\"2\")",
        ),
        ("timeout", "timeout"),
        ("reset", "connection error"),
        ("truncated", "200 json=false spent=false retry_after=None"),
        ("not_json", "200 json=false spent=false retry_after=None"),
        ("ok_false", "200 json=true spent=false retry_after=None"),
        ("401", "401 json=true spent=false retry_after=None"),
    ];
    let seen: Vec<(&str, &str)> = seen.iter().map(|(k, s)| (*k, s.as_str())).collect();
    assert_eq!(seen, expected);
    assert!(
        ll.conversation_ids().is_empty(),
        "no fault reached the model"
    );
    let faults: Vec<_> = ll.requests().iter().map(|r| r.fault).collect();
    assert!(faults.iter().all(Option::is_some), "{faults:?}");
    assert_eq!(ll.faults_injected().values().sum::<u64>(), 10);
}

#[tokio::test]
async fn slack_faults_say_ok_false_or_fail_and_post_nothing() {
    let slack = FakeSlack::start().await.unwrap();
    slack.set_faults(Some(
        FaultPlan::new(9, 1.0, &[FaultKind::NotOk, FaultKind::RetryAfter])
            .on("POST", "chat.postMessage")
            .rate_limit_wait(Duration::ZERO),
    ));
    let post = || {
        client()
            .post(format!("{}/chat.postMessage", slack.base_url()))
            .bearer_auth("xoxb-test")
            .json(&json!({"channel": "C1", "text": "hi"}))
            .send()
    };
    for _ in 0..6 {
        let r = post().await.unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["ok"], false);
        assert!(
            (status == 200 && body["error"] == "internal_error")
                || (status == 429 && body["error"] == "ratelimited"),
            "{status} {body}"
        );
    }
    assert!(slack.channel_messages("C1").is_empty());
    let other = client()
        .post(format!("{}/auth.test", slack.base_url()))
        .bearer_auth("xoxb-test")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200, "other methods are left alone");
    slack.set_faults(None);
    let body: Value = post().await.unwrap().json().await.unwrap();
    assert_eq!(body["ok"], true);
}

#[tokio::test]
async fn an_outage_fails_every_call_until_it_ends() {
    let ll = FakeLeadLex::start().await.unwrap();
    let contacts = format!("{}/v1/contacts", ll.base_url());
    let get = || {
        client()
            .get(&contacts)
            .header("Authorization", "Bearer wbk_test")
            .send()
    };
    ll.set_outage(true);
    let first = get().await.unwrap();
    assert_eq!(first.status(), 503);
    assert!(get().await.is_err(), "the second is a reset");
    ll.set_outage(false);
    assert_eq!(get().await.unwrap().status(), 200);
    ll.wait_for("/v1/contacts", 3, DEADLINE).await.unwrap();
    assert_eq!(ll.faults_injected()[&FaultKind::Unavailable], 1);
    assert_eq!(ll.faults_injected()[&FaultKind::Reset], 1);
}
