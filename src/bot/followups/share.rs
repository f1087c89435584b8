//! Share: one suggestion's draft posted to the channel, credited to the rep who ran `/followups`.

use super::messages;
use super::{Outcome, Run};
use crate::bot::Deps;
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

    let mut card = match ctx.card(&mut used, &card_id).await {
        Ok(card) => card,
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
        let ts = match ctx.post_in_channel(&mut used, &message, "draft").await {
            Ok(ts) => ts,
            Err(outcome) => return outcome,
        };
        tracing::info!(%ts, "draft shared to the channel");
        progress.posted = Some(ts);
        if let Some(outcome) = ctx.keep(record, step(&progress)).await {
            return outcome;
        }
    }

    card.shared.insert(suggestion);
    if let Err(error) = deps.store.save_card(&card) {
        tracing::error!(%error, "cannot mark the draft as shared");
    }
    // The result loses this Share button, so the draft isn't posted twice.
    ctx.refresh(&mut used, &card).await
}
