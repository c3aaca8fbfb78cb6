//! The scanner: runs every detector over a text and resolves overlaps.

use crate::cjk::{Hit, WordSet};
use crate::detect::keyword::{Dictionary, KeywordMatcher};
use crate::detect::{address, marking::MarkingDetector, name, token::TokenDetectors};
use crate::finding::{Context, Finding, Kind};
use crate::fold::Folded;
use aho_corasick::{AhoCorasick, MatchKind};

/// What a CJK trigger word starts.
#[derive(Clone, Copy)]
enum Role {
    Address,
    Marking,
    NameAfter(Option<Context>),
    PersonWord,
    Title,
    NameAfterAndTitle,
}

/// The CJK trigger words: a bitmap of first characters (see `cjk`), or an Aho-Corasick automaton
/// if some word does not start with a CJK character.
enum Triggers {
    None,
    Words(WordSet),
    Automaton(AhoCorasick),
}

impl Triggers {
    fn new(pats: &[&str]) -> Triggers {
        if pats.is_empty() {
            return Triggers::None;
        }
        match WordSet::new(pats) {
            Some(w) => Triggers::Words(w),
            None => Triggers::Automaton(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(pats)
                    .expect("built-in trigger words"),
            ),
        }
    }

    fn find_all(&self, text: &str, out: &mut Vec<Hit>) {
        match self {
            Triggers::None => {}
            Triggers::Words(w) => w.find_all(text, out),
            Triggers::Automaton(a) => out.extend(a.find_iter(text).map(|m| Hit {
                pattern: m.pattern().as_usize(),
                start: m.start(),
                end: m.end(),
            })),
        }
    }
}

/// Which kinds to look for.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Kinds reported; others are not even looked for.
    pub kinds: Vec<Kind>,
    /// Findings below this confidence are dropped.
    pub min_confidence: f32,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            kinds: Kind::ALL.to_vec(),
            min_confidence: 0.0,
        }
    }
}

/// A compiled set of detectors. Build once, share across threads, call [`Scanner::scan`] per text.
pub struct Scanner {
    tokens: TokenDetectors,
    markings: MarkingDetector,
    cjk: Triggers,
    roles: Vec<Role>,
    keywords: Option<KeywordMatcher>,
    /// Whether any digit-anchored kind is enabled.
    tokens_on: bool,
    enabled: [bool; Kind::ALL.len()],
    min_confidence: f32,
}

impl Scanner {
    /// All built-in detectors, no dictionary.
    pub fn new() -> Scanner {
        Scanner::with(&Dictionary::default(), &ScanOptions::default())
    }

    /// Built-in detectors plus a user dictionary, restricted by `opts`.
    pub fn with(dict: &Dictionary, opts: &ScanOptions) -> Scanner {
        let mut enabled = [false; Kind::ALL.len()];
        for k in &opts.kinds {
            enabled[*k as usize] = true;
        }
        let mut pats: Vec<String> = vec![];
        let mut roles = vec![];
        if enabled[Kind::Address as usize] {
            pats.push("號".into());
            roles.push(Role::Address);
        }
        if enabled[Kind::Classification as usize] {
            pats.push("密".into());
            roles.push(Role::Marking);
        }
        if enabled[Kind::PersonName as usize] {
            // Roles ending in 人 are found by their last two chars (情人, 辦人 ...): a pair is far
            // rarer than 人 alone, and the role is then checked in full by looking back.
            for suffix in name::role_suffixes() {
                pats.push(suffix);
                roles.push(Role::PersonWord);
            }
            for w in name::BEFORE_NAME {
                pats.push(w.to_string());
                roles.push(if name::AFTER_TITLE.contains(w) {
                    Role::NameAfterAndTitle
                } else {
                    Role::NameAfter(None)
                });
            }
            for w in name::AFTER_TITLE {
                if !pats.iter().any(|p| p == w) {
                    pats.push(w.to_string());
                    roles.push(Role::Title);
                }
            }
        }
        let pats: Vec<&str> = pats.iter().map(String::as_str).collect();
        let cjk = Triggers::new(&pats);
        Scanner {
            tokens: TokenDetectors::new(),
            markings: MarkingDetector::new(),
            cjk,
            roles,
            tokens_on: Kind::DIGIT_ANCHORED.iter().any(|k| enabled[*k as usize]),
            keywords: if enabled[Kind::Keyword as usize] {
                KeywordMatcher::new(dict)
            } else {
                None
            },
            enabled,
            min_confidence: opts.min_confidence,
        }
    }

    /// Every finding in `text`, sorted by start, overlaps between personal-data kinds resolved.
    pub fn scan(&self, text: &str) -> Vec<Finding> {
        let mut out = Vec::new();
        self.scan_into(text, &mut out);
        out
    }

