//! One error type for the crate, with the path or object it concerns.

use crate::proof::ProofError;
use std::io;

/// Errors of the log: I/O with its path, missing or corrupt resources, bad notes, bad proofs.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// File or resource concerned.
        path: String,
        /// Underlying error.
        source: io::Error,
    },
    /// A resource the tree needs is absent.
    #[error("{0}: missing")]
    Missing(String),
    /// A resource exists but its content is wrong.
    #[error("{path}: {reason}")]
    Corrupt {
        /// Resource concerned.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A signed note or checkpoint is malformed or its signature does not verify.
    #[error("note: {0}")]
    Note(String),
    /// A key could not be read or parsed.
    #[error("key: {0}")]
    Key(String),
    /// A proof failed.
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// An entry is larger than an entry bundle can hold.
    #[error("entry of {0} bytes exceeds the 65535-byte limit of entry bundles")]
    EntryTooLarge(usize),
    /// The log is held by another writer.
    #[error("{0}: the log is locked by another writer")]
    Locked(String),
    /// The writer stopped (after an I/O error it refuses further appends).
    #[error("log writer stopped: {0}")]
    Stopped(String),
}

impl Error {
    pub(crate) fn io(path: impl std::fmt::Display, source: io::Error) -> Error {
        Error::Io {
            path: path.to_string(),
            source,
        }
    }

    pub(crate) fn corrupt(path: impl std::fmt::Display, reason: impl Into<String>) -> Error {
        Error::Corrupt {
            path: path.to_string(),
            reason: reason.into(),
        }
    }
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
