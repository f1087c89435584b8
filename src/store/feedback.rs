//! Feedback on Lexi's answers, one record per (channel, message, user), in its own tree.

use super::{Store, StoreError};
use crate::domain::feedback::Feedback;

const TREE: &str = "feedback";

impl Store {
    fn feedback_tree(&self) -> Result<sled::Tree, StoreError> {
        self.inner.db.open_tree(TREE).map_err(StoreError::Engine)
    }

    /// Records a click; the same user's later click on the same answer replaces it. Returns
    /// `false`, recording nothing, when the click repeats what the user already said about that
    /// answer (Slack delivered it twice, or the same button was clicked again): that click was
    /// already counted and thanked.
    pub fn record_feedback(&self, feedback: &Feedback) -> Result<bool, StoreError> {
        let key = format!(
            "{}/{}/{}",
            feedback.channel, feedback.message_ts, feedback.user
        );
        let value = serde_json::to_vec(feedback).map_err(StoreError::Corrupt)?;
        let tree = self.feedback_tree()?;
        // Compare-and-swap, so two deliveries of one click racing each other record it once.
        loop {
            let current = tree.get(&key).map_err(StoreError::Engine)?;
            let repeats = current.as_ref().is_some_and(|raw| {
                serde_json::from_slice::<Feedback>(raw)
                    .is_ok_and(|earlier| earlier.positive == feedback.positive)
            });
            if repeats {
                return Ok(false);
            }
            let swapped = tree
                .compare_and_swap(&key, current, Some(value.as_slice()))
                .map_err(StoreError::Engine)?;
            if swapped.is_ok() {
                return Ok(true);
            }
        }
    }

    /// Every recorded click, by channel, message and user.
    pub fn all_feedback(&self) -> Result<Vec<Feedback>, StoreError> {
        self.feedback_tree()?
            .iter()
            .values()
            .map(|raw| {
                let raw = raw.map_err(StoreError::Engine)?;
                serde_json::from_slice(&raw).map_err(StoreError::Corrupt)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::feedback::Feedback;
    use crate::domain::*;
    use crate::store::{Store, StoreSettings};

    fn click(user: &str, positive: bool) -> Feedback {
        Feedback {
            team: Some(TeamId::parse("T1").unwrap()),
            channel: ChannelId::parse("C1").unwrap(),
            message_ts: MessageTs::parse("1.2").unwrap(),
            thread_ts: Some(ThreadTs::parse("1.1").unwrap()),
            conversation: None,
            user: UserId::parse(user).unwrap(),
            positive,
            at_ms: 1,
        }
    }

    #[test]
    fn a_users_second_click_on_an_answer_replaces_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreSettings::default()).unwrap();
        assert!(store.record_feedback(&click("U1", true)).unwrap());
        assert!(store.record_feedback(&click("U2", true)).unwrap());
        assert!(store.record_feedback(&click("U1", false)).unwrap());
        let all = store.all_feedback().unwrap();
        assert_eq!(all, vec![click("U1", false), click("U2", true)]);
    }

    #[test]
    fn the_same_click_twice_is_recorded_once_and_keeps_its_first_time() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreSettings::default()).unwrap();
        assert!(store.record_feedback(&click("U1", true)).unwrap());
        let again = Feedback {
            at_ms: 99,
            ..click("U1", true)
        };
        assert!(!store.record_feedback(&again).unwrap(), "a repeat");
        assert_eq!(store.all_feedback().unwrap(), vec![click("U1", true)]);
    }
}
