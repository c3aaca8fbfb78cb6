//! The address pattern matched by hand, with the regex crate's semantics (leftmost-first: the
//! leftmost start, and there the match a backtracking engine would find first).
//!
//! The pattern, on folded text (`N` is `[0-9]+` or a run of Chinese numerals):
//!
//! ```text
//! ( ([0-9]{3}([0-9]{2,3})?\s?)? (台灣省|福建省)? CITY )?  DISTRICT?
//! ( \p{Han}{1,3}? [村里] )? ( N鄰 )?  ( \p{Han}{1,5}? (路|街|大道) (N段)? )?
//! \s? (N巷)? (N弄)? (N衖)? N ([-之]N)? 號 (之N)? ( \s? (N樓|[0-9]+[Ff]|[Bb][0-9]+) (之N)? )? (N室)?
//! ```
//!
//! As a regex, the 22 cities and 368 townships made a lazy DFA of many large states: every 號
//! cost a few microseconds of cache misses, the cache took tens of MB, and it warmed up over the
//! first thousands of addresses. Here the windows are short (tens of chars) and each stage after
//! the city is a function of its start position alone, so its result is remembered per position:
//! backtracking stays linear in the window. The regex is kept in the tests as the oracle.

/// Script=Han, as the regex crate's `\p{Han}` has it (a test holds the two equal).
const HAN: &[(u32, u32)] = &[
    (0x2E80, 0x2E99),
    (0x2E9B, 0x2EF3),
    (0x2F00, 0x2FD5),
    (0x3005, 0x3005),
    (0x3007, 0x3007),
    (0x3021, 0x3029),
    (0x3038, 0x303B),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFA6D),
    (0xFA70, 0xFAD9),
    (0x16FE2, 0x16FE3),
    (0x16FF0, 0x16FF1),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B739),
    (0x2B740, 0x2B81D),
    (0x2B820, 0x2CEA1),
    (0x2CEB0, 0x2EBE0),
    (0x2EBF0, 0x2EE5D),
    (0x2F800, 0x2FA1D),
    (0x30000, 0x3134A),
    (0x31350, 0x323AF),
];

pub(super) fn is_script_han(c: char) -> bool {
    let c = c as u32;
    if (0x4E00..=0x9FFF).contains(&c) {
        return true;
    }
    let i = HAN.partition_point(|&(_, hi)| hi < c);
    HAN.get(i).is_some_and(|&(lo, _)| lo <= c)
}

pub(super) fn is_chinese_numeral(c: char) -> bool {
    matches!(
        c,
        '一' | '二'
            | '三'
            | '四'
            | '五'
            | '六'
            | '七'
            | '八'
            | '九'
            | '十'
            | '百'
            | '〇'
            | '○'
            | '零'
    )
}

/// Place names by their first char, in the regex alternation's order (more chars first).
struct Names {
    /// Per BMP code point, 1 + the index in `lists` of the names starting with it, or 0: one
    /// load per position, where most chars start no name.
    slot: Box<[u16]>,
    lists: Vec<Vec<&'static str>>,
}

impl Names {
    fn new(mut names: Vec<&'static str>) -> Names {
        names.sort_by_key(|s| std::cmp::Reverse(s.chars().count()));
        names.dedup();
        let mut slot = vec![0u16; 1 << 16].into_boxed_slice();
        let mut lists: Vec<Vec<&'static str>> = vec![];
        for n in names {
            // Place names are CJK: in the BMP.
            let Some(c) = n.chars().next().filter(|c| (*c as u32) < 1 << 16) else {
                continue;
            };
            if slot[c as usize] == 0 {
                lists.push(vec![]);
                slot[c as usize] = lists.len() as u16;
            }
            lists[slot[c as usize] as usize - 1].push(n);
        }
        Names { slot, lists }
    }

    /// Lengths of the names at byte `p` of `t`, in priority order.
    fn at<'a>(&'a self, t: &'a Text<'a>, p: usize) -> impl Iterator<Item = usize> + 'a {
        let c = t.pos[p].c as usize;
        let slot = if p < t.s.len() {
            self.slot.get(c).copied().unwrap_or(0)
        } else {
            0
        };
        let list: &[&str] = match slot {
            0 => &[],
            i => &self.lists[usize::from(i) - 1],
        };
        list.iter().filter(move |n| lit(t, p, n)).map(|n| n.len())
    }
}

