//! Discuss with Lexi: the contact's summary posted to the channel, and a Lexi conversation started in its thread.

use super::{Outcome, Run};
use crate::bot::Deps;
use crate::domain::followups::{DiscussProgress, FollowupsCard, FollowupsStep};
use crate::domain::{ChannelKind, Converse, Job, JobRecord, ThreadKey, ThreadTs};
use crate::slack::followup_blocks;
use crate::slack::split::truncate;
use crate::store::Admission;

/// Lexi reads the summary and the suggestions; more than this is noise in a first message.
const PROMPT_MAX_CHARS: usize = 4_000;

pub(super) async fn run(deps: &Deps, record: &mut JobRecord) -> Outcome {
    let Some(ctx) = Run::new(deps, record) else {
        return Outcome::Done;
    };
    let FollowupsStep::Discuss {
        card: card_id,
        mut progress,
    } = ctx.job.step.clone()
    else {
        return Outcome::Done;
    };
    let step = |progress: &DiscussProgress| FollowupsStep::Discuss {
        card: card_id.clone(),
        progress: progress.clone(),
    };
    let mut used = 0;

    let mut card = match ctx.card(&mut used, &card_id).await {
        Ok(card) => card,
        Err(outcome) => return outcome,
    };

    let root = match (&progress.root, &card.discussion) {
        (Some(root), _) => root.clone(),
        // Started by an earlier click: just show that on the result.
        (None, Some(_)) => return ctx.refresh(&mut used, &card).await,
        (None, None) => {
            let message = followup_blocks::discussion_root(&card, &ctx.job.user);
            let ts = match ctx.post_in_channel(&mut used, &message, "discussion").await {
                Ok(ts) => ts,
                Err(outcome) => return outcome,
            };
            progress.root = Some(ts.clone());
            if let Some(outcome) = ctx.keep(record, step(&progress)).await {
                return outcome;
            }
            ts
        }
    };

    card.discussion = Some(root.clone());
    if let Err(error) = deps.store.save_card(&card) {
        tracing::error!(%error, "cannot mark the follow-ups as discussed");
    }
    let channel = ctx.job.channel.clone();
    let converse = Converse {
        thread: ThreadKey {
            team: ctx.job.team.clone(),
            channel: channel.clone(),
            thread_ts: ThreadTs::rooted_at(&root),
        },
        message_ts: root,
        user: ctx.job.user.clone(),
        text: prompt(&card),
        channel_kind: if channel.as_str().starts_with('D') {
            ChannelKind::DirectMessage
        } else {
            ChannelKind::Channel
        },
        progress: Default::default(),
    };
    // Admitting ties the thread to Lexi (replies in it continue the conversation) and, keyed
    // on the root message, happens once however often this step runs.
    let admission = match deps.store.admit(None, Job::Converse(converse), false) {
        Ok(admission) => admission,
        Err(error) => {
            tracing::error!(%error, "cannot start the Lexi discussion");
            return Outcome::RetryAfter(ctx.retry_delay(None));
        }
    };
    if let Err(error) = deps.store.durable().await {
        tracing::error!(%error, "cannot flush the Lexi discussion");
    }
    // Best effort from here: the discussion is on its way whether or not the result shows it.
    if let Err(error) = ctx
        .show(&mut used, &followup_blocks::result(&card), true)
        .await
    {
        tracing::warn!(%error, "cannot show that the discussion started");
    }
    match admission {
        Admission::Accepted(converse) => {
            tracing::info!(thread = %root_of(&converse), "started a Lexi discussion");
            Outcome::Handoff(converse)
        }
        Admission::Duplicate | Admission::NotOurThread => Outcome::Done,
    }
}

fn root_of(record: &JobRecord) -> String {
    match &record.job {
        Job::Converse(c) => c.thread.to_string(),
        _ => String::new(),
    }
}

/// Lexi's first message in the thread: who the contact is, what happened, what it suggested.
fn prompt(card: &FollowupsCard) -> String {
    let mut text = format!("Let's discuss follow-ups for {}", card.contact.label());
    let summary = card.result.activity_summary.trim();
    if summary.is_empty() {
        text.push('.');
    } else {
        text.push_str(": ");
        text.push_str(summary);
    }
    if !card.result.suggestions.is_empty() {
        text.push_str("\n\nSuggested next steps:");
        for (i, s) in card.result.suggestions.iter().enumerate() {
            let when = s
                .when
                .as_deref()
                .map(|w| format!(", {w}"))
                .unwrap_or_default();
            text.push_str(&format!(
                "\n{}. {} ({}{when}): {}",
                i + 1,
                s.title,
                s.kind,
                s.reason
            ));
        }
    }
    truncate(&text, PROMPT_MAX_CHARS).into_owned()
}
