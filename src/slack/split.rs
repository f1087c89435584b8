//! Keeps every text the bot sends within Slack's Block Kit limits, by truncating or by splitting into chunks.

use std::borrow::Cow;

/// Characters across all `markdown` blocks of one message.
pub const MARKDOWN_BLOCK_MAX: usize = 12_000;
/// Characters in a section block's `text`.
pub const SECTION_TEXT_MAX: usize = 3_000;
/// Characters in a header block's `plain_text`.
pub const HEADER_TEXT_MAX: usize = 150;
/// Characters in a button's text.
pub const BUTTON_TEXT_MAX: usize = 75;
/// Characters in a button's `value`.
pub const BUTTON_VALUE_MAX: usize = 2_000;
/// Elements in a context block.
pub const CONTEXT_ELEMENTS_MAX: usize = 10;
/// Blocks in one message.
pub const BLOCKS_PER_MESSAGE_MAX: usize = 50;
/// Characters in a message's top-level `text`; Slack truncates beyond it.
pub const FALLBACK_TEXT_MAX: usize = 40_000;
/// Characters in a confirmation dialog's text.
pub const CONFIRM_TEXT_MAX: usize = 300;
/// Characters in a confirmation dialog's title.
pub const CONFIRM_TITLE_MAX: usize = 100;

const ELLIPSIS: char = '…';

/// `text` cut to at most `max_chars` characters, ending in `…` when something was cut.
///
/// Slack counts characters, so this does too (Unicode scalar values). The ellipsis counts
/// toward the limit. The cut goes to a word boundary when one lies in the last fifth of the
/// budget, and never separates a combining mark, joined emoji or flag from its base.
pub fn truncate(text: &str, max_chars: usize) -> Cow<'_, str> {
    if max_chars == 0 {
        return Cow::Borrowed("");
    }
    if text.char_indices().nth(max_chars).is_none() {
        return Cow::Borrowed(text);
    }
    let budget = max_chars - 1;
    let hard = byte_offset(text, budget);
    let window_start = byte_offset(text, budget - budget / 5);
    let head = text.get(..hard).unwrap_or("");
    let next_is_space = text
        .get(hard..)
        .and_then(|tail| tail.chars().next())
        .is_some_and(char::is_whitespace);
    let cut = if next_is_space {
        hard
    } else {
        match head.rfind(char::is_whitespace) {
            Some(space) if space >= window_start && space > 0 => space,
            _ => cluster_boundary_at_or_before(text, hard),
        }
    };
    let kept = text.get(..cut).unwrap_or("").trim_end();
    Cow::Owned(format!("{kept}{ELLIPSIS}"))
}

/// A long Markdown answer as chunks of at most `max_chars` characters each, in order.
///
/// Cuts prefer a paragraph break, then a line break, a sentence end, any whitespace, and
/// only then an arbitrary character. A fenced code block is kept whole when it fits in a
/// chunk; one that has to be cut is closed at the end of a chunk and reopened (same fence
/// and info string) at the start of the next, so both halves still render as code.
/// Whitespace at the seams is dropped (except code indentation); nothing else is lost.
/// Empty or blank input, or `max_chars == 0`, gives no chunks.
pub fn split_text(text: &str, max_chars: usize) -> Vec<String> {
    split_chunks(text, max_chars)
        .into_iter()
        .map(|chunk| chunk.render())
        .collect()
}

/// One chunk of [`split_text`], with the fence markers it added kept apart from the text.
#[derive(Debug, PartialEq, Eq)]
struct Chunk {
    /// "```rust\n" when the chunk starts inside a code block cut by the previous chunk.
    reopen: String,
    body: String,
    /// "\n```" when this chunk ends inside a code block.
    close: String,
}

impl Chunk {
    fn render(self) -> String {
        let mut out = self.reopen;
        out.push_str(&self.body);
        out.push_str(&self.close);
        out
    }
}

