//! Approvals: Lexi's tasks are decided in Slack, by the right people, exactly once.

use crate::helpers::*;
use futures_util::future::join_all;
use lexi_slack::sim::Canned;
use serde_json::json;

const BOSS: &str = "U0BOSS";
const STRANGER: &str = "U0STRANGER";

fn approve_path(card: &Card) -> String {
    format!("/v1/lexi/tasks/{}/approve", card.task)
}

fn dismiss_path(card: &Card) -> String {
    format!("/v1/lexi/tasks/{}/dismiss", card.task)
}

#[tokio::test]
async fn a_task_needing_approval_is_shown_with_its_buttons() {
    let app = TestApp::spawn().await;
    let root = "1700001000.000100";
    let card = app.ask_for_a_search(root).await;

    let listed = app.leadlex.requests_to("/v1/lexi/tasks");
    assert_eq!(listed.len(), 1, "the task is described from LeadLex's list");
    assert_eq!(listed[0].query_param("status").as_deref(), Some("pending"));
    let replies = app.slack.bot_messages(CHANNEL, root);
    assert_eq!(
        replies.len(),
        1,
        "Lexi's words and the card are one message"
    );
    let blocks = serde_json::to_string_pretty(&replies[0].blocks).unwrap();
    let blocks: serde_json::Value =
        serde_json::from_str(&blocks.replace(&card.task, "TASK-ID")).unwrap();
    insta::assert_json_snapshot!(blocks);
    assert_eq!(app.leadlex.count("/v1/lexi/tasks/*/approve"), 0);
}

#[tokio::test]
async fn the_requester_approves_and_the_message_changes_in_place() {
    let app = TestApp::spawn().await;
    // The task keeps running, so the card keeps saying so.
    app.leadlex.set_completion_after_polls(1_000_000);
    let root = "1700001010.000100";
    let card = app.ask_for_a_search(root).await;

    let response = app.click_card(REP, APPROVE, &card).await;
    assert_eq!(response.status(), 200);
    let calls = app.leadlex_calls(&approve_path(&card), 1).await;
    assert!(calls[0].header("idempotency-key").is_some());
    let shown = app.card_shows(&card, "Lexi is working on it").await;
    assert!(
        shown.contains(&format!("Approved by <@{REP}> <!date^")),
        "{shown}"
    );
    assert!(
        !shown.contains("[Approve]"),
        "the buttons are gone: {shown}"
    );
    assert!(
        shown.contains("I'll search for 20 CEOs"),
        "Lexi's words stay: {shown}"
    );
    let bot_messages = app.slack.bot_messages(CHANNEL, root).len();
    assert_eq!(
        bot_messages, 1,
        "updated in place, not answered with a new message"
    );
    assert_eq!(app.leadlex.count(&dismiss_path(&card)), 0);
    assert!(app.leadlex.count("/v1/lexi/tasks/*/approve") == 1);
}

#[tokio::test]
async fn deny_dismisses_the_task_with_a_reason_naming_the_user() {
    let app = TestApp::spawn().await;
    let card = app.ask_for_a_search("1700001020.000100").await;

    assert_eq!(app.click_card(REP, DENY, &card).await.status(), 200);
    let calls = app.leadlex_calls(&dismiss_path(&card), 1).await;
    let reason = calls[0].json()["reason"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        reason.contains(REP),
        "the reason names who denied it: {reason}"
    );
    let shown = app.card_shows(&card, "Denied by").await;
    assert!(shown.contains(&format!("Denied by <@{REP}>")), "{shown}");
    assert!(!shown.contains("[Deny]"));
    assert_eq!(app.leadlex.task(&card.task).unwrap().status, "dismissed");
    assert_eq!(app.leadlex.count(&approve_path(&card)), 0);
}

#[tokio::test]
async fn an_approver_from_lexi_approvers_can_decide() {
    let app = TestApp::spawn_configured(|config| {
        config.approvers = vec![lexi_slack::domain::UserId::parse(BOSS).unwrap()];
    })
    .await;
    app.leadlex.set_completion_after_polls(1_000_000);
    let card = app.ask_for_a_search("1700001030.000100").await;

    assert_eq!(app.click_card(BOSS, APPROVE, &card).await.status(), 200);
    app.leadlex_calls(&approve_path(&card), 1).await;
    app.card_shows(&card, &format!("Approved by <@{BOSS}>"))
        .await;
}

#[tokio::test]
async fn a_stranger_cannot_decide_and_nothing_is_called() {
    let app = TestApp::spawn_configured(|config| {
        config.approvers = vec![lexi_slack::domain::UserId::parse(BOSS).unwrap()];
    })
    .await;
    let card = app.ask_for_a_search("1700001040.000100").await;

    for action in [APPROVE, DENY] {
        assert_eq!(app.click_card(STRANGER, action, &card).await.status(), 200);
    }
    let told = app
        .ephemerals_saying(STRANGER, "or an approver can decide this task", 2)
        .await;
    assert_eq!(
        told[0],
        format!("Only <@{REP}> or an approver can decide this task.")
    );
    assert_eq!(app.leadlex.count("/v1/lexi/tasks/*/approve"), 0);
    assert_eq!(app.leadlex.count("/v1/lexi/tasks/*/dismiss"), 0);
    assert!(
        app.shown(&card).ends_with("[Approve] [Deny]\n[👍] [👎]"),
        "untouched"
    );
    assert_eq!(app.leadlex.task(&card.task).unwrap().status, "pending");
}

