//! The approval card in a Lexi thread: filed in the store before its buttons show, updated in place afterwards.

use super::Deps;
use crate::domain::{
    Approval, ApprovalState, ClickOrigin, Converse, LexiAnswer, MessageTs, TaskId, TaskStatus,
    TaskSummary,
};
use crate::slack::approval_blocks::{card_message, card_message_as_mrkdwn};
use crate::slack::mrkdwn::markdown_to_plain;
use crate::slack::split::{MARKDOWN_BLOCK_MAX, split_text, truncate};
use crate::slack::{Response, ResponseType, SlackError};
use crate::store::{StoreError, now_ms};

/// How much of Lexi's answer describes a task LeadLex doesn't list (yet).
const FALLBACK_DESCRIPTION_MAX: usize = 500;

/// Files the approval for the task Lexi proposed (durably), describing it from LeadLex's list
/// of pending tasks when it is there. A re-run finds the approval already filed and keeps it.
pub(super) async fn file(
    deps: &Deps,
    job: &Converse,
    answer: &LexiAnswer,
    task: &TaskId,
) -> Result<Approval, StoreError> {
    if let Some(existing) = deps.store.approval(task)? {
        return Ok(existing);
    }
    let summary = match deps.leadlex.tasks(TaskStatus::Pending).await {
        Ok(tasks) => tasks.iter().find(|t| t.id == *task).map(TaskSummary::of),
        Err(error) => {
            // Best effort: the card can show Lexi's own words instead.
            tracing::warn!(%error, %task, "cannot list pending tasks to describe the task");
            None
        }
    };
    let summary = summary.unwrap_or_else(|| TaskSummary {
        kind: None,
        description: truncate(&markdown_to_plain(&answer.text), FALLBACK_DESCRIPTION_MAX)
            .into_owned(),
        credits: None,
    });
    let lead = split_text(&answer.text, MARKDOWN_BLOCK_MAX)
        .pop()
        .filter(|t| !t.trim().is_empty());
    let approval = Approval {
        task: task.clone(),
        team: job.thread.team.clone(),
        requester: job.user.clone(),
        channel: job.thread.channel.clone(),
        thread_ts: Some(job.thread.thread_ts.clone()),
        conversation: Some(answer.conversation_id.clone()),
        message_ts: None,
        lead_markdown: lead,
        summary,
        state: ApprovalState::Pending,
        outcome: None,
        created_ms: now_ms(),
    };
    let kept = deps.store.add_approval(&approval)?;
    // The buttons must never be visible before the record a click needs is on disk.
    deps.store.durable().await?;
    Ok(kept)
}

/// Notes which message carries the card, so later updates can replace it in place.
pub(super) fn remember_message(deps: &Deps, task: &TaskId, ts: &MessageTs) {
    let remembered = deps.store.update_approval(task, |a| {
        (a.message_ts.as_ref() != Some(ts)).then(|| Approval {
            message_ts: Some(ts.clone()),
            ..a.clone()
        })
    });
    if let Err(error) = remembered {
        // A click still works without it: the click's response_url replaces the message.
        tracing::warn!(%error, %task, "cannot remember which message carries the card");
    }
}

/// Replaces the card in its thread message (`chat.update`), falling back to mrkdwn if Slack
/// refuses the markdown block. Nothing to do when the card has no message of its own.
pub(super) async fn update(
    deps: &Deps,
    approval: &Approval,
    note: Option<&str>,
) -> Result<(), SlackError> {
    let Some(ts) = &approval.message_ts else {
        return Ok(());
    };
    let channel = &approval.channel;
    match deps
        .slack
        .update(channel, ts, &card_message(approval, note))
        .await
    {
        Err(e) if e.code() == Some("invalid_blocks") => {
            deps.slack
                .update(channel, ts, &card_message_as_mrkdwn(approval, note))
                .await
        }
        other => other,
    }
}

/// Shows the approval where it was clicked: the thread card is updated in place, and a click
/// elsewhere (a `/lexi tasks` listing, or a card whose ts isn't known) is answered by replacing
/// the clicked message through the click's `response_url`, with `elsewhere` as its content.
pub(super) async fn show(
    deps: &Deps,
    approval: &Approval,
    origin: &ClickOrigin,
    note: Option<&str>,
    elsewhere: impl std::future::Future<Output = crate::slack::OutgoingMessage>,
) -> Result<(), SlackError> {
    let updated = update(deps, approval, note).await;
    let clicked_on_card = !origin.ephemeral
        && approval.message_ts.is_some()
        && origin.message_ts == approval.message_ts;
    if !clicked_on_card && let Some(url) = &origin.response_url {
        let response = Response {
            message: elsewhere.await,
            response_type: if origin.ephemeral {
                ResponseType::Ephemeral
            } else {
                ResponseType::InChannel
            },
            replace_original: true,
            thread_ts: None,
        };
        deps.slack.respond(url, &response).await?;
    }
    updated
}
