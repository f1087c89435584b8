//! Requests that are not Slack's, or not well-formed, are refused and change nothing.

use crate::helpers::*;
use lexi_slack::slack::verify::sign;

async fn assert_untouched(app: &TestApp) {
    // A valid event afterwards is the barrier: it is answered, and it is the only thing LeadLex saw.
    app.send_event(&mention("EvBarrier", "1700009999.000100", None, "barrier"))
        .await;
    app.bot_replies(CHANNEL, "1700009999.000100", 1).await;
    assert_eq!(app.leadlex.count("/v1/lexi/chat"), 1);
}

fn event_body() -> String {
    mention("EvHostile", "1700000200.000100", None, "find 20 CEOs").to_string()
}

async fn post(app: &TestApp, headers: &[(&str, String)], body: impl Into<reqwest::Body>) -> u16 {
    let mut request = reqwest::Client::new().post(app.url("/slack/events"));
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request
        .body(body)
        .send()
        .await
        .expect("answered")
        .status()
        .as_u16()
}

fn signed_headers(body: &str, ts: i64, content_type: &str) -> Vec<(&'static str, String)> {
    vec![
        ("content-type", content_type.to_owned()),
        ("x-slack-request-timestamp", ts.to_string()),
        (
            "x-slack-signature",
            sign(SIGNING_SECRET, ts, body.as_bytes()),
        ),
    ]
}

#[tokio::test]
async fn unsigned_forged_stale_and_future_requests_get_401() {
    let app = TestApp::spawn().await;
    let body = event_body();
    let json = "application/json".to_owned();
    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("no signature headers", vec![("content-type", json.clone())]),
        (
            "no timestamp",
            vec![
                ("content-type", json.clone()),
                (
                    "x-slack-signature",
                    sign(SIGNING_SECRET, now(), body.as_bytes()),
                ),
            ],
        ),
        (
            "no signature",
            vec![
                ("content-type", json.clone()),
                ("x-slack-request-timestamp", now().to_string()),
            ],
        ),
        (
            "wrong secret",
            vec![
                ("content-type", json.clone()),
                ("x-slack-request-timestamp", now().to_string()),
                (
                    "x-slack-signature",
                    sign("not-the-secret", now(), body.as_bytes()),
                ),
            ],
        ),
        (
            "signature for another body",
            vec![
                ("content-type", json.clone()),
                ("x-slack-request-timestamp", now().to_string()),
                (
                    "x-slack-signature",
                    sign(SIGNING_SECRET, now(), b"{\"other\":true}"),
                ),
            ],
        ),
        (
            "replayed after six minutes",
            signed_headers(&body, now() - 360, "application/json"),
        ),
        (
            "from the future",
            signed_headers(&body, now() + 360, "application/json"),
        ),
        (
            "unknown version",
            vec![
                ("content-type", json.clone()),
                ("x-slack-request-timestamp", now().to_string()),
                (
                    "x-slack-signature",
                    sign(SIGNING_SECRET, now(), body.as_bytes()).replace("v0=", "v1="),
                ),
            ],
        ),
    ];
    for (case, headers) in cases {
        assert_eq!(post(&app, &headers, body.clone()).await, 401, "{case}");
    }
    assert_untouched(&app).await;
}

#[tokio::test]
async fn oversized_bodies_get_413_before_any_verification() {
    let app = TestApp::spawn().await;
    let huge = format!("{{\"pad\":\"{}\"}}", "x".repeat(300 * 1024));
    assert_eq!(
        post(
            &app,
            &signed_headers(&huge, now(), "application/json"),
            huge.clone()
        )
        .await,
        413
    );
    // Without Content-Length (chunked), the limit still holds.
    let stream =
        futures_util::stream::iter((0..40).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 10 * 1024])));
    let chunked = reqwest::Body::wrap_stream(stream);
    assert_eq!(
        post(
            &app,
            &signed_headers(&huge, now(), "application/json"),
            chunked
        )
        .await,
        413
    );
    assert_untouched(&app).await;
}

