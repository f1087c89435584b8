//! Which `response_url`s the bot will POST to: Slack's hooks host, or the configured Slack API's own origin.
//!
//! A response URL comes inside a request, and the bot later POSTs to it. Only Slack's hooks
//! host is trusted in production; the origin of `SLACK_API_URL` is trusted too, so the simulator
//! (and a Slack proxy, if one is configured) works, while a URL pointing anywhere else is refused
//! instead of becoming a way to make the bot send requests into the network (SSRF).

use url::{Origin, Url};

/// Hosts Slack sends response URLs from (GovSlack has its own).
const SLACK_HOOK_HOSTS: [&str; 2] = ["hooks.slack.com", "hooks.slack-gov.com"];

#[derive(Debug, Clone)]
pub struct ResponseUrlPolicy {
    api_origin: Option<Origin>,
}

impl ResponseUrlPolicy {
    /// Trusts Slack's hooks hosts and the origin of `slack_api_url` (`SLACK_API_URL`).
    pub fn new(slack_api_url: &str) -> Self {
        let api_origin = Url::parse(slack_api_url)
            .ok()
            .map(|url| url.origin())
            .filter(Origin::is_tuple);
        Self { api_origin }
    }

    pub fn allows(&self, response_url: &str) -> bool {
        let Ok(url) = Url::parse(response_url) else {
            return false;
        };
        if !url.username().is_empty() || url.password().is_some() {
            return false;
        }
        let slack_hook = url.scheme() == "https"
            && url.port().is_none()
            && url
                .host_str()
                .is_some_and(|host| SLACK_HOOK_HOSTS.contains(&host));
        slack_hook || self.api_origin.as_ref() == Some(&url.origin())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_hooks_are_trusted_and_other_hosts_are_not() {
        let policy = ResponseUrlPolicy::new("https://slack.com/api");
        assert!(policy.allows("https://hooks.slack.com/commands/T1/123/abc"));
        assert!(policy.allows("https://hooks.slack.com/actions/T1/123/abc"));
        for forged in [
            "http://hooks.slack.com/commands/T1/1/a",
            "https://hooks.slack.com:8443/commands/T1/1/a",
            "https://hooks.slack.com.evil.example/commands",
            "https://evil.example/?https://hooks.slack.com/",
            "https://user:pw@hooks.slack.com/commands/T1/1/a",
            "http://169.254.169.254/latest/meta-data",
            "http://127.0.0.1:3000/slack/events",
            "file:///etc/passwd",
            "hooks.slack.com/commands",
            "",
        ] {
            assert!(!policy.allows(forged), "{forged} must be refused");
        }
    }

    #[test]
    fn the_configured_slack_origin_is_trusted_so_the_simulator_works() {
        let policy = ResponseUrlPolicy::new("http://127.0.0.1:41234/api");
        assert!(policy.allows("http://127.0.0.1:41234/response/cmd-1"));
        assert!(!policy.allows("http://127.0.0.1:41235/response/cmd-1"));
        assert!(!policy.allows("https://127.0.0.1:41234/response/cmd-1"));
        assert!(policy.allows("https://hooks.slack.com/commands/T1/1/a"));
    }
}
