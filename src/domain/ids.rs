//! Identifiers as distinct types: each is parsed once at the edge and can't be mixed up later.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A value from outside that is not a valid id of the kind asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid {kind}")]
pub struct InvalidId {
    pub kind: &'static str,
}

/// Defines a string newtype with a private field, a validating `parse`, `as_str`, `Display`
/// and serde that re-validates on the way in (so a tampered database or payload can't smuggle
/// a bad id past the type).
macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $valid:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn parse(value: &str) -> Result<Self, InvalidId> {
                let valid: fn(&str) -> bool = $valid;
                if valid(value) {
                    Ok(Self(value.to_owned()))
                } else {
                    Err(InvalidId { kind: $kind })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// Slack ids are short upper-case alphanumerics with a kind letter in front.
fn slack_id(value: &str, prefixes: &[char]) -> bool {
    (2..=32).contains(&value.len())
        && value.starts_with(prefixes)
        && value
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Slack timestamps: seconds, a dot, microseconds ("1700000000.000100").
fn slack_ts(value: &str) -> bool {
    match value.split_once('.') {
        Some((secs, micros)) => {
            (1..=12).contains(&secs.len())
                && (1..=9).contains(&micros.len())
                && secs.bytes().all(|b| b.is_ascii_digit())
                && micros.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// LeadLex ids travel in URL paths and JSON: only URL-safe characters, bounded length.
fn leadlex_id(value: &str) -> bool {
    (1..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn uuid(value: &str) -> bool {
    value.len() == 36 && uuid::Uuid::try_parse(value).is_ok()
}

string_id!(
    /// A Slack workspace (`T…`) or, for org-wide installs, an enterprise (`E…`).
    TeamId, "Slack team id", |v| slack_id(v, &['T', 'E'])
);
string_id!(
    /// A Slack conversation: public (`C…`), private (`G…`) or direct message (`D…`).
    ChannelId, "Slack channel id", |v| slack_id(v, &['C', 'G', 'D'])
);
string_id!(
    /// A Slack user (`U…`, or `W…` on Enterprise Grid).
    UserId, "Slack user id", |v| slack_id(v, &['U', 'W'])
);
string_id!(
    /// The Events API's id of one event; Slack re-sends the same id on retries.
    EventId, "Slack event id", |v| (2..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric())
);
string_id!(
    /// The `ts` of one Slack message (its id within the channel).
    MessageTs, "Slack message ts", slack_ts
);
string_id!(
    /// The `ts` of a thread's root message. Kept apart from [`MessageTs`] so a reply's own ts can
    /// never be used where the thread is meant.
    ThreadTs, "Slack thread ts", slack_ts
);
string_id!(
    /// A Lexi conversation at LeadLex (`conversation_id`).
    ConversationId, "Lexi conversation id", leadlex_id
);
string_id!(
    /// A Lexi task waiting for, or past, approval.
    TaskId, "Lexi task id", leadlex_id
);
string_id!(
    /// A LeadLex contact (a UUID).
    ContactId, "LeadLex contact id", uuid
);

impl ThreadTs {
    /// The thread a message starts when it is not itself a reply.
    pub fn rooted_at(message: &MessageTs) -> Self {
        Self(message.0.clone())
    }
}

/// One Slack thread, which is one Lexi conversation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ThreadKey {
    pub team: TeamId,
    pub channel: ChannelId,
    pub thread_ts: ThreadTs,
}

impl ThreadKey {
    /// The key under which the store files this thread. Ids never contain `/`.
    pub fn storage_key(&self) -> String {
        format!("{}/{}/{}", self.team, self.channel, self.thread_ts)
    }
}

impl fmt::Display for ThreadKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.storage_key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_ids_are_checked_for_their_kind() {
        assert!(TeamId::parse("T0ACME").is_ok());
        assert!(ChannelId::parse("C0123ABC").is_ok());
        assert!(ChannelId::parse("D0123ABC").is_ok());
        assert!(UserId::parse("U0123ABC").is_ok());
        assert!(UserId::parse("C0123ABC").is_err());
        assert!(UserId::parse("u0123abc").is_err());
        assert!(UserId::parse("U").is_err());
        assert!(ChannelId::parse("C0/../x").is_err());
    }

    #[test]
    fn timestamps_must_look_like_slack_timestamps() {
        assert!(MessageTs::parse("1700000000.000100").is_ok());
        assert!(MessageTs::parse("1700000000").is_err());
        assert!(MessageTs::parse("17000.00x").is_err());
        assert!(ThreadTs::parse("").is_err());
    }

    #[test]
    fn leadlex_ids_are_url_safe() {
        assert!(TaskId::parse("task-uuid").is_ok());
        assert!(TaskId::parse("../../v1/contacts").is_err());
        assert!(TaskId::parse("a b").is_err());
        assert!(TaskId::parse(&"a".repeat(129)).is_err());
        assert!(ContactId::parse("123e4567-e89b-12d3-a456-426614174000").is_ok());
        assert!(ContactId::parse("jane@acme.law").is_err());
    }

    #[test]
    fn deserializing_validates() {
        let bad: Result<TaskId, _> = serde_json::from_str("\"../x\"");
        assert!(bad.is_err());
        let good: TaskId = serde_json::from_str("\"t-1\"").unwrap();
        assert_eq!(good.as_str(), "t-1");
    }
}
