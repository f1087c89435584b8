//! Lexi's Markdown answers rendered as Slack mrkdwn (or as plain text) for places a `markdown` block can't go.

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};

/// Escapes the three characters Slack reserves in mrkdwn (`&`, `<`, `>`), and nothing else.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_escaped(&mut out, text);
    out
}

/// Lexi's Markdown as Slack mrkdwn, for section blocks, ephemeral responses and fallbacks.
///
/// All text is escaped, so the result never contains a `<`, `>` or `&` that Slack would read
/// as markup other than the links, quotes and entities written here on purpose.
pub fn markdown_to_mrkdwn(markdown: &str) -> String {
    Renderer::new(Mode::Mrkdwn).render(markdown)
}

/// Lexi's Markdown as plain text without any markup: bullets stay `•`, links become `label (url)`.
///
/// Meant for `plain_text` objects and notification text. The result is *not* escaped; pass
/// it through [`escape`] before putting it where Slack parses mrkdwn (such as a message's
/// top-level `text`), or a literal `<!channel>` in an answer would notify the channel.
pub fn markdown_to_plain(markdown: &str) -> String {
    Renderer::new(Mode::Plain).render(markdown)
}

fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

/// Slack has no way to escape `|` inside `<url|label>`; this look-alike keeps the label intact.
const LABEL_PIPE: char = '\u{2223}';
/// Lets Slack see a style marker next to a letter (`foo*bar*`), which it otherwise ignores.
const ZERO_WIDTH_SPACE: char = '\u{200B}';
const RULE: &str = "───";
const LIST_INDENT: &str = "    ";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Mrkdwn,
    Plain,
}

/// How the next block must be separated from what was written before it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Separation {
    None,
    Line,
    Blank,
}

enum Container {
    Quote,
    Item {
        marker: String,
        marker_written: bool,
    },
}

/// An inline style in effect. Markers are written lazily, just before the first text inside,
/// so empty spans leave nothing behind and a line break can close and later reopen them.
struct Style {
    /// Empty when the same style is already in effect further out (Slack can't nest `*a *b**`).
    marker: &'static str,
    open: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum LinkKind {
    Link,
    Autolink,
    Email,
    Image,
}

/// A link or image being read: its label arrives as events before its end.
struct PendingLink {
    kind: LinkKind,
    url: String,
    label: String,
    /// Links and images nested inside this one; their text joins this label.
    nested: usize,
}

struct Renderer {
    mode: Mode,
    out: String,
    containers: Vec<Container>,
    /// One entry per open list: the next number of an ordered list, `None` for bullets.
    lists: Vec<Option<u64>>,
    styles: Vec<Style>,
    separation: Separation,
    /// How many containers the blank line of a pending separation belongs to: the ones
    /// that enclose both the previous block and the next one.
    separation_depth: usize,
    /// Length of `out` right after a closing style marker was written.
    closed_style_at: Option<usize>,
    link: Option<PendingLink>,
    in_code_block: bool,
    in_html_block: bool,
    in_table_head: bool,
    table_cell: usize,
}

impl Renderer {
    fn new(mode: Mode) -> Self {
        Self {
            mode,
            out: String::new(),
            containers: Vec::new(),
            lists: Vec::new(),
            styles: Vec::new(),
            separation: Separation::None,
            separation_depth: 0,
            closed_style_at: None,
            link: None,
            in_code_block: false,
            in_html_block: false,
            in_table_head: false,
            table_cell: 0,
        }
    }

    fn render(mut self, markdown: &str) -> String {
        let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
        for event in Parser::new_ext(markdown, options) {
            self.event(event);
        }
        self.out.trim().to_owned()
    }

