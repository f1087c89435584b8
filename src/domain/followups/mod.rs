//! `/followups`: what a rep asks for (a contact and options), and what LeadLex suggests back.

mod job;
mod parse;

pub use job::{
    CardId, ContactCard, DiscussProgress, FollowupsCard, FollowupsJob, FollowupsStep, RequestKey,
    ResponseUrl, ShareProgress, SuggestProgress, Suggestion, SuggestionSet,
};
pub use parse::{Invocation, ParseError, parse};

use super::ids::ContactId;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The channels LeadLex can suggest a follow-up on (`--channels`, and each suggestion's `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FollowupChannel {
    Email,
    Call,
    Meeting,
    Linkedin,
    Whatsapp,
}

impl FollowupChannel {
    pub const ALL: [FollowupChannel; 5] = [
        FollowupChannel::Email,
        FollowupChannel::Call,
        FollowupChannel::Meeting,
        FollowupChannel::Linkedin,
        FollowupChannel::Whatsapp,
    ];

    /// The name LeadLex uses, which is also what the user types.
    pub fn as_str(self) -> &'static str {
        match self {
            FollowupChannel::Email => "email",
            FollowupChannel::Call => "call",
            FollowupChannel::Meeting => "meeting",
            FollowupChannel::Linkedin => "linkedin",
            FollowupChannel::Whatsapp => "whatsapp",
        }
    }

    /// Reads a channel name as people type it: any case, singular or plural (`Emails`, `LinkedIn`).
    pub fn from_name(name: &str) -> Option<Self> {
        let name = name.trim().to_ascii_lowercase();
        let singular = name.strip_suffix('s').unwrap_or(&name);
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == name || c.as_str() == singular)
    }
}

/// Who the follow-ups are for, as the rep named them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", content = "value", rename_all = "snake_case")]
pub enum ContactRef {
    /// A LeadLex contact id, used as is.
    Id(ContactId),
    /// Resolved with a contact search; an exact (case-insensitive) match wins.
    Email(String),
    /// Resolved with a contact search; several matches get a picker.
    Name(String),
}

impl fmt::Display for ContactRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContactRef::Id(id) => write!(f, "contact {id}"),
            ContactRef::Email(email) => f.write_str(email),
            ContactRef::Name(name) => f.write_str(name),
        }
    }
}

/// `--count`: how many suggestions, 1–10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct SuggestionCount(u8);

impl SuggestionCount {
    pub const DEFAULT: SuggestionCount = SuggestionCount(3);
    pub const MAX: u64 = 10;

    pub fn new(n: u64) -> Option<Self> {
        (1..=Self::MAX)
            .contains(&n)
            .then(|| Self(u8::try_from(n).unwrap_or(3)))
    }

    pub fn get(self) -> u64 {
        u64::from(self.0)
    }
}

impl TryFrom<u64> for SuggestionCount {
    type Error = String;
    fn try_from(n: u64) -> Result<Self, String> {
        Self::new(n).ok_or_else(|| format!("count {n} is outside 1..=10"))
    }
}

impl From<SuggestionCount> for u64 {
    fn from(c: SuggestionCount) -> u64 {
        c.get()
    }
}

/// `--days`: how far back LeadLex looks at activity, 1–365 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct LookbackDays(u16);

impl LookbackDays {
    pub const DEFAULT: LookbackDays = LookbackDays(60);
    pub const MAX: u64 = 365;

    pub fn new(n: u64) -> Option<Self> {
        (1..=Self::MAX)
            .contains(&n)
            .then(|| Self(u16::try_from(n).unwrap_or(60)))
    }

    pub fn get(self) -> u64 {
        u64::from(self.0)
    }
}

impl TryFrom<u64> for LookbackDays {
    type Error = String;
    fn try_from(n: u64) -> Result<Self, String> {
        Self::new(n).ok_or_else(|| format!("lookback of {n} days is outside 1..=365"))
    }
}

impl From<LookbackDays> for u64 {
    fn from(d: LookbackDays) -> u64 {
        d.get()
    }
}

/// One valid `/followups` request: nothing reaches LeadLex (2 credits a call) unless it parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowupsCommand {
    pub contact: ContactRef,
    pub count: SuggestionCount,
    pub lookback_days: LookbackDays,
    /// Only suggest on these; empty means every channel (LeadLex's default).
    pub channels: Vec<FollowupChannel>,
}

impl FollowupsCommand {
    /// The defaults: 3 suggestions, 60 days, every channel.
    pub fn for_contact(contact: ContactRef) -> Self {
        Self {
            contact,
            count: SuggestionCount::DEFAULT,
            lookback_days: LookbackDays::DEFAULT,
            channels: Vec::new(),
        }
    }

    /// The same options for another contact: what a picker button runs.
    pub fn with_contact(&self, id: ContactId) -> Self {
        Self {
            contact: ContactRef::Id(id),
            ..self.clone()
        }
    }

    /// The command as text that [`parse`] reads back to the same command. A picker button
    /// carries this, so a click goes through exactly the validation typed text does.
    pub fn to_command_text(&self) -> String {
        let contact = match &self.contact {
            ContactRef::Id(id) => id.to_string(),
            ContactRef::Email(email) => parse::written_email(email),
            ContactRef::Name(name) => parse::written_name(name),
        };
        let mut text = format!(
            "{contact} --count {} --days {}",
            self.count.get(),
            self.lookback_days.get()
        );
        if !self.channels.is_empty() {
            let names: Vec<&str> = self.channels.iter().map(|c| c.as_str()).collect();
            text.push_str(" --channels ");
            text.push_str(&names.join(","));
        }
        text
    }
}
