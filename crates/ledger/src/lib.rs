//! # baomi-ledger
//!
//! The core of the look-up ledger (電腦查詢紀錄簿): what a look-up in a citizen-data system is
//! ([`Lookup`]), how the source systems' daily files are read ([`csvfile`]), the reference data
//! the rules check against ([`Reference`]: duty roster, case registry, protected persons, staff),
//! the agency's reason codes and rule tuning ([`LedgerConfig`]), the operators' own history
//! ([`History`]) and the anomaly rules ([`rules`]) that explain in zh-TW why a look-up deserves a
//! supervisor's or the integrity officer's attention; plus the reproducible monthly sample for
//! spot checks ([`sample`]).
//!
//! No I/O and no clock: the server stores and schedules, this crate decides. Subjects are only
//! ever seen here as keyed hashes ([`SubjectKey`]): the rules never need the identifier itself.
#![deny(missing_docs)]

pub mod clock;
pub mod config;
pub mod csvfile;
pub mod history;
pub mod lookup;
pub mod reference;
pub mod rules;
pub mod sample;

pub use config::LedgerConfig;
pub use history::History;
pub use lookup::{Action, Lookup, RawLookup, SubjectKey, SubjectKeyer};
pub use reference::Reference;
pub use rules::{Flag, Hit, evaluate};
