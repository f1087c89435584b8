//! Tests of the simulators themselves, driven over HTTP with reqwest.

mod core;
mod faults;
mod leadlex;
mod slack;

use std::time::Duration;

/// Generous: these only bound a failure, a passing test never waits this long.
pub(super) const DEADLINE: Duration = Duration::from_secs(5);

pub(super) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(DEADLINE)
        .build()
        .expect("client")
}
