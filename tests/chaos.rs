//! Crash safety with the real binary: events flow in while the bot is `kill -9`ed and restarted on
//! the same DATA_DIR, then what the simulated Slack and LeadLex recorded is checked: every event
//! answered exactly once in its thread, one conversation per thread, repeats carrying the same
//! Idempotency-Key.
//!
//! CI runs the small version (100 events, 10 threads, 3 kills). The full one:
//! `CHAOS_EVENTS=1000 CHAOS_THREADS=100 CHAOS_KILLS=10 cargo test --release --locked --test chaos -- --nocapture`

use lexi_slack::sim::{FakeLeadLex, FakeSlack, render_text};
use lexi_slack::slack::verify::sign;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

const SECRET: &str = "chaos-signing-secret";
const CHANNEL: &str = "C0CHAOS";
const BOT_USER: &str = "U0LEXI";

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A tiny deterministic generator, so a failing run can be replayed from its printed seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// One event to send: event id, message ts, thread root (for replies), unique token.
type Planned = (String, String, Option<String>, String);

struct Bot {
    child: Option<Child>,
    port: u16,
    dir: std::path::PathBuf,
    slack_url: String,
    leadlex_url: String,
}

impl Bot {
    fn start(&mut self) {
        let child = Command::new(env!("CARGO_BIN_EXE_lexi-slack"))
            .arg("serve")
            .env_clear()
            .env("SLACK_SIGNING_SECRET", SECRET)
            .env("SLACK_BOT_TOKEN", "xoxb-chaos")
            .env("LEADLEX_API_KEY", "wbk_chaos")
            .env("SLACK_API_URL", &self.slack_url)
            .env("LEADLEX_API_URL", &self.leadlex_url)
            .env("LISTEN_ADDR", format!("127.0.0.1:{}", self.port))
            .env("DATA_DIR", &self.dir)
            // One user sends every event here, far past the request caps on purpose.
            .env("LEXI_USER_CALLS_PER_MINUTE", "0")
            .env("LEXI_TEAM_CALLS_PER_MINUTE", "0")
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the bot binary starts");
        self.child = Some(child);
    }

