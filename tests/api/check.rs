//! `lexi-slack check` against the simulators: what works is confirmed, what doesn't is one line.

use crate::helpers::*;
use lexi_slack::sim::{Canned, FakeLeadLex, FakeSlack};
use serde_json::json;

#[tokio::test]
async fn a_working_setup_passes_every_check() {
    let slack = FakeSlack::start().await.unwrap();
    let leadlex = FakeLeadLex::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let findings = lexi_slack::check::run(&test_config(&slack, &leadlex, &dir)).await;
    assert!(findings.iter().all(|f| f.ok), "{findings:#?}");
    let text: Vec<_> = findings.iter().map(|f| f.line.as_str()).collect();
    assert!(
        text.iter().any(|l| l.contains("U0LEXI")),
        "shows the bot user: {text:#?}"
    );
    assert!(
        text.iter().any(|l| l.contains("/slack/events")),
        "shows the request URL"
    );
}

#[tokio::test]
async fn each_broken_connection_is_one_clear_line() {
    let slack = FakeSlack::start().await.unwrap();
    let leadlex = FakeLeadLex::start().await.unwrap();
    slack.enqueue(
        "*",
        "/api/auth.test",
        Canned::json(200, json!({"ok": false, "error": "invalid_auth"})),
    );
    leadlex.enqueue(
        "GET",
        "/v1/lexi/tasks",
        Canned::json(
            403,
            json!({"error": {"code": "insufficient_permissions", "message": "no"}}),
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let findings = lexi_slack::check::run(&test_config(&slack, &leadlex, &dir)).await;
    let problems: Vec<_> = findings
        .iter()
        .filter(|f| !f.ok)
        .map(|f| f.line.clone())
        .collect();
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(problems[0].contains("SLACK_BOT_TOKEN"), "{problems:#?}");
    assert!(problems[1].contains("`lexi` permission"), "{problems:#?}");
}
