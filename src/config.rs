//! Settings, read once from the environment at startup; nothing else reads the environment.

use crate::domain::UserId;
use crate::slack::verify::SigningSecrets;
use crate::store::Retention;
use secrecy::SecretString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub const DEFAULT_LEADLEX_API_URL: &str = "https://data.leadlex.com/functions/v1/api-gateway";
pub const DEFAULT_SLACK_API_URL: &str = "https://slack.com/api";
pub const DEFAULT_TASK_FOLLOW_LIMIT: Duration = Duration::from_secs(30 * 60);

/// Everything the bot needs to run.
#[derive(Debug, Clone)]
pub struct Config {
    pub signing_secrets: SigningSecrets,
    pub slack_bot_token: SecretString,
    pub leadlex_api_key: SecretString,
    pub leadlex_api_url: String,
    pub slack_api_url: String,
    pub listen_addr: SocketAddr,
    pub data_dir: PathBuf,
    /// Slack users who may approve any Lexi task, besides the one who asked.
    pub approvers: Vec<UserId>,
    pub log_format: LogFormat,
    /// `LEXI_STREAMING`: stream answers into the thread as Lexi writes them (default off until a
    /// crash between `chat.startStream` and recording its ts can no longer leave partial text).
    pub streaming: bool,
    pub tuning: Tuning,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Limits and timings. Defaults suit production; tests shorten the waits.
#[derive(Debug, Clone)]
pub struct Tuning {
    /// Jobs running at once (each mostly waits on LeadLex).
    pub max_concurrent_jobs: usize,
    /// Unfinished jobs beyond which new Slack requests are refused with 503 (Slack retries),
    /// so an outage cannot grow the queue without bound.
    pub max_queued_jobs: usize,
    /// Tries of one job before the user is told it failed.
    pub max_attempts: u32,
    /// First retry delay; doubled each attempt, up to `retry_max_delay`.
    pub retry_base_delay: Duration,
    pub retry_max_delay: Duration,
    /// A LeadLex rate-limit reset further away than this is reported instead of waited for.
    pub max_rate_limit_wait: Duration,
    pub leadlex_timeout: Duration,
    pub slack_timeout: Duration,
    /// Largest request body accepted from Slack.
    pub max_body_bytes: usize,
    /// Time a whole request (body included) may take to arrive: a trickled body is cut off.
    pub request_timeout: Duration,
    /// How long shutdown waits for running jobs before leaving them for the next start.
    pub shutdown_grace: Duration,
    /// `LEXI_RETENTION`: how long what the bot no longer needs is kept (seen events, idle
    /// threads, decided approvals, cards; each with the floor `store::Retention` gives it).
    pub retention: Duration,
    pub store_cache_bytes: u64,
    /// First wait before checking on an approved task; doubled each round up to `task_follow_max_delay`.
    pub task_follow_first_delay: Duration,
    pub task_follow_max_delay: Duration,
    /// `LEXI_TASK_FOLLOW_LIMIT`: how long after approval the bot keeps checking on a task.
    pub task_follow_limit: Duration,
    /// A streamed answer is appended once this many characters are buffered…
    pub stream_flush_chars: usize,
    /// …or once this long has passed since the last append, whichever comes first.
    pub stream_flush_interval: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            max_concurrent_jobs: 64,
            max_queued_jobs: 100_000,
            max_attempts: 6,
            retry_base_delay: Duration::from_secs(2),
            retry_max_delay: Duration::from_secs(120),
            max_rate_limit_wait: Duration::from_secs(15 * 60),
            leadlex_timeout: Duration::from_secs(90),
            slack_timeout: Duration::from_secs(15),
            max_body_bytes: 256 * 1024,
            request_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(20),
            retention: Retention::DEFAULT,
            store_cache_bytes: 16 * 1024 * 1024,
            task_follow_first_delay: Duration::from_secs(3),
            task_follow_max_delay: Duration::from_secs(60),
            task_follow_limit: DEFAULT_TASK_FOLLOW_LIMIT,
            // chat.appendStream is Tier 4 (100+/min): ~1 call a second per stream stays well within it.
            stream_flush_chars: 256,
            stream_flush_interval: Duration::from_millis(800),
        }
    }
}

/// Every problem found in the environment, reported together.
#[derive(Debug, thiserror::Error)]
#[error("configuration is incomplete:\n{}", .problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
pub struct ConfigError {
    pub problems: Vec<String>,
}

