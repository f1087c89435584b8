//! The buttons of `/followups`: pick a contact, share a draft with the channel, discuss with Lexi.

use crate::followups::{SUGGEST, followups, result_of};
use crate::helpers::*;
use lexi_slack::sim::{JANE_DOE_ID, SAM_CARTER_ID, render_text};

/// Runs `/followups text` and waits for the worker's answer to replace the ack. Returns the ts
/// of that ephemeral message and what it shows.
async fn run(app: &TestApp, name: &str, text: &str) -> (String, String) {
    let ack = followups(app, name, text).await;
    let shown = result_of(app, &ack).await;
    (ack.ts, shown)
}

/// Clicks a button of the ephemeral message `ts`; its response URL `name` belongs to that message.
async fn click(app: &TestApp, name: &str, ts: &str, action_id: &str, value: &str) {
    app.slack.bind_response_url(name, CHANNEL, ts);
    app.slack.bind_response_url_user(name, REP);
    let payload = button_click(action_id, value, &app.slack.response_url(name), ts);
    let response = app.click(&payload).await;
    assert_eq!(response.status(), 200, "Slack gets its answer");
}

fn message(app: &TestApp, ts: &str) -> lexi_slack::sim::Message {
    app.slack.message(CHANNEL, ts).expect("the message shows")
}

#[tokio::test]
async fn several_matches_get_a_picker_that_runs_the_command_for_the_chosen_contact() {
    let app = TestApp::spawn().await;
    let (ts, shown) = run(&app, "sam", "Sam --count 4 --days 30").await;
    assert!(shown.contains("Several contacts match *Sam*"), "{shown}");
    assert!(
        shown.contains("Brightline LLP · sam.carter@brightline.law"),
        "{shown}"
    );
    assert!(
        shown.contains("Patel IP Group · sam@patel-ip.com"),
        "{shown}"
    );
    assert!(
        shown.contains("[Sam Carter]") && shown.contains("[Sam Patel]"),
        "{shown}"
    );
    assert_eq!(
        app.leadlex.count(SUGGEST),
        0,
        "nothing spent on an ambiguous name"
    );

    let choice = button_value(&message(&app, &ts), "followups:pick", 0);
    click(&app, "pick", &ts, "followups:pick", &choice).await;
    let calls = app.leadlex_calls(SUGGEST, 1).await;
    assert_eq!(
        calls[0].json(),
        serde_json::json!({"contact_id": SAM_CARTER_ID, "count": 4, "lookback_days": 30})
    );
    let shown = app
        .message_until(CHANNEL, &ts, |s| s.contains("# Follow-ups for Sam Carter"))
        .await;
    assert!(
        !shown.contains("Several contacts match"),
        "the picker is replaced: {shown}"
    );

    // A second click on the same picker (a double click) spends nothing more.
    click(&app, "pick-again", &ts, "followups:pick", &choice).await;
    let (_, barrier) = run(&app, "barrier", JANE_DOE_ID).await;
    assert!(barrier.contains("Jane Doe"));
    assert_eq!(app.leadlex.count(SUGGEST), 2, "Sam once, the barrier once");
}

#[tokio::test]
async fn a_picker_value_that_is_not_a_contact_id_is_refused() {
    let app = TestApp::spawn().await;
    for forged in [
        "Sam",
        "",
        "; rm -rf /",
        &format!("{JANE_DOE_ID} --count 99"),
    ] {
        let payload = button_click(
            "followups:pick",
            forged,
            &app.slack.response_url("p"),
            "1700000000.000100",
        );
        assert_eq!(app.click(&payload).await.status(), 400, "{forged:?}");
    }
    assert!(app.leadlex.requests().is_empty());
}

#[tokio::test]
async fn share_posts_the_draft_to_the_channel_credited_to_the_requester() {
    let app = TestApp::spawn().await;
    let (ts, shown) = run(&app, "share", "jane@acme.law --channels email").await;
    assert!(shown.contains("[Share]"), "{shown}");
    let share = button_value(&message(&app, &ts), "followups:share", 0);
    click(&app, "share-click", &ts, "followups:share", &share).await;

    let posts = app.slack_calls("chat.postMessage", 1).await;
    let post = posts[0].json();
    assert_eq!(post["channel"], CHANNEL);
    assert!(
        post.get("thread_ts").is_none(),
        "a new message in the channel"
    );
    let in_channel = app.slack.channel_messages(CHANNEL);
    assert_eq!(in_channel.len(), 1);
    let seen_by_all = render_text(&in_channel[0]);
    assert!(
        seen_by_all.contains(&format!(
            "Draft shared by <@{REP}> for *Jane Doe (Acme Legal)*"
        )),
        "{seen_by_all}"
    );
    let result = message(&app, &ts);
    let draft_shown_to_rep = render_text(&result);
    let first_line = seen_by_all.lines().nth(1).expect("the draft").to_owned();
    assert!(
        draft_shown_to_rep.contains(&first_line),
        "the draft as previewed: {first_line}"
    );

    // The result now says it was shared, so the same draft isn't posted twice.
    let shown = app
        .message_until(CHANNEL, &ts, |s| s.contains("Shared to the channel"))
        .await;
    assert_eq!(shown.matches("Shared to the channel").count(), 1, "{shown}");
    assert_eq!(
        shown.matches("[Share]").count(),
        2,
        "the other drafts: {shown}"
    );
}

