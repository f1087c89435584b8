//! Who may decide Lexi's tasks besides the one who asked, and how long the bot follows an approved task.

use crate::domain::UserId;
use std::time::Duration;

#[derive(Debug, Clone, Default)]
pub struct ApprovalSettings {
    /// `LEXI_APPROVERS`: may decide any task.
    pub approvers: Vec<UserId>,
    pub follow: FollowPolicy,
}

/// Polling an approved task: a first look after `first_delay`, then doubling waits up to
/// `max_delay`, until `limit` has passed since approval.
#[derive(Debug, Clone)]
pub struct FollowPolicy {
    pub first_delay: Duration,
    pub max_delay: Duration,
    pub limit: Duration,
}

impl Default for FollowPolicy {
    fn default() -> Self {
        Self {
            first_delay: Duration::from_secs(3),
            max_delay: Duration::from_secs(60),
            limit: Duration::from_secs(30 * 60),
        }
    }
}

impl FollowPolicy {
    /// The wait after `rounds` looks that found the task still running.
    pub fn delay(&self, rounds: u32) -> Duration {
        let factor = 1u32.checked_shl(rounds.min(16)).unwrap_or(u32::MAX);
        self.first_delay.saturating_mul(factor).min(self.max_delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follow_waits_start_at_a_few_seconds_and_double_up_to_a_minute() {
        let p = FollowPolicy::default();
        let waits: Vec<_> = (0..7).map(|r| p.delay(r).as_secs()).collect();
        assert_eq!(waits, [3, 6, 12, 24, 48, 60, 60]);
        assert_eq!(p.delay(u32::MAX), Duration::from_secs(60));
    }
}
