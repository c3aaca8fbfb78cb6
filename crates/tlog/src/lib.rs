//! # baomi-tlog
//!
//! The tamper-evident log of baomi. Every decision and state change of the server is appended
//! here as an entry (canonical bytes of an audit event, never message content), and nobody,
//! including the operators of the server, can alter or truncate it without people outside the
//! server noticing.
//!
//! It speaks the published formats, so independent tools can check it:
//! - RFC 6962 / RFC 9162 Merkle trees, inclusion and consistency proofs ([`hash`], [`proof`]);
//! - C2SP tlog-tiles: the tree and entries as immutable static files ([`tile`], [`bundle`]);
//! - C2SP tlog-checkpoint and signed-note with Ed25519 ([`checkpoint`], [`note`]);
//! - C2SP tlog-cosignature for witnesses ([`witness`]).
//!
//! [`Log`] is the writer: appends from many threads are integrated in batches, each made durable
//! (fsync) before its checkpoint is signed and before any writer is answered. [`verify`] checks a
//! whole log from its tiles; [`witness`] follows a log and refuses forks and rollbacks.
#![deny(missing_docs)]

pub mod bundle;
pub mod checkpoint;
mod error;
pub mod hash;
mod log;
pub mod note;
pub mod proof;
pub mod reader;
mod state;
pub mod store;
pub mod tile;
mod tree;
pub mod verify;
pub mod witness;

pub use checkpoint::Checkpoint;
pub use error::{Error, Result};
pub use hash::Hash;
pub use log::{Log, LogPaths, Options, Pending, committed, init, init_with_key, verifier};
pub use note::{Note, Signer, Verifier};
