//! Failure on purpose: a seeded plan that makes a share of a simulated server's calls fail in each
//! way a real server fails, and an outage switch that fails them all until it is turned off.
//!
//! A fault replaces the server's own handling: the call is recorded (with its fault) but changes
//! nothing in the model, as when a proxy in front of the real service fails. Scripted
//! [`Canned`] answers still come first, so a test can pin one call while the plan shakes the rest.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;

use super::record::{Canned, method_matches, path_matches};

/// One way a call can fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    /// HTTP 500 with the service's error body.
    ServerError,
    /// HTTP 503 with the service's error body (what an outage answers, half the time).
    Unavailable,
    /// HTTP 429 saying when the limit resets: LeadLex's `X-RateLimit-Reset` (epoch second);
    /// Slack has no such header and sends `Retry-After`.
    RateLimitReset,
    /// HTTP 429 with `Retry-After` (seconds).
    RetryAfter,
    /// No answer at all: the client's own timeout has to end the call.
    Timeout,
    /// The connection is closed with a reset, the request unanswered.
    Reset,
    /// A 200 whose JSON body stops half-way.
    Truncated,
    /// A 200 whose body is an HTML error page, not JSON.
    NotJson,
    /// A 200 that says it failed: Slack's `ok: false` with `internal_error`; for LeadLex a
    /// 200 without the documented `data` envelope.
    NotOk,
    /// The credentials are refused: LeadLex's 401 `invalid_key`, Slack's `invalid_auth`.
    /// Nothing retries this away, so [`FaultKind::TRANSIENT`] leaves it out.
    Unauthorized,
}

impl FaultKind {
    /// Every kind a client should ride out by retrying.
    pub const TRANSIENT: [FaultKind; 9] = [
        FaultKind::ServerError,
        FaultKind::Unavailable,
        FaultKind::RateLimitReset,
        FaultKind::RetryAfter,
        FaultKind::Timeout,
        FaultKind::Reset,
        FaultKind::Truncated,
        FaultKind::NotJson,
        FaultKind::NotOk,
    ];

    /// A short name, for reports.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::ServerError => "500",
            FaultKind::Unavailable => "503",
            FaultKind::RateLimitReset => "429_reset",
            FaultKind::RetryAfter => "429_retry_after",
            FaultKind::Timeout => "timeout",
            FaultKind::Reset => "reset",
            FaultKind::Truncated => "truncated",
            FaultKind::NotJson => "not_json",
            FaultKind::NotOk => "ok_false",
            FaultKind::Unauthorized => "401",
        }
    }
}

/// Which calls fail, how often, and how.
#[derive(Debug, Clone)]
pub struct FaultPlan {
    /// The same seed and the same arrival order give the same faults.
    pub seed: u64,
    /// Share of matching calls that fail, from 0.0 to 1.0.
    pub error_rate: f64,
    /// Drawn with equal odds for each failing call; empty means no faults.
    pub kinds: Vec<FaultKind>,
    /// `(method, path)` patterns the plan applies to (`"*"` for any method, `*` segments as in
    /// `enqueue`); none means every call.
    pub routes: Vec<(String, String)>,
    /// What a 429 asks the client to wait, sent in whole seconds.
    pub rate_limit_wait: Duration,
}

impl FaultPlan {
    /// `error_rate` of every call fails, with one of `kinds`; 429s ask for a one-second wait.
    pub fn new(seed: u64, error_rate: f64, kinds: &[FaultKind]) -> Self {
        Self {
            seed,
            error_rate: error_rate.clamp(0.0, 1.0),
            kinds: kinds.to_vec(),
            routes: Vec::new(),
            rate_limit_wait: Duration::from_secs(1),
        }
    }

    /// Limits the plan to `method` on `path` (may be called several times).
    pub fn on(mut self, method: &str, path: &str) -> Self {
        self.routes.push((method.to_owned(), path.to_owned()));
        self
    }

    /// What 429s ask the client to wait (`0` lets tests retry at once).
    pub fn rate_limit_wait(mut self, wait: Duration) -> Self {
        self.rate_limit_wait = wait;
        self
    }

    fn covers(&self, method: &str, path: &str) -> bool {
        self.routes.is_empty()
            || self
                .routes
                .iter()
                .any(|(m, p)| method_matches(m, method) && path_matches(p, path))
    }
}

/// Which service's manner a fault is answered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    LeadLex,
    Slack,
}

/// A server's plan, its random state, the outage switch and what was injected so far.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    plan: Option<(FaultPlan, Flavor)>,
    rng: u64,
    outage: Option<Flavor>,
    outage_calls: u64,
    injected: BTreeMap<FaultKind, u64>,
}

impl Faults {
    pub(crate) fn set_plan(&mut self, plan: Option<FaultPlan>, flavor: Flavor) {
        self.rng = plan.as_ref().map_or(0, |p| p.seed);
        self.plan = plan.map(|p| (p, flavor));
    }

    pub(crate) fn set_outage(&mut self, on: bool, flavor: Flavor) {
        self.outage = on.then_some(flavor);
    }

    pub(crate) fn injected(&self) -> BTreeMap<FaultKind, u64> {
        self.injected.clone()
    }

