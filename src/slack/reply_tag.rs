//! Which job a message in a thread belongs to, written into the message itself (Slack message
//! metadata), so a job cut off by a crash can find what it had already posted.
//!
//! A job saves a message's ts only after Slack has answered: a `kill -9` in between leaves a
//! message the job does not know about. Without a tag, the re-run would post a second
//! placeholder (or a second copy of a part) and leave the first one saying "working on it"
//! forever. With it, the re-run reads the thread once and adopts its own messages.

use slack_morphism::prelude::SlackMessageMetadata;
use std::collections::HashMap;

/// The metadata `event_type` of every tagged reply.
pub const EVENT_TYPE: &str = "lexi_reply";

/// What the message is to its job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Message `n` of the reply: the placeholder (later replaced by the answer's first part) is 0.
    Part(u32),
    /// A streamed answer that was cut off and now says so; nothing more to do with it.
    Interrupted,
    /// Anything else the job posts in the thread (a task's outcome, say).
    Notice,
}

/// A job's mark on a message: the job's idempotency key (a random UUID, unique across databases,
/// unlike the store's job ids) and the message's role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyTag {
    pub job: String,
    pub role: Role,
}

impl ReplyTag {
    pub fn part(job: &str, n: u32) -> Self {
        Self {
            job: job.to_owned(),
            role: Role::Part(n),
        }
    }

    pub fn notice(job: &str) -> Self {
        Self {
            job: job.to_owned(),
            role: Role::Notice,
        }
    }

    pub fn interrupted(job: &str) -> Self {
        Self {
            job: job.to_owned(),
            role: Role::Interrupted,
        }
    }

    pub fn to_metadata(&self) -> SlackMessageMetadata {
        let role = match self.role {
            Role::Part(n) => n.to_string(),
            Role::Interrupted => "interrupted".to_owned(),
            Role::Notice => "notice".to_owned(),
        };
        SlackMessageMetadata {
            event_type: EVENT_TYPE.to_owned(),
            event_payload: Some(HashMap::from([
                ("job".to_owned(), self.job.clone()),
                ("role".to_owned(), role),
            ])),
        }
    }

    /// The tag a message carries, if it is one of ours; anything else (another app's metadata,
    /// a role we don't know) is `None`.
    pub fn from_metadata(metadata: &SlackMessageMetadata) -> Option<Self> {
        if metadata.event_type != EVENT_TYPE {
            return None;
        }
        let payload = metadata.event_payload.as_ref()?;
        let job = payload.get("job")?.clone();
        let role = match payload.get("role")?.as_str() {
            "interrupted" => Role::Interrupted,
            "notice" => Role::Notice,
            n => Role::Part(n.parse().ok()?),
        };
        Some(Self { job, role })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_survives_the_round_trip() {
        for role in [
            Role::Part(0),
            Role::Part(7),
            Role::Interrupted,
            Role::Notice,
        ] {
            let tag = ReplyTag {
                job: "5d1f3c1e-0000-4000-8000-000000000001".into(),
                role,
            };
            assert_eq!(ReplyTag::from_metadata(&tag.to_metadata()), Some(tag));
        }
    }

    #[test]
    fn other_metadata_is_not_ours() {
        let mut foreign = ReplyTag::part("k", 0).to_metadata();
        foreign.event_type = "task_created".into();
        assert_eq!(ReplyTag::from_metadata(&foreign), None);
        let mut garbled = ReplyTag::part("k", 0).to_metadata();
        if let Some(p) = garbled.event_payload.as_mut() {
            p.insert("role".into(), "-1".into());
        }
        assert_eq!(ReplyTag::from_metadata(&garbled), None);
        let bare = SlackMessageMetadata {
            event_type: EVENT_TYPE.into(),
            event_payload: None,
        };
        assert_eq!(ReplyTag::from_metadata(&bare), None);
    }
}
