//! Socket Mode connections: refreshed before they end, reopened after failures, readiness, `check`.

use super::socket_mode::{connected, deliver, metrics_show, readyz, socket_mode};
use crate::helpers::*;
use lexi_slack::sim::{Canned, FakeLeadLex, FakeSlack};
use std::time::Duration;

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
    let busy = Canned::slack_error(429, "ratelimited").header("Retry-After", "0");
    app.slack.enqueue("*", "apps.connections.open", busy);
    let down = Canned::slack_error(200, "internal_error");
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
async fn a_connection_slack_never_greets_is_given_up_and_replaced() {
    let app = connected(|c| c.tuning.slack_timeout = Duration::from_millis(300)).await;
    let socket = app.slack.socket();
    socket.set_greeting(false);
    socket.drop_connection().expect("dropped");
    socket
        .wait_for_connections(2, DEADLINE)
        .await
        .expect("a reconnect");
    socket.set_greeting(true);
    socket
        .wait_for_connections(3, DEADLINE)
        .await
        .expect("the silent connection is replaced");
    assert_eq!(
        socket.hellos().len(),
        2,
        "the first and the third were greeted"
    );
    let root = "1700005009.000100";
    deliver(
        &app,
        "events_api",
        mention("EvAfterSilence", root, None, "hi"),
    )
    .await;
    app.bot_replies(CHANNEL, root, 1).await;
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
        Canned::slack_error(200, "invalid_auth"),
    );
    let findings = lexi_slack::check::run(&config).await;
    let problems: Vec<_> = findings.iter().filter(|f| !f.ok).collect();
    assert_eq!(problems.len(), 1, "{findings:#?}");
    assert!(
        problems[0].line.contains("SLACK_APP_TOKEN") && problems[0].line.contains("invalid_auth"),
        "{problems:#?}"
    );
}