#[tokio::test]
async fn signed_but_malformed_requests_get_400_or_415() {
    let app = TestApp::spawn().await;
    let form = "application/x-www-form-urlencoded";
    let cases: Vec<(&str, String, &str, u16)> = vec![
        ("not JSON", "{not json".into(), "application/json", 400),
        ("JSON of the wrong shape", "[1,2,3]".into(), "application/json", 400),
        ("event without ids", r#"{"type":"event_callback","event":{"type":"app_mention"}}"#.into(), "application/json", 400),
        ("hostile channel id", event_body().replace("C0SALES", "C0/../../x"), "application/json", 400),
        ("form that is neither command nor interaction", "hello=world".into(), form, 400),
        ("interaction payload that is not JSON", "payload=%7Bnope".into(), form, 400),
        ("unknown button", "payload=%7B%22type%22%3A%22block_actions%22%2C%22actions%22%3A%5B%7B%22action_id%22%3A%22rm_rf%22%7D%5D%7D".into(), form, 400),
        ("text/plain", event_body(), "text/plain", 415),
        ("no content type", event_body(), "", 415),
    ];
    for (case, body, content_type, expected) in cases {
        let mut headers = signed_headers(&body, now(), content_type);
        if content_type.is_empty() {
            headers.remove(0);
        }
        assert_eq!(post(&app, &headers, body.clone()).await, expected, "{case}");
    }
    // Invalid UTF-8 in a JSON body.
    let bytes: Vec<u8> = vec![b'{', 0xff, 0xfe, b'}'];
    let ts = now();
    let headers = vec![
        ("content-type", "application/json".to_owned()),
        ("x-slack-request-timestamp", ts.to_string()),
        ("x-slack-signature", sign(SIGNING_SECRET, ts, &bytes)),
    ];
    assert_eq!(post(&app, &headers, bytes).await, 400, "invalid UTF-8");
    assert_untouched(&app).await;
}

#[tokio::test]
async fn ssl_checks_and_rate_limit_notices_are_acknowledged() {
    let app = TestApp::spawn().await;
    let ssl = "ssl_check=1&token=x";
    assert_eq!(
        post(
            &app,
            &signed_headers(ssl, now(), "application/x-www-form-urlencoded"),
            ssl
        )
        .await,
        200
    );
    let limited = r#"{"token":"x","type":"app_rate_limited","team_id":"T0ACME","minute_rate_limited":1518467820,"api_app_id":"A0LEXI"}"#;
    assert_eq!(
        post(
            &app,
            &signed_headers(limited, now(), "application/json"),
            limited
        )
        .await,
        200
    );
    let unknown = callback("EvNew", serde_json::json!({"type": "brand_new_event"})).to_string();
    assert_eq!(
        post(
            &app,
            &signed_headers(&unknown, now(), "application/json"),
            unknown.clone()
        )
        .await,
        200
    );
    assert_untouched(&app).await;
}

#[tokio::test]
async fn a_body_trickled_slower_than_the_request_timeout_is_cut_off_with_408() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn_configured(|c| {
        c.tuning.request_timeout = std::time::Duration::from_millis(500)
    })
    .await;
    let body = event_body();
    let ts = now();
    let mut socket = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /slack/events HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
         x-slack-request-timestamp: {ts}\r\nx-slack-signature: {}\r\ncontent-length: {}\r\n\r\n",
        sign(SIGNING_SECRET, ts, body.as_bytes()),
        body.len()
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    // Half the body, then silence: the server must answer without waiting for the rest.
    socket
        .write_all(&body.as_bytes()[..body.len() / 2])
        .await
        .unwrap();
    let mut answer = vec![0u8; 64];
    let read = tokio::time::timeout(DEADLINE, socket.read(&mut answer))
        .await
        .expect("the server answers a stalled request")
        .unwrap();
    let status_line = String::from_utf8_lossy(&answer[..read]).into_owned();
    assert!(status_line.starts_with("HTTP/1.1 408"), "{status_line}");
    assert_untouched(&app).await;
}
