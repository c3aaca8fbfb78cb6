//! Taiwanese postal addresses, anchored on 號: from the county or city through 鄉鎮市區, 村里, 鄰,
//! road and 段, 巷, 弄, 號, 樓 and 之. The 368 townships are data (`data/districts.txt`), so that
//! an address's start is exact rather than guessed from "some Han characters before 區".
//! The pattern is matched by hand (`grammar`), with a regex's semantics; the regex itself is
//! the tests' oracle.

mod grammar;

use crate::charset::CharSet;
use crate::finding::{Finding, Kind};
use crate::fold::Folded;
use std::sync::LazyLock;

/// How far before 號 an address may start, in chars.
const BACK_CHARS: usize = 48;
/// How far after 號 the floor/room part may go, in chars.
const FORWARD_CHARS: usize = 16;

/// Chars that start the prose before an address, not the address itself (住, 在, 於 ...).
const LEAD_JUNK: &str = "住在於址為至到往位居設及與和或即係是人地所處：:";

/// Parts of an address, as byte ends within the matched address text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AddressParts {
    /// End of the county/city (and postal code), if any.
    pub city_end: Option<usize>,
    /// End of the township (鄉鎮市區), if any.
    pub district_end: Option<usize>,
    /// End of the village (村里) and 鄰, if any.
    pub village_end: Option<usize>,
    /// End of the road and 段, if any.
    pub road_end: Option<usize>,
}

impl AddressParts {
    /// The end of the coarsest part that a masked address keeps: the road if `keep_road`, else the
    /// township (or what exists before it).
    pub fn keep_end(&self, keep_road: bool) -> usize {
        let district = self.village_end.or(self.district_end).or(self.city_end);
        let d = self.district_end.or(self.city_end).unwrap_or(0);
        if keep_road {
            self.road_end.or(district).unwrap_or(0)
        } else {
            d
        }
    }
}

#[cfg(test)]
struct Patterns {
    unanchored: regex::Regex,
    anchored: regex::Regex,
}

#[cfg(test)]
static PATTERNS: LazyLock<Patterns> = LazyLock::new(|| {
    let data = include_str!("../../data/districts.txt");
    let mut cities = vec!["台北縣", "台中縣", "台南縣", "高雄縣", "桃園縣"];
    let mut districts: Vec<&str> = vec![];
    for line in data
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let mut it = line.split_whitespace();
        cities.extend(it.next());
        districts.extend(it);
    }
    // Longest first, so that 三地門鄉 wins over a shorter alternative.
    let alt = |v: &mut Vec<&str>| {
        v.sort_by_key(|s| std::cmp::Reverse(s.chars().count()));
        v.dedup();
        v.join("|")
    };
    let n = "(?:[0-9]+|[一二三四五六七八九十百〇○零]+)";
    let body = format!(
        r"(?P<city>(?:[0-9]{{3}}(?:[0-9]{{2,3}})?\s?)?(?:台灣省|福建省)?(?:{cities}))?(?P<district>{districts})?(?P<village>(?:\p{{Han}}{{1,3}}?[村里])?(?:{n}鄰)?)(?P<road>\p{{Han}}{{1,5}}?(?:路|街|大道)(?:{n}段)?)?\s?(?:{n}巷)?(?:{n}弄)?(?:{n}衖)?{n}(?:[-之]{n})?號(?:之{n})?(?:\s?(?:{n}樓|[0-9]+[Ff]|[Bb][0-9]+)(?:之{n})?)?(?:{n}室)?",
        cities = alt(&mut cities),
        districts = alt(&mut districts),
    );
    // A roomy lazy-DFA cache: the township alternation makes many states, and a cache that keeps
    // filling up would rebuild them on every 號.
    let build = |p: &str| {
        regex::RegexBuilder::new(p)
            .dfa_size_limit(32 << 20)
            .build()
            .expect("address pattern")
    };
    Patterns {
        unanchored: build(&body),
        anchored: build(&format!("^(?:{body})")),
    }
});

/// Counties/cities and townships, for splitting an address without the regex's slow engines.
struct Places {
    /// Longest first.
    cities: Vec<&'static str>,
    /// Sorted, for binary search: hashing each candidate cost more than the comparisons.
    districts: Vec<&'static str>,
    /// The whole address pattern.
    grammar: grammar::Grammar,
}

