//! Caps on requests to Lexi a minute, per user and per workspace, so one user cannot spend the workspace's credits.
//!
//! What counts is a request that spends Lexi credits: a message for Lexi (a conversation job that
//! will ask Lexi) and a `/followups` suggestion. Each counts once, when its job first runs; its
//! retries, and the other LeadLex calls it makes on the way (a contact search), are the same
//! request. Not counted: approving or denying a task Lexi already proposed (the credits were
//! weighed when it was proposed, and a refused click would leave the card half-decided),
//! following an approved task, `/lexi tasks`, sharing a draft, a discussion's hand-over (its
//! conversation job counts instead), suggested prompts in a DM, and messages Lexi is not asked
//! about (`@Lexi new`, an empty mention).
//!
//! The windows live in memory: a restart forgets them, which at worst lets a user make up to one
//! window's calls again. The maps are bounded; see [`MAX_TRACKED`].

use super::{Deps, Outcome, followups};
use crate::domain::followups::FollowupsStep;
use crate::domain::{Job, JobId, JobRecord};
use crate::metrics::{self, Metrics};
use crate::slack::{ReplyTag, render};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::time::Instant;

/// Users (and, separately, workspaces) tracked at once. Past it, the one idle longest is forgotten
/// first; forgetting only ever lets someone through, never refuses anyone wrongly.
pub const MAX_TRACKED: usize = 10_000;

/// The caps. A cap of 0 is no cap.
#[derive(Debug, Clone)]
pub struct QuotaSettings {
    pub per_user: u32,
    pub per_team: u32,
    /// The sliding window the caps apply to: a minute, outside tests.
    pub window: Duration,
}

impl QuotaSettings {
    /// No caps at all.
    pub fn off() -> Self {
        Self {
            per_user: 0,
            per_team: 0,
            window: Duration::from_secs(60),
        }
    }
}

/// Whose cap a request hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    User,
    Team,
}

impl Scope {
    fn label(self) -> &'static str {
        match self {
            Scope::User => "user",
            Scope::Team => "team",
        }
    }
}

/// A request turned away, and when the one who asked may try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub scope: Scope,
    pub cap: u32,
    pub until: Instant,
}

/// The windows of recent requests per user and per workspace, and the jobs turned away.
pub struct Quota {
    settings: QuotaSettings,
    state: Mutex<State>,
    metrics: Option<Arc<Metrics>>,
}

#[derive(Default)]
struct State {
    users: Windows,
    teams: Windows,
    /// Jobs refused, so a retry (the notice failed to post) tells again instead of asking Lexi.
    refused: HashMap<JobId, Refusal>,
    refused_order: VecDeque<JobId>,
}

impl Quota {
    pub fn new(settings: QuotaSettings) -> Self {
        Self {
            settings,
            state: Mutex::new(State::default()),
            metrics: None,
        }
    }

    /// Counts refusals in `metrics`, by scope and job kind.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The windows stay valid if a holder panicked: keep counting.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts one request by `user` in `team` at `now`, unless a cap is reached: then nothing is
    /// counted and the refusal says until when. The user's cap is checked first, so a user at
    /// their own cap does not use up the workspace's.
    pub fn admit(&self, team: &str, user: &str, now: Instant) -> Result<(), Refusal> {
        let QuotaSettings {
            per_user,
            per_team,
            window,
        } = self.settings;
        let mut st = self.lock();
        let st = &mut *st;
        st.users.check(user, per_user, window, now, Scope::User)?;
        st.teams.check(team, per_team, window, now, Scope::Team)?;
        st.users.count(user, per_user, window, now);
        st.teams.count(team, per_team, window, now);
        Ok(())
    }

    fn remember_refused(&self, job: JobId, refusal: Refusal) {
        let mut st = self.lock();
        if st.refused.insert(job, refusal).is_none() {
            st.refused_order.push_back(job);
        }
        while st.refused_order.len() > MAX_TRACKED {
            if let Some(old) = st.refused_order.pop_front() {
                st.refused.remove(&old);
            }
        }
    }

    fn refused_before(&self, job: JobId) -> Option<Refusal> {
        self.lock().refused.get(&job).copied()
    }
}

/// Recent request times per key (a user or a workspace), oldest first.
#[derive(Default)]
struct Windows {
    recent: HashMap<String, VecDeque<Instant>>,
}

