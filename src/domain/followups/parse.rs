//! Reads the text after `/followups` into a command, or says exactly what was wrong with it.
//!
//! The text arrives with Slack's markup already undone (`<mailto:a@b|a@b>` → `a@b`). People type
//! on phones and Macs, so smart quotes count as quotes and a `—` that autocorrect made of `--`
//! still starts an option.

use super::{ContactRef, FollowupChannel, FollowupsCommand, LookbackDays, SuggestionCount};
use crate::domain::ids::ContactId;

/// Longest contact text accepted; longer is a paste gone wrong, not a name.
const CONTACT_MAX_CHARS: usize = 200;
/// How much of the user's own text an error message quotes back.
const SHOWN_MAX_CHARS: usize = 40;

/// What the text asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invocation {
    /// `/followups`, `/followups help`, `--help`: show how to use it.
    Help,
    Run(FollowupsCommand),
}

/// Why the text is not a valid command, in a sentence shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("Tell me which contact: an e-mail, a name or a LeadLex contact id, before any option.")]
    MissingContact,
    #[error("`{0}` isn't an option. The options are `--count`, `--days` and `--channels`.")]
    UnknownOption(String),
    #[error("`{option}` needs a value, like `{option} {example}`.")]
    MissingValue {
        option: &'static str,
        example: &'static str,
    },
    #[error("`--count` takes a whole number from 1 to 10, not `{0}`.")]
    BadCount(String),
    #[error("`--days` takes a whole number from 1 to 365, not `{0}`.")]
    BadDays(String),
    #[error(
        "`{0}` isn't a channel. Use email, call, meeting, linkedin or whatsapp, separated by commas."
    )]
    UnknownChannel(String),
    #[error("`{0}` is given twice; give it once.")]
    RepeatedOption(&'static str),
    #[error("The quote before `{0}` is never closed.")]
    UnclosedQuote(String),
    #[error(
        "I don't know what `{text}` after `{option}` means. The contact goes first, before any option."
    )]
    StrayText { option: &'static str, text: String },
    #[error("`{0}` doesn't look like an e-mail address.")]
    NotAnEmail(String),
    #[error(
        "That's a Slack user. `/followups` needs a LeadLex contact: their e-mail, name or contact id."
    )]
    SlackUser,
    #[error("That contact is {0} characters long; 200 at most.")]
    ContactTooLong(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Option_ {
    Count,
    Days,
    Channels,
    Help,
}

impl Option_ {
    fn named(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "count" | "n" => Some(Option_::Count),
            "days" | "day" | "lookback" | "lookback-days" | "lookback_days" => Some(Option_::Days),
            "channels" | "channel" => Some(Option_::Channels),
            "help" | "h" => Some(Option_::Help),
            _ => None,
        }
    }

    fn flag(self) -> &'static str {
        match self {
            Option_::Count => "--count",
            Option_::Days => "--days",
            Option_::Channels => "--channels",
            Option_::Help => "--help",
        }
    }

    fn example(self) -> &'static str {
        match self {
            Option_::Count => "5",
            Option_::Days => "30",
            Option_::Channels => "email,call",
            Option_::Help => "",
        }
    }
}

/// A word of the text; quoted words keep their spaces and are never options.
#[derive(Debug)]
struct Token {
    text: String,
    quoted: bool,
}

impl Token {
    /// The option name, for `--count`, `—count`, `--count=5` (then with the value).
    fn option(&self) -> Option<(&str, Option<&str>)> {
        if self.quoted {
            return None;
        }
        let rest = self
            .text
            .strip_prefix("--")
            .or_else(|| self.text.strip_prefix('—'))
            .or_else(|| self.text.strip_prefix('–'))?;
        Some(match rest.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (rest, None),
        })
    }
}

