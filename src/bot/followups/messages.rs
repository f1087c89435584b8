//! What a rep reads when `/followups` can't give them suggestions: one sentence, what to do next.

use crate::bot::messages::{LeadLexWording, leadlex_error_in};
use crate::leadlex::LeadLexError;

pub(super) const NOT_A_CONTACT_ID: &str = "That doesn't look like a contact id. Use the contact's \
    e-mail or name, or the id from their LeadLex page.";

pub(super) const CONTACT_NOT_FOUND: &str = "Contact not found in this LeadLex workspace.";

pub(super) const OUT_OF_CREDITS: &str = "Your LeadLex workspace is out of AI credits \
    (follow-up suggestions cost 2 credits). Please ask your LeadLex admin to add credits, then try again.";

pub(super) const NO_WRITE_AI: &str = "The bot's LeadLex API key lacks the `write:ai` permission \
    that follow-up suggestions need. Please ask your LeadLex admin to add it (Settings → API & Integrations).";

pub(super) const NO_READ: &str = "The bot's LeadLex API key can't read contacts (it needs the \
    `read` permission), so Lexi can't look them up by e-mail or name. Use the contact's id, or ask \
    your LeadLex admin to add the permission.";

pub(super) const RETRYING: &str =
    "LeadLex is slow to answer right now; Lexi keeps trying for a few minutes…";

pub(super) const GAVE_UP: &str = "LeadLex isn't answering right now, so Lexi couldn't suggest \
    follow-ups. Please try again in a few minutes.";

pub(super) const RESULT_EXPIRED: &str =
    "This result is too old to act on. Run `/followups` again for fresh suggestions.";

pub(super) const CANT_POST_HERE: &str = "Lexi can't post in this conversation. Invite it with \
    `/invite @Lexi` (or use a channel it is in), then click the button again.";

pub(super) const ALREADY_SHARED: &str = "That draft is already in the channel.";

pub(super) fn no_match(query: &str) -> String {
    format!("No LeadLex contact matches “{query}”. Check the spelling, or try their e-mail.")
}

/// Which call failed: the same status means different things for a contact read and for the
/// suggestions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Call {
    ReadContact,
    SearchContacts,
    Suggest,
}

/// What to tell the user about a LeadLex failure that retrying won't (or didn't) fix.
pub(super) fn for_leadlex_error(error: &LeadLexError, call: Call) -> String {
    let words = LeadLexWording {
        missing_permission: match call {
            Call::Suggest => NO_WRITE_AI,
            Call::ReadContact | Call::SearchContacts => NO_READ,
        },
        out_of_credits: OUT_OF_CREDITS,
        invalid: match call {
            Call::SearchContacts => GAVE_UP,
            Call::ReadContact | Call::Suggest => NOT_A_CONTACT_ID,
        },
        not_found: CONTACT_NOT_FOUND,
        gave_up: GAVE_UP,
        again: "run `/followups` again",
    };
    leadlex_error_in(error, &words)
}
