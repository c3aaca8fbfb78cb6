//! Digit-anchored detectors: national and resident IDs, business IDs, phones, cards, e-mail,
//! licence plates. They run on a "token region": the run of ASCII/full-width letters, digits
//! and separators around a trigger byte, folded to ASCII.

use super::context;
use super::phone::{cjk_extension_len, extension_len, national_number, valid_tw_number};
use super::region::{is_ascii_token, region, token_char_at, token_char_before};
use crate::checksum::{self, IdKind};
use crate::finding::{Finding, Kind};
use crate::fold::{Folded, fold_char};
use regex_automata::dfa::regex::Regex as DfaRegex;
use std::sync::LazyLock;

/// An ASCII-only pattern compiled to dense DFAs (forward and reverse). Token regions are a few
/// bytes long and every one runs several patterns: a dense DFA has no cache to fetch and no lazy
/// states to build, where a general regex pays a fixed cost per search that dwarfs the search.
struct Regex(DfaRegex);

/// A match in a haystack.
struct M<'h> {
    h: &'h str,
    s: usize,
    e: usize,
}

impl<'h> M<'h> {
    fn start(&self) -> usize {
        self.s
    }
    fn end(&self) -> usize {
        self.e
    }
    fn as_str(&self) -> &'h str {
        &self.h[self.s..self.e]
    }
}

impl Regex {
    fn new(p: &str) -> Result<Regex, Box<regex_automata::dfa::dense::BuildError>> {
        DfaRegex::new(p).map(Regex).map_err(Box::new)
    }

    fn find_iter<'r, 'h>(&'r self, h: &'h str) -> impl Iterator<Item = M<'h>> + use<'r, 'h> {
        self.0.find_iter(h.as_bytes()).map(move |m| M {
            h,
            s: m.start(),
            e: m.end(),
        })
    }
}

/// A pattern searched by anchored forward DFA runs from each position that can start a match,
/// giving the same leftmost-first matches as an unanchored search. For the phone pattern the
/// unanchored DFA has ~70x the states (857 KB, 30 ms to build at every start-up: each digit may
/// start a new number while older ones are still alive); the anchored one has 12 KB and 0.3 ms.
/// Token regions are a few dozen bytes, so the repeated starts cost little.
struct AnchoredRegex {
    dfa: regex_automata::dfa::dense::DFA<Vec<u32>>,
    /// Bytes that do not lead the start state into the dead state.
    first: [bool; 256],
}

impl AnchoredRegex {
    fn new(p: &str) -> Result<AnchoredRegex, Box<regex_automata::dfa::dense::BuildError>> {
        use regex_automata::dfa::{Automaton, StartKind, dense};
        let dfa = dense::Builder::new()
            .configure(dense::Config::new().start_kind(StartKind::Anchored))
            .build(p)
            .map_err(Box::new)?;
        let mut first = [true; 256];
        // Without look-around the start state is the same everywhere, and the first byte decides.
        if let Some(start) = dfa.universal_start_state(regex_automata::Anchored::Yes) {
            for (b, f) in first.iter_mut().enumerate() {
                *f = !dfa.is_dead_state(dfa.next_state(start, b as u8));
            }
        }
        Ok(AnchoredRegex { dfa, first })
    }

    fn find_iter<'r, 'h>(&'r self, h: &'h str) -> impl Iterator<Item = M<'h>> + use<'r, 'h> {
        use regex_automata::dfa::Automaton;
        use regex_automata::{Anchored, Input};
        let b = h.as_bytes();
        let mut at = 0;
        std::iter::from_fn(move || {
            while at < b.len() {
                let s = at;
                at += 1;
                if !self.first[b[s] as usize] {
                    continue;
                }
                let input = Input::new(b).range(s..).anchored(Anchored::Yes);
                // A dense DFA without look-around or a size limit cannot fail to search.
                if let Ok(Some(m)) = self.dfa.try_search_fwd(&input) {
                    at = m.offset().max(s + 1);
                    return Some(M {
                        h,
                        s,
                        e: m.offset(),
                    });
                }
            }
            None
        })
    }
}

