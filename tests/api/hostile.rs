//! Property tests through the real router: whatever a signed sender puts in a body, in any of the
//! three shapes, the bot answers with a 2xx or 4xx, never a 5xx, and keeps serving.

use crate::helpers::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Bodies that look like Slack's, with fields swapped for arbitrary values.
fn slackish_json() -> impl Strategy<Value = String> {
    let text = any::<String>();
    let id = "[A-Za-z0-9./_-]{0,12}";
    (
        text,
        id,
        id,
        id,
        prop::sample::select(vec!["app_mention", "message", "url_verification", "x"]),
    )
        .prop_map(|(text, a, b, c, kind)| {
            serde_json::json!({
                "type": "event_callback", "team_id": a, "api_app_id": "A1", "event_id": b,
                "event_time": 1,
                "event": {"type": kind, "user": c, "text": text, "ts": b, "channel": a,
                          "thread_ts": c, "channel_type": "im"},
            })
            .to_string()
        })
}

fn forms() -> impl Strategy<Value = String> {
    (any::<String>(), any::<String>(), prop::sample::select(vec!["/followups", "/lexi", "/other", ""]))
        .prop_map(|(text, payload, command)| {
            let encode = |v: &str| serde_urlencoded::to_string([("v", v)]).unwrap_or_default()[2..].to_owned();
            match payload.len() % 3 {
                0 => format!(
                    "command={}&text={}&team_id=T0ACME&channel_id=C0SALES&user_id=U0REP&response_url={}&trigger_id=1.2",
                    encode(command),
                    encode(&text),
                    encode("https://hooks.slack.com/commands/x")
                ),
                1 => format!("payload={}", encode(&payload)),
                _ => format!(
                    "payload={}",
                    encode(&format!(
                        r#"{{"type":"block_actions","team":{{"id":"T0ACME"}},"user":{{"id":"U0REP"}},"actions":[{{"action_id":"{}","value":"{}"}}]}}"#,
                        text.replace(['"', '\\'], ""),
                        payload.replace(['"', '\\'], "")
                    ))
                ),
            }
        })
}

fn run(strategy: impl Strategy<Value = String>, content_type: &'static str) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let app = runtime.block_on(TestApp::spawn());
    let mut runner = TestRunner::new(Config {
        cases: 200,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&strategy, |body| {
            let status = runtime
                .block_on(app.post_signed(content_type, &body))
                .status();
            prop_assert!(
                status.is_success() || status.is_client_error(),
                "{status} for {body:?}"
            );
            Ok(())
        })
        .expect("no body makes the bot fail");
    // Still serving afterwards.
    let health = runtime.block_on(async { reqwest::get(app.url("/healthz")).await });
    assert_eq!(health.expect("healthz").status(), 200);
    drop(app);
}

#[test]
fn arbitrary_event_bodies_never_make_the_bot_fail() {
    run(slackish_json(), "application/json");
}

#[test]
fn arbitrary_json_text_never_makes_the_bot_fail() {
    run(any::<String>(), "application/json");
}

#[test]
fn arbitrary_commands_and_interactions_never_make_the_bot_fail() {
    run(forms(), "application/x-www-form-urlencoded");
}