/// Where cutting is best; the earlier variants win.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Boundary {
    Paragraph,
    Line,
    Sentence,
    Space,
}

/// A place a chunk may end: its text ends at `end`, the next one starts at `next`.
#[derive(Clone, Copy, Debug)]
struct Cut {
    end: usize,
    next: usize,
    /// Characters from the chunk start to `end`.
    chars: usize,
    boundary: Boundary,
}

/// A fenced code block, by byte offsets into the whole text.
#[derive(Debug)]
struct Fence {
    open_start: usize,
    /// Where the first line of code starts, just after the opening line.
    body_start: usize,
    /// Where the closing line starts (the end of the text when unclosed).
    close_start: usize,
    /// Where the closing line's fence ends (the end of the text when unclosed).
    close_end: usize,
    marker: String,
    info: String,
}

impl Fence {
    fn reopen(&self) -> String {
        format!("{}{}\n", self.marker, self.info)
    }

    fn close(&self) -> String {
        format!("\n{}", self.marker)
    }

    /// Whether closing and reopening leave most of a chunk for the code itself; if not
    /// (a tiny limit or a huge info string) the block is cut like plain text.
    fn repairable(&self, max_chars: usize) -> bool {
        let overhead = self.reopen().chars().count() + self.close().chars().count();
        overhead.saturating_mul(2) <= max_chars
    }

    fn chars(&self, text: &str) -> usize {
        text.get(self.open_start..self.close_end)
            .map_or(0, |block| block.chars().count())
    }
}

/// Where a position falls relative to the fenced code blocks.
enum Place<'a> {
    Outside,
    /// On an opening or closing fence line: a chunk must not end here.
    FenceLine(&'a Fence),
    Body(&'a Fence),
}

fn place_of(fences: &[Fence], at: usize) -> Place<'_> {
    let index = fences.partition_point(|fence| fence.open_start < at);
    let Some(fence) = index.checked_sub(1).and_then(|i| fences.get(i)) else {
        return Place::Outside;
    };
    if at < fence.body_start {
        Place::FenceLine(fence)
    } else if at <= fence.close_start {
        Place::Body(fence)
    } else if at < fence.close_end {
        Place::FenceLine(fence)
    } else {
        Place::Outside
    }
}

fn split_chunks(text: &str, max_chars: usize) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    if max_chars == 0 {
        return chunks;
    }
    let fences = find_fences(text);
    let repairing = |place: &Place<'_>| match place {
        Place::Body(fence) if fence.repairable(max_chars) => Some(fence.close()),
        _ => None,
    };
    let mut pos = skip_whitespace(text, 0);

    while pos < text.len() {
        let rest = text.get(pos..).unwrap_or("");
        let reopen = match place_of(&fences, pos) {
            Place::Body(fence) if fence.repairable(max_chars) => fence.reopen(),
            _ => String::new(),
        };
        // `repairable` leaves at least half the limit, so the budget is never zero.
        let budget = max_chars.saturating_sub(reopen.chars().count()).max(1);

        let tail = rest.trim_end();
        if tail.chars().nth(budget).is_none() {
            push_chunk(&mut chunks, reopen, tail, String::new());
            break;
        }

        let cut = choose_cut(text, pos, budget, &fences, max_chars);
        let close = repairing(&place_of(&fences, cut.end)).unwrap_or_default();
        let body = text.get(pos..cut.end).unwrap_or("").trim_end();
        push_chunk(&mut chunks, reopen, body, close);

        // Inside code the next chunk keeps the line's indentation; elsewhere it starts at text.
        pos = match place_of(&fences, cut.next) {
            Place::Body(fence) if fence.repairable(max_chars) => cut.next,
            _ => skip_whitespace(text, cut.next),
        };
    }
    chunks
}

fn push_chunk(chunks: &mut Vec<Chunk>, reopen: String, body: &str, close: String) {
    if body.trim().is_empty() {
        return;
    }
    chunks.push(Chunk {
        reopen,
        body: body.to_owned(),
        close,
    });
}

