//! Secrets never reach the logs: a full run, errors included, logged at the most verbose level.
//!
//! A test binary of its own, as `tests/logs.rs` is: tracing decides once per log statement, for
//! the whole process, whether anyone listens, so in the shared API binary a statement first
//! reached on another test's thread would be switched off for good and this test would check
//! fewer lines than it says. Alone in its process, every line reaches it.

#[allow(dead_code)] // the shared bot-under-test helpers; this binary uses a few
#[path = "api/helpers.rs"]
mod helpers;

use helpers::*;
use lexi_slack::sim::Canned;

// current_thread: every task of the bot runs on this thread, under this test's subscriber.
#[tokio::test(flavor = "current_thread")]
async fn no_secret_appears_in_any_log_line() {
    let (logs, _guard) = Captured::plain(tracing::Level::TRACE);

    let app = TestApp::spawn().await;
    // A normal answer, a refused key, a Slack failure and a forged request, all logged.
    app.send_event(&mention("Ev1", "1700000500.000100", None, "find 20 CEOs"))
        .await;
    app.bot_replies(CHANNEL, "1700000500.000100", 1).await;
    app.leadlex.enqueue(
        "POST",
        "/v1/lexi/chat",
        Canned::leadlex_error(401, "invalid_key", "bad key"),
    );
    app.send_event(&mention("Ev2", "1700000501.000100", None, "hello"))
        .await;
    app.bot_replies(CHANNEL, "1700000501.000100", 1).await;
    app.slack.refuse_next("chat.postMessage", "invalid_auth");
    app.send_event(&mention("Ev3", "1700000502.000100", None, "hello"))
        .await;
    app.send_event(&mention("Ev4", "1700000503.000100", None, "barrier"))
        .await;
    app.bot_replies(CHANNEL, "1700000503.000100", 1).await;
    assert_eq!(app.post_forged().await, 401);
    let app = app.restart().await;
    drop(app);

    let text = logs.text();
    assert!(
        text.contains("LeadLex refused LEADLEX_API_KEY"),
        "the run was logged:\n{text}"
    );
    for secret in [SIGNING_SECRET, BOT_TOKEN, API_KEY] {
        assert!(!text.contains(secret), "{secret} leaked into the logs");
    }
}
