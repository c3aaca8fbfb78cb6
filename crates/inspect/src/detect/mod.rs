//! The detectors. Token detectors are anchored on digits and `@`; the others on CJK words
//! found by one Aho-Corasick pass (號 for addresses, 密 for markings, context words for names).

pub(crate) mod address;
pub(crate) mod context;
pub mod keyword;
pub(crate) mod marking;
pub(crate) mod name;
mod phone;
mod region;
pub(crate) mod token;