impl Config {
    /// Reads the process environment (after an optional `.env`, loaded by the binary).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut problems = Vec::new();
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let mut required = |name: &str, prefix: &str, what: &str| match get(name) {
            None => {
                problems.push(format!("{name} is not set ({what})"));
                None
            }
            Some(v) if !v.starts_with(prefix) => {
                problems.push(format!("{name} must start with `{prefix}` ({what})"));
                None
            }
            Some(v) => Some(SecretString::from(v)),
        };
        let signing_secret = required(
            "SLACK_SIGNING_SECRET",
            "",
            "Slack app → Basic Information → Signing Secret",
        );
        let slack_bot_token = required(
            "SLACK_BOT_TOKEN",
            "xoxb-",
            "Slack app → OAuth & Permissions → Bot User OAuth Token",
        );
        let leadlex_api_key = required(
            "LEADLEX_API_KEY",
            "wbk_",
            "LeadLex → Settings → API & Integrations",
        );
        let previous_secret = get("SLACK_SIGNING_SECRET_PREVIOUS").map(SecretString::from);

        let leadlex_api_url = url_setting(
            &get,
            "LEADLEX_API_URL",
            DEFAULT_LEADLEX_API_URL,
            &mut problems,
        );
        let slack_api_url =
            url_setting(&get, "SLACK_API_URL", DEFAULT_SLACK_API_URL, &mut problems);

        let listen_addr = get("LISTEN_ADDR").unwrap_or_else(|| "0.0.0.0:3000".into());
        let listen_addr = listen_addr.parse::<SocketAddr>().map_err(|_| {
            problems.push(format!(
                "LISTEN_ADDR `{listen_addr}` is not an address like 0.0.0.0:3000"
            ))
        });
        let data_dir = PathBuf::from(get("DATA_DIR").unwrap_or_else(|| "./data".into()));

        let mut approvers = Vec::new();
        for id in get("LEXI_APPROVERS").iter().flat_map(|v| v.split(',')) {
            let id = id.trim();
            if id.is_empty() {
                continue;
            }
            match UserId::parse(id) {
                Ok(user) => approvers.push(user),
                Err(_) => problems.push(format!(
                    "LEXI_APPROVERS: `{id}` is not a Slack user id (U…)"
                )),
            }
        }
        let task_follow_limit = match get("LEXI_TASK_FOLLOW_LIMIT") {
            None => DEFAULT_TASK_FOLLOW_LIMIT,
            Some(value) => parse_limit(&value).unwrap_or_else(|| {
                problems.push(format!(
                    "LEXI_TASK_FOLLOW_LIMIT `{value}` is not a duration like 90s, 30m or 2h (at most 24h)"
                ));
                DEFAULT_TASK_FOLLOW_LIMIT
            }),
        };
        let retention = match get("LEXI_RETENTION") {
            None => Retention::DEFAULT,
            Some(value) => parse_retention(&value).unwrap_or_else(|| {
                problems.push(format!(
                    "LEXI_RETENTION `{value}` is not a duration like 90m, 24h or 7d (at least 1h, at most 365d)"
                ));
                Retention::DEFAULT
            }),
        };
        let streaming = match get("LEXI_STREAMING").as_deref() {
            Some("on") => true,
            None | Some("off") => false,
            Some(other) => {
                problems.push(format!("LEXI_STREAMING `{other}` must be `on` or `off`"));
                false
            }
        };
        let log_format = match get("LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                problems.push(format!("LOG_FORMAT `{other}` must be `text` or `json`"));
                LogFormat::Text
            }
        };

        match (
            signing_secret,
            slack_bot_token,
            leadlex_api_key,
            listen_addr,
        ) {
            (Some(current), Some(slack_bot_token), Some(leadlex_api_key), Ok(listen_addr))
                if problems.is_empty() =>
            {
                Ok(Config {
                    signing_secrets: SigningSecrets::new(current, previous_secret),
                    slack_bot_token,
                    leadlex_api_key,
                    leadlex_api_url,
                    slack_api_url,
                    listen_addr,
                    data_dir,
                    approvers,
                    log_format,
                    streaming,
                    tuning: Tuning {
                        task_follow_limit,
                        retention,
                        ..Tuning::default()
                    },
                })
            }
            _ => Err(ConfigError { problems }),
        }
    }
}

fn url_setting(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: &str,
    problems: &mut Vec<String>,
) -> String {
    let value = get(name).unwrap_or_else(|| default.to_owned());
    match url::Url::parse(&value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => {
            value.trim_end_matches('/').to_owned()
        }
        _ => {
            problems.push(format!("{name} `{value}` is not an http(s) URL"));
            value
        }
    }
}

/// `90s`, `30m`, `2h`; a bare number is minutes. Between a second and a day.
fn parse_limit(value: &str) -> Option<Duration> {
    let value = value.trim();
    let (number, unit) = match value.char_indices().last()? {
        (i, 's') => (&value[..i], 1),
        (i, 'm') => (&value[..i], 60),
        (i, 'h') => (&value[..i], 3600),
        _ => (value, 60),
    };
    let seconds = number.trim().parse::<u64>().ok()?.checked_mul(unit)?;
    (1..=24 * 3600)
        .contains(&seconds)
        .then(|| Duration::from_secs(seconds))
}

