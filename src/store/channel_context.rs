//! Which LeadLex list or campaign a channel is bound to (`/lexi context …`), sent with every Lexi message from it.

use super::{Store, StoreError};
use crate::domain::{ChannelId, TeamId};
use serde::{Deserialize, Serialize};

/// What a channel's Lexi messages are about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum ChannelContext {
    /// A LeadLex list, sent as `context.list_id`.
    List(uuid::Uuid),
    /// A LeadLex campaign, sent as `context.campaign_id`.
    Campaign(uuid::Uuid),
}

impl ChannelContext {
    /// `(list_id, campaign_id)` as LeadLex's chat context takes them.
    pub fn ids(context: Option<&Self>) -> (Option<String>, Option<String>) {
        match context {
            Some(Self::List(id)) => (Some(id.to_string()), None),
            Some(Self::Campaign(id)) => (None, Some(id.to_string())),
            None => (None, None),
        }
    }
}

fn key(team: &TeamId, channel: &ChannelId) -> String {
    format!("{team}/{channel}")
}

impl Store {
    /// The channel's binding, if any.
    pub fn channel_context(
        &self,
        team: &TeamId,
        channel: &ChannelId,
    ) -> Result<Option<ChannelContext>, StoreError> {
        self.inner
            .channel_context
            .get(key(team, channel))
            .map_err(StoreError::Engine)?
            .map(|raw| serde_json::from_slice(&raw).map_err(StoreError::Corrupt))
            .transpose()
    }

    /// Binds the channel (replacing any earlier binding), or unbinds it with `None`.
    pub fn set_channel_context(
        &self,
        team: &TeamId,
        channel: &ChannelId,
        context: Option<&ChannelContext>,
    ) -> Result<(), StoreError> {
        let tree = &self.inner.channel_context;
        match context {
            // A two-variant enum of uuids always serializes.
            Some(c) => tree.insert(
                key(team, channel),
                serde_json::to_vec(c).unwrap_or_default(),
            ),
            None => tree.remove(key(team, channel)),
        }
        .map(drop)
        .map_err(StoreError::Engine)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channel_binding_is_kept_replaced_and_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &Default::default()).unwrap();
        let (team, channel) = (
            TeamId::parse("T1").unwrap(),
            ChannelId::parse("C1").unwrap(),
        );
        assert_eq!(store.channel_context(&team, &channel).unwrap(), None);
        let list = ChannelContext::List(uuid::Uuid::new_v4());
        store
            .set_channel_context(&team, &channel, Some(&list))
            .unwrap();
        assert_eq!(store.channel_context(&team, &channel).unwrap(), Some(list));
        let campaign = ChannelContext::Campaign(uuid::Uuid::new_v4());
        store
            .set_channel_context(&team, &channel, Some(&campaign))
            .unwrap();
        assert_eq!(
            store.channel_context(&team, &channel).unwrap(),
            Some(campaign)
        );
        store.set_channel_context(&team, &channel, None).unwrap();
        assert_eq!(store.channel_context(&team, &channel).unwrap(), None);
    }
}
