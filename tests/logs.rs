//! `LOG_FORMAT=json`: every line a job writes names the Slack event it answers and, once LeadLex
//! answered, LeadLex's request id, so one search finds a message's whole story on both sides.
//!
//! A test binary of its own: tracing decides once per log statement, for the whole process,
//! whether anyone listens. With one thread-local subscriber alive, a statement first reached on
//! another test's thread (which has none) is switched off for good, and this test would miss
//! lines depending on which test ran first. Alone in its process, every line reaches it.

#[allow(dead_code)] // the shared bot-under-test helpers; this binary uses a few
#[path = "api/helpers.rs"]
mod helpers;

use helpers::*;
use lexi_slack::sim::Canned;
use serde_json::{Value, json};
use tracing_subscriber::EnvFilter;

/// The job's span on a JSON line, if the line was written inside one.
fn job_span(line: &Value) -> Option<&Value> {
    line["spans"]
        .as_array()?
        .iter()
        .find(|span| span["name"] == "job")
}

// current_thread: every task of the bot runs on this thread, under this test's subscriber.
#[tokio::test(flavor = "current_thread")]
async fn every_line_of_a_job_names_its_event_and_then_leadlex_request_id() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber =
        lexi_slack::telemetry::json_lines(EnvFilter::new("debug"), move || writer.clone());
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = TestApp::spawn().await;
    app.leadlex.enqueue(
        "POST",
        "/v1/lexi/chat",
        Canned::json(
            200,
            json!({"data": {
                "response": "Call Jane first.",
                "requires_approval": false,
                "conversation_id": "conv-logs",
                "credits_remaining": 41
            }}),
        )
        .header("x-request-id", "req-observe-7"),
    );
    let root = "1700000600.000100";
    app.send_event(&mention("Ev0LOGS", root, None, "who do I call?"))
        .await;
    app.bot_replies(CHANNEL, root, 1).await;
    // A clean stop lets the job finish writing before the lines are read.
    app.stop().await;

    let text = logs.text();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let job_lines: Vec<&Value> = lines.iter().filter(|l| job_span(l).is_some()).collect();
    assert!(job_lines.len() >= 3, "the job logged:\n{text}");
    for line in &job_lines {
        let span = job_span(line).unwrap();
        assert_eq!(span["event"], "Ev0LOGS", "{line}");
        assert_eq!(span["kind"], "converse", "{line}");
    }

    // From the client's own line about the call on, every line carries LeadLex's id.
    let answered = job_lines
        .iter()
        .position(|l| l["message"] == "LeadLex call")
        .unwrap_or_else(|| panic!("the LeadLex call was not logged:\n{text}"));
    let after = &job_lines[answered..];
    for line in after {
        assert_eq!(
            job_span(line).unwrap()["leadlex_request_id"],
            "req-observe-7",
            "{line}"
        );
    }
    assert!(
        after.iter().any(|l| l["message"] == "Lexi answered"),
        "{text}"
    );
}
