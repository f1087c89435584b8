//! The fake Slack: auth, the message model, Block Kit validation, streams, response URLs.

use serde_json::{Value, json};

use super::client;
use crate::sim::{BOT_USER_ID, Canned, FakeSlack, render_text};

struct Api {
    slack: FakeSlack,
    http: reqwest::Client,
}

impl Api {
    async fn start() -> Self {
        Self {
            slack: FakeSlack::start().await.unwrap(),
            http: client(),
        }
    }

    async fn call_as(&self, token: &str, method: &str, body: Value) -> Value {
        let resp = self
            .http
            .post(format!("{}/{method}", self.slack.base_url()))
            .header("Authorization", format!("Bearer {token}"))
            .header("Content-Type", "application/json; charset=utf-8")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }

    async fn call(&self, method: &str, body: Value) -> Value {
        self.call_as("xoxb-test", method, body).await
    }

    async fn respond(&self, name: &str, body: Value) -> u16 {
        let resp = self
            .http
            .post(self.slack.response_url(name))
            .json(&body)
            .send()
            .await
            .unwrap();
        resp.status().as_u16()
    }
}

#[tokio::test]
async fn tokens_are_checked_per_method_and_unknown_methods_refused() {
    let api = Api::start().await;
    let post = json!({"channel": "C1", "text": "hi"});
    assert_eq!(
        api.call_as("", "chat.postMessage", post.clone()).await["error"],
        "not_authed"
    );
    let wrong = api.call_as("xapp-1", "chat.postMessage", post).await;
    assert_eq!(wrong["error"], "not_allowed_token_type");
    let me = api.call("auth.test", json!({})).await;
    assert_eq!(
        (me["ok"].clone(), me["user_id"].clone()),
        (json!(true), json!("U0LEXI"))
    );
    let socket = api
        .call_as("xapp-1-abc", "apps.connections.open", json!({}))
        .await;
    let expected = format!("ws://{}/socket", api.slack.addr());
    assert_eq!(socket["url"], expected.as_str());
    assert_eq!(
        api.call("chat.nope", json!({})).await["error"],
        "unknown_method"
    );
    assert_eq!(api.slack.count("chat.postMessage"), 2);
}

#[tokio::test]
async fn thread_replies_and_updates_show_in_the_model() {
    let api = Api::start().await;
    let root = api
        .slack
        .add_user_message("C1", "U1", "<@U0LEXI> hello", None);
    let blocks = json!([{"type": "section", "text": {"type": "mrkdwn", "text": "*Thinking…*"}}]);
    let posted = api
        .call(
            "chat.postMessage",
            json!({"channel": "C1", "thread_ts": root, "text": "Thinking", "blocks": blocks}),
        )
        .await;
    assert_eq!(posted["ok"], true, "{posted}");
    let ts = posted["ts"].as_str().unwrap().to_owned();
    assert!(ts > root, "ts must increase: {ts} vs {root}");
    assert_eq!(posted["message"]["thread_ts"], root.as_str());

    let thread = api.slack.thread("C1", &root);
    assert_eq!(thread.len(), 2);
    assert_eq!(thread[0].ts, root);
    assert_eq!(render_text(&thread[1]), "*Thinking…*");

    let updated = api
        .call(
            "chat.update",
            json!({"channel": "C1", "ts": ts, "text": "Done: **3 deals**"}),
        )
        .await;
    assert_eq!(updated["ok"], true);
    let msg = api.slack.message("C1", &ts).unwrap();
    assert_eq!(
        (msg.text.as_str(), msg.blocks.is_none(), msg.edits),
        ("Done: **3 deals**", true, 1)
    );
    let missing = api
        .call(
            "chat.update",
            json!({"channel": "C1", "ts": "1.2", "text": "x"}),
        )
        .await;
    assert_eq!(missing["error"], "message_not_found");
    let theirs = api
        .call(
            "chat.update",
            json!({"channel": "C1", "ts": root, "text": "x"}),
        )
        .await;
    assert_eq!(theirs["error"], "cant_update_message");

    // Form bodies carry blocks as a JSON string.
    let form = [
        ("channel", "C1"),
        ("blocks", r#"[{"type":"divider"}]"#),
        ("text", "fallback"),
    ];
    let resp = api
        .http
        .post(format!("{}/chat.postMessage", api.slack.base_url()))
        .header("Authorization", "Bearer xoxb-test")
        .form(&form)
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["message"]["blocks"][0]["type"], "divider");
    assert_eq!(
        api.slack.requests_to("chat.postMessage")[1].json()["text"],
        "fallback"
    );
    assert_eq!(api.slack.channel_messages("C1").len(), 3);
}

