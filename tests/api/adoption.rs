//! The crash windows around a post: Slack made the message, the bot never learnt its ts. The
//! re-run reads the thread back, adopts its own (tagged) message, and the thread ends with one
//! answer: no stale "working on it", no second copy, no partial stream above the answer.

use crate::helpers::*;
use crate::streaming::{event, streaming_app};
use lexi_slack::sim::{Canned, Message};
use serde_json::json;
use std::time::Duration;

/// Older than every ts the simulated Slack hands out, as a user's message is older than the
/// bot's replies to it (the bot reads the thread back from the user's message on).
const ROOT: &str = "1690000000.000100";
const OTHER_ROOT: &str = "1690000000.000200";

fn bot_messages(app: &TestApp, root: &str) -> Vec<Message> {
    app.slack.bot_messages(CHANNEL, root)
}

fn tag_of(message: &Message) -> (String, String) {
    let meta = message.metadata.clone().unwrap_or_default();
    assert_eq!(meta["event_type"], "lexi_reply", "tagged: {message:?}");
    (
        meta["event_payload"]["job"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        meta["event_payload"]["role"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

#[tokio::test]
async fn a_crash_after_the_placeholder_went_up_leaves_no_stale_placeholder() {
    let app = TestApp::spawn().await;
    // Slack makes the placeholder, and the bot dies before it hears back.
    app.slack
        .enqueue("POST", "/api/chat.postMessage", Canned::hang_after_doing());
    app.send_event(&mention(
        "Ev1",
        ROOT,
        None,
        "find 20 CEOs at law firms in New York",
    ))
    .await;
    app.slack_calls("chat.postMessage", 1).await;
    assert_eq!(bot_messages(&app, ROOT).len(), 1, "the placeholder is up");

    let app = app.crash_and_restart().await;
    let replies = app.bot_replies(CHANNEL, ROOT, 1).await;
    assert_eq!(
        replies.len(),
        1,
        "one message, now the answer: {replies:#?}"
    );
    assert!(!replies[0].contains("working on it"), "{}", replies[0]);
    app.slack_calls("conversations.replies", 1).await;
    assert_eq!(
        app.slack.count("/api/chat.postMessage"),
        1,
        "the re-run adopted the placeholder instead of posting another"
    );
    let (_, role) = tag_of(&bot_messages(&app, ROOT)[0]);
    assert_eq!(role, "0");
}

#[tokio::test]
async fn a_post_whose_answer_was_lost_is_not_posted_twice() {
    // A quick answer goes out as one message (no placeholder), and Slack's answer is lost.
    let app =
        TestApp::spawn_configured(|c| c.tuning.placeholder_after = Duration::from_secs(3600)).await;
    app.slack
        .enqueue("POST", "/api/chat.postMessage", Canned::lose_answer());
    app.send_event(&mention("Ev1", ROOT, None, "who should I call today?"))
        .await;

    app.slack_calls("chat.update", 1).await;
    let replies = app.bot_replies(CHANNEL, ROOT, 1).await;
    assert_eq!(replies.len(), 1, "{replies:#?}");
    assert_eq!(app.slack.count("/api/chat.postMessage"), 1);
    assert_eq!(
        app.leadlex.count("/v1/lexi/chat"),
        1,
        "the answer was saved before the post; Lexi is not asked again"
    );
}

#[tokio::test]
async fn a_resumed_job_leaves_other_jobs_messages_alone() {
    let app = TestApp::spawn().await;
    app.send_event(&mention("Ev1", ROOT, None, "find CEOs at law firms"))
        .await;
    let first = app.bot_replies(CHANNEL, ROOT, 1).await;

    // The thread's next message is cut off right after its placeholder went up.
    app.slack
        .enqueue("POST", "/api/chat.postMessage", Canned::hang_after_doing());
    app.send_event(&thread_reply(
        "Ev2",
        "1690000000.000300",
        ROOT,
        "only in Brooklyn",
    ))
    .await;
    app.slack_calls("chat.postMessage", 2).await;
    let app = app.crash_and_restart().await;

    let replies = app.bot_replies(CHANNEL, ROOT, 2).await;
    assert_eq!(replies.len(), 2, "{replies:#?}");
    assert_eq!(replies[0], first[0], "the first answer is untouched");
    let tags: Vec<_> = bot_messages(&app, ROOT).iter().map(tag_of).collect();
    assert_ne!(tags[0].0, tags[1].0, "each message names its own job");
}

fn streamed_answer(text: &str) -> Vec<Vec<u8>> {
    let mut chunks = vec![event(
        "text",
        json!({"delta": text, "conversation_id": "5f0c6a52-7a1e-4c1b-9d7e-1f6f3b2a9c11"}),
    )];
    chunks.push(event("done", json!({"credits_remaining": 40})));
    chunks.push(b"data: [DONE]\n\n".to_vec());
    chunks
}

#[tokio::test]
async fn a_crash_right_after_a_stream_started_leaves_a_note_and_one_complete_answer() {
    let app = streaming_app().await;
    // The second copy is LeadLex replaying the answer for the same Idempotency-Key.
    app.leadlex
        .enqueue_stream(streamed_answer("Here are 20 CEOs at New York law firms."));
    app.leadlex
        .enqueue_stream(streamed_answer("Here are 20 CEOs at New York law firms."));
    app.slack
        .enqueue("POST", "/api/chat.startStream", Canned::hang_after_doing());
    app.send_event(&mention("Ev1", ROOT, None, "find CEOs at law firms"))
        .await;
    app.slack_calls("chat.startStream", 1).await;

    let app = app.crash_and_restart().await;
    app.slack_calls("chat.stopStream", 2).await;
    let replies = app.bot_replies(CHANNEL, ROOT, 2).await;
    assert_eq!(replies.len(), 2, "{replies:#?}");
    assert!(replies[0].contains("interrupted"), "{}", replies[0]);
    assert!(
        !replies[0].contains("Here are"),
        "no partial text: {}",
        replies[0]
    );
    assert!(replies[1].contains("Here are 20 CEOs"), "{}", replies[1]);
    let messages = bot_messages(&app, ROOT);
    assert!(messages.iter().all(|m| !m.streaming), "{messages:#?}");
    assert_eq!(tag_of(&messages[0]).1, "interrupted");
    assert_eq!(tag_of(&messages[1]).1, "0");
}

#[tokio::test]
async fn a_crash_right_after_a_stream_stopped_is_not_answered_again() {
    let app = streaming_app().await;
    app.leadlex
        .enqueue_stream(streamed_answer("Three firms fit: Acme, Birch and Cole."));
    app.slack
        .enqueue("POST", "/api/chat.stopStream", Canned::hang_after_doing());
    app.send_event(&mention("Ev1", ROOT, None, "which firms fit?"))
        .await;
    app.slack_calls("chat.stopStream", 1).await;

    let app = app.crash_and_restart().await;
    // A later message in another thread is answered: the resumed job has run by then (lanes
    // run side by side, and the resumed job was queued first).
    app.leadlex
        .enqueue_stream(streamed_answer("Birch has the most partners."));
    app.send_event(&mention("Ev2", OTHER_ROOT, None, "which is biggest?"))
        .await;
    app.bot_replies(CHANNEL, OTHER_ROOT, 1).await;
    app.slack_calls("conversations.replies", 1).await;
    no_jobs_left_within(&app, DEADLINE).await;

    let replies = app.bot_replies(CHANNEL, ROOT, 1).await;
    assert_eq!(replies.len(), 1, "{replies:#?}");
    assert!(
        replies[0].contains("Acme, Birch and Cole"),
        "{}",
        replies[0]
    );
    assert_eq!(
        app.slack.count("/api/chat.startStream"),
        2,
        "one stream per thread, none repeated"
    );
}
