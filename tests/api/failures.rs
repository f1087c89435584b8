//! LeadLex and Slack failures: retried when that can help, explained in the thread when not.

use crate::helpers::*;
use lexi_slack::sim::Canned;

fn error(status: u16, code: &str) -> Canned {
    Canned::leadlex_error(status, code, "internal detail 42")
        .header("x-request-id", "req-from-leadlex")
}

async fn answer_after(app: &TestApp, root: &str, canned: Vec<Canned>) -> String {
    for c in canned {
        app.leadlex.enqueue("POST", "/v1/lexi/chat", c);
    }
    app.send_event(&mention(
        &format!("Ev{}", root.replace('.', "")),
        root,
        None,
        "who should I call?",
    ))
    .await;
    let replies = app.bot_replies(CHANNEL, root, 1).await;
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert!(
        !replies[0].contains("internal detail"),
        "no internals in Slack: {}",
        replies[0]
    );
    replies[0].clone()
}

#[tokio::test]
async fn each_leadlex_refusal_becomes_one_clear_sentence_in_the_thread() {
    let app = TestApp::spawn().await;
    let cases = [
        (401, "invalid_key", "API key was refused"),
        (403, "insufficient_permissions", "`lexi` permission"),
        (402, "insufficient_credits", "out of Lexi credits"),
        (400, "validation_error", "rephrase"),
        (404, "not_found", "new thread"),
    ];
    for (i, (status, code, expected)) in cases.into_iter().enumerate() {
        let root = format!("17000003{i:02}.000100");
        let shown = answer_after(&app, &root, vec![error(status, code)]).await;
        assert!(
            shown.contains(expected),
            "{status} {code}: Slack shows {shown:?}"
        );
    }
    assert_eq!(
        app.leadlex.count("/v1/lexi/chat"),
        5,
        "refusals are not retried"
    );
}

#[tokio::test]
async fn server_errors_and_timeouts_are_retried_then_answered() {
    let app = TestApp::spawn().await;
    let shown = answer_after(
        &app,
        "1700000400.000100",
        vec![error(503, "unavailable"), Canned::hang()],
    )
    .await;
    assert!(
        shown.contains("Please approve") || shown.contains("Here"),
        "{shown}"
    );
    let calls = app.leadlex.requests_to("/v1/lexi/chat");
    assert_eq!(calls.len(), 3);
    let keys: Vec<_> = calls
        .iter()
        .map(|c| c.header("idempotency-key").map(str::to_owned))
        .collect();
    assert!(
        keys.windows(2).all(|w| w[0] == w[1]),
        "one Idempotency-Key across retries: {keys:?}"
    );
}

#[tokio::test]
async fn a_leadlex_outage_that_outlasts_the_retries_is_reported() {
    let app = TestApp::spawn().await;
    let shown = answer_after(
        &app,
        "1700000410.000100",
        vec![error(500, "boom"), error(502, "boom"), error(500, "boom")],
    )
    .await;
    assert!(shown.contains("isn't answering right now"), "{shown}");
    assert_eq!(
        app.leadlex.count("/v1/lexi/chat"),
        3,
        "bounded: max_attempts"
    );
}

#[tokio::test]
async fn a_rate_limit_is_waited_out_when_it_resets_soon() {
    let app = TestApp::spawn().await;
    let shown = answer_after(
        &app,
        "1700000420.000100",
        vec![error(429, "rate_limited").header("x-ratelimit-reset", "0")],
    )
    .await;
    assert!(!shown.contains("rate limit"), "{shown}");
    assert_eq!(app.leadlex.count("/v1/lexi/chat"), 2);
}

#[tokio::test]
async fn a_rate_limit_that_resets_hours_later_is_reported_with_the_wait() {
    let app = TestApp::spawn().await;
    let reset = (now() + 5 * 3600).to_string();
    let shown = answer_after(
        &app,
        "1700000430.000100",
        vec![error(429, "rate_limited").header("x-ratelimit-reset", &reset)],
    )
    .await;
    assert!(shown.contains("5 hours"), "{shown}");
    assert_eq!(app.leadlex.count("/v1/lexi/chat"), 1);
}

