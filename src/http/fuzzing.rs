//! Fuzz bodies for the two form-borne payloads, here because their parsers are the handlers' own (see `crate::fuzzing`).

use super::approval_click::{self, RESPONSE_URL_MAX};
use super::commands::read_form;
use super::followups_actions::{ClickAction, parse_click};
use super::followups_command::{self, Understood};
use super::interactions::route;
use super::lexi_command::{self, ContextRequest, Subcommand};
use super::{feedback_click, followups_command::COMMAND as FOLLOWUPS};
use crate::domain::followups::{ContactRef, Invocation, parse};
use crate::fuzzing::SHOWN_ERROR_MAX_CHARS;
use crate::slack::feedback_blocks::{NEGATIVE, POSITIVE};
use crate::slack::markup::to_plain_text;

/// Input: a slash command's `application/x-www-form-urlencoded` body.
pub fn slash_command(data: &[u8]) {
    let Some(form) = read_form(data) else {
        return;
    };
    match form.command.as_str() {
        FOLLOWUPS => match followups_command::understand(&form) {
            Understood::Run(request) => {
                assert_eq!(request.team.as_str(), form.team_id);
                assert_eq!(request.channel.as_str(), form.channel_id);
                assert_eq!(request.user.as_str(), form.user_id);
                assert_eq!(request.response_url.as_str(), form.response_url);
                assert!(
                    !form.text.contains("<@"),
                    "a Slack user was taken for a contact"
                );
                let typed = parse(&to_plain_text(&form.text, None));
                assert_eq!(typed, Ok(Invocation::Run(request.command.clone())));
                if let Some(key) = &request.request {
                    assert_eq!(key.as_str(), format!("cmd:{}", form.trigger_id));
                }
            }
            Understood::Mistake(error) => {
                assert!(error.to_string().chars().count() <= SHOWN_ERROR_MAX_CHARS);
            }
            Understood::Usage | Understood::Malformed(_) => {}
        },
        "/lexi" => {
            let subcommand = lexi_command::understand(&form.text);
            let first = form.text.split_whitespace().next().unwrap_or_default();
            match &subcommand {
                Subcommand::Context(ContextRequest::Bind(Some(bound))) => {
                    let id = match bound {
                        crate::store::ChannelContext::List(id)
                        | crate::store::ChannelContext::Campaign(id) => *id,
                    };
                    let given = form.text.split_whitespace().nth(2).unwrap_or_default();
                    assert_eq!(uuid::Uuid::parse_str(given).ok(), Some(id));
                }
                Subcommand::Help => assert!(
                    !["tasks", "context", "status", "new"]
                        .iter()
                        .any(|s| first.eq_ignore_ascii_case(s)),
                    "{first:?} fell through to the help text"
                ),
                _ => {}
            }
        }
        _ => {}
    }
    // Whatever the command, the text also reaches the `/followups` parser's checks.
    crate::fuzzing::followups_text(&form.text);
}

/// Input: the JSON of an interaction's `payload` form field.
pub fn interaction_payload(data: &[u8]) {
    let Ok(payload) = std::str::from_utf8(data) else {
        return;
    };
    // The router reads every payload first; then every parser sees it too, since a payload
    // routed elsewhere must not break them either.
    let _ = route(payload);
    let approval = approval_click::parse(payload);
    let feedback = feedback_click::parse(payload);
    let followups = parse_click(payload);

    if let Ok(click) = &approval {
        // `click:{key}` de-duplicates re-deliveries: the key must name one user and one click.
        let (user, action_ts) = click.key.split_once('/').expect("the key has a user");
        assert_eq!(user, click.user.as_str());
        assert!(!action_ts.contains('/'));
        if let Some(url) = &click.origin.response_url {
            assert!(url.len() <= RESPONSE_URL_MAX);
            // Read as the response-URL policy and the HTTP client will read it.
            let scheme = url::Url::parse(url).map(|u| u.scheme().to_owned());
            assert!(matches!(scheme.as_deref(), Ok("https" | "http")), "{url:?}");
        }
    }
    if let Ok(click) = &feedback {
        let value = serde_json::from_str::<serde_json::Value>(payload)
            .ok()
            .and_then(|v| v["actions"][0]["value"].as_str().map(str::to_owned));
        let expected = if click.positive { POSITIVE } else { NEGATIVE };
        assert_eq!(value.as_deref(), Some(expected));
    }
    if let Ok(click) = &followups {
        match &click.action {
            // A picker may only run the command for the contact it was built for: an id.
            ClickAction::Pick { command, picker } => {
                assert!(matches!(command.contact, ContactRef::Id(_)));
                if let Some(key) = picker {
                    assert!(
                        key.as_str()
                            .starts_with(&format!("pick:{}/", click.channel))
                    );
                }
            }
            ClickAction::Share { suggestion, .. } => assert!(*suggestion < 100),
            ClickAction::Discuss { .. } => {}
        }
    }
}
