//! How long to wait before the next connection attempt: doubled per failure in a row, capped, jittered.

use std::time::Duration;

/// Failures in a row, and the waits they lead to.
#[derive(Debug, Clone)]
pub(super) struct Backoff {
    first: Duration,
    max: Duration,
    failures: u32,
}

impl Backoff {
    pub(super) fn new(first: Duration, max: Duration) -> Self {
        Self {
            first,
            max: max.max(first),
            failures: 0,
        }
    }

    /// The wait after one more failure. Random jitter keeps many bots (or many restarts of one)
    /// from reconnecting in lockstep after a Slack incident.
    pub(super) fn next_delay(&mut self) -> Duration {
        let delay = self.delay_with(random_fraction());
        self.failures = self.failures.saturating_add(1);
        delay
    }

    /// The longest wait, for problems a quick retry will not fix (a refused token, Socket Mode off).
    pub(super) fn max_delay(&self) -> Duration {
        self.max
    }

    /// A connection was greeted by Slack: the next failure starts from the first delay again.
    pub(super) fn reset(&mut self) {
        self.failures = 0;
    }

    /// Between half and all of `first × 2^failures` (at most `max`); `jitter` is in [0, 1).
    fn delay_with(&self, jitter: f64) -> Duration {
        let doubled = self
            .first
            .saturating_mul(1u32.checked_shl(self.failures.min(31)).unwrap_or(u32::MAX));
        let ceiling = doubled.min(self.max);
        ceiling / 2 + ceiling.div_f64(2.0).mul_f64(jitter.clamp(0.0, 1.0))
    }
}

/// A number in [0, 1) from the v4 UUID generator the crate already uses for idempotency keys
/// (its first 48 bits are all random; the version and variant bits come later).
fn random_fraction() -> f64 {
    (uuid::Uuid::new_v4().as_u128() >> 80) as f64 / (1u64 << 48) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backoff() -> Backoff {
        Backoff::new(Duration::from_secs(1), Duration::from_secs(60))
    }

    #[test]
    fn waits_double_per_failure_up_to_the_cap() {
        let mut b = backoff();
        let mut ceilings = Vec::new();
        for _ in 0..10 {
            ceilings.push(b.delay_with(1.0));
            b.failures += 1;
        }
        let secs: Vec<u64> = ceilings.iter().map(Duration::as_secs).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]);
    }

    #[test]
    fn jitter_keeps_a_wait_between_half_and_all_of_its_ceiling() {
        let mut b = backoff();
        b.failures = 3;
        assert_eq!(b.delay_with(0.0), Duration::from_secs(4));
        assert_eq!(b.delay_with(0.5), Duration::from_secs(6));
        for _ in 0..1000 {
            let mut b = backoff();
            b.failures = 3;
            let d = b.next_delay();
            assert!(
                d >= Duration::from_secs(4) && d <= Duration::from_secs(8),
                "{d:?}"
            );
        }
    }

    #[test]
    fn a_greeting_resets_and_many_failures_never_overflow() {
        let mut b = backoff();
        for _ in 0..100 {
            assert!(b.next_delay() <= Duration::from_secs(60));
        }
        assert_eq!(b.failures, 100);
        b.reset();
        assert!(b.next_delay() <= Duration::from_secs(1));
        assert_eq!(b.max_delay(), Duration::from_secs(60));
    }
}
