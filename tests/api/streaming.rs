//! Streamed answers: status while Lexi thinks, the text relayed in batches, one complete answer
//! whatever breaks (either side failing, a crash mid-stream).

use crate::helpers::*;
use lexi_slack::sim::{Canned, Message};
use serde_json::json;
use std::time::Duration;

const ROOT: &str = "1700000100.000100";
const CONVERSATION: &str = "5f0c6a52-7a1e-4c1b-9d7e-1f6f3b2a9c11";
/// Small batches so that batching shows in a short answer.
const FLUSH_CHARS: usize = 16;

pub(crate) async fn streaming_app() -> TestApp {
    TestApp::spawn_configured(|c| {
        c.streaming = true;
        c.tuning.stream_flush_chars = FLUSH_CHARS;
        c.tuning.stream_flush_interval = Duration::from_secs(5);
    })
    .await
}

/// One server-sent event as LeadLex writes it.
pub(crate) fn event(name: &str, data: serde_json::Value) -> Vec<u8> {
    format!("event: {name}\ndata: {data}\n\n").into_bytes()
}

/// Lexi's answer in uneven SSE chunks: one splits "😀" (4 bytes) in two, events straddle chunks.
fn scripted(answer_deltas: &[&str]) -> Vec<Vec<u8>> {
    let mut bytes = event("thinking", json!({"text": "Looking through your CRM…"}));
    for (i, delta) in answer_deltas.iter().enumerate() {
        let mut data = json!({"delta": delta});
        if i == 0 {
            data["conversation_id"] = json!(CONVERSATION);
        }
        bytes.extend(event("text", data));
    }
    bytes.extend(event(
        "done",
        json!({"credits_remaining": 41, "message_id": "m-1"}),
    ));
    bytes.extend(b"data: [DONE]\n\n");
    let emoji = bytes
        .windows(4)
        .position(|w| w == "😀".as_bytes())
        .expect("the script has an emoji");
    let mut cuts = vec![7, 30, emoji + 2, emoji + 3];
    cuts.extend((emoji + 10..bytes.len()).step_by(23));
    cuts.sort_unstable();
    cuts.dedup();
    let mut chunks = Vec::new();
    let mut from = 0;
    for cut in cuts.into_iter().chain([bytes.len()]) {
        if cut > from {
            chunks.push(bytes[from..cut].to_vec());
            from = cut;
        }
    }
    chunks
}

const DELTAS: &[&str] = &[
    "Here are ",
    "three ",
    "law firms ",
    "in Manhattan ",
    "😀 that fit: ",
    "**Baker & Co**, ",
    "Grüße LLP ",
    "and ",
    "Hale Partners. ",
    "Want me ",
    "to draft ",
    "an intro?",
];

fn bot_messages(app: &TestApp) -> Vec<Message> {
    app.slack.bot_messages(CHANNEL, ROOT)
}

#[tokio::test]
async fn an_answer_streams_into_the_thread_once_in_batches_with_status_before_it() {
    let app = streaming_app().await;
    app.leadlex.enqueue_stream(scripted(DELTAS));
    app.send_event(&mention("Ev1", ROOT, None, "which law firms fit?"))
        .await;

    app.slack_calls("chat.stopStream", 1).await;
    let full: String = DELTAS.concat();
    let replies = bot_messages(&app);
    assert_eq!(replies.len(), 1, "one message: {replies:#?}");
    assert_eq!(
        replies[0].text, full,
        "the streamed text is Lexi's whole answer, once"
    );
    assert!(!replies[0].streaming, "the stream was stopped");
    let shown = lexi_slack::sim::render_text(&replies[0]);
    assert!(shown.contains("41 Lexi credits left"), "{shown}");
    assert!(shown.contains("[👍] [👎]"), "feedback buttons: {shown}");

    let start = &app.slack.requests_to("/api/chat.startStream")[0].json();
    assert_eq!(
        start["recipient_user_id"], REP,
        "channels need the recipient"
    );
    assert_eq!(start["recipient_team_id"], TEAM);
    assert_eq!(start["thread_ts"], ROOT);
    let appends = app.slack.count("/api/chat.appendStream");
    let chars = full.chars().count();
    assert!(
        appends <= chars / FLUSH_CHARS + 1,
        "{appends} appends for {chars} chars in batches of {FLUSH_CHARS}"
    );
    assert!(
        appends < DELTAS.len() - 1,
        "batched, not one call per delta"
    );

    let status = app
        .slack
        .assistant_thread(CHANNEL, ROOT)
        .expect("status set");
    assert_eq!(
        status.status_history.first().map(String::as_str),
        Some("is thinking…")
    );
    assert_eq!(
        status.status_history.last().map(String::as_str),
        Some(""),
        "cleared"
    );
    assert_eq!(status.status, None);
}

