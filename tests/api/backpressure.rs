//! A full queue: Slack is asked to retry (503) instead of the queue growing, and the retry is
//! taken once there is room.

use crate::helpers::*;
use std::time::Duration;

/// Two runnable jobs fill the queue; a request waits 100 ms for room before its 503.
fn two_jobs_at_most(config: &mut lexi_slack::config::Config) {
    config.tuning.min_queued_jobs = 2;
    config.tuning.queue_drain_target = Duration::ZERO;
    config.tuning.admission_wait = Duration::from_millis(100);
}

#[tokio::test]
async fn a_full_queue_asks_slack_to_retry_and_the_retry_is_answered_once() {
    let app = TestApp::spawn_configured(two_jobs_at_most).await;
    let gate = app.leadlex.hold("/v1/lexi/chat");
    app.send_event(&mention("EvFull1", "1700009001.000100", None, "first"))
        .await;
    app.send_event(&mention("EvFull2", "1700009002.000100", None, "second"))
        .await;
    app.leadlex_calls("/v1/lexi/chat", 2).await;

    let third = mention("EvFull3", "1700009003.000100", None, "third");
    let refused = app
        .post_signed("application/json", &third.to_string())
        .await;
    assert_eq!(refused.status(), 503, "Slack is asked to retry later");

    gate.release();
    app.bot_replies(CHANNEL, "1700009001.000100", 1).await;
    app.bot_replies(CHANNEL, "1700009002.000100", 1).await;
    let retried = app
        .post_signed_with(
            "application/json",
            &third.to_string(),
            &[
                ("x-slack-retry-num", "1"),
                ("x-slack-retry-reason", "http_error"),
            ],
        )
        .await;
    assert_eq!(retried.status(), 200, "the retry finds room");
    let replies = app.bot_replies(CHANNEL, "1700009003.000100", 1).await;
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert_eq!(
        app.leadlex.count("/v1/lexi/chat"),
        3,
        "the refused delivery never reached LeadLex"
    );
}

#[tokio::test]
async fn a_refused_request_leaves_nothing_behind_that_would_dedupe_its_retry() {
    let app = TestApp::spawn_configured(two_jobs_at_most).await;
    let gate = app.leadlex.hold("/v1/lexi/chat");
    app.send_event(&mention("EvHeld1", "1700009101.000100", None, "first"))
        .await;
    app.send_event(&mention("EvHeld2", "1700009102.000100", None, "second"))
        .await;
    app.leadlex_calls("/v1/lexi/chat", 2).await;
    // The same message refused twice (Slack's first delivery and its immediate retry).
    let third = mention("EvHeld3", "1700009103.000100", None, "third").to_string();
    for _ in 0..2 {
        let refused = app.post_signed("application/json", &third).await;
        assert_eq!(refused.status(), 503);
    }
    drop(gate);
    app.bot_replies(CHANNEL, "1700009102.000100", 1).await;
    app.send_event(&serde_json::from_str(&third).unwrap()).await;
    app.bot_replies(CHANNEL, "1700009103.000100", 1).await;
}
