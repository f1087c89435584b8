//! `/followups` result cards, so Share and Discuss buttons find the drafts and summary they act on.
//!
//! Cards live in their own tree, opened on use (sled keeps opened trees, so that is a lookup) to
//! leave the store's core layout alone. Ephemeral results vanish from Slack when the app reloads,
//! so a card is only kept for [`Retention::cards`](super::Retention::cards): two days, or
//! `LEXI_RETENTION` if longer.

use super::retention::ms;
use super::{Store, StoreError, now_ms};
use crate::domain::followups::{CardId, FollowupsCard};

const TREE: &str = "followups_cards";

impl Store {
    fn cards(&self) -> Result<sled::Tree, StoreError> {
        self.inner.db.open_tree(TREE).map_err(StoreError::Engine)
    }

    /// Saves (or replaces) a card, dropping expired ones on the way.
    pub fn save_card(&self, card: &FollowupsCard) -> Result<(), StoreError> {
        let cards = self.cards()?;
        // The creation time leads the value, so expiry reads 8 bytes instead of parsing JSON.
        let mut encoded = card.created_ms.to_be_bytes().to_vec();
        serde_json::to_writer(&mut encoded, card).map_err(StoreError::Corrupt)?;
        cards
            .insert(card.id.as_str(), encoded)
            .map_err(StoreError::Engine)?;
        self.expire_cards_before(now_ms().saturating_sub(self.card_retention_ms()))?;
        Ok(())
    }

    /// A card that exists and has not expired.
    pub fn card(&self, id: &CardId) -> Result<Option<FollowupsCard>, StoreError> {
        let Some(raw) = self.cards()?.get(id.as_str()).map_err(StoreError::Engine)? else {
            return Ok(None);
        };
        let json = raw.get(8..).unwrap_or_default();
        let card: FollowupsCard = serde_json::from_slice(json).map_err(StoreError::Corrupt)?;
        let fresh = card.created_ms.saturating_add(self.card_retention_ms()) > now_ms();
        Ok(fresh.then_some(card))
    }

    fn card_retention_ms(&self) -> u64 {
        ms(self.inner.retention.cards())
    }

    /// Removes cards made before `cutoff_ms`; returns how many.
    pub fn expire_cards_before(&self, cutoff_ms: u64) -> Result<usize, StoreError> {
        let cards = self.cards()?;
        let mut removed = 0;
        for entry in cards.iter() {
            let (key, raw) = entry.map_err(StoreError::Engine)?;
            // An unreadable card can never be used; it only takes space.
            let expired = created_ms(&raw).is_none_or(|created| created < cutoff_ms);
            if expired {
                cards.remove(key).map_err(StoreError::Engine)?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

fn created_ms(raw: &[u8]) -> Option<u64> {
    raw.get(..8)
        .and_then(|head| <[u8; 8]>::try_from(head).ok())
        .map(u64::from_be_bytes)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::domain::followups::{ContactCard, SuggestionSet};
    use crate::domain::{ChannelId, ContactId, TeamId, UserId};
    use crate::store::StoreSettings;

    /// A card made at `created_ms` (the retention tests use it too).
    pub(in crate::store) fn card(created_ms: u64) -> FollowupsCard {
        FollowupsCard {
            id: CardId::generate(),
            team: TeamId::parse("T0ACME").unwrap(),
            channel: ChannelId::parse("C0SALES").unwrap(),
            requester: UserId::parse("U0REP").unwrap(),
            contact: ContactCard {
                id: ContactId::parse("3f1c2a4e-8b7d-4c6a-9e2f-1a2b3c4d5e01").unwrap(),
                name: "Jane Doe".into(),
                company: None,
                email: None,
            },
            lookback_days: 60,
            result: SuggestionSet {
                suggestions: Vec::new(),
                activity_summary: "quiet".into(),
                credits_remaining: None,
            },
            shared: Default::default(),
            discussion: None,
            created_ms,
        }
    }

    #[test]
    fn a_card_is_found_by_its_id_and_updates_replace_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreSettings::default()).unwrap();
        let mut kept = card(now_ms());
        store.save_card(&kept).unwrap();
        kept.shared.insert(1);
        store.save_card(&kept).unwrap();
        assert_eq!(store.card(&kept.id).unwrap(), Some(kept));
        assert_eq!(store.card(&CardId::generate()).unwrap(), None);
    }

    #[test]
    fn old_cards_are_not_served_and_are_swept_when_a_new_one_is_saved() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreSettings::default()).unwrap();
        let old = card(now_ms() - store.card_retention_ms() - 1_000);
        store
            .cards()
            .unwrap()
            .insert(old.id.as_str(), {
                let mut raw = old.created_ms.to_be_bytes().to_vec();
                serde_json::to_writer(&mut raw, &old).unwrap();
                raw
            })
            .unwrap();
        assert_eq!(store.card(&old.id).unwrap(), None, "expired");
        store.save_card(&card(now_ms())).unwrap();
        assert_eq!(store.cards().unwrap().len(), 1, "swept");
    }
}
