//! The ack never waits for LeadLex, accepted work survives restarts and crashes, and nothing runs twice.

use crate::helpers::*;

#[tokio::test]
async fn slack_gets_its_ack_while_lexi_is_still_thinking() {
    let app = TestApp::spawn().await;
    // LeadLex answers nothing until released: if the ack waited for it, this would hang.
    let gate = app.leadlex.hold("/v1/lexi/chat");
    app.send_event(&mention("Ev1", "1700000100.000100", None, "find 50 CEOs"))
        .await;
    app.leadlex_calls("/v1/lexi/chat", 1).await;
    assert_eq!(gate.held(), 1, "LeadLex is still working on it");
    gate.release();
    app.bot_replies(CHANNEL, "1700000100.000100", 1).await;
}

#[tokio::test]
async fn the_thread_keeps_its_conversation_across_a_restart() {
    let app = TestApp::spawn().await;
    let root = "1700000110.000100";
    app.send_event(&mention("Ev1", root, None, "who should I call today?"))
        .await;
    app.bot_replies(CHANNEL, root, 1).await;

    let app = app.restart().await;
    app.send_event(&thread_reply(
        "Ev2",
        "1700000111.000100",
        root,
        "and tomorrow?",
    ))
    .await;
    let calls = app.leadlex_calls("/v1/lexi/chat", 2).await;
    let ids = app.leadlex.conversation_ids();
    assert_eq!(ids.len(), 1);
    assert_eq!(calls[1].json()["context"]["conversation_id"], ids[0]);
    app.bot_replies(CHANNEL, root, 2).await;
}

#[tokio::test]
async fn an_event_seen_before_a_restart_is_not_processed_again() {
    let app = TestApp::spawn().await;
    let root = "1700000120.000100";
    let event = mention("EvOnce", root, None, "hello");
    app.send_event(&event).await;
    app.bot_replies(CHANNEL, root, 1).await;

    let app = app.restart().await;
    let response = app
        .post_signed_with(
            "application/json",
            &event.to_string(),
            &[("x-slack-retry-num", "3")],
        )
        .await;
    assert_eq!(response.status(), 200);
    app.send_event(&thread_reply("EvBarrier", "1700000121.000100", root, "ok"))
        .await;
    app.bot_replies(CHANNEL, root, 2).await;
    assert_eq!(app.leadlex.count("/v1/lexi/chat"), 2);
}

#[tokio::test]
async fn a_job_cut_off_by_a_crash_runs_after_the_restart_with_the_same_idempotency_key() {
    let app = TestApp::spawn().await;
    let root = "1700000130.000100";
    let gate = app.leadlex.hold("/v1/lexi/chat");
    app.send_event(&mention(
        "Ev1",
        root,
        None,
        "build a list of GCs in Chicago",
    ))
    .await;
    app.leadlex_calls("/v1/lexi/chat", 1).await;

    // The process dies while LeadLex is still thinking.
    let app = app.crash_and_restart().await;
    gate.release();

    let calls = app.leadlex_calls("/v1/lexi/chat", 2).await;
    assert_eq!(
        calls[0].header("idempotency-key"),
        calls[1].header("idempotency-key"),
        "the repeated call can be recognised by LeadLex"
    );
    let replies = app.bot_replies(CHANNEL, root, 1).await;
    assert_eq!(
        replies.len(),
        1,
        "the first run's placeholder became the one answer: {replies:?}"
    );
    assert_eq!(
        app.slack.count("/api/chat.postMessage"),
        1,
        "no second placeholder"
    );
}