/// Reads the text after `/followups` (Slack markup already turned into plain text).
pub fn parse(text: &str) -> Result<Invocation, ParseError> {
    let tokens = tokenize(text)?;
    let is_help = |t: &Token| {
        !t.quoted && matches!(t.text.to_ascii_lowercase().as_str(), "help" | "-h" | "?")
    };
    match tokens.as_slice() {
        [] => return Ok(Invocation::Help),
        [only] if is_help(only) => return Ok(Invocation::Help),
        _ => {}
    }

    // Words before the first option are the contact; words after an option are its values.
    let mut contact_words = Vec::new();
    let mut given: Vec<(&Token, Vec<&str>)> = Vec::new();
    for token in &tokens {
        match (token.option(), given.last_mut()) {
            (Some((_, inline)), _) => {
                given.push((
                    token,
                    inline.filter(|v| !v.is_empty()).into_iter().collect(),
                ));
            }
            (None, Some((_, values))) => values.push(&token.text),
            (None, None) => contact_words.push(token),
        }
    }

    let mut count = None;
    let mut days = None;
    let mut channels = None;
    for (token, values) in given {
        let name = token.option().map_or("", |(name, _)| name);
        let option =
            Option_::named(name).ok_or_else(|| ParseError::UnknownOption(shown(&token.text)))?;
        if option == Option_::Help {
            return Ok(Invocation::Help);
        }
        let repeated = match option {
            Option_::Count => count.is_some(),
            Option_::Days => days.is_some(),
            Option_::Channels => channels.is_some(),
            Option_::Help => false,
        };
        if repeated {
            return Err(ParseError::RepeatedOption(option.flag()));
        }
        let Some((first, rest)) = values.split_first() else {
            return Err(ParseError::MissingValue {
                option: option.flag(),
                example: option.example(),
            });
        };
        if let (Option_::Count | Option_::Days, Some(extra)) = (option, rest.first()) {
            return Err(ParseError::StrayText {
                option: option.flag(),
                text: shown(extra),
            });
        }
        let number = first.trim().parse::<u64>().ok();
        match option {
            Option_::Count => {
                let n = number.and_then(SuggestionCount::new);
                count = Some(n.ok_or_else(|| ParseError::BadCount(shown(first)))?);
            }
            Option_::Days => {
                let n = number.and_then(LookbackDays::new);
                days = Some(n.ok_or_else(|| ParseError::BadDays(shown(first)))?);
            }
            Option_::Channels => channels = Some(parse_channels(&values)?),
            Option_::Help => {}
        }
    }

    Ok(Invocation::Run(FollowupsCommand {
        contact: contact(&contact_words)?,
        count: count.unwrap_or(SuggestionCount::DEFAULT),
        lookback_days: days.unwrap_or(LookbackDays::DEFAULT),
        channels: channels.unwrap_or_default(),
    }))
}

fn parse_channels(values: &[&str]) -> Result<Vec<FollowupChannel>, ParseError> {
    let mut channels = Vec::new();
    for name in values
        .iter()
        .flat_map(|v| v.split([',', ';', '/', ' ']))
        .filter(|n| !n.trim().is_empty())
    {
        let channel = FollowupChannel::from_name(name)
            .ok_or_else(|| ParseError::UnknownChannel(shown(name)))?;
        if !channels.contains(&channel) {
            channels.push(channel);
        }
    }
    if channels.is_empty() {
        return Err(ParseError::MissingValue {
            option: "--channels",
            example: "email,call",
        });
    }
    Ok(channels)
}

/// The words before the first option, as one contact: an id, an e-mail or a name.
fn contact(words: &[&Token]) -> Result<ContactRef, ParseError> {
    let joined = words
        .iter()
        .flat_map(|w| w.text.split_whitespace())
        .collect::<Vec<_>>()
        .join(" ");
    let length = joined.chars().count();
    if length == 0 {
        return Err(ParseError::MissingContact);
    }
    if length > CONTACT_MAX_CHARS {
        return Err(ParseError::ContactTooLong(length));
    }
    if let Ok(id) = ContactId::parse(&joined.to_ascii_lowercase()) {
        return Ok(ContactRef::Id(id));
    }
    if joined.contains('@') {
        return email(&joined).map(ContactRef::Email);
    }
    Ok(ContactRef::Name(joined))
}

