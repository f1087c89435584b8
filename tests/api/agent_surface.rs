//! Lexi's DM as an agent surface: suggested prompts when the Messages tab opens (once a day),
//! legacy assistant threads, thread titles, feedback buttons on every answer, and what `/metrics`
//! shows of it all.

use crate::helpers::*;
use lexi_slack::domain::{TeamId, UserId};
use lexi_slack::store::{Store, StoreSettings};
use serde_json::{Value, json};
use std::time::Duration;

pub const DM: &str = "D0DM";
const PROMPTS: &str = "assistant.threads.setSuggestedPrompts";
const TITLE: &str = "assistant.threads.setTitle";

/// The rep opening their DM with Lexi (the Messages tab), as Slack sends it under `agent_view`.
fn messages_tab_opened(event_id: &str) -> Value {
    callback(
        event_id,
        json!({"type": "app_home_opened", "user": REP, "channel": DM, "tab": "messages",
               "event_ts": "1700000900.000100"}),
    )
}

/// The legacy assistant pane opening a thread.
fn assistant_thread_started(event_id: &str, thread_ts: &str) -> Value {
    callback(
        event_id,
        json!({"type": "assistant_thread_started",
               "assistant_thread": {"user_id": REP, "channel_id": DM, "thread_ts": thread_ts,
                                    "context": {"channel_id": CHANNEL, "team_id": TEAM}},
               "event_ts": thread_ts}),
    )
}

/// A message in the rep's DM with Lexi; top level unless `thread_ts` is given.
pub fn direct_message(event_id: &str, ts: &str, thread_ts: Option<&str>, text: &str) -> Value {
    let mut event = json!({"type": "message", "user": REP, "text": text, "ts": ts,
                           "channel": DM, "event_ts": ts, "channel_type": "im", "team": TEAM});
    if let Some(root) = thread_ts {
        event["thread_ts"] = json!(root);
    }
    callback(event_id, event)
}

/// A 👍/👎 click on the answer `message_ts` in `channel`'s thread `root`.
pub fn feedback_click(
    app: &TestApp,
    channel: &str,
    root: &str,
    message_ts: &str,
    value: &str,
) -> Value {
    let name = format!("feedback-{}", next_action_ts().replace('.', "-"));
    app.slack.bind_response_url_channel(&name, channel);
    app.slack.bind_response_url_user(&name, REP);
    let mut click = button_click(
        "lexi_feedback",
        value,
        &app.slack.response_url(&name),
        message_ts,
    );
    click["container"] = json!({"type": "message", "message_ts": message_ts,
                                "channel_id": channel, "thread_ts": root});
    click["channel"] = json!({"id": channel, "name": "lexi"});
    click["actions"][0]["type"] = json!("feedback_buttons");
    click
}