/// Words before a number that make an 8-digit checksum-valid number a 統一編號.
pub(crate) const BUSINESS_CONTEXT: &[&str] = &[
    "統一編號",
    "統編",
    "營利事業",
    "營業人",
    "統一編碼",
    "扣繳單位",
    "公司編號",
    "VAT",
    "Tax ID",
];

/// Words near a plate-shaped token that make it a licence plate.
pub(crate) const PLATE_CONTEXT: &[&str] = &[
    "車牌",
    "車號",
    "牌照",
    "號牌",
    "車輛",
    "汽車",
    "機車",
    "小客車",
    "小貨車",
    "自小客",
    "重機",
    "車主",
    "拖吊",
    "違規停車",
    "超速",
    "行車",
    "肇事",
    "監理",
    "停車",
];

static PHONE_WORDS: LazyLock<context::Words> = LazyLock::new(|| context::Words::new(PHONE_CONTEXT));
static BUSINESS_WORDS: LazyLock<context::Words> =
    LazyLock::new(|| context::Words::new(BUSINESS_CONTEXT));
static PLATE_WORDS: LazyLock<context::Words> = LazyLock::new(|| context::Words::new(PLATE_CONTEXT));

/// Words before a local phone number (no area code) that make it a phone.
const PHONE_CONTEXT: &[&str] = &[
    "電話", "手機", "Tel", "TEL", "tel", "聯絡", "市話", "行動", "傳真",
];

/// Taiwanese phone numbers as written: +886 or 00886 forms, area codes in parentheses, mobiles,
/// landlines with separators or as 9-10 digits.
const PHONE: &str = r"(?x-u)
    (?:\+|00)?\ ?886[\ -]?(?:\(0?[2-9][0-9]{0,2}\)|0?[2-9][0-9]{0,2})[\ -]?[0-9]{2,4}[\ -]?[0-9]{3,4}
  | \(0[2-9][0-9]{0,2}\)\ ?[0-9]{2,4}[\ -]?[0-9]{3,4}
  | 09[0-9]{2}[\ -]?[0-9]{3}[\ -]?[0-9]{3}
  | 0[2-8][0-9]{0,2}[\ -][0-9]{2,4}[\ -]?[0-9]{3,4}
  | 0[2-8][0-9]{7,8}
";

pub(crate) struct TokenDetectors {
    id: Regex,
    phone: AnchoredRegex,
    local_phone: Regex,
    card: Regex,
    email: Regex,
    business: Regex,
    plate: Regex,
}

impl TokenDetectors {
    pub fn new() -> Self {
        let re = |p: &str| Regex::new(p).expect("built-in pattern");
        TokenDetectors {
            id: re(r"(?i-u)\b[A-Z] ?[1289A-D](?: ?[0-9]){8}\b"),
            phone: AnchoredRegex::new(PHONE).expect("built-in pattern"),
            local_phone: re(r"(?-u)\b[2-9][0-9]{2,3}-[0-9]{4}\b"),
            card: re(r"(?-u)[0-9]{4}(?:[ -]?[0-9]{2,6}){2,4}"),
            email: re(
                r"(?i-u)[a-z0-9_%+\-][a-z0-9._%+\-]*@[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*\.[a-z]{2,24}\b",
            ),
            business: re(r"(?-u)\b[0-9]{8}\b"),
            plate: re(
                r"(?i-u)\b(?:[A-Z]{3}-?[0-9]{4}|[A-Z]{2}-?[0-9]{4}|[0-9]{4}-?[A-Z]{2}|[0-9]{3}-?[A-Z]{3}|[A-Z]{3}-?[0-9]{3}|[A-Z]{2}-?[0-9]{3}|[0-9]{2}-[A-Z]{2}|[A-Z][0-9]-[0-9]{4})\b",
            ),
        }
    }

    /// Runs every token detector over `text`, appending to `out`.
    pub fn scan(&self, text: &str, folded: &mut Folded, out: &mut Vec<Finding>) {
        crate::trigger::for_each(text.as_bytes(), 0, |p| self.at(text, p, folded, out));
    }

