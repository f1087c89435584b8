//! Socket Mode against the fake Slack's WebSocket: the same handling as HTTP, acks, reconnects.

use crate::helpers::*;
use lexi_slack::config::Config;
use lexi_slack::sim::{Canned, FakeLeadLex, FakeSlack};
use serde_json::{Value, json};
use std::time::Duration;

const APP_TOKEN: &str = "xapp-1-A0LEXI-test";

/// Socket Mode on, with reconnect waits in milliseconds.
fn socket_mode(config: &mut Config) {
    config.slack_app_token = Some(APP_TOKEN.into());
    config.tuning.socket_backoff_first = Duration::from_millis(20);
    config.tuning.socket_backoff_max = Duration::from_millis(200);
}

/// A bot in Socket Mode, connected to the fake Slack.
async fn connected(configure: impl Fn(&mut Config) + Send + Sync + 'static) -> TestApp {
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
async fn deliver(app: &TestApp, kind: &str, payload: Value) -> Value {
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
async fn metrics_show(app: &TestApp, line: &str) -> String {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let text = reqwest::get(app.url("/metrics"))
            .await
            .expect("scraped")
            .text()
            .await
            .expect("text");
        if text.lines().any(|l| l == line) {
            return text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {line} in:\n{text}"
        );
        tokio::task::yield_now().await;
    }
}

async fn readyz(app: &TestApp) -> u16 {
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
                let task = find_button_value(m, APPROVE)?;
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
async fn a_refresh_request_opens_the_new_connection_before_closing_the_old() {
    let app = connected(|_| {}).await;
    let socket = app.slack.socket();
    socket.send_disconnect("refresh_requested").expect("sent");
    socket
        .wait_for_connections(2, DEADLINE)
        .await
        .expect("a second connection");
    assert_eq!(
        socket.hellos()[1]["num_connections"],
        2,
        "the old connection was still open when the new one was greeted"
    );
    socket
        .wait_until("the old connection to close", DEADLINE, |s| {
            (s.open_connections() == 1).then_some(())
        })
        .await
        .expect("the bot closes the old connection");

    let root = "1700005004.000100";
    deliver(
        &app,
        "events_api",
        mention("EvAfterRefresh", root, None, "hi"),
    )
    .await;
    app.bot_replies(CHANNEL, root, 1).await;
    assert_eq!(socket.connections(), 2);
    metrics_show(
        &app,
        "lexi_slack_socket_reconnects_total{reason=\"refresh_requested\"} 1",
    )
    .await;
}

#[tokio::test]
async fn a_connection_is_replaced_before_its_announced_lifetime_ends() {
    let app = connected(|_| {}).await;
    let socket = app.slack.socket();
    // The next connection is announced to last a second: the bot replaces it before then.
    socket.set_connection_time(1);
    socket.send_disconnect("warning").expect("sent");
    socket
        .wait_for_connections(2, DEADLINE)
        .await
        .expect("a replacement");
    // Its hello said one second; the one after it is announced to last an hour again.
    socket.set_connection_time(3600);
    assert_eq!(
        socket.hellos()[1]["debug_info"]["approximate_connection_time"],
        1
    );
    socket
        .wait_for_connections(3, DEADLINE)
        .await
        .expect("a proactive refresh");
    metrics_show(
        &app,
        "lexi_slack_socket_reconnects_total{reason=\"warning\"} 1",
    )
    .await;
    metrics_show(
        &app,
        "lexi_slack_socket_reconnects_total{reason=\"expiring\"} 1",
    )
    .await;
}

#[tokio::test]
async fn a_dropped_connection_is_reopened_after_failures_with_backoff() {
    let app = connected(|_| {}).await;
    let socket = app.slack.socket();
    let busy =
        Canned::json(429, json!({"ok": false, "error": "ratelimited"})).header("Retry-After", "0");
    app.slack.enqueue("*", "apps.connections.open", busy);
    let down = Canned::json(200, json!({"ok": false, "error": "internal_error"}));
    app.slack.enqueue("*", "apps.connections.open", down);

    socket.drop_connection().expect("dropped");
    socket
        .wait_for_connections(2, DEADLINE)
        .await
        .expect("the bot reconnects");
    assert_eq!(
        app.slack.count("apps.connections.open"),
        4,
        "the first connection, a rate-limited try, a failed try, the one that worked"
    );
    let root = "1700005005.000100";
    deliver(&app, "events_api", mention("EvAfterDrop", root, None, "hi")).await;
    app.bot_replies(CHANNEL, root, 1).await;
    metrics_show(
        &app,
        "lexi_slack_socket_reconnects_total{reason=\"closed\"} 1",
    )
    .await;
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

#[tokio::test]
async fn without_a_signing_secret_http_is_refused_and_readiness_follows_the_socket() {
    let app = connected(|c| c.signing_secrets = None).await;
    let socket = app.slack.socket();
    metrics_show(&app, "lexi_slack_socket_connected 1").await;
    assert_eq!(readyz(&app).await, 200);
    let status = app
        .post_signed(
            "application/json",
            &mention("EvHttp", "1700005008.000100", None, "hi").to_string(),
        )
        .await
        .status();
    assert_eq!(status, 401, "no secret: nothing over HTTP is Slack's");

    // While the bot cannot reconnect, it is not ready.
    let gate = app.slack.hold("apps.connections.open");
    socket.drop_connection().expect("dropped");
    app.slack_calls("apps.connections.open", 2).await;
    assert_eq!(readyz(&app).await, 503);
    gate.release();
    socket
        .wait_for_connections(2, DEADLINE)
        .await
        .expect("the bot reconnects");
    metrics_show(&app, "lexi_slack_socket_connected 1").await;
    assert_eq!(readyz(&app).await, 200);
}

#[tokio::test]
async fn check_asks_for_a_socket_url_without_connecting() {
    let slack = FakeSlack::start().await.unwrap();
    let leadlex = FakeLeadLex::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&slack, &leadlex, &dir);
    socket_mode(&mut config);

    let findings = lexi_slack::check::run(&config).await;
    assert!(findings.iter().all(|f| f.ok), "{findings:#?}");
    assert!(
        findings.iter().any(|f| f
            .line
            .contains("apps.connections.open accepted SLACK_APP_TOKEN")),
        "{findings:#?}"
    );
    assert_eq!(slack.socket().connections(), 0, "check does not connect");

    slack.enqueue(
        "*",
        "apps.connections.open",
        Canned::json(200, json!({"ok": false, "error": "invalid_auth"})),
    );
    let findings = lexi_slack::check::run(&config).await;
    let problems: Vec<_> = findings.iter().filter(|f| !f.ok).collect();
    assert_eq!(problems.len(), 1, "{findings:#?}");
    assert!(
        problems[0].line.contains("SLACK_APP_TOKEN") && problems[0].line.contains("invalid_auth"),
        "{problems:#?}"
    );
}