#[tokio::test]
async fn a_stream_that_ends_with_a_task_shows_the_approval_card_when_it_stops() {
    let app = streaming_app().await;
    app.send_event(&mention(
        "Ev1",
        ROOT,
        None,
        "find 20 CEOs at law firms in New York",
    ))
    .await;

    let stop = app.slack_calls("chat.stopStream", 1).await;
    let replies = bot_messages(&app);
    assert_eq!(replies.len(), 1, "{replies:#?}");
    assert!(
        replies[0].button_value("approval:approve").is_some(),
        "the card's buttons come with the stream's end: {:#}",
        stop[0].json()
    );
    let status = app
        .slack
        .assistant_thread(CHANNEL, ROOT)
        .expect("status set");
    assert!(
        status
            .status_history
            .iter()
            .any(|s| s == "is searching prospects…")
    );
    let tasks = app.leadlex.tasks();
    assert_eq!(tasks.len(), 1, "one task");
    let text = &replies[0].text;
    assert!(!text.is_empty() && !text.contains("interrupted"), "{text}");
}

#[tokio::test]
async fn when_lexi_cannot_stream_the_answer_comes_unstreamed() {
    let app = streaming_app().await;
    app.leadlex.enqueue(
        "POST",
        "/v1/lexi/chat/stream",
        Canned::leadlex_error(503, "unavailable", "down"),
    );
    app.send_event(&mention("Ev1", ROOT, None, "hello")).await;

    let replies = app.bot_replies(CHANNEL, ROOT, 1).await;
    assert_eq!(replies.len(), 1, "{replies:#?}");
    assert_eq!(app.slack.count("/api/chat.startStream"), 0);
    assert_eq!(
        app.leadlex.count("/v1/lexi/chat"),
        1,
        "asked once more, unstreamed"
    );
    let status = app
        .slack
        .assistant_thread(CHANNEL, ROOT)
        .expect("status set");
    assert_eq!(status.status, None, "status cleared");
}

#[tokio::test]
async fn when_slack_refuses_an_append_the_whole_answer_replaces_the_stream() {
    let app = streaming_app().await;
    app.leadlex.enqueue_stream(scripted(DELTAS));
    app.slack.refuse_next("chat.appendStream", "internal_error");
    app.send_event(&mention("Ev1", ROOT, None, "which law firms fit?"))
        .await;

    app.slack_calls("chat.update", 1).await;
    let replies = app.bot_replies(CHANNEL, ROOT, 1).await;
    assert_eq!(replies.len(), 1, "{replies:#?}");
    let shown = &replies[0];
    assert!(
        shown.contains("Hale Partners") && shown.contains("Here are three"),
        "{shown}"
    );
    assert_eq!(
        shown.matches("Here are three").count(),
        1,
        "nothing repeated: {shown}"
    );
    assert_eq!(
        app.leadlex.count("/v1/lexi/chat"),
        0,
        "the streamed answer was kept"
    );
}

