//! Lexi's DM as an agent surface: suggested prompts when a rep opens it, a title for each new
//! thread. Both are courtesies around the answer: neither ever holds up or fails one.

use super::{Deps, Outcome};
use crate::domain::agent_surface::SuggestPrompts;
use crate::domain::{ChannelKind, Converse, ConverseProgress, Job, JobRecord};
use crate::slack::stream::SuggestedPrompt;
use crate::store::now_ms;
use std::time::Duration;

/// How the agent surface behaves.
#[derive(Debug, Clone)]
pub struct AgentSurfaceSettings {
    /// A rep's Messages tab is offered prompts at most once in this long: Slack sends
    /// `app_home_opened` every time the DM is opened, and the prompts stay pinned anyway.
    pub prompts_every: Duration,
}

impl Default for AgentSurfaceSettings {
    fn default() -> Self {
        Self {
            prompts_every: Duration::from_secs(24 * 60 * 60),
        }
    }
}

/// Shown above the prompts.
const PROMPTS_TITLE: &str = "Try asking Lexi";

/// What Lexi does, one prompt each (Slack shows at most four): the title on the button, then
/// the message it sends as the rep.
const PROMPTS: [(&str, &str); 4] = [
    (
        "Find prospects",
        "Find 20 managing partners at law firms in New York",
    ),
    (
        "Draft a campaign",
        "Draft a three-email campaign introducing us to in-house counsel at mid-size companies",
    ),
    (
        "Follow up with a contact",
        "Suggest follow-ups for the contact I spoke with most recently",
    ),
    (
        "Pending approvals",
        "Which of your tasks are waiting for my approval?",
    ),
];

/// A thread title is read at a glance in the thread list.
const TITLE_MAX_CHARS: usize = 60;

pub(super) fn prompts() -> Vec<SuggestedPrompt> {
    PROMPTS
        .iter()
        .map(|(title, message)| SuggestedPrompt {
            title: (*title).to_owned(),
            message: (*message).to_owned(),
        })
        .collect()
}

/// Offers the prompts: to the Messages tab (at most once per period per rep), or to a legacy
/// assistant thread (each thread is new, so always).
pub(super) async fn run(deps: &Deps, record: &mut JobRecord) -> Outcome {
    let Job::SuggestPrompts(offer) = &record.job else {
        return Outcome::Done;
    };
    let for_the_tab = offer.thread_ts.is_none();
    if for_the_tab && offered_recently(deps, offer) {
        tracing::debug!(user = %offer.user, "prompts already offered recently");
        return Outcome::Done;
    }
    let sent = deps
        .slack
        .set_suggested_prompts(
            &offer.channel,
            offer.thread_ts.as_ref(),
            Some(PROMPTS_TITLE),
            &prompts(),
        )
        .await;
    if sent.is_ok() && for_the_tab {
        let recorded = (deps.store).record_prompts_offered(&offer.team, &offer.user, now_ms());
        if let Err(error) = recorded {
            // The worst that follows is one more offer the next time the tab opens.
            tracing::warn!(%error, "cannot note that prompts were offered");
        }
    }
    deps.after_slack(record.attempts, sent, "cannot offer suggested prompts")
}

fn offered_recently(deps: &Deps, offer: &SuggestPrompts) -> bool {
    match deps.store.prompts_offered_at(&offer.team, &offer.user) {
        Ok(Some(at_ms)) => {
            let every = deps.agent_surface.prompts_every.as_millis();
            u128::from(now_ms().saturating_sub(at_ms)) < every
        }
        Ok(None) => false,
        Err(error) => {
            tracing::warn!(%error, "cannot read when prompts were last offered; offering");
            false
        }
    }
}

/// Names a DM thread after the message that starts its conversation with Lexi
/// (`assistant.threads.setTitle`). Only in DMs, Lexi's agent surface (channel threads have no
/// title), only while the thread has no Lexi conversation yet, and only on the first run of that
/// message. That is the thread's first message under `agent_view` (a top-level DM roots its
/// thread) and the first the rep types in a legacy assistant thread (Slack roots those); after
/// `new` it is the message that starts the fresh conversation. A failure is logged, nothing more.
pub(super) async fn title_new_thread(deps: &Deps, job: &Converse) {
    let first_run = job.progress == ConverseProgress::default();
    if job.channel_kind != ChannelKind::DirectMessage || !first_run {
        return;
    }
    match deps.store.conversation(&job.thread) {
        Ok(None) => {}
        Ok(Some(_)) => return,
        Err(error) => {
            tracing::debug!(%error, "cannot tell whether the thread is new; leaving its title");
            return;
        }
    }
    let Some(title) = thread_title(&job.text) else {
        return;
    };
    let (channel, thread) = (&job.thread.channel, &job.thread.thread_ts);
    match deps.slack.set_title(channel, thread, &title).await {
        Ok(()) => {}
        // Slack refused (the workspace or surface may not support titles): nothing to fix here.
        Err(error) if error.code().is_some() => {
            tracing::debug!(%error, "Slack did not take the thread's title");
        }
        Err(error) => tracing::warn!(%error, "cannot set the thread's title"),
    }
}

/// The message, on one line, cut at a word boundary to at most [`TITLE_MAX_CHARS`] characters
/// (an ellipsis marks the cut). The text is already plain: Slack's markup was undone when the
/// event was parsed.
pub(super) fn thread_title(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let whole = words.join(" ");
    if whole.is_empty() {
        return None;
    }
    if whole.chars().count() <= TITLE_MAX_CHARS {
        return Some(whole);
    }
    let budget = TITLE_MAX_CHARS - 1; // the ellipsis
    let mut title = String::new();
    for word in &words {
        let needed = title.chars().count() + usize::from(!title.is_empty()) + word.chars().count();
        if needed > budget {
            break;
        }
        if !title.is_empty() {
            title.push(' ');
        }
        title.push_str(word);
    }
    if title.is_empty() {
        // One word longer than the budget: cut inside it.
        title = words[0].chars().take(budget).collect();
    }
    title.push('…');
    Some(title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_message_is_its_own_title_on_one_line() {
        assert_eq!(
            thread_title("  find 20 CEOs\n at law   firms  ").as_deref(),
            Some("find 20 CEOs at law firms")
        );
        assert_eq!(thread_title(" \n "), None);
    }

    #[test]
    fn a_long_message_is_cut_at_a_word_boundary_with_an_ellipsis() {
        let text = "Draft a three-email campaign introducing us to in-house counsel at \
                    mid-size companies in Boston and New York";
        let title = thread_title(text).unwrap();
        assert_eq!(
            title,
            "Draft a three-email campaign introducing us to in-house…"
        );
        assert!(title.chars().count() <= TITLE_MAX_CHARS);
        let cut = title.trim_end_matches('…');
        assert!(text.starts_with(cut) && text[cut.len()..].starts_with(' '));
    }

    #[test]
    fn one_endless_word_is_cut_inside_it() {
        let title = thread_title(&"ü".repeat(100)).unwrap();
        assert_eq!(title.chars().count(), TITLE_MAX_CHARS);
        assert!(title.ends_with('…'));
    }

    #[test]
    fn the_prompts_cover_what_lexi_does_within_slacks_four() {
        let prompts = prompts();
        assert!((3..=4).contains(&prompts.len()));
        let titles: Vec<&str> = prompts.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Find prospects",
                "Draft a campaign",
                "Follow up with a contact",
                "Pending approvals"
            ]
        );
        assert!(prompts.iter().all(|p| !p.message.trim().is_empty()));
    }
}
