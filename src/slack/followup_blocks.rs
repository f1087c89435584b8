//! `/followups` as Block Kit: the ephemeral result with its buttons, the contact picker, and what Share and Discuss post to the channel.

use super::mrkdwn::escape;
use super::render::{context, section};
use super::split::{
    BLOCKS_PER_MESSAGE_MAX, BUTTON_TEXT_MAX, HEADER_TEXT_MAX, SECTION_TEXT_MAX, split_text,
    truncate,
};
use super::web_api::OutgoingMessage;
use crate::domain::UserId;
use crate::domain::followups::{
    CardId, ContactCard, FollowupChannel, FollowupsCard, FollowupsCommand, Suggestion,
};
use slack_morphism::prelude::*;

/// Clicking a contact in the picker runs the command for that contact.
pub const PICK_ACTION: &str = "followups:pick";
/// Posts one suggestion's draft to the channel.
pub const SHARE_ACTION: &str = "followups:share";
/// Posts the contact's summary to the channel and starts a Lexi thread on it.
pub const DISCUSS_ACTION: &str = "followups:discuss";
/// Every action id above starts with this, so the interactivity edge can route them here.
pub const ACTION_PREFIX: &str = "followups:";

/// Contacts a picker offers at most.
pub const PICKER_MAX: usize = 5;
/// Characters of a draft the ephemeral result previews; Share posts the whole draft.
const DRAFT_PREVIEW_MAX: usize = 1_200;
/// Characters of a summary or draft quoted per section, leaving room for the quote markers.
const QUOTE_CHUNK_MAX: usize = 2_500;

/// Shown while LeadLex works; the result replaces it.
pub fn placeholder(contact: &str) -> OutgoingMessage {
    let text = format!("Looking at recent activity with {contact}…");
    OutgoingMessage {
        text: escape(&text),
        blocks: vec![context(&format!(
            ":hourglass_flowing_sand: _{}_",
            escape(&text)
        ))],
    }
}

/// The result, seen only by the requester: header, summary, one entry per suggestion (with its
/// draft and a Share button), a Discuss button and the credits left. At most 50 blocks.
pub fn result(card: &FollowupsCard) -> OutgoingMessage {
    let result = &card.result;
    let mut head = vec![header(&format!("Follow-ups for {}", card.contact.name))];
    let who: Vec<String> = [
        card.contact.company.as_deref(),
        card.contact.email.as_deref(),
    ]
    .into_iter()
    .flatten()
    .map(escape)
    .collect();
    if !who.is_empty() {
        head.push(context(&who.join(" · ")));
    }
    if !result.activity_summary.trim().is_empty() {
        head.push(context(&format!(
            ":mag: {}",
            escape(result.activity_summary.trim())
        )));
    }
    head.push(divider());

    let mut tail = vec![discuss(card)];
    let credits = match result.credits_remaining {
        Some(left) => format!("Suggested by Lexi · {} AI credits left", thousands(left)),
        None => "Suggested by Lexi".to_owned(),
    };
    tail.push(context(&credits));

    // Blocks left for suggestions, keeping one for a "more than fit" note.
    let mut budget = BLOCKS_PER_MESSAGE_MAX - head.len() - tail.len() - 1;
    let mut body = Vec::new();
    let mut left_out = 0;
    for (index, suggestion) in result.suggestions.iter().enumerate() {
        let blocks = suggestion_blocks(card, index, suggestion);
        if blocks.len() > budget {
            left_out += 1;
            continue;
        }
        budget -= blocks.len();
        body.extend(blocks);
    }
    if result.suggestions.is_empty() {
        body.push(section(&format!(
            "Lexi found nothing to suggest from the last {} days of activity.",
            card.lookback_days
        )));
    }
    if left_out > 0 {
        body.push(context(&format!(
            "{left_out} more suggestion(s) don't fit in one message; ask for fewer with `--count`."
        )));
    }

    let count = result.suggestions.len();
    let text = format!(
        "Follow-ups for {}: {count} suggestion{}",
        card.contact.name,
        if count == 1 { "" } else { "s" }
    );
    OutgoingMessage {
        text: escape(&text),
        blocks: head.into_iter().chain(body).chain(tail).collect(),
    }
}

