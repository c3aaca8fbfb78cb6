//! Taiwanese postal addresses, anchored on 號: from the county or city through 鄉鎮市區, 村里, 鄰,
//! road and 段, 巷, 弄, 號, 樓 and 之. The 368 townships are data (`data/districts.txt`), so that
//! an address's start is exact rather than guessed from "some Han characters before 區".

use crate::finding::{Finding, Kind};
use crate::fold::Folded;
use regex::{Regex, RegexBuilder};
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

struct Patterns {
    unanchored: Regex,
    anchored: Regex,
}

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
        RegexBuilder::new(p)
            .dfa_size_limit(32 << 20)
            .build()
            .expect("address pattern")
    };
    Patterns {
        unanchored: build(&body),
        anchored: build(&format!("^(?:{body})")),
    }
});

/// Splits a (folded) address into its parts; `None` if it is not an address.
pub fn parts(addr: &str) -> Option<AddressParts> {
    let caps = PATTERNS.anchored.captures(addr)?;
    let end = |name: &str| caps.name(name).filter(|m| !m.is_empty()).map(|m| m.end());
    let p = AddressParts {
        city_end: end("city"),
        district_end: end("district"),
        village_end: end("village"),
        road_end: end("road"),
    };
    (p.city_end.is_some()
        || p.district_end.is_some()
        || p.village_end.is_some()
        || p.road_end.is_some())
    .then_some(p)
}

/// Finds the address around the 號 at byte `hao` of `text`, if any.
pub(crate) fn at(text: &str, hao: usize, folded: &mut Folded) -> Option<Finding> {
    let stop = |c: char| {
        !(is_han(c) || c.is_ascii_alphanumeric() || "０１２３４５６７８９之-－ 　ＦＢ".contains(c))
    };
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
    if !text[start..hao]
        .chars()
        .any(|c| "縣市區鄉鎮村里鄰路街道巷弄".contains(c))
    {
        return None;
    }
    folded.fold(text, start, end);
    let t = folded.text();
    let hao_f = (0..t.len()).find(|&i| folded.orig(i) == hao)?;
    let m = PATTERNS
        .unanchored
        .find_iter(t)
        .find(|m| m.start() <= hao_f && hao_f < m.end())?;
    let mut s = m.start();
    // Skip the prose's leading chars (住、在、於 ...) while an address still starts after them.
    loop {
        let c = t[s..].chars().next()?;
        let next = s + c.len_utf8();
        if !LEAD_JUNK.contains(c) {
            break;
        }
        match PATTERNS.anchored.find(&t[next..]) {
            Some(m2) if next + m2.end() > hao_f => s = next,
            _ => break,
        }
    }
    let m = PATTERNS.anchored.find(&t[s..])?;
    let e = s + m.end();
    // An address names a place before its number; 第3號 and 文號 do not. Checked on chars rather
    // than capture groups: captures need the slow engines, and this runs on every 號.
    let head = &t[s..e];
    let has = |set: &str| head.chars().any(|c| set.contains(c));
    let conf = if has("縣市區鄉鎮") {
        0.95
    } else if has("村里鄰") {
        0.9
    } else if has("路街道") {
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
