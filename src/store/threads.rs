//! Which Slack thread is which Lexi conversation.

use super::{Store, StoreError};
use crate::domain::{ConversationId, ThreadKey};
use serde::{Deserialize, Serialize};

/// A thread the bot talks in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "conversation_id", rename_all = "snake_case")]
pub enum ThreadState {
    /// Someone asked Lexi here; Lexi hasn't answered with a conversation id yet.
    Started,
    Conversation(ConversationId),
}

impl ThreadState {
    pub(super) fn encode(&self) -> Vec<u8> {
        // A two-variant enum of validated ids always serializes.
        serde_json::to_vec(self).unwrap_or_default()
    }

    fn decode(raw: &[u8]) -> Result<Self, StoreError> {
        serde_json::from_slice(raw).map_err(StoreError::Corrupt)
    }
}

impl Store {
    pub fn thread(&self, thread: &ThreadKey) -> Result<Option<ThreadState>, StoreError> {
        self.inner
            .threads
            .get(thread.storage_key())
            .map_err(StoreError::Engine)?
            .map(|raw| ThreadState::decode(&raw))
            .transpose()
    }

    /// The thread's conversation, if Lexi has given it one.
    pub fn conversation(&self, thread: &ThreadKey) -> Result<Option<ConversationId>, StoreError> {
        Ok(match self.thread(thread)? {
            Some(ThreadState::Conversation(id)) => Some(id),
            _ => None,
        })
    }

    /// Ties the thread to `id` unless it is already tied to a conversation: the first writer
    /// wins, and the conversation the thread ends up with is returned.
    pub fn remember_conversation(
        &self,
        thread: &ThreadKey,
        id: &ConversationId,
    ) -> Result<ConversationId, StoreError> {
        let key = thread.storage_key();
        let wanted = ThreadState::Conversation(id.clone()).encode();
        loop {
            let current = self.inner.threads.get(&key).map_err(StoreError::Engine)?;
            if let Some(raw) = &current
                && let ThreadState::Conversation(existing) = ThreadState::decode(raw)?
            {
                return Ok(existing);
            }
            let swapped = self
                .inner
                .threads
                .compare_and_swap(&key, current, Some(wanted.as_slice()))
                .map_err(StoreError::Engine)?;
            if swapped.is_ok() {
                return Ok(id.clone());
            }
        }
    }

    /// Detaches the thread from its conversation: the next message starts a new one.
    pub fn forget_conversation(&self, thread: &ThreadKey) -> Result<(), StoreError> {
        self.inner
            .threads
            .insert(thread.storage_key(), ThreadState::Started.encode())
            .map_err(StoreError::Engine)?;
        Ok(())
    }

    pub fn thread_count(&self) -> usize {
        self.inner.threads.len()
    }
}
