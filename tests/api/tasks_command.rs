//! `/lexi tasks` lists the workspace's pending tasks with working buttons; other `/lexi` text gets help.

use crate::helpers::*;
use serde_json::json;

#[tokio::test]
async fn pending_tasks_are_listed_with_their_buttons_and_can_be_decided_there() {
    let app = TestApp::spawn().await;
    let task = app.leadlex.add_task(
        "campaign_start",
        "Start the Q3 outreach campaign",
        json!({"campaign_id": "camp-7", "credits": 3}),
    );
    app.slack.bind_response_url_channel("cmd-1", CHANNEL);
    app.slack.bind_response_url_user("cmd-1", REP);

    let response = app
        .slash_command_as(
            REP,
            CHANNEL,
            "/lexi",
            "tasks",
            &app.slack.response_url("cmd-1"),
        )
        .await;
    assert_eq!(response.status(), 200);
    let ack: serde_json::Value = response.json().await.unwrap();
    assert_eq!(ack["response_type"], "ephemeral");
    assert_eq!(ack["text"], "Looking up pending tasks…");

    let listed = app.ephemerals_saying(REP, "waiting for approval", 1).await;
    assert!(
        listed[0].contains("Start the Q3 outreach campaign"),
        "{}",
        listed[0]
    );
    assert!(
        listed[0].contains("Type: *Campaign start*"),
        "{}",
        listed[0]
    );
    assert!(
        listed[0].contains("May cost *3* Lexi credits"),
        "{}",
        listed[0]
    );
    assert!(listed[0].contains("[Approve] [Deny]"), "{}", listed[0]);

    // Approve from the listing: it is replaced, the task leading with who approved it.
    let listing = app.slack.ephemerals_for(REP).remove(0);
    assert_eq!(
        listing.button_value(APPROVE).as_deref(),
        Some(task.as_str())
    );
    app.slack
        .bind_response_url("listing-click", CHANNEL, &listing.ts);
    let click = Click {
        user: REP,
        action_id: APPROVE,
        value: &task,
        channel: CHANNEL,
        message_ts: &listing.ts,
        ephemeral: true,
        response_url: app.slack.response_url("listing-click"),
    };
    assert_eq!(app.click(&click.payload()).await.status(), 200);
    app.leadlex_calls(&format!("/v1/lexi/tasks/{task}/approve"), 1)
        .await;
    let replaced = app.ephemerals_saying(REP, "Approved by", 1).await;
    assert!(replaced[0].starts_with(":clipboard:"), "{}", replaced[0]);
    assert!(
        replaced[0].contains("No Lexi tasks are waiting"),
        "{}",
        replaced[0]
    );

    // No thread: the outcome goes to the channel the command ran in.
    app.until("the outcome in the channel", || {
        app.slack
            .channel_messages(CHANNEL)
            .iter()
            .map(lexi_slack::sim::render_text)
            .find(|t| t.contains("Lexi's task is done:* Start the Q3 outreach campaign"))
    })
    .await;
}

#[tokio::test]
async fn a_task_from_a_thread_keeps_its_requester_when_listed() {
    let app = TestApp::spawn().await;
    let card = app.ask_for_a_search("1700003000.000100").await;
    app.slack.bind_response_url_channel("cmd-2", CHANNEL);
    app.slack.bind_response_url_user("cmd-2", "U0OTHER");

    app.slash_command_as(
        "U0OTHER",
        CHANNEL,
        "/lexi",
        "tasks",
        &app.slack.response_url("cmd-2"),
    )
    .await;
    let listed = app
        .ephemerals_saying("U0OTHER", "waiting for approval", 1)
        .await;
    assert!(
        listed[0].contains(&format!("Asked by <@{REP}>")),
        "{}",
        listed[0]
    );

    // Listing it did not make the other user its requester.
    app.click_card("U0OTHER", APPROVE, &card).await;
    app.ephemerals_saying("U0OTHER", "Only <@U0REP> or an approver", 1)
        .await;
    assert_eq!(app.leadlex.count("/v1/lexi/tasks/*/approve"), 0);
}

