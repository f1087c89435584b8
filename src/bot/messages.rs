//! The sentences users read when something goes wrong: clear, short, no internals.

use crate::leadlex::{LeadLexError, LeadLexErrorKind};
use std::time::Duration;

pub(super) const INTRO: &str = "Hi, I'm Lexi, LeadLex's sales assistant. Ask me something like \
    “find 20 CEOs at law firms in New York” and I'll answer in this thread; reply here to keep going.";

pub(super) const TOO_LONG: &str = "That message is too long for Lexi (12,000 characters at most). Please shorten it and try again.";

pub(super) const FRESH_START: &str = "Starting over: your next message in this thread begins a \
    new conversation with Lexi.";

pub(super) const RETRYING: &str =
    "LeadLex is slow to answer right now; Lexi will keep trying for a few minutes…";

pub(super) const GAVE_UP: &str = "LeadLex isn't answering right now, so Lexi couldn't reply. \
    Please try again in a few minutes.";

/// The sentences a feature tells LeadLex's failures in; which failure gets which is
/// [`leadlex_error_in`]'s to say.
pub(super) struct LeadLexWording<'a> {
    pub missing_permission: &'a str,
    pub out_of_credits: &'a str,
    pub invalid: &'a str,
    pub not_found: &'a str,
    /// For an outage: a server error, a timeout, an unreadable answer.
    pub gave_up: &'a str,
    /// What to do once a rate limit frees up ("try again", "run `/followups` again").
    pub again: &'a str,
}

/// Said the same way by every feature.
const KEY_REFUSED: &str = "Lexi can't sign in to LeadLex: the bot's API key was refused. \
    Please ask your LeadLex admin to check it.";

/// How a conversation with Lexi tells them.
const CONVERSATION: LeadLexWording<'static> = LeadLexWording {
    missing_permission: "The bot's LeadLex API key doesn't have the `lexi` permission. Please ask \
        your LeadLex admin to add it (Settings → API & Integrations).",
    out_of_credits: "Your LeadLex workspace is out of Lexi credits. Please ask your LeadLex admin \
        to add credits, then try again.",
    invalid: "Lexi couldn't take that request. Please rephrase it and try again.",
    not_found: "Lexi can't find this conversation any more. Mention @Lexi in a new thread to \
        start a fresh one.",
    gave_up: GAVE_UP,
    again: "try again",
};

/// What to tell the user about a LeadLex failure that retrying won't (or didn't) fix.
pub(super) fn for_leadlex_error(error: &LeadLexError) -> String {
    leadlex_error_in(error, &CONVERSATION)
}

/// The same, in a feature's own `words`.
pub(super) fn leadlex_error_in(error: &LeadLexError, words: &LeadLexWording) -> String {
    match &error.kind {
        LeadLexErrorKind::InvalidKey => KEY_REFUSED.into(),
        LeadLexErrorKind::MissingPermission { .. } => words.missing_permission.into(),
        LeadLexErrorKind::OutOfCredits => words.out_of_credits.into(),
        LeadLexErrorKind::Invalid { .. } => words.invalid.into(),
        LeadLexErrorKind::NotFound => words.not_found.into(),
        LeadLexErrorKind::RateLimited { retry_after } => rate_limited(*retry_after, words.again),
        LeadLexErrorKind::Server { .. }
        | LeadLexErrorKind::Timeout
        | LeadLexErrorKind::Transport(_)
        | LeadLexErrorKind::Decode { .. }
        | LeadLexErrorKind::UnexpectedStatus { .. } => words.gave_up.into(),
    }
}

/// The rate-limit sentence; `again` says what to do once it frees up.
fn rate_limited(retry_after: Option<Duration>, again: &str) -> String {
    match retry_after {
        Some(wait) if wait >= Duration::from_secs(90) => format!(
            "Your LeadLex workspace has used its API allowance for now; it frees up in about {}. \
             Please {again} then.",
            human_duration(wait)
        ),
        _ => "Your LeadLex workspace is over its API rate limit. Please try again in a minute."
            .into(),
    }
}

fn human_duration(d: Duration) -> String {
    let minutes = d.as_secs().div_ceil(60);
    match minutes {
        0..=1 => "a minute".into(),
        2..=119 => format!("{minutes} minutes"),
        _ => format!("{} hours", minutes.div_ceil(60)),
    }
}

/// Left where a streamed answer was cut off by a crash; the retry streams the whole answer below.
pub(super) const INTERRUPTED: &str = "This answer was interrupted; a complete answer follows.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_naturally() {
        assert_eq!(human_duration(Duration::from_secs(30)), "a minute");
        assert_eq!(human_duration(Duration::from_secs(600)), "10 minutes");
        assert_eq!(human_duration(Duration::from_secs(5 * 3600)), "5 hours");
    }
}
