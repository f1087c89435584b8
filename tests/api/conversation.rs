//! A Slack thread is a Lexi conversation: asked, answered in the thread, continued, never twice.

use crate::helpers::*;
use serde_json::json;

#[tokio::test]
async fn a_mention_is_sent_to_lexi_and_answered_in_its_thread() {
    let app = TestApp::spawn().await;
    app.send_event(&mention(
        "Ev1",
        "1700000001.000100",
        None,
        "find 20 CEOs at law firms in <#C0NY|new-york> &amp; Boston",
    ))
    .await;

    let calls = app.leadlex_calls("/v1/lexi/chat", 1).await;
    assert_eq!(
        calls[0].json(),
        json!({ "message": "find 20 CEOs at law firms in #new-york & Boston" }),
        "the first message of a thread carries no conversation id and no Slack markup"
    );
    assert_eq!(
        calls[0].header("authorization"),
        Some(format!("Bearer {API_KEY}").as_str())
    );
    assert!(
        calls[0]
            .header("idempotency-key")
            .is_some_and(|k| k.len() >= 32)
    );

    let replies = app.bot_replies(CHANNEL, "1700000001.000100", 1).await;
    assert_eq!(
        replies.len(),
        1,
        "one reply: the placeholder became the answer"
    );
    assert!(
        replies[0].contains("Please approve this task"),
        "Slack shows Lexi's answer: {replies:?}"
    );
    let posts = app.slack_calls("chat.postMessage", 1).await;
    assert_eq!(
        posts[0].json()["thread_ts"],
        "1700000001.000100",
        "the reply is in the thread"
    );
}

#[tokio::test]
async fn a_reply_in_the_thread_continues_the_same_conversation() {
    let app = TestApp::spawn().await;
    let root = "1700000010.000100";
    app.send_event(&mention("Ev1", root, None, "who are my best leads?"))
        .await;
    app.bot_replies(CHANNEL, root, 1).await;
    app.send_event(&thread_reply(
        "Ev2",
        "1700000011.000100",
        root,
        "only the ones in Manhattan",
    ))
    .await;

    let calls = app.leadlex_calls("/v1/lexi/chat", 2).await;
    let conversation = app.leadlex.conversation_ids();
    assert_eq!(conversation.len(), 1, "one conversation for the thread");
    assert_eq!(
        calls[1].json()["context"]["conversation_id"],
        conversation[0]
    );
    assert_eq!(calls[1].json()["message"], "only the ones in Manhattan");
    app.bot_replies(CHANNEL, root, 2).await;
}

#[tokio::test]
async fn chatter_in_threads_lexi_is_not_part_of_is_ignored() {
    let app = TestApp::spawn().await;
    app.send_event(&thread_reply(
        "Ev1",
        "1700000021.000100",
        "1700000020.000100",
        "lunch?",
    ))
    .await;
    // A later message in a Lexi thread is the barrier: the worker handles it after anything queued before.
    app.send_event(&mention("Ev2", "1700000030.000100", None, "hello"))
        .await;
    app.bot_replies(CHANNEL, "1700000030.000100", 1).await;
    assert_eq!(app.leadlex.count("/v1/lexi/chat"), 1);
}

#[tokio::test]
async fn a_retried_event_is_forwarded_to_lexi_once() {
    let app = TestApp::spawn().await;
    let root = "1700000040.000100";
    let event = mention("EvRetry", root, None, "find CTOs in Austin");
    app.send_event(&event).await;
    for retry in ["1", "2", "3"] {
        let response = app
            .post_signed_with(
                "application/json",
                &event.to_string(),
                &[
                    ("x-slack-retry-num", retry),
                    ("x-slack-retry-reason", "http_timeout"),
                ],
            )
            .await;
        assert_eq!(response.status(), 200, "retries are acknowledged");
    }
    app.send_event(&thread_reply(
        "EvBarrier",
        "1700000041.000100",
        root,
        "thanks",
    ))
    .await;
    app.bot_replies(CHANNEL, root, 2).await;
    assert_eq!(
        app.leadlex.count("/v1/lexi/chat"),
        2,
        "the retried event and the barrier, nothing more"
    );
}

