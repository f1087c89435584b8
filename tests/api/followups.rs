//! `/followups`: parsed at the edge, acknowledged at once, resolved and answered by the worker.

use crate::helpers::*;
use lexi_slack::sim::{JANE_DOE_ID, MARCUS_LEE_ID};
use serde_json::{Value, json};

pub(crate) const SUGGEST: &str = "/v1/ai/suggest-followups";

/// What the rep sees right after typing the command, and where the result will show.
pub(crate) struct Ack {
    pub text: String,
    pub ts: String,
}

/// Stands for the command's ack in the fake Slack until the worker replaces it.
pub(crate) const ACK_SHOWN: &str = "(the command's ack)";

/// Runs `/followups text` with the response URL `name`. Slack shows the ack as an ephemeral
/// message, which the result replaces; it is put in place first, so a fast worker can't answer
/// before the fake knows what its response URL belongs to.
pub(crate) async fn followups(app: &TestApp, name: &str, text: &str) -> Ack {
    let ts = app.show_ephemeral(name, ACK_SHOWN).await;
    let url = app.slack.response_url(name);
    let response = app
        .slash_command("/followups", text, &url, &format!("trigger-{name}"))
        .await;
    assert_eq!(response.status(), 200, "Slack gets its answer");
    let body: Value = response.json().await.expect("a JSON answer");
    assert_eq!(body["response_type"], "ephemeral", "{body}");
    let text = body["text"].as_str().expect("text").to_owned();
    Ack { text, ts }
}

/// What the rep sees in place of the ack once the worker is done with it.
pub(crate) async fn result_of(app: &TestApp, ack: &Ack) -> String {
    app.message_until(CHANNEL, &ack.ts, |shown| {
        !shown.contains(ACK_SHOWN)
            && !shown.contains("Looking at recent activity")
            && !shown.contains("keeps trying")
    })
    .await
}

#[tokio::test]
async fn the_ack_is_immediate_while_leadlex_is_slow() {
    let app = TestApp::spawn().await;
    let slow = app.leadlex.hold(SUGGEST);
    let started = std::time::Instant::now();
    let ack = followups(&app, "slow", "jane@acme.law").await;
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    assert_eq!(ack.text, "Looking at recent activity with jane@acme.law…");

    app.leadlex_calls(SUGGEST, 1).await;
    assert_eq!(slow.held(), 1, "LeadLex is still thinking");
    let showing = app.slack.message(CHANNEL, &ack.ts).expect("the ack shows");
    assert_eq!(
        showing.edits, 0,
        "the placeholder stays until the result is in"
    );

    slow.release();
    let shown = result_of(&app, &ack).await;
    assert!(shown.contains("# Follow-ups for Jane Doe"), "{shown}");
}

#[tokio::test]
async fn a_contact_id_is_sent_as_is_with_the_default_options() {
    let app = TestApp::spawn().await;
    let ack = followups(&app, "by-id", JANE_DOE_ID).await;
    let calls = app.leadlex_calls(SUGGEST, 1).await;
    assert_eq!(
        calls[0].json(),
        json!({"contact_id": JANE_DOE_ID, "count": 3, "lookback_days": 60})
    );
    let key = calls[0]
        .header("idempotency-key")
        .expect("an Idempotency-Key");
    assert!(uuid::Uuid::try_parse(key).is_ok(), "a UUID: {key}");
    assert_eq!(
        app.leadlex.count("/v1/contacts"),
        0,
        "an id needs no search"
    );
    result_of(&app, &ack).await;
}

#[tokio::test]
async fn every_option_reaches_leadlex_as_typed() {
    let app = TestApp::spawn().await;
    let ack = followups(
        &app,
        "options",
        &format!("{JANE_DOE_ID} --count 5 --days 14 --channels email,call"),
    )
    .await;
    let calls = app.leadlex_calls(SUGGEST, 1).await;
    assert_eq!(
        calls[0].json(),
        json!({"contact_id": JANE_DOE_ID, "count": 5, "lookback_days": 14,
               "channels": ["email", "call"]})
    );
    let shown = result_of(&app, &ack).await;
    assert_eq!(
        shown.matches(":email:").count() + shown.matches(":telephone_receiver:").count(),
        5
    );
    assert!(
        !shown.contains(":calendar:"),
        "only the channels asked for: {shown}"
    );
}

#[tokio::test]
async fn an_email_as_slack_escapes_it_resolves_to_its_contact() {
    let app = TestApp::spawn().await;
    let ack = followups(
        &app,
        "email",
        "<mailto:JANE@acme.law|JANE@acme.law> --count 2",
    )
    .await;
    assert_eq!(ack.text, "Looking at recent activity with JANE@acme.law…");
    let searches = app.leadlex_calls("/v1/contacts", 1).await;
    assert_eq!(
        searches[0].query_param("search").as_deref(),
        Some("JANE@acme.law")
    );
    let calls = app.leadlex_calls(SUGGEST, 1).await;
    assert_eq!(calls[0].json()["contact_id"], JANE_DOE_ID);
    assert_eq!(calls[0].json()["count"], 2);
    result_of(&app, &ack).await;
}

