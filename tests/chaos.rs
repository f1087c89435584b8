//! Crash safety with the real binary: events, approval clicks and `/followups` commands flow in
//! while the bot is `kill -9`ed and restarted on the same DATA_DIR, then what the simulated Slack
//! and LeadLex recorded is checked: every event answered exactly once in its thread, one
//! conversation per thread, repeats carrying the same Idempotency-Key, no task approved or
//! dismissed twice (`chaos/approvals.rs`), every `/followups` answered once through its response
//! URL (`chaos/followups.rs`).
//!
//! CI runs the small version (100 events, 10 threads, 6 approval cards, 8 `/followups`, 3 kills).
//! The full one:
//! `CHAOS_EVENTS=1000 CHAOS_THREADS=100 CHAOS_APPROVALS=30 CHAOS_FOLLOWUPS=40 CHAOS_KILLS=10 cargo test --locked --test chaos -- --nocapture`
//!
//! `CHAOS_STREAMING=off` runs the non-streamed reply instead of streams (the default, `on`, is
//! what ships); `CHAOS_LOG=info` (any `RUST_LOG` filter) shows the bots' logs.

#[path = "chaos/approvals.rs"]
mod approvals;
#[path = "chaos/followups.rs"]
mod followups;
#[path = "chaos/harness.rs"]
mod harness;

use harness::{Bot, Link, Rng, deliver, event, free_port, setting};
use lexi_slack::sim::{FakeLeadLex, FakeSlack, render_text};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

const SECRET: &str = "chaos-signing-secret";
const CHANNEL: &str = "C0CHAOS";
const BOT_USER: &str = "U0LEXI";
/// Who sends every message, click and command.
const REP: &str = "U0REP";
const TEAM: &str = "T0ACME";
/// How long the audits wait for the bot to catch up once the kills are over.
const SETTLE: Duration = Duration::from_secs(120);

/// One event to send: event id, message ts, thread root (for replies), unique token.
type Planned = (String, String, Option<String>, String);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_moments_loses_and_repeats_nothing() {
    let events = setting("CHAOS_EVENTS", 100);
    let threads = setting("CHAOS_THREADS", 10).clamp(1, events);
    let cards = setting("CHAOS_APPROVALS", 6);
    let commands = setting("CHAOS_FOLLOWUPS", 8);
    let kills = setting("CHAOS_KILLS", 3);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as u64
        | 1;
    let seed = setting("CHAOS_SEED", seed as usize) as u64 | 1;
    println!(
        "chaos: {events} events over {threads} threads, {cards} approval cards, \
         {commands} /followups, {kills} kills, seed {seed}"
    );

    let slack = Arc::new(FakeSlack::start().await.expect("fake Slack"));
    let leadlex = Arc::new(FakeLeadLex::start().await.expect("fake LeadLex"));
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

    let plan = plan(events, threads);
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

    let link = Link {
        http: http.clone(),
        port,
        slack: slack.clone(),
        retries: retries.clone(),
    };
    let clicking = tokio::spawn(approvals::ask_and_click(link.clone(), cards));
    let commanding = tokio::spawn(followups::run(link, commands));
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
    let cards = clicking.await.expect("approval clicks");
    let commands = commanding.await.expect("/followups commands");
    sending.store(false, Ordering::Relaxed);
    let killed = killer.await.expect("killer");

    let answers = audit_answers(&slack, &plan).await;
    let conversations = audit_conversations(&leadlex, threads);
    let repeats = audit_repeats(&leadlex);
    let decisions = approvals::audit(&leadlex, &cards).await;
    let followups = followups::audit(&slack, &commands).await;

    println!(
        "chaos result: events={events} threads={threads} kills={killed} slack_retries={} \
         lexi_calls={} repeated_calls={} missing={} duplicated={} dangling_placeholders={} \
         conversations={} orphan_conversations={} {decisions} {followups}",
        retries.load(Ordering::Relaxed),
        repeats.calls,
        repeats.repeats,
        answers.missing.len(),
        answers.duplicated.len(),
        answers.stale,
        leadlex.conversation_ids().len(),
        conversations.orphans,
    );
    assert!(
        answers.missing.is_empty(),
        "events never answered: {:?}",
        answers.missing
    );
    assert!(
        answers.duplicated.is_empty(),
        "events answered twice: {:?}",
        answers.duplicated
    );
    assert!(
        conversations.split_threads.is_empty(),
        "threads with several conversations: {:?}",
        conversations.split_threads
    );
    assert_eq!(
        repeats.keys_reused_for_other_messages, 0,
        "one key per message"
    );
    assert_eq!(
        repeats.repeated_with_a_new_key, 0,
        "a repeated call carried a new Idempotency-Key"
    );
    // The search threads of the approval cards run their own chat jobs too.
    assert_bounds(
        killed,
        threads + cards.len(),
        &answers,
        &conversations,
        &repeats,
    );
    decisions.assert_once();
    followups.assert_once();
    drop(bot);
}

