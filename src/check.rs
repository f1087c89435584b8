//! `lexi-slack check`: validates the configuration and every connection, one clear line per finding.

use crate::config::Config;
use crate::domain::TaskStatus;
use crate::leadlex::{LeadLexClient, LeadLexErrorKind};
use crate::slack::WebApi;
use crate::store::{SCHEMA_VERSION, Store, StoreError, StoreSettings};
use reqwest::Method;
use serde::de::IgnoredAny;
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
    findings.extend(check_leadlex(config, timeout).await);
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

/// The key with a free Lexi call (`lexi`); then, if LeadLex took the key, whether `/followups`
/// can work: a one-contact search (`read`), and what can and can't be told about `write:ai`.
async fn check_leadlex(config: &Config, timeout: Duration) -> Vec<Finding> {
    let leadlex = match LeadLexClient::new(
        &config.leadlex_api_url,
        config.leadlex_api_key.clone(),
        timeout,
    ) {
        Ok(leadlex) => leadlex,
        Err(e) => {
            return vec![Finding::problem(format!(
                "LeadLex: cannot build an HTTP client ({e})"
            ))];
        }
    };
    let lexi = match leadlex.tasks(TaskStatus::Pending).await {
        Ok(tasks) => Finding::ok(format!(
            "LeadLex: the API key works and has the `lexi` permission ({} pending task(s))",
            tasks.len()
        )),
        // The key is good, only not for Lexi: what /followups needs may still be there.
        Err(e) if matches!(e.kind, LeadLexErrorKind::MissingPermission { .. }) => Finding::problem(
            "LeadLex: LEADLEX_API_KEY lacks the `lexi` permission; ask your LeadLex admin",
        ),
        // Every other call would fail the same way: nothing more to learn.
        Err(e) if matches!(e.kind, LeadLexErrorKind::InvalidKey) => {
            return vec![Finding::problem(
                "LeadLex: LEADLEX_API_KEY was refused (invalid, expired or revoked)",
            )];
        }
        Err(e) => {
            return vec![Finding::problem(format!(
                "LeadLex: {} is not answering as expected ({e})",
                config.leadlex_api_url
            ))];
        }
    };
    vec![
        lexi,
        check_contact_search(&leadlex).await,
        write_ai_untold(),
    ]
}

/// `GET /v1/contacts?per_page=1`: free, and needs the `read` permission `/followups` finds
/// contacts with.
async fn check_contact_search(leadlex: &LeadLexClient) -> Finding {
    let request = leadlex
        .request(Method::GET, "/v1/contacts")
        .query(&[("per_page", "1")]);
    let searched: Result<(IgnoredAny, _), _> = leadlex.send("GET /v1/contacts", request).await;
    match searched {
        Ok(_) => Finding::ok("LeadLex: /followups can search contacts (`read` permission)"),
        Err(e) if matches!(e.kind, LeadLexErrorKind::MissingPermission { .. }) => Finding::problem(
            "LeadLex: LEADLEX_API_KEY lacks the `read` permission, so /followups cannot find \
                 contacts; ask your LeadLex admin",
        ),
        Err(e) => Finding::problem(format!(
            "LeadLex: the contact search /followups uses failed ({e})"
        )),
    }
}

/// LeadLex has no call that lists a key's permissions, and every call that needs `write:ai`
/// spends credits (`/v1/ai/suggest-followups`: 2): say so rather than guess or spend.
fn write_ai_untold() -> Finding {
    Finding::ok(
        "LeadLex: `write:ai` (for /followups suggestions) is not checked: LeadLex cannot tell \
         without spending credits; the first /followups says so if it is missing",
    )
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