static PLACES: LazyLock<Places> = LazyLock::new(|| {
    let mut cities = vec!["台北縣", "台中縣", "台南縣", "高雄縣", "桃園縣"];
    let mut districts = vec![];
    for line in include_str!("../../data/districts.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let mut it = line.split_whitespace();
        cities.extend(it.next());
        districts.extend(it);
    }
    let grammar = grammar::Grammar::new(cities.clone(), districts.clone());
    cities.sort_by_key(|c| std::cmp::Reverse(c.len()));
    districts.sort_unstable();
    districts.dedup();
    Places {
        cities,
        districts,
        grammar,
    }
});

/// Arabic or Chinese numerals (a `match`, not a search in a string: this runs per char).
fn is_numeral(c: char) -> bool {
    c.is_ascii_digit() || grammar::is_chinese_numeral(c)
}

/// Length of a number (Arabic or Chinese numerals) at the start of `t`.
fn number_len(t: &str) -> usize {
    t.char_indices()
        .find(|(_, c)| !is_numeral(*c))
        .map_or(t.len(), |(i, _)| i)
}

/// Splits a (folded) address into its parts; `None` if it names no place before its number.
///
/// A hand-written walk in the order of the address regex (city, township, village and 鄰, road
/// and 段): masking calls it on every address it prints, and regex capture groups would need the
/// slow engines there.
pub fn parts(addr: &str) -> Option<AddressParts> {
    let places = &*PLACES;
    let mut i = addr.bytes().take(6).take_while(u8::is_ascii_digit).count();
    if i > 0 && addr[i..].starts_with(' ') {
        i += 1;
    }
    let mut p = AddressParts::default();
    for prov in ["台灣省", "福建省"] {
        if addr[i..].starts_with(prov) {
            i += prov.len();
        }
    }
    if let Some(c) = places.cities.iter().find(|c| addr[i..].starts_with(**c)) {
        i += c.len();
        p.city_end = Some(i);
    } else {
        // A postal code or province alone is not a place.
        i = 0;
    }
    // Townships are 2 to 4 chars, the last being 區, 鄉, 鎮 or 市.
    let mut ends = [0usize; 4];
    let mut n_ends = 0;
    for (j, c) in addr[i..].char_indices().skip(1).take(4) {
        ends[n_ends] = i + j + c.len_utf8();
        n_ends += 1;
    }
    if let Some(&e) = ends[..n_ends]
        .iter()
        .rev()
        .find(|&&e| places.districts.binary_search(&&addr[i..e]).is_ok())
    {
        i = e;
        p.district_end = Some(i);
    }
    // Village: up to 3 Han chars then 村 or 里; then an optional N鄰.
    let rest = &addr[i..];
    if let Some((j, c)) = rest
        .char_indices()
        .take(4)
        .skip(1)
        .find(|(_, c)| *c == '村' || *c == '里')
        && !rest[..j].chars().any(is_numeral)
    {
        i += j + c.len_utf8();
        p.village_end = Some(i);
    }
    let n = number_len(&addr[i..]);
    if n > 0 && addr[i + n..].starts_with('鄰') {
        i += n + '鄰'.len_utf8();
        p.village_end = Some(i);
    }
    // Road: up to 5 Han chars then 路, 街 or 大道; then an optional N段.
    let rest = &addr[i..];
    for (j, c) in rest.char_indices().take(7).skip(1) {
        if is_numeral(c)
            && !matches!(
                c,
                '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十'
            )
        {
            break;
        }
        let end = if c == '路' || c == '街' {
            j + c.len_utf8()
        } else if rest[j..].starts_with("大道") {
            j + "大道".len()
        } else {
            continue;
        };
        i += end;
        let n = number_len(&addr[i..]);
        if n > 0 && addr[i + n..].starts_with('段') {
            i += n + '段'.len_utf8();
        }
        p.road_end = Some(i);
        break;
    }
    (p.city_end.is_some()
        || p.district_end.is_some()
        || p.village_end.is_some()
        || p.road_end.is_some())
    .then_some(p)
}

/// The char classes of [`at`], as bitmaps: it runs on every 號.
struct Sets {
    /// Non-Han chars that may sit inside an address (full-width digits, 之, dashes, spaces, F, B).
    inside: CharSet,
    /// Place words: an address has one before its number.
    place: CharSet,
    junk: CharSet,
    township: CharSet,
    village: CharSet,
    road: CharSet,
}