#[tokio::test]
async fn a_quoted_name_with_stray_spaces_and_one_match_is_used() {
    let app = TestApp::spawn().await;
    let ack = followups(&app, "name", "“Marcus   Lee” ").await;
    let calls = app.leadlex_calls(SUGGEST, 1).await;
    assert_eq!(calls[0].json()["contact_id"], MARCUS_LEE_ID);
    let shown = result_of(&app, &ack).await;
    assert!(shown.contains("# Follow-ups for Marcus Lee"), "{shown}");
    assert!(
        shown.contains("Northwind Logistics · marcus.lee@northwind.io"),
        "{shown}"
    );
}

#[tokio::test]
async fn a_name_that_matches_no_contact_says_so_and_spends_nothing() {
    let app = TestApp::spawn().await;
    let ack = followups(&app, "nobody", "Nobody Here").await;
    let shown = result_of(&app, &ack).await;
    assert!(
        shown.contains("No LeadLex contact matches “Nobody Here”"),
        "{shown}"
    );
    assert_eq!(app.leadlex.count(SUGGEST), 0);
}

#[tokio::test]
async fn the_result_replaces_the_placeholder_and_only_the_requester_sees_it() {
    let app = TestApp::spawn().await;
    let ack = followups(&app, "render", "jane@acme.law --count 2").await;
    let shown = result_of(&app, &ack).await;
    let mine = app.slack.ephemerals_for(REP);
    assert_eq!(mine.len(), 1, "one message for the rep: the ack, replaced");
    assert_eq!(mine[0].edits, 1);
    assert!(
        app.slack.channel_messages(CHANNEL).is_empty(),
        "nobody else sees anything"
    );
    insta::assert_snapshot!(shown);
}

#[tokio::test]
async fn help_and_an_empty_command_show_how_to_use_it() {
    let app = TestApp::spawn().await;
    for text in ["", "help", "  --help "] {
        let response = app
            .slash_command("/followups", text, &app.slack.response_url("h"), "t")
            .await;
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["response_type"], "ephemeral");
        let shown = body["text"].as_str().unwrap();
        assert!(
            shown.starts_with("*Usage:* `/followups &lt;contact&gt;"),
            "{shown}"
        );
        assert!(
            !shown.contains(":warning:"),
            "help is not an error: {shown}"
        );
    }
    assert!(app.leadlex.requests().is_empty());
}

#[tokio::test]
async fn invalid_input_is_explained_and_never_reaches_leadlex() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            "jane@acme.law --count 11",
            "`--count` takes a whole number from 1 to 10, not `11`",
        ),
        (
            "jane@acme.law --days 0",
            "`--days` takes a whole number from 1 to 365, not `0`",
        ),
        ("jane@acme.law --channels fax", "`fax` isn't a channel"),
        ("jane@acme.law --colour red", "`--colour` isn't an option"),
        ("--count 3", "Tell me which contact"),
        (
            "\"Jane Doe --count 3",
            "The quote before `Jane Doe --count 3` is never closed",
        ),
        (
            "jane@ --count 3",
            "`jane@` doesn't look like an e-mail address",
        ),
        ("<@U0SOMEONE|sam> --count 3", "That's a Slack user"),
    ];
    for (i, (text, expected)) in cases.iter().enumerate() {
        let response = app
            .slash_command(
                "/followups",
                text,
                &app.slack.response_url("bad"),
                &format!("t{i}"),
            )
            .await;
        assert_eq!(response.status(), 200, "{text}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["response_type"], "ephemeral");
        let shown = body["text"].as_str().unwrap();
        assert!(shown.starts_with(":warning: "), "{text}: {shown}");
        assert!(shown.contains(expected), "{text}: {shown}");
        assert!(shown.contains("*Usage:*"), "{text}: {shown}");
    }
    // A valid command afterwards is the barrier: the worker has run everything queued before it.
    let ack = followups(&app, "barrier", MARCUS_LEE_ID).await;
    result_of(&app, &ack).await;
    let asked: Vec<String> = app
        .leadlex
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        asked,
        [
            format!("GET /v1/contacts/{MARCUS_LEE_ID}"),
            format!("POST {SUGGEST}")
        ],
        "only the valid command reached LeadLex"
    );
}

#[tokio::test]
async fn a_response_url_that_is_not_slacks_is_refused() {
    let app = TestApp::spawn().await;
    for forged in [
        "https://evil.example/hook",
        "http://169.254.169.254/latest/meta-data",
    ] {
        let response = app
            .slash_command("/followups", JANE_DOE_ID, forged, "t-forged")
            .await;
        assert_eq!(response.status(), 400, "{forged}");
    }
    let ack = followups(&app, "barrier", MARCUS_LEE_ID).await;
    result_of(&app, &ack).await;
    assert_eq!(app.leadlex.count(SUGGEST), 1, "only the barrier ran");
}
