//! Approvals as Block Kit: the task card with its Approve and Deny buttons, what replaces them, listings and outcomes.

use super::mrkdwn::{escape, markdown_to_plain};
use super::render::{answer, answer_as_mrkdwn, context, section};
use super::split::{
    BLOCKS_PER_MESSAGE_MAX, CONFIRM_TEXT_MAX, CONFIRM_TITLE_MAX, SECTION_TEXT_MAX, truncate,
};
use super::web_api::OutgoingMessage;
use crate::domain::{
    Approval, ApprovalState, Decision, NoticeReason, Task, TaskOutcome, TaskStatus, Verdict,
};
use slack_morphism::prelude::*;
use std::time::Duration;

/// Every approval button's `action_id` starts with this; the HTTP edge dispatches on it.
pub const ACTION_PREFIX: &str = "approval:";
pub const APPROVE_ACTION: &str = "approval:approve";
pub const DENY_ACTION: &str = "approval:deny";

/// Metadata facts shown with a finished task (a section holds at most 10 fields).
const FACTS_MAX: usize = 10;
const FACT_VALUE_MAX: usize = 200;
/// Metadata fields that explain a failure, most specific first.
const FAILURE_FIELDS: &[&str] = &["error", "failure_reason", "reason", "message"];

/// The card's blocks: what the task is, then the buttons or what became of them.
/// `note` explains why the buttons came back after a failed attempt.
pub fn card(approval: &Approval, note: Option<&str>) -> Vec<SlackBlock> {
    let mut blocks = vec![
        section(&format!(
            ":clipboard: *Lexi needs an approval to run this task*\n{}",
            escape(&approval.summary.description)
        )),
        context(&facts_line(approval)),
    ];
    if let Some(note) = note {
        blocks.push(context(&format!(":warning: {}", escape(note))));
    }
    match status_line(approval) {
        Some(line) => blocks.push(context(&line)),
        None => blocks.push(buttons(approval)),
    }
    blocks
}

/// The message that carries the card: Lexi's words above it, when it shares their message, and
/// the feedback buttons under it, as when it was first shown (a decision redraws the message and
/// must not take the rep's 👍/👎 away).
pub fn card_message(approval: &Approval, note: Option<&str>) -> OutgoingMessage {
    let lead = approval.lead_markdown.as_deref().map(answer);
    let mut message = with_card(lead.and_then(|m| m.into_iter().last()), approval, note);
    if message.blocks.len() < BLOCKS_PER_MESSAGE_MAX {
        message.blocks.push(super::feedback_blocks::buttons());
    }
    message
}

/// The same, with Lexi's words as mrkdwn sections, for surfaces that refuse `markdown` blocks.
pub fn card_message_as_mrkdwn(approval: &Approval, note: Option<&str>) -> OutgoingMessage {
    let lead = approval.lead_markdown.as_deref().map(answer_as_mrkdwn);
    with_card(lead.and_then(|m| m.into_iter().last()), approval, note)
}

fn with_card(
    lead: Option<OutgoingMessage>,
    approval: &Approval,
    note: Option<&str>,
) -> OutgoingMessage {
    let card = card(approval, note);
    match lead {
        Some(mut message) if message.blocks.len() + card.len() <= BLOCKS_PER_MESSAGE_MAX => {
            message.blocks.extend(card);
            message
        }
        _ => OutgoingMessage {
            text: card_text(approval),
            blocks: card,
        },
    }
}

/// Adds the card to the last message of an answer, or as a message of its own when the last
/// one has no room left. Returns the index of the message that carries the card.
pub fn attach_card(parts: &mut Vec<OutgoingMessage>, approval: &Approval) -> usize {
    let card = card(approval, None);
    match parts.last_mut() {
        Some(last) if last.blocks.len() + card.len() <= BLOCKS_PER_MESSAGE_MAX => {
            last.blocks.extend(card);
        }
        _ => parts.push(OutgoingMessage {
            text: card_text(approval),
            blocks: card,
        }),
    }
    parts.len() - 1
}