#[tokio::test]
async fn a_crash_mid_stream_leaves_a_note_and_the_retry_answers_once_completely() {
    let app = streaming_app().await;
    app.leadlex.set_stream_pace(Duration::from_millis(300));
    // The second copy is LeadLex replaying the answer for the same Idempotency-Key.
    app.leadlex.enqueue_stream(scripted(DELTAS));
    app.leadlex.enqueue_stream(scripted(DELTAS));
    app.send_event(&mention("Ev1", ROOT, None, "which law firms fit?"))
        .await;
    app.slack_calls("chat.startStream", 1).await;

    let app = app.crash_and_restart().await;
    app.leadlex.set_stream_pace(Duration::from_millis(1));
    app.slack_calls("chat.stopStream", 2).await;
    let replies = bot_messages(&app);
    assert_eq!(replies.len(), 2, "{replies:#?}");
    let note = lexi_slack::sim::render_text(&replies[0]);
    assert!(note.contains("interrupted"), "{note}");
    assert!(
        !note.contains("Here are"),
        "the partial text is gone: {note}"
    );
    assert!(!replies[1].streaming && !replies[1].text.is_empty());
    assert!(!replies[1].text.contains("interrupted"));
    let keys: Vec<String> = app
        .leadlex
        .requests_to("/v1/lexi/chat/stream")
        .iter()
        .map(|r| r.header("idempotency-key").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(keys.len(), 2);
    assert_eq!(
        keys[0], keys[1],
        "the retry reuses the job's Idempotency-Key"
    );
}

#[tokio::test]
async fn a_long_answer_that_keeps_flowing_outlasts_the_request_timeout() {
    let app = TestApp::spawn_configured(|c| {
        c.streaming = true;
        c.tuning.stream_flush_chars = FLUSH_CHARS;
        c.tuning.stream_flush_interval = Duration::from_secs(5);
        // Once the bound of the whole stream; far shorter than this one.
        c.tuning.leadlex_timeout = Duration::from_millis(300);
        c.tuning.leadlex_stream_idle_timeout = Duration::from_secs(2);
    })
    .await;
    let chunks = scripted(DELTAS);
    let pace = Duration::from_millis(50);
    let lasts = pace * (chunks.len() as u32 - 1);
    assert!(
        lasts >= Duration::from_millis(900),
        "{lasts:?}: 3× the timeout"
    );
    app.leadlex.set_stream_pace(pace);
    app.leadlex.enqueue_stream(chunks);
    app.send_event(&mention("Ev1", ROOT, None, "which law firms fit?"))
        .await;

    app.slack_calls("chat.stopStream", 1).await;
    let replies = bot_messages(&app);
    assert_eq!(replies.len(), 1, "{replies:#?}");
    assert_eq!(replies[0].text, DELTAS.concat(), "all of it, streamed");
    assert_eq!(app.leadlex.count("/v1/lexi/chat"), 0, "no fallback");
}

/// Lexi starts answering, then goes silent: its second chunk would come only after the pace.
fn stalls_after_the_first_words() -> Vec<Vec<u8>> {
    let mut first = event("thinking", json!({"text": "Looking through your CRM…"}));
    first.extend(event("text", json!({"delta": "Here are "})));
    let mut rest = event("text", json!({"delta": "three law firms."}));
    rest.extend(event("done", json!({"credits_remaining": 40})));
    rest.extend(b"data: [DONE]\n\n");
    vec![first, rest]
}

#[tokio::test]
async fn a_stalled_stream_is_cut_by_the_idle_timeout_and_answered_without_streaming() {
    use crate::agent_surface::series;
    let app = TestApp::spawn_configured(|c| {
        c.streaming = true;
        c.tuning.stream_flush_interval = Duration::from_millis(20);
        c.tuning.leadlex_stream_idle_timeout = Duration::from_millis(300);
    })
    .await;
    app.leadlex.set_stream_pace(Duration::from_secs(5));
    app.leadlex.enqueue_stream(stalls_after_the_first_words());
    app.send_event(&mention("Ev1", ROOT, None, "which law firms fit?"))
        .await;

    let shown = app.thread_says(ROOT, "Here's what I found").await;
    let replies = bot_messages(&app);
    assert_eq!(
        replies.len(),
        1,
        "the answer replaced the stalled stream: {replies:#?}"
    );
    assert!(!replies[0].streaming, "the stalled stream was stopped");
    assert!(!shown.contains("Here are"), "{shown}");
    assert!(shown.contains("[👍] [👎]"), "{shown}");
    assert_eq!(app.leadlex.count("/v1/lexi/chat"), 1, "asked once more");
    let scrape = scrape_until(&app, "the stall counted", |s| {
        series(s, "lexi_leadlex_streams_total{outcome=\"idle_timeout\"}").is_some()
    })
    .await;
    assert_eq!(
        series(
            &scrape,
            "lexi_leadlex_streams_total{outcome=\"idle_timeout\"}"
        ),
        Some(1.0)
    );
}
