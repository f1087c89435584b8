//! Group commit: many writers wait for one fsync instead of each paying for their own.

use super::StoreError;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{Mutex, watch};

pub(super) struct GroupCommit {
    db: sled::Db,
    /// Tickets handed out: one per `durable` call, taken after the caller's writes.
    requested: AtomicU64,
    /// The highest ticket known to be on disk.
    completed: watch::Sender<u64>,
    /// Held by the one caller currently flushing on behalf of everyone.
    flushing: Mutex<()>,
}

impl GroupCommit {
    pub(super) fn new(db: sled::Db) -> Self {
        Self {
            db,
            requested: AtomicU64::new(0),
            completed: watch::Sender::new(0),
            flushing: Mutex::new(()),
        }
    }

    pub(super) async fn durable(&self) -> Result<(), StoreError> {
        let ticket = self.requested.fetch_add(1, Ordering::SeqCst) + 1;
        let mut done = self.completed.subscribe();
        loop {
            if *done.borrow_and_update() >= ticket {
                return Ok(());
            }
            if let Ok(_flusher) = self.flushing.try_lock() {
                if *self.completed.borrow() >= ticket {
                    return Ok(());
                }
                // Every ticket up to `target` was taken after its writes, so this flush covers them.
                let target = self.requested.load(Ordering::SeqCst);
                let db = self.db.clone();
                tokio::task::spawn_blocking(move || db.flush())
                    .await
                    .map_err(|_| StoreError::Closed)?
                    .map_err(StoreError::Engine)?;
                self.completed.send_modify(|c| *c = (*c).max(target));
                return Ok(());
            }
            done.changed().await.map_err(|_| StoreError::Closed)?;
        }
    }
}