#[tokio::test]
async fn other_lexi_subcommands_get_help_that_lists_tasks() {
    let app = TestApp::spawn().await;
    for text in ["", "help", "frobnicate"] {
        let response = app
            .slash_command_as(
                REP,
                CHANNEL,
                "/lexi",
                text,
                &app.slack.response_url("cmd-3"),
            )
            .await;
        assert_eq!(response.status(), 200);
        let help: serde_json::Value = response.json().await.unwrap();
        assert_eq!(help["response_type"], "ephemeral");
        assert!(
            help["text"].as_str().unwrap().contains("`/lexi tasks`"),
            "{help}"
        );
    }
    assert_eq!(app.leadlex.count("/v1/lexi/tasks"), 0);
}

#[tokio::test]
async fn a_failed_decision_in_a_listing_keeps_the_other_tasks_listed() {
    let app = TestApp::spawn().await;
    let first = app
        .leadlex
        .add_task("list_operation", "Merge two lists", json!({}));
    app.leadlex
        .add_task("contact_update", "Update Jane's title", json!({}));
    app.slack.bind_response_url_channel("cmd-4", CHANNEL);
    app.slack.bind_response_url_user("cmd-4", REP);
    app.slash_command_as(
        REP,
        CHANNEL,
        "/lexi",
        "tasks",
        &app.slack.response_url("cmd-4"),
    )
    .await;
    app.ephemerals_saying(REP, "2 Lexi tasks are waiting", 1)
        .await;
    for _ in 0..3 {
        app.leadlex.enqueue(
            "POST",
            "/v1/lexi/tasks/*/approve",
            lexi_slack::sim::Canned::leadlex_error(503, "unavailable", "down"),
        );
    }

    let listing = app.slack.ephemerals_for(REP).remove(0);
    app.slack
        .bind_response_url("listing-click-4", CHANNEL, &listing.ts);
    let click = Click {
        user: REP,
        action_id: APPROVE,
        value: &first,
        channel: CHANNEL,
        message_ts: &listing.ts,
        ephemeral: true,
        response_url: app.slack.response_url("listing-click-4"),
    };
    app.click(&click.payload()).await;
    let shown = app
        .ephemerals_saying(REP, "The task wasn't approved", 1)
        .await;
    assert!(shown[0].starts_with(":clipboard:"), "{}", shown[0]);
    assert!(shown[0].contains("Update Jane's title"), "{}", shown[0]);
    assert_eq!(
        shown[0].matches("[Approve] [Deny]").count(),
        2,
        "{}",
        shown[0]
    );
    assert_eq!(app.leadlex.count("/v1/lexi/tasks/*/approve"), 3);
}

#[tokio::test]
async fn a_listing_whose_response_url_expired_is_posted_ephemerally() {
    let app = TestApp::spawn().await;
    app.leadlex
        .add_task("list_operation", "Merge two lists", json!({}));
    // Slack answers 404 once a response URL has expired.
    app.slack.enqueue(
        "POST",
        "/response/cmd-5",
        lexi_slack::sim::Canned::slack_error(404, "expired_url"),
    );

    app.slash_command_as(
        REP,
        CHANNEL,
        "/lexi",
        "tasks",
        &app.slack.response_url("cmd-5"),
    )
    .await;
    let listed = app.ephemerals_saying(REP, "Merge two lists", 1).await;
    assert!(listed[0].contains("[Approve] [Deny]"), "{}", listed[0]);
    let posted = app.slack_calls("chat.postEphemeral", 1).await;
    assert_eq!(posted[0].json()["user"], REP);
}

#[tokio::test]
async fn a_command_whose_response_url_is_not_slacks_is_refused() {
    let app = TestApp::spawn().await;
    let response = app
        .slash_command_as(
            REP,
            CHANNEL,
            "/lexi",
            "tasks",
            "http://169.254.169.254/latest",
        )
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(app.leadlex.count("/v1/lexi/tasks"), 0);
}