impl Windows {
    fn check(
        &mut self,
        key: &str,
        cap: u32,
        window: Duration,
        now: Instant,
        scope: Scope,
    ) -> Result<(), Refusal> {
        if cap == 0 {
            return Ok(());
        }
        let Some(times) = self.recent.get_mut(key) else {
            return Ok(());
        };
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            times.pop_front();
        }
        match times.front() {
            Some(oldest) if times.len() >= cap as usize => Err(Refusal {
                scope,
                cap,
                until: *oldest + window,
            }),
            _ => Ok(()),
        }
    }

    fn count(&mut self, key: &str, cap: u32, window: Duration, now: Instant) {
        if cap == 0 {
            return;
        }
        if !self.recent.contains_key(key) && self.recent.len() >= MAX_TRACKED {
            self.make_room(window, now);
        }
        self.recent
            .entry(key.to_owned())
            .or_default()
            .push_back(now);
    }

    /// Forgets every key with nothing in its window; if all are busy, the one idle longest.
    fn make_room(&mut self, window: Duration, now: Instant) {
        self.recent.retain(|_, times| {
            times
                .back()
                .is_some_and(|t| now.duration_since(*t) < window)
        });
        if self.recent.len() >= MAX_TRACKED {
            let idlest = self
                .recent
                .iter()
                .min_by_key(|(_, times)| times.back().copied())
                .map(|(key, _)| key.clone());
            if let Some(key) = idlest {
                self.recent.remove(&key);
            }
        }
    }
}

/// Who a job's request to Lexi is charged to, when this run is its first: `(team, user, kind)`.
fn first_request(record: &JobRecord) -> Option<(String, String, &'static str)> {
    if record.attempts > 0 {
        return None;
    }
    match &record.job {
        Job::Converse(c) => {
            let text = c.text.trim();
            let asks_lexi = !text.is_empty() && !text.eq_ignore_ascii_case("new");
            let fresh = c.progress == Default::default();
            (asks_lexi && fresh)
                .then(|| (c.thread.team.to_string(), c.user.to_string(), "converse"))
        }
        Job::Followups(f) => match &f.step {
            FollowupsStep::Suggest { progress, .. }
                if progress.contact.is_none() && progress.result.is_none() =>
            {
                Some((f.team.to_string(), f.user.to_string(), "followups"))
            }
            _ => None,
        },
        Job::DecideTask(_)
        | Job::FollowTask(_)
        | Job::ApprovalNotice(_)
        | Job::ListTasks(_)
        | Job::FeedbackThanks(_)
        | Job::SuggestPrompts(_) => None,
    }
}

/// Runs before a job: when its request would go over a cap, the user is told when to try again
/// and the job ends without asking Lexi. `None`: go ahead.
pub(super) async fn check(deps: &Deps, record: &mut JobRecord) -> Option<Outcome> {
    let now = Instant::now();
    let refusal = match deps.quota.refused_before(record.id) {
        Some(refusal) => refusal,
        None => {
            let (team, user, kind) = first_request(record)?;
            let refusal = deps.quota.admit(&team, &user, now).err()?;
            tracing::info!(
                scope = refusal.scope.label(),
                cap = refusal.cap,
                "over the Lexi request cap; telling the user instead of asking Lexi"
            );
            if let Some(m) = &deps.quota.metrics {
                m.inc(
                    metrics::QUOTA_REFUSALS,
                    &[("scope", refusal.scope.label()), ("kind", kind)],
                );
            }
            deps.quota.remember_refused(record.id, refusal);
            refusal
        }
    };
    let text = sentence(&refusal, refusal.until.saturating_duration_since(now));
    Some(tell(deps, record, &text).await)
}

/// Says whose cap it is and when to try again.
fn sentence(refusal: &Refusal, wait: Duration) -> String {
    let again = match wait.as_secs() + u64::from(wait.subsec_nanos() > 0) {
        0 | 1 => "a second".to_owned(),
        secs @ 2..=90 => format!("{secs} seconds"),
        secs => format!("{} minutes", secs.div_ceil(60)),
    };
    let requests = match refusal.cap {
        1 => "1 request".to_owned(),
        n => format!("{n} requests"),
    };
    match refusal.scope {
        Scope::User => format!(
            "You've sent Lexi {requests} in the last minute, the most one person can, so \
             this one wasn't sent. Please try again in {again}."
        ),
        Scope::Team => format!(
            "Your workspace has sent Lexi {requests} in the last minute, the most it can, so \
             this one wasn't sent. Please try again in {again}."
        ),
    }
}

/// In the thread for a message, to the requester alone for `/followups`.
async fn tell(deps: &Deps, record: &JobRecord, text: &str) -> Outcome {
    match &record.job {
        Job::Converse(c) => {
            // Tagged as the job's reply, as its answer would have been: a re-run after a crash
            // adopts it instead of posting another.
            let tag = ReplyTag::part(&record.idempotency_key, 0);
            let posted = deps
                .slack
                .post_in_thread(
                    &c.thread.channel,
                    &c.thread.thread_ts,
                    &render::notice(text),
                    &tag,
                )
                .await
                .map(drop);
            deps.after_slack(
                record.attempts,
                posted,
                "cannot say the request cap was reached",
            )
        }
        Job::Followups(_) => followups::refuse(deps, record, text).await,
        _ => Outcome::Done,
    }
}

#[cfg(test)]
#[path = "quota_tests.rs"]
mod tests;
