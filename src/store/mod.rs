//! The embedded sled database: jobs, seen events, thread → conversation, approvals; every key and value encoding lives here.
//!
//! sled calls are made straight from async code: reads and writes touch only memory (sled's page
//! cache and log buffer) and take microseconds. The one call that waits on the disk, `flush`, runs
//! on tokio's blocking pool inside [`commit::GroupCommit`], batched across concurrent requests.

mod agent_surface;
mod approvals;
mod channel_context;
mod commit;
mod error;
mod feedback;
mod followups;
mod jobs;
mod recovery;
mod retention;
mod threads;

pub use approvals::{ClickAdmission, ClickPlan};
pub use channel_context::ChannelContext;
pub use error::StoreError;
pub use jobs::Admission;
pub use retention::{Retention, StoreClock, Swept};
pub use threads::ThreadState;

use commit::GroupCommit;
use std::path::Path;
use std::sync::Arc;

/// The version of the layout below. Bump it, and migrate in `open`, when an encoding changes.
pub const SCHEMA_VERSION: u32 = 1;
const SCHEMA_KEY: &[u8] = b"schema_version";

/// Tuning for the database.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    /// Bytes of sled's page cache: bounds the bot's memory however large the database grows.
    pub cache_bytes: u64,
    /// `LEXI_RETENTION`: how long what the bot no longer needs is kept.
    pub retention: Retention,
    pub clock: StoreClock,
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self {
            cache_bytes: 16 * 1024 * 1024,
            retention: Retention::default(),
            clock: StoreClock::system(),
        }
    }
}

/// A handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    db: sled::Db,
    jobs: sled::Tree,
    seen: sled::Tree,
    threads: sled::Tree,
    approvals: sled::Tree,
    channel_context: sled::Tree,
    commit: GroupCommit,
    /// Held by the one batch of admissions being written (see `Store::admit_all`).
    admission: std::sync::Mutex<()>,
    retention: Retention,
    clock: StoreClock,
    sweep_state: retention::SweepState,
}

impl Store {
    /// Opens (or creates) the database in `dir`, refusing one written by a newer schema.
    pub fn open(dir: &Path, settings: &StoreSettings) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Directory {
            path: dir.display().to_string(),
            source,
        })?;
        let db = open_sled(dir, settings)?;
        check_schema(&db)?;
        let tree = |name: &str| db.open_tree(name).map_err(StoreError::Engine);
        let inner = Inner {
            jobs: tree("jobs")?,
            seen: tree("seen")?,
            threads: tree("threads")?,
            approvals: tree("approvals")?,
            channel_context: tree("channel_context")?,
            commit: GroupCommit::new(db.clone()),
            admission: std::sync::Mutex::new(()),
            retention: settings.retention,
            clock: settings.clock.clone(),
            sweep_state: Default::default(),
            db,
        };
        let store = Self {
            inner: Arc::new(inner),
        };
        store.complete_interrupted_admissions()?;
        Ok(store)
    }

    /// Waits until everything written so far is on disk. Concurrent callers share one fsync.
    pub async fn durable(&self) -> Result<(), StoreError> {
        self.inner.commit.durable().await
    }

    /// Writes everything to disk before the process ends.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.inner.db.flush().map(drop).map_err(StoreError::Engine)
    }

    /// Bytes the database takes on disk.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.inner.db.size_on_disk().map_err(StoreError::Engine)
    }
}

/// How long [`open_sled`] waits for a lock that this process may be letting go of.
const LOCK_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// Opens sled, waiting up to [`LOCK_GRACE`] while the database is locked.
///
/// sled lets go of its file lock only when the last of its IO threads drops the database, a
/// moment after the last handle is dropped (the drop flushes, through that pool), so reopening
/// in the same process (a restart in place, a test) can find it still locked. Another process
/// that holds it is still reported, one second later, as [`StoreError::Locked`].
fn open_sled(dir: &Path, settings: &StoreSettings) -> Result<sled::Db, StoreError> {
    let config = sled::Config::new()
        .path(dir.join("lexi-slack.sled"))
        .cache_capacity(settings.cache_bytes)
        .mode(sled::Mode::HighThroughput)
        .flush_every_ms(Some(500));
    let give_up = std::time::Instant::now() + LOCK_GRACE;
    loop {
        match config.open().map_err(|e| StoreError::open(dir, e)) {
            Err(StoreError::Locked { .. }) if std::time::Instant::now() < give_up => {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            opened => return opened,
        }
    }
}

fn check_schema(db: &sled::Db) -> Result<(), StoreError> {
    match db.get(SCHEMA_KEY).map_err(StoreError::Engine)? {
        None => {
            db.insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())
                .map_err(StoreError::Engine)?;
            Ok(())
        }
        Some(raw) => {
            let found = <[u8; 4]>::try_from(raw.as_ref())
                .map(u32::from_be_bytes)
                .map_err(|_| StoreError::UnreadableSchema)?;
            if found > SCHEMA_VERSION {
                Err(StoreError::NewerSchema {
                    found,
                    supported: SCHEMA_VERSION,
                })
            } else {
                Ok(())
            }
        }
    }
}

/// Unix milliseconds now.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