/// The value of one series in a scrape, if present.
pub fn series(scrape: &str, name: &str) -> Option<f64> {
    scrape
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn opening_the_messages_tab_offers_prompts_once_a_day_and_again_after_it() {
    let app = TestApp::spawn().await;
    app.send_event(&messages_tab_opened("EvOpen1")).await;

    let calls = app.slack_calls(PROMPTS, 1).await;
    let body = calls[0].json();
    assert_eq!(body["channel_id"], DM);
    assert!(
        body.get("thread_ts").is_none(),
        "under agent_view a thread_ts makes Slack drop the call: {body}"
    );
    let titles: Vec<&str> = body["prompts"]
        .as_array()
        .expect("prompts")
        .iter()
        .map(|p| p["title"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        titles,
        [
            "Find prospects",
            "Draft a campaign",
            "Follow up with a contact",
            "Pending approvals"
        ]
    );
    let pinned = app.slack.assistant_thread(DM, "").expect("pinned prompts");
    assert_eq!(pinned.prompts.len(), 4);
    assert_eq!(pinned.prompts_title.as_deref(), Some("Try asking Lexi"));

    // Slack retrying the same event, then the rep reopening the tab: nothing more is sent.
    app.send_event(&messages_tab_opened("EvOpen1")).await;
    app.send_event(&messages_tab_opened("EvOpen2")).await;
    scrape_until(&app, "the reopened tab's job", |s| {
        series(
            s,
            "lexi_job_runs_total{kind=\"suggest_prompts\",outcome=\"done\"}",
        ) == Some(2.0)
            && series(s, "lexi_jobs_queued") == Some(0.0)
    })
    .await;
    assert_eq!(app.slack.count(&format!("/api/{PROMPTS}")), 1, "once a day");

    // A day later (the stamp moved back while the bot is stopped), the tab gets them again.
    let (slack, leadlex) = (app.slack.clone(), app.leadlex.clone());
    let dir = app.stop().await;
    {
        let store = Store::open(dir.path(), &StoreSettings::default()).expect("store");
        let (team, rep) = (TeamId::parse(TEAM).unwrap(), UserId::parse(REP).unwrap());
        let offered = store
            .prompts_offered_at(&team, &rep)
            .unwrap()
            .expect("noted");
        let a_day_and_a_minute = (24 * 60 + 1) * 60 * 1000;
        store
            .record_prompts_offered(&team, &rep, offered - a_day_and_a_minute)
            .unwrap();
        store.flush().unwrap();
    }
    let app = TestApp::spawn_with(slack, leadlex, dir).await;
    app.send_event(&messages_tab_opened("EvOpen3")).await;
    app.slack_calls(PROMPTS, 2).await;
}

#[tokio::test]
async fn a_legacy_assistant_thread_gets_the_prompts_in_that_thread() {
    let app = TestApp::spawn().await;
    let (first, second) = ("1700000950.000100", "1700000960.000100");
    app.send_event(&assistant_thread_started("EvThread1", first))
        .await;
    app.send_event(&assistant_thread_started("EvThread2", second))
        .await;

    let calls = app.slack_calls(PROMPTS, 2).await;
    let mut threads: Vec<String> = calls
        .iter()
        .map(|c| {
            c.json()["thread_ts"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    threads.sort();
    assert_eq!(threads, [first, second], "each new thread gets its prompts");
    for thread in [first, second] {
        let shown = app.slack.assistant_thread(DM, thread).expect("prompts");
        assert_eq!(shown.prompts.len(), 4);
    }
    assert!(app.slack.assistant_thread(DM, "").is_none(), "not the tab");

    // Slack roots the legacy thread, so the rep's first message is a reply: it names the thread.
    app.send_event(&direct_message(
        "EvDm1",
        "1700000951.000100",
        Some(first),
        "Which deals close this month?",
    ))
    .await;
    app.bot_replies(DM, first, 1).await;
    let titled = app.slack.assistant_thread(DM, first).expect("the thread");
    assert_eq!(
        titled.title.as_deref(),
        Some("Which deals close this month?")
    );
}

#[tokio::test]
async fn a_new_dm_thread_is_titled_from_its_first_message_only() {
    let app = TestApp::spawn().await;
    let root = "1700001000.000100";
    app.send_event(&direct_message(
        "EvDm1",
        root,
        None,
        "Draft a follow-up for <mailto:jane@acme.law|jane@acme.law> about the renewal &amp; \
         the new\npricing for next year",
    ))
    .await;
    app.bot_replies(DM, root, 1).await;

    let titles = app.slack.requests_to(&format!("/api/{TITLE}"));
    assert_eq!(titles.len(), 1, "titled once");
    let body = titles[0].json();
    assert_eq!(body["channel_id"], DM);
    assert_eq!(body["thread_ts"], root);
    assert_eq!(
        body["title"], "Draft a follow-up for jane@acme.law about the renewal & the…",
        "markup undone, one line, cut at a word within 60 characters"
    );

    // A reply in the thread and a mention in a channel: neither gets a title.
    app.send_event(&direct_message(
        "EvDm2",
        "1700001001.000100",
        Some(root),
        "and Bob?",
    ))
    .await;
    app.bot_replies(DM, root, 2).await;
    let channel_root = "1700001002.000100";
    app.send_event(&mention("EvCh1", channel_root, None, "hello"))
        .await;
    app.bot_replies(CHANNEL, channel_root, 1).await;
    assert_eq!(app.slack.count(&format!("/api/{TITLE}")), 1);

    // `new` starts a fresh conversation in the thread: its first message renames the thread.
    app.send_event(&direct_message(
        "EvDm3",
        "1700001003.000100",
        Some(root),
        "new",
    ))
    .await;
    app.bot_replies(DM, root, 3).await;
    app.send_event(&direct_message(
        "EvDm4",
        "1700001004.000100",
        Some(root),
        "And the Boston pipeline?",
    ))
    .await;
    let titles = app.slack_calls(TITLE, 2).await;
    assert_eq!(titles[1].json()["title"], "And the Boston pipeline?");
}

#[tokio::test]
async fn a_title_slack_refuses_does_not_hold_up_the_answer() {
    let app = TestApp::spawn().await;
    app.slack.refuse_next(TITLE, "not_allowed");
    let root = "1700001100.000100";
    app.send_event(&direct_message(
        "EvDm1",
        root,
        None,
        "who are my best leads?",
    ))
    .await;
    let replies = app.bot_replies(DM, root, 1).await;
    assert_eq!(replies.len(), 1, "{replies:#?}");
    assert!(
        replies[0].contains("[👍] [👎]"),
        "Lexi's answer: {replies:#?}"
    );
    assert_eq!(app.leadlex.count("/v1/lexi/chat"), 1);
    assert_eq!(app.slack.count(&format!("/api/{TITLE}")), 1, "not retried");
}

#[tokio::test]
async fn a_non_streamed_answer_ends_with_the_feedback_buttons_after_its_card() {
    let app = TestApp::spawn().await;
    let root = "1700001200.000100";
    app.send_event(&mention("Ev1", root, None, "who are my best leads?"))
        .await;
    let replies = app.bot_replies(CHANNEL, root, 1).await;
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].matches("[👍] [👎]").count(), 1, "{}", replies[0]);

    let card = app.ask_for_a_search("1700001300.000100").await;
    let message = app
        .slack
        .message(CHANNEL, &card.ts)
        .expect("the card's message");
    let kinds: Vec<String> = message
        .blocks
        .as_ref()
        .and_then(Value::as_array)
        .expect("blocks")
        .iter()
        .map(|b| b["type"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        kinds.first().map(String::as_str),
        Some("markdown"),
        "{kinds:?}"
    );
    assert_eq!(
        kinds.last().map(String::as_str),
        Some("context_actions"),
        "the buttons come last, after the card: {kinds:?}"
    );
    assert!(message.button_value(APPROVE).is_some());
}

#[tokio::test]
async fn metrics_count_feedback_prompts_titles_and_streams() {
    let app = TestApp::spawn_configured(|c| {
        c.streaming = true;
        c.tuning.stream_flush_interval = Duration::from_millis(50);
    })
    .await;
    app.send_event(&messages_tab_opened("EvOpen1")).await;
    app.slack_calls(PROMPTS, 1).await;
    let root = "1700001400.000100";
    app.send_event(&direct_message("EvDm1", root, None, "hello there"))
        .await;
    app.slack_calls("chat.stopStream", 1).await;
    let answer = app
        .slack
        .thread(DM, root)
        .into_iter()
        .find(|m| m.is_bot())
        .expect("an answer");
    let click = feedback_click(&app, DM, root, &answer.ts, "negative");
    assert_eq!(app.click(&click).await.status(), 200);
    app.ephemerals_saying(REP, "Thanks for telling us", 1).await;

    let scrape = scrape_until(&app, "every job counted", |s| {
        series(
            s,
            "lexi_job_runs_total{kind=\"feedback_thanks\",outcome=\"done\"}",
        ) == Some(1.0)
    })
    .await;
    for (name, expected) in [
        ("lexi_feedback_clicks_total{value=\"negative\"}", 1.0),
        (
            "lexi_slack_api_requests_total{method=\"assistant.threads.setSuggestedPrompts\",status=\"ok\"}",
            1.0,
        ),
        (
            "lexi_slack_api_requests_total{method=\"assistant.threads.setTitle\",status=\"ok\"}",
            1.0,
        ),
        (
            "lexi_slack_api_requests_total{method=\"chat.startStream\",status=\"ok\"}",
            1.0,
        ),
        (
            "lexi_slack_api_requests_total{method=\"chat.stopStream\",status=\"ok\"}",
            1.0,
        ),
        (
            "lexi_leadlex_requests_total{endpoint=\"POST /v1/lexi/chat/stream\",status=\"200\"}",
            1.0,
        ),
        (
            "lexi_leadlex_request_duration_seconds_count{endpoint=\"POST /v1/lexi/chat/stream\"}",
            1.0,
        ),
        ("lexi_leadlex_streams_total{outcome=\"completed\"}", 1.0),
        (
            "lexi_leadlex_stream_duration_seconds_count{outcome=\"completed\"}",
            1.0,
        ),
    ] {
        assert_eq!(series(&scrape, name), Some(expected), "{name} in\n{scrape}");
    }
    assert!(scrape.contains("# TYPE lexi_feedback_clicks_total counter"));
    assert!(scrape.contains("# TYPE lexi_leadlex_streams_total counter"));
}