/// The best place to end a chunk that starts at `pos` and may hold `budget` characters.
fn choose_cut(text: &str, pos: usize, budget: usize, fences: &[Fence], max_chars: usize) -> Cut {
    let close_chars = |end: usize| match place_of(fences, end) {
        Place::Body(fence) if fence.repairable(max_chars) => fence.close().chars().count(),
        _ => 0,
    };
    let cuts: Vec<Cut> = candidate_cuts(text, pos, budget, fences)
        .into_iter()
        .filter(|cut| {
            cut.end > pos
                && !matches!(place_of(fences, cut.end), Place::FenceLine(_))
                && cut.chars + close_chars(cut.end) <= budget
        })
        .collect();
    let outside = |cut: &&Cut| matches!(place_of(fences, cut.end), Place::Outside);
    let inside = |cut: &&Cut| matches!(place_of(fences, cut.end), Place::Body(_));
    // A chunk much shorter than the limit means more messages; a boundary in the first
    // half is only worth it when nothing better exists.
    let filled = |cut: &&Cut| cut.chars >= budget / 2;

    let limit = pos + byte_offset(text.get(pos..).unwrap_or(""), budget);
    // Cutting before a code block that fits in a chunk of its own avoids cutting it at all.
    let block_fits_alone = match place_of(fences, limit) {
        Place::Body(fence) | Place::FenceLine(fence) => fence.chars(text) <= max_chars,
        Place::Outside => false,
    };

    let best = best_cut(cuts.iter().filter(outside).filter(filled))
        .or_else(|| {
            block_fits_alone
                .then(|| best_cut(cuts.iter().filter(outside)))
                .flatten()
        })
        .or_else(|| best_cut(cuts.iter().filter(inside).filter(filled)))
        .or_else(|| best_cut(cuts.iter().filter(outside)))
        .or_else(|| best_cut(cuts.iter().filter(inside)));
    best.unwrap_or_else(|| hard_cut(text, pos, budget, &close_chars))
}

fn best_cut<'a>(cuts: impl Iterator<Item = &'a Cut>) -> Option<Cut> {
    cuts.min_by(|a, b| a.boundary.cmp(&b.boundary).then(b.end.cmp(&a.end)))
        .copied()
}

/// Every boundary between `pos` and `budget` characters further on.
fn candidate_cuts(text: &str, pos: usize, budget: usize, fences: &[Fence]) -> Vec<Cut> {
    let rest = text.get(pos..).unwrap_or("");
    let mut cuts = Vec::new();
    let mut previous: Option<char> = None;
    let mut chars_before = 0;
    let mut iter = rest.char_indices().peekable();
    while let Some((offset, c)) = iter.next() {
        if c.is_whitespace() && previous.is_some_and(|p| !p.is_whitespace()) {
            let end = pos + offset;
            let run_len = rest
                .get(offset..)
                .and_then(|run| run.find(|ch: char| !ch.is_whitespace()))
                .unwrap_or(rest.len() - offset);
            let run = rest.get(offset..offset + run_len).unwrap_or("");
            let newlines = run.matches('\n').count();
            let boundary = match newlines {
                0 if ends_sentence(rest.get(..offset).unwrap_or("")) => Boundary::Sentence,
                0 => Boundary::Space,
                1 => Boundary::Line,
                _ => Boundary::Paragraph,
            };
            let next = match (place_of(fences, end), run.rfind('\n')) {
                (Place::Body(_), Some(newline)) => end + newline + 1,
                _ => end + run_len,
            };
            cuts.push(Cut {
                end,
                next,
                chars: chars_before,
                boundary,
            });
        }
        if chars_before >= budget {
            break;
        }
        // CJK sentences end without a following space.
        if matches!(c, '。' | '！' | '？')
            && chars_before < budget
            && iter.peek().is_some_and(|(_, next)| !next.is_whitespace())
        {
            let end = pos + offset + c.len_utf8();
            cuts.push(Cut {
                end,
                next: end,
                chars: chars_before + 1,
                boundary: Boundary::Sentence,
            });
        }
        previous = Some(c);
        chars_before += 1;
    }
    cuts
}