fn suggestion_blocks(card: &FollowupsCard, index: usize, s: &Suggestion) -> Vec<SlackBlock> {
    let mut facts = Vec::new();
    if let Some(when) = &s.when {
        facts.push(format!(":alarm_clock: {}", escape(when)));
    }
    if let Some(confidence) = s.confidence {
        facts.push(format!("{}% confident", percent(confidence)));
    }
    let mut text = format!(
        "{} *{}*  ·  {}",
        emoji(&s.kind),
        escape(&s.title),
        channel_name(&s.kind)
    );
    if !s.reason.trim().is_empty() {
        text.push('\n');
        text.push_str(&escape(s.reason.trim()));
    }
    if !facts.is_empty() {
        text.push('\n');
        text.push_str(&facts.join(" · "));
    }
    let mut blocks = vec![section(&text)];
    if let Some(draft) = &s.draft {
        let preview = quote(&truncate(draft.trim(), DRAFT_PREVIEW_MAX));
        let block = if card.shared.contains(&index) {
            section(&format!(
                "{preview}\n:white_check_mark: _Shared to the channel_"
            ))
        } else {
            with_button(
                section(&preview),
                button("Share", SHARE_ACTION, &format!("{}:{index}", card.id)),
            )
        };
        blocks.push(block);
    }
    blocks
}

fn discuss(card: &FollowupsCard) -> SlackBlock {
    if card.discussion.is_some() {
        return context(":speech_balloon: _Lexi is discussing these in a thread in the channel._");
    }
    let button = button("Discuss with Lexi", DISCUSS_ACTION, card.id.as_str())
        .with_style(SlackBlockButtonStyle::Primary);
    SlackBlock::Actions(SlackActionsBlock::new(vec![button.into()]))
}

/// Several contacts match: one button per contact (name, company, e-mail), at most
/// [`PICKER_MAX`]; choosing one runs `command` for it.
pub fn picker(
    query: &str,
    command: &FollowupsCommand,
    matches: &[ContactCard],
    more: bool,
) -> OutgoingMessage {
    let mut blocks = vec![section(&format!(
        "Several contacts match *{}*. Which one did you mean?",
        escape(query)
    ))];
    for contact in matches.iter().take(PICKER_MAX) {
        let mut text = format!("*{}*", escape(&contact.name));
        let details: Vec<String> = [contact.company.as_deref(), contact.email.as_deref()]
            .into_iter()
            .flatten()
            .map(escape)
            .collect();
        if !details.is_empty() {
            text.push('\n');
            text.push_str(&details.join(" · "));
        }
        let value = command.with_contact(contact.id.clone()).to_command_text();
        blocks.push(with_button(
            section(&text),
            button(&contact.name, PICK_ACTION, &value),
        ));
    }
    if more || matches.len() > PICKER_MAX {
        blocks.push(context(
            "More contacts match than fit here: add the company or use the e-mail to narrow it down.",
        ));
    }
    OutgoingMessage {
        text: escape(&format!(
            "Several contacts match {query}. Which one did you mean?"
        )),
        blocks,
    }
}

/// One suggestion's draft, posted to the channel by the bot and credited to the requester.
pub fn shared_draft(card: &FollowupsCard, suggestion: &Suggestion, by: &UserId) -> OutgoingMessage {
    let draft = suggestion.draft.as_deref().unwrap_or_default().trim();
    let intro = format!(
        "{} Draft shared by <@{by}> for *{}*: *{}*",
        emoji(&suggestion.kind),
        escape(&card.contact.label()),
        escape(&suggestion.title)
    );
    let mut blocks = vec![section(&intro)];
    let room = BLOCKS_PER_MESSAGE_MAX - blocks.len();
    let chunks = split_text(draft, QUOTE_CHUNK_MAX);
    let cut = chunks.len() > room;
    for (i, chunk) in chunks.iter().take(room).enumerate() {
        let chunk = if cut && i + 1 == room {
            format!("{}…", chunk.trim_end())
        } else {
            chunk.clone()
        };
        blocks.push(section(&quote(&chunk)));
    }
    OutgoingMessage {
        text: format!(
            "Draft shared by <@{by}> for {}: {}",
            escape(&card.contact.name),
            escape(&truncate(&suggestion.title, 200))
        ),
        blocks,
    }
}

