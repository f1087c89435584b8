//! Slack's message markup (mentions, links, escaped entities) turned back into the text the user typed, for Lexi.

/// The plain text a user typed, recovered from Slack's markup.
///
/// Mentions of the bot itself (`bot_user_id`) are removed, since they only address the
/// message to Lexi; other mentions, channels, links and dates become readable text, and
/// `&amp;` `&lt;` `&gt;` are decoded. Anything that is not well-formed markup is kept as
/// literal text.
pub fn to_plain_text(text: &str, bot_user_id: Option<&str>) -> String {
    // An empty id would match the malformed `<@>`; treat it as "no bot known".
    let bot = bot_user_id.filter(|id| !id.is_empty());
    let mut out = String::with_capacity(text.len());
    // Set after a bot mention was dropped: the whitespace around it still has to be
    // collapsed once we see what follows.
    let mut gap: Option<Gap> = None;

    for piece in Pieces::new(text) {
        match piece {
            Piece::Literal(raw) => {
                let mut raw = raw;
                if let Some(mut pending) = gap.take() {
                    let (ws, rest) = split_leading_whitespace(raw);
                    pending.absorb(ws);
                    if rest.is_empty() {
                        // Only whitespace so far; what follows decides the separator.
                        gap = Some(pending);
                        continue;
                    }
                    raw = rest;
                    if out.is_empty() {
                        // "@Lexi: question" / "@Lexi, question": the punctuation belonged to
                        // the address, not to the question. Not "<@U>:smile:", though.
                        raw = strip_address_punctuation(raw);
                    }
                    pending.write_separator(&mut out);
                }
                push_decoded(&mut out, raw);
            }
            Piece::Token(token) => match render_token(token, bot) {
                Rendered::Remove => {
                    let before = trailing_whitespace(&out);
                    let mut pending = gap.take().unwrap_or_default();
                    pending.absorb(before);
                    out.truncate(out.len() - before.len());
                    gap = Some(pending);
                }
                Rendered::Text(rendered) => {
                    if let Some(pending) = gap.take() {
                        pending.write_separator(&mut out);
                    }
                    out.push_str(&rendered);
                }
            },
        }
    }
    out.trim().to_owned()
}

/// Whether `text` (Slack markup) mentions the user `user_id`, e.g. `<@U123>` or `<@U123|jane>`.
///
/// Escaped text such as `&lt;@U123&gt;` is not a mention, matching what Slack shows.
pub fn mentions(text: &str, user_id: &str) -> bool {
    !user_id.is_empty()
        && Pieces::new(text).any(|piece| match piece {
            Piece::Token(token) => token
                .strip_prefix('@')
                .is_some_and(|rest| split_label(rest).0 == user_id),
            Piece::Literal(_) => false,
        })
}

/// Whitespace left behind by removed bot mentions, collapsed into one separator.
#[derive(Default)]
struct Gap {
    newlines: usize,
    any_whitespace: bool,
}

impl Gap {
    fn absorb(&mut self, ws: &str) {
        // A mention on its own line should not glue two lines together, nor should two
        // newlines on one side and one on the other add a paragraph.
        self.newlines = self.newlines.max(ws.matches('\n').count());
        self.any_whitespace |= !ws.is_empty();
    }

    fn write_separator(&self, out: &mut String) {
        if out.is_empty() {
            return;
        }
        if self.newlines > 0 {
            out.extend(std::iter::repeat_n('\n', self.newlines));
        } else if self.any_whitespace {
            out.push(' ');
        }
    }
}

fn split_leading_whitespace(s: &str) -> (&str, &str) {
    let rest = s.trim_start();
    let ws_len = s.len() - rest.len();
    s.split_at_checked(ws_len).unwrap_or(("", s))
}

fn trailing_whitespace(s: &str) -> &str {
    let kept = s.trim_end().len();
    s.get(kept..).unwrap_or("")
}

fn strip_address_punctuation(s: &str) -> &str {
    let Some(after) = s.strip_prefix([':', ',']) else {
        return s;
    };
    if after.is_empty() || after.starts_with(char::is_whitespace) {
        after.trim_start()
    } else {
        s
    }
}

/// A stretch of Slack message text: literal text (still entity-escaped) or the inside of a `<…>` token.
#[derive(Debug, PartialEq, Eq)]
enum Piece<'a> {
    Literal(&'a str),
    Token(&'a str),
}

struct Pieces<'a> {
    rest: &'a str,
}

impl<'a> Pieces<'a> {
    fn new(text: &'a str) -> Self {
        Self { rest: text }
    }
}

impl<'a> Iterator for Pieces<'a> {
    type Item = Piece<'a>;

