//! Lexi's answers and the bot's notices as Block Kit, always within Slack's limits.

use super::mrkdwn::{markdown_to_mrkdwn, markdown_to_plain};
use super::split::{
    BLOCKS_PER_MESSAGE_MAX, MARKDOWN_BLOCK_MAX, SECTION_TEXT_MAX, split_text, truncate,
};
use super::web_api::OutgoingMessage;
use slack_morphism::prelude::*;

/// Notification text is what phones and screen readers show; a preview is enough.
const NOTIFICATION_TEXT_MAX: usize = 3_000;

/// Shown in the thread while Lexi works; replaced by the answer.
pub fn working() -> OutgoingMessage {
    let text = "Lexi is working on it…";
    OutgoingMessage {
        text: text.into(),
        blocks: vec![context(&format!(":hourglass_flowing_sand: _{text}_"))],
    }
}

/// Lexi's Markdown answer, as Slack's `markdown` blocks (made for LLM output). An answer longer
/// than one block allows becomes several messages, split at paragraph boundaries.
pub fn answer(markdown: &str) -> Vec<OutgoingMessage> {
    let markdown = if markdown.trim().is_empty() {
        "_Lexi had nothing to add._"
    } else {
        markdown
    };
    split_text(markdown, MARKDOWN_BLOCK_MAX)
        .into_iter()
        .map(|part| OutgoingMessage {
            text: notification_text(&part),
            blocks: vec![SlackBlock::Markdown(SlackMarkdownBlock::new(part))],
        })
        .collect()
}

/// The same answer as mrkdwn `section` blocks, for surfaces that refuse the `markdown` block.
pub fn answer_as_mrkdwn(markdown: &str) -> Vec<OutgoingMessage> {
    let sections = split_text(&markdown_to_mrkdwn(markdown), SECTION_TEXT_MAX);
    let plain = notification_text(markdown);
    let mut messages: Vec<OutgoingMessage> = sections
        .chunks(BLOCKS_PER_MESSAGE_MAX)
        .map(|chunk| OutgoingMessage {
            text: plain.clone(),
            blocks: chunk.iter().map(|s| section(s)).collect(),
        })
        .collect();
    if messages.is_empty() {
        messages.push(notice("Lexi had nothing to add."));
    }
    messages
}

/// A short sentence from the bot (errors, hints), shown as one section.
pub fn notice(text: &str) -> OutgoingMessage {
    OutgoingMessage {
        text: super::mrkdwn::escape(&truncate(text, NOTIFICATION_TEXT_MAX)),
        blocks: vec![section(&super::mrkdwn::escape(text))],
    }
}

/// A `section` block with mrkdwn text, cut to the section limit.
pub fn section(mrkdwn: &str) -> SlackBlock {
    SlackBlock::Section(SlackSectionBlock::new().with_text(SlackBlockText::MarkDown(
        SlackBlockMarkDownText::new(truncate(mrkdwn, SECTION_TEXT_MAX).to_string()),
    )))
}

/// A `context` block with one line of mrkdwn.
pub fn context(mrkdwn: &str) -> SlackBlock {
    SlackBlock::Context(SlackContextBlock::new(vec![
        SlackContextBlockElement::MarkDown(SlackBlockMarkDownText::new(
            truncate(mrkdwn, SECTION_TEXT_MAX).to_string(),
        )),
    ]))
}

/// The top-level `text` is parsed as mrkdwn by Slack, so the plain rendering is escaped: a literal
/// `<!channel>` in an answer must not notify anyone.
fn notification_text(markdown: &str) -> String {
    super::mrkdwn::escape(&truncate(
        &markdown_to_plain(markdown),
        NOTIFICATION_TEXT_MAX,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(messages: &[OutgoingMessage]) -> serde_json::Value {
        serde_json::to_value(messages).unwrap()
    }

    #[test]
    fn a_short_answer_is_one_markdown_block() {
        insta::assert_json_snapshot!(json(&answer(
            "**Found 20 CEOs.**\n\n- Jane Doe, Acme Legal"
        )));
    }

    #[test]
    fn a_long_answer_is_split_into_messages_within_the_markdown_limit() {
        let paragraph = "Lexi found a prospect worth a call. ".repeat(40);
        let long = vec![paragraph; 20].join("\n\n");
        let messages = answer(&long);
        assert!(messages.len() > 1);
        for m in &messages {
            let v = serde_json::to_value(&m.blocks).unwrap();
            let text = v[0]["text"].as_str().unwrap();
            assert!(text.chars().count() <= MARKDOWN_BLOCK_MAX);
            assert!(m.text.chars().count() <= NOTIFICATION_TEXT_MAX * 5);
        }
    }

    #[test]
    fn the_mrkdwn_fallback_keeps_sections_and_block_counts_within_limits() {
        let huge = "word ".repeat(200_000);
        for m in answer_as_mrkdwn(&huge) {
            assert!(m.blocks.len() <= BLOCKS_PER_MESSAGE_MAX);
            let v = serde_json::to_value(&m.blocks).unwrap();
            for block in v.as_array().unwrap() {
                assert!(
                    block["text"]["text"].as_str().unwrap().chars().count() <= SECTION_TEXT_MAX
                );
            }
        }
    }

    #[test]
    fn the_working_message_and_notices_render() {
        insta::assert_json_snapshot!(json(&[
            working(),
            notice("Lexi is out of credits <for now> & then some.")
        ]));
    }
}
