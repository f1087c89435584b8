//! The `/followups` argument parser: a command it accepts reads back the same from its own text, and its complaints stay short.

use super::SHOWN_ERROR_MAX_CHARS;
use crate::domain::followups::{ContactRef, FollowupChannel, Invocation, parse};

/// Longest contact the parser lets through (its own limit, restated as the invariant).
const CONTACT_MAX_CHARS: usize = 200;

/// Input: the text after `/followups`, as Slack sends it once markup is undone.
pub fn followups_arguments(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check_text(text);
}

/// The checks, shared with the slash-command target (which reaches the parser through the form).
pub(crate) fn check_text(text: &str) {
    match parse(text) {
        Ok(Invocation::Run(command)) => {
            let contact = match &command.contact {
                ContactRef::Id(id) => id.as_str(),
                ContactRef::Email(value) | ContactRef::Name(value) => value.as_str(),
            };
            assert!(!contact.trim().is_empty(), "an empty contact was accepted");
            assert!(contact.chars().count() <= CONTACT_MAX_CHARS);
            assert!((1..=10).contains(&command.count.get()));
            assert!((1..=365).contains(&command.lookback_days.get()));
            let distinct: std::collections::HashSet<FollowupChannel> =
                command.channels.iter().copied().collect();
            assert_eq!(distinct.len(), command.channels.len(), "a channel twice");
            // A picker button carries this text; a click must run the very same command.
            let written = command.to_command_text();
            assert_eq!(
                parse(&written),
                Ok(Invocation::Run(command)),
                "{written:?} reads back differently"
            );
        }
        Ok(Invocation::Help) => {}
        Err(error) => {
            let shown = error.to_string();
            assert!(
                shown.chars().count() <= SHOWN_ERROR_MAX_CHARS,
                "a {}-character complaint",
                shown.chars().count()
            );
        }
    }
}