#[tokio::test]
async fn twenty_simultaneous_clicks_make_one_call() {
    let app = TestApp::spawn().await;
    app.leadlex.set_completion_after_polls(1_000_000);
    let card = app.ask_for_a_search("1700001050.000100").await;

    let clicks: Vec<_> = (0..20)
        .map(|_| app.card_click(REP, APPROVE, &card).payload())
        .collect();
    let responses = join_all(clicks.iter().map(|c| app.click(c))).await;
    assert!(responses.iter().all(|r| r.status() == 200));

    // The barrier: the one decision shows, and the 19 others were told who decided and when.
    app.card_shows(&card, "Approved by").await;
    let told = app
        .ephemerals_saying(REP, "already approved this task", 19)
        .await;
    assert!(told[0].contains(&format!("<@{REP}> already approved this task <!date^")));
    assert_eq!(app.leadlex.count("/v1/lexi/tasks/*/approve"), 1);
    assert_eq!(app.leadlex.count("/v1/lexi/tasks/*/dismiss"), 0);
}

#[tokio::test]
async fn slack_delivering_a_click_twice_is_one_decision_and_no_notice() {
    let app = TestApp::spawn().await;
    app.leadlex.set_completion_after_polls(1_000_000);
    let card = app.ask_for_a_search("1700001060.000100").await;

    let click = app.card_click(REP, APPROVE, &card);
    let payload = click.payload();
    for _ in 0..3 {
        assert_eq!(app.click(&payload).await.status(), 200);
    }
    app.card_shows(&card, "Approved by").await;
    // Barrier: a later click is told, and none of the re-deliveries was.
    app.click_card(REP, APPROVE, &card).await;
    app.ephemerals_saying(REP, "already approved", 1).await;
    let original_url = click.response_url.rsplit('/').next().unwrap().to_owned();
    assert_eq!(app.slack.count(&format!("/response/{original_url}")), 0);
    assert_eq!(app.leadlex.count("/v1/lexi/tasks/*/approve"), 1);
}

#[tokio::test]
async fn a_click_after_a_restart_makes_no_second_call() {
    let app = TestApp::spawn().await;
    app.leadlex.set_completion_after_polls(1_000_000);
    let card = app.ask_for_a_search("1700001070.000100").await;
    app.click_card(REP, APPROVE, &card).await;
    app.card_shows(&card, "Approved by").await;

    let app = app.restart().await;
    assert_eq!(app.click_card(REP, APPROVE, &card).await.status(), 200);
    assert_eq!(app.click_card(REP, DENY, &card).await.status(), 200);
    app.ephemerals_saying(REP, "already approved this task", 2)
        .await;
    assert_eq!(app.leadlex.count("/v1/lexi/tasks/*/approve"), 1);
    assert_eq!(app.leadlex.count("/v1/lexi/tasks/*/dismiss"), 0);
}

#[tokio::test]
async fn a_task_no_longer_pending_shows_its_real_status() {
    let app = TestApp::spawn().await;
    let card = app.ask_for_a_search("1700001080.000100").await;
    // Someone dismissed it in LeadLex meanwhile: LeadLex answers 400 validation_error.
    app.leadlex.set_task_status(&card.task, "dismissed");

    app.click_card(REP, APPROVE, &card).await;
    let shown = app
        .card_shows(&card, "LeadLex says this task is already *dismissed*")
        .await;
    assert!(
        !shown.contains("[Approve]") && !shown.contains("wasn't"),
        "{shown}"
    );
    let statuses: Vec<_> = app
        .leadlex
        .requests_to("/v1/lexi/tasks")
        .iter()
        .filter_map(|r| r.query_param("status"))
        .collect();
    assert_eq!(
        statuses,
        ["pending", "pending", "approved", "dismissed"],
        "one status per call, until the task is found"
    );
    assert_eq!(app.leadlex.count(&approve_path(&card)), 1, "not retried");
}

