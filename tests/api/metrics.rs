//! `GET /metrics`: what an operator's Prometheus scrapes after the bot has worked.

use crate::helpers::*;
use lexi_slack::sim::Canned;

fn value(scrape: &str, series: &str) -> f64 {
    scrape
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {series} in\n{scrape}"))
}

#[tokio::test]
async fn a_scrape_after_a_conversation_counts_requests_jobs_and_calls() {
    let app = TestApp::spawn().await;
    app.send_event(&mention("Ev1", "1700000001.000100", None, "hello"))
        .await;
    app.bot_replies(CHANNEL, "1700000001.000100", 1).await;
    assert_eq!(app.post_forged().await, 401);

    // The job is settled just after its last Slack call: scrape until the worker has counted it.
    let scrape = scrape_until(&app, "the converse job counted", |text| {
        text.contains("lexi_job_runs_total{kind=\"converse\",outcome=\"done\"} 1")
    })
    .await;
    assert!(scrape.contains("# TYPE lexi_slack_requests_total counter"));
    assert_eq!(
        value(
            &scrape,
            "lexi_slack_requests_total{kind=\"event\",verification=\"ok\"}"
        ),
        1.0
    );
    assert_eq!(
        value(
            &scrape,
            "lexi_slack_requests_total{kind=\"unverified\",verification=\"refused\"}"
        ),
        1.0
    );
    assert_eq!(
        value(
            &scrape,
            "lexi_leadlex_requests_total{endpoint=\"POST /v1/lexi/chat\",status=\"200\"}"
        ),
        1.0
    );
    assert_eq!(
        value(
            &scrape,
            "lexi_leadlex_request_duration_seconds_count{endpoint=\"POST /v1/lexi/chat\"}"
        ),
        1.0
    );
    assert_eq!(
        value(
            &scrape,
            "lexi_slack_api_requests_total{method=\"chat.postMessage\",status=\"ok\"}"
        ),
        1.0
    );
    assert_eq!(
        value(
            &scrape,
            "lexi_slack_api_requests_total{method=\"chat.update\",status=\"ok\"}"
        ),
        1.0
    );
    assert_eq!(
        value(&scrape, "lexi_leadlex_credits_remaining"),
        app.leadlex.credits() as f64
    );
    assert!(value(&scrape, "lexi_leadlex_rate_limit_remaining") > 0.0);
    assert_eq!(value(&scrape, "lexi_jobs_queued"), 0.0);
    assert_eq!(
        value(
            &scrape,
            "lexi_job_queue_wait_seconds_count{kind=\"converse\"}"
        ),
        1.0
    );
}

async fn scrape(app: &TestApp) -> String {
    reqwest::get(app.url("/metrics"))
        .await
        .expect("scraped")
        .text()
        .await
        .expect("text")
}

#[tokio::test]
async fn a_job_given_up_on_a_refused_key_counts_as_failed_not_done() {
    let app = TestApp::spawn().await;
    app.leadlex.enqueue(
        "POST",
        "/v1/lexi/chat",
        Canned::leadlex_error(401, "invalid_key", "bad key"),
    );
    let root = "1700000201.000100";
    app.send_event(&mention("Ev1", root, None, "hello")).await;
    // The user is told why there is no answer; the job is still a failure.
    app.bot_replies(CHANNEL, root, 1).await;
    let scrape = scrape_until(&app, "the expected series", |s| {
        s.contains("lexi_jobs_failed_total{kind=\"converse\",reason=\"leadlex_refused\"} 1")
    })
    .await;
    assert!(scrape.contains("# TYPE lexi_jobs_failed_total counter"));
    assert_eq!(
        value(
            &scrape,
            "lexi_job_runs_total{kind=\"converse\",outcome=\"failed\"}"
        ),
        1.0
    );
    assert!(
        !scrape.contains("lexi_job_runs_total{kind=\"converse\",outcome=\"done\"}"),
        "a failure is not also counted as done:\n{scrape}"
    );
    assert_eq!(value(&scrape, "lexi_jobs_queued"), 0.0);
}

#[tokio::test]
async fn a_job_slack_refuses_to_post_counts_as_failed() {
    let app = TestApp::spawn().await;
    app.slack.refuse_next("chat.postMessage", "not_in_channel");
    app.send_event(&mention("Ev1", "1700000202.000100", None, "hello"))
        .await;
    app.slack_calls("chat.postMessage", 1).await;
    let scrape = scrape_until(&app, "the expected series", |s| {
        s.contains("lexi_jobs_failed_total{kind=\"converse\",reason=\"slack_refused\"} 1")
    })
    .await;
    assert_eq!(
        app.leadlex.count("/v1/lexi/chat"),
        0,
        "no credit spent where nothing can be posted"
    );
    assert_eq!(
        value(
            &scrape,
            "lexi_job_runs_total{kind=\"converse\",outcome=\"failed\"}"
        ),
        1.0
    );
}

#[tokio::test]
async fn queue_age_grows_while_a_job_is_held_and_is_zero_once_it_is_done() {
    let app = TestApp::spawn().await;
    assert_eq!(
        value(&scrape(&app).await, "lexi_jobs_oldest_queued_seconds"),
        0.0,
        "an empty queue has no age"
    );
    let gate = app.leadlex.hold("/v1/lexi/chat");
    let root = "1700000203.000100";
    app.send_event(&mention("Ev1", root, None, "hello")).await;
    app.leadlex_calls("/v1/lexi/chat", 1).await;
    let held = scrape_until(&app, "the expected series", |s| {
        value(s, "lexi_jobs_oldest_queued_seconds") > 0.0
    })
    .await;
    assert!(held.contains("# TYPE lexi_jobs_oldest_queued_seconds gauge"));
    assert_eq!(value(&held, "lexi_jobs_queued"), 1.0);
    assert!(
        value(&held, "lexi_jobs_oldest_queued_seconds") < DEADLINE.as_secs_f64(),
        "measured from when the job was accepted:\n{held}"
    );

    gate.release();
    app.bot_replies(CHANNEL, root, 1).await;
    scrape_until(&app, "the expected series", |s| {
        value(s, "lexi_jobs_oldest_queued_seconds") == 0.0
    })
    .await;
}
