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

/// What to tell the user about a LeadLex failure that retrying won't (or didn't) fix.
pub(super) fn for_leadlex_error(error: &LeadLexError) -> String {
    match &error.kind {
        LeadLexErrorKind::InvalidKey => "Lexi can't sign in to LeadLex: the bot's API key was \
            refused. Please ask your LeadLex admin to check it."
            .into(),
        LeadLexErrorKind::MissingPermission { .. } => "The bot's LeadLex API key doesn't have the \
            `lexi` permission. Please ask your LeadLex admin to add it (Settings → API & Integrations)."
            .into(),
        LeadLexErrorKind::OutOfCredits => "Your LeadLex workspace is out of Lexi credits. Please ask \
            your LeadLex admin to add credits, then try again."
            .into(),
        LeadLexErrorKind::Invalid { .. } => {
            "Lexi couldn't take that request. Please rephrase it and try again.".into()
        }
        LeadLexErrorKind::NotFound => "Lexi can't find this conversation any more. Mention @Lexi in \
            a new thread to start a fresh one."
            .into(),
        LeadLexErrorKind::RateLimited { retry_after } => rate_limited(*retry_after),
        LeadLexErrorKind::Server { .. }
        | LeadLexErrorKind::Timeout
        | LeadLexErrorKind::Transport(_)
        | LeadLexErrorKind::Decode { .. }
        | LeadLexErrorKind::UnexpectedStatus { .. } => GAVE_UP.into(),
    }
}

fn rate_limited(retry_after: Option<Duration>) -> String {
    rate_limited_then(retry_after, "try again")
}

/// The rate-limit sentence; `again` says what to do once it frees up ("try again",
/// "run `/followups` again").
pub(super) fn rate_limited_then(retry_after: Option<Duration>, again: &str) -> String {
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
