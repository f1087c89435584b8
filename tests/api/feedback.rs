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

#[tokio::test]
async fn a_click_delivered_twice_is_recorded_and_thanked_once() {
    use crate::agent_surface::{feedback_click, series};
    let app = TestApp::spawn().await;
    app.send_event(&mention("Ev1", ROOT, None, "hello there"))
        .await;
    app.bot_replies(CHANNEL, ROOT, 1).await;
    let answer = app
        .slack
        .thread(CHANNEL, ROOT)
        .into_iter()
        .find(|m| m.is_bot())
        .expect("an answer");
    assert!(
        answer
            .blocks
            .as_ref()
            .expect("blocks")
            .to_string()
            .contains("feedback_buttons"),
        "a non-streamed answer carries the buttons too"
    );

    let click = feedback_click(&app, CHANNEL, ROOT, &answer.ts, "positive");
    assert_eq!(app.click(&click).await.status(), 200);
    assert_eq!(
        app.click(&click).await.status(),
        200,
        "Slack's second delivery"
    );
    let again = feedback_click(&app, CHANNEL, ROOT, &answer.ts, "positive");
    assert_eq!(
        app.click(&again).await.status(),
        200,
        "the same button again"
    );

    // Every thanks job was queued before its click was acknowledged: once none is left, all ran.
    scrape_until(&app, "the thanks sent", |s| {
        series(s, "lexi_jobs_queued") == Some(0.0)
            && series(
                s,
                "lexi_job_runs_total{kind=\"feedback_thanks\",outcome=\"done\"}",
            ) == Some(1.0)
    })
    .await;
    let thanks = app.ephemerals_saying(REP, "Glad that helped", 1).await;
    assert_eq!(thanks.len(), 1, "{thanks:#?}");
    let scrape = scrape_until(&app, "the click counted", |_| true).await;
    assert_eq!(
        series(&scrape, "lexi_feedback_clicks_total{value=\"positive\"}"),
        Some(1.0)
    );

    // Changing one's mind is new feedback: recorded and thanked.
    let change = feedback_click(&app, CHANNEL, ROOT, &answer.ts, "negative");
    assert_eq!(app.click(&change).await.status(), 200);
    app.ephemerals_saying(REP, "Thanks for telling us", 1).await;
    let dir = app.stop().await;
    let store = Store::open(dir.path(), &StoreSettings::default()).expect("store");
    let all = store.all_feedback().expect("feedback");
    assert_eq!(all.len(), 1, "{all:#?}");
    assert!(!all[0].positive);
}