    /// Handles the candidate byte `p` (see `trigger`); returns where scanning resumes.
    #[inline]
    pub fn at(&self, text: &str, p: usize, folded: &mut Folded, out: &mut Vec<Finding>) -> usize {
        let hay = text.as_bytes();
        if !crate::trigger::is_candidate(hay, p) {
            return p + 1;
        }
        // Fast path for the numbers of ordinary prose (113年, 61%, 第3條): a short run of ASCII
        // token bytes between non-token chars, with too few digits to hold anything we look for.
        // It is the region `scan_region` would be given, rejected by the same counts.
        if hay[p].is_ascii_digit() && (p == 0 || token_char_before(hay, text, p).is_none()) {
            let (mut digits, mut letters, mut q) = (0, 0, p);
            while q < hay.len() && q - p < 12 && hay[q] != b'@' && is_ascii_token(hay[q]) {
                digits += hay[q].is_ascii_digit() as usize;
                letters += hay[q].is_ascii_alphabetic() as usize;
                q += 1;
            }
            if digits < 5
                && !(letters >= 2 && digits >= 3)
                && (q == hay.len() || token_char_at(hay, text, q).is_none())
            {
                return q;
            }
        }
        let (start, end) = region(text, p);
        self.scan_region(text, start, end, folded, out);
        end.max(p + 1)
    }

    fn scan_region(
        &self,
        text: &str,
        start: usize,
        end: usize,
        f: &mut Folded,
        out: &mut Vec<Finding>,
    ) {
        let bytes = &text.as_bytes()[start..end];
        let (mut digits, mut letters, mut at) = (0usize, 0usize, false);
        for &b in bytes {
            digits += b.is_ascii_digit() as usize;
            letters += b.is_ascii_alphabetic() as usize;
            at |= b == b'@';
        }
        if !bytes.is_ascii() {
            // Full-width forms: count them too (rare, so the slow path is fine).
            (digits, letters, at) = (0, 0, false);
            for c in text[start..end].chars().map(fold_char) {
                digits += c.is_ascii_digit() as usize;
                letters += c.is_ascii_alphabetic() as usize;
                at |= c == '@';
            }
        }
        if digits < 5 && !at && !(letters >= 2 && digits >= 3) {
            return;
        }
        f.fold(text, start, end);
        let mut taken: Vec<(usize, usize)> = Vec::new();
        let taken = &mut taken;
        if at {
            for m in self.email.find_iter(f.text()) {
                let m_end = trim_email_end(f.text(), m.start(), m.end());
                push(out, taken, f, Kind::Email, m.start(), m_end, 0.99, "email");
            }
        }
        // 第…號 is a document or case number (公文文號, 案號), never personal data.
        if context::before(text, start, 6).ends_with('第')
            && context::after(text, end, 3).starts_with('號')
        {
            return;
        }
        if digits >= 8 && letters >= 1 {
            self.ids(f, out, taken);
        }
        if digits >= 13 {
            self.cards(f, out, taken);
        }
        if digits >= 9 {
            self.phones(text, f, out, taken);
        }
        if digits == 8 || digits >= 7 && PHONE_WORDS.in_(context::before(text, start, 30)) {
            self.local_phones(text, start, f, out, taken);
        }
        if digits >= 8 {
            self.business_ids(text, start, f, out, taken);
        }
        if digits >= 3 && letters >= 2 {
            self.plates(text, start, end, f, out, taken);
        }
    }

    fn ids(&self, f: &Folded, out: &mut Vec<Finding>, taken: &mut Vec<(usize, usize)>) {
        for m in self.id.find_iter(f.text()) {
            let compact: Vec<u8> = m.as_str().bytes().filter(|b| *b != b' ').collect();
            let Some(kind) = checksum::tw_id(&compact) else {
                continue;
            };
            let upper = compact[0].is_ascii_uppercase() && compact[1].is_ascii_digit()
                || compact[..2].iter().all(u8::is_ascii_uppercase);
            let conf = if upper { 0.99 } else { 0.9 };
            let (k, rule) = match kind {
                IdKind::National => (Kind::TwNationalId, "national_id"),
                IdKind::ResidentNew => (Kind::TwResidentId, "resident_id_2021"),
                IdKind::ResidentOld => (Kind::TwResidentId, "resident_id_old"),
            };
            push(out, taken, f, k, m.start(), m.end(), conf, rule);
        }
    }