#[tokio::test]
async fn invalid_content_is_refused_like_slack() {
    let api = Api::start().await;
    let post = |extra: Value| {
        let mut p = json!({"channel": "C1"});
        p.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        api.call("chat.postMessage", p)
    };
    let long = json!([{"type": "section", "text": {"type": "mrkdwn", "text": "x".repeat(3001)}}]);
    let refused = post(json!({"text": "t", "blocks": long})).await;
    assert_eq!(refused["error"], "invalid_blocks");
    let why = refused["response_metadata"]["messages"][0]
        .as_str()
        .unwrap();
    assert!(why.contains("/blocks/0/text/text"), "{why}");
    assert_eq!(post(json!({})).await["error"], "no_text");
    let both = post(json!({"text": "a", "markdown_text": "**b**"})).await;
    assert_eq!(both["error"], "markdown_text_conflict");
    assert_eq!(
        post(json!({"text": "x".repeat(40_001)})).await["error"],
        "msg_too_long"
    );
    let dividers: Vec<Value> = (0..51).map(|_| json!({"type": "divider"})).collect();
    assert_eq!(
        post(json!({"blocks": dividers})).await["error"],
        "invalid_blocks"
    );
    assert!(api.slack.channel_messages("C1").is_empty());
}

#[tokio::test]
async fn ephemerals_reactions_and_assistant_status() {
    let api = Api::start().await;
    let root = api.slack.add_user_message("D1", "U1", "hi", None);
    let status = json!({"channel_id": "D1", "thread_ts": root, "status": "is thinking…"});
    assert_eq!(
        api.call("assistant.threads.setStatus", status).await["ok"],
        true
    );
    assert_eq!(
        api.slack
            .assistant_thread("D1", &root)
            .unwrap()
            .status
            .as_deref(),
        Some("is thinking…")
    );
    let eph = json!({"channel": "D1", "user": "U1", "text": "only you", "thread_ts": root});
    let eph = api.call("chat.postEphemeral", eph).await;
    assert!(eph["message_ts"].is_string());
    assert_eq!(api.slack.ephemerals_for("U1")[0].text, "only you");
    assert_eq!(api.slack.thread("D1", &root).len(), 1);

    let react = json!({"channel": "D1", "timestamp": root, "name": "eyes"});
    assert_eq!(api.call("reactions.add", react.clone()).await["ok"], true);
    assert_eq!(
        api.call("reactions.add", react.clone()).await["error"],
        "already_reacted"
    );
    assert_eq!(
        api.slack.message("D1", &root).unwrap().reactions["eyes"],
        [BOT_USER_ID]
    );
    assert_eq!(
        api.call("reactions.remove", react.clone()).await["ok"],
        true
    );
    assert_eq!(
        api.call("reactions.remove", react).await["error"],
        "no_reaction"
    );

    let reply = json!({"channel": "D1", "thread_ts": root, "text": "answer"});
    api.call("chat.postMessage", reply).await;
    let thread = api.slack.assistant_thread("D1", &root).unwrap();
    assert_eq!(thread.status, None, "a reply clears the status");
    assert_eq!(thread.status_history, ["is thinking…"]);
}

#[tokio::test]
async fn a_stream_grows_one_message_until_stopped() {
    let api = Api::start().await;
    let root = api.slack.add_user_message("C1", "U1", "question", None);
    let start = json!({"channel": "C1", "thread_ts": root, "markdown_text": "Hel"});
    assert_eq!(
        api.call("chat.startStream", start.clone()).await["error"],
        "missing_recipient_user_id"
    );
    let mut start = start;
    start["recipient_user_id"] = json!("U1");
    start["recipient_team_id"] = json!("T0ACME");
    let started = api.call("chat.startStream", start).await;
    let ts = started["ts"].as_str().unwrap().to_owned();
    api.call(
        "chat.appendStream",
        json!({"channel": "C1", "ts": ts, "markdown_text": "lo"}),
    )
    .await;
    assert!(api.slack.message("C1", &ts).unwrap().streaming);
    let blocks = json!([{"type": "context", "elements": [{"type": "mrkdwn", "text": "via Lexi"}]}]);
    let stop = json!({"channel": "C1", "ts": ts, "markdown_text": "!", "blocks": blocks});
    assert_eq!(api.call("chat.stopStream", stop).await["ok"], true);
    let msg = api.slack.message("C1", &ts).unwrap();
    assert_eq!((msg.text.as_str(), msg.streaming), ("Hello!", false));
    let late = json!({"channel": "C1", "ts": ts, "markdown_text": "more"});
    let late = api.call("chat.appendStream", late).await;
    assert_eq!(late["error"], "message_not_in_streaming_state");
}