    fn next(&mut self) -> Option<Piece<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        if let Some(after) = self.rest.strip_prefix('<') {
            // Slack escapes a typed `<` as `&lt;`, so a raw one always opens a token. A token
            // never spans lines or contains another `<`; if this one does, the `<` is literal.
            if let Some(end) = after.find(['<', '>', '\n']) {
                if let (Some(inner), Some(tail)) = (after.get(..end), after.get(end..)) {
                    if let Some(tail) = tail.strip_prefix('>').filter(|_| !inner.is_empty()) {
                        self.rest = tail;
                        return Some(Piece::Token(inner));
                    }
                }
            }
            let (literal, tail) = self.rest.split_at_checked(1).unwrap_or((self.rest, ""));
            self.rest = tail;
            return Some(Piece::Literal(literal));
        }
        let end = self.rest.find('<').unwrap_or(self.rest.len());
        let (literal, tail) = self.rest.split_at_checked(end).unwrap_or((self.rest, ""));
        self.rest = tail;
        Some(Piece::Literal(literal))
    }
}

enum Rendered {
    Remove,
    Text(String),
}

fn render_token(token: &str, bot: Option<&str>) -> Rendered {
    let rendered = if let Some(user) = token.strip_prefix('@') {
        render_user(user, bot)
    } else if let Some(channel) = token.strip_prefix('#') {
        render_channel(channel)
    } else if let Some(special) = token.strip_prefix('!') {
        render_special(special)
    } else {
        render_link(token)
    };
    match rendered {
        Some(Rendered::Text(text)) => Rendered::Text(text),
        Some(Rendered::Remove) => Rendered::Remove,
        // Not markup Slack would produce: show exactly what arrived.
        None => Rendered::Text(format!("<{}>", decode_entities(token))),
    }
}

fn render_user(user: &str, bot: Option<&str>) -> Option<Rendered> {
    let (id, label) = split_label(user);
    if id.is_empty() {
        return None;
    }
    if bot == Some(id) {
        return Some(Rendered::Remove);
    }
    let name = if label.is_empty() { id } else { label };
    Some(Rendered::Text(with_sigil('@', &decode_entities(name))))
}

fn render_channel(channel: &str) -> Option<Rendered> {
    let (id, label) = split_label(channel);
    if id.is_empty() {
        return None;
    }
    let name = if label.is_empty() { id } else { label };
    Some(Rendered::Text(with_sigil('#', &decode_entities(name))))
}

fn render_special(special: &str) -> Option<Rendered> {
    let (command, label) = split_label(special);
    let (kind, argument) = command.split_once('^').unwrap_or((command, ""));
    let label = decode_entities(label);
    let text = match kind {
        // Older payloads carry a label (`<!here|here>`); the keyword is what was typed.
        "here" | "channel" | "everyone" => format!("@{kind}"),
        "subteam" if !label.is_empty() => with_sigil('@', &label),
        "subteam" if !argument.is_empty() => format!("@{}", decode_entities(argument)),
        // Dates render per viewer; the fallback is the one rendering every reader shares.
        _ if !label.is_empty() => label,
        _ => return None,
    };
    Some(Rendered::Text(text))
}

fn render_link(link: &str) -> Option<Rendered> {
    let (url, label) = split_label(link);
    if !has_scheme(url) || url.contains(char::is_whitespace) {
        return None;
    }
    let url = decode_entities(url);
    let label = decode_entities(label.trim());
    let scheme_end = url.find(':').unwrap_or(0);
    let scheme = url.get(..scheme_end).unwrap_or("").to_ascii_lowercase();
    let after_scheme = url.get(scheme_end + 1..).unwrap_or("");

    let text = if scheme == "mailto" || scheme == "tel" {
        // The address or number is what the user typed; the scheme is Slack's addition.
        if label.is_empty() {
            after_scheme.to_owned()
        } else {
            label
        }
    } else if label.is_empty() || same_link(&label, &url) {
        url
    } else {
        format!("{label} ({url})")
    };
    Some(Rendered::Text(text))
}

/// `label` is just the URL again (Slack writes `<https://acme.law|acme.law>` for a typed `acme.law`).
fn same_link(label: &str, url: &str) -> bool {
    let normalize = |s: &str| {
        let s = s.trim_end_matches('/');
        let s = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .unwrap_or(s);
        s.to_lowercase()
    };
    normalize(label) == normalize(url)
}

fn has_scheme(url: &str) -> bool {
    url.split_once(':').is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

fn split_label(token: &str) -> (&str, &str) {
    token.split_once('|').unwrap_or((token, ""))
}

fn with_sigil(sigil: char, name: &str) -> String {
    if name.starts_with(sigil) {
        name.to_owned()
    } else {
        format!("{sigil}{name}")
    }
}

fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_decoded(&mut out, text);
    out
}

