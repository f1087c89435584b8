//! The thumbs up / down under each of Lexi's answers (`feedback_buttons` in a `context_actions` block).

use super::split::BLOCKS_PER_MESSAGE_MAX;
use super::web_api::OutgoingMessage;
use slack_morphism::prelude::*;

/// The action id of the feedback buttons; clicks carry it back.
pub const ACTION_ID: &str = "lexi_feedback";
pub const POSITIVE: &str = "positive";
pub const NEGATIVE: &str = "negative";

pub fn buttons() -> SlackBlock {
    let item = |text: &str, value: &str, label: &str| {
        SlackFeedbackButtonItem::new(SlackBlockPlainTextOnly::from(text), value.to_owned())
            .with_accessibility_label(SlackAccessibilityLabel(label.to_owned()))
    };
    let element = SlackBlockFeedbackButtonsElement::new(
        item("👍", POSITIVE, "Good answer"),
        item("👎", NEGATIVE, "Bad answer"),
    )
    .with_action_id(SlackActionId(ACTION_ID.to_owned()));
    SlackContextActionsBlock::new(vec![element.into()]).into()
}

/// Puts the buttons under an answer sent as ordinary messages: once, on its last message (after
/// the approval card, as in a streamed answer), or in a message of their own when that one
/// already holds Slack's 50 blocks.
pub fn attach(parts: &mut Vec<OutgoingMessage>) {
    match parts.last_mut() {
        Some(last) if last.blocks.len() < BLOCKS_PER_MESSAGE_MAX => last.blocks.push(buttons()),
        Some(_) => parts.push(OutgoingMessage {
            text: "Was this answer helpful?".to_owned(),
            blocks: vec![buttons()],
        }),
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slack::render::{answer, answer_as_mrkdwn, context};

    fn feedback_blocks_in(message: &OutgoingMessage) -> usize {
        serde_json::to_string(&message.blocks)
            .unwrap()
            .matches("feedback_buttons")
            .count()
    }

    #[test]
    fn an_answer_ends_with_the_feedback_buttons() {
        let mut parts = answer("**Found 20 CEOs.**\n\n- Jane Doe, Acme Legal");
        attach(&mut parts);
        insta::assert_json_snapshot!(serde_json::to_value(&parts).unwrap());
    }

    #[test]
    fn a_split_answer_carries_the_buttons_on_its_last_message_only() {
        let paragraph = "Lexi found a prospect worth a call. ".repeat(40);
        let mut parts = answer(&vec![paragraph; 20].join("\n\n"));
        let messages = parts.len();
        assert!(messages > 1);
        attach(&mut parts);
        assert_eq!(parts.len(), messages, "no extra message");
        let counts: Vec<usize> = parts.iter().map(feedback_blocks_in).collect();
        assert_eq!(counts.iter().sum::<usize>(), 1, "{counts:?}");
        assert_eq!(counts.last(), Some(&1));
    }

    #[test]
    fn a_full_last_message_gets_the_buttons_in_a_message_of_their_own() {
        let mut parts = answer_as_mrkdwn("paragraph");
        parts[0].blocks = vec![context("x"); BLOCKS_PER_MESSAGE_MAX];
        attach(&mut parts);
        assert_eq!(parts.len(), 2);
        assert!(
            parts
                .iter()
                .all(|m| m.blocks.len() <= BLOCKS_PER_MESSAGE_MAX)
        );
        assert_eq!(feedback_blocks_in(&parts[0]), 0);
        assert_eq!(feedback_blocks_in(&parts[1]), 1);
        assert!(!parts[1].text.is_empty(), "notifications need text");
    }
}
