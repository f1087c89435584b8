//! Socket Mode payloads against the fake Slack's WebSocket: handled as over HTTP, acked (or not) as Slack expects.

use crate::helpers::*;
use lexi_slack::config::Config;
use serde_json::{Value, json};
use std::time::Duration;

const APP_TOKEN: &str = "xapp-1-A0LEXI-test";

/// Socket Mode on, with reconnect waits in milliseconds.
pub(crate) fn socket_mode(config: &mut Config) {
    config.slack_app_token = Some(APP_TOKEN.into());
    config.tuning.socket_backoff_first = Duration::from_millis(20);
    config.tuning.socket_backoff_max = Duration::from_millis(200);
}

/// A bot in Socket Mode, connected to the fake Slack.
pub(crate) async fn connected(configure: impl Fn(&mut Config) + Send + Sync + 'static) -> TestApp {
    let app = TestApp::spawn_configured(move |c| {
        socket_mode(c);
        configure(c);
    })
    .await;
    app.slack
        .socket()
        .wait_for_connections(1, DEADLINE)
        .await
        .expect("the bot connects");
    app
}

/// Sends an envelope and waits for its ack.
pub(crate) async fn deliver(app: &TestApp, kind: &str, payload: Value) -> Value {
    let socket = app.slack.socket();
    let id = socket.send_envelope(kind, payload).expect("a connection");
    socket
        .wait_for_ack(&id, DEADLINE)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A slash command's fields as Socket Mode carries them: a JSON object of strings.
fn command_payload(command: &str, text: &str, response_url: &str) -> Value {
    let form = command_form(command, text, response_url, "1337.42.abcdef");
    let fields: Vec<(String, String)> = serde_urlencoded::from_str(&form).expect("form");
    Value::Object(fields.into_iter().map(|(k, v)| (k, json!(v))).collect())
}

/// Scrapes `/metrics` until it has `line` (the bot counts just after it acts).
pub(crate) async fn metrics_show(app: &TestApp, line: &str) -> String {
    scrape_until(app, line, |text| text.lines().any(|l| l == line)).await
}

pub(crate) async fn readyz(app: &TestApp) -> u16 {
    reqwest::get(app.url("/readyz"))
        .await
        .expect("answered")
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_mention_over_the_socket_is_acked_and_answered_in_its_thread() {
    let app = connected(|_| {}).await;
    let root = "1700005001.000100";
    let ack = deliver(
        &app,
        "events_api",
        mention("EvSock1", root, None, "find 20 CEOs at law firms"),
    )
    .await;
    assert_eq!(
        ack.as_object().map(|o| o.len()),
        Some(1),
        "no payload: {ack}"
    );

    let calls = app.leadlex_calls("/v1/lexi/chat", 1).await;
    assert_eq!(
        calls[0].json(),
        json!({ "message": "find 20 CEOs at law firms" })
    );
    let replies = app.bot_replies(CHANNEL, root, 1).await;
    assert!(
        replies[0].contains("Please approve this task"),
        "{replies:?}"
    );
    let posts = app.slack_calls("chat.postMessage", 1).await;
    assert_eq!(
        posts[0].json()["thread_ts"],
        root,
        "the reply is in the thread"
    );
    assert_eq!(
        posts[0].header("authorization"),
        Some(format!("Bearer {BOT_TOKEN}").as_str()),
        "the Web API still uses the bot token"
    );
    metrics_show(
        &app,
        "lexi_slack_requests_total{kind=\"event\",verification=\"socket\"} 1",
    )
    .await;
    metrics_show(&app, "lexi_slack_socket_connected 1").await;
}

#[tokio::test]
async fn an_event_delivered_twice_or_over_both_transports_is_answered_once() {
    let app = connected(|_| {}).await;
    let root = "1700005002.000100";
    let event = mention("EvSockTwice", root, None, "hello");
    deliver(&app, "events_api", event.clone()).await;
    deliver(&app, "events_api", event.clone()).await;
    app.send_event(&event).await;
    // Every delivery was acknowledged only after its de-duplication was decided: one job.
    app.bot_replies(CHANNEL, root, 1).await;
    assert_eq!(app.leadlex.count("/v1/lexi/chat"), 1);
    metrics_show(
        &app,
        "lexi_slack_requests_total{kind=\"event\",verification=\"socket\"} 2",
    )
    .await;
}

#[tokio::test]
async fn a_slash_command_is_acked_with_its_ephemeral_answer() {
    let app = connected(|_| {}).await;
    let url = app.slack.response_url("cmd");
    let ack = deliver(
        &app,
        "slash_commands",
        command_payload("/lexi", "help", &url),
    )
    .await;
    assert_eq!(ack["payload"]["response_type"], "ephemeral", "{ack}");
    let text = ack["payload"]["text"].as_str().expect("text");
    assert!(text.contains("Lexi's commands"), "{text}");
    metrics_show(
        &app,
        "lexi_slack_requests_total{kind=\"slash_command\",verification=\"socket\"} 1",
    )
    .await;
}

#[tokio::test]
async fn a_button_click_over_the_socket_decides_the_task() {
    let app = connected(|_| {}).await;
    app.leadlex.set_completion_after_polls(1_000_000);
    let root = "1700005003.000100";
    deliver(
        &app,
        "events_api",
        mention(
            "EvSockCard",
            root,
            None,
            "find 20 CEOs at law firms in New York",
        ),
    )
    .await;
    let card = app
        .until("the approval card", || {
            app.slack.thread(CHANNEL, root).iter().find_map(|m| {
                let task = m.button_value(APPROVE)?;
                Some(Card {
                    ts: m.ts.clone(),
                    task,
                })
            })
        })
        .await;
    let click = app.card_click(REP, APPROVE, &card).payload();
    let ack = deliver(&app, "interactive", click).await;
    assert!(ack.get("payload").is_none(), "{ack}");
    app.leadlex_calls(&format!("/v1/lexi/tasks/{}/approve", card.task), 1)
        .await;
    let shown = app.card_shows(&card, "Lexi is working on it").await;
    assert!(shown.contains(&format!("Approved by <@{REP}>")), "{shown}");
}

#[tokio::test]
async fn malformed_frames_are_ignored_and_the_connection_lives_on() {
    let app = connected(|_| {}).await;
    let socket = app.slack.socket();
    for frame in [
        "not json",
        "{\"type\":\"events_api\",\"payload\":{}}",
        "{\"type\":\"slash_commands\",\"envelope_id\":\"e-bad\",\"payload\":\"text\"}",
        "{\"envelope_id\":\"e-odd\",\"type\":\"events_api\",\"payload\":{\"type\":\"event_callback\"}}",
    ] {
        socket.send_text(frame).expect("sent");
    }
    let root = "1700005006.000100";
    deliver(&app, "events_api", mention("EvAfterJunk", root, None, "hi")).await;
    app.bot_replies(CHANNEL, root, 1).await;
    assert_eq!(socket.connections(), 1, "no reconnect was needed");
    metrics_show(
        &app,
        "lexi_slack_socket_envelopes_total{outcome=\"unreadable\"} 2",
    )
    .await;
    // Envelopes whose payload cannot be used are acknowledged: a redelivery would not help.
    for id in ["e-bad", "e-odd"] {
        socket
            .wait_for_ack(id, DEADLINE)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

#[tokio::test]
async fn a_full_queue_leaves_the_envelope_unacked_so_slack_delivers_it_again() {
    let app = connected(|c| c.tuning.max_queued_jobs = 0).await;
    let socket = app.slack.socket();
    let id = socket
        .send_envelope(
            "events_api",
            mention("EvFull", "1700005007.000100", None, "hi"),
        )
        .expect("sent");
    metrics_show(
        &app,
        "lexi_slack_socket_envelopes_total{outcome=\"withheld\"} 1",
    )
    .await;
    assert_eq!(socket.ack_for(&id), None, "acks: {:?}", socket.acks());
    assert_eq!(app.leadlex.count("/v1/lexi/chat"), 0);
}
