//! `lexi-slack check` against the simulators: what works is confirmed, what doesn't is one line.

use crate::helpers::*;
use lexi_slack::sim::{Canned, FakeLeadLex, FakeSlack};

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
        Canned::slack_error(200, "invalid_auth"),
    );
    leadlex.enqueue(
        "GET",
        "/v1/lexi/tasks",
        Canned::leadlex_error(403, "insufficient_permissions", "no"),
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

#[tokio::test]
async fn a_working_key_is_checked_for_followups_without_spending_credits() {
    let slack = FakeSlack::start().await.unwrap();
    let leadlex = FakeLeadLex::start().await.unwrap();
    let credits = leadlex.credits();
    let dir = tempfile::tempdir().unwrap();
    let findings = lexi_slack::check::run(&test_config(&slack, &leadlex, &dir)).await;

    let search = findings
        .iter()
        .find(|f| f.line.contains("/followups can search contacts"))
        .unwrap_or_else(|| panic!("no contact search finding: {findings:#?}"));
    assert!(search.ok && search.line.contains("`read`"), "{search:?}");
    let calls = leadlex.requests_to("/v1/contacts");
    assert_eq!(calls.len(), 1, "one search");
    assert_eq!(calls[0].query_param("per_page").as_deref(), Some("1"));

    // LeadLex cannot tell `write:ai` for free: the check says so instead of guessing.
    let write_ai = findings
        .iter()
        .find(|f| f.line.contains("`write:ai`"))
        .unwrap_or_else(|| panic!("no write:ai finding: {findings:#?}"));
    assert!(write_ai.line.contains("not checked"), "{write_ai:?}");
    assert_eq!(leadlex.credits(), credits, "the check spent credits");
    assert_eq!(leadlex.count("/v1/ai/suggest-followups"), 0, "no paid call");
}

#[tokio::test]
async fn a_key_without_read_is_one_line_about_followups() {
    let slack = FakeSlack::start().await.unwrap();
    let leadlex = FakeLeadLex::start().await.unwrap();
    leadlex.enqueue(
        "GET",
        "/v1/contacts",
        Canned::leadlex_error(403, "insufficient_permissions", "Missing read"),
    );
    let dir = tempfile::tempdir().unwrap();
    let findings = lexi_slack::check::run(&test_config(&slack, &leadlex, &dir)).await;
    let problems: Vec<_> = findings.iter().filter(|f| !f.ok).collect();
    assert_eq!(problems.len(), 1, "{findings:#?}");
    assert!(
        problems[0].line.contains("`read` permission") && problems[0].line.contains("/followups"),
        "{problems:#?}"
    );
    assert!(
        findings
            .iter()
            .any(|f| f.ok && f.line.contains("`lexi` permission")),
        "Lexi itself still works: {findings:#?}"
    );
}

#[tokio::test]
async fn a_refused_key_is_one_line_not_one_per_permission() {
    let slack = FakeSlack::start().await.unwrap();
    let leadlex = FakeLeadLex::start().await.unwrap();
    leadlex.enqueue(
        "GET",
        "/v1/lexi/tasks",
        Canned::leadlex_error(401, "invalid_key", "Invalid or missing API key"),
    );
    let dir = tempfile::tempdir().unwrap();
    let findings = lexi_slack::check::run(&test_config(&slack, &leadlex, &dir)).await;
    let leadlex_lines: Vec<_> = findings
        .iter()
        .filter(|f| f.line.starts_with("LeadLex"))
        .collect();
    assert_eq!(leadlex_lines.len(), 1, "{findings:#?}");
    assert!(!leadlex_lines[0].ok && leadlex_lines[0].line.contains("refused"));
}
