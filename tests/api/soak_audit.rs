//! What the fault soak checks, read from what the fakes recorded: one function per property.

use crate::helpers::*;
use lexi_slack::bot::RetryPolicy;
use lexi_slack::sim::{FakeLeadLex, FaultKind, Recorded, render_text};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

/// One message the soak sent.
#[derive(Debug, Clone)]
pub(crate) struct Sent {
    pub root: String,
    pub token: String,
    pub at: Instant,
}

/// The unique word message `m` of thread `t` carries; Lexi's answer quotes it. Fixed width, so
/// no token is the prefix of another.
pub(crate) fn token(t: usize, m: usize) -> String {
    format!("soak-t{t:04}-m{m:04}")
}

const TOKEN_LEN: usize = "soak-t0000-m0000".len();
const ASKED: &str = "tell me about ";

/// The token a text quotes after "tell me about ", if any.
fn quoted_tokens(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices(ASKED).filter_map(|(i, _)| {
        let start = i + ASKED.len();
        text.get(start..start + TOKEN_LEN)
            .filter(|t| t.starts_with("soak-t"))
    })
}

/// What the threads show.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// Messages answered (each exactly once, or it is in `duplicated`).
    pub answered: usize,
    pub duplicated: Vec<String>,
    /// Messages without an answer…
    pub missing: BTreeSet<String>,
    /// …of which this many were explained by a notice in their thread…
    pub told: usize,
    /// …and these were not: lost.
    pub lost: Vec<String>,
    /// "Working on it" or "will keep trying" messages still showing.
    pub placeholders: usize,
    /// What the notices said (each different text once), to tell what went wrong.
    pub notices: BTreeSet<String>,
    /// Bot messages that are neither an answer, a notice nor a placeholder (a partial answer
    /// left showing, say), with their thread.
    pub garbled: Vec<(String, String)>,
}

/// What a notice that stands for an answer says: LeadLex is named, or when to try again.
fn is_notice(reply: &str) -> bool {
    reply.contains("LeadLex") || reply.contains("try again") || reply.contains("Lexi couldn't")
}

impl Tally {
    fn settled(&self) -> bool {
        self.lost.is_empty() && self.placeholders == 0 && self.garbled.is_empty()
    }
}

fn tally(app: &TestApp, sent: &[Sent]) -> Tally {
    let mut by_thread: BTreeMap<&str, Vec<&Sent>> = BTreeMap::new();
    for s in sent {
        by_thread.entry(s.root.as_str()).or_default().push(s);
    }
    let mut out = Tally::default();
    for (root, messages) in by_thread {
        let mut answers: HashMap<String, usize> = HashMap::new();
        let mut notices = 0;
        for reply in app
            .slack
            .bot_messages(CHANNEL, root)
            .iter()
            .map(render_text)
        {
            if reply.contains("working on it") || reply.contains("keep trying") {
                out.placeholders += 1;
                continue;
            }
            let quoted: Vec<&str> = quoted_tokens(&reply).collect();
            if quoted.is_empty() && is_notice(&reply) {
                notices += 1;
                out.notices.insert(reply.clone());
            } else if quoted.is_empty() {
                out.garbled.push((root.to_owned(), reply.clone()));
            }
            for t in quoted {
                *answers.entry(t.to_owned()).or_default() += 1;
            }
        }
        let mut missing = Vec::new();
        for s in messages {
            match answers.get(&s.token).copied().unwrap_or(0) {
                0 => missing.push(s.token.clone()),
                1 => out.answered += 1,
                _ => {
                    out.answered += 1;
                    out.duplicated.push(s.token.clone());
                }
            }
        }
        out.told += notices.min(missing.len());
        out.lost.extend(missing.iter().skip(notices).cloned());
        out.missing.extend(missing);
    }
    out
}

