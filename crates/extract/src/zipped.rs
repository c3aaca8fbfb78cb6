//! ZIP archives and the packages built on them (OOXML, ODF): members read under the budget
//! (total bytes, compression ratio, member count), names decoded as Taiwanese Windows writes
//! them (Big5 without the UTF-8 flag), nested archives opened recursively.

use crate::walk::Walk;
use crate::{Format, Origin, Part, Skip};
use std::io::{Cursor, Read};
use zip::ZipArchive;
use zip::result::ZipError;

/// A ZIP archive opened for reading, with its member names decoded.
pub(crate) struct Package<'b> {
    zip: ZipArchive<Cursor<&'b [u8]>>,
    names: Vec<String>,
}

impl<'b> Package<'b> {
    fn open(bytes: &'b [u8]) -> Result<Package<'b>, Skip> {
        let zip = ZipArchive::new(Cursor::new(bytes)).map_err(corrupt)?;
        let names = zip.file_names_raw().map(member_name).collect();
        Ok(Package { zip, names })
    }

    /// Member names, in central-directory order.
    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    /// Reads the member `name`, if present; problems are reported at `origin` and give `None`.
    pub(crate) fn read_name(
        &mut self,
        w: &mut Walk<'_>,
        name: &str,
        origin: &Origin,
    ) -> Option<Vec<u8>> {
        let i = self.names.iter().position(|n| n == name)?;
        self.read(w, i, origin)
    }

    /// Reads member `i` within the budget; problems are reported at `origin` and give `None`.
    pub(crate) fn read(&mut self, w: &mut Walk<'_>, i: usize, origin: &Origin) -> Option<Vec<u8>> {
        match self.read_inner(w, i) {
            Ok(v) => Some(v),
            Err(skip) => {
                w.skip(origin, skip);
                None
            }
        }
    }

    fn read_inner(&mut self, w: &mut Walk<'_>, i: usize) -> Result<Vec<u8>, Skip> {
        let limits = &w.budget.limits;
        let (max_total, max_ratio) = (limits.max_total, limits.max_ratio);
        let mut f = match self.zip.by_index(i) {
            Ok(f) => f,
            Err(ZipError::UnsupportedArchive(m)) if m.contains("assword") => {
                return Err(Skip::Encrypted);
            }
            Err(ZipError::InvalidPassword) => return Err(Skip::Encrypted),
            Err(e) => return Err(corrupt(e)),
        };
        if f.encrypted() {
            return Err(Skip::Encrypted);
        }
        let left = w.budget.bytes_left;
        if f.size() > left {
            return Err(Skip::TooLarge { limit: max_total });
        }
        let stored = f.compressed_size().max(1);
        // Declared sizes may lie: the real count below is what is enforced.
        let mut out = Vec::with_capacity(f.size().min(64 << 20) as usize);
        loop {
            // Inflated straight into `out`, a bounded step at a time so that the limits below
            // are checked as the data grows.
            match (&mut f).take(1 << 20).read_to_end(&mut out) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => return Err(Skip::Corrupt(format!("member data: {e}"))),
            }
            let got = out.len() as u64;
            if got > left {
                w.budget.bytes_left = 0;
                return Err(Skip::TooLarge { limit: max_total });
            }
            if got > 1 << 20 && got / stored > max_ratio {
                w.budget.bytes_left -= got;
                return Err(Skip::Ratio { limit: max_ratio });
            }
        }
        w.budget.bytes_left -= out.len() as u64;
        Ok(out)
    }

    /// Names of the files (not folders) under `prefix`.
    pub(crate) fn files_under(&self, prefix: &str) -> Vec<String> {
        self.names
            .iter()
            .filter(|n| n.starts_with(prefix) && !n.ends_with('/'))
            .cloned()
            .collect()
    }

    /// Whether member `i` is a directory entry.
    fn is_dir(&self, i: usize) -> bool {
        self.names[i].ends_with('/')
    }
}

fn corrupt(e: ZipError) -> Skip {
    Skip::Corrupt(format!("ZIP: {e}"))
}

/// Names as stored: UTF-8 (flagged or not), else Big5 as Traditional Chinese Windows writes it,
/// else code page 437 as the ZIP specification says.
fn member_name(raw: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(raw) {
        return s.to_string();
    }
    if let Some(s) = encoding_rs::BIG5.decode_without_bom_handling_and_without_replacement(raw) {
        return s.into_owned();
    }
    raw.iter()
        .map(|b| if b.is_ascii() { *b as char } else { '\u{FFFD}' })
        .collect()
}

/// Opens a ZIP-based input: an Office or ODF document, or an archive whose members are read
/// recursively.
pub(crate) fn extract(w: &mut Walk<'_>, bytes: &[u8], origin: &Origin) -> Format {
    let mut pkg = match Package::open(bytes) {
        Ok(p) => p,
        Err(skip) => {
            w.skip(origin, skip);
            return Format::Zip;
        }
    };
    let format = package_format(&mut pkg, w, origin);
    match format {
        Format::Docx | Format::Xlsx | Format::Pptx => {
            crate::ooxml::extract(w, &mut pkg, format, origin)
        }
        Format::Odt | Format::Ods | Format::Odp => crate::odf::extract(w, &mut pkg, format, origin),
        _ => members(w, &mut pkg, origin),
    }
    format
}

fn package_format(pkg: &mut Package<'_>, w: &mut Walk<'_>, origin: &Origin) -> Format {
    let has = |n: &str| pkg.names().iter().any(|m| m == n);
    if has("[Content_Types].xml") {
        if has("word/document.xml") {
            return Format::Docx;
        }
        if has("xl/workbook.xml") {
            return Format::Xlsx;
        }
        if has("ppt/presentation.xml") {
            return Format::Pptx;
        }
    }
    if has("mimetype")
        && let Some(m) = pkg.read_name(w, "mimetype", origin)
    {
        let m = String::from_utf8_lossy(&m);
        let m = m.trim();
        for (prefix, f) in [
            ("application/vnd.oasis.opendocument.text", Format::Odt),
            (
                "application/vnd.oasis.opendocument.spreadsheet",
                Format::Ods,
            ),
            (
                "application/vnd.oasis.opendocument.presentation",
                Format::Odp,
            ),
        ] {
            if m.starts_with(prefix) {
                return f;
            }
        }
    }
    Format::Zip
}

/// Every member of a plain archive, as a file of its own.
fn members(w: &mut Walk<'_>, pkg: &mut Package<'_>, origin: &Origin) {
    for i in 0..pkg.names().len() {
        if pkg.is_dir(i) {
            continue;
        }
        let here = origin.with(Part::Member(pkg.names()[i].clone()));
        if !take_member(w, origin) {
            return;
        }
        if let Some(data) = pkg.read(w, i, &here) {
            let name = pkg.names()[i].clone();
            w.dispatch(&data, Some(&name), &here);
        }
    }
}

/// Counts one member or attachment against the budget; false (reported once, at `origin`) when
/// none are left.
pub(crate) fn take_member(w: &mut Walk<'_>, origin: &Origin) -> bool {
    if w.budget.members_left == 0 {
        if !w.budget.members_reported {
            w.budget.members_reported = true;
            let limit = w.budget.limits.max_members;
            w.skip(origin, Skip::Members { limit });
        }
        return false;
    }
    w.budget.members_left -= 1;
    true
}
