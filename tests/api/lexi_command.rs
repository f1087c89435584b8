//! `/lexi context`, `status`, `new` and help: what operators and sales reps type to steer Lexi.

use crate::helpers::*;
use serde_json::Value;

const LIST: &str = "3f2b8c1e-5d4a-4e8b-9c7d-1a2b3c4d5e6f";
const CAMPAIGN: &str = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";

async fn lexi(app: &TestApp, text: &str) -> String {
    let response = app
        .slash_command_as(REP, CHANNEL, "/lexi", text, &app.slack.response_url("cmd"))
        .await;
    assert_eq!(response.status(), 200, "/lexi {text} is acknowledged");
    let ack: Value = response.json().await.expect("JSON");
    assert_eq!(ack["response_type"], "ephemeral");
    ack["text"].as_str().expect("text").to_owned()
}

#[tokio::test]
async fn a_channel_bound_to_a_list_or_campaign_sends_it_with_every_lexi_message() {
    let app = TestApp::spawn().await;
    let said = lexi(&app, &format!("context list {LIST}")).await;
    assert!(said.contains(LIST), "{said}");
    app.send_event(&mention("Ev1", "1700000001.000100", None, "who is on it?"))
        .await;
    let calls = app.leadlex_calls("/v1/lexi/chat", 1).await;
    assert_eq!(calls[0].json()["context"]["list_id"], LIST);
    assert!(calls[0].json()["context"].get("campaign_id").is_none());

    lexi(&app, &format!("context campaign {CAMPAIGN}")).await;
    assert!(lexi(&app, "context").await.contains(CAMPAIGN));
    app.send_event(&mention(
        "Ev2",
        "1700000002.000100",
        None,
        "how is it going?",
    ))
    .await;
    let calls = app.leadlex_calls("/v1/lexi/chat", 2).await;
    assert_eq!(calls[1].json()["context"]["campaign_id"], CAMPAIGN);
    assert!(calls[1].json()["context"].get("list_id").is_none());

    let cleared = lexi(&app, "context clear").await;
    assert!(cleared.contains("isn't bound"), "{cleared}");
    app.send_event(&mention("Ev3", "1700000003.000100", None, "hello"))
        .await;
    let calls = app.leadlex_calls("/v1/lexi/chat", 3).await;
    assert!(
        calls[2].json().get("context").is_none(),
        "{}",
        calls[2].text()
    );
}

#[tokio::test]
async fn a_context_id_that_is_not_a_uuid_is_refused_and_nothing_is_bound() {
    let app = TestApp::spawn().await;
    let said = lexi(&app, "context list my-best-leads").await;
    assert!(said.contains("isn't a LeadLex id"), "{said}");
    assert!(lexi(&app, "context").await.contains("isn't bound"));
}

#[tokio::test]
async fn status_shows_the_credits_and_rate_limit_last_seen_the_queue_and_the_version() {
    let app = TestApp::spawn().await;
    let before = lexi(&app, "status").await;
    assert!(
        before.contains("credits remaining: not seen yet"),
        "{before}"
    );

    app.leadlex.set_rate_limit(100, 50);
    app.send_event(&mention("Ev1", "1700000001.000100", None, "hello"))
        .await;
    app.bot_replies(CHANNEL, "1700000001.000100", 1).await;
    let credits = app.leadlex.credits();
    let after = lexi(&app, "status").await;
    assert!(
        after.contains(&format!("credits remaining: {credits} (last seen)")),
        "{after}"
    );
    assert!(
        after.contains("rate limit remaining: 49 (last seen)"),
        "{after}"
    );
    assert!(after.contains("Jobs waiting or running: "), "{after}");
    assert!(after.contains(env!("CARGO_PKG_VERSION")), "{after}");
}

#[tokio::test]
async fn lexi_new_in_a_thread_starts_a_fresh_conversation_there() {
    let app = TestApp::spawn().await;
    let root = "1700000001.000100";
    app.send_event(&mention("Ev1", root, None, "hello")).await;
    app.bot_replies(CHANNEL, root, 1).await;
    app.send_event(&mention("Ev2", "1700000002.000100", Some(root), "new"))
        .await;
    let replies = app.bot_replies(CHANNEL, root, 2).await;
    assert!(replies[1].contains("Starting over"), "{replies:?}");
    app.send_event(&thread_reply(
        "Ev3",
        "1700000003.000100",
        root,
        "hello again",
    ))
    .await;
    let calls = app.leadlex_calls("/v1/lexi/chat", 2).await;
    assert!(
        calls[1].json().get("context").is_none(),
        "no conversation id: {}",
        calls[1].text()
    );
    let slash = lexi(&app, "new").await;
    assert!(slash.contains("@Lexi new"), "{slash}");
}

#[tokio::test]
async fn unknown_subcommands_get_the_help_text() {
    let app = TestApp::spawn().await;
    let help = lexi(&app, "frobnicate").await;
    for subcommand in ["tasks", "context list", "status", "new"] {
        assert!(help.contains(&format!("/lexi {subcommand}")), "{help}");
    }
}