fn ends_sentence(text: &str) -> bool {
    let text = text.trim_end_matches([')', ']', '"', '\'', '”', '’', '»', '*', '_']);
    text.ends_with(['.', '!', '?', '…', '。', '！', '？'])
}

/// A cut at the character limit, when no boundary fits.
fn hard_cut(text: &str, pos: usize, budget: usize, close_chars: &dyn Fn(usize) -> usize) -> Cut {
    let rest = text.get(pos..).unwrap_or("");
    let mut chars = budget;
    let mut end = pos + byte_offset(rest, chars);
    let needed = close_chars(end);
    if needed > 0 {
        chars = budget.saturating_sub(needed).max(1);
        end = pos + byte_offset(rest, chars);
    }
    let clustered = cluster_boundary_at_or_before(text, end);
    if clustered > pos {
        end = clustered;
        chars = text
            .get(pos..end)
            .map_or(chars, |kept| kept.chars().count());
    }
    Cut {
        end,
        next: end,
        chars,
        boundary: Boundary::Space,
    }
}

/// The fenced code blocks of `text` (``` or ~~~, CommonMark's rules simplified).
fn find_fences(text: &str) -> Vec<Fence> {
    let mut fences = Vec::new();
    let mut open: Option<(usize, usize, char, usize, String)> = None;
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let next_line = line_start + line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        match &open {
            None => {
                if let Some((fence_char, len, info)) = opening_fence(content) {
                    open = Some((line_start, next_line, fence_char, len, info.to_owned()));
                }
            }
            Some((_, _, fence_char, len, _)) => {
                if is_closing_fence(content, *fence_char, *len) {
                    if let Some((open_start, body_start, fence_char, len, info)) = open.take() {
                        fences.push(Fence {
                            open_start,
                            body_start,
                            close_start: line_start,
                            close_end: line_start + content.trim_end().len(),
                            marker: fence_char.to_string().repeat(len),
                            info,
                        });
                    }
                }
            }
        }
        line_start = next_line;
    }
    if let Some((open_start, body_start, fence_char, len, info)) = open {
        fences.push(Fence {
            open_start,
            body_start,
            close_start: text.len(),
            close_end: text.len(),
            marker: fence_char.to_string().repeat(len),
            info,
        });
    }
    fences
}

fn fence_indent_ok(line: &str) -> Option<&str> {
    let trimmed = line.trim_start_matches(' ');
    (line.len() - trimmed.len() <= 3).then_some(trimmed)
}

fn opening_fence(line: &str) -> Option<(char, usize, &str)> {
    let trimmed = fence_indent_ok(line)?;
    let fence_char = trimmed.chars().next().filter(|c| matches!(c, '`' | '~'))?;
    let len = trimmed.len() - trimmed.trim_start_matches(fence_char).len();
    let info = trimmed.get(len..)?.trim();
    // A backtick fence's info string can't hold a backtick (that line is inline code).
    (len >= 3 && !(fence_char == '`' && info.contains('`'))).then_some((fence_char, len, info))
}

fn is_closing_fence(line: &str, fence_char: char, open_len: usize) -> bool {
    let Some(trimmed) = fence_indent_ok(line) else {
        return false;
    };
    let after = trimmed.trim_start_matches(fence_char);
    trimmed.len() - after.len() >= open_len && after.trim().is_empty()
}

fn skip_whitespace(text: &str, from: usize) -> usize {
    text.get(from..)
        .map_or(text.len(), |rest| text.len() - rest.trim_start().len())
}