/// The compiled grammar: its place names.
pub(super) struct Grammar {
    cities: Names,
    districts: Names,
}

impl Grammar {
    pub(super) fn new(cities: Vec<&'static str>, districts: Vec<&'static str>) -> Grammar {
        Grammar {
            cities: Names::new(cities),
            districts: Names::new(districts),
        }
    }

    /// A matcher over one (folded) text.
    pub(super) fn matcher<'g, 't>(&'g self, t: &'t str) -> Matcher<'g, 't> {
        Matcher {
            g: self,
            t: Text::new(t),
            memo: vec![[UNKNOWN; STAGES]; t.len() + 1],
        }
    }
}

/// What the matcher asks of each char position, worked out once per text (right to left).
#[derive(Clone, Copy, Default)]
struct Pos {
    c: char,
    /// Length of the char starting here.
    len: u8,
    han: bool,
    /// Length of the white-space char here, or 0.
    space: u8,
    /// ASCII digits from here on (the windows matched are tens of chars: never saturated).
    digits: u16,
    /// Chinese numerals (three bytes each) from here on.
    numerals: u16,
}

/// A text with its positions' facts.
struct Text<'t> {
    s: &'t str,
    pos: Vec<Pos>,
}

impl<'t> Text<'t> {
    fn new(s: &'t str) -> Text<'t> {
        let mut pos = vec![Pos::default(); s.len() + 1];
        for (i, c) in s.char_indices().rev() {
            let len = c.len_utf8();
            let next = pos[i + len];
            pos[i] = Pos {
                c,
                len: len as u8,
                han: is_script_han(c),
                space: if c.is_whitespace() { len as u8 } else { 0 },
                digits: if c.is_ascii_digit() {
                    next.digits.saturating_add(1)
                } else {
                    0
                },
                numerals: if is_chinese_numeral(c) {
                    next.numerals.saturating_add(1)
                } else {
                    0
                },
            };
        }
        Text { s, pos }
    }

    /// Whether the char at `p` is Han; its length if so.
    #[inline]
    fn han(&self, p: usize) -> Option<usize> {
        let x = self.pos[p];
        x.han.then_some(x.len as usize)
    }
}

/// Stages whose results are remembered: what follows the city, the township, the village.
const STAGES: usize = 3;
const AFTER_CITY: usize = 0;
const AFTER_DISTRICT: usize = 1;
const AFTER_VILLAGE: usize = 2;
const UNKNOWN: u32 = u32::MAX;
const NO_MATCH: u32 = u32::MAX - 1;

type K<'k> = &'k mut dyn FnMut(usize) -> Option<usize>;

/// Matches of the grammar in one text.
pub(super) struct Matcher<'g, 't> {
    g: &'g Grammar,
    t: Text<'t>,
    /// Per byte position and stage: the end of the match from there, or `NO_MATCH`.
    memo: Vec<[u32; STAGES]>,
}

impl Matcher<'_, '_> {
    /// The first match, going left to right as a regex's `find_iter` does, that contains byte
    /// `at`: (start, end).
    pub(super) fn covering(&mut self, at: usize) -> Option<(usize, usize)> {
        let len = self.t.s.len();
        let mut p = 0;
        while p <= at {
            // The leftmost match from `p` on.
            let (s, e) = (p..len)
                .filter(|&s| self.t.s.is_char_boundary(s))
                .find_map(|s| self.match_at(s).map(|e| (s, e)))?;
            if s > at {
                // Later matches start later still.
                return None;
            }
            if at < e {
                return Some((s, e));
            }
            p = e;
        }
        None
    }

    /// The end of the match that starts at byte `s`, if one does.
    pub(super) fn match_at(&mut self, s: usize) -> Option<usize> {
        Run {
            g: self.g,
            t: &self.t,
            memo: &mut self.memo,
        }
        .match_at(s)
    }
}

/// One text's matching: the grammar, the text's facts, and the stages' remembered results.
struct Run<'a> {
    g: &'a Grammar,
    t: &'a Text<'a>,
    memo: &'a mut Vec<[u32; STAGES]>,
}

