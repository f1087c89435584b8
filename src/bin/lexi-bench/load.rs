//! The load generator: HTTP/1.1 keep-alive connections sending signed events, open-loop at a fixed
//! rate (latency measured from each request's *intended* send time, so a stalled server cannot hide
//! its queue: no coordinated omission) or closed-loop (each connection sends as soon as it has its
//! answer: the peak).

use crate::event::EventFactory;
use crate::track::Tracker;
use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::Instant;

#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// Requests per second, spread evenly.
    Open { rate: f64 },
    /// As fast as the answers come back.
    Closed,
    /// Closed loop until this many events are sent (the duration is then only a cap): a fixed
    /// amount of work, to compare instruction counts (callgrind) before and after a change.
    Count { events: u64 },
}

#[derive(Debug, Clone)]
pub struct LoadSpec {
    pub mode: Mode,
    pub duration: Duration,
    pub connections: usize,
    /// A request unanswered for this long counts as an error (oha's default, 10 s).
    pub timeout: Duration,
}

/// Where the events go.
#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
    pub path: String,
}

/// Latency percentiles, milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Percentiles {
    pub count: u64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
}

impl Percentiles {
    /// From a histogram of microseconds.
    pub fn of(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Self::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Self {
            count: h.len(),
            p50: ms(h.value_at_quantile(0.5)),
            p90: ms(h.value_at_quantile(0.9)),
            p99: ms(h.value_at_quantile(0.99)),
            p999: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
            mean: h.mean() / 1000.0,
        }
    }
}

pub fn histogram() -> Histogram<u64> {
    // 1 µs .. 1 h at 3 significant digits; auto-resize covers anything beyond.
    let mut h = Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds");
    h.auto(true);
    h
}

/// What one load run did.
#[derive(Debug, Clone, Serialize)]
pub struct LoadResult {
    pub mode: String,
    pub offered_rate: Option<f64>,
    pub connections: usize,
    /// From the first send to the last answer.
    pub elapsed_s: f64,
    pub sent: u64,
    /// Answered 200.
    pub ok: u64,
    /// Answers by HTTP status.
    pub statuses: BTreeMap<u16, u64>,
    pub connect_errors: u64,
    pub timeouts: u64,
    pub io_errors: u64,
    /// (non-200 answers + errors) / attempts.
    pub error_rate: f64,
    /// 200s per second, from the first send to the last answer.
    pub ok_per_s: f64,
    /// Open loop: from the intended send time; closed loop: from the send.
    pub ack_latency_ms: Percentiles,
    #[serde(skip)]
    pub ended_at: Option<Instant>,
}

struct Run<'a> {
    target: &'a Target,
    spec: &'a LoadSpec,
    factory: &'a EventFactory,
    tracker: &'a Arc<Tracker>,
    start: Instant,
    end: Instant,
    /// Open loop: the next slot to hand out; count: events claimed so far.
    next_slot: Cell<u64>,
    stats: RefCell<Stats>,
}

struct Stats {
    sent: u64,
    statuses: BTreeMap<u16, u64>,
    connect_errors: u64,
    timeouts: u64,
    io_errors: u64,
    latency: Histogram<u64>,
    last_answer: Option<Instant>,
}

enum Outcome {
    Status(u16, bool),
    Timeout,
    Io,
    /// Never sent (the connection had closed under us): try again on a new one.
    NotSent,
}

/// Runs one load and returns its numbers; every answered 200 is marked acked in the tracker.
pub async fn run(
    target: &Target,
    spec: &LoadSpec,
    factory: &EventFactory,
    tracker: &Arc<Tracker>,
) -> LoadResult {
    let start = Instant::now();
    let run = Run {
        target,
        spec,
        factory,
        tracker,
        start,
        end: start + spec.duration,
        next_slot: Cell::new(0),
        stats: RefCell::new(Stats {
            sent: 0,
            statuses: BTreeMap::new(),
            connect_errors: 0,
            timeouts: 0,
            io_errors: 0,
            latency: histogram(),
            last_answer: None,
        }),
    };
    let connections = (0..spec.connections.max(1)).map(|_| run.connection());
    futures_util::future::join_all(connections).await;
    let stats = run.stats.into_inner();
    let ended = stats.last_answer.unwrap_or_else(Instant::now);
    let elapsed = ended.duration_since(start).as_secs_f64().max(1e-9);
    let ok = stats.statuses.get(&200).copied().unwrap_or(0);
    let answered: u64 = stats.statuses.values().sum();
    let attempts = answered + stats.connect_errors + stats.timeouts + stats.io_errors;
    let failures = attempts - ok;
    LoadResult {
        mode: match spec.mode {
            Mode::Open { .. } => "open".into(),
            Mode::Closed => "closed".into(),
            Mode::Count { .. } => "count".into(),
        },
        offered_rate: match spec.mode {
            Mode::Open { rate } => Some(rate),
            Mode::Closed | Mode::Count { .. } => None,
        },
        connections: spec.connections,
        elapsed_s: elapsed,
        sent: stats.sent,
        ok,
        statuses: stats.statuses,
        connect_errors: stats.connect_errors,
        timeouts: stats.timeouts,
        io_errors: stats.io_errors,
        error_rate: if attempts == 0 {
            0.0
        } else {
            failures as f64 / attempts as f64
        },
        // From the first send to the last answer: a server that falls behind an open loop
        // answers past the window, and its rate is what it managed, not what was offered.
        ok_per_s: ok as f64 / elapsed,
        ack_latency_ms: Percentiles::of(&stats.latency),
        ended_at: stats.last_answer,
    }
}