/// Per thread: a root mention, then replies, each with a unique token Lexi's answer quotes.
fn plan(events: usize, threads: usize) -> Vec<Vec<Planned>> {
    let per_thread = events.div_ceil(threads);
    let mut plan: Vec<Vec<Planned>> = Vec::new();
    let mut n = 0;
    for t in 0..threads {
        // Older than any ts the simulated Slack hands out (it counts up from 1700000000), as a
        // user's message is older than the bot's reply to it: the bot reads threads back by ts.
        let root = format!("16990{t:05}.000000");
        let mut thread = Vec::new();
        for m in 0..per_thread {
            if n == events {
                break;
            }
            let ts = format!("16990{t:05}.{m:06}");
            let token = format!("chaos-t{t}-m{m}");
            let parent = (m > 0).then(|| root.clone());
            thread.push((format!("EvChaos{t}x{m}"), ts, parent, token));
            n += 1;
        }
        plan.push(thread);
    }
    plan
}

/// What the threads show of the planned events.
struct Answers {
    missing: Vec<String>,
    duplicated: Vec<String>,
    /// "Lexi is working on it…" placeholders left in the threads.
    stale: usize,
}

/// Every token answered exactly once in its own thread, and no placeholder left waiting: waits
/// until that holds or [`SETTLE`] passes, then says what the threads show.
async fn audit_answers(slack: &FakeSlack, plan: &[Vec<Planned>]) -> Answers {
    let deadline = Instant::now() + SETTLE;
    loop {
        let seen = slack.answers();
        let mut answers = Answers {
            missing: Vec::new(),
            duplicated: Vec::new(),
            stale: 0,
        };
        for (t, thread) in plan.iter().enumerate() {
            let root = format!("16990{t:05}.000000");
            let replies: Vec<String> = slack
                .bot_messages(CHANNEL, &root)
                .iter()
                .map(render_text)
                .collect();
            answers.stale += replies
                .iter()
                .filter(|r| r.contains("working on it"))
                .count();
            for (_, _, _, token) in thread {
                let quoted = format!("\"tell me about {token}\"");
                match replies.iter().filter(|r| r.contains(&quoted)).count() {
                    0 => answers.missing.push(token.clone()),
                    1 => {}
                    _ => answers.duplicated.push(token.clone()),
                }
            }
        }
        let settled = answers.missing.is_empty() && answers.duplicated.is_empty();
        if settled || Instant::now() > deadline {
            return answers;
        }
        slack.answered_beyond(seen, Duration::from_secs(1)).await;
    }
}

/// The conversations the threads sent Lexi.
struct Conversations {
    /// Threads that sent more than one `conversation_id`, with how many.
    split_threads: Vec<(usize, usize)>,
    /// Conversations LeadLex opened beyond one per thread.
    orphans: usize,
}