/// Byte offset of the `n`th character of `text` (its length when shorter).
fn byte_offset(text: &str, n: usize) -> usize {
    text.char_indices().nth(n).map_or(text.len(), |(i, _)| i)
}

/// The nearest position at or before `at` that doesn't split a user-perceived character
/// (an approximation of grapheme clusters, good for marks, emoji sequences and flags).
fn cluster_boundary_at_or_before(text: &str, mut at: usize) -> usize {
    loop {
        let (Some(before), Some(after)) = (text.get(..at), text.get(at..)) else {
            return at;
        };
        let (Some(previous), Some(next)) = (before.chars().next_back(), after.chars().next())
        else {
            return at;
        };
        let joined = extends_previous(next)
            || previous == ZERO_WIDTH_JOINER
            || (is_regional_indicator(previous)
                && is_regional_indicator(next)
                && before
                    .chars()
                    .rev()
                    .take_while(|c| is_regional_indicator(*c))
                    .count()
                    % 2
                    == 1);
        if !joined {
            return at;
        }
        at -= previous.len_utf8();
    }
}

const ZERO_WIDTH_JOINER: char = '\u{200D}';

fn is_regional_indicator(c: char) -> bool {
    matches!(c, '\u{1F1E6}'..='\u{1F1FF}')
}