    /// SIGKILL: no shutdown, no flush, as a crash.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    async fn wait_ready(&self, http: &reqwest::Client) {
        let url = format!("http://127.0.0.1:{}/readyz", self.port);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(r) = http.get(&url).send().await {
                if r.status() == 200 {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the bot did not become ready after a restart");
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("bound").port()
}

fn event(event_id: &str, ts: &str, thread_ts: Option<&str>, text: &str) -> Value {
    let mut inner = json!({
        "type": "app_mention", "user": "U0REP", "text": format!("<@{BOT_USER}> {text}"),
        "ts": ts, "channel": CHANNEL, "event_ts": ts, "team": "T0ACME",
    });
    if let Some(root) = thread_ts {
        inner["thread_ts"] = json!(root);
    }
    json!({
        "token": "x", "team_id": "T0ACME", "api_app_id": "A0LEXI", "type": "event_callback",
        "event_id": event_id, "event_time": 1, "event": inner,
        "authorizations": [{"team_id": "T0ACME", "user_id": BOT_USER, "is_bot": true}],
    })
}

/// Sends one event until Slack would consider it delivered (a 200), retrying as Slack does
/// while the bot is down.
async fn deliver(http: &reqwest::Client, port: u16, body: &str, retries: &AtomicUsize) {
    let url = format!("http://127.0.0.1:{port}/slack/events");
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut attempt = 0;
    loop {
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs() as i64;
        let mut request = http
            .post(&url)
            .header("content-type", "application/json")
            .header("x-slack-request-timestamp", ts.to_string())
            .header("x-slack-signature", sign(SECRET, ts, body.as_bytes()))
            .body(body.to_owned());
        if attempt > 0 {
            request = request.header("x-slack-retry-num", attempt.to_string());
        }
        match request.send().await {
            Ok(r) if r.status() == 200 => return,
            _ => {
                attempt += 1;
                retries.fetch_add(1, Ordering::Relaxed);
                assert!(Instant::now() < deadline, "an event was never accepted");
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_moments_loses_and_repeats_nothing() {
    let events = setting("CHAOS_EVENTS", 100);
    let threads = setting("CHAOS_THREADS", 10).clamp(1, events);
    let kills = setting("CHAOS_KILLS", 3);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as u64
        | 1;
    let seed = setting("CHAOS_SEED", seed as usize) as u64 | 1;
    println!("chaos: {events} events over {threads} threads, {kills} kills, seed {seed}");

    let slack = FakeSlack::start().await.expect("fake Slack");
    let leadlex = FakeLeadLex::start().await.expect("fake LeadLex");
    let dir = tempfile::tempdir().expect("temp dir");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("client");
    let bot = Arc::new(Mutex::new(Bot {
        child: None,
        port: free_port(),
        dir: dir.path().to_owned(),
        slack_url: slack.base_url(),
        leadlex_url: leadlex.base_url(),
    }));
    let port = {
        let mut b = bot.lock().await;
        b.start();
        b.wait_ready(&http).await;
        b.port
    };

    // Per thread: a root mention, then replies, each with a unique token Lexi's answer quotes.
    let per_thread = events.div_ceil(threads);
    let mut plan: Vec<Vec<Planned>> = Vec::new();
    let mut n = 0;
    for t in 0..threads {
        let root = format!("17100{t:05}.000000");
        let mut thread = Vec::new();
        for m in 0..per_thread {
            if n == events {
                break;
            }
            let ts = format!("17100{t:05}.{m:06}");
            let token = format!("chaos-t{t}-m{m}");
            let parent = (m > 0).then(|| root.clone());
            thread.push((format!("EvChaos{t}x{m}"), ts, parent, token));
            n += 1;
        }
        plan.push(thread);
    }

    let retries = Arc::new(AtomicUsize::new(0));
    let sending = Arc::new(AtomicBool::new(true));
    let killer = {
        let bot = bot.clone();
        let http = http.clone();
        let sending = sending.clone();
        tokio::spawn(async move {
            let mut rng = Rng(seed);
            let mut done = 0;
            while done < kills {
                // Random moments: while events are arriving, and some after, with jobs in flight.
                tokio::time::sleep(Duration::from_millis(30 + rng.below(250))).await;
                let mut b = bot.lock().await;
                b.kill();
                b.start();
                b.wait_ready(&http).await;
                done += 1;
                if !sending.load(Ordering::Relaxed) && done >= kills {
                    break;
                }
            }
            done
        })
    };

    let senders: Vec<_> = plan
        .iter()
        .cloned()
        .map(|thread| {
            let http = http.clone();
            let retries = retries.clone();
            tokio::spawn(async move {
                for (event_id, ts, parent, token) in thread {
                    let body = event(
                        &event_id,
                        &ts,
                        parent.as_deref(),
                        &format!("tell me about {token}"),
                    )
                    .to_string();
                    deliver(&http, port, &body, &retries).await;
                }
            })
        })
        .collect();
    for s in senders {
        s.await.expect("sender");
    }
    sending.store(false, Ordering::Relaxed);
    let killed = killer.await.expect("killer");

    // Every token answered exactly once in its own thread, and no placeholder left waiting.
    let deadline = Instant::now() + Duration::from_secs(120);
    let (missing, duplicated, stale) = loop {
        let seen = slack.answers();
        let mut missing = Vec::new();
        let mut duplicated = Vec::new();
        let mut stale = 0;
        for (t, thread) in plan.iter().enumerate() {
            let root = format!("17100{t:05}.000000");
            let replies: Vec<String> = slack
                .thread(CHANNEL, &root)
                .iter()
                .filter(|m| m.user == BOT_USER || m.bot_id.is_some())
                .map(render_text)
                .collect();
            stale += replies
                .iter()
                .filter(|r| r.contains("working on it"))
                .count();
            for (_, _, _, token) in thread {
                let quoted = format!("\"tell me about {token}\"");
                match replies.iter().filter(|r| r.contains(&quoted)).count() {
                    0 => missing.push(token.clone()),
                    1 => {}
                    _ => duplicated.push(token.clone()),
                }
            }
        }
        if (missing.is_empty() && duplicated.is_empty()) || Instant::now() > deadline {
            break (missing, duplicated, stale);
        }
        slack.answered_beyond(seen, Duration::from_secs(1)).await;
    };

    // One conversation per thread: every message the bot sent with a conversation id used the
    // thread's one id. (A first message repeated after a crash may make LeadLex open an orphan
    // conversation when it does not de-duplicate on Idempotency-Key; those are counted below.)
    let thread_of = |message: &str| {
        message
            .split("chaos-t")
            .nth(1)
            .and_then(|rest| rest.split('-').next())
            .and_then(|t| t.parse::<usize>().ok())
    };
    let mut conversations_per_thread: BTreeMap<usize, std::collections::BTreeSet<String>> =
        BTreeMap::new();
    for call in leadlex.requests_to("/v1/lexi/chat") {
        let body = call.json();
        let (Some(t), Some(id)) = (
            body["message"].as_str().and_then(thread_of),
            body["context"]["conversation_id"].as_str(),
        ) else {
            continue;
        };
        conversations_per_thread
            .entry(t)
            .or_default()
            .insert(id.to_owned());
    }
    let mut thread_of_conversation: HashMap<String, usize> = HashMap::new();
    for id in leadlex.conversation_ids() {
        for message in leadlex.conversation(&id) {
            if let Some(t) = thread_of(&message) {
                if let Some(other) = thread_of_conversation.insert(id.clone(), t) {
                    assert_eq!(other, t, "conversation {id} mixes threads {other} and {t}");
                }
            }
        }
    }
    let split_threads: Vec<_> = conversations_per_thread
        .iter()
        .filter(|(_, ids)| ids.len() > 1)
        .map(|(t, ids)| (*t, ids.len()))
        .collect();
    let orphans = leadlex.conversation_ids().len().saturating_sub(threads);

    // LeadLex calls repeated by a crash carry the same key; count them.
    let chats = leadlex.requests_to("/v1/lexi/chat");
    let mut by_key: HashMap<String, Vec<String>> = HashMap::new();
    for call in &chats {
        let key = call
            .header("idempotency-key")
            .unwrap_or_default()
            .to_owned();
        by_key
            .entry(key)
            .or_default()
            .push(call.json()["message"].to_string());
    }
    let repeats: usize = by_key.values().map(|v| v.len() - 1).sum();
    let mut keys_by_message: HashMap<String, std::collections::BTreeSet<String>> = HashMap::new();
    for call in &chats {
        keys_by_message
            .entry(call.json()["message"].to_string())
            .or_default()
            .insert(
                call.header("idempotency-key")
                    .unwrap_or_default()
                    .to_owned(),
            );
    }
    let repeated_with_a_new_key = keys_by_message.values().filter(|k| k.len() > 1).count();
    let keys_reused_for_other_messages = by_key
        .values()
        .filter(|messages| messages.windows(2).any(|w| w[0] != w[1]))
        .count();

    println!(
        "chaos result: events={events} threads={threads} kills={killed} slack_retries={} \
         lexi_calls={} repeated_calls={repeats} missing={} duplicated={} dangling_placeholders={stale} \
         conversations={} orphan_conversations={orphans}",
        retries.load(Ordering::Relaxed),
        chats.len(),
        missing.len(),
        duplicated.len(),
        leadlex.conversation_ids().len(),
    );
    assert!(missing.is_empty(), "events never answered: {missing:?}");
    assert!(
        duplicated.is_empty(),
        "events answered twice: {duplicated:?}"
    );
    assert!(
        split_threads.is_empty(),
        "threads with several conversations: {split_threads:?}"
    );
    assert_eq!(keys_reused_for_other_messages, 0, "one key per message");
    assert_eq!(
        repeated_with_a_new_key, 0,
        "a repeated call carried a new Idempotency-Key"
    );
    // Each kill can cut off at most one LeadLex call per job in flight (one per thread).
    assert!(
        repeats <= killed * threads,
        "{repeats} repeated LeadLex calls for {killed} kills"
    );
    assert!(
        orphans <= repeats,
        "{orphans} orphan conversations for {repeats} repeated calls"
    );
    assert!(
        stale <= repeats.max(killed) * threads,
        "{stale} placeholders left"
    );
    drop(bot);
}
