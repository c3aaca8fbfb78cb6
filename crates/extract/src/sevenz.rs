//! 7-Zip archives (`sevenz-rust2`, pure Rust): every entry read as a file of its own, under the
//! same budget as ZIP members. Solid blocks do not say what each entry was compressed to, so the
//! ratio is checked for the whole archive: output so far against the archive's size.

use crate::walk::Walk;
use crate::zipped::take_member;
use crate::{Origin, Part, Skip};
use sevenz_rust2::{ArchiveReader, Error, Password};
use std::io::Cursor;

/// Dictionary and header memory one archive may ask for (KiB).
const MEMORY_KIB: usize = 256 << 10;

pub(crate) fn extract(w: &mut Walk<'_>, bytes: &[u8], origin: &Origin) {
    let mut r = match ArchiveReader::new_with_memory_limit(
        Cursor::new(bytes),
        Password::empty(),
        MEMORY_KIB,
    ) {
        Ok(r) => r,
        Err(e) => return w.skip(origin, reason(e)),
    };
    r.set_thread_count(1);
    let archive = bytes.len().max(1) as u64;
    let max_ratio = w.budget.limits.max_ratio;
    let max_total = w.budget.limits.max_total;
    let mut produced = 0u64;
    let mut stopped: Option<(Origin, Skip)> = None;
    let res = r.for_each_entries(|entry, rd| {
        if entry.is_directory {
            return Ok(true);
        }
        if !take_member(w, origin) {
            return Ok(false);
        }
        let here = origin.with(Part::Member(entry.name.clone()));
        let mut data = vec![];
        let mut buf = vec![0u8; 64 << 10];
        loop {
            let n = rd.read(&mut buf).map_err(Error::from)?;
            if n == 0 {
                break;
            }
            data.extend_from_slice(&buf[..n]);
            produced += n as u64;
            if data.len() as u64 > w.budget.bytes_left {
                stopped = Some((here, Skip::TooLarge { limit: max_total }));
                return Ok(false);
            }
            if produced > 1 << 20 && produced / archive > max_ratio {
                stopped = Some((here, Skip::Ratio { limit: max_ratio }));
                return Ok(false);
            }
        }
        w.budget.bytes_left -= data.len() as u64;
        w.dispatch(&data, Some(&entry.name), &here);
        Ok(true)
    });
    if let Some((at, skip)) = stopped {
        w.skip(&at, skip);
    } else if let Err(e) = res {
        w.skip(origin, reason(e));
    }
}

fn reason(e: Error) -> Skip {
    match e {
        Error::PasswordRequired | Error::MaybeBadPassword(_) => Skip::Encrypted,
        e => Skip::Corrupt(format!("7z: {e}")),
    }
}