/// Characters that belong to the one before them: combining marks, joiners, variation
/// selectors, emoji modifiers and tags.
fn extends_previous(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
        | '\u{0483}'..='\u{0489}'
        | '\u{0591}'..='\u{05BD}'
        | '\u{05BF}' | '\u{05C1}'..='\u{05C2}' | '\u{05C4}'..='\u{05C5}' | '\u{05C7}'
        | '\u{0610}'..='\u{061A}'
        | '\u{064B}'..='\u{065F}'
        | '\u{0670}'
        | '\u{06D6}'..='\u{06DC}' | '\u{06DF}'..='\u{06E4}' | '\u{06E7}'..='\u{06E8}' | '\u{06EA}'..='\u{06ED}'
        | '\u{0900}'..='\u{0903}' | '\u{093A}'..='\u{094F}' | '\u{0951}'..='\u{0957}' | '\u{0962}'..='\u{0963}'
        | '\u{0E31}' | '\u{0E34}'..='\u{0E3A}' | '\u{0E47}'..='\u{0E4E}'
        | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{200C}' | '\u{200D}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{302A}'..='\u{302F}' | '\u{3099}'..='\u{309A}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FE20}'..='\u{FE2F}'
        | '\u{1F3FB}'..='\u{1F3FF}'
        | '\u{E0020}'..='\u{E007F}'
        | '\u{E0100}'..='\u{E01EF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chars(s: &str) -> usize {
        s.chars().count()
    }

    fn non_whitespace(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
    }

    #[test]
    fn truncate_keeps_short_text_untouched() {
        assert!(matches!(truncate("hello", 5), Cow::Borrowed("hello")));
        assert!(matches!(truncate("hello", 50), Cow::Borrowed("hello")));
        assert_eq!(truncate("", 3), "");
        assert_eq!(truncate("😀😀😀", 3), "😀😀😀");
    }

    #[test]
    fn truncate_cuts_by_characters_with_an_ellipsis() {
        let cases: &[(&str, usize, &str)] = &[
            ("hello", 0, ""),
            ("hello", 1, "…"),
            ("hello", 2, "h…"),
            ("hello", 4, "hel…"),
            ("abcdefghij", 6, "abcde…"),
            ("😀😀😀😀", 3, "😀😀…"),
            ("日本語のテキスト", 4, "日本語…"),
            ("契約書を要約してください", 8, "契約書を要約し…"),
        ];
        for (text, max, expected) in cases {
            assert_eq!(truncate(text, *max), *expected, "{text:?} to {max}");
            assert!(chars(&truncate(text, *max)) <= *max);
        }
    }

    #[test]
    fn truncate_prefers_a_word_boundary_in_the_last_fifth() {
        let cases: &[(&str, usize, &str)] = &[
            // Budget 19; a space at 16 is in the last fifth.
            ("the quick brown fox jumps", 20, "the quick brown fox…"),
            // Budget 24; the space at 22 is in the last fifth.
            (
                "Quarterly revenue grew strongly",
                25,
                "Quarterly revenue grew…",
            ),
            // The cut falls right before a space: already a word boundary.
            ("one two three", 8, "one two…"),
            // No space late enough: cut mid-word rather than lose most of the budget.
            ("a bcdefghijklmnopqrstuvwxyz", 20, "a bcdefghijklmnopqr…"),
            ("supercalifragilistic", 10, "supercali…"),
            ("tabs\tand\nnewlines count", 11, "tabs\tand…"),
            ("tabs\tand\nnewlines count", 12, "tabs\tand\nne…"),
        ];
        for (text, max, expected) in cases {
            assert_eq!(truncate(text, *max), *expected, "{text:?} to {max}");
        }
    }

    #[test]
    fn truncate_never_splits_a_character_from_its_marks() {
        let cases: &[(&str, usize, &str)] = &[
            // "e" + combining acute at the cut: drop both, not just the accent.
            ("cafe\u{301}s", 5, "caf…"),
            ("cafe\u{301}", 5, "cafe\u{301}"),
            ("ab👍🏽cd", 4, "ab…"),
            ("ab👨\u{200D}👩\u{200D}👧cd", 5, "ab…"),
            ("ab🇺🇸🇫🇷cd", 5, "ab🇺🇸…"),
            ("ab🇺🇸🇫🇷cd", 4, "ab…"),
            ("❤\u{FE0F}❤\u{FE0F}xx", 4, "❤\u{FE0F}…"),
        ];
        for (text, max, expected) in cases {
            assert_eq!(truncate(text, *max), *expected, "{text:?} to {max}");
        }
    }

    #[test]
    fn the_limits_match_slack() {
        assert_eq!(MARKDOWN_BLOCK_MAX, 12_000);
        assert_eq!(SECTION_TEXT_MAX, 3_000);
        assert_eq!(HEADER_TEXT_MAX, 150);
        assert_eq!(BUTTON_TEXT_MAX, 75);
        assert_eq!(BUTTON_VALUE_MAX, 2_000);
        assert_eq!(CONTEXT_ELEMENTS_MAX, 10);
        assert_eq!(BLOCKS_PER_MESSAGE_MAX, 50);
        assert_eq!(FALLBACK_TEXT_MAX, 40_000);
        assert_eq!(CONFIRM_TEXT_MAX, 300);
        assert_eq!(CONFIRM_TITLE_MAX, 100);
    }

    #[test]
    fn split_gives_nothing_for_nothing() {
        assert!(split_text("", 100).is_empty());
        assert!(split_text(" \n\n\t ", 100).is_empty());
        assert!(split_text("text", 0).is_empty());
    }

    #[test]
    fn split_keeps_short_text_whole_but_trimmed() {
        assert_eq!(split_text("  hello world \n", 100), ["hello world"]);
        assert_eq!(split_text("exactly", 7), ["exactly"]);
    }

    #[test]
    fn split_prefers_paragraphs_then_lines_then_sentences_then_spaces() {
        let cases: &[(&str, usize, &[&str])] = &[
            (
                "First paragraph here.\n\nSecond one. Still second\nline two",
                40,
                &[
                    "First paragraph here.",
                    "Second one. Still second\nline two",
                ],
            ),
            (
                "Line one is here\nline two is here too and long",
                30,
                &["Line one is here", "line two is here too and long"],
            ),
            (
                "One sentence here. Another sentence that runs on",
                30,
                &["One sentence here.", "Another sentence that runs on"],
            ),
            (
                "words words words words words words",
                20,
                &["words words words", "words words words"],
            ),
            (
                "abcdefghijklmnopqrstuvwxyz",
                10,
                &["abcdefghij", "klmnopqrst", "uvwxyz"],
            ),
            (
                "これは文です。これも文です。最後",
                10,
                &["これは文です。", "これも文です。最後"],
            ),
        ];
        for (text, max, expected) in cases {
            assert_eq!(split_text(text, *max), *expected, "{text:?} at {max}");
        }
    }

    #[test]
    fn split_avoids_tiny_chunks_when_a_later_boundary_fits() {
        // The paragraph break is in the first tenth; a line break late in the budget wins.
        let text = "Intro.\n\nalpha beta gamma delta\nepsilon zeta eta theta iota kappa";
        assert_eq!(
            split_text(text, 40),
            [
                "Intro.\n\nalpha beta gamma delta",
                "epsilon zeta eta theta iota kappa"
            ]
        );
    }

    #[test]
    fn split_moves_a_code_block_that_fits_to_the_next_chunk() {
        let text =
            "Here is the code:\n\n```rust\nfn main() {\n    println!(\"hi\");\n}\n```\n\nDone.";
        assert_eq!(
            split_text(text, 55),
            [
                "Here is the code:",
                "```rust\nfn main() {\n    println!(\"hi\");\n}\n```\n\nDone."
            ]
        );
    }

    #[test]
    fn split_closes_and_reopens_a_code_block_it_must_cut() {
        let code: String = (1..=12).map(|i| format!("    let x{i} = {i};\n")).collect();
        let text = format!("Intro.\n\n```rust\n{code}```\nAfter.");
        let chunks = split_text(&text, 80);
        assert!(chunks.len() > 2, "{chunks:#?}");
        for (i, chunk) in chunks.iter().enumerate() {
            assert!(chars(chunk) <= 80, "{chunk:?}");
            assert_eq!(
                chunk.matches("```").count() % 2,
                0,
                "unbalanced fence in {chunk:?}"
            );
            if i > 0 && i + 1 < chunks.len() {
                assert!(
                    chunk.starts_with("```rust\n    let"),
                    "indentation kept: {chunk:?}"
                );
            }
        }
        assert!(chunks[0].ends_with("\n```"));
        assert!(chunks.last().is_some_and(|c| c.ends_with("```\nAfter.")));
        let bodies: String = split_chunks(&text, 80)
            .into_iter()
            .map(|c| c.body)
            .collect();
        assert_eq!(non_whitespace(&bodies), non_whitespace(&text));
    }

    #[test]
    fn split_reopens_tilde_fences_and_unclosed_fences() {
        let text = format!("~~~~ text\n{}", "line of text\n".repeat(6));
        let chunks = split_text(&text, 40);
        assert!(chunks.len() > 1);
        assert!(chunks[0].starts_with("~~~~ text\n"));
        for chunk in &chunks[1..] {
            assert!(chunk.starts_with("~~~~text\n"), "{chunk:?}");
        }
        assert!(chunks.iter().all(|c| chars(c) <= 40));
        // The source never closed its fence; only the cut ones get closed.
        assert!(chunks[0].ends_with("\n~~~~"));
        assert!(!chunks.last().is_some_and(|c| c.ends_with("~~~~")));
    }

    #[test]
    fn split_hard_cuts_respect_characters_and_clusters() {
        let text = "😀".repeat(25);
        let chunks = split_text(&text, 10);
        assert_eq!(chunks.len(), 3);
        assert!(chunks.iter().all(|c| chars(c) <= 10));
        assert_eq!(chunks.concat(), text);

        let accented = "e\u{301}".repeat(10);
        let chunks = split_text(&accented, 5);
        assert!(
            chunks.iter().all(|c| !c.starts_with('\u{301}')),
            "{chunks:?}"
        );
        assert_eq!(chunks.concat(), accented);
    }

    #[test]
    fn split_handles_the_longest_fallback_text_with_a_tiny_limit() {
        let sentence = "Lexi read the contract. ";
        let text = format!(
            "```\n{}\n```\n{}",
            sentence.repeat(800),
            sentence.repeat(900)
        );
        let chunks = split_text(&text, 16);
        assert!(chunks.iter().all(|c| chars(c) <= 16));
        let bodies: String = split_chunks(&text, 16)
            .into_iter()
            .map(|c| c.body)
            .collect();
        assert_eq!(non_whitespace(&bodies), non_whitespace(&text));
    }

    #[test]
    fn fences_are_found_like_commonmark() {
        let text = "a\n```rust\ncode\n```\nb\n   ~~~\nx\n~~~~\n````\n```\n````\n``` not`fence\n";
        let fences = find_fences(text);
        let found: Vec<(&str, &str)> = fences
            .iter()
            .map(|f| (&text[f.open_start..f.close_end], f.info.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("```rust\ncode\n```", "rust"),
                ("   ~~~\nx\n~~~~", ""),
                ("````\n```\n````", "")
            ]
        );
    }

    /// Markdown-ish text with fences, paragraphs, sentences and multi-byte characters.
    const MARKDOWNISH: &str = r"([a-z]{1,8}|[ .!?\n]|\n\n|```|```rust\n|~~~|\n```\n|    |e\u{301}|😀|👍🏽|🇺🇸|日本語。){0,120}";

    proptest! {
        #[test]
        fn truncate_never_panics_and_respects_the_limit(text in any::<String>(), max in 0usize..64) {
            let cut = truncate(&text, max);
            prop_assert!(chars(&cut) <= max);
            if chars(&text) <= max {
                prop_assert_eq!(cut.as_ref(), text.as_str());
            } else if max > 0 {
                prop_assert!(cut.ends_with(ELLIPSIS));
            }
        }

        #[test]
        fn truncate_keeps_a_prefix(text in MARKDOWNISH, max in 1usize..80) {
            let cut = truncate(&text, max);
            let kept = cut.strip_suffix(ELLIPSIS).unwrap_or(&cut);
            prop_assert!(text.starts_with(kept));
        }

        #[test]
        fn split_never_panics_on_arbitrary_strings(text in any::<String>(), max in 0usize..64) {
            for chunk in split_text(&text, max) {
                prop_assert!(chars(&chunk) <= max);
            }
        }

        #[test]
        fn split_respects_the_limit_and_loses_nothing(text in MARKDOWNISH, max in 1usize..120) {
            let chunks = split_chunks(&text, max);
            for chunk in &chunks {
                prop_assert!(!chunk.body.trim().is_empty());
            }
            let bodies: String = chunks.iter().map(|c| c.body.as_str()).collect();
            prop_assert_eq!(non_whitespace(&bodies), non_whitespace(&text));
            for chunk in chunks.into_iter().map(Chunk::render) {
                prop_assert!(chars(&chunk) <= max, "{:?} over {}", chunk, max);
                prop_assert_eq!(chunk.trim(), chunk.as_str());
            }
        }

        #[test]
        fn split_of_arbitrary_strings_loses_nothing(text in any::<String>(), max in 16usize..64) {
            let bodies: String = split_chunks(&text, max).into_iter().map(|c| c.body).collect();
            prop_assert_eq!(non_whitespace(&bodies), non_whitespace(&text));
        }

        #[test]
        fn split_chunks_are_balanced_when_fences_are(
            blocks in proptest::collection::vec("(```py\n([a-z ]{1,20}\n){1,6}```|[a-z .]{1,60})", 1..8),
            max in 40usize..120,
        ) {
            let text = blocks.join("\n\n");
            for chunk in split_text(&text, max) {
                prop_assert!(chars(&chunk) <= max);
                let fences = chunk.lines().filter(|l| l.starts_with("```")).count();
                prop_assert_eq!(fences % 2, 0, "unbalanced {:?} in {:?}", chunk, text);
            }
        }
    }
}