#[tokio::test]
async fn a_decision_that_keeps_failing_brings_the_buttons_back() {
    let app = TestApp::spawn().await;
    app.leadlex.set_completion_after_polls(1_000_000);
    let card = app.ask_for_a_search("1700001090.000100").await;
    for _ in 0..3 {
        app.leadlex.enqueue(
            "POST",
            "/v1/lexi/tasks/*/approve",
            Canned::leadlex_error(503, "unavailable", "internal detail 42"),
        );
    }

    app.click_card(REP, APPROVE, &card).await;
    let shown = app.card_shows(&card, "The task wasn't approved").await;
    assert!(
        shown.ends_with("[Approve] [Deny]\n[👍] [👎]"),
        "the buttons are back, above the feedback buttons: {shown}"
    );
    assert!(shown.contains("LeadLex isn't answering"), "{shown}");
    assert!(!shown.contains("internal detail"));
    assert_eq!(
        app.leadlex.count(&approve_path(&card)),
        3,
        "retried, then given up"
    );

    // The decision was rolled back: the next click decides afresh.
    app.click_card(REP, APPROVE, &card).await;
    app.card_shows(&card, "Approved by").await;
    assert_eq!(app.leadlex.count(&approve_path(&card)), 4);
}

#[tokio::test]
async fn leadlex_refusals_become_clear_sentences_on_the_card() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            403,
            "insufficient_permissions",
            "lacks the `lexi` permission",
            true,
        ),
        (401, "invalid_key", "refused the bot's API key", true),
        (404, "not_found", "no longer exists in LeadLex", false),
    ];
    for (i, (status, code, expected, buttons_back)) in cases.into_iter().enumerate() {
        let card = app
            .ask_for_a_search(&format!("17000011{i:02}.000100"))
            .await;
        let refusal = Canned::leadlex_error(status, code, "internal detail 42");
        app.leadlex.enqueue("POST", &approve_path(&card), refusal);
        app.click_card(REP, APPROVE, &card).await;
        let shown = app.card_shows(&card, expected).await;
        assert_eq!(
            shown.ends_with("[Approve] [Deny]\n[👍] [👎]"),
            buttons_back,
            "{status}: {shown}"
        );
        assert!(!shown.contains("internal detail"));
        assert_eq!(
            app.leadlex.count(&approve_path(&card)),
            1,
            "{status} is not retried"
        );
    }
}

#[tokio::test]
async fn forged_payloads_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let card = app.ask_for_a_search("1700001200.000100").await;
    let genuine = app.card_click(REP, APPROVE, &card).payload();
    let forged = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut payload = genuine.clone();
        change(&mut payload);
        payload
    };
    let cases = [
        forged(&|p| p["actions"][0]["action_id"] = json!("approval:launch")),
        forged(&|p| p["actions"][0]["value"] = json!("../../v1/contacts")),
        forged(&|p| p["actions"][0]["value"] = json!("x".repeat(2_001))),
        forged(&|p| p["actions"][0]["value"] = json!("no-such-task")),
        forged(&|p| p["actions"][0]["type"] = json!("static_select")),
        forged(&|p| p["team"]["id"] = json!("T0EVIL")),
        forged(&|p| p["user"]["id"] = json!("not a user")),
        forged(&|p| p["actions"] = json!([])),
        forged(&|p| p["response_url"] = json!("file:///etc/passwd")),
        forged(&|p| p["response_url"] = json!("http://169.254.169.254/latest/meta-data")),
        forged(&|p| p["container"]["message_ts"] = json!("yesterday")),
    ];
    for payload in &cases {
        let response = app.click(payload).await;
        assert_eq!(response.status(), 400, "refused: {payload}");
    }
    let not_json = serde_urlencoded::to_string([("payload", "{not json")]).unwrap();
    let response = app
        .post_signed("application/x-www-form-urlencoded", &not_json)
        .await;
    assert_eq!(response.status(), 400);

    // Nothing was decided or queued: the genuine click still decides.
    assert_eq!(app.leadlex.count("/v1/lexi/tasks/*/approve"), 0);
    assert!(app.shown(&card).ends_with("[Approve] [Deny]\n[👍] [👎]"));
    assert_eq!(app.click(&genuine).await.status(), 200);
    app.leadlex_calls(&approve_path(&card), 1).await;
    assert!(app.slack.ephemerals_for(REP).is_empty());
}

#[tokio::test]
async fn a_decision_cut_off_by_a_crash_is_finished_after_the_restart() {
    let app = TestApp::spawn().await;
    let root = "1700001300.000100";
    let card = app.ask_for_a_search(root).await;
    let gate = app.leadlex.hold("/v1/lexi/tasks/*/approve");
    app.click_card(REP, APPROVE, &card).await;
    app.leadlex_calls(&approve_path(&card), 1).await;

    // The process dies while LeadLex is approving; LeadLex finishes the approval anyway.
    let app = app.crash_and_restart().await;
    gate.release();

    app.thread_says(root, "Lexi's task is done").await;
    let shown = app.card_shows(&card, "· done").await;
    assert!(shown.contains(&format!("Approved by <@{REP}>")), "{shown}");
    let calls = app.leadlex.requests_to(&approve_path(&card));
    assert_eq!(
        calls.len(),
        2,
        "repeated once, as LeadLex can't be asked whether it landed"
    );
    assert_eq!(
        calls[0].header("idempotency-key"),
        calls[1].header("idempotency-key"),
        "the repeat can be recognised by LeadLex"
    );
}
