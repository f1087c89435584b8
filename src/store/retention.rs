//! How long the store keeps what the bot no longer needs (`LEXI_RETENTION`), and the sweep that forgets it.
//!
//! One setting governs everything the bot keeps only for a while; each kind of record gets the
//! window it can live with:
//!
//! | record | kept |
//! |---|---|
//! | seen marks (event ids, messages, clicks, command triggers) | the retention |
//! | conversation threads (thread → Lexi conversation) | 30 days without a message, or the retention if longer |
//! | decided approvals | the retention after the decision; an approved task Lexi still follows, at least a day |
//! | pending approvals (and closed ones, which record no time of closing) | 30 days after the card was made, or the retention if longer |
//! | `/followups` result cards | 2 days, or the retention if longer |
//! | feedback on answers | always: it is the product's training signal, exported with `lexi-slack feedback export` |
//! | jobs | until they finish: a finished job is deleted at once, an unfinished one is work |
//!
//! Approvals, threads and cards get a floor because people come back to them: a card can be
//! clicked days after it was posted, and a reply in a week-old thread should reach the same
//! conversation. Seen marks only need to outlive Slack's retries (minutes).

use super::{Store, StoreError};
use crate::domain::{Approval, ApprovalState, Verdict};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const DAY: Duration = Duration::from_secs(24 * 60 * 60);
/// Thread → conversation mappings, keyed like `threads`, valued with the last admission's Unix ms.
const ACTIVITY_TREE: &str = "thread_activity";

/// `LEXI_RETENTION`, and the window it gives each kind of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention(Duration);

impl Retention {
    pub const DEFAULT: Duration = DAY;
    /// Slack retries an event for about 6 minutes; seen marks must outlive that by far.
    pub const MIN: Duration = Duration::from_secs(60 * 60);
    pub const MAX: Duration = Duration::from_secs(365 * 24 * 60 * 60);
    /// Pending approvals and idle threads: people come back to them within weeks.
    pub const PEOPLE_RETURN: Duration = Duration::from_secs(30 * 24 * 60 * 60);
    /// `/followups` cards: longer than anyone keeps an ephemeral result open.
    pub const CARD_FLOOR: Duration = Duration::from_secs(2 * 24 * 60 * 60);
    /// The longest `LEXI_TASK_FOLLOW_LIMIT`: an approved task is followed at most this long.
    pub const FOLLOW_FLOOR: Duration = DAY;

    /// `window`, clamped to [`Self::MIN`]..=[`Self::MAX`] (config refuses values outside).
    pub fn new(window: Duration) -> Self {
        Self(window.clamp(Self::MIN, Self::MAX))
    }

    pub fn window(self) -> Duration {
        self.0
    }

    pub fn seen(self) -> Duration {
        self.0
    }

    pub fn idle_threads(self) -> Duration {
        self.0.max(Self::PEOPLE_RETURN)
    }

    pub fn cards(self) -> Duration {
        self.0.max(Self::CARD_FLOOR)
    }

    /// Until when an approval is kept (Unix ms).
    pub fn approval_kept_until(self, approval: &Approval) -> u64 {
        let after = |at_ms: u64, window: Duration| at_ms.saturating_add(ms(window));
        match &approval.state {
            ApprovalState::Decided { decision } => {
                let followed = decision.verdict == Verdict::Approve && approval.outcome.is_none();
                let window = if followed {
                    self.0.max(Self::FOLLOW_FLOOR)
                } else {
                    self.0
                };
                after(decision.at_ms, window)
            }
            // Deciding is a job in flight: it settles (or rolls back) long before this.
            ApprovalState::Pending
            | ApprovalState::Deciding { .. }
            | ApprovalState::Closed { .. } => {
                after(approval.created_ms, self.0.max(Self::PEOPLE_RETURN))
            }
        }
    }
}

impl Default for Retention {
    fn default() -> Self {
        Self(Self::DEFAULT)
    }
}

/// Where the store's stamps (admissions, clicks) come from, in Unix ms: the system clock, or for
/// `lexi-bench retention` a compressed one, so months of traffic fit in minutes.
#[derive(Clone)]
pub struct StoreClock(Arc<dyn Fn() -> u64 + Send + Sync>);

impl StoreClock {
    pub fn system() -> Self {
        Self(Arc::new(super::now_ms))
    }

    pub fn new(now_ms: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        Self(Arc::new(now_ms))
    }

    pub fn now_ms(&self) -> u64 {
        (self.0)()
    }
}

impl Default for StoreClock {
    fn default() -> Self {
        Self::system()
    }
}

impl std::fmt::Debug for StoreClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreClock")
    }
}

/// What the sweeper remembers between sweeps.
#[derive(Debug, Default)]
pub(super) struct SweepState {
    /// The day (Unix ms / a day, plus one) threads without a stamp were last looked for.
    adopted_on_day: AtomicU64,
}

