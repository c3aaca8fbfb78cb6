//! Runs the extractor and keeps what it reported.
#![allow(dead_code)]

use baomi_extract::{Event, Extractor, Limits, Ocr, Skip};

/// Origin, text and cell places of one segment.
pub type Text = (String, String, Vec<(usize, baomi_extract::Cell)>);

/// What one extraction reported: (origin, text, places) and (origin, skip).
#[derive(Debug, Default)]
pub struct Got {
    pub texts: Vec<Text>,
    pub skips: Vec<(String, Skip)>,
}

impl Got {
    /// All text at origins ending with `suffix`.
    pub fn at(&self, suffix: &str) -> String {
        self.texts
            .iter()
            .filter(|(o, _, _)| o.ends_with(suffix))
            .map(|(_, t, _)| t.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// All text.
    pub fn all(&self) -> String {
        self.texts
            .iter()
            .map(|(_, t, _)| t.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn origins(&self) -> Vec<&str> {
        self.texts.iter().map(|(o, _, _)| o.as_str()).collect()
    }
}

pub fn extract_with(bytes: &[u8], name: &str, limits: Limits, ocr: Ocr) -> Got {
    let mut got = Got::default();
    Extractor::new(limits, ocr).extract(bytes, Some(name), &mut |e| match e {
        Event::Text(s) => {
            got.texts
                .push((s.origin.to_string(), s.text.to_string(), s.places.to_vec()))
        }
        Event::Skipped { origin, skip } => got.skips.push((origin.to_string(), skip)),
    });
    got
}

pub fn extract(bytes: &[u8], name: &str) -> Got {
    extract_with(bytes, name, Limits::default(), Ocr::disabled())
}

/// The package with one member's bytes replaced.
pub fn replace_member(pkg: &[u8], name: &str, data: &[u8]) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(pkg)).unwrap();
    let mut members: Vec<(String, Vec<u8>)> = vec![];
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut buf = vec![];
        std::io::Read::read_to_end(&mut f, &mut buf).unwrap();
        let n = String::from_utf8_lossy(f.name_raw()).into_owned();
        members.push((n.clone(), if n == name { data.to_vec() } else { buf }));
    }
    let refs: Vec<(&str, &[u8])> = members
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    baomi_corpus::formats::zip_of(&refs)
}

/// One member's bytes.
pub fn member(pkg: &[u8], name: &str) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(pkg)).unwrap();
    let mut f = zip.by_name(name).unwrap();
    let mut buf = vec![];
    std::io::Read::read_to_end(&mut f, &mut buf).unwrap();
    buf
}
