//! Lexi's answers as an agent surface: feedback buttons on every answer, and what `/metrics`
//! shows of them.

use crate::helpers::*;
use serde_json::{Value, json};

/// A 👍/👎 click on the answer `message_ts` in `channel`'s thread `root`.
pub fn feedback_click(
    app: &TestApp,
    channel: &str,
    root: &str,
    message_ts: &str,
    value: &str,
) -> Value {
    let name = format!("feedback-{}", next_action_ts().replace('.', "-"));
    app.slack.bind_response_url_channel(&name, channel);
    app.slack.bind_response_url_user(&name, REP);
    let mut click = button_click(
        "lexi_feedback",
        value,
        &app.slack.response_url(&name),
        message_ts,
    );
    click["container"] = json!({"type": "message", "message_ts": message_ts,
                                "channel_id": channel, "thread_ts": root});
    click["channel"] = json!({"id": channel, "name": "lexi"});
    click["actions"][0]["type"] = json!("feedback_buttons");
    click
}

/// Scrapes `/metrics` until `done` holds for the text (the worker counts a job just after its
/// last call, so a scrape can come a moment early); panics after [`DEADLINE`].
pub async fn scrape_until(app: &TestApp, what: &str, done: impl Fn(&str) -> bool) -> String {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let text = reqwest::get(app.url("/metrics"))
            .await
            .expect("scraped")
            .text()
            .await
            .expect("text");
        if done(&text) {
            return text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} never showed in\n{text}"
        );
        tokio::task::yield_now().await;
    }
}

/// The value of one series in a scrape, if present.
pub fn series(scrape: &str, name: &str) -> Option<f64> {
    scrape
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn a_non_streamed_answer_ends_with_the_feedback_buttons_after_its_card() {
    let app = TestApp::spawn().await;
    let root = "1700001200.000100";
    app.send_event(&mention("Ev1", root, None, "who are my best leads?"))
        .await;
    let replies = app.bot_replies(CHANNEL, root, 1).await;
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].matches("[👍] [👎]").count(), 1, "{}", replies[0]);

    let card = app.ask_for_a_search("1700001300.000100").await;
    let message = app
        .slack
        .message(CHANNEL, &card.ts)
        .expect("the card's message");
    let kinds: Vec<String> = message
        .blocks
        .as_ref()
        .and_then(Value::as_array)
        .expect("blocks")
        .iter()
        .map(|b| b["type"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        kinds.first().map(String::as_str),
        Some("markdown"),
        "{kinds:?}"
    );
    assert_eq!(
        kinds.last().map(String::as_str),
        Some("context_actions"),
        "the buttons come last, after the card: {kinds:?}"
    );
    assert!(find_button_value(&message, APPROVE).is_some());
}