impl Run<'_> {
    fn match_at(&mut self, s: usize) -> Option<usize> {
        let (g, t) = (self.g, self.t);
        // ( postal? province? CITY )?: with the postal code (in its forms' order), then without.
        let (postal, n) = postal_ends(t, s);
        for &q in postal[..n].iter().chain([&s]) {
            for prov in ["台灣省", "福建省", ""] {
                if !lit(t, q, prov) {
                    continue;
                }
                let r = q + prov.len();
                for len in g.cities.at(t, r) {
                    if let Some(e) = self.stage(AFTER_CITY, r + len) {
                        return Some(e);
                    }
                }
            }
        }
        // The city group left out.
        self.stage(AFTER_CITY, s)
    }

    /// The end of the match of stage `stage` onwards from `p`, remembered.
    fn stage(&mut self, stage: usize, p: usize) -> Option<usize> {
        match self.memo[p][stage] {
            UNKNOWN => {}
            NO_MATCH => return None,
            e => return Some(e as usize),
        }
        let r = match stage {
            AFTER_CITY => self.after_city(p),
            AFTER_DISTRICT => self.after_district(p),
            _ => self.after_village(p),
        };
        self.memo[p][stage] = r.map_or(NO_MATCH, |e| e as u32);
        r
    }

    /// DISTRICT? then the rest.
    fn after_city(&mut self, p: usize) -> Option<usize> {
        let (g, t) = (self.g, self.t);
        for len in g.districts.at(t, p) {
            if let Some(e) = self.stage(AFTER_DISTRICT, p + len) {
                return Some(e);
            }
        }
        self.stage(AFTER_DISTRICT, p)
    }

    /// `(\p{Han}{1,3}?[村里])? (N鄰)?` then the rest.
    fn after_district(&mut self, p: usize) -> Option<usize> {
        let t = self.t;
        let lin = |m: &mut Self, q: usize| {
            // (N鄰)? then the rest.
            let mut after_lin = |r: usize| {
                if lit(t, r, "鄰") {
                    m.stage(AFTER_VILLAGE, r + "鄰".len())
                } else {
                    None
                }
            };
            if let Some(e) = number(t, q, &mut after_lin) {
                return Some(e);
            }
            m.stage(AFTER_VILLAGE, q)
        };
        // Lazy: one Han char before 村/里 first.
        let mut q = p;
        for _ in 0..3 {
            let Some(len) = t.han(q) else {
                break;
            };
            q += len;
            if (lit(t, q, "村") || lit(t, q, "里"))
                && let Some(e) = lin(self, q + 3)
            {
                return Some(e);
            }
        }
        lin(self, p)
    }

    /// `(\p{Han}{1,5}?(路|街|大道)(N段)?)?` then the tail from the lanes on.
    fn after_village(&mut self, p: usize) -> Option<usize> {
        let t = self.t;
        let mut q = p;
        for _ in 0..5 {
            let Some(len) = t.han(q) else {
                break;
            };
            q += len;
            let end = if lit(t, q, "路") || lit(t, q, "街") {
                q + 3
            } else if lit(t, q, "大道") {
                q + 6
            } else {
                continue;
            };
            // (N段)? then the lanes.
            let mut after_seg = |r: usize| {
                if lit(t, r, "段") {
                    lanes(t, r + 3)
                } else {
                    None
                }
            };
            if let Some(e) = number(t, end, &mut after_seg).or_else(|| lanes(t, end)) {
                return Some(e);
            }
        }
        lanes(t, p)
    }
}

/// Ends of `[0-9]{3}([0-9]{2,3})?\s?` at `s`, in priority order: (ends, how many).
fn postal_ends(t: &Text<'_>, s: usize) -> ([usize; 6], usize) {
    let mut out = [0; 6];
    let digits = usize::from(t.pos[s].digits).min(6);
    if digits < 3 {
        return (out, 0);
    }
    let mut n = 0;
    for extra in [3, 2, 0] {
        if extra > 0 && digits < 3 + extra {
            continue;
        }
        let q = s + 3 + extra;
        let space = usize::from(t.pos[q].space);
        if space > 0 {
            out[n] = q + space;
            n += 1;
        }
        out[n] = q;
        n += 1;
    }
    (out, n)
}