/// Decodes the three entities Slack uses, in one pass so `&amp;lt;` stays the text `&lt;`.
fn push_decoded(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        let (before, from_amp) = rest.split_at_checked(at).unwrap_or((rest, ""));
        out.push_str(before);
        let entity = [("&amp;", '&'), ("&lt;", '<'), ("&gt;", '>')]
            .into_iter()
            .find(|(name, _)| from_amp.starts_with(name));
        match entity {
            Some((name, ch)) => {
                out.push(ch);
                rest = from_amp.get(name.len()..).unwrap_or("");
            }
            None => {
                out.push('&');
                rest = from_amp.get(1..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BOT: Option<&str> = Some("UBOT");

    #[track_caller]
    fn check(cases: &[(&str, &str)]) {
        for (input, expected) in cases {
            assert_eq!(to_plain_text(input, BOT), *expected, "input: {input:?}");
        }
    }

    #[test]
    fn mentions_of_the_bot_are_removed_and_their_whitespace_collapsed() {
        check(&[
            (
                "<@UBOT> is it everything a river should be?",
                "is it everything a river should be?",
            ),
            ("<@UBOT|lexi> hello", "hello"),
            ("hey <@UBOT> what's up", "hey what's up"),
            ("hey <@UBOT>   what's up", "hey what's up"),
            ("thanks <@UBOT>", "thanks"),
            ("  <@UBOT>  ", ""),
            ("<@UBOT>", ""),
            ("<@UBOT> <@UBOT> twice", "twice"),
            ("a <@UBOT> <@UBOT> b", "a b"),
            ("line one\n<@UBOT> line two", "line one\nline two"),
            ("para\n\n<@UBOT>\nnext", "para\n\nnext"),
            ("a<@UBOT>b", "ab"),
            ("<@UBOT> <@U2|jane> please", "@jane please"),
            ("ask <@UBOT> <@U2>", "ask @U2"),
        ]);
    }

    #[test]
    fn punctuation_that_addressed_the_bot_goes_with_the_mention() {
        check(&[
            ("<@UBOT>: summarize this", "summarize this"),
            ("<@UBOT>, summarize this", "summarize this"),
            ("<@UBOT> : spaced out", "spaced out"),
            ("<@UBOT>:wave: hi", ":wave: hi"),
            ("hi <@UBOT>: there", "hi : there"),
        ]);
    }

    #[test]
    fn without_a_known_bot_every_mention_is_kept() {
        assert_eq!(to_plain_text("<@UBOT> hi", None), "@UBOT hi");
        assert_eq!(to_plain_text("<@UBOT> hi", Some("")), "@UBOT hi");
        assert_eq!(to_plain_text("<@> hi", Some("")), "<@> hi");
    }

    #[test]
    fn other_users_become_at_names() {
        check(&[
            ("ping <@U123|jane>", "ping @jane"),
            ("ping <@U123>", "ping @U123"),
            ("ping <@W123>", "ping @W123"),
            ("ping <@W123|jane.doe>", "ping @jane.doe"),
            ("ping <@U123|@jane>", "ping @jane"),
            ("ping <@U123|>", "ping @U123"),
            ("<@>", "<@>"),
        ]);
    }

    #[test]
    fn channels_become_hash_names() {
        check(&[
            ("see <#C123|general>", "see #general"),
            ("see <#C123|>", "see #C123"),
            ("see <#C123>", "see #C123"),
            ("<#>", "<#>"),
        ]);
    }

    #[test]
    fn special_mentions_become_what_was_typed() {
        check(&[
            ("<!here> standup", "@here standup"),
            ("<!here|here> standup", "@here standup"),
            ("<!channel>", "@channel"),
            ("<!everyone>", "@everyone"),
            ("<!subteam^S123|@sales> look", "@sales look"),
            ("<!subteam^S123|sales>", "@sales"),
            ("<!subteam^S123>", "@S123"),
            (
                "due <!date^1392734382^{date}|Feb 18, 2014>",
                "due Feb 18, 2014",
            ),
            (
                "<!date^1392734382^{date_short} at {time}^https://x.com|Feb 18, 2014 at 6:39 AM>",
                "Feb 18, 2014 at 6:39 AM",
            ),
            ("<!date^1392734382^{date}>", "<!date^1392734382^{date}>"),
            ("<!unknown>", "<!unknown>"),
            ("<!>", "<!>"),
        ]);
    }

    #[test]
    fn links_show_label_and_url() {
        check(&[
            ("<http://x.com|label>", "label (http://x.com)"),
            (
                "<https://acme.law/a?b=1&amp;c=2|the docs>",
                "the docs (https://acme.law/a?b=1&c=2)",
            ),
            ("<http://x.com>", "http://x.com"),
            ("<http://x.com|http://x.com>", "http://x.com"),
            ("<http://x.com|x.com>", "http://x.com"),
            ("<https://x.com/|X.com>", "https://x.com/"),
            ("<http://x.com|>", "http://x.com"),
            ("<mailto:jane@acme.law|jane@acme.law>", "jane@acme.law"),
            ("<mailto:jane@acme.law>", "jane@acme.law"),
            ("<mailto:jane@acme.law|Jane>", "Jane"),
            ("<tel:+1555|+1 555>", "+1 555"),
            ("<tel:+1555>", "+1555"),
            ("<slack://open|Open Slack>", "Open Slack (slack://open)"),
            (
                "<https://x.com|a &lt;b&gt; &amp; c>",
                "a <b> & c (https://x.com)",
            ),
            ("<https://x.com|a|b>", "a|b (https://x.com)"),
        ]);
    }

    #[test]
    fn entities_are_decoded_once_after_tokens() {
        check(&[
            ("a &amp; b", "a & b"),
            ("&lt;@U1&gt;", "<@U1>"),
            ("&lt;@UBOT&gt; stays", "<@UBOT> stays"),
            ("&amp;lt;", "&lt;"),
            ("5 &gt; 3 &lt; 4", "5 > 3 < 4"),
            ("AT&T &copy; &amp", "AT&T &copy; &amp"),
            ("&", "&"),
            ("trailing &am", "trailing &am"),
        ]);
    }

    #[test]
    fn odd_input_is_kept_as_literal_text() {
        check(&[
            ("a < b", "a < b"),
            ("a <", "a <"),
            ("<", "<"),
            ("<>", "<>"),
            ("x > y", "x > y"),
            ("<not a link>", "<not a link>"),
            ("<<@U1|jane>>", "<@jane>"),
            ("<a\n<@U1>", "<a\n@U1"),
            ("<http://x.com\n|label>", "<http://x.com\n|label>"),
            ("<@U1|jane", "<@U1|jane"),
            ("<foo>", "<foo>"),
            ("<1http://x>", "<1http://x>"),
        ]);
    }

    #[test]
    fn non_ascii_text_passes_through() {
        check(&[
            ("<@UBOT> 契約書を要約して 📄", "契約書を要約して 📄"),
            ("café <@U1|zoë> ✅", "café @zoë ✅"),
            ("<https://x.com|日本語>", "日本語 (https://x.com)"),
            ("e\u{301} <@UBOT>", "e\u{301}"),
        ]);
    }

    #[test]
    fn mentions_finds_real_mentions_only() {
        assert!(mentions("hi <@UBOT>", "UBOT"));
        assert!(mentions("hi <@UBOT|lexi>", "UBOT"));
        assert!(!mentions("hi &lt;@UBOT&gt;", "UBOT"));
        assert!(!mentions("hi <@UBOTX>", "UBOT"));
        assert!(!mentions("hi <#UBOT>", "UBOT"));
        assert!(!mentions("<@>", ""));
    }

    #[test]
    fn the_tokenizer_keeps_every_byte() {
        for text in ["a<b", "<@U1>x<", "<<>>", "<\n>", "&lt;<#C|g>"] {
            let rebuilt: String = Pieces::new(text)
                .map(|p| match p {
                    Piece::Literal(s) => s.to_owned(),
                    Piece::Token(t) => format!("<{t}>"),
                })
                .collect();
            assert_eq!(rebuilt, text);
        }
    }

    proptest! {
        #[test]
        fn to_plain_text_never_panics(text in any::<String>(), bot in proptest::option::of("[A-Z0-9]{0,4}")) {
            let _ = to_plain_text(&text, bot.as_deref());
            let _ = mentions(&text, bot.as_deref().unwrap_or(""));
        }

        #[test]
        fn to_plain_text_never_panics_on_markup_like_input(text in r"[<>@#!^|&;a-zA-Z0-9:/. \n\u{e9}\u{301}\u{1F600}]{0,60}") {
            let plain = to_plain_text(&text, Some("UB"));
            prop_assert_eq!(plain.trim(), plain.as_str());
        }

        #[test]
        fn text_without_markup_only_loses_outer_whitespace(text in "[a-zA-Z0-9 .,?!\u{e9}\u{4e00}\n]{0,60}") {
            prop_assert_eq!(to_plain_text(&text, BOT), text.trim());
        }

        #[test]
        fn escaped_text_round_trips(text in r"[<>&@#!|a-z \u{1F600}]{0,40}") {
            let escaped = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
            prop_assert_eq!(to_plain_text(&escaped, BOT), text.trim());
        }
    }
}