    fn cards(&self, f: &Folded, out: &mut Vec<Finding>, taken: &mut Vec<(usize, usize)>) {
        let t = f.text();
        let b = t.as_bytes();
        for m in self.card.find_iter(t) {
            if m.start() > 0 && b[m.start() - 1].is_ascii_digit() {
                continue;
            }
            // Groups split by single separators; try the longest valid prefix of whole groups.
            let mut groups: Vec<(usize, usize)> = vec![];
            let mut s = m.start();
            for (i, &c) in b[m.start()..m.end()].iter().enumerate() {
                if !c.is_ascii_digit() {
                    groups.push((s, m.start() + i));
                    s = m.start() + i + 1;
                }
            }
            groups.push((s, m.end()));
            let seps: Vec<u8> = groups.windows(2).map(|w| b[w[0].1]).collect();
            for take in (1..=groups.len()).rev() {
                let (gs, ge) = (groups[0].0, groups[take - 1].1);
                if ge < b.len() && b[ge].is_ascii_digit() {
                    continue;
                }
                if take > 1 && seps[..take - 1].iter().any(|&x| x != seps[0]) {
                    continue;
                }
                let digits: Vec<u8> = b[gs..ge]
                    .iter()
                    .copied()
                    .filter(u8::is_ascii_digit)
                    .collect();
                if !(13..=19).contains(&digits.len()) {
                    continue;
                }
                if checksum::luhn(&digits) && checksum::card_issuer(&digits).is_some() {
                    push(
                        out,
                        taken,
                        f,
                        Kind::PaymentCard,
                        gs,
                        ge,
                        0.97,
                        "payment_card",
                    );
                    break;
                }
            }
        }
    }

    fn phones(
        &self,
        text: &str,
        f: &Folded,
        out: &mut Vec<Finding>,
        taken: &mut Vec<(usize, usize)>,
    ) {
        let t = f.text();
        let b = t.as_bytes();
        for m in self.phone.find_iter(t) {
            let (s, e) = (m.start(), m.end());
            if s > 0
                && (b[s - 1].is_ascii_alphanumeric() || b[s - 1] == b'+')
                && !m.as_str().starts_with('+')
            {
                continue;
            }
            if e < b.len() && b[e].is_ascii_digit() {
                continue;
            }
            let digits: Vec<u8> = m.as_str().bytes().filter(u8::is_ascii_digit).collect();
            let Some((national, mobile)) = national_number(&digits, m.as_str()) else {
                continue;
            };
            if !valid_tw_number(&national) {
                continue;
            }
            let mut end = e;
            end += extension_len(&t[e..]);
            let conf = if mobile { 0.97 } else { 0.93 };
            let rule = if mobile { "mobile" } else { "landline" };
            if let Some(idx) = push(out, taken, f, Kind::Phone, s, end, conf, rule) {
                // 分機/轉 extensions follow in CJK, outside the region.
                let orig_end = out[idx].end;
                out[idx].end += cjk_extension_len(&text[orig_end..]);
            }
        }
    }

    fn local_phones(
        &self,
        text: &str,
        start: usize,
        f: &Folded,
        out: &mut Vec<Finding>,
        taken: &mut Vec<(usize, usize)>,
    ) {
        if !PHONE_WORDS.in_(context::before(text, start, 30)) {
            return;
        }
        for m in self.local_phone.find_iter(f.text()) {
            push(
                out,
                taken,
                f,
                Kind::Phone,
                m.start(),
                m.end(),
                0.75,
                "local_with_context",
            );
        }
    }

