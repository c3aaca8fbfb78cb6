//! # baomi-inspect
//!
//! The inspection engine of baomi: finds Taiwanese personal data (national and resident IDs,
//! business IDs, phones, e-mail, addresses, licence plates, payment cards, names) and
//! classification markings in text, masks them by the conventions Taiwanese agencies publish, and
//! takes the policy decision every channel (chat, attachment, forward, mail, publication) asks for.
//!
//! Pure library: no I/O, no async. Every channel calls it on every message and document, so it is
//! the hot path: digit-anchored detectors start from a SIMD scan for digits and `@`, the others from
//! one Aho-Corasick pass over trigger words; regexes only ever run on small windows around them.
//!
//! ```
//! use baomi_inspect::{Kind, Scanner};
//! let text = "陳情人王小明，身分證字號A123456789，電話0912-345-678。";
//! let found = Scanner::new().scan(text);
//! let kinds: Vec<Kind> = found.iter().map(|f| f.kind).collect();
//! assert_eq!(kinds, [Kind::PersonName, Kind::TwNationalId, Kind::Phone]);
//! ```
#![deny(missing_docs)]

mod charset;
pub mod checksum;
mod cjk;
mod detect;
mod finding;
pub mod fold;
pub mod mask;
pub mod policy;
pub mod rules;
mod scanner;
mod trigger;

pub use detect::address::{AddressParts, parts as address_parts};
pub use detect::keyword::{Dictionary, DictionaryError, Entry};
pub use finding::{Context, Finding, Kind, Level};
pub use scanner::{ScanOptions, Scanner};
