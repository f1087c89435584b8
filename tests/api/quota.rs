//! Request caps: past a user's or a workspace's requests a minute, Lexi is not asked and the user is told when to try again.

use crate::followups::{SUGGEST, followups, result_of};
use crate::helpers::*;
use lexi_slack::sim::Canned;
use serde_json::json;

const CHAT: &str = "/v1/lexi/chat";

/// A mention from `user`, starting a thread at `root`.
fn mention_by(user: &str, root: &str, text: &str) -> serde_json::Value {
    let mut event = mention(&format!("Ev{}", root.replace('.', "")), root, None, text);
    event["event"]["user"] = json!(user);
    event
}

async fn capped(per_user: u32, per_team: u32) -> TestApp {
    TestApp::spawn_configured(move |config| {
        config.tuning.user_calls_per_minute = per_user;
        config.tuning.team_calls_per_minute = per_team;
    })
    .await
}

/// The counter's value in a scrape, once the worker has counted `n` refusals.
async fn refusals(app: &TestApp, series: &str, n: u32) -> String {
    let line = format!("lexi_quota_refusals_total{{{series}}} {n}");
    scrape_until(app, &line, |scrape| scrape.contains(&line)).await;
    line
}

#[tokio::test]
async fn a_user_over_their_cap_is_told_in_the_thread_when_to_try_again_and_lexi_is_not_asked() {
    let app = capped(2, 100).await;
    // A retried request is still one request: the failure below must not use up the cap.
    app.leadlex.enqueue(
        "POST",
        CHAT,
        Canned::leadlex_error(503, "unavailable", "busy"),
    );
    for (i, root) in ["1700002000.000100", "1700002001.000100"]
        .iter()
        .enumerate()
    {
        app.send_event(&mention_by(REP, root, &format!("question {i}")))
            .await;
        app.bot_replies(CHANNEL, root, 1).await;
    }
    let root = "1700002002.000100";
    app.send_event(&mention_by(REP, root, "one more")).await;
    let replies = app.bot_replies(CHANNEL, root, 1).await;
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert!(
        replies[0].contains("You've sent Lexi 2 requests in the last minute")
            && replies[0].contains("Please try again in"),
        "{replies:?}"
    );
    assert_eq!(
        app.leadlex.count(CHAT),
        3,
        "two requests, one retried; none for the third"
    );
    refusals(&app, "scope=\"user\",kind=\"converse\"", 1).await;

    // Someone else in the workspace is not held back.
    let other = "1700002003.000100";
    app.send_event(&mention_by("U0OTHER", other, "my turn"))
        .await;
    let replies = app.bot_replies(CHANNEL, other, 1).await;
    assert!(replies[0].contains("my turn"), "{replies:?}");
}

#[tokio::test]
async fn the_workspace_cap_holds_across_users() {
    let app = capped(5, 2).await;
    for (user, root) in [
        ("U0ANA", "1700002010.000100"),
        ("U0BEN", "1700002011.000100"),
    ] {
        app.send_event(&mention_by(user, root, "hello")).await;
        app.bot_replies(CHANNEL, root, 1).await;
    }
    let root = "1700002012.000100";
    app.send_event(&mention_by("U0CAL", root, "and me?")).await;
    let replies = app.bot_replies(CHANNEL, root, 1).await;
    assert!(
        replies[0].contains("Your workspace has sent Lexi 2 requests in the last minute"),
        "{replies:?}"
    );
    assert_eq!(app.leadlex.count(CHAT), 2);
    refusals(&app, "scope=\"team\",kind=\"converse\"", 1).await;
}

#[tokio::test]
async fn followups_over_the_cap_is_told_privately_in_place_of_the_ack() {
    let app = capped(1, 100).await;
    let root = "1700002020.000100";
    app.send_event(&mention_by(REP, root, "hello")).await;
    app.bot_replies(CHANNEL, root, 1).await;

    let ack = followups(&app, "capped", "jane@acme.law").await;
    let shown = result_of(&app, &ack).await;
    assert!(
        shown.contains("You've sent Lexi 1 request in the last minute"),
        "{shown}"
    );
    assert_eq!(app.leadlex.count(SUGGEST), 0, "LeadLex was not asked");
    assert_eq!(
        app.leadlex.count("/v1/contacts"),
        0,
        "not even to find the contact"
    );
    let public: Vec<_> = app
        .slack
        .channel_messages(CHANNEL)
        .into_iter()
        .filter(|m| m.bot_id.is_some())
        .collect();
    assert_eq!(public.len(), 1, "only the answer to the mention is public");
    refusals(&app, "scope=\"user\",kind=\"followups\"", 1).await;
}

#[tokio::test]
async fn deciding_a_task_lexi_proposed_is_not_capped() {
    let app = capped(1, 1).await;
    app.leadlex.set_completion_after_polls(1_000_000);
    let card = app.ask_for_a_search("1700002030.000100").await;
    assert_eq!(app.click_card(REP, APPROVE, &card).await.status(), 200);
    app.leadlex_calls(&format!("/v1/lexi/tasks/{}/approve", card.task), 1)
        .await;
    app.card_shows(&card, &format!("Approved by <@{REP}>"))
        .await;
}

#[tokio::test]
async fn without_caps_nobody_is_refused() {
    let app = capped(0, 0).await;
    let roots: Vec<String> = (0..25).map(|i| format!("17000021{i:02}.000100")).collect();
    for root in &roots {
        app.send_event(&mention_by(REP, root, "again")).await;
    }
    for root in &roots {
        let replies = app.bot_replies(CHANNEL, root, 1).await;
        assert!(!replies[0].contains("try again in"), "{replies:?}");
    }
    assert_eq!(app.leadlex.count(CHAT), 25);
}