/// `/lexi tasks`: each pending task with its card; `first` (a task just decided from this
/// listing, with the note explaining a failed attempt) leads. Tasks beyond what one message
/// holds are counted, not shown.
pub fn listing(first: Option<(&Approval, Option<&str>)>, pending: &[Approval]) -> OutgoingMessage {
    let first_note = first.and_then(|(_, note)| note);
    let first = first.map(|(approval, _)| approval);
    let rest: Vec<&Approval> = pending
        .iter()
        .filter(|a| first.is_none_or(|f| f.task != a.task))
        .collect();
    let mut blocks = Vec::new();
    if let Some(first) = first {
        blocks.extend(card(first, first_note));
    }
    let heading = match rest.len() {
        0 => "No Lexi tasks are waiting for approval.".to_owned(),
        1 => "*1 Lexi task is waiting for approval*".to_owned(),
        n => format!("*{n} Lexi tasks are waiting for approval*"),
    };
    if first.is_some() {
        blocks.push(SlackBlock::Divider(SlackDividerBlock::new()));
    }
    blocks.push(section(&heading));
    let mut shown = 0;
    for approval in &rest {
        let card = card(approval, None);
        // A divider and the card, plus the "…and N more" line if tasks remain after this one.
        let more_after = usize::from(shown + 1 < rest.len());
        if blocks.len() + 1 + card.len() + more_after > BLOCKS_PER_MESSAGE_MAX {
            break;
        }
        blocks.push(SlackBlock::Divider(SlackDividerBlock::new()));
        blocks.extend(card);
        shown += 1;
    }
    if rest.len() > shown {
        blocks.push(context(&format!(
            "…and {} more. Decide these first, or open LeadLex to see them all.",
            rest.len() - shown
        )));
    }
    OutgoingMessage {
        text: escape(&plain(&heading)),
        blocks,
    }
}

/// What the bot tells someone whose click decides nothing.
pub fn notice(reason: &NoticeReason) -> OutgoingMessage {
    let text = match reason {
        NoticeReason::NotAllowed { requester } => {
            format!("Only <@{requester}> or an approver can decide this task.")
        }
        NoticeReason::AlreadyDecided { decision } => format!(
            "<@{}> already {} this task {}.",
            decision.by,
            decision.verdict.past_tense(),
            slack_date(decision.at_ms)
        ),
        NoticeReason::Closed { status: Some(s) } => format!(
            "This task is already {} in LeadLex; there is nothing left to decide.",
            s.as_str()
        ),
        NoticeReason::Closed { status: None } => "This task no longer exists in LeadLex.".into(),
    };
    OutgoingMessage {
        text: text.clone(),
        blocks: vec![section(&text)],
    }
}

/// A short ephemeral line (for `/lexi tasks` problems).
pub fn ephemeral_text(text: &str) -> OutgoingMessage {
    super::render::notice(text)
}

/// Posted in the thread when a followed task finished: what the task's metadata says.
pub fn outcome(approval: &Approval, task: &Task) -> OutgoingMessage {
    let description = escape(&approval.summary.description);
    let mut blocks = Vec::new();
    let headline = if task.status == TaskStatus::Failed {
        let why = FAILURE_FIELDS
            .iter()
            .find_map(|f| task.metadata.get(*f).and_then(|v| v.as_str()))
            .map(|why| escape(&truncate(why, 1_000)))
            .unwrap_or_else(|| "LeadLex didn't say why.".into());
        blocks.push(section(&format!(
            ":x: *Lexi's task failed:* {description}\n{why}"
        )));
        format!("Lexi's task failed: {}", approval.summary.description)
    } else {
        blocks.push(section(&format!(
            ":white_check_mark: *Lexi's task is done:* {description}"
        )));
        let facts = facts(&task.metadata);
        if !facts.is_empty() {
            blocks.push(SlackBlock::Section(
                SlackSectionBlock::new().with_fields(facts),
            ));
        }
        format!("Lexi's task is done: {}", approval.summary.description)
    };
    if let Some(decision) = approval.state.decision() {
        blocks.push(context(&format!(
            "{} by <@{}> {}",
            capitalized(decision.verdict.past_tense()),
            decision.by,
            slack_date(decision.at_ms)
        )));
    }
    OutgoingMessage {
        text: escape(&truncate(&headline, 3_000)),
        blocks,
    }
}

/// Posted when the bot stops following a task that is still running.
pub fn stopped_following(approval: &Approval, limit: Duration) -> OutgoingMessage {
    let text = format!(
        ":hourglass: *Lexi's task is still running:* {}\nIt didn't finish within {}, so I've stopped \
         checking on it. Its result will show in LeadLex.",
        escape(&approval.summary.description),
        human_duration(limit)
    );
    OutgoingMessage {
        text: escape(&format!(
            "Lexi's task is still running: {}",
            truncate(&approval.summary.description, 1_000)
        )),
        blocks: vec![section(&text)],
    }
}

/// Slack shows this in the reader's own time zone; the fallback is UTC.
pub fn slack_date(at_ms: u64) -> String {
    let secs = at_ms / 1000;
    format!(
        "<!date^{secs}^{{date_short_pretty}} at {{time}}|{}>",
        utc_minute(secs)
    )
}

