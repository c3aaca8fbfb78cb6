//! User dictionaries: operation code names, project names, anything an agency must not let out,
//! each with an optional classification level. Matched with Aho-Corasick on the original text;
//! each term is expanded into its 臺/台 and full-/half-width spellings instead of folding the text.

use crate::finding::{Finding, Kind, Level};
use crate::fold::fold_str;
use aho_corasick::{AhoCorasick, MatchKind};

/// Most terms in a dictionary, and most chars in a term: within these the automaton always builds
/// and its size is bounded (code-name lists hold tens to thousands of terms), so an oversized
/// dictionary is refused at parse time, with its line number, rather than failing later.
const MAX_TERMS: usize = 20_000;
const MAX_TERM_CHARS: usize = 64;

/// Most spellings one term expands to; beyond that only its written and folded forms are kept.
const MAX_VARIANTS: usize = 8;

/// One dictionary entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The term as written in the dictionary.
    pub term: String,
    /// Its classification level, if the term itself is classified.
    pub level: Option<Level>,
}

/// A parsed dictionary file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dictionary {
    /// Entries in file order.
    pub entries: Vec<Entry>,
}

/// A dictionary line that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("dictionary line {line}: {reason}")]
pub struct DictionaryError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

impl Dictionary {
    /// Parses the dictionary format: one term per line, optionally followed by a tab or a comma
    /// and a level (密, 機密, 極機密, 絕對機密). `#` starts a comment line; blank lines are ignored.
    pub fn parse(src: &str) -> Result<Dictionary, DictionaryError> {
        let mut entries = vec![];
        for (i, raw) in src.lines().enumerate() {
            let line = raw.trim_start_matches('\u{FEFF}').trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (term, level) = match line.split_once(['\t', ',', '，']) {
                Some((t, l)) if !l.trim().is_empty() => {
                    let level = Level::parse(l).ok_or_else(|| DictionaryError {
                        line: i + 1,
                        reason: format!(
                            "unknown level {:?} (expected 密, 機密, 極機密 or 絕對機密)",
                            l.trim()
                        ),
                    })?;
                    (t.trim(), Some(level))
                }
                Some((t, _)) => (t.trim(), None),
                None => (line, None),
            };
            if term.chars().count() < 2 {
                return Err(DictionaryError {
                    line: i + 1,
                    reason: "a term needs at least 2 characters".into(),
                });
            }
            if term.chars().count() > MAX_TERM_CHARS {
                return Err(DictionaryError {
                    line: i + 1,
                    reason: format!("a term may have at most {MAX_TERM_CHARS} characters"),
                });
            }
            if entries.len() == MAX_TERMS {
                return Err(DictionaryError {
                    line: i + 1,
                    reason: format!("a dictionary may hold at most {MAX_TERMS} terms"),
                });
            }
            entries.push(Entry {
                term: term.to_string(),
                level,
            });
        }
        Ok(Dictionary { entries })
    }
}

/// A compiled dictionary.
pub(crate) struct KeywordMatcher {
    ac: AhoCorasick,
    /// Entry index per pattern.
    owner: Vec<usize>,
    levels: Vec<Option<Level>>,
}

impl KeywordMatcher {
    pub fn new(dict: &Dictionary) -> Option<Self> {
        if dict.entries.is_empty() {
            return None;
        }
        let mut pats = vec![];
        let mut owner = vec![];
        for (i, e) in dict.entries.iter().enumerate() {
            for v in variants(&e.term) {
                pats.push(v);
                owner.push(i);
            }
        }
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&pats)
            .expect("dictionaries within MAX_TERMS and MAX_TERM_CHARS always build");
        Some(KeywordMatcher {
            ac,
            owner,
            levels: dict.entries.iter().map(|e| e.level).collect(),
        })
    }

    pub fn scan(&self, text: &str, out: &mut Vec<Finding>) {
        for m in self.ac.find_iter(text) {
            let entry = self.owner[m.pattern().as_usize()];
            let mut f = Finding::new(Kind::Keyword, m.start(), m.end(), 0.99, "dictionary");
            f.level = self.levels[entry];
            out.push(f);
        }
    }
}

/// Spellings of a term: each 台/臺 either way, ASCII as written, upper- or lower-case, half- or
/// full-width. Spelled out rather than searched case-insensitively: that would turn off the
/// SIMD prefilter for every dictionary, including the all-Chinese ones.
fn variants(term: &str) -> Vec<String> {
    let base = fold_str(term);
    let mut out: Vec<String> = vec![String::new()];
    for c in base.chars() {
        let alts: &[char] = if c == '台' { &['台', '臺'] } else { &[] };
        if alts.is_empty() || out.len() * 2 > MAX_VARIANTS {
            out.iter_mut().for_each(|s| s.push(c));
        } else {
            out = out
                .into_iter()
                .flat_map(|s| alts.iter().map(move |a| format!("{s}{a}")))
                .collect();
        }
    }
    let cased: Vec<String> = out
        .iter()
        .filter(|s| s.chars().any(|c| c.is_ascii_alphabetic()))
        .flat_map(|s| [s.to_ascii_uppercase(), s.to_ascii_lowercase()])
        .collect();
    out.extend(cased);
    let widened: Vec<String> = out
        .iter()
        .filter(|s| s.chars().any(|c| c.is_ascii_graphic()))
        .map(|s| {
            s.chars()
                .map(|c| {
                    if c.is_ascii_graphic() {
                        char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)
                    } else {
                        c
                    }
                })
                .collect()
        })
        .collect();
    out.extend(widened);
    out.push(term.to_string());
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_levels_and_rejects_bad_lines() {
        let d =
            Dictionary::parse("# 專案代號\n雷霆專案\t極機密\n臺東小組,\nAlpha-7, 機密\n").unwrap();
        assert_eq!(d.entries.len(), 3);
        assert_eq!(d.entries[0].level, Some(Level::Jijimi));
        assert_eq!(d.entries[1].level, None);
        let e = Dictionary::parse("ok\n雷霆專案\t最高機密\n").unwrap_err();
        assert_eq!(e.line, 2);
        let long = format!("短詞\n{}\n", "長".repeat(MAX_TERM_CHARS + 1));
        assert_eq!(Dictionary::parse(&long).unwrap_err().line, 2);
    }

    #[test]
    fn matches_variant_spellings() {
        let d = Dictionary::parse("臺東小組\nAlpha-7\t機密").unwrap();
        let m = KeywordMatcher::new(&d).unwrap();
        let text = "台東小組與ＡＬＰＨＡ－７及alpha-7";
        let mut out = vec![];
        m.scan(text, &mut out);
        let got: Vec<&str> = out.iter().map(|f| &text[f.start..f.end]).collect();
        assert_eq!(got, vec!["台東小組", "ＡＬＰＨＡ－７", "alpha-7"]);
        assert_eq!(out[1].level, Some(Level::Jimi));
    }
}