/// What one sweep removed, by kind.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub seen: usize,
    pub threads: usize,
    pub approvals: usize,
    pub cards: usize,
}

impl Swept {
    pub fn total(&self) -> usize {
        self.seen + self.threads + self.approvals + self.cards
    }
}

pub(super) fn ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl Store {
    /// Forgets everything past its window as of `now_ms` (Unix ms): what the hourly sweeper runs.
    pub fn sweep(&self, now_ms: u64) -> Result<Swept, StoreError> {
        let retention = self.inner.retention;
        let cutoff = |window| now_ms.saturating_sub(ms(window));
        Ok(Swept {
            seen: self.expire_seen_before(cutoff(retention.seen()))?,
            threads: self.expire_threads_idle_since(cutoff(retention.idle_threads()), now_ms)?,
            approvals: self.expire_approvals(now_ms)?,
            cards: self.expire_cards_before(cutoff(retention.cards()))?,
        })
    }

    fn activity(&self) -> Result<sled::Tree, StoreError> {
        self.inner
            .db
            .open_tree(ACTIVITY_TREE)
            .map_err(StoreError::Engine)
    }

    /// Notes when a message for Lexi was last admitted in each thread. Outside the admission's
    /// transaction on purpose: a stamp lost in a crash only makes a thread look newer.
    pub(super) fn note_thread_activity<'a>(
        &self,
        stamps: impl Iterator<Item = (&'a str, [u8; 8])>,
    ) -> Result<(), StoreError> {
        let activity = self.activity()?;
        for (thread, stamp) in stamps {
            activity
                .insert(thread, &stamp)
                .map_err(StoreError::Engine)?;
        }
        Ok(())
    }

    /// Forgets threads without a message since `cutoff_ms`: the next mention there starts a new
    /// conversation. A thread with no stamp (filed before stamps existed, or outside an
    /// admission) is stamped `now_ms`, so it gets a full window from its first sweep.
    pub fn expire_threads_idle_since(
        &self,
        cutoff_ms: u64,
        now_ms: u64,
    ) -> Result<usize, StoreError> {
        let activity = self.activity()?;
        let threads = &self.inner.threads;
        let mut removed = 0;
        for entry in activity.iter() {
            let (key, stamp) = entry.map_err(StoreError::Engine)?;
            if stamp_ms(&stamp).is_some_and(|at| at >= cutoff_ms) {
                continue;
            }
            // Only if no message stamped it meanwhile.
            let gone = activity
                .compare_and_swap(&key, Some(stamp), None::<&[u8]>)
                .map_err(StoreError::Engine)?;
            if gone.is_ok() && threads.remove(&key).map_err(StoreError::Engine)?.is_some() {
                removed += 1;
            }
        }
        // Threads without a stamp are rare (filed before stamps existed, or re-filed by a job
        // that ran as its thread expired): looking for them once a day is enough, and spares
        // the hourly sweep a pass over every thread.
        let day = now_ms / ms(DAY) + 1;
        if self
            .inner
            .sweep_state
            .adopted_on_day
            .swap(day, Ordering::Relaxed)
            == day
        {
            return Ok(removed);
        }
        let now = now_ms.to_be_bytes();
        for key in threads.iter().keys() {
            let key = key.map_err(StoreError::Engine)?;
            if !activity.contains_key(&key).map_err(StoreError::Engine)? {
                // Never replaces a stamp an admission wrote meanwhile.
                let _ = activity
                    .compare_and_swap(&key, None::<&[u8]>, Some(&now[..]))
                    .map_err(StoreError::Engine)?;
            }
        }
        Ok(removed)
    }

    /// Forgets approvals past [`Retention::approval_kept_until`] as of `now_ms`.
    pub fn expire_approvals(&self, now_ms: u64) -> Result<usize, StoreError> {
        let retention = self.inner.retention;
        let approvals = &self.inner.approvals;
        let mut removed = 0;
        for entry in approvals.iter() {
            let (key, raw) = entry.map_err(StoreError::Engine)?;
            let expired = match serde_json::from_slice::<Approval>(&raw) {
                Ok(approval) => retention.approval_kept_until(&approval) < now_ms,
                Err(error) => {
                    // No click can ever use it; keep it for a person to look at, and say so.
                    tracing::warn!(%error, "an unreadable approval record is kept");
                    false
                }
            };
            // Only if nobody changed it since it was read (a click, a decision settling).
            if expired
                && approvals
                    .compare_and_swap(&key, Some(raw), None::<&[u8]>)
                    .map_err(StoreError::Engine)?
                    .is_ok()
            {
                removed += 1;
            }
        }
        Ok(removed)
    }

    pub fn seen_count(&self) -> usize {
        self.inner.seen.len()
    }
}

fn stamp_ms(raw: &[u8]) -> Option<u64> {
    <[u8; 8]>::try_from(raw).ok().map(u64::from_be_bytes)
}

#[cfg(test)]
#[path = "retention_tests.rs"]
mod tests;
