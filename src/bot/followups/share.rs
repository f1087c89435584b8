//! Share: one suggestion's draft posted to the channel, credited to the rep who ran `/followups`.

use super::messages;
use super::{Outcome, Run};
use crate::bot::{Deps, FailReason};
use crate::domain::JobRecord;
use crate::domain::followups::{FollowupsStep, ShareProgress};
use crate::slack::followup_blocks;

pub(super) async fn run(deps: &Deps, record: &mut JobRecord) -> Outcome {
    let Some(ctx) = Run::new(deps, record) else {
        return Outcome::Done;
    };
    let FollowupsStep::Share {
        card: card_id,
        suggestion,
        mut progress,
    } = ctx.job.step.clone()
    else {
        return Outcome::Done;
    };
    let step = |progress: &ShareProgress| FollowupsStep::Share {
        card: card_id.clone(),
        suggestion,
        progress: progress.clone(),
    };
    let mut used = 0;

    let mut card = match ctx.card(&card_id) {
        Ok(Some(card)) => card,
        Ok(None) => return ctx.tell(&mut used, messages::RESULT_EXPIRED).await,
        Err(outcome) => return outcome,
    };
    let Some(draft) = card
        .result
        .suggestions
        .get(suggestion)
        .filter(|s| s.draft.is_some())
        .cloned()
    else {
        return Outcome::Done;
    };

    if progress.posted.is_none() {
        if card.shared.contains(&suggestion) {
            // A second click that got through before the button went away.
            return ctx.tell(&mut used, messages::ALREADY_SHARED).await;
        }
        let message = followup_blocks::shared_draft(&card, &draft, &ctx.job.user);
        match deps.slack.post_in_channel(&ctx.job.channel, &message).await {
            Ok(ts) => {
                tracing::info!(%ts, "draft shared to the channel");
                progress.posted = Some(ts);
                if let Some(outcome) = ctx.save(step(&progress)).await {
                    *record = ctx.record_with(step(&progress));
                    return outcome;
                }
            }
            Err(error) if error.is_retryable() => return ctx.slack_failed(error),
            Err(error) => {
                tracing::warn!(%error, "cannot post the draft to the channel");
                let told = ctx.tell(&mut used, messages::CANT_POST_HERE).await;
                return told.failed_if_done(FailReason::of_slack(&error));
            }
        }
    }
    *record = ctx.record_with(step(&progress));

    card.shared.insert(suggestion);
    if let Err(error) = deps.store.save_card(&card) {
        tracing::error!(%error, "cannot mark the draft as shared");
    }
    // The result loses this Share button, so the draft isn't posted twice.
    ctx.refresh(&mut used, &card).await
}
