//! Which events were sent, acked and answered in their thread, and how long each answer took:
//! fed by the load generator (sends, acks) and by the counting Slack's tap (replies).

use crate::event::seq_of_thread;
use crate::load::{Percentiles, histogram};
use hdrhistogram::Histogram;
use lexi_slack::sim::{SlackCall, SlackTap};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::time::Instant;

/// Which Slack call carries a system's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
pub enum ReplyCall {
    /// The answer replaces a placeholder posted first (lexi-slack).
    #[value(name = "chat.update")]
    Update,
    /// The answer is posted in the thread (the Bolt apps).
    #[value(name = "chat.postMessage")]
    PostMessage,
    /// lexi-slack as shipped: the answer is posted in the thread, unless Lexi took long enough
    /// for a "working on it" placeholder to go up first; then it is the `chat.update` of that.
    #[value(name = "answer")]
    Answer,
}

/// The notification text of lexi-slack's placeholder (`slack::render::working`).
const PLACEHOLDER_TEXT: &str = "Lexi is working on it…";

pub struct Tracker {
    epoch: Instant,
    reply: ReplyCall,
    next_seq: AtomicU64,
    inner: Mutex<Inner>,
}

/// One phase's bookkeeping; `begin_phase` starts a new one.
struct Inner {
    base: u64,
    /// By `seq - base`: nanoseconds since `epoch` of the send, 0 if not sent.
    sent_ns: Vec<u64>,
    acked: Vec<bool>,
    replied: Vec<bool>,
    e2e: Histogram<u64>,
    acked_count: u64,
    replies_to_acked: u64,
    replies_to_unacked: u64,
    duplicates: u64,
    /// Replies to events of an earlier phase, or not ours.
    strays: u64,
    last_reply_ns: u64,
    /// chat.update systems: placeholder ts → event seq.
    placeholders: HashMap<String, u64>,
}

/// A phase's reply numbers.
#[derive(Debug, Clone, Serialize)]
pub struct Replies {
    pub acked: u64,
    pub replied: u64,
    /// Acked events still without their answer.
    pub missing: u64,
    pub replies_to_unacked: u64,
    pub duplicates: u64,
    pub strays: u64,
    /// From the event's send to the answer's arrival at the fake Slack.
    pub e2e_ms: Percentiles,
}