    fn mrkdwn(&self) -> bool {
        self.mode == Mode::Mrkdwn
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => {
                if let Some(link) = &mut self.link {
                    link.label.push_str(&text);
                } else if self.in_code_block || self.in_html_block {
                    self.write_verbatim(&text);
                } else {
                    self.write_text(&text);
                }
            }
            Event::Code(code) => {
                if let Some(link) = &mut self.link {
                    link.label.push_str(&code);
                } else if self.mrkdwn() {
                    // Slack can't escape a backtick inside inline code; a look-alike keeps the span whole.
                    let mut span = String::from("`");
                    push_escaped(&mut span, &code.replace('`', "\u{2035}"));
                    span.push('`');
                    self.write_styled(&span);
                } else {
                    self.write_styled(&code);
                }
            }
            Event::Html(html) | Event::InlineHtml(html) => {
                if let Some(link) = &mut self.link {
                    link.label.push_str(&html);
                } else if self.in_html_block {
                    self.write_verbatim(&html);
                } else {
                    self.write_text(&html);
                }
            }
            Event::InlineMath(math) | Event::DisplayMath(math) => self.write_text(&math),
            Event::FootnoteReference(name) => self.write_text(&format!("[{name}]")),
            Event::SoftBreak | Event::HardBreak => {
                if let Some(link) = &mut self.link {
                    link.label.push(' ');
                } else {
                    self.line_break();
                }
            }
            Event::Rule => {
                self.request(Separation::Blank);
                self.write_raw(RULE);
            }
            Event::TaskListMarker(done) => self.write_styled(if done { "[x] " } else { "[ ] " }),
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph => self.request(Separation::Blank),
            Tag::Heading { .. } => {
                // Slack has no headings; a bold line of its own reads as one.
                self.request(Separation::Blank);
                self.push_style("*");
            }
            Tag::BlockQuote(_) => {
                self.request(Separation::Blank);
                self.containers.push(Container::Quote);
            }
            Tag::CodeBlock(_) => {
                self.request(Separation::Blank);
                if self.mrkdwn() {
                    self.write_raw("```");
                    self.out.push('\n');
                }
                self.in_code_block = true;
            }
            Tag::HtmlBlock => {
                self.request(Separation::Blank);
                self.in_html_block = true;
            }
            Tag::List(start) => {
                let nested = self
                    .containers
                    .iter()
                    .any(|c| matches!(c, Container::Item { .. }));
                self.request(if nested {
                    Separation::Line
                } else {
                    Separation::Blank
                });
                self.lists.push(start);
            }
            Tag::Item => {
                self.request(Separation::Line);
                let marker = match self.lists.last_mut() {
                    Some(Some(number)) => {
                        let marker = format!("{number}. ");
                        *number = number.saturating_add(1);
                        marker
                    }
                    _ => "• ".to_owned(),
                };
                self.containers.push(Container::Item {
                    marker,
                    marker_written: false,
                });
            }
            Tag::Table(_) => self.request(Separation::Blank),
            Tag::TableHead => {
                self.in_table_head = true;
                self.table_cell = 0;
                self.request(Separation::Line);
            }
            Tag::TableRow => {
                self.table_cell = 0;
                self.request(Separation::Line);
            }
            Tag::TableCell => {
                if self.table_cell > 0 {
                    self.write_raw(" | ");
                }
                self.table_cell += 1;
                if self.in_table_head {
                    self.push_style("*");
                }
            }
            Tag::Emphasis => self.push_style("_"),
            Tag::Strong => self.push_style("*"),
            Tag::Strikethrough => self.push_style("~"),
            Tag::Superscript | Tag::Subscript => self.push_style(""),
            Tag::Link {
                link_type,
                dest_url,
                ..
            } => {
                let kind = match link_type {
                    LinkType::Autolink => LinkKind::Autolink,
                    LinkType::Email => LinkKind::Email,
                    _ => LinkKind::Link,
                };
                self.start_link(kind, &dest_url);
            }
            Tag::Image { dest_url, .. } => self.start_link(LinkKind::Image, &dest_url),
            Tag::FootnoteDefinition(_)
            | Tag::DefinitionList
            | Tag::DefinitionListTitle
            | Tag::DefinitionListDefinition
            | Tag::MetadataBlock(_) => self.request(Separation::Blank),
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Heading(_) => self.pop_style(),
            TagEnd::BlockQuote(_) | TagEnd::Item => self.pop_container(),
            TagEnd::CodeBlock => {
                self.in_code_block = false;
                if self.mrkdwn() {
                    if !self.at_line_start() {
                        self.out.push('\n');
                    }
                    self.write_raw("```");
                }
            }
            TagEnd::HtmlBlock => self.in_html_block = false,
            TagEnd::List(_) => {
                self.lists.pop();
            }
            TagEnd::TableHead => self.in_table_head = false,
            TagEnd::TableCell => {
                if self.in_table_head {
                    self.pop_style();
                }
            }
            TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript => self.pop_style(),
            TagEnd::Link | TagEnd::Image => self.end_link(),
            TagEnd::Paragraph
            | TagEnd::Table
            | TagEnd::TableRow
            | TagEnd::FootnoteDefinition
            | TagEnd::DefinitionList
            | TagEnd::DefinitionListTitle
            | TagEnd::DefinitionListDefinition
            | TagEnd::MetadataBlock(_) => {}
        }
    }

