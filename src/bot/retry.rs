//! When to try a job again: exponential backoff, a bounded number of attempts, and the server's word when it gives one.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// A wait the server asks for beyond this is reported to the user instead of waited out.
    pub max_server_wait: Duration,
}

impl RetryPolicy {
    /// Whether a job that has failed `attempts` times before this run may be tried again.
    pub fn may_retry(&self, attempts: u32) -> bool {
        attempts + 1 < self.max_attempts
    }

    /// The least time a job keeps trying when every try fails at once: the sum of the waits
    /// between its tries (the tries' own time comes on top). What an outage must not outlast.
    pub fn patience(&self) -> Duration {
        (0..self.max_attempts.saturating_sub(1))
            .map(|attempts| self.delay(attempts, None))
            .sum()
    }

    /// The wait before the next try: the server's, when it said, else doubling from the base.
    pub fn delay(&self, attempts: u32, server_says: Option<Duration>) -> Duration {
        if let Some(wait) = server_says {
            return wait.max(Duration::from_millis(100));
        }
        let factor = 1u32.checked_shl(attempts.min(16)).unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(30),
            max_server_wait: Duration::from_secs(900),
        }
    }

    #[test]
    fn delays_double_up_to_the_cap() {
        let p = policy();
        let delays: Vec<_> = (0..6).map(|a| p.delay(a, None).as_secs()).collect();
        assert_eq!(delays, [2, 4, 8, 16, 30, 30]);
        assert_eq!(p.delay(u32::MAX, None), Duration::from_secs(30));
    }

    #[test]
    fn the_servers_wait_wins() {
        assert_eq!(
            policy().delay(0, Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
    }

    #[test]
    fn the_shipped_schedule_keeps_trying_for_ten_minutes() {
        let t = crate::config::Tuning::default();
        let shipped = RetryPolicy {
            max_attempts: t.max_attempts,
            base_delay: t.retry_base_delay,
            max_delay: t.retry_max_delay,
            max_server_wait: t.max_rate_limit_wait,
        };
        // 2+4+8+16+30×19 s: a two-minute LeadLex outage is waited out five times over.
        assert_eq!(shipped.patience(), Duration::from_secs(600));
        assert_eq!(policy().patience(), Duration::from_secs(2 + 4 + 8));
    }

    #[test]
    fn attempts_are_bounded() {
        let p = policy();
        assert!(p.may_retry(0) && p.may_retry(2));
        assert!(!p.may_retry(3));
    }
}
