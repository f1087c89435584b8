//! `GET /metrics`: what an operator's Prometheus scrapes after the bot has worked.

use crate::helpers::*;

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
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let scrape = loop {
        let text = reqwest::get(app.url("/metrics"))
            .await
            .expect("scraped")
            .text()
            .await
            .expect("text");
        if text.contains("lexi_job_runs_total{kind=\"converse\",outcome=\"done\"} 1") {
            break text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never counted:\n{text}"
        );
    };
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