/// The e-mail in `text`: `jane@acme.law`, `mailto:jane@acme.law`, `<jane@acme.law>`,
/// `Jane Doe <jane@acme.law>`, or a name followed by the address.
fn email(text: &str) -> Result<String, ParseError> {
    let mut candidates = text
        .split_whitespace()
        .filter(|w| w.contains('@'))
        .map(|mut w| {
            // Until nothing changes, so the address reads the same when read again:
            // `(jane@acme.law).` and `mailto:mailto:jane@acme.law` are both jane@acme.law.
            loop {
                let trimmed = w
                    .trim_start_matches(['<', '('])
                    .trim_end_matches(['>', ')', '.', ',', ';', ':']);
                let trimmed = strip_prefix_ignore_case(trimmed, "mailto:").unwrap_or(trimmed);
                if trimmed.len() == w.len() {
                    return w;
                }
                w = trimmed;
            }
        });
    let (Some(address), None) = (candidates.next(), candidates.next()) else {
        return Err(ParseError::NotAnEmail(shown(text)));
    };
    let valid = match address.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !address.contains(['<', '>', '"', '`', ',', '|'])
        }
        None => false,
    };
    if valid {
        Ok(address.to_owned())
    } else {
        Err(ParseError::NotAnEmail(shown(text)))
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| text.get(prefix.len()..))
        .flatten()
}

/// Splits on whitespace; a word that starts with a quote runs to the matching closing quote.
/// A quote inside a word (O'Brien) is part of it.
fn tokenize(text: &str) -> Result<Vec<Token>, ParseError> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(&first) = chars.peek() else {
            return Ok(tokens);
        };
        if let Some(closers) = closing_quotes(first) {
            chars.next();
            let mut word = String::new();
            let mut closed = false;
            for c in chars.by_ref() {
                if closers.contains(c) {
                    closed = true;
                    break;
                }
                word.push(c);
            }
            if !closed {
                return Err(ParseError::UnclosedQuote(shown(word.trim())));
            }
            tokens.push(Token {
                text: word,
                quoted: true,
            });
        } else {
            let mut word = String::new();
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                word.push(c);
            }
            tokens.push(Token {
                text: word,
                quoted: false,
            });
        }
    }
}

/// A name as text that [`parse`] reads back to the same words: a word is quoted only where it
/// would otherwise open a quote or an option, and with a quote it does not contain. A parsed
/// name always allows that: such a word came from a quoted word, which holds none of its closers.
pub(super) fn written_name(name: &str) -> String {
    let words: Vec<String> = name
        .split_whitespace()
        .map(
            |word| match (starts_specially(word), word.contains(['"', '”', '“'])) {
                (false, _) => word.to_owned(),
                (true, false) => format!("\"{word}\""),
                (true, true) => format!("'{word}'"),
            },
        )
        .collect();
    words.join(" ")
}

/// An address as text that [`parse`] reads back to the same address. One that would open a
/// quote or an option goes inside `<…>`, which the address reader strips (an address may hold
/// both kinds of quote, so quoting it is not always possible).
pub(super) fn written_email(address: &str) -> String {
    if starts_specially(address) {
        format!("<{address}>")
    } else {
        address.to_owned()
    }
}

/// Whether a word, written bare, would open a quote or an option instead of being read as text.
fn starts_specially(word: &str) -> bool {
    let opens = word
        .chars()
        .next()
        .is_some_and(|c| closing_quotes(c).is_some());
    opens || ["--", "—", "–"].iter().any(|dash| word.starts_with(dash))
}

/// The quotes that close one opened by `c`, if `c` opens one. Straight, curly and low quotes
/// all count: phones and Macs turn `"` into `“`.
fn closing_quotes(c: char) -> Option<&'static str> {
    match c {
        '"' => Some("\"”“"),
        '“' | '„' => Some("”“\""),
        '\'' => Some("'’"),
        '‘' => Some("’'"),
        _ => None,
    }
}

/// The user's text as an error quotes it: short, and without backticks that would end the code span.
fn shown(text: &str) -> String {
    let text = text.replace('`', "'");
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(SHOWN_MAX_CHARS).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