/// `90m`, `24h`, `7d`: minutes, hours or days, between [`Retention::MIN`] and [`Retention::MAX`].
fn parse_retention(value: &str) -> Option<Duration> {
    let value = value.trim();
    let (number, unit) = match value.char_indices().last()? {
        (i, 'm') => (&value[..i], 60),
        (i, 'h') => (&value[..i], 3600),
        (i, 'd') => (&value[..i], 24 * 3600),
        _ => return None,
    };
    let seconds = number.trim().parse::<u64>().ok()?.checked_mul(unit)?;
    let window = Duration::from_secs(seconds);
    (Retention::MIN..=Retention::MAX)
        .contains(&window)
        .then_some(window)
}

/// Where the bot listens, for the health probe (which needs no secrets).
pub fn listen_addr_from_env() -> SocketAddr {
    std::env::var("LISTEN_ADDR")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 3000)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    const MINIMAL: &[(&str, &str)] = &[
        ("SLACK_SIGNING_SECRET", "s3cr3t-signing"),
        ("SLACK_BOT_TOKEN", "xoxb-123-secret"),
        ("LEADLEX_API_KEY", "wbk_live_secret"),
    ];

    #[test]
    fn the_three_secrets_are_enough_and_defaults_fill_the_rest() {
        let c = config(MINIMAL).unwrap();
        assert_eq!(c.leadlex_api_url, DEFAULT_LEADLEX_API_URL);
        assert_eq!(c.slack_api_url, DEFAULT_SLACK_API_URL);
        assert_eq!(c.listen_addr.to_string(), "0.0.0.0:3000");
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        assert!(c.approvers.is_empty());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let err = config(&[
            ("SLACK_BOT_TOKEN", "xoxp-user-token"),
            ("LISTEN_ADDR", "port 80"),
            ("LEADLEX_API_URL", "ftp://x"),
            ("LEXI_APPROVERS", "U0OK, bob"),
        ])
        .unwrap_err();
        let text = err.to_string();
        for needle in [
            "SLACK_SIGNING_SECRET is not set",
            "SLACK_BOT_TOKEN must start with `xoxb-`",
            "LEADLEX_API_KEY is not set",
            "LISTEN_ADDR",
            "LEADLEX_API_URL",
            "`bob` is not a Slack user id",
        ] {
            assert!(text.contains(needle), "{needle} missing from:\n{text}");
        }
    }

    #[test]
    fn secrets_never_appear_in_debug_output_or_errors() {
        let c = config(MINIMAL).unwrap();
        let shown = format!("{c:?}");
        for (_, secret) in MINIMAL {
            assert!(!shown.contains(secret), "{secret} leaked: {shown}");
        }
    }

    #[test]
    fn the_task_follow_limit_defaults_to_half_an_hour_and_takes_units() {
        assert_eq!(
            config(MINIMAL).unwrap().tuning.task_follow_limit,
            Duration::from_secs(1800)
        );
        for (value, secs) in [("90s", 90), ("45m", 2700), ("2h", 7200), ("10", 600)] {
            let mut vars = MINIMAL.to_vec();
            vars.push(("LEXI_TASK_FOLLOW_LIMIT", value));
            assert_eq!(
                config(&vars).unwrap().tuning.task_follow_limit,
                Duration::from_secs(secs),
                "{value}"
            );
        }
        for bad in ["soon", "0m", "25h", "-5m", "m"] {
            let mut vars = MINIMAL.to_vec();
            vars.push(("LEXI_TASK_FOLLOW_LIMIT", bad));
            let err = config(&vars).unwrap_err().to_string();
            assert!(err.contains("LEXI_TASK_FOLLOW_LIMIT"), "{bad}: {err}");
        }
    }

    #[test]
    fn retention_defaults_to_a_day_and_takes_minutes_hours_or_days() {
        assert_eq!(
            config(MINIMAL).unwrap().tuning.retention,
            Duration::from_secs(24 * 3600)
        );
        for (value, secs) in [
            ("90m", 5400),
            ("24h", 86_400),
            ("7d", 604_800),
            (" 365d ", 31_536_000),
        ] {
            let mut vars = MINIMAL.to_vec();
            vars.push(("LEXI_RETENTION", value));
            assert_eq!(
                config(&vars).unwrap().tuning.retention,
                Duration::from_secs(secs),
                "{value}"
            );
        }
        for bad in [
            "soon", "24", "59m", "366d", "0d", "-1d", "1.5d", "d", "7days",
        ] {
            let mut vars = MINIMAL.to_vec();
            vars.push(("LEXI_RETENTION", bad));
            let err = config(&vars).unwrap_err().to_string();
            assert!(
                err.contains("LEXI_RETENTION") && err.contains("at least 1h"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn approvers_are_parsed_from_a_comma_separated_list() {
        let mut vars = MINIMAL.to_vec();
        vars.push(("LEXI_APPROVERS", "U0ALICE, U0BOB,"));
        let c = config(&vars).unwrap();
        let ids: Vec<_> = c.approvers.iter().map(|u| u.to_string()).collect();
        assert_eq!(ids, ["U0ALICE", "U0BOB"]);
    }
}
