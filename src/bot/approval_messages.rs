//! The sentences users read when an approval, a follow-up or a task listing runs into a LeadLex problem.

use crate::domain::Verdict;
use crate::leadlex::{LeadLexError, LeadLexErrorKind};

/// What went wrong, for a task: one or two sentences, no internals.
pub(super) fn problem(error: &LeadLexError) -> &'static str {
    match &error.kind {
        LeadLexErrorKind::InvalidKey => {
            "LeadLex refused the bot's API key. Please ask your LeadLex admin to check it."
        }
        LeadLexErrorKind::MissingPermission { .. } => {
            "The bot's LeadLex API key lacks the `lexi` permission. Please ask your LeadLex admin \
             to add it (Settings → API & Integrations)."
        }
        LeadLexErrorKind::OutOfCredits => {
            "Your LeadLex workspace is out of Lexi credits. Please ask your LeadLex admin to add some."
        }
        LeadLexErrorKind::NotFound => "This task no longer exists in LeadLex.",
        LeadLexErrorKind::RateLimited { .. } => {
            "Your LeadLex workspace is over its API rate limit for now. Please try again later."
        }
        LeadLexErrorKind::Invalid { .. } | LeadLexErrorKind::UnexpectedStatus { .. } => {
            "LeadLex couldn't take this request."
        }
        LeadLexErrorKind::Server { .. }
        | LeadLexErrorKind::Timeout
        | LeadLexErrorKind::Transport(_)
        | LeadLexErrorKind::Decode { .. } => {
            "LeadLex isn't answering right now. Please try again in a few minutes."
        }
    }
}

/// Shown above the restored buttons when a decision could not be passed on to LeadLex.
pub(super) fn not_decided(verdict: Verdict, error: &LeadLexError) -> String {
    format!(
        "The task wasn't {}. {}",
        verdict.past_tense(),
        problem(error)
    )
}

/// LeadLex said "not pending", yet lists the task as pending.
pub(super) fn not_decided_try_again(verdict: Verdict) -> String {
    format!(
        "The task wasn't {}: LeadLex couldn't take the decision. Please try again.",
        verdict.past_tense()
    )
}

/// The approvers rule changed between the click and its turn in the queue.
pub(super) const NOT_ALLOWED_ANY_MORE: &str =
    "Only the person who asked Lexi or an approver can decide this task.";

/// `/lexi tasks` while LeadLex can't list tasks.
pub(super) fn cannot_list(error: &LeadLexError) -> String {
    format!("I couldn't list Lexi's tasks. {}", problem(error))
}

/// Following an approved task hit a problem retrying can't fix.
pub(super) fn cannot_follow(error: &LeadLexError) -> String {
    format!(
        "I can't check on this task any more, so I won't report its result here. {}",
        problem(error)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(kind: LeadLexErrorKind) -> LeadLexError {
        LeadLexError {
            kind,
            endpoint: "POST /v1/lexi/tasks/{id}/approve",
            request_id: Some("req-secret-detail".into()),
        }
    }

    #[test]
    fn each_refusal_reads_as_a_sentence_without_internals() {
        let permission = error(LeadLexErrorKind::MissingPermission {
            message: "missing lexi (internal detail)".into(),
        });
        let text = not_decided(Verdict::Approve, &permission);
        assert!(text.starts_with("The task wasn't approved."));
        assert!(text.contains("`lexi` permission"));
        assert!(!text.contains("internal") && !text.contains("req-secret"));
        assert!(
            not_decided(Verdict::Deny, &error(LeadLexErrorKind::InvalidKey)).contains("API key")
        );
        assert!(problem(&error(LeadLexErrorKind::NotFound)).contains("no longer exists"));
    }
}
