//! Lexi's Markdown answer → Slack messages: every block within Block Kit's limits, and the mrkdwn fallback well formed.

use crate::slack::mrkdwn::markdown_to_plain;
use crate::slack::render::{answer, answer_as_mrkdwn};
use crate::slack::split::{
    BLOCKS_PER_MESSAGE_MAX, FALLBACK_TEXT_MAX, MARKDOWN_BLOCK_MAX, SECTION_TEXT_MAX,
};
use slack_morphism::prelude::{SlackBlock, SlackBlockText};

/// Input: an answer as Lexi might write it (any UTF-8).
pub fn markdown_answer(data: &[u8]) {
    let Ok(markdown) = std::str::from_utf8(data) else {
        return;
    };
    let chars = |s: &str| s.chars().count();

    // The usual path: `markdown` blocks, one message per 12,000 characters.
    let messages = answer(markdown);
    assert!(!messages.is_empty(), "an answer became no message");
    for message in &messages {
        assert!(chars(&message.text) <= FALLBACK_TEXT_MAX);
        assert!((1..=BLOCKS_PER_MESSAGE_MAX).contains(&message.blocks.len()));
        let mut markdown_chars = 0;
        for block in &message.blocks {
            if let SlackBlock::Markdown(block) = block {
                assert!(!block.text.trim().is_empty(), "an empty markdown block");
                markdown_chars += chars(&block.text);
            }
        }
        assert!(
            markdown_chars <= MARKDOWN_BLOCK_MAX,
            "{markdown_chars} characters"
        );
    }

    // The fallback for surfaces that refuse `markdown` blocks: mrkdwn sections.
    for message in answer_as_mrkdwn(markdown) {
        assert!(chars(&message.text) <= FALLBACK_TEXT_MAX);
        assert!((1..=BLOCKS_PER_MESSAGE_MAX).contains(&message.blocks.len()));
        for block in &message.blocks {
            let SlackBlock::Section(section) = block else {
                panic!("the fallback holds sections only, not {block:?}");
            };
            let Some(SlackBlockText::MarkDown(text)) = &section.text else {
                panic!("a section without mrkdwn text");
            };
            let length = chars(&text.text);
            assert!(
                (1..=SECTION_TEXT_MAX).contains(&length),
                "{length} characters"
            );
            if let Err(problem) = well_formed_mrkdwn(&text.text) {
                panic!("{problem} in a section rendered from {markdown:?}");
            }
        }
    }

    let plain = markdown_to_plain(markdown);
    assert_eq!(plain.trim(), plain, "plain text is not trimmed");
}

/// Whether mrkdwn says only what was meant: every `<` opens a link `<url>` / `<url|label>`, every
/// `>` closes one or starts a quote line, and every `&` starts one of the three entities. A stray
/// `<` could become a mention or `<!channel>`; a stray `&` shows as garbage.
pub fn well_formed_mrkdwn(out: &str) -> Result<(), String> {
    for line in out.split('\n') {
        let mut rest = line.strip_prefix('>').unwrap_or(line);
        while let Some(c) = rest.chars().next() {
            match c {
                '&' => {
                    let entity = ["&amp;", "&lt;", "&gt;"]
                        .into_iter()
                        .find(|e| rest.starts_with(e))
                        .ok_or_else(|| format!("raw & in {line:?}"))?;
                    rest = &rest[entity.len()..];
                }
                '<' => {
                    let end = rest
                        .find('>')
                        .ok_or_else(|| format!("unclosed < in {line:?}"))?;
                    let inner = &rest[1..end];
                    let (url, label) = inner.split_once('|').unwrap_or((inner, ""));
                    if url.is_empty()
                        || url.contains(|c: char| c.is_whitespace() || "<|".contains(c))
                    {
                        return Err(format!("bad link url {url:?} in {line:?}"));
                    }
                    if label.contains(['<', '|']) {
                        return Err(format!("bad link label {label:?} in {line:?}"));
                    }
                    well_formed_mrkdwn(&inner.replace('|', " "))?;
                    rest = &rest[end + 1..];
                }
                '>' => return Err(format!("raw > in {line:?}")),
                c => rest = &rest[c.len_utf8()..],
            }
        }
    }
    Ok(())
}
