//! The durable work behind `/followups` and its buttons, and the result cards those buttons act on.

use super::FollowupsCommand;
use crate::domain::ids::{ChannelId, ContactId, InvalidId, MessageTs, TeamId, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// Slack's answer address for one command or click (`response_url`): ephemeral replies for 30
/// minutes, 5 uses. Which hosts are trusted is decided at the edge, from the configuration; this
/// type only guarantees a well-formed http(s) URL of bounded length.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ResponseUrl(String);

impl ResponseUrl {
    pub fn parse(value: &str) -> Result<Self, InvalidId> {
        let well_formed = (value.starts_with("https://") || value.starts_with("http://"))
            && value.len() <= 2_000
            && !value.chars().any(|c| c.is_whitespace() || c.is_control());
        if well_formed {
            Ok(Self(value.to_owned()))
        } else {
            Err(InvalidId {
                kind: "Slack response URL",
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for ResponseUrl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// What makes one Slack request unique (`cmd:<trigger id>`, `pick:<message>`): a delivery seen
/// twice runs once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct RequestKey(String);

impl RequestKey {
    pub fn new(kind: &str, id: &str) -> Result<Self, InvalidId> {
        let value = format!("{kind}:{id}");
        let valid = (3..=255).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._:/-".contains(&b));
        if valid {
            Ok(Self(value))
        } else {
            Err(InvalidId {
                kind: "Slack request key",
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for RequestKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        let (kind, id) = raw.split_once(':').unwrap_or(("", &raw));
        Self::new(kind, id).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for RequestKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A result card's id (a UUID): what Share and Discuss buttons carry instead of the draft itself,
/// so button values stay small and can't be forged into arbitrary text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct CardId(String);

impl CardId {
    pub fn parse(value: &str) -> Result<Self, InvalidId> {
        match uuid::Uuid::try_parse(value) {
            Ok(id) if value.len() == 36 => Ok(Self(id.to_string())),
            _ => Err(InvalidId {
                kind: "follow-ups card id",
            }),
        }
    }

    /// A new random id, for a card that has no job key to be named after.
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for CardId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for CardId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A LeadLex contact, as much as the result needs of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactCard {
    pub id: ContactId,
    pub name: String,
    pub company: Option<String>,
    pub email: Option<String>,
}

impl ContactCard {
    /// "Jane Doe (Acme Legal)", or just the name.
    pub fn label(&self) -> String {
        match self.company.as_deref().filter(|c| !c.is_empty()) {
            Some(company) => format!("{} ({company})", self.name),
            None => self.name.clone(),
        }
    }
}

/// One next step LeadLex suggests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// `email`, `call`, `meeting`, `linkedin`, `whatsapp`, or a newer kind shown as is.
    pub kind: String,
    pub title: String,
    pub reason: String,
    /// A hint such as "Tomorrow morning", not a timestamp.
    pub when: Option<String>,
    pub draft: Option<String>,
    /// 0–1 as LeadLex documents it by example; the scale is not specified.
    pub confidence: Option<f64>,
}

/// What `POST /v1/ai/suggest-followups` returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestionSet {
    pub suggestions: Vec<Suggestion>,
    pub activity_summary: String,
    pub credits_remaining: Option<u64>,
}

/// A result as shown to the rep, kept so its Share and Discuss buttons can act on it later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowupsCard {
    pub id: CardId,
    pub team: TeamId,
    pub channel: ChannelId,
    /// Who ran the command: the only one who sees the result, and whom shared drafts credit.
    pub requester: UserId,
    pub contact: ContactCard,
    pub lookback_days: u64,
    pub result: SuggestionSet,
    /// Indexes of the suggestions whose draft was shared to the channel.
    #[serde(default)]
    pub shared: BTreeSet<usize>,
    /// The channel message the Lexi discussion hangs off, once started.
    #[serde(default)]
    pub discussion: Option<MessageTs>,
    pub created_ms: u64,
}

/// A `/followups` command, or a click on one of its buttons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowupsJob {
    pub team: TeamId,
    pub channel: ChannelId,
    pub user: UserId,
    /// Where the answer goes, visible only to `user`.
    pub response_url: ResponseUrl,
    /// The Slack request this job answers, so a repeated delivery is not run again.
    pub request: Option<RequestKey>,
    pub step: FollowupsStep,
}

impl FollowupsJob {
    /// Clicks on one card run one at a time, so two of them never race on its state.
    pub fn lane(&self) -> Option<String> {
        match &self.step {
            FollowupsStep::Suggest { .. } => None,
            FollowupsStep::Share { card, .. } | FollowupsStep::Discuss { card, .. } => {
                Some(format!("followups-card/{card}"))
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum FollowupsStep {
    /// Resolve the contact, ask LeadLex, show the result (or a picker).
    Suggest {
        command: FollowupsCommand,
        #[serde(default)]
        progress: SuggestProgress,
    },
    /// Post one suggestion's draft to the channel, credited to the requester.
    Share {
        card: CardId,
        suggestion: usize,
        #[serde(default)]
        progress: ShareProgress,
    },
    /// Post the contact's summary to the channel and start a Lexi thread on it.
    Discuss {
        card: CardId,
        #[serde(default)]
        progress: DiscussProgress,
    },
}

/// What a run of a Suggest step has already done, so a re-run neither repeats a side effect
/// nor spends credits twice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SuggestProgress {
    /// The "Looking at recent activity…" message is showing (a command's ack is one).
    pub placeholder_shown: bool,
    pub contact: Option<ContactCard>,
    /// LeadLex's answer, kept once it came: the credits are spent.
    pub result: Option<SuggestionSet>,
    /// Posts made to the response URL, which takes 5 at most.
    pub responses_used: u8,
    pub told_retrying: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShareProgress {
    /// The channel message the draft became.
    pub posted: Option<MessageTs>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DiscussProgress {
    /// The channel message the Lexi thread hangs off.
    pub root: Option<MessageTs>,
}