static SETS: LazyLock<Sets> = LazyLock::new(|| Sets {
    inside: CharSet::of("０１２３４５６７８９之-－ 　ＦＢ".chars()),
    place: CharSet::of("縣市區鄉鎮村里鄰路街道巷弄".chars()),
    junk: CharSet::of(LEAD_JUNK.chars()),
    township: CharSet::of("縣市區鄉鎮".chars()),
    village: CharSet::of("村里鄰".chars()),
    road: CharSet::of("路街道".chars()),
});

/// Finds the address around the 號 at byte `hao` of `text`, if any.
pub(crate) fn at(text: &str, hao: usize, folded: &mut Folded) -> Option<Finding> {
    let sets = &*SETS;
    let stop = |c: char| !(is_han(c) || c.is_ascii_alphanumeric() || sets.inside.has(c));
    let mut start = hao;
    for (n, (i, c)) in text[..hao].char_indices().rev().enumerate() {
        if n >= BACK_CHARS || stop(c) {
            break;
        }
        start = i;
    }
    let mut end = hao + '號'.len_utf8();
    for (n, (i, c)) in text[end..].char_indices().enumerate() {
        if n >= FORWARD_CHARS || stop(c) {
            break;
        }
        end = hao + '號'.len_utf8() + i + c.len_utf8();
    }
    // Most 號 in official prose end a document or case number: no place word, no address.
    if !text[start..hao].chars().any(|c| sets.place.has(c)) {
        return None;
    }
    folded.fold(text, start, end);
    let t = folded.text();
    let hao_f = folded.folded(hao)?;
    debug_assert_eq!(Some(hao_f), (0..t.len()).find(|&i| folded.orig(i) == hao));
    let mut m = PLACES.grammar.matcher(t);
    let (mut s, mut e) = m.covering(hao_f)?;
    // Skip the prose's leading chars (住、在、於 ...) while an address still starts after them.
    loop {
        let c = t[s..].chars().next()?;
        let next = s + c.len_utf8();
        if !sets.junk.has(c) {
            break;
        }
        match m.match_at(next) {
            Some(e2) if e2 > hao_f => (s, e) = (next, e2),
            _ => break,
        }
    }
    // An address names a place before its number; 第3號 and 文號 do not. Checked on chars rather
    // than capture groups: captures need the slow engines, and this runs on every 號.
    let head = &t[s..e];
    let has = |set: &CharSet| head.chars().any(|c| set.has(c));
    let conf = if has(&sets.township) {
        0.95
    } else if has(&sets.village) {
        0.9
    } else if has(&sets.road) {
        0.8
    } else {
        return None;
    };
    Some(Finding::new(
        Kind::Address,
        folded.orig(s),
        folded.orig_end(e),
        conf,
        "address",
    ))
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}' | '〇' | '○')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The regex's own split, as an oracle for the hand-written one.
    fn parts_by_regex(addr: &str) -> Option<AddressParts> {
        let caps = PATTERNS.anchored.captures(addr)?;
        let end = |name: &str| caps.name(name).filter(|m| !m.is_empty()).map(|m| m.end());
        Some(AddressParts {
            city_end: end("city"),
            district_end: end("district"),
            village_end: end("village"),
            road_end: end("road"),
        })
    }

    #[test]
    fn hand_split_agrees_with_the_regex() {
        for a in [
            "100台北市中正區重慶南路一段122號3樓",
            "10048台北市中正區重慶南路1段122號",
            "新北市板橋區中山路一段161號",
            "南投縣信義鄉東埔村1鄰50號",
            "高雄市苓雅區四維三路2號12樓之3",
            "中山北路二段45巷7弄3號",
            "桃園市中壢區中央西路二段三十五號五樓",
            "屏東縣三地門鄉中正路二段26號",
            "彰化縣彰化市中山路二段416號",
            "花蓮縣吉安鄉福德村12鄰中華路一段88號",
            "台東縣太麻里鄉大王村5鄰10號",
            "台中市西屯區市政北二路238號",
            "宜蘭縣羅東鎮興東路22號",
            "市民大道三段8號",
        ] {
            assert_eq!(parts(a), parts_by_regex(a), "{a}");
        }
    }

    #[test]
    fn parts_of_a_full_address() {
        let a = "100台北市中正區重慶南路一段122號3樓";
        let p = parts(a).unwrap();
        assert_eq!(&a[..p.city_end.unwrap()], "100台北市");
        assert_eq!(&a[..p.district_end.unwrap()], "100台北市中正區");
        assert_eq!(&a[..p.road_end.unwrap()], "100台北市中正區重慶南路一段");
        assert!(parts("第3號").is_none());
    }
}