/// Waits until every message is answered or explained and no placeholder is left (or the
/// deadline passes), re-checking whenever the fake Slack answers something.
pub(crate) async fn settle(app: &TestApp, sent: &[Sent], deadline: Duration) -> Tally {
    let until = tokio::time::Instant::now() + deadline;
    loop {
        let seen = app.slack.answers();
        let now = tally(app, sent);
        if now.settled() || tokio::time::Instant::now() > until {
            return now;
        }
        // Bounded, so a job finishing with nothing left for Slack to answer is noticed too.
        app.slack
            .answered_beyond(seen, Duration::from_millis(200))
            .await;
    }
}

/// LeadLex calls by `Idempotency-Key`, each in arrival order.
pub(crate) fn attempts_by_key(calls: &[Recorded]) -> BTreeMap<String, Vec<Recorded>> {
    let mut by_key: BTreeMap<String, Vec<Recorded>> = BTreeMap::new();
    for call in calls {
        let key = call
            .header("idempotency-key")
            .unwrap_or_default()
            .to_owned();
        by_key.entry(key).or_default().push(call.clone());
    }
    by_key
}

/// How the gaps between tries of one key compare with the retry schedule.
#[derive(Debug)]
pub(crate) struct Gaps {
    /// Gaps shorter than the backoff the schedule prescribes for that retry.
    pub too_short: Vec<String>,
    /// The median gap (ms) before the 1st, 2nd, … retry after a fast failure (an error status,
    /// a reset, a bad body: not a timeout or a 429, whose waits are not the backoff's), over
    /// every key retried that often.
    pub median_ms_by_retry: Vec<u64>,
    /// Whether those medians grow: never shrinking by more than scheduling noise from one retry
    /// to the next while the schedule's waits double, and at least four times the first (or the
    /// schedule's first wait plus noise, if less) by the last retry enough keys reached.
    pub grows: bool,
}

/// Enough keys retried this often for their median to mean something.
const SAMPLES: usize = 5;
/// Scheduling noise allowed between two medians.
const NOISE: Duration = Duration::from_millis(15);

/// The gap after try `i` (0-based) is at least the schedule's wait for it: the job has failed at
/// least `i` times by then, and its waits only grow. A 429 makes the server's word the wait, at
/// least 100 ms. Timer and clock rounding are allowed 2 ms.
pub(crate) fn backoff(attempts: &BTreeMap<String, Vec<Recorded>>, retry: &RetryPolicy) -> Gaps {
    let mut too_short = Vec::new();
    let mut fast: Vec<Vec<Duration>> = Vec::new();
    for (key, tries) in attempts {
        for (i, pair) in tries.windows(2).enumerate() {
            let gap = pair[1].at.duration_since(pair[0].at);
            let rate_limited = matches!(
                pair[0].fault,
                Some(FaultKind::RateLimitReset | FaultKind::RetryAfter)
            );
            let floor = if rate_limited {
                Duration::from_millis(100)
            } else {
                retry.delay(i as u32, None)
            };
            if gap + Duration::from_millis(2) < floor {
                too_short.push(format!("{key} retry {}: {gap:?} < {floor:?}", i + 1));
            }
            let slow = matches!(pair[0].fault, None | Some(FaultKind::Timeout)) || rate_limited;
            if !slow {
                if fast.len() <= i {
                    fast.resize(i + 1, Vec::new());
                }
                fast[i].push(gap);
            }
        }
    }
    let sampled: Vec<Duration> = fast
        .iter_mut()
        .take_while(|gaps| gaps.len() >= SAMPLES)
        .map(|gaps| {
            gaps.sort();
            gaps[gaps.len() / 2]
        })
        .collect();
    // Up to the cap the schedule's waits double, so the medians must not shrink by more than
    // noise; at the cap they are flat and may wander either way.
    let never_shrinks = sampled
        .windows(2)
        .enumerate()
        .filter(|(i, _)| retry.delay(*i as u32 + 1, None) > retry.delay(*i as u32, None))
        .all(|(_, m)| m[1] + NOISE >= m[0]);
    // The first retry's median is the one load inflates most (a 20 ms wait plus the scheduler's
    // delay), so it counts for no more than the schedule's first wait plus noise: on a busy
    // machine the medians still grow, from a first one that no longer reflects the schedule.
    let grew = match (sampled.first(), sampled.get(2..).and_then(<[_]>::last)) {
        (Some(first), Some(last)) => *last >= (*first).min(retry.delay(0, None) + NOISE) * 4,
        _ => true,
    };
    Gaps {
        too_short,
        median_ms_by_retry: sampled.iter().map(|d| d.as_millis() as u64).collect(),
        grows: never_shrinks && grew,
    }
}

