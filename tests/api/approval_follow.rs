//! After approval the bot follows the task and reports how it ended, in the thread, across restarts.

use crate::helpers::*;
use std::time::Duration;

#[tokio::test]
async fn completion_is_reported_in_the_thread_after_approval() {
    let app = TestApp::spawn().await;
    let root = "1700002000.000100";
    let card = app.ask_for_a_search(root).await;

    app.click_card(REP, APPROVE, &card).await;
    let done = app.thread_says(root, "Lexi's task is done").await;
    assert!(
        done.contains("*Results:* 20"),
        "what the metadata says: {done}"
    );
    assert!(done.contains("*List id:*"), "{done}");
    let shown = app.card_shows(&card, "· done").await;
    assert!(!shown.contains("working on it"), "{shown}");
    let polls: Vec<_> = app
        .leadlex
        .requests_to("/v1/lexi/tasks")
        .iter()
        .filter_map(|r| r.query_param("status"))
        .collect();
    assert_eq!(polls, ["pending", "completed"], "one status per call");
}

#[tokio::test]
async fn failure_is_reported_in_the_thread_after_approval() {
    let app = TestApp::spawn().await;
    let root = "1700002010.000100";
    let card = app.ask_for_a_search(root).await;
    app.leadlex.set_task_outcome(&card.task, "failed");

    app.click_card(REP, APPROVE, &card).await;
    let failed = app.thread_says(root, "Lexi's task failed").await;
    assert!(
        failed.contains("did not answer in time"),
        "why, from the metadata: {failed}"
    );
    app.card_shows(&card, "· failed").await;
    let polls: Vec<_> = app
        .leadlex
        .requests_to("/v1/lexi/tasks")
        .iter()
        .filter_map(|r| r.query_param("status"))
        .collect();
    assert_eq!(polls, ["pending", "completed", "failed"]);
}

#[tokio::test]
async fn following_a_task_survives_a_restart() {
    let app = TestApp::spawn().await;
    app.leadlex.set_completion_after_polls(1_000_000);
    let root = "1700002020.000100";
    let card = app.ask_for_a_search(root).await;
    app.click_card(REP, APPROVE, &card).await;
    app.until("a few rounds of following", || {
        let rounds = app
            .leadlex
            .requests_to("/v1/lexi/tasks")
            .iter()
            .filter(|r| r.query_param("status").as_deref() == Some("failed"))
            .count();
        (rounds >= 2).then_some(())
    })
    .await;

    let app = app.restart().await;
    app.leadlex.set_completion_after_polls(0);
    app.thread_says(root, "Lexi's task is done").await;
    assert_eq!(app.leadlex.count("/v1/lexi/tasks/*/approve"), 1);
    let outcomes = app
        .slack
        .thread(CHANNEL, root)
        .iter()
        .filter(|m| lexi_slack::sim::render_text(m).contains("Lexi's task is done"))
        .count();
    assert_eq!(outcomes, 1, "reported once");
}

#[tokio::test]
async fn a_task_that_never_finishes_is_given_up_after_the_limit() {
    let app = TestApp::spawn_configured(|config| {
        config.tuning.task_follow_limit = Duration::from_millis(300);
    })
    .await;
    app.leadlex.set_completion_after_polls(1_000_000);
    let root = "1700002030.000100";
    let card = app.ask_for_a_search(root).await;

    app.click_card(REP, APPROVE, &card).await;
    let note = app.thread_says(root, "still running").await;
    assert!(note.contains("stopped checking"), "{note}");
    app.card_shows(&card, "still running when I stopped checking")
        .await;
}