/// Whether `t` has `lit` at byte `p`. Byte by byte: the literals are a few bytes long and
/// mostly differ in the first, where a library compare's call would cost more.
#[inline]
fn lit(t: &Text<'_>, p: usize, lit: &str) -> bool {
    bytes_at(t.s.as_bytes(), p, lit)
}

#[inline]
fn bytes_at(b: &[u8], p: usize, lit: &str) -> bool {
    let l = lit.as_bytes();
    b.len() >= p + l.len() && b[p..p + l.len()].iter().zip(l).all(|(x, y)| x == y)
}

/// `N` at `p` (greedy, ASCII digits before Chinese numerals), then `k`.
fn number(t: &Text<'_>, p: usize, k: K<'_>) -> Option<usize> {
    let at = t.pos[p];
    let d = usize::from(at.digits);
    if d > 0 {
        // A digit is not a Chinese numeral: the second alternative cannot start here.
        return (1..=d).rev().find_map(|len| k(p + len));
    }
    // Every Chinese numeral is three bytes long in UTF-8.
    (1..=usize::from(at.numerals))
        .rev()
        .find_map(|j| k(p + 3 * j))
}

/// `\s?` at `p`, then `k`.
fn space(t: &Text<'_>, p: usize, k: K<'_>) -> Option<usize> {
    let space = usize::from(t.pos[p].space);
    if space > 0
        && let Some(e) = k(p + space)
    {
        return Some(e);
    }
    k(p)
}

/// `(N<unit>)?` at `p`, then `k`.
fn opt_unit(t: &Text<'_>, p: usize, unit: &str, k: K<'_>) -> Option<usize> {
    let mut after = |r: usize| {
        if lit(t, r, unit) {
            k(r + unit.len())
        } else {
            None
        }
    };
    if let Some(e) = number(t, p, &mut after) {
        return Some(e);
    }
    k(p)
}

/// `\s? (N巷)? (N弄)? (N衖)? N ([-之]N)? 號` and the tail after it.
fn lanes(t: &Text<'_>, p: usize) -> Option<usize> {
    space(t, p, &mut |q| {
        opt_unit(t, q, "巷", &mut |r| {
            opt_unit(t, r, "弄", &mut |s| {
                opt_unit(t, s, "衖", &mut |u| {
                    number(t, u, &mut |v| sub_number(t, v))
                })
            })
        })
    })
}

/// `([-之]N)? 號` and the tail.
fn sub_number(t: &Text<'_>, p: usize) -> Option<usize> {
    let hao = |q: usize| lit(t, q, "號").then(|| tail(t, q + "號".len()));
    let sep = if lit(t, p, "-") {
        1
    } else if lit(t, p, "之") {
        3
    } else {
        0
    };
    if sep > 0
        && let Some(e) = number(t, p + sep, &mut |q| hao(q))
    {
        return Some(e);
    }
    hao(p)
}

/// What may follow 號: `(之N)? (\s?(N樓|[0-9]+[Ff]|[Bb][0-9]+)(之N)?)? (N室)?`. Every part is
/// optional and nothing follows, so the first way through is the match.
fn tail(t: &Text<'_>, p: usize) -> usize {
    let zhi = |q: usize| -> usize {
        if lit(t, q, "之") {
            number(t, q + 3, &mut Some).unwrap_or(q)
        } else {
            q
        }
    };
    let q = zhi(p);
    let floor = space(t, q, &mut |r| {
        let b = t.s.as_bytes();
        let mut after_lou = |x: usize| lit(t, x, "樓").then_some(x + 3);
        if let Some(x) = number(t, r, &mut after_lou) {
            return Some(zhi(x));
        }
        let d = usize::from(t.pos[r].digits);
        if d > 0 && matches!(b.get(r + d), Some(b'F' | b'f')) {
            return Some(zhi(r + d + 1));
        }
        if matches!(b.get(r), Some(b'B' | b'b')) {
            let d = usize::from(t.pos[r + 1].digits);
            if d > 0 {
                return Some(zhi(r + 1 + d));
            }
        }
        None
    });
    let q = floor.unwrap_or(q);
    let mut after_room = |x: usize| lit(t, x, "室").then_some(x + 3);
    number(t, q, &mut after_room).unwrap_or(q)
}