    /// Whether this call fails, and how: during an outage every call does, alternately with a
    /// 503 and a reset; otherwise the plan draws.
    pub(crate) fn draw(&mut self, method: &str, path: &str) -> Option<(FaultKind, Canned)> {
        let (kind, flavor, wait) = if let Some(flavor) = self.outage {
            self.outage_calls += 1;
            let kind = if self.outage_calls % 2 == 1 {
                FaultKind::Unavailable
            } else {
                FaultKind::Reset
            };
            (kind, flavor, Duration::ZERO)
        } else {
            let (plan, flavor) = self.plan.as_ref()?;
            if plan.kinds.is_empty() || !plan.covers(method, path) {
                return None;
            }
            let (plan, flavor) = (plan.clone(), *flavor);
            if unit(next(&mut self.rng)) >= plan.error_rate {
                return None;
            }
            let pick = next(&mut self.rng) % plan.kinds.len() as u64;
            (plan.kinds[pick as usize], flavor, plan.rate_limit_wait)
        };
        *self.injected.entry(kind).or_default() += 1;
        Some((kind, answer(kind, flavor, wait)))
    }
}

/// splitmix64: small, seedable, and good enough to spread faults evenly.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A draw as a number in `[0, 1)`.
fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// The failing answer, as the service would send it.
fn answer(kind: FaultKind, flavor: Flavor, wait: Duration) -> Canned {
    let wait_secs = wait.as_secs().to_string();
    let leadlex_error = Canned::leadlex_error;
    let slack_error = Canned::slack_error;
    let html = "<html><body><h1>502 Bad Gateway</h1><p>upstream went away</p></body></html>";
    match (kind, flavor) {
        (FaultKind::Timeout, _) => Canned::hang(),
        (FaultKind::Reset, _) => Canned::reset(),
        (FaultKind::NotJson, _) => {
            Canned::text(200, html).header("content-type", "text/html; charset=utf-8")
        }
        (FaultKind::ServerError, Flavor::LeadLex) => {
            leadlex_error(500, "internal_error", "Simulated failure")
        }
        (FaultKind::Unavailable, Flavor::LeadLex) => {
            leadlex_error(503, "unavailable", "Service temporarily unavailable")
        }
        (FaultKind::RateLimitReset, Flavor::LeadLex) => {
            let reset = now_secs() + wait.as_secs();
            leadlex_error(429, "rate_limited", "Rate limit exceeded")
                .header("x-ratelimit-remaining", "0")
                .header("x-ratelimit-reset", &reset.to_string())
        }
        (FaultKind::RetryAfter, Flavor::LeadLex) => {
            leadlex_error(429, "rate_limited", "Rate limit exceeded")
                .header("retry-after", &wait_secs)
        }
        (FaultKind::Truncated, Flavor::LeadLex) => {
            Canned::text(200, "{\"data\": {\"response\": \"Here is wh")
                .header("content-type", "application/json")
        }
        (FaultKind::NotOk, Flavor::LeadLex) => Canned::json(200, json!({"ok": false})),
        (FaultKind::Unauthorized, Flavor::LeadLex) => {
            leadlex_error(401, "invalid_key", "Invalid or missing API key")
        }
        (FaultKind::ServerError, Flavor::Slack) => slack_error(500, "internal_error"),
        (FaultKind::Unavailable, Flavor::Slack) => slack_error(503, "service_unavailable"),
        (FaultKind::RateLimitReset | FaultKind::RetryAfter, Flavor::Slack) => {
            slack_error(429, "ratelimited").header("retry-after", &wait_secs)
        }
        (FaultKind::Truncated, Flavor::Slack) => {
            Canned::text(200, "{\"ok\": true, \"channel\": \"C0")
                .header("content-type", "application/json")
        }
        (FaultKind::NotOk, Flavor::Slack) => slack_error(200, "internal_error"),
        (FaultKind::Unauthorized, Flavor::Slack) => slack_error(200, "invalid_auth"),
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_share_of_faults_follows_the_rate_and_the_seed_replays_them() {
        let plan = FaultPlan::new(7, 0.3, &FaultKind::TRANSIENT);
        let run = || {
            let mut faults = Faults::default();
            faults.set_plan(Some(plan.clone()), Flavor::LeadLex);
            (0..10_000)
                .map(|_| faults.draw("POST", "/v1/lexi/chat").map(|(k, _)| k))
                .collect::<Vec<_>>()
        };
        let first = run();
        assert_eq!(first, run(), "the same seed, the same faults");
        let failed = first.iter().flatten().count();
        assert!((2_700..3_300).contains(&failed), "{failed} of 10000");
        for kind in FaultKind::TRANSIENT {
            let n = first.iter().flatten().filter(|k| **k == kind).count();
            assert!(n > 200, "{kind:?} drawn {n} times");
        }
    }

    #[test]
    fn a_plan_limited_to_some_routes_leaves_the_others_alone() {
        let mut faults = Faults::default();
        let plan = FaultPlan::new(1, 1.0, &[FaultKind::ServerError]).on("POST", "/v1/lexi/chat");
        faults.set_plan(Some(plan), Flavor::LeadLex);
        assert!(faults.draw("POST", "/v1/lexi/chat").is_some());
        assert!(faults.draw("GET", "/v1/lexi/chat").is_none());
        assert!(faults.draw("POST", "/v1/ai/suggest-followups").is_none());
    }

    #[test]
    fn an_outage_fails_everything_until_it_is_switched_off() {
        let mut faults = Faults::default();
        faults.set_outage(true, Flavor::LeadLex);
        let kinds: Vec<_> = (0..4)
            .map(|_| {
                faults
                    .draw("GET", "/v1/contacts")
                    .map(|(k, c)| (k, c.status()))
            })
            .collect();
        assert_eq!(
            kinds,
            [
                Some((FaultKind::Unavailable, 503)),
                Some((FaultKind::Reset, 500)),
                Some((FaultKind::Unavailable, 503)),
                Some((FaultKind::Reset, 500)),
            ]
        );
        faults.set_outage(false, Flavor::LeadLex);
        assert!(faults.draw("GET", "/v1/contacts").is_none());
        assert_eq!(faults.injected()[&FaultKind::Unavailable], 2);
    }
}