    /// Like [`Scanner::scan`], appending to `out` (which is cleared first).
    pub fn scan_into(&self, text: &str, out: &mut Vec<Finding>) {
        out.clear();
        let mut folded = Folded::default();
        let mut hits = Vec::new();
        // One SIMD pass for both kinds of triggers where the CPU allows; two otherwise.
        let one_pass = match &self.cjk {
            Triggers::Words(w) => {
                let tokens = self
                    .tokens_on
                    .then_some(|p| self.tokens.at(text, p, &mut folded, out));
                w.find_all_and_tokens(text, &mut hits, tokens)
            }
            _ => false,
        };
        if !one_pass {
            if self.tokens_on {
                self.tokens.scan(text, &mut folded, out);
            }
            self.cjk.find_all(text, &mut hits);
        }
        let mut marked_to = 0;
        let mut addr_to = 0;
        let mut names_to = 0;
        for m in hits {
            match self.roles[m.pattern] {
                Role::Address => {
                    if m.start >= addr_to
                        && let Some(f) = address::at(text, m.start, &mut folded)
                    {
                        addr_to = f.end;
                        out.push(f);
                    }
                }
                Role::Marking => {
                    if m.start >= marked_to {
                        marked_to = self.markings.at(text, m.start, &mut folded, out);
                    }
                }
                Role::PersonWord => {
                    if m.start >= names_to
                        && let Some(ctx) = name::person_role(text, m.end)
                    {
                        names_to = name::after_context(text, m.end, ctx, out);
                    }
                }
                Role::NameAfter(ctx) => {
                    if m.start >= names_to {
                        names_to = name::after_context(text, m.end, ctx, out);
                    }
                }
                Role::NameAfterAndTitle => {
                    name::before_title(text, m.start, &text[m.start..m.end], out);
                    if m.start >= names_to {
                        names_to = name::after_context(text, m.end, None, out);
                    }
                }
                Role::Title => name::before_title(text, m.start, &text[m.start..m.end], out),
            }
        }
        if let Some(k) = &self.keywords {
            k.scan(text, out);
        }
        out.retain(|f| self.enabled[f.kind as usize] && f.confidence >= self.min_confidence);
        resolve(out);
    }
}

impl Default for Scanner {
    fn default() -> Self {
        Scanner::new()
    }
}

/// Sorts findings and drops personal-data findings that overlap a stronger one.
/// Markings and dictionary terms are another dimension and never displace personal data.
fn resolve(out: &mut Vec<Finding>) {
    out.sort_by(|a, b| {
        a.start
            .cmp(&b.start)
            .then(b.end.cmp(&a.end))
            .then(a.kind.cmp(&b.kind))
    });
    out.dedup_by(|b, a| a.kind == b.kind && a.start == b.start && a.end == b.end);
    let mut keep = vec![true; out.len()];
    for i in 0..out.len() {
        if !keep[i] || !out[i].kind.is_personal_data() && out[i].kind != Kind::TwBusinessId {
            continue;
        }
        for j in i + 1..out.len() {
            if out[j].start >= out[i].end {
                break;
            }
            if !keep[j] || !out[j].kind.is_personal_data() && out[j].kind != Kind::TwBusinessId {
                continue;
            }
            // Same kind: the longer (earlier-sorted) one wins; else the more confident one,
            // ties to the longer span.
            let (a, b) = (&out[i], &out[j]);
            let i_wins = a.kind == b.kind
                || a.confidence > b.confidence
                || (a.confidence == b.confidence && a.end - a.start >= b.end - b.start);
            if i_wins {
                keep[j] = false;
            } else {
                keep[i] = false;
                break;
            }
        }
    }
    let mut it = keep.iter();
    out.retain(|_| *it.next().unwrap_or(&true));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-pass SIMD path and the plain two-pass path find the same triggers and tokens.
    #[test]
    fn one_pass_and_two_passes_agree() {
        let s = Scanner::new();
        let Triggers::Words(words) = &s.cjk else {
            panic!("built-in triggers are CJK words")
        };
        let text = "陳情人王小明（身分證A123456789）住臺北市中正區重慶南路一段122號，電話０９１２－３４５－６７８。\n\
                    密等：機密\n委員：林佳蓉、歐陽志明。承辦人張家豪 wang@example.com 新臺幣1234萬元，113年5月3日。"
            .repeat(40);
        for start in 0..9 {
            let t = &text[text.ceil_char_boundary(start)..];
            let (mut f1, mut f2) = (Folded::default(), Folded::default());
            let (mut out1, mut out2) = (vec![], vec![]);
            let (mut h1, mut h2) = (vec![], vec![]);
            let done = words.find_all_and_tokens(
                t,
                &mut h1,
                Some(|p| s.tokens.at(t, p, &mut f1, &mut out1)),
            );
            if !done {
                return; // no AVX2 here: only one path exists
            }
            s.tokens.scan(t, &mut f2, &mut out2);
            words.scalar(t.as_bytes(), 0, &mut h2);
            let key = |h: &Vec<Hit>| h.iter().map(|h| (h.start, h.pattern)).collect::<Vec<_>>();
            assert_eq!(key(&h1), key(&h2));
            assert_eq!(out1, out2);
            assert!(
                out1.len() >= 100 && h1.len() >= 200,
                "{} {}",
                out1.len(),
                h1.len()
            );
        }
    }
}