impl Tracker {
    pub fn new(reply: ReplyCall) -> Arc<Self> {
        Arc::new(Self {
            epoch: Instant::now(),
            reply,
            next_seq: AtomicU64::new(1),
            inner: Mutex::new(Inner {
                base: 1,
                sent_ns: Vec::new(),
                acked: Vec::new(),
                replied: Vec::new(),
                e2e: histogram(),
                acked_count: 0,
                replies_to_acked: 0,
                replies_to_unacked: 0,
                duplicates: 0,
                strays: 0,
                last_reply_ns: 0,
                placeholders: HashMap::new(),
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts counting a new phase: earlier events' late replies become strays.
    pub fn begin_phase(&self) {
        let base = self.next_seq.load(Ordering::SeqCst);
        let mut inner = self.lock();
        inner.base = base;
        inner.sent_ns.clear();
        inner.acked.clear();
        inner.replied.clear();
        inner.e2e.reset();
        inner.acked_count = 0;
        inner.replies_to_acked = 0;
        inner.replies_to_unacked = 0;
        inner.duplicates = 0;
        inner.strays = 0;
        inner.last_reply_ns = 0;
    }

    pub fn next_seq(&self) -> u64 {
        self.next_seq.fetch_add(1, Ordering::SeqCst)
    }

    fn ns(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.epoch).as_nanos() as u64 + 1
    }

    pub fn sent(&self, seq: u64, at: Instant) {
        let ns = self.ns(at);
        let mut inner = self.lock();
        let Some(i) = seq.checked_sub(inner.base).map(|i| i as usize) else {
            return;
        };
        if inner.sent_ns.len() <= i {
            inner.sent_ns.resize(i + 1, 0);
            inner.acked.resize(i + 1, false);
            inner.replied.resize(i + 1, false);
        }
        inner.sent_ns[i] = ns;
    }

    /// The request never left (its connection had closed): forget it.
    pub fn unsent(&self, seq: u64) {
        let mut inner = self.lock();
        if let Some(i) = index(&inner, seq) {
            inner.sent_ns[i] = 0;
        }
    }

    pub fn acked(&self, seq: u64) {
        let mut inner = self.lock();
        if let Some(i) = index(&inner, seq) {
            if !inner.acked[i] {
                inner.acked[i] = true;
                inner.acked_count += 1;
                if inner.replied[i] {
                    // The answer beat the ack (possible when the work runs before the 200 is written).
                    inner.replies_to_unacked -= 1;
                    inner.replies_to_acked += 1;
                }
            }
        }
    }

    fn replied(&self, seq: u64, at: Instant) {
        let ns = self.ns(at);
        let mut inner = self.lock();
        let Some(i) = index(&inner, seq).filter(|&i| inner.sent_ns[i] != 0) else {
            inner.strays += 1;
            return;
        };
        if inner.replied[i] {
            inner.duplicates += 1;
            return;
        }
        inner.replied[i] = true;
        let e2e_us = ns.saturating_sub(inner.sent_ns[i]) / 1000;
        let _ = inner.e2e.record(e2e_us.max(1));
        if inner.acked[i] {
            inner.replies_to_acked += 1;
        } else {
            inner.replies_to_unacked += 1;
        }
        inner.last_reply_ns = inner.last_reply_ns.max(ns);
    }

    /// The tap to give the counting Slack.
    pub fn tap(self: &Arc<Self>) -> SlackTap {
        let me = self.clone();
        Arc::new(move |call: &SlackCall<'_>| me.on_slack_call(call))
    }

    fn on_slack_call(&self, call: &SlackCall<'_>) {
        let now = Instant::now();
        match (self.reply, call.method) {
            (ReplyCall::PostMessage, "chat.postMessage") => {
                match call.thread_ts.and_then(seq_of_thread) {
                    Some(seq) => self.replied(seq, now),
                    None => self.lock().strays += 1,
                }
            }
            (ReplyCall::Answer, "chat.postMessage") if call.text != Some(PLACEHOLDER_TEXT) => {
                match call.thread_ts.and_then(seq_of_thread) {
                    Some(seq) => self.replied(seq, now),
                    None => self.lock().strays += 1,
                }
            }
            (ReplyCall::Update | ReplyCall::Answer, "chat.postMessage") => {
                if let (Some(seq), Some(posted)) =
                    (call.thread_ts.and_then(seq_of_thread), call.posted_ts)
                {
                    self.lock().placeholders.insert(posted.to_owned(), seq);
                }
            }
            (ReplyCall::Update | ReplyCall::Answer, "chat.update") => {
                let seq = call.ts.and_then(|ts| self.lock().placeholders.remove(ts));
                match seq {
                    Some(seq) => self.replied(seq, now),
                    None => self.lock().strays += 1,
                }
            }
            _ => {}
        }
    }

    /// Acked events and replies to them so far in this phase.
    pub fn progress(&self) -> (u64, u64) {
        let inner = self.lock();
        (inner.acked_count, inner.replies_to_acked)
    }

    /// When the phase's latest reply arrived.
    pub fn last_reply(&self) -> Option<Instant> {
        let ns = self.lock().last_reply_ns;
        (ns > 0).then(|| self.epoch + std::time::Duration::from_nanos(ns - 1))
    }

    pub fn replies(&self) -> Replies {
        let inner = self.lock();
        Replies {
            acked: inner.acked_count,
            replied: inner.replies_to_acked,
            missing: inner.acked_count - inner.replies_to_acked,
            replies_to_unacked: inner.replies_to_unacked,
            duplicates: inner.duplicates,
            strays: inner.strays,
            e2e_ms: Percentiles::of(&inner.e2e),
        }
    }
}

fn index(inner: &Inner, seq: u64) -> Option<usize> {
    let i = seq.checked_sub(inner.base)? as usize;
    (i < inner.sent_ns.len()).then_some(i)
}