/// How the bot came back after the outage, timed from its end by the fakes' clocks.
#[derive(Debug)]
pub(crate) struct Recovery {
    /// Until the first LeadLex call that got an answer.
    pub first_answer_from_leadlex: Duration,
    /// Until the messages sent before the outage ended were answered in their threads: half of
    /// them, 95% of them, all of them.
    pub backlog_p50: Duration,
    pub backlog_p95: Duration,
    pub backlog_all: Duration,
}

/// Each message's answer time is the arrival of the Slack call that showed it.
pub(crate) fn recovery(app: &TestApp, sent: &[Sent], outage_off: Instant) -> Recovery {
    let mut shown: HashMap<String, Instant> = HashMap::new();
    for call in app.slack.requests() {
        let shows = [
            "/chat.update",
            "/chat.postMessage",
            "/chat.startStream",
            "/chat.appendStream",
            "/chat.stopStream",
        ]
        .iter()
        .any(|method| call.path.ends_with(method));
        if !shows || call.fault.is_some() {
            continue;
        }
        let text = call.text();
        for t in quoted_tokens(&text) {
            shown.entry(t.to_owned()).or_insert(call.at);
        }
    }
    let mut backlog: Vec<Duration> = sent
        .iter()
        .filter(|s| s.at <= outage_off)
        .filter_map(|s| shown.get(&s.token))
        .map(|at| at.saturating_duration_since(outage_off))
        .collect();
    backlog.sort();
    let share = |q: f64| {
        let i = ((backlog.len() as f64 * q).ceil() as usize).clamp(1, backlog.len().max(1)) - 1;
        backlog.get(i).copied().unwrap_or_default()
    };
    let first_answer_from_leadlex = asks(&app.leadlex)
        .iter()
        .filter(|r| r.fault.is_none() && r.at >= outage_off)
        .map(|r| r.at.duration_since(outage_off))
        .min()
        .unwrap_or_default();
    Recovery {
        first_answer_from_leadlex,
        backlog_p50: share(0.5),
        backlog_p95: share(0.95),
        backlog_all: backlog.last().copied().unwrap_or_default(),
    }
}

/// Every message to Lexi: plain calls and streams.
pub(crate) fn asks(leadlex: &FakeLeadLex) -> Vec<Recorded> {
    let mut asks = leadlex.requests_to("/v1/lexi/chat");
    asks.extend(leadlex.requests_to("/v1/lexi/chat/stream"));
    asks.sort_by_key(|r| r.at);
    asks
}

/// Threads that sent Lexi more than one `conversation_id`, with how many.
pub(crate) fn threads_with_several_conversations(chats: &[Recorded]) -> Vec<(String, usize)> {
    let mut ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for call in chats {
        let body = call.json();
        // A stream names it at the top level, a plain call in its context.
        let id = body["context"]["conversation_id"]
            .as_str()
            .or(body["conversation_id"].as_str());
        let (Some(message), Some(id)) = (body["message"].as_str(), id) else {
            continue;
        };
        if let Some(t) = quoted_tokens(message).next() {
            let thread = t[..11].to_owned();
            ids.entry(thread).or_default().insert(id.to_owned());
        }
    }
    ids.into_iter()
        .filter(|(_, ids)| ids.len() > 1)
        .map(|(t, ids)| (t, ids.len()))
        .collect()
}