#[tokio::test]
async fn a_mention_inside_a_thread_arrives_twice_and_is_answered_once() {
    let app = TestApp::spawn().await;
    let root = "1700000050.000100";
    app.send_event(&mention("EvA", root, None, "start")).await;
    app.bot_replies(CHANNEL, root, 1).await;
    let ts = "1700000051.000100";
    // Slack sends both an app_mention and a message event, with different event ids.
    app.send_event(&mention("EvMention", ts, Some(root), "and in Boston?"))
        .await;
    app.send_event(&thread_reply(
        "EvMessage",
        ts,
        root,
        &format!("<@{BOT_USER}> and in Boston?"),
    ))
    .await;
    app.send_event(&thread_reply("EvBarrier", "1700000052.000100", root, "ok"))
        .await;
    app.bot_replies(CHANNEL, root, 3).await;
    let messages: Vec<_> = app
        .leadlex
        .requests_to("/v1/lexi/chat")
        .iter()
        .map(|r| r.json()["message"].clone())
        .collect();
    assert_eq!(
        messages,
        [json!("start"), json!("and in Boston?"), json!("ok")]
    );
}

#[tokio::test]
async fn two_quick_messages_in_a_new_thread_make_one_conversation_in_order() {
    let app = TestApp::spawn().await;
    let gate = app.leadlex.hold("/v1/lexi/chat");
    let root = "1700000060.000100";
    app.send_event(&mention("Ev1", root, None, "first")).await;
    app.send_event(&mention("Ev2", "1700000061.000100", Some(root), "second"))
        .await;
    app.leadlex_calls("/v1/lexi/chat", 1).await;
    gate.release();

    let calls = app.leadlex_calls("/v1/lexi/chat", 2).await;
    assert_eq!(calls[0].json()["message"], "first");
    assert!(calls[0].json().get("context").is_none());
    assert_eq!(calls[1].json()["message"], "second");
    let ids = app.leadlex.conversation_ids();
    assert_eq!(ids.len(), 1);
    assert_eq!(calls[1].json()["context"]["conversation_id"], ids[0]);
    app.bot_replies(CHANNEL, root, 2).await;
}

#[tokio::test]
async fn direct_messages_are_answered_in_their_own_thread() {
    let app = TestApp::spawn().await;
    let dm = callback(
        "EvDm",
        json!({"type": "message", "user": REP, "text": "draft a follow-up for <mailto:jane@acme.law|jane@acme.law>",
               "ts": "1700000070.000100", "channel": "D0REP", "event_ts": "1700000070.000100", "channel_type": "im"}),
    );
    app.send_event(&dm).await;
    let calls = app.leadlex_calls("/v1/lexi/chat", 1).await;
    assert_eq!(
        calls[0].json()["message"],
        "draft a follow-up for jane@acme.law"
    );
    app.bot_replies("D0REP", "1700000070.000100", 1).await;
}

#[tokio::test]
async fn the_bots_own_messages_and_edits_are_ignored() {
    let app = TestApp::spawn().await;
    let root = "1700000080.000100";
    app.send_event(&mention("Ev1", root, None, "hello")).await;
    app.bot_replies(CHANNEL, root, 1).await;
    let own = callback(
        "EvOwn",
        json!({"type": "message", "user": BOT_USER, "bot_id": "B0LEXI", "text": "Lexi is working on it…",
               "ts": "1700000081.000100", "thread_ts": root, "channel": CHANNEL, "channel_type": "channel"}),
    );
    let edit = callback(
        "EvEdit",
        json!({"type": "message", "subtype": "message_changed", "channel": CHANNEL, "ts": "1700000082.000100",
               "hidden": true, "channel_type": "channel",
               "message": {"type": "message", "user": REP, "text": "edited", "ts": root}}),
    );
    app.send_event(&own).await;
    app.send_event(&edit).await;
    app.send_event(&thread_reply("EvBarrier", "1700000083.000100", root, "ok"))
        .await;
    app.bot_replies(CHANNEL, root, 2).await;
    assert_eq!(app.leadlex.count("/v1/lexi/chat"), 2);
}

#[tokio::test]
async fn a_bare_mention_gets_an_introduction_without_calling_lexi() {
    let app = TestApp::spawn().await;
    app.send_event(&mention("Ev1", "1700000090.000100", None, ""))
        .await;
    let replies = app.bot_replies(CHANNEL, "1700000090.000100", 1).await;
    assert!(replies[0].contains("I'm Lexi"), "{replies:?}");
    assert_eq!(app.leadlex.count("/v1/lexi/chat"), 0);
}

#[tokio::test]
async fn url_verification_is_answered_with_the_challenge() {
    let app = TestApp::spawn().await;
    let body = r#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
    let response = app.post_signed("application/json", body).await;
    assert_eq!(response.status(), 200);
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        answer["challenge"],
        "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    );
}

#[tokio::test]
async fn health_is_reported() {
    let app = TestApp::spawn().await;
    let response = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(response.status(), 200);
    // Ready once the worker runs: wait for it with a deadline (it starts right after the bind).
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let status = reqwest::get(app.url("/readyz")).await.unwrap().status();
        if status == 200 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never ready: {status}"
        );
        tokio::task::yield_now().await;
    }
}