/// One conversation per thread: every message the bot sent with a conversation id used the
/// thread's one id. (A first message repeated after a crash may make LeadLex open an orphan
/// conversation when it does not de-duplicate on Idempotency-Key; those are counted.)
fn audit_conversations(leadlex: &FakeLeadLex, threads: usize) -> Conversations {
    let thread_of = |message: &str| {
        message
            .split("chaos-t")
            .nth(1)
            .and_then(|rest| rest.split('-').next())
            .and_then(|t| t.parse::<usize>().ok())
    };
    let mut conversations_per_thread: BTreeMap<usize, std::collections::BTreeSet<String>> =
        BTreeMap::new();
    // A streamed ask names its conversation at the top level, a plain one in its context.
    let mut asks = leadlex.requests_to("/v1/lexi/chat");
    asks.extend(leadlex.requests_to("/v1/lexi/chat/stream"));
    for call in asks {
        let body = call.json();
        let id = body["context"]["conversation_id"]
            .as_str()
            .or(body["conversation_id"].as_str());
        let (Some(t), Some(id)) = (body["message"].as_str().and_then(thread_of), id) else {
            continue;
        };
        conversations_per_thread
            .entry(t)
            .or_default()
            .insert(id.to_owned());
    }
    let mut thread_of_conversation: HashMap<String, usize> = HashMap::new();
    let mut chaos_conversations = 0;
    for id in leadlex.conversation_ids() {
        let mut ours = false;
        for message in leadlex.conversation(&id) {
            if let Some(t) = thread_of(&message) {
                ours = true;
                if let Some(other) = thread_of_conversation.insert(id.clone(), t) {
                    assert_eq!(other, t, "conversation {id} mixes threads {other} and {t}");
                }
            }
        }
        chaos_conversations += usize::from(ours);
    }
    Conversations {
        split_threads: conversations_per_thread
            .iter()
            .filter(|(_, ids)| ids.len() > 1)
            .map(|(t, ids)| (*t, ids.len()))
            .collect(),
        orphans: chaos_conversations.saturating_sub(threads),
    }
}

/// LeadLex chat calls repeated by the kills, and whether each repeat kept its key.
struct Repeats {
    calls: usize,
    /// Calls beyond the first for a key.
    repeats: usize,
    /// Messages sent with more than one key (must be 0).
    repeated_with_a_new_key: usize,
    /// Keys sent with more than one message (must be 0).
    keys_reused_for_other_messages: usize,
}

/// LeadLex calls repeated by a crash carry the same key; counts them.
fn audit_repeats(leadlex: &FakeLeadLex) -> Repeats {
    // Streamed (`CHAOS_STREAMING=on`) or not, every ask of Lexi counts.
    let mut chats = leadlex.requests_to("/v1/lexi/chat");
    chats.extend(leadlex.requests_to("/v1/lexi/chat/stream"));
    let mut by_key: HashMap<String, Vec<String>> = HashMap::new();
    let mut keys_by_message: HashMap<String, std::collections::BTreeSet<String>> = HashMap::new();
    for call in &chats {
        let key = call
            .header("idempotency-key")
            .unwrap_or_default()
            .to_owned();
        let message = call.json()["message"].to_string();
        by_key.entry(key.clone()).or_default().push(message.clone());
        keys_by_message.entry(message).or_default().insert(key);
    }
    Repeats {
        calls: chats.len(),
        repeats: by_key.values().map(|v| v.len() - 1).sum(),
        repeated_with_a_new_key: keys_by_message.values().filter(|k| k.len() > 1).count(),
        keys_reused_for_other_messages: by_key
            .values()
            .filter(|messages| messages.windows(2).any(|w| w[0] != w[1]))
            .count(),
    }
}

/// How much a kill may cost: repeated calls, orphan conversations, dangling placeholders.
/// `threads`: the threads with chat jobs, each of which can have one call in flight.
fn assert_bounds(
    killed: usize,
    threads: usize,
    answers: &Answers,
    conversations: &Conversations,
    repeats: &Repeats,
) {
    // Each kill can cut off at most one LeadLex call per job in flight (one per thread).
    assert!(
        repeats.repeats <= killed * threads,
        "{} repeated LeadLex calls for {killed} kills",
        repeats.repeats
    );
    assert!(
        conversations.orphans <= repeats.repeats,
        "{} orphan conversations for {} repeated calls",
        conversations.orphans,
        repeats.repeats
    );
    assert!(
        answers.stale <= repeats.repeats.max(killed) * threads,
        "{} placeholders left",
        answers.stale
    );
}
