//! Thumbs up / down on an answer: recorded per conversation and message, thanked ephemerally.

use crate::helpers::*;
use lexi_slack::store::{Store, StoreSettings};
use serde_json::json;
use std::time::Duration;

const ROOT: &str = "1700000200.000100";

#[tokio::test]
async fn a_thumbs_down_on_a_streamed_answer_is_stored_with_its_conversation_and_thanked() {
    let app = TestApp::spawn_configured(|c| {
        c.streaming = true;
        c.tuning.stream_flush_interval = Duration::from_millis(50);
    })
    .await;
    app.send_event(&mention("Ev1", ROOT, None, "hello there"))
        .await;
    app.slack_calls("chat.stopStream", 1).await;
    let answer = app
        .slack
        .thread(CHANNEL, ROOT)
        .into_iter()
        .find(|m| m.is_bot())
        .expect("an answer");
    let buttons = answer.blocks.as_ref().expect("final blocks").to_string();
    assert!(buttons.contains("feedback_buttons"), "{buttons}");

    let url = app.slack.response_url("feedback");
    app.slack.bind_response_url_channel("feedback", CHANNEL);
    app.slack.bind_response_url_user("feedback", REP);
    let mut click = button_click("lexi_feedback", "negative", &url, &answer.ts);
    click["container"] = json!({"type": "message", "message_ts": answer.ts,
                                "channel_id": CHANNEL, "thread_ts": ROOT});
    click["actions"][0]["type"] = json!("feedback_buttons");
    assert_eq!(app.click(&click).await.status(), 200);
    app.ephemerals_saying(REP, "Thanks for telling us", 1).await;

    let conversation = app
        .leadlex
        .conversation_ids()
        .pop()
        .expect("a conversation");
    let dir = app.stop().await;
    let store = Store::open(dir.path(), &StoreSettings::default()).expect("store");
    let all = store.all_feedback().expect("feedback");
    assert_eq!(all.len(), 1, "{all:#?}");
    assert!(!all[0].positive);
    assert_eq!(all[0].user.to_string(), REP);
    assert_eq!(all[0].message_ts.to_string(), answer.ts);
    assert_eq!(
        all[0].conversation.as_ref().map(ToString::to_string),
        Some(conversation)
    );
}