#[cfg(test)]
mod tests {
    use super::super::{PATTERNS, PLACES};
    use super::*;
    use proptest::prelude::*;

    /// Pieces of addresses and of the prose around them, so that random strings are mostly
    /// near-misses of the pattern.
    const PIECES: &[&str] = &[
        "台北市",
        "新北市",
        "台中縣",
        "高雄市",
        "中正區",
        "大安區",
        "信義區",
        "三地門鄉",
        "羅東鎮",
        "員林市",
        "台灣省",
        "福建省",
        "中山",
        "重慶南",
        "市政北二",
        "村",
        "里",
        "鄰",
        "路",
        "街",
        "大道",
        "段",
        "巷",
        "弄",
        "衖",
        "號",
        "之",
        "樓",
        "室",
        "一",
        "二",
        "十",
        "百",
        "〇",
        "○",
        "零",
        "0",
        "1",
        "12",
        "100",
        "10048",
        "3",
        "F",
        "f",
        "B",
        "b",
        "-",
        " ",
        "\u{3000}",
        "住",
        "於",
        "，",
        "a",
        "中",
        "大",
        "正",
        "南",
        "東",
        "市",
        "區",
        "鄉",
        "號碼",
    ];

    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec(proptest::sample::select(PIECES), 0..24).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        /// From every start, the hand-written match is the anchored regex's.
        #[test]
        fn match_at_every_start_is_the_regex_match(t in text()) {
            let mut m = PLACES.grammar.matcher(&t);
            for s in (0..=t.len()).filter(|&s| t.is_char_boundary(s)) {
                let want = PATTERNS.anchored.find(&t[s..]).map(|x| s + x.end());
                prop_assert_eq!(m.match_at(s), want, "at {} of {:?}", s, t);
            }
        }

        /// Around every 號, the match found is the one of the regex's `find_iter`.
        #[test]
        fn covering_match_is_the_regex_match(t in text()) {
            let mut m = PLACES.grammar.matcher(&t);
            for (h, _) in t.match_indices('號') {
                let want = PATTERNS
                    .unanchored
                    .find_iter(&t)
                    .find(|x| x.start() <= h && h < x.end())
                    .map(|x| (x.start(), x.end()));
                prop_assert_eq!(m.covering(h), want, "around {} of {:?}", h, t);
            }
        }
    }

    #[test]
    fn han_is_the_regex_crate_s() {
        let han = regex::Regex::new(r"^\p{Han}$").unwrap();
        let check = |cp: u32| {
            if let Some(c) = char::from_u32(cp) {
                let want = han.is_match(c.encode_utf8(&mut [0; 4]));
                assert_eq!(is_script_han(c), want, "U+{cp:04X}");
            }
        };
        // The whole BMP, and around every range beyond it.
        (0..0x10000).for_each(check);
        for &(lo, hi) in HAN {
            for cp in [lo - 1, lo, hi, hi + 1] {
                check(cp);
            }
        }
    }

    #[test]
    fn matches_of_real_addresses() {
        let t =
            "陳情人住100台北市中正區重慶南路一段122號3樓之1，另於新北市板橋區中山路1段161號B1。";
        let mut m = PLACES.grammar.matcher(t);
        let h = t.find("122號").unwrap() + 3;
        let (s, e) = m.covering(h).unwrap();
        assert_eq!(&t[s..e], "100台北市中正區重慶南路一段122號3樓之1");
        let s2 = t.find("100").unwrap();
        assert_eq!(
            &t[s2..m.match_at(s2).unwrap()],
            "100台北市中正區重慶南路一段122號3樓之1"
        );
        let h = t.find("161號").unwrap() + 3;
        let (s, e) = m.covering(h).unwrap();
        assert_eq!(&t[s..e], "新北市板橋區中山路1段161號B1");
        assert_eq!(m.covering(t.find("陳").unwrap()), None);
        // Prose that could begin an address does: 住在 is left to the caller's junk rule.
        let t = "住在中山路3號";
        let (s, e) = PLACES
            .grammar
            .matcher(t)
            .covering(t.find('號').unwrap())
            .unwrap();
        assert_eq!(&t[s..e], "住在中山路3號");
    }
}