#[tokio::test]
async fn response_urls_replace_post_and_expire_after_five_uses() {
    let api = Api::start().await;
    let root = api.slack.add_user_message("C1", "U1", "find CEOs", None);
    let card = json!({"channel": "C1", "thread_ts": root, "text": "Approve?",
        "blocks": [{"type": "actions", "elements": [{"type": "button", "action_id": "approve",
            "text": {"type": "plain_text", "text": "Approve"}, "value": "task-1"}]}]});
    let card_ts = api.call("chat.postMessage", card).await["ts"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        render_text(&api.slack.message("C1", &card_ts).unwrap()),
        "[Approve]"
    );
    api.slack.bind_response_url("r1", "C1", &card_ts);
    api.slack.bind_response_url_user("r1", "U1");

    let replace = json!({"replace_original": true, "text": "Approved by <@U1>"});
    assert_eq!(api.respond("r1", replace).await, 200);
    let card = api.slack.message("C1", &card_ts).unwrap();
    assert_eq!(
        (render_text(&card).as_str(), card.thread_ts.as_deref()),
        ("Approved by <@U1>", Some(root.as_str()))
    );

    let public =
        json!({"response_type": "in_channel", "thread_ts": root, "text": "Search started"});
    assert_eq!(api.respond("r1", public).await, 200);
    assert_eq!(
        api.slack.thread("C1", &root).last().unwrap().text,
        "Search started"
    );
    assert_eq!(
        api.respond("r1", json!({"text": "just for you"})).await,
        200
    );
    assert_eq!(api.slack.ephemerals_for("U1")[0].text, "just for you");
    assert_eq!(
        api.respond("r1", json!({"delete_original": true})).await,
        200
    );
    assert!(api.slack.message("C1", &card_ts).is_none());
    assert_eq!(api.respond("r1", json!({"text": "fifth"})).await, 200);
    assert_eq!(api.respond("r1", json!({"text": "sixth"})).await, 404);
    assert_eq!(api.slack.count("/response/r1"), 6);
}

#[tokio::test]
async fn scripted_rate_limits_come_before_the_model() {
    let api = Api::start().await;
    let limited = Canned::slack_error(429, "ratelimited").header("Retry-After", "1");
    api.slack.enqueue("POST", "chat.postMessage", limited);
    let url = format!("{}/chat.postMessage", api.slack.base_url());
    let body = json!({"channel": "C1", "text": "hi"});
    let send = || {
        api.http
            .post(&url)
            .bearer_auth("xoxb-test")
            .json(&body)
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(
        (
            first.status().as_u16(),
            first.headers()["retry-after"].to_str().unwrap()
        ),
        (429, "1")
    );
    let second: Value = send().await.unwrap().json().await.unwrap();
    assert_eq!(second["ok"], true);
    assert_eq!(second["warning"], "missing_charset");
    assert_eq!(api.slack.channel_messages("C1").len(), 1);
}

#[tokio::test]
async fn suggested_prompts_and_titles_are_checked_as_slack_documents_them() {
    let api = Api::start().await;
    let prompt = |n: usize| json!({"title": format!("Prompt {n}"), "message": format!("Ask {n}")});
    let prompts = |n: usize| (0..n).map(prompt).collect::<Vec<_>>();
    let set = |body: Value| api.call("assistant.threads.setSuggestedPrompts", body);

    let five = json!({"channel_id": "D1", "prompts": prompts(5)});
    assert_eq!(
        set(five).await["error"],
        "invalid_arguments",
        "at most four"
    );
    let none = json!({"channel_id": "D1", "prompts": []});
    assert_eq!(set(none).await["error"], "invalid_arguments");
    let half = json!({"channel_id": "D1", "prompts": [{"title": "Only a title"}]});
    assert_eq!(set(half).await["error"], "invalid_arguments");
    assert!(api.slack.assistant_thread("D1", "").is_none());

    let tab = json!({"channel_id": "D1", "prompts": prompts(4), "title": "Try"});
    assert_eq!(set(tab).await["ok"], true);
    let pinned = api
        .slack
        .assistant_thread("D1", "")
        .expect("the tab's prompts");
    assert_eq!(pinned.prompts.len(), 4);
    assert_eq!(pinned.prompts[3]["message"], "Ask 3");
    assert_eq!(pinned.prompts_title.as_deref(), Some("Try"));
    assert_eq!(
        pinned.title, None,
        "the list's heading is not a thread title"
    );

    let root = api.slack.add_user_message("D1", "U1", "hi", None);
    let title = json!({"channel_id": "D1", "thread_ts": root, "title": "hi"});
    assert_eq!(
        api.call("assistant.threads.setTitle", title).await["ok"],
        true
    );
    let untitled = json!({"channel_id": "D1", "thread_ts": root, "title": ""});
    assert_eq!(
        api.call("assistant.threads.setTitle", untitled).await["error"],
        "invalid_arguments"
    );
    let thread = api.slack.assistant_thread("D1", &root).unwrap();
    assert_eq!(thread.title.as_deref(), Some("hi"));
}

#[tokio::test]
async fn feedback_buttons_fit_in_a_context_actions_block_of_five_at_most() {
    let api = Api::start().await;
    let buttons = json!({"type": "feedback_buttons", "action_id": "f",
        "positive_button": {"text": {"type": "plain_text", "text": "👍"}, "value": "positive"},
        "negative_button": {"text": {"type": "plain_text", "text": "👎"}, "value": "negative"}});
    let post = |elements: Vec<Value>| {
        api.call(
            "chat.postMessage",
            json!({"channel": "C1", "text": "answer",
                   "blocks": [{"type": "context_actions", "elements": elements}]}),
        )
    };
    assert_eq!(post(vec![buttons.clone()]).await["ok"], true);
    assert_eq!(post(vec![buttons; 6]).await["error"], "invalid_blocks");
    assert_eq!(post(Vec::new()).await["error"], "invalid_blocks");
}
