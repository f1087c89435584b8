//! The thumbs up / down under each of Lexi's answers (`feedback_buttons` in a `context_actions` block).

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