/// The channel message a Lexi discussion hangs off: who asked, the summary, the suggestions.
pub fn discussion_root(card: &FollowupsCard, by: &UserId) -> OutgoingMessage {
    let mut blocks = vec![section(&format!(
        ":speech_balloon: <@{by}> wants to talk through follow-ups for *{}* with Lexi.",
        escape(&card.contact.label())
    ))];
    let summary = card.result.activity_summary.trim();
    if !summary.is_empty() {
        blocks.push(section(&quote(&truncate(summary, QUOTE_CHUNK_MAX))));
    }
    let lines: Vec<String> = card
        .result
        .suggestions
        .iter()
        .map(|s| {
            let when = s
                .when
                .as_deref()
                .map(|w| format!(" ({})", escape(w)))
                .unwrap_or_default();
            format!("• {} {}{when}", emoji(&s.kind), escape(&s.title))
        })
        .collect();
    if !lines.is_empty() {
        blocks.push(section(&format!(
            "*Suggested next steps*\n{}",
            lines.join("\n")
        )));
    }
    blocks.push(context("Reply in this thread to keep talking with Lexi."));
    OutgoingMessage {
        text: format!(
            "<@{by}> wants to talk through follow-ups for {} with Lexi.",
            escape(&card.contact.label())
        ),
        blocks,
    }
}

/// The value a Share button carries: the card and the suggestion's place in it.
pub fn parse_share_value(value: &str) -> Option<(CardId, usize)> {
    let (card, index) = value.rsplit_once(':')?;
    let index = index.parse::<usize>().ok().filter(|i| *i < 100)?;
    Some((CardId::parse(card).ok()?, index))
}

fn header(text: &str) -> SlackBlock {
    SlackBlock::Header(SlackHeaderBlock::new(
        truncate(text, HEADER_TEXT_MAX).into_owned().into(),
    ))
}

fn divider() -> SlackBlock {
    SlackBlock::Divider(SlackDividerBlock::new())
}

fn button(text: &str, action: &str, value: &str) -> SlackBlockButtonElement {
    SlackBlockButtonElement::new(truncate(text, BUTTON_TEXT_MAX).into_owned().into())
        .with_action_id(SlackActionId(action.to_owned()))
        .with_value(value.to_owned())
}

fn with_button(block: SlackBlock, button: SlackBlockButtonElement) -> SlackBlock {
    match block {
        SlackBlock::Section(s) => SlackBlock::Section(s.with_accessory(button.into())),
        other => other,
    }
}

/// `text` as a mrkdwn quote: escaped, every line behind Slack's `>` marker.
fn quote(text: &str) -> String {
    let quoted: Vec<String> = text
        .lines()
        .map(|line| format!("> {}", escape(line)).trim_end().to_owned())
        .collect();
    truncate(&quoted.join("\n"), SECTION_TEXT_MAX).into_owned()
}

fn emoji(kind: &str) -> &'static str {
    match FollowupChannel::from_name(kind) {
        Some(FollowupChannel::Email) => ":email:",
        Some(FollowupChannel::Call) => ":telephone_receiver:",
        Some(FollowupChannel::Meeting) => ":calendar:",
        Some(FollowupChannel::Linkedin) => ":briefcase:",
        Some(FollowupChannel::Whatsapp) => ":speech_balloon:",
        None => ":bulb:",
    }
}

fn channel_name(kind: &str) -> String {
    match FollowupChannel::from_name(kind) {
        Some(FollowupChannel::Email) => "Email".into(),
        Some(FollowupChannel::Call) => "Call".into(),
        Some(FollowupChannel::Meeting) => "Meeting".into(),
        Some(FollowupChannel::Linkedin) => "LinkedIn".into(),
        Some(FollowupChannel::Whatsapp) => "WhatsApp".into(),
        None => escape(&truncate(kind, 30)),
    }
}

/// LeadLex's examples give confidence as 0–1; a value above 1 is read as a percentage already.
fn percent(confidence: f64) -> u32 {
    let scaled = if confidence <= 1.0 {
        confidence * 100.0
    } else {
        confidence
    };
    scaled.clamp(0.0, 100.0).round() as u32
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
#[path = "followup_blocks_tests.rs"]
mod tests;