    fn start_link(&mut self, kind: LinkKind, url: &str) {
        match &mut self.link {
            // An image inside a link: its alt text is part of the link's label.
            Some(outer) => outer.nested += 1,
            None => {
                self.link = Some(PendingLink {
                    kind,
                    url: url.to_owned(),
                    label: String::new(),
                    nested: 0,
                });
            }
        }
    }

    fn end_link(&mut self) {
        if let Some(link) = &mut self.link {
            if link.nested > 0 {
                link.nested -= 1;
                return;
            }
        }
        let Some(link) = self.link.take() else {
            return;
        };
        // Labels live on one line inside `<…>`.
        let label = link.label.split_whitespace().collect::<Vec<_>>().join(" ");
        let url = link.url.trim();
        let text = match self.mode {
            Mode::Mrkdwn => mrkdwn_link(link.kind, url, &label),
            Mode::Plain => plain_link(link.kind, url, &label),
        };
        self.write_styled(&text);
    }

    // ---- writing ----

    fn at_line_start(&self) -> bool {
        self.out.is_empty() || self.out.ends_with('\n')
    }

    fn request(&mut self, separation: Separation) {
        if self.separation == Separation::None {
            self.separation_depth = self.containers.len();
        } else {
            self.separation_depth = self.separation_depth.min(self.containers.len());
        }
        self.separation = self.separation.max(separation);
    }

    fn pop_container(&mut self) {
        self.containers.pop();
        self.separation_depth = self.separation_depth.min(self.containers.len());
    }

    fn flush_separation(&mut self) {
        let separation = std::mem::replace(&mut self.separation, Separation::None);
        if self.out.is_empty() || separation == Separation::None {
            return;
        }
        if !self.at_line_start() {
            self.out.push('\n');
        }
        if separation == Separation::Blank {
            let prefix = self.blank_line_prefix(self.separation_depth);
            self.out.push_str(prefix);
            self.out.push('\n');
        }
    }

    /// What a line starts with inside the current containers; writes pending list markers.
    fn take_line_prefix(&mut self) -> String {
        let mut prefix = String::new();
        // Slack only knows one level of quote, and only at the very start of a line.
        if self.mrkdwn()
            && self
                .containers
                .iter()
                .any(|c| matches!(c, Container::Quote))
        {
            prefix.push_str("> ");
        }
        for container in &mut self.containers {
            if let Container::Item {
                marker,
                marker_written,
            } = container
            {
                if *marker_written {
                    prefix.push_str(LIST_INDENT);
                } else {
                    prefix.push_str(marker);
                    *marker_written = true;
                }
            }
        }
        prefix
    }

