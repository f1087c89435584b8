//! `/followups` when LeadLex or Slack fail: each refusal explained, outages retried within the
//! response URL's life, nothing charged twice, not even across a crash.

use crate::followups::{ACK_SHOWN, SUGGEST, followups, result_of};
use crate::helpers::*;
use lexi_slack::sim::{Canned, JANE_DOE_ID, render_text};

fn error(status: u16, code: &str) -> Canned {
    Canned::leadlex_error(status, code, "internal detail 42")
}

#[tokio::test]
async fn each_leadlex_refusal_becomes_its_own_sentence() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            400,
            "validation_error",
            "That doesn't look like a contact id",
        ),
        (
            402,
            "insufficient_credits",
            "out of AI credits (follow-up suggestions cost 2 credits)",
        ),
        (
            403,
            "insufficient_permissions",
            "lacks the `write:ai` permission",
        ),
        (
            404,
            "not_found",
            "Contact not found in this LeadLex workspace",
        ),
        (401, "invalid_key", "API key was refused"),
    ];
    for (i, (status, code, expected)) in cases.into_iter().enumerate() {
        app.leadlex.enqueue("POST", SUGGEST, error(status, code));
        let ack = followups(&app, &format!("err{i}"), JANE_DOE_ID).await;
        let shown = result_of(&app, &ack).await;
        assert!(shown.contains(expected), "{status}: Slack shows {shown:?}");
        assert!(!shown.contains("internal detail"), "no internals: {shown}");
    }
    assert_eq!(
        app.leadlex.count(SUGGEST),
        cases.len(),
        "refusals are not retried"
    );
}

#[tokio::test]
async fn an_unknown_contact_id_is_reported_without_spending_credits() {
    let app = TestApp::spawn().await;
    let unknown = "00000000-0000-4000-8000-000000000000";
    let ack = followups(&app, "unknown", unknown).await;
    let shown = result_of(&app, &ack).await;
    assert!(
        shown.contains("Contact not found in this LeadLex workspace"),
        "{shown}"
    );
    assert_eq!(app.leadlex.count(SUGGEST), 0);
}

#[tokio::test]
async fn timeouts_rate_limits_and_outages_are_retried_with_the_same_idempotency_key() {
    let app = TestApp::spawn().await;
    app.leadlex.enqueue("POST", SUGGEST, Canned::hang());
    app.leadlex.enqueue(
        "POST",
        SUGGEST,
        error(429, "rate_limited").header("retry-after", "0"),
    );
    let ack = followups(&app, "retry", JANE_DOE_ID).await;
    let shown = result_of(&app, &ack).await;
    assert!(shown.contains("# Follow-ups for Jane Doe"), "{shown}");
    let calls = app.leadlex.requests_to(SUGGEST);
    assert_eq!(calls.len(), 3);
    let keys: Vec<_> = calls.iter().map(|c| c.header("idempotency-key")).collect();
    assert!(
        keys[0].is_some() && keys.windows(2).all(|w| w[0] == w[1]),
        "{keys:?}"
    );
    assert_eq!(app.leadlex.credits(), 5000 - 2, "charged once");
}

#[tokio::test]
async fn an_outage_that_outlasts_the_retries_is_reported() {
    let app = TestApp::spawn().await;
    for _ in 0..3 {
        app.leadlex
            .enqueue("POST", SUGGEST, error(503, "unavailable"));
    }
    let ack = followups(&app, "outage", JANE_DOE_ID).await;
    let shown = result_of(&app, &ack).await;
    assert!(
        shown.contains("LeadLex isn't answering right now"),
        "{shown}"
    );
    assert_eq!(app.leadlex.count(SUGGEST), 3, "bounded by max_attempts");
}

#[tokio::test]
async fn a_result_with_nothing_to_replace_is_shown_as_a_new_ephemeral_message() {
    let app = TestApp::spawn().await;
    let url = app.slack.response_url("unbound");
    app.slack.bind_response_url_channel("unbound", CHANNEL);
    app.slack.bind_response_url_user("unbound", REP);
    let response = app
        .slash_command("/followups", JANE_DOE_ID, &url, "t")
        .await;
    assert_eq!(response.status(), 200);
    let posts = app
        .slack
        .wait_for("/response/unbound", 2, DEADLINE)
        .await
        .unwrap();
    assert_eq!(posts[0].json()["replace_original"], true);
    assert_eq!(posts[1].json()["replace_original"], false);
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let mine = loop {
        let seen = app.slack.answers();
        let mine = app.slack.ephemerals_for(REP);
        if !mine.is_empty() || tokio::time::Instant::now() > deadline {
            break mine;
        }
        app.slack.answered_beyond(seen, DEADLINE).await;
    };
    assert!(render_text(&mine[0]).contains("# Follow-ups for Jane Doe"));
}

#[tokio::test]
async fn a_command_cut_off_after_leadlex_answered_is_not_charged_again() {
    let app = TestApp::spawn().await;
    let stuck = app.slack.hold("/response/crash");
    let ack = followups(&app, "crash", JANE_DOE_ID).await;
    // LeadLex has answered and the result is on its way to Slack when the bot dies.
    app.slack
        .wait_for("/response/crash", 1, DEADLINE)
        .await
        .unwrap();
    let app = app.crash_and_restart().await;
    stuck.release();
    app.slack
        .wait_for("/response/crash", 2, DEADLINE)
        .await
        .expect("the restarted bot shows the result again");
    let shown = result_of(&app, &ack).await;
    assert!(shown.contains("# Follow-ups for Jane Doe"), "{shown}");
    assert!(!shown.contains(ACK_SHOWN));
    assert_eq!(app.leadlex.count(SUGGEST), 1, "the saved answer is reused");
    assert_eq!(app.leadlex.credits(), 5000 - 2, "charged once");
}
