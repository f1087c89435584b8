//! Prometheus metrics: a small registry of counters, gauges and histograms, rendered as the text exposition format.
//!
//! Hand-rolled rather than a crate: the bot needs three metric kinds and one text format, and a
//! per-application registry (not a process-global one) keeps tests that run many bots in one
//! process from reading each other's numbers. It is also what `/lexi status` reads.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the latency histograms' buckets.
const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// What a metric is, for its `# TYPE` line.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// Every metric the bot exposes: name, kind, help.
const FAMILIES: &[(&str, Kind, &str)] = &[
    (
        REQUESTS,
        Kind::Counter,
        "Requests from Slack, by kind and signature verification result.",
    ),
    (
        JOBS_QUEUED,
        Kind::Gauge,
        "Jobs accepted and not yet finished.",
    ),
    (JOBS_RUNNING, Kind::Gauge, "Jobs running now."),
    (
        JOB_RUNS,
        Kind::Counter,
        "Job attempts by job kind and outcome: done, retry (failed, retried later), later, handoff, failed (given up on an error); panicked counts attempts that crashed.",
    ),
    (
        JOB_QUEUE_WAIT,
        Kind::Histogram,
        "Seconds a job waited in the queue past its due time before it started.",
    ),
    (
        JOBS_FAILED,
        Kind::Counter,
        "Jobs given up on because of an error, by job kind and reason: leadlex_refused, leadlex_unavailable, slack_refused, slack_unavailable, store_unavailable, panicked.",
    ),
    (
        JOBS_OLDEST,
        Kind::Gauge,
        "Seconds since the oldest unfinished job was accepted (0 when none); a task being followed after approval counts until it ends.",
    ),
    (
        LEADLEX_CALLS,
        Kind::Counter,
        "LeadLex API calls by endpoint and HTTP status (or transport/timeout).",
    ),
    (
        LEADLEX_LATENCY,
        Kind::Histogram,
        "LeadLex API call latency in seconds, by endpoint.",
    ),
    (
        SLACK_CALLS,
        Kind::Counter,
        "Slack Web API calls by method and status (ok, an error code, or an HTTP status).",
    ),
    (
        SLACK_LATENCY,
        Kind::Histogram,
        "Slack Web API call latency in seconds, by method.",
    ),
    (
        CREDITS,
        Kind::Gauge,
        "Lexi credits remaining, as LeadLex last reported them.",
    ),
    (
        RATE_LIMIT,
        Kind::Gauge,
        "LeadLex calls remaining in the rate-limit window, as last reported (X-RateLimit-Remaining).",
    ),
    (
        QUOTA_REFUSALS,
        Kind::Counter,
        "Requests to Lexi turned away by a per-user or per-workspace cap, by scope (user, team) and job kind.",
    ),
    (
        SOCKET_ENVELOPES,
        Kind::Counter,
        "Socket Mode frames by outcome: acked, withheld (not acknowledged so Slack delivers again), unreadable (ignored).",
    ),
    (
        SOCKET_RECONNECTS,
        Kind::Counter,
        "Socket Mode connections opened after the first, by reason (refresh_requested, warning, expiring, closed, failed, ...).",
    ),
    (
        SOCKET_CONNECTED,
        Kind::Gauge,
        "1 while a Socket Mode connection is open and greeted, else 0.",
    ),
    (
        LEADLEX_STREAMS,
        Kind::Counter,
        "Lexi answer streams by how they ended: completed, idle_timeout (nothing arrived for too long), too_long (over the overall cap), broken, abandoned.",
    ),
    (
        LEADLEX_STREAM_DURATION,
        Kind::Histogram,
        "Seconds from opening a Lexi answer stream to its end, by outcome.",
    ),
    (
        FEEDBACK_CLICKS,
        Kind::Counter,
        "Feedback on Lexi's answers by value (positive, negative); a repeated click is not counted.",
    ),
];

pub const REQUESTS: &str = "lexi_slack_requests_total";
pub const JOBS_QUEUED: &str = "lexi_jobs_queued";
pub const JOBS_RUNNING: &str = "lexi_jobs_running";
pub const JOB_RUNS: &str = "lexi_job_runs_total";
pub const JOB_QUEUE_WAIT: &str = "lexi_job_queue_wait_seconds";
pub const JOBS_FAILED: &str = "lexi_jobs_failed_total";
pub const JOBS_OLDEST: &str = "lexi_jobs_oldest_queued_seconds";
pub const LEADLEX_CALLS: &str = "lexi_leadlex_requests_total";
pub const LEADLEX_LATENCY: &str = "lexi_leadlex_request_duration_seconds";
pub const SLACK_CALLS: &str = "lexi_slack_api_requests_total";
pub const SLACK_LATENCY: &str = "lexi_slack_api_request_duration_seconds";
pub const CREDITS: &str = "lexi_leadlex_credits_remaining";
pub const RATE_LIMIT: &str = "lexi_leadlex_rate_limit_remaining";
pub const QUOTA_REFUSALS: &str = "lexi_quota_refusals_total";
pub const SOCKET_ENVELOPES: &str = "lexi_slack_socket_envelopes_total";
pub const SOCKET_RECONNECTS: &str = "lexi_slack_socket_reconnects_total";
pub const SOCKET_CONNECTED: &str = "lexi_slack_socket_connected";
pub const LEADLEX_STREAMS: &str = "lexi_leadlex_streams_total";
pub const LEADLEX_STREAM_DURATION: &str = "lexi_leadlex_stream_duration_seconds";
pub const FEEDBACK_CLICKS: &str = "lexi_feedback_clicks_total";