    fn blank_line_prefix(&self, depth: usize) -> &'static str {
        let enclosing = self.containers.get(..depth).unwrap_or(&self.containers);
        if self.mrkdwn() && enclosing.iter().any(|c| matches!(c, Container::Quote)) {
            ">"
        } else {
            ""
        }
    }

    fn begin_content(&mut self) {
        self.flush_separation();
        if self.at_line_start() {
            let prefix = self.take_line_prefix();
            self.out.push_str(&prefix);
        }
    }

    /// Writes markup of our own (fences, rules, cell separators) outside any style.
    fn write_raw(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        self.begin_content();
        self.out.push_str(text);
    }

    /// Writes already-escaped inline content inside the styles in effect.
    fn write_styled(&mut self, text: &str) {
        let Some(first) = text.chars().next() else {
            return;
        };
        self.begin_content();
        let after_closer = self.closed_style_at == Some(self.out.len());
        let opening: Vec<&'static str> = self
            .styles
            .iter()
            .filter(|style| !style.open && !style.marker.is_empty())
            .map(|style| style.marker)
            .collect();
        let after_letter = self
            .out
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric);
        let needs_boundary = if opening.is_empty() {
            after_closer && first.is_alphanumeric()
        } else {
            after_closer || after_letter
        };
        if needs_boundary {
            self.out.push(ZERO_WIDTH_SPACE);
        }
        for marker in opening {
            self.out.push_str(marker);
        }
        for style in &mut self.styles {
            style.open = true;
        }
        self.out.push_str(text);
    }

    /// Writes Markdown text: escaped for mrkdwn, broken into lines where it has newlines.
    fn write_text(&mut self, text: &str) {
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                self.line_break();
            }
            match self.mode {
                Mode::Mrkdwn => self.write_styled(&escape(line)),
                Mode::Plain => self.write_styled(line),
            }
        }
    }

    /// Writes code or HTML as it is, line by line inside the current containers.
    fn write_verbatim(&mut self, text: &str) {
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                if self.at_line_start() && !self.out.is_empty() {
                    let prefix = self.blank_line_prefix(self.containers.len());
                    self.out.push_str(prefix);
                }
                self.out.push('\n');
            }
            let line = line.strip_suffix('\r').unwrap_or(line);
            match self.mode {
                Mode::Mrkdwn => self.write_raw(&escape(line)),
                Mode::Plain => self.write_raw(line),
            }
        }
    }

    fn line_break(&mut self) {
        // Slack styles don't span lines: close them here, they reopen before the next text.
        for style in self.styles.iter_mut().rev() {
            if style.open {
                self.out.push_str(style.marker);
                style.open = false;
            }
        }
        if !self.out.is_empty() {
            self.out.push('\n');
        }
    }

    fn push_style(&mut self, marker: &'static str) {
        let marker = if self.mode == Mode::Plain || self.styles.iter().any(|s| s.marker == marker) {
            ""
        } else {
            marker
        };
        self.styles.push(Style {
            marker,
            open: false,
        });
    }

    fn pop_style(&mut self) {
        if let Some(style) = self.styles.pop() {
            if style.open && !style.marker.is_empty() {
                self.out.push_str(style.marker);
                self.closed_style_at = Some(self.out.len());
            }
        }
    }
}

fn mrkdwn_link(kind: LinkKind, url: &str, label: &str) -> String {
    if url.is_empty() {
        return escape(label);
    }
    let mut target = String::new();
    if kind == LinkKind::Email && !url.to_ascii_lowercase().starts_with("mailto:") {
        target.push_str("mailto:");
    }
    push_link_url(&mut target, url);
    let shows_url = label.is_empty() || label == url;
    if kind == LinkKind::Autolink || (kind != LinkKind::Email && shows_url) {
        return format!("<{target}>");
    }
    let label = if label.is_empty() { url } else { label };
    let mut out = format!("<{target}|");
    for c in label.chars() {
        match c {
            '|' => out.push(LABEL_PIPE),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out.push('>');
    out
}

/// A URL made safe inside `<…|…>`: characters that would end it are percent-encoded.
fn push_link_url(out: &mut String, url: &str) {
    for c in url.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '|' => out.push_str("%7C"),
            c if c.is_whitespace() || c.is_control() => {
                let mut bytes = [0; 4];
                for byte in c.encode_utf8(&mut bytes).bytes() {
                    out.push_str(&format!("%{byte:02X}"));
                }
            }
            c => out.push(c),
        }
    }
}

