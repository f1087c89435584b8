//! What can go wrong with the database, in words an operator can act on.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {path}")]
    Directory {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the database in {path} is in use by another lexi-slack process")]
    Locked { path: String },
    #[error("cannot open the database in {path}")]
    Open {
        path: String,
        #[source]
        source: sled::Error,
    },
    #[error(
        "the database was written by a newer lexi-slack (schema {found}; this build reads up to {supported}): upgrade lexi-slack or point DATA_DIR elsewhere"
    )]
    NewerSchema { found: u32, supported: u32 },
    #[error("the database's schema version is unreadable")]
    UnreadableSchema,
    #[error("database error")]
    Engine(#[source] sled::Error),
    #[error("a stored record cannot be read")]
    Corrupt(#[source] serde_json::Error),
    #[error("the database is shutting down")]
    Closed,
}

impl StoreError {
    pub(super) fn open(dir: &std::path::Path, source: sled::Error) -> Self {
        let path = dir.display().to_string();
        match &source {
            sled::Error::Io(io) if io.kind() == std::io::ErrorKind::WouldBlock => {
                StoreError::Locked { path }
            }
            sled::Error::Io(io) if io.to_string().contains("lock") => StoreError::Locked { path },
            _ => StoreError::Open { path, source },
        }
    }
}