impl Run<'_> {
    /// The next request's intended send time (open loop), or `None` when the run is over.
    fn claim(&self) -> Option<Option<Instant>> {
        match self.spec.mode {
            Mode::Open { rate } => {
                let slot = self.next_slot.get();
                let at = self.start + Duration::from_secs_f64(slot as f64 / rate);
                if at >= self.end {
                    return None;
                }
                self.next_slot.set(slot + 1);
                Some(Some(at))
            }
            Mode::Closed => (Instant::now() < self.end).then_some(None),
            Mode::Count { events } => {
                let claimed = self.next_slot.get();
                if claimed >= events || Instant::now() >= self.end {
                    return None;
                }
                self.next_slot.set(claimed + 1);
                Some(None)
            }
        }
    }

    async fn connection(&self) {
        let mut sender: Option<SendRequest<Full<Bytes>>> = None;
        while let Some(intended) = self.claim() {
            if let Some(at) = intended {
                tokio::time::sleep_until(at).await;
            }
            let mut tries = 0;
            loop {
                tries += 1;
                if sender.as_ref().is_none_or(|s| s.is_closed()) {
                    sender = None;
                    match tokio::time::timeout(self.spec.timeout, connect(self.target.addr)).await {
                        Ok(Ok(s)) => sender = Some(s),
                        _ => {
                            self.stats.borrow_mut().connect_errors += 1;
                            // A refused connection fails fast; don't spin on it.
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            break;
                        }
                    }
                }
                let Some(s) = sender.as_mut() else { break };
                match self.send(s, intended).await {
                    Outcome::Status(status, keep) => {
                        if !keep {
                            sender = None;
                        }
                        self.stats
                            .borrow_mut()
                            .statuses
                            .entry(status)
                            .and_modify(|n| *n += 1)
                            .or_insert(1);
                        break;
                    }
                    Outcome::NotSent if tries < 3 => sender = None,
                    Outcome::NotSent | Outcome::Io => {
                        sender = None;
                        self.stats.borrow_mut().io_errors += 1;
                        break;
                    }
                    Outcome::Timeout => {
                        sender = None;
                        self.stats.borrow_mut().timeouts += 1;
                        break;
                    }
                }
            }
        }
    }

    async fn send(
        &self,
        sender: &mut SendRequest<Full<Bytes>>,
        intended: Option<Instant>,
    ) -> Outcome {
        if sender.ready().await.is_err() {
            return Outcome::NotSent;
        }
        let seq = self.tracker.next_seq();
        let event = self.factory.event(seq);
        let request = hyper::Request::post(self.target.path.as_str())
            .header(hyper::header::HOST, self.target.addr.to_string())
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(
                hyper::header::USER_AGENT,
                "Slackbot 1.0 (+https://api.slack.com/robots)",
            )
            .header("x-slack-request-timestamp", event.timestamp)
            .header("x-slack-signature", event.signature)
            .body(Full::new(event.body))
            .expect("a valid request");
        let sent = Instant::now();
        self.tracker.sent(seq, sent);
        self.stats.borrow_mut().sent += 1;
        let exchange = async {
            let response = sender.send_request(request).await?;
            let status = response.status().as_u16();
            let keep = !response
                .headers()
                .get(hyper::header::CONNECTION)
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
            response.into_body().collect().await?;
            Ok::<_, hyper::Error>((status, keep))
        };
        match tokio::time::timeout(self.spec.timeout, exchange).await {
            Ok(Ok((status, keep))) => {
                let now = Instant::now();
                let from = intended.unwrap_or(sent);
                let mut stats = self.stats.borrow_mut();
                let _ = stats
                    .latency
                    .record(now.saturating_duration_since(from).as_micros() as u64);
                stats.last_answer = Some(now);
                drop(stats);
                if status == 200 {
                    self.tracker.acked(seq);
                }
                Outcome::Status(status, keep)
            }
            Ok(Err(e)) if e.is_canceled() => {
                self.tracker.unsent(seq);
                self.stats.borrow_mut().sent -= 1;
                Outcome::NotSent
            }
            Ok(Err(_)) => Outcome::Io,
            Err(_) => Outcome::Timeout,
        }
    }
}

async fn connect(addr: SocketAddr) -> std::io::Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(std::io::Error::other)?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}
