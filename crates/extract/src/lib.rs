//! # baomi-extract
//!
//! Turns bytes into the text that `baomi-inspect` scans. This first part handles plain text as
//! agencies really store it: UTF-8 (with or without BOM), UTF-16 with BOM, and Big5/CP950 from
//! older systems, detected from the content and decoded as a stream, so that a 2 GB file needs no
//! more memory than a few chunks. Binary content is recognised and reported, never scanned as
//! garbage. Office, PDF, e-mail, archives and OCR come next (issue 3).
#![deny(missing_docs)]

pub mod decode;

pub use decode::{Encoding, Sniffed, TextDecoder, sniff};