#[tokio::test]
async fn a_garbled_leadlex_answer_is_retried() {
    let app = TestApp::spawn().await;
    let shown = answer_after(
        &app,
        "1700000440.000100",
        vec![Canned::text(200, "{\"data\": {\"respo"), Canned::reset()],
    )
    .await;
    assert!(!shown.contains("isn't answering"), "{shown}");
    assert_eq!(app.leadlex.count("/v1/lexi/chat"), 3);
}

#[tokio::test]
async fn slack_rate_limits_and_outages_are_retried() {
    let app = TestApp::spawn().await;
    app.slack.enqueue(
        "POST",
        "/api/chat.update",
        Canned::slack_error(429, "ratelimited").header("retry-after", "0"),
    );
    app.slack.refuse_next("chat.update", "internal_error");
    let root = "1700000450.000100";
    app.send_event(&mention("Ev1", root, None, "hi there"))
        .await;
    let replies = app.bot_replies(CHANNEL, root, 1).await;
    assert_eq!(replies.len(), 1);
    assert_eq!(
        app.leadlex.count("/v1/lexi/chat"),
        1,
        "Lexi's saved answer is reused, not asked again"
    );
    assert_eq!(app.slack.count("/api/chat.postMessage"), 1);
}

#[tokio::test]
async fn a_surface_that_refuses_markdown_blocks_gets_mrkdwn_sections() {
    let app = TestApp::spawn().await;
    app.slack.refuse_next("chat.update", "invalid_blocks");
    let root = "1700000460.000100";
    app.send_event(&mention("Ev1", root, None, "summarise my pipeline"))
        .await;
    app.bot_replies(CHANNEL, root, 1).await;
    let updates = app.slack.requests_to("/api/chat.update");
    let last = updates.last().expect("an update").json();
    assert_eq!(last["blocks"][0]["type"], "section", "{last}");
}

#[tokio::test]
async fn a_channel_the_bot_cannot_post_in_is_given_up_on_without_retries() {
    let app = TestApp::spawn().await;
    app.slack.refuse_next("chat.postMessage", "not_in_channel");
    app.send_event(&mention("Ev1", "1700000470.000100", None, "hello"))
        .await;
    app.send_event(&mention("Ev2", "1700000471.000100", None, "next"))
        .await;
    app.bot_replies(CHANNEL, "1700000471.000100", 1).await;
    assert_eq!(
        app.leadlex.count("/v1/lexi/chat"),
        1,
        "no LeadLex credit spent where nobody can read the answer"
    );
}

#[tokio::test]
async fn a_stream_that_is_not_an_event_stream_falls_back_to_the_plain_answer() {
    let app = TestApp::spawn_configured(|config| config.streaming = true).await;
    // A thread with a conversation already: its reply's stream names no new one.
    let root = "1700000480.000100";
    app.send_event(&mention("EvStream", root, None, "who is new?"))
        .await;
    app.bot_replies(CHANNEL, root, 1).await;
    // Where Lexi's event stream should be, a 200 with a proxy's error page, a cut-off JSON body,
    // a JSON body that says it failed.
    let bodies = [
        ("text/html", "<html><body>502 Bad Gateway</body></html>"),
        ("application/json", "{\"data\": {\"response\": \"Here is wh"),
        ("application/json", "{\"ok\": false}"),
    ];
    for (i, (content_type, body)) in bodies.into_iter().enumerate() {
        app.leadlex.enqueue(
            "POST",
            "/v1/lexi/chat/stream",
            Canned::text(200, body).header("content-type", content_type),
        );
        let asked = format!("who should I call first, {i}?");
        let ts = format!("1700000480.00020{i}");
        app.send_event(&mention(&format!("EvStream{i}"), &ts, Some(root), &asked))
            .await;
        let replies = app.bot_replies(CHANNEL, root, i + 2).await;
        assert!(
            replies.iter().any(|r| r.contains(&asked)),
            "{content_type}: Lexi's answer, not an empty one: {replies:?}"
        );
    }
    assert_eq!(
        app.leadlex.count("/v1/lexi/chat"),
        3,
        "answered by the plain call"
    );
}