fn buttons(approval: &Approval) -> SlackBlock {
    let task = approval.task.to_string();
    let confirm_text = truncate(
        &format!("Lexi will run: {}", approval.summary.description),
        CONFIRM_TEXT_MAX,
    )
    .into_owned();
    let confirm = SlackBlockConfirmItem::new(
        truncate("Approve this task?", CONFIRM_TITLE_MAX)
            .as_ref()
            .into(),
        SlackBlockText::Plain(confirm_text.into()),
        "Approve".into(),
        "Cancel".into(),
    );
    let approve = SlackBlockButtonElement::new("Approve".into())
        .with_action_id(SlackActionId(APPROVE_ACTION.into()))
        .with_value(task.clone())
        .with_style(SlackBlockButtonStyle::Primary)
        .with_confirm(confirm);
    let deny = SlackBlockButtonElement::new("Deny".into())
        .with_action_id(SlackActionId(DENY_ACTION.into()))
        .with_value(task)
        .with_style(SlackBlockButtonStyle::Danger);
    SlackBlock::Actions(SlackActionsBlock::new(vec![approve.into(), deny.into()]))
}

/// What replaces the buttons once they no longer apply; `None` while they do.
fn status_line(approval: &Approval) -> Option<String> {
    let outcome = match approval.outcome {
        None => "",
        Some(TaskOutcome::Completed) => " · done",
        Some(TaskOutcome::Failed) => " · failed",
        Some(TaskOutcome::Unknown) => " · still running when I stopped checking",
    };
    Some(match &approval.state {
        ApprovalState::Pending => return None,
        ApprovalState::Deciding { decision } => format!(
            ":hourglass_flowing_sand: {} by <@{}>…",
            match decision.verdict {
                Verdict::Approve => "Being approved",
                Verdict::Deny => "Being denied",
            },
            decision.by
        ),
        ApprovalState::Decided { decision } => decided(decision, outcome),
        ApprovalState::Closed { status: Some(s) } => format!(
            ":information_source: LeadLex says this task is already *{}*{outcome}",
            s.as_str()
        ),
        ApprovalState::Closed { status: None } => {
            ":information_source: This task no longer exists in LeadLex".to_owned()
        }
    })
}

fn decided(decision: &Decision, outcome: &str) -> String {
    let when = slack_date(decision.at_ms);
    match decision.verdict {
        Verdict::Approve if outcome.is_empty() => format!(
            ":white_check_mark: Approved by <@{}> {when} · Lexi is working on it",
            decision.by
        ),
        Verdict::Approve => format!(
            ":white_check_mark: Approved by <@{}> {when}{outcome}",
            decision.by
        ),
        Verdict::Deny => format!(":no_entry_sign: Denied by <@{}> {when}", decision.by),
    }
}

fn facts_line(approval: &Approval) -> String {
    let summary = &approval.summary;
    let mut parts = Vec::new();
    if let Some(kind) = &summary.kind {
        parts.push(format!("Type: *{}*", escape(&kind_label(kind))));
    }
    match summary.credits {
        Some(1) => parts.push("May cost *1* Lexi credit".into()),
        Some(n) => parts.push(format!("May cost *{n}* Lexi credits")),
        None => {}
    }
    parts.push(format!("Asked by <@{}>", approval.requester));
    parts.join(" · ")
}

/// The task's plain facts (`results: 20`, `list_id: …`) as section fields.
fn facts(metadata: &serde_json::Value) -> Vec<SlackBlockText> {
    let Some(fields) = metadata.as_object() else {
        return Vec::new();
    };
    fields
        .iter()
        .filter_map(|(key, value)| {
            let value = match value {
                serde_json::Value::String(s) if !s.is_empty() => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => if *b { "yes" } else { "no" }.to_owned(),
                _ => return None,
            };
            Some(SlackBlockText::MarkDown(SlackBlockMarkDownText::new(
                format!(
                    "*{}:* {}",
                    escape(&kind_label(key)),
                    escape(&truncate(&value, FACT_VALUE_MAX))
                ),
            )))
        })
        .take(FACTS_MAX)
        .collect()
}

fn card_text(approval: &Approval) -> String {
    escape(&truncate(
        &format!(
            "Lexi needs an approval to run this task: {}",
            approval.summary.description
        ),
        SECTION_TEXT_MAX,
    ))
}

/// `prospect_search` → `Prospect search`.
fn kind_label(kind: &str) -> String {
    capitalized(&kind.replace('_', " "))
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn plain(mrkdwn: &str) -> String {
    markdown_to_plain(&mrkdwn.replace('*', ""))
}

fn human_duration(d: Duration) -> String {
    let minutes = d.as_secs().div_ceil(60);
    match minutes {
        0..=1 => "a minute".into(),
        2..=119 => format!("{minutes} minutes"),
        _ => format!("{} hours", minutes / 60),
    }
}

/// `2026-11-24 15:04 UTC`.
fn utc_minute(secs: u64) -> String {
    crate::domain::utc::UtcTime::from_unix(secs).to_minute()
}

#[cfg(test)]
#[path = "approval_blocks_tests.rs"]
mod tests;