fn plain_link(kind: LinkKind, url: &str, label: &str) -> String {
    match kind {
        _ if url.is_empty() => label.to_owned(),
        LinkKind::Autolink => url.to_owned(),
        LinkKind::Email => {
            if label.is_empty() {
                url.trim_start_matches("mailto:").to_owned()
            } else {
                label.to_owned()
            }
        }
        LinkKind::Link | LinkKind::Image => {
            if label.is_empty() || label == url {
                url.to_owned()
            } else {
                format!("{label} ({url})")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[track_caller]
    fn check(cases: &[(&str, &str)]) {
        for (markdown, expected) in cases {
            assert_eq!(
                markdown_to_mrkdwn(markdown),
                *expected,
                "markdown: {markdown:?}"
            );
        }
    }

    #[track_caller]
    fn check_plain(cases: &[(&str, &str)]) {
        for (markdown, expected) in cases {
            assert_eq!(
                markdown_to_plain(markdown),
                *expected,
                "markdown: {markdown:?}"
            );
        }
    }

    /// The checker the fuzz target uses too, so both hold the output to one standard.
    use crate::fuzzing::well_formed_mrkdwn as assert_safe_mrkdwn;

    #[test]
    fn escape_touches_only_the_three_reserved_characters() {
        assert_eq!(escape("a & b < c > d"), "a &amp; b &lt; c &gt; d");
        assert_eq!(escape("&amp;"), "&amp;amp;");
        assert_eq!(escape("*_~`|"), "*_~`|");
        assert_eq!(escape("日本 😀"), "日本 😀");
    }

    #[test]
    fn emphasis_becomes_slack_markers() {
        check(&[
            ("**bold**", "*bold*"),
            ("__bold__", "*bold*"),
            ("*italic*", "_italic_"),
            ("_italic_", "_italic_"),
            ("~~gone~~", "~gone~"),
            ("***both***", "_*both*_"),
            ("*italic **bold** italic*", "_italic *bold* italic_"),
            ("**bold *italic* bold**", "*bold _italic_ bold*"),
            ("**a **b** c**", "*a b c*"),
            ("**Note:** read", "*Note:* read"),
            ("a **b** c", "a *b* c"),
        ]);
    }

    #[test]
    fn styles_next_to_letters_get_a_zero_width_space() {
        check(&[
            ("foo**bar**baz", "foo\u{200B}*bar*\u{200B}baz"),
            ("これは**重要**です", "これは\u{200B}*重要*\u{200B}です"),
            ("*a*_b_", "_a_\u{200B}_b_"),
            ("# x**a**b", "*xab*"),
            ("**a**, *b*: ~~c~~", "*a*, _b_: ~c~"),
        ]);
    }

    #[test]
    fn styles_do_not_span_lines() {
        check(&[
            ("**one\ntwo**", "*one*\n*two*"),
            ("*a  \nb*", "_a_\n_b_"),
            ("**one\\\ntwo**", "*one*\n*two*"),
        ]);
    }

    #[test]
    fn headings_become_bold_lines() {
        check(&[
            ("# Title", "*Title*"),
            ("## Sub **bold** title\ntext", "*Sub bold title*\n\ntext"),
            ("Title\n=====\n\nbody", "*Title*\n\nbody"),
            ("###### Six", "*Six*"),
            ("#", ""),
        ]);
        check_plain(&[("# Title\nbody", "Title\n\nbody")]);
    }

    #[test]
    fn links_become_angle_bracket_links() {
        check(&[
            (
                "[LeadLex](https://leadlex.com)",
                "<https://leadlex.com|LeadLex>",
            ),
            ("[a|b](https://x.com)", "<https://x.com|a\u{2223}b>"),
            (
                "[a > b & c](https://x.com)",
                "<https://x.com|a &gt; b &amp; c>",
            ),
            (
                "[**bold** label](https://x.com)",
                "<https://x.com|bold label>",
            ),
            ("[`code`](https://x.com)", "<https://x.com|code>"),
            ("<https://x.com>", "<https://x.com>"),
            ("<jane@acme.law>", "<mailto:jane@acme.law|jane@acme.law>"),
            ("[https://x.com](https://x.com)", "<https://x.com>"),
            ("[](https://x.com)", "<https://x.com>"),
            ("[text]()", "text"),
            (
                "[q](https://x.com/?a=1&b=2)",
                "<https://x.com/?a=1&amp;b=2|q>",
            ),
            ("[q](<https://x.com/a b>)", "<https://x.com/a%20b|q>"),
            ("[q](https://x.com/a|b)", "<https://x.com/a%7Cb|q>"),
            (
                "**[bold link](https://x.com)**",
                "*<https://x.com|bold link>*",
            ),
            ("[ref][1]\n\n[1]: https://x.com", "<https://x.com|ref>"),
            ("[a\nb](https://x.com)", "<https://x.com|a b>"),
            (
                "[![logo](https://x.com/l.png)](https://x.com)",
                "<https://x.com|logo>",
            ),
        ]);
    }

    #[test]
    fn images_become_links_to_the_image() {
        check(&[
            (
                "![chart](https://x.com/c.png)",
                "<https://x.com/c.png|chart>",
            ),
            ("![](https://x.com/c.png)", "<https://x.com/c.png>"),
        ]);
    }

    #[test]
    fn code_stays_verbatim_but_escaped() {
        check(&[
            ("use `a < b`", "use `a &lt; b`"),
            ("`**not bold**`", "`**not bold**`"),
            ("``a`b``", "`a\u{2035}b`"),
            (
                "```rust\nlet x = a && b;\n```",
                "```\nlet x = a &amp;&amp; b;\n```",
            ),
            (
                "```\n  indented\n\n*kept*\n```",
                "```\n  indented\n\n*kept*\n```",
            ),
            (
                "    indented code\n    more",
                "```\nindented code\nmore\n```",
            ),
            ("```\n```", "```\n```"),
            (
                "text\n```\ncode\n```\nafter",
                "text\n\n```\ncode\n```\n\nafter",
            ),
        ]);
        check_plain(&[
            ("use `a < b`", "use a < b"),
            ("```\nlet x = 1;\n```\nafter", "let x = 1;\n\nafter"),
        ]);
    }

    #[test]
    fn lists_become_bullets_and_numbers() {
        check(&[
            ("- one\n- two", "• one\n• two"),
            ("* one\n+ two", "• one\n\n• two"),
            (
                "- one\n  - nested\n    - deeper\n- two",
                "• one\n    • nested\n        • deeper\n• two",
            ),
            ("1. one\n2. two", "1. one\n2. two"),
            ("3. three\n4. four", "3. three\n4. four"),
            ("1. one\n   - sub\n2. two", "1. one\n    • sub\n2. two"),
            ("- one\n\n- two", "• one\n\n• two"),
            ("- para one\n\n  para two", "• para one\n\n    para two"),
            ("- a\nlazy", "• a\n    lazy"),
            ("- - x", "• • x"),
            ("intro\n- a\n- b\n\noutro", "intro\n\n• a\n• b\n\noutro"),
            ("- **bold** item", "• *bold* item"),
            ("-", ""),
        ]);
    }

    #[test]
    fn quotes_prefix_every_line() {
        check(&[
            ("> quoted", "> quoted"),
            ("> one\n> two", "> one\n> two"),
            ("> para one\n>\n> para two", "> para one\n>\n> para two"),
            ("before\n\n> quoted\n\nafter", "before\n\n> quoted\n\nafter"),
            ("> outer\n>> inner", "> outer\n>\n> inner"),
            ("> - a\n> - b", "> • a\n> • b"),
            ("- > in item", "> • in item"),
            ("> ```\n> code\n> ```", "> ```\n> code\n> ```"),
        ]);
        check_plain(&[("> quoted\n\nafter", "quoted\n\nafter")]);
    }

    #[test]
    fn rules_tables_breaks_and_paragraphs() {
        check(&[
            ("a\n\n---\n\nb", "a\n\n───\n\nb"),
            ("a\n\n***", "a\n\n───"),
            (
                "| Plan | Price |\n|---|---|\n| Pro | $10 |\n| Team | $20 |",
                "*Plan* | *Price*\nPro | $10\nTeam | $20",
            ),
            ("| a | b |\n|---|---|\n|  | x |", "*a* | *b*\n | x"),
            ("| **a** |\n|---|\n| 1 |", "*a*\n1"),
            ("one\ntwo", "one\ntwo"),
            ("one  \ntwo", "one\ntwo"),
            ("one\n\n\n\ntwo", "one\n\ntwo"),
            ("  padded  ", "padded"),
            ("", ""),
        ]);
        check_plain(&[(
            "| Plan | Price |\n|---|---|\n| Pro | $10 |",
            "Plan | Price\nPro | $10",
        )]);
    }

    #[test]
    fn text_and_html_are_escaped() {
        check(&[
            ("a & b < c > d", "a &amp; b &lt; c &gt; d"),
            ("AT&amp;T", "AT&amp;T"),
            ("<!channel> hi", "&lt;!channel&gt; hi"),
            ("<@U123>", "&lt;@U123&gt;"),
            ("x <b>bold</b> y", "x &lt;b&gt;bold&lt;/b&gt; y"),
            (
                "<div>\nblock\n</div>\n\nafter",
                "&lt;div&gt;\nblock\n&lt;/div&gt;\n\nafter",
            ),
            ("&copy; 2025", "© 2025"),
        ]);
        check_plain(&[("a & b <!channel>", "a & b <!channel>")]);
    }

    #[test]
    fn plain_text_drops_all_markup() {
        check_plain(&[
            ("**bold** _it_ ~~s~~ `c`", "bold it s c"),
            (
                "[LeadLex](https://leadlex.com)",
                "LeadLex (https://leadlex.com)",
            ),
            ("<https://x.com>", "https://x.com"),
            ("<jane@acme.law>", "jane@acme.law"),
            ("[https://x.com](https://x.com)", "https://x.com"),
            (
                "![chart](https://x.com/c.png)",
                "chart (https://x.com/c.png)",
            ),
            ("- one\n  - two\n1. three", "• one\n    • two\n\n1. three"),
            ("foo**bar**baz", "foobarbaz"),
            ("# x**a**b", "xab"),
            ("a\n\n---\n\nb", "a\n\n───\n\nb"),
        ]);
    }

    #[test]
    fn a_realistic_answer_renders_cleanly() {
        let answer = "## Summary\n\nThe **NDA** with *Acme & Co* expires on **2025-03-01**.\n\n\
                      ### Next steps\n\n1. Review [the draft](https://app.leadlex.com/d/1?x=1&y=2)\n\
                      2. Send to `legal@acme.law`\n\n> Note: clause 4 < clause 5\n\n```text\nterm: 2y\n```";
        let expected = "*Summary*\n\nThe *NDA* with _Acme &amp; Co_ expires on *2025-03-01*.\n\n\
                        *Next steps*\n\n1. Review <https://app.leadlex.com/d/1?x=1&amp;y=2|the draft>\n\
                        2. Send to `legal@acme.law`\n\n> Note: clause 4 &lt; clause 5\n\n```\nterm: 2y\n```";
        assert_eq!(markdown_to_mrkdwn(answer), expected);
        assert_safe_mrkdwn(expected).unwrap();
    }

    #[test]
    fn the_safety_checker_rejects_unsafe_output() {
        assert!(assert_safe_mrkdwn("a & b").is_err());
        assert!(assert_safe_mrkdwn("a < b").is_err());
        assert!(assert_safe_mrkdwn("a > b").is_err());
        assert!(assert_safe_mrkdwn("<a b|c>").is_err());
        assert!(assert_safe_mrkdwn("> quote <https://x|y> &amp;").is_ok());
    }

    /// Markdown-ish text: the characters that drive the parser, plus letters and non-ASCII.
    const MARKDOWNISH: &str = r"([*_~`\[\]()<>&|#\-!=+.:/ \n\t\\0-9a-zA-Z\u{e9}\u{301}\u{4e00}\u{1F600}]|https://x\.co|```|\n\n|    |- |1\. |> |\| ){0,80}";

    proptest! {
        #[test]
        fn rendering_never_panics_on_arbitrary_strings(text in any::<String>()) {
            let out = markdown_to_mrkdwn(&text);
            prop_assert!(assert_safe_mrkdwn(&out).is_ok(), "{:?}", assert_safe_mrkdwn(&out));
            let _ = markdown_to_plain(&text);
        }

        #[test]
        fn mrkdwn_output_is_always_safe(text in MARKDOWNISH) {
            let out = markdown_to_mrkdwn(&text);
            prop_assert!(assert_safe_mrkdwn(&out).is_ok(), "{:?} -> {:?}: {:?}", text, out, assert_safe_mrkdwn(&out));
            prop_assert_eq!(out.trim(), out.as_str());
            let plain = markdown_to_plain(&text);
            prop_assert_eq!(plain.trim(), plain.as_str());
        }

        #[test]
        fn plain_words_survive_unchanged(text in "[a-zA-Z0-9\u{4e00}\u{1F600}]{1,12}( [a-zA-Z0-9]{1,12}){0,8}") {
            prop_assert_eq!(markdown_to_mrkdwn(&text), text.clone());
            prop_assert_eq!(markdown_to_plain(&text), text);
        }
    }
}