#[derive(Default)]
struct Histogram {
    /// Per bucket (not cumulative); the last slot is `+Inf`.
    counts: [u64; BUCKETS.len() + 1],
    sum: f64,
    count: u64,
}

/// One application's metrics; share it as `Arc<Metrics>`.
#[derive(Default)]
pub struct Metrics {
    values: Mutex<BTreeMap<(&'static str, String), f64>>,
    histograms: Mutex<BTreeMap<(&'static str, String), Histogram>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics(..)")
    }
}

impl Metrics {
    /// Adds one to a counter.
    pub fn inc(&self, name: &'static str, labels: &[(&str, &str)]) {
        let mut values = lock(&self.values);
        *values.entry((name, label_text(labels))).or_default() += 1.0;
    }

    /// Sets a gauge.
    pub fn set(&self, name: &'static str, labels: &[(&str, &str)], value: f64) {
        lock(&self.values).insert((name, label_text(labels)), value);
    }

    /// A counter's or gauge's current value, if it was ever set.
    pub fn value(&self, name: &'static str, labels: &[(&str, &str)]) -> Option<f64> {
        lock(&self.values).get(&(name, label_text(labels))).copied()
    }

    /// Records one observation in a histogram.
    pub fn observe(&self, name: &'static str, labels: &[(&str, &str)], took: Duration) {
        let secs = took.as_secs_f64();
        let mut histograms = lock(&self.histograms);
        let h = histograms.entry((name, label_text(labels))).or_default();
        let slot = BUCKETS
            .iter()
            .position(|bound| secs <= *bound)
            .unwrap_or(BUCKETS.len());
        h.counts[slot] += 1;
        h.sum += secs;
        h.count += 1;
    }

    /// Everything, in Prometheus' text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let values = lock(&self.values);
        let histograms = lock(&self.histograms);
        let mut out = String::new();
        for (family, kind, help) in FAMILIES {
            let kind_name = match kind {
                Kind::Counter => "counter",
                Kind::Gauge => "gauge",
                Kind::Histogram => "histogram",
            };
            let _ = writeln!(out, "# HELP {family} {help}\n# TYPE {family} {kind_name}");
            if *kind == Kind::Histogram {
                for ((name, labels), h) in histograms.range((*family, String::new())..) {
                    if name != family {
                        break;
                    }
                    render_histogram(&mut out, family, labels, h);
                }
                continue;
            }
            for ((name, labels), value) in values.range((*family, String::new())..) {
                if name != family {
                    break;
                }
                let _ = writeln!(out, "{family}{} {value}", braces(labels));
            }
        }
        out
    }
}

fn render_histogram(out: &mut String, family: &str, labels: &str, h: &Histogram) {
    let mut cumulative = 0;
    let sep = if labels.is_empty() { "" } else { "," };
    for (i, bound) in BUCKETS.iter().enumerate() {
        cumulative += h.counts[i];
        let _ = writeln!(
            out,
            "{family}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}"
        );
    }
    let _ = writeln!(
        out,
        "{family}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
        h.count
    );
    let _ = writeln!(out, "{family}_sum{} {}", braces(labels), h.sum);
    let _ = writeln!(out, "{family}_count{} {}", braces(labels), h.count);
}

fn braces(labels: &str) -> String {
    if labels.is_empty() {
        String::new()
    } else {
        format!("{{{labels}}}")
    }
}

/// `k="v",…` with the format's escapes; the key of a series.
///
/// Built in one allocation: it runs for every count and observation (a dozen per answered
/// message), and escaping by `replace` allocated three more strings per label.
fn label_text(labels: &[(&str, &str)]) -> String {
    let size: usize = labels.iter().map(|(k, v)| k.len() + v.len() + 4).sum();
    let mut text = String::with_capacity(size);
    for (i, (key, value)) in labels.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(key);
        text.push_str("=\"");
        for c in value.chars() {
            match c {
                '\\' => text.push_str("\\\\"),
                '"' => text.push_str("\\\""),
                '\n' => text.push_str("\\n"),
                c => text.push(c),
            }
        }
        text.push('"');
    }
    text
}

/// A poisoned lock still holds valid numbers: keep counting.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_gauges_render_with_their_labels() {
        let m = Metrics::default();
        m.inc(REQUESTS, &[("kind", "event"), ("verification", "ok")]);
        m.inc(REQUESTS, &[("kind", "event"), ("verification", "ok")]);
        m.set(CREDITS, &[], 41.0);
        let text = m.render();
        assert!(text.contains("# TYPE lexi_slack_requests_total counter"));
        assert!(text.contains("lexi_slack_requests_total{kind=\"event\",verification=\"ok\"} 2"));
        assert!(text.contains("lexi_leadlex_credits_remaining 41"));
    }

    #[test]
    fn histograms_are_cumulative_and_end_with_inf() {
        let m = Metrics::default();
        m.observe(
            SLACK_LATENCY,
            &[("method", "chat.update")],
            Duration::from_millis(3),
        );
        m.observe(
            SLACK_LATENCY,
            &[("method", "chat.update")],
            Duration::from_secs(60),
        );
        let text = m.render();
        assert!(text.contains(
            "lexi_slack_api_request_duration_seconds_bucket{method=\"chat.update\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "lexi_slack_api_request_duration_seconds_bucket{method=\"chat.update\",le=\"30\"} 1"
        ));
        assert!(text.contains(
            "lexi_slack_api_request_duration_seconds_bucket{method=\"chat.update\",le=\"+Inf\"} 2"
        ));
        assert!(
            text.contains(
                "lexi_slack_api_request_duration_seconds_count{method=\"chat.update\"} 2"
            )
        );
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label_text(&[("a", "x\"y\\")]), "a=\"x\\\"y\\\\\"");
    }
}
