//! The "working on it" placeholder goes up only when Lexi is slow: a quick answer arrives as
//! one message, a slow one replaces the placeholder in place.

use crate::helpers::*;
use std::time::Duration;

const ROOT: &str = "1690000100.000100";

#[tokio::test]
async fn a_quick_answer_arrives_as_one_message_without_a_placeholder() {
    let app =
        TestApp::spawn_configured(|c| c.tuning.placeholder_after = Duration::from_secs(3600)).await;
    app.send_event(&mention("Ev1", ROOT, None, "find 20 CEOs at law firms"))
        .await;
    let replies = app.bot_replies(CHANNEL, ROOT, 1).await;
    assert_eq!(replies.len(), 1, "{replies:#?}");
    assert!(!replies[0].contains("working on it"));
    assert_eq!(app.slack.count("/api/chat.postMessage"), 1);
    assert_eq!(app.slack.count("/api/chat.update"), 0, "nothing to replace");
}

#[tokio::test]
async fn a_slow_answer_shows_the_placeholder_then_replaces_it() {
    let app =
        TestApp::spawn_configured(|c| c.tuning.placeholder_after = Duration::from_millis(20)).await;
    let gate = app.leadlex.hold("/v1/lexi/chat");
    app.send_event(&mention("Ev1", ROOT, None, "draft a campaign for GCs"))
        .await;
    // Lexi is still thinking: the placeholder is up.
    let posted = app.slack_calls("chat.postMessage", 1).await;
    assert_eq!(
        gate.held(),
        1,
        "Lexi was asked before the placeholder went up"
    );
    assert!(
        posted[0].text().contains("working on it"),
        "{}",
        posted[0].text()
    );

    gate.release();
    app.slack_calls("chat.update", 1).await;
    let replies = app.bot_replies(CHANNEL, ROOT, 1).await;
    assert_eq!(
        replies.len(),
        1,
        "the placeholder became the answer: {replies:#?}"
    );
    assert_eq!(app.slack.count("/api/chat.postMessage"), 1);
}
