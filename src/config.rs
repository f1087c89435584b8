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
/// A person asking Lexi more than once every three seconds for a minute is a script or a loop.
pub const DEFAULT_USER_CALLS_PER_MINUTE: u32 = 20;
/// Ten such people at once, per workspace.
pub const DEFAULT_TEAM_CALLS_PER_MINUTE: u32 = 200;

/// Everything the bot needs to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Optional only in Socket Mode, where no request is signed (the app token opened the socket).
    pub signing_secrets: Option<SigningSecrets>,
    /// `SLACK_APP_TOKEN` (`xapp-…`): when set, Slack's payloads also arrive over Socket Mode.
    pub slack_app_token: Option<SecretString>,
    pub slack_bot_token: SecretString,
    pub leadlex_api_key: SecretString,
    pub leadlex_api_url: String,
    pub slack_api_url: String,
    pub listen_addr: SocketAddr,
    pub data_dir: PathBuf,
    /// Slack users who may approve any Lexi task, besides the one who asked.
    pub approvers: Vec<UserId>,
    pub log_format: LogFormat,
    /// `LEXI_STREAMING`: stream answers into the thread as Lexi writes them (default on; a
    /// workspace without Slack's agent features gets the plain reply, as does any stream error).
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
    /// Runnable jobs beyond what the worker finishes in this long (at its recent rate) make new
    /// requests wait for room, then get a 503: a burst cannot leave minutes of queued work.
    pub queue_drain_target: Duration,
    /// Runnable jobs always accepted, however slowly jobs finish (LeadLex answers take seconds).
    pub min_queued_jobs: usize,
    /// How long a request waits for room in a full queue before the 503 (Slack allows 3 s).
    pub admission_wait: Duration,
    /// Tries of one job before the user is told it failed. With the default backoff (2 s doubling
    /// to 30 s) the 24 tries wait 10 minutes in all between them
    /// ([`crate::bot::RetryPolicy::patience`]), so a LeadLex outage of a few minutes is ridden out
    /// rather than reported. The tries are the job's, not each step's: a two-minute outage spends
    /// 8 of them, and the 30 s cap (rather than minutes) leaves 16 for the steps after it, so
    /// a flaky Slack at the end cannot exhaust them, and every waiting job tries again within
    /// 30 s of LeadLex coming back (RELIABILITY.md, "Faults from LeadLex and Slack").
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
    /// `LEXI_USER_CALLS_PER_MINUTE`: requests to Lexi one user may make per window (0: no cap).
    pub user_calls_per_minute: u32,
    /// `LEXI_TEAM_CALLS_PER_MINUTE`: requests to Lexi one workspace may make per window (0: no cap).
    pub team_calls_per_minute: u32,
    /// The sliding window those caps count in: a minute (tests shorten it).
    pub quota_window: Duration,
    /// Lexi's answer stream is given up as stalled after this long without a byte (it then
    /// falls back to the plain reply); `leadlex_timeout` would cut off a long answer still flowing.
    pub leadlex_stream_idle_timeout: Duration,
    /// …and after this long in all, however steadily it flows.
    pub leadlex_stream_max_duration: Duration,
    /// A rep's DM is offered suggested prompts at most once in this long.
    pub suggested_prompts_every: Duration,
    /// How long Lexi may take before the "working on it" placeholder goes up (zero: before
    /// asking). Answers quicker than this arrive as one message, without a placeholder.
    pub placeholder_after: Duration,
    /// Socket Mode: first wait before reconnecting after a failure; doubled (with jitter) per
    /// failure in a row, up to `socket_backoff_max`.
    pub socket_backoff_first: Duration,
    pub socket_backoff_max: Duration,
    /// Socket Mode: silence after which the bot pings Slack; a second silence this long ends the
    /// connection (a stalled socket looks open but delivers nothing).
    pub socket_ping_interval: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            max_concurrent_jobs: 64,
            // Bounds memory when jobs pile up waiting for retries; under load the drain target
            // keeps the queue far smaller.
            max_queued_jobs: 10_000,
            queue_drain_target: Duration::from_millis(500),
            min_queued_jobs: 1_000,
            admission_wait: Duration::from_secs(1),
            max_attempts: 24,
            retry_base_delay: Duration::from_secs(2),
            retry_max_delay: Duration::from_secs(30),
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
            user_calls_per_minute: DEFAULT_USER_CALLS_PER_MINUTE,
            team_calls_per_minute: DEFAULT_TEAM_CALLS_PER_MINUTE,
            quota_window: Duration::from_secs(60),
            leadlex_stream_idle_timeout: Duration::from_secs(60),
            leadlex_stream_max_duration: Duration::from_secs(10 * 60),
            suggested_prompts_every: Duration::from_secs(24 * 60 * 60),
            placeholder_after: crate::bot::DEFAULT_PLACEHOLDER_AFTER,
            socket_backoff_first: Duration::from_secs(1),
            socket_backoff_max: Duration::from_secs(60),
            socket_ping_interval: Duration::from_secs(10),
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
        let slack_app_token = match get("SLACK_APP_TOKEN") {
            Some(v) if !v.starts_with("xapp-") => {
                problems.push(
                    "SLACK_APP_TOKEN must start with `xapp-` (Slack app → Basic Information → App-Level Tokens)"
                        .to_owned(),
                );
                None
            }
            v => v.map(SecretString::from),
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
        // Socket Mode payloads are not signed: without HTTP callbacks the secret is not needed.
        let signing_secret = match get("SLACK_SIGNING_SECRET") {
            None if get("SLACK_APP_TOKEN").is_some() => None,
            _ => required(
                "SLACK_SIGNING_SECRET",
                "",
                "Slack app → Basic Information → Signing Secret; or set SLACK_APP_TOKEN for Socket Mode",
            ),
        };
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
        let mut per_minute = |name: &str, default: u32| match get(name) {
            None => default,
            Some(value) => value.parse::<u32>().unwrap_or_else(|_| {
                problems.push(format!(
                    "{name} `{value}` is not a whole number of requests (0 turns the cap off)"
                ));
                default
            }),
        };
        let user_calls_per_minute =
            per_minute("LEXI_USER_CALLS_PER_MINUTE", DEFAULT_USER_CALLS_PER_MINUTE);
        let team_calls_per_minute =
            per_minute("LEXI_TEAM_CALLS_PER_MINUTE", DEFAULT_TEAM_CALLS_PER_MINUTE);
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
            None | Some("on") => true,
            Some("off") => false,
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

        match (slack_bot_token, leadlex_api_key, listen_addr) {
            (Some(slack_bot_token), Some(leadlex_api_key), Ok(listen_addr))
                if problems.is_empty() =>
            {
                Ok(Config {
                    signing_secrets: signing_secret
                        .map(|current| SigningSecrets::new(current, previous_secret)),
                    slack_app_token,
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
                        user_calls_per_minute,
                        team_calls_per_minute,
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
    fn request_caps_default_to_20_per_user_and_200_per_workspace_and_0_turns_them_off() {
        let t = config(MINIMAL).unwrap().tuning;
        assert_eq!(
            (t.user_calls_per_minute, t.team_calls_per_minute),
            (20, 200)
        );
        let mut vars = MINIMAL.to_vec();
        vars.extend([
            ("LEXI_USER_CALLS_PER_MINUTE", "0"),
            ("LEXI_TEAM_CALLS_PER_MINUTE", " 500 "),
        ]);
        let t = config(&vars).unwrap().tuning;
        assert_eq!((t.user_calls_per_minute, t.team_calls_per_minute), (0, 500));
        let mut vars = MINIMAL.to_vec();
        vars.extend([
            ("LEXI_USER_CALLS_PER_MINUTE", "lots"),
            ("LEXI_TEAM_CALLS_PER_MINUTE", "-1"),
        ]);
        let err = config(&vars).unwrap_err().to_string();
        assert!(err.contains("LEXI_USER_CALLS_PER_MINUTE `lots`"), "{err}");
        assert!(err.contains("LEXI_TEAM_CALLS_PER_MINUTE `-1`"), "{err}");
    }

    #[test]
    fn an_app_token_turns_socket_mode_on_and_makes_the_signing_secret_optional() {
        let socket_only = [
            ("SLACK_APP_TOKEN", "xapp-1-A0LEXI-secret"),
            ("SLACK_BOT_TOKEN", "xoxb-123-secret"),
            ("LEADLEX_API_KEY", "wbk_live_secret"),
        ];
        let c = config(&socket_only).unwrap();
        assert!(c.signing_secrets.is_none());
        assert!(c.slack_app_token.is_some());
        assert!(!format!("{c:?}").contains("xapp-1-A0LEXI-secret"));

        let mut both = MINIMAL.to_vec();
        both.push(("SLACK_APP_TOKEN", "xapp-1-A0LEXI-secret"));
        let c = config(&both).unwrap();
        assert!(c.signing_secrets.is_some() && c.slack_app_token.is_some());
        assert!(config(MINIMAL).unwrap().slack_app_token.is_none());
    }

    #[test]
    fn an_app_token_of_the_wrong_kind_is_one_clear_problem() {
        let mut vars = MINIMAL.to_vec();
        vars.push(("SLACK_APP_TOKEN", "xoxb-123-secret"));
        let err = config(&vars).unwrap_err();
        assert_eq!(err.problems.len(), 1, "{err}");
        assert!(
            err.problems[0].contains("SLACK_APP_TOKEN must start with `xapp-`"),
            "{err}"
        );

        let err = config(&[("SLACK_BOT_TOKEN", "xoxb-1"), ("LEADLEX_API_KEY", "wbk_1")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("SLACK_SIGNING_SECRET is not set") && err.contains("SLACK_APP_TOKEN"),
            "names both ways to receive Slack's payloads: {err}"
        );
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
