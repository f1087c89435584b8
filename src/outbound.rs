//! The one way the bot builds an HTTP client for LeadLex and Slack: bounded time, our user agent.

use std::time::Duration;

/// A client whose every request gives up after `timeout` (connecting after 5 s).
pub fn client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("lexi-slack/", env!("CARGO_PKG_VERSION")))
        .build()
}