    fn business_ids(
        &self,
        text: &str,
        start: usize,
        f: &Folded,
        out: &mut Vec<Finding>,
        taken: &mut Vec<(usize, usize)>,
    ) {
        let t = f.text();
        let b = t.as_bytes();
        for m in self.business.find_iter(t) {
            let (s, e) = (m.start(), m.end());
            // Part of a dashed or dotted number (phone, date, amount) is not a 統一編號.
            let joined = |i: usize| matches!(b.get(i), Some(b'-' | b'.' | b'/'));
            if (s > 0 && joined(s - 1))
                || joined(e)
                || !checksum::tw_business_id(m.as_str().as_bytes())
            {
                continue;
            }
            let orig_s = f.orig(s);
            let near = context::before(text, orig_s.max(start), 40);
            if BUSINESS_WORDS.in_(near) {
                push(
                    out,
                    taken,
                    f,
                    Kind::TwBusinessId,
                    s,
                    e,
                    0.95,
                    "business_id_context",
                );
            }
        }
    }

    fn plates(
        &self,
        text: &str,
        start: usize,
        end: usize,
        f: &Folded,
        out: &mut Vec<Finding>,
        taken: &mut Vec<(usize, usize)>,
    ) {
        let ctx = || {
            PLATE_WORDS.in_(context::before(text, start, 60))
                || PLATE_WORDS.in_(context::after(text, end, 24))
        };
        let mut checked = None;
        for m in self.plate.find_iter(f.text()) {
            let s = m.as_str();
            if !s.bytes().any(|c| c.is_ascii_digit())
                || s.bytes().any(|c| matches!(c, b'I' | b'O' | b'i' | b'o'))
            {
                continue;
            }
            if !*checked.get_or_insert_with(ctx) {
                return;
            }
            let conf = if s.contains('-') { 0.9 } else { 0.8 };
            push(
                out,
                taken,
                f,
                Kind::LicensePlate,
                m.start(),
                m.end(),
                conf,
                "plate_context",
            );
        }
    }
}

/// Strips a trailing dot an e-mail regex may take from the end of a sentence.
fn trim_email_end(t: &str, s: usize, mut e: usize) -> usize {
    while e > s && t.as_bytes()[e - 1] == b'.' {
        e -= 1;
    }
    e
}

/// Appends a finding given folded offsets, unless it overlaps one already found in this region.
#[allow(clippy::too_many_arguments)]
fn push(
    out: &mut Vec<Finding>,
    taken: &mut Vec<(usize, usize)>,
    f: &Folded,
    kind: Kind,
    s: usize,
    e: usize,
    conf: f32,
    rule: &'static str,
) -> Option<usize> {
    let fd = Finding::new(kind, f.orig(s), f.orig_end(e), conf, rule);
    // `taken` holds this region's spans, disjoint and sorted: only the neighbours can overlap.
    // (A scan over all of them was quadratic in a region packed with numbers.)
    let i = taken.partition_point(|&(ts, _)| ts < fd.start);
    let clash = (i > 0 && taken[i - 1].1 > fd.start) || (i < taken.len() && taken[i].0 < fd.end);
    if clash {
        return None;
    }
    taken.insert(i, (fd.start, fd.end));
    out.push(fd);
    Some(out.len() - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Anchored runs from each position find exactly the unanchored leftmost-first matches.
        #[test]
        fn anchored_phone_search_matches_the_unanchored_one(
            s in "[0-9+() #-]{0,40}|(\\+886|0|\\(0|886|09| )[0-9 ()-]{0,24}"
        ) {
            let anchored = AnchoredRegex::new(PHONE).unwrap();
            let plain = regex::Regex::new(PHONE).unwrap();
            let got: Vec<(usize, usize)> = anchored.find_iter(&s).map(|m| (m.s, m.e)).collect();
            let want: Vec<(usize, usize)> = plain.find_iter(&s).map(|m| (m.start(), m.end())).collect();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn anchored_phone_search_finds_numbers_inside_runs() {
        let r = AnchoredRegex::new(PHONE).unwrap();
        let t = "10912345678 (02)2345-6789 +886 912 345 678";
        let got: Vec<&str> = r.find_iter(t).map(|m| m.as_str()).collect();
        assert_eq!(got, ["0912345678", "(02)2345-6789", "+886 912 345 678"]);
        // Bytes that cannot start a phone are skipped without a search.
        assert!(!r.first[b'5' as usize] && r.first[b'0' as usize] && r.first[b'+' as usize]);
    }
}