#[tokio::test]
async fn share_and_discuss_refuse_cards_they_dont_know() {
    let app = TestApp::spawn().await;
    let unknown = "9b2d3c4e-1f2a-4b5c-8d6e-7f8091a2b3c4";
    let cases = [
        ("followups:share", format!("{unknown}:0")),
        ("followups:share", "not-a-card:0".to_owned()),
        ("followups:discuss", unknown.to_owned()),
        ("followups:discuss", "../../etc".to_owned()),
        ("followups:nonsense", unknown.to_owned()),
    ];
    for (action, value) in cases {
        let payload = button_click(action, &value, &app.slack.response_url("x"), "1.1");
        assert_eq!(app.click(&payload).await.status(), 400, "{action} {value}");
    }
    assert_eq!(app.slack.count("chat.postMessage"), 0);
}

#[tokio::test]
async fn a_share_click_from_someone_else_or_another_channel_is_refused() {
    let app = TestApp::spawn().await;
    let (ts, _) = run(&app, "mine", "jane@acme.law --channels email").await;
    let share = button_value(&message(&app, &ts), "followups:share", 0);
    let url = app.slack.response_url("other");
    let mut other_user = button_click("followups:share", &share, &url, &ts);
    other_user["user"]["id"] = "U0OTHER".into();
    assert_eq!(app.click(&other_user).await.status(), 400);
    let mut other_channel = button_click("followups:share", &share, &url, &ts);
    other_channel["channel"]["id"] = "C0OTHER".into();
    assert_eq!(app.click(&other_channel).await.status(), 400);
    assert_eq!(app.slack.count("chat.postMessage"), 0);
}

#[tokio::test]
async fn discuss_starts_a_lexi_thread_that_continues_like_any_other() {
    let app = TestApp::spawn().await;
    let (ts, shown) = run(&app, "discuss", "jane@acme.law --count 2").await;
    assert!(shown.contains("[Discuss with Lexi]"), "{shown}");
    let card = button_value(&message(&app, &ts), "followups:discuss", 0);
    click(&app, "discuss-click", &ts, "followups:discuss", &card).await;

    let chat = app.leadlex_calls("/v1/lexi/chat", 1).await;
    let asked = chat[0].json()["message"].as_str().unwrap().to_owned();
    assert!(
        asked.starts_with(
            "Let's discuss follow-ups for Jane Doe (Acme Legal): 3 emails and 1 meeting"
        ),
        "{asked}"
    );
    assert!(asked.contains("Suggested next steps:\n1. "), "{asked}");

    let root = app
        .slack
        .channel_messages(CHANNEL)
        .into_iter()
        .find(|m| m.thread_ts.is_none())
        .expect("the discussion's root message");
    assert!(
        render_text(&root).contains(&format!(
            "<@{REP}> wants to talk through follow-ups for *Jane Doe (Acme Legal)*"
        )),
        "{}",
        render_text(&root)
    );
    let thread = app.bot_replies(CHANNEL, &root.ts, 2).await;
    assert_eq!(
        thread.len(),
        2,
        "the root, then Lexi's answer in its thread: {thread:?}"
    );

    // A plain reply in that thread continues the same Lexi conversation.
    app.send_event(&thread_reply(
        "EvFollow",
        "1700009999.000100",
        &root.ts,
        "draft the email for me",
    ))
    .await;
    let chat = app.leadlex_calls("/v1/lexi/chat", 2).await;
    assert_eq!(app.leadlex.conversation_ids().len(), 1);
    assert_eq!(
        chat[1].json()["context"]["conversation_id"],
        app.leadlex.conversation_ids()[0]
    );
    app.bot_replies(CHANNEL, &root.ts, 3).await;

    // The result shows the discussion started; a second click starts nothing new.
    app.message_until(CHANNEL, &ts, |s| s.contains("discussing these in a thread"))
        .await;
    click(&app, "discuss-again", &ts, "followups:discuss", &card).await;
    let (_, barrier) = run(&app, "barrier", JANE_DOE_ID).await;
    assert!(barrier.contains("Jane Doe"));
    assert_eq!(app.leadlex.count("/v1/lexi/chat"), 2);
    let roots = app
        .slack
        .channel_messages(CHANNEL)
        .into_iter()
        .filter(|m| m.thread_ts.is_none())
        .count();
    assert_eq!(roots, 1);
}

#[tokio::test]
async fn share_where_lexi_is_not_in_the_channel_says_how_to_fix_it_and_can_be_clicked_again() {
    let app = TestApp::spawn().await;
    let (ts, _) = run(&app, "outsider", "jane@acme.law --channels email").await;
    let share = button_value(&message(&app, &ts), "followups:share", 0);
    app.slack.refuse_next("chat.postMessage", "not_in_channel");
    click(&app, "share-refused", &ts, "followups:share", &share).await;
    app.slack
        .wait_for("/response/share-refused", 1, DEADLINE)
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let told = loop {
        let seen = app.slack.answers();
        let told: Vec<String> = app
            .slack
            .ephemerals_for(REP)
            .iter()
            .map(render_text)
            .filter(|t| t.contains("/invite @Lexi"))
            .collect();
        if !told.is_empty() || tokio::time::Instant::now() > deadline {
            break told;
        }
        app.slack.answered_beyond(seen, DEADLINE).await;
    };
    assert_eq!(told.len(), 1, "the rep is told how to fix it");
    assert!(app.slack.channel_messages(CHANNEL).is_empty());

    // Once Lexi is invited, the same button works.
    click(&app, "share-after-invite", &ts, "followups:share", &share).await;
    app.message_until(CHANNEL, &ts, |s| s.contains("Shared to the channel"))
        .await;
    assert_eq!(app.slack.channel_messages(CHANNEL).len(), 1);
}
