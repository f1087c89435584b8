//! When each rep was last offered suggested prompts, so reopening the DM doesn't re-send them.

use super::{Store, StoreError};
use crate::domain::{TeamId, UserId};

/// One key per rep (`team/user`) → Unix milliseconds, big-endian: bounded by the workspace's size.
const TREE: &str = "prompts_offered";

fn key(team: &TeamId, user: &UserId) -> String {
    format!("{team}/{user}")
}

impl Store {
    fn prompts_tree(&self) -> Result<sled::Tree, StoreError> {
        self.inner.db.open_tree(TREE).map_err(StoreError::Engine)
    }

    /// When the rep's Messages tab last got suggested prompts (Unix ms), if ever.
    pub fn prompts_offered_at(
        &self,
        team: &TeamId,
        user: &UserId,
    ) -> Result<Option<u64>, StoreError> {
        let raw = self
            .prompts_tree()?
            .get(key(team, user))
            .map_err(StoreError::Engine)?;
        // An unreadable stamp reads as "never": the worst outcome is one extra offer.
        Ok(raw.and_then(|raw| {
            <[u8; 8]>::try_from(raw.as_ref())
                .ok()
                .map(u64::from_be_bytes)
        }))
    }

    /// Notes that the rep's Messages tab got suggested prompts at `at_ms` (Unix ms).
    pub fn record_prompts_offered(
        &self,
        team: &TeamId,
        user: &UserId,
        at_ms: u64,
    ) -> Result<(), StoreError> {
        self.prompts_tree()?
            .insert(key(team, user), &at_ms.to_be_bytes())
            .map_err(StoreError::Engine)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::{TeamId, UserId};
    use crate::store::{Store, StoreSettings};

    #[test]
    fn the_last_offer_is_kept_per_rep() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreSettings::default()).unwrap();
        let team = TeamId::parse("T1").unwrap();
        let (ana, bo) = (UserId::parse("U1").unwrap(), UserId::parse("U2").unwrap());
        assert_eq!(store.prompts_offered_at(&team, &ana).unwrap(), None);
        store.record_prompts_offered(&team, &ana, 10).unwrap();
        store.record_prompts_offered(&team, &ana, 20).unwrap();
        assert_eq!(store.prompts_offered_at(&team, &ana).unwrap(), Some(20));
        assert_eq!(store.prompts_offered_at(&team, &bo).unwrap(), None);
    }
}
