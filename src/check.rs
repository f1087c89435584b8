//! `lexi-slack check`: validates the configuration and every connection, one clear line per finding.

use crate::config::Config;
use crate::domain::TaskStatus;
use crate::leadlex::{LeadLexClient, LeadLexErrorKind};
use crate::slack::WebApi;
use crate::store::{SCHEMA_VERSION, Store, StoreError, StoreSettings};
use std::time::Duration;

/// One finding: fine, or a problem an admin can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub ok: bool,
    pub line: String,
}

impl Finding {
    fn ok(line: impl Into<String>) -> Self {
        Self {
            ok: true,
            line: line.into(),
        }
    }

    fn problem(line: impl Into<String>) -> Self {
        Self {
            ok: false,
            line: line.into(),
        }
    }
}

/// Runs every check; never stops at the first problem.
pub async fn run(config: &Config) -> Vec<Finding> {
    let timeout = Duration::from_secs(10);
    let mut findings = vec![Finding::ok("configuration: all required variables are set")];
    findings.push(match WebApi::new(&config.slack_api_url, &config.slack_bot_token, timeout) {
        Ok(slack) => match slack.identify().await {
            Ok(bot) => Finding::ok(format!(
                "Slack: signed in as bot user {} in workspace \"{}\" ({}, {})",
                bot.user_id, bot.team, bot.team_id, bot.url
            )),
            Err(e) => Finding::problem(format!(
                "Slack: auth.test failed ({e}); check SLACK_BOT_TOKEN and that the app is installed"
            )),
        },
        Err(e) => Finding::problem(format!("Slack: cannot build an HTTP client ({e})")),
    });
    findings.push(match LeadLexClient::new(&config.leadlex_api_url, config.leadlex_api_key.clone(), timeout) {
        Ok(leadlex) => match leadlex.tasks(TaskStatus::Pending).await {
            Ok(tasks) => Finding::ok(format!(
                "LeadLex: the API key works and has the `lexi` permission ({} pending task(s))",
                tasks.len()
            )),
            Err(e) => Finding::problem(match e.kind {
                LeadLexErrorKind::InvalidKey => {
                    "LeadLex: LEADLEX_API_KEY was refused (invalid, expired or revoked)".to_owned()
                }
                LeadLexErrorKind::MissingPermission { .. } => {
                    "LeadLex: LEADLEX_API_KEY lacks the `lexi` permission; ask your LeadLex admin".to_owned()
                }
                _ => format!("LeadLex: {} is not answering as expected ({e})", config.leadlex_api_url),
            }),
        },
        Err(e) => Finding::problem(format!("LeadLex: cannot build an HTTP client ({e})")),
    });
    if let Some(app_token) = &config.slack_app_token {
        findings.push(check_socket_mode(config, app_token, timeout).await);
    }
    findings.push(check_data_dir(config));
    findings.push(Finding::ok(match config.slack_app_token {
        Some(_) => "Slack app: Socket Mode is on (SLACK_APP_TOKEN), so no Request URL is needed; \
                    create the app from manifest/lexi-slack.socket-mode.yaml"
            .to_owned(),
        None => format!(
            "Slack app: set the Request URL (Event Subscriptions, Interactivity, slash commands) to \
             https://YOUR-HOST/slack/events, served by this bot on {}",
            config.listen_addr
        ),
    }));
    findings
}

/// Asks for a socket URL without connecting: proves the app token and Socket Mode work.
async fn check_socket_mode(
    config: &Config,
    app_token: &secrecy::SecretString,
    timeout: Duration,
) -> Finding {
    let http = match crate::outbound::client(timeout) {
        Ok(http) => http,
        Err(e) => {
            return Finding::problem(format!(
                "Slack Socket Mode: cannot build an HTTP client ({e})"
            ));
        }
    };
    match crate::socket::open_connection(&http, &config.slack_api_url, app_token).await {
        Ok(_) => Finding::ok(
            "Slack Socket Mode: apps.connections.open accepted SLACK_APP_TOKEN (not connected by check)",
        ),
        Err(e) => Finding::problem(format!("Slack Socket Mode: {e}")),
    }
}

fn check_data_dir(config: &Config) -> Finding {
    let dir = config.data_dir.display();
    match Store::open(&config.data_dir, &StoreSettings::default()) {
        Ok(store) => {
            let writable = store.flush().is_ok();
            match writable {
                true => Finding::ok(format!(
                    "data: {dir} is writable (schema {SCHEMA_VERSION}, {} thread(s), {} queued job(s))",
                    store.thread_count(),
                    store.job_count()
                )),
                false => Finding::problem(format!("data: {dir} is not writable")),
            }
        }
        // A running bot holds the lock: that is fine, and says the directory works.
        Err(StoreError::Locked { .. }) => {
            Finding::ok(format!("data: {dir} is in use by a running lexi-slack"))
        }
        Err(e) => Finding::problem(format!("data: {e}")),
    }
}
