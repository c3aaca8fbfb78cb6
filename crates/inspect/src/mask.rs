//! Masking by the conventions Taiwanese agencies publish. Conventions differ by agency, so they
//! are named, configurable profiles. Masking keeps the layout (one mask char per masked char) and
//! never keeps enough of a value to rebuild it.

use crate::detect::{address, name};
use crate::finding::{Finding, Kind};
use crate::fold::{fold_char, fold_str};
use serde::{Deserialize, Serialize};

/// How a person's name is masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameStyle {
    /// 王○○: the whole given name masked.
    MaskGiven,
    /// 王○明: the last char of a two-char given name kept.
    KeepLast,
    /// ○○○: everything masked.
    MaskAll,
}

/// Where an address is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressCut {
    /// Keep through the road and 段 (臺北市中正區重慶南路一段○○○號).
    AfterRoad,
    /// Keep through the township (臺北市中正區○○○○○).
    AfterDistrict,
}

/// A masking profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MaskProfile {
    /// Profile name, shown in reports.
    pub name: String,
    /// Leading characters of a national/resident ID kept (NDC guidance: 6, so A12345****).
    pub id_keep: usize,
    /// Name masking style.
    pub names: NameStyle,
    /// Address cut.
    pub address: AddressCut,
    /// Trailing digits of a payment card kept.
    pub card_keep_last: usize,
    /// Whether business IDs (統一編號, public for companies) are masked.
    pub mask_business_id: bool,
}

impl Default for MaskProfile {
    fn default() -> Self {
        MaskProfile {
            name: "default".into(),
            id_keep: 6,
            names: NameStyle::MaskGiven,
            address: AddressCut::AfterRoad,
            card_keep_last: 4,
            mask_business_id: true,
        }
    }
}

impl MaskProfile {
    /// A built-in profile by name: `default`, `keep-last` (王○明), `strict`.
    pub fn named(name: &str) -> Option<MaskProfile> {
        let d = MaskProfile::default();
        match name {
            "default" => Some(d),
            "keep-last" => Some(MaskProfile {
                name: "keep-last".into(),
                names: NameStyle::KeepLast,
                ..d
            }),
            "strict" => Some(MaskProfile {
                name: "strict".into(),
                id_keep: 1,
                names: NameStyle::MaskAll,
                address: AddressCut::AfterDistrict,
                card_keep_last: 0,
                ..d
            }),
            _ => None,
        }
    }

    /// Names of the built-in profiles.
    pub const BUILT_IN: [&'static str; 3] = ["default", "keep-last", "strict"];
}

/// The masked form of one char.
fn mask_char(c: char) -> char {
    if c.is_ascii() {
        '*'
    } else if ('\u{FF01}'..='\u{FF5E}').contains(&c) {
        '＊'
    } else {
        '○'
    }
}

/// Appends `value` to `out` with the chars for which `keep` (given the index among significant
/// chars and their total) is false masked. Significant chars are those `significant` accepts; the
/// others (separators) are kept. `mark` overrides the mask char (addresses always take ○).
fn mask_where(
    out: &mut String,
    value: &str,
    significant: impl Fn(char) -> bool,
    keep: impl Fn(usize, usize) -> bool,
    mark: Option<char>,
) {
    let total = value.chars().filter(|c| significant(*c)).count();
    // Every mask char has the byte length of what it masks, except ○ for ASCII in addresses.
    out.reserve(value.len() + if mark.is_some() { 8 } else { 0 });
    let mut i = 0;
    for c in value.chars() {
        if !significant(c) {
            out.push(c);
            continue;
        }
        let k = keep(i, total);
        i += 1;
        out.push(if k {
            c
        } else {
            mark.unwrap_or_else(|| mask_char(c))
        });
    }
}

fn alnum(c: char) -> bool {
    fold_char(c).is_ascii_alphanumeric()
}

fn digit(c: char) -> bool {
    fold_char(c).is_ascii_digit()
}

fn not_space(c: char) -> bool {
    !c.is_whitespace()
}

/// The masked form of a finding's text.
pub fn mask_value(kind: Kind, value: &str, p: &MaskProfile) -> String {
    let mut out = String::new();
    mask_into(kind, value, p, &mut out);
    out
}

/// Appends the masked form of a finding's text to `out`: the allocation-free form of
/// [`mask_value`], for printing findings by the million.
pub fn mask_into(kind: Kind, value: &str, p: &MaskProfile, out: &mut String) {
    let never = |_, _| false;
    match kind {
        Kind::TwNationalId | Kind::TwResidentId => {
            mask_where(out, value, alnum, |i, _| i < p.id_keep, None)
        }
        Kind::PaymentCard => mask_where(out, value, digit, |i, n| i + p.card_keep_last >= n, None),
        Kind::TwBusinessId if !p.mask_business_id => out.push_str(value),
        Kind::TwBusinessId => mask_where(out, value, digit, |i, _| i < 4, None),
        Kind::LicensePlate => mask_where(out, value, digit, never, None),
        Kind::Phone => mask_phone(value, out),
        Kind::Email => {
            let at = value.find(['@', '＠']).unwrap_or(value.len());
            mask_where(out, &value[..at], |_| true, |i, _| i == 0, None);
            out.push_str(&value[at..]);
        }
        Kind::PersonName => mask_name(value, p.names, out),
        Kind::Address => {
            // Folding is one char for one char, so counts in the folded text hold in the original.
            let folded = if value.chars().any(|c| fold_char(c) != c) {
                std::borrow::Cow::Owned(fold_str(value))
            } else {
                std::borrow::Cow::Borrowed(value)
            };
            let keep_chars = address::parts(&folded)
                .map(|parts| {
                    folded[..parts.keep_end(p.address == AddressCut::AfterRoad)]
                        .chars()
                        .count()
                })
                .unwrap_or(0);
            // Addresses are Han text: ○ keeps the look of a masked address (○○號).
            mask_where(out, value, not_space, |i, _| i < keep_chars, Some('○'));
        }
        Kind::Keyword => mask_where(out, value, not_space, never, None),
        Kind::Classification => out.push_str(value),
    }
}

fn mask_name(value: &str, style: NameStyle, out: &mut String) {
    let sl =
        name::surname_len(value).unwrap_or_else(|| value.chars().next().map_or(0, char::len_utf8));
    let surname_chars = value[..sl].chars().count();
    let n = value.chars().count();
    out.reserve(value.len());
    for (i, c) in value.chars().enumerate() {
        let keep = match style {
            NameStyle::MaskAll => false,
            NameStyle::MaskGiven => i < surname_chars,
            NameStyle::KeepLast => i < surname_chars || (i == n - 1 && n - surname_chars >= 2),
        };
        out.push(if keep { c } else { '○' });
    }
}

/// Phones: keep the country and area code (or the 09xx of a mobile) and the last digits.
fn mask_phone(value: &str, out: &mut String) {
    // The main number stops at an extension mark.
    let main_end = phone_main_end(value);
    // Digits of the main number, folded; a phone has far fewer than 32.
    let mut buf = [0u8; 32];
    let mut n = 0;
    for c in value[..main_end].chars() {
        let f = fold_char(c);
        if f.is_ascii_digit() {
            if n < buf.len() {
                buf[n] = f as u8;
            }
            n += 1;
        }
    }
    let digits = &buf[..n.min(buf.len())];
    let cc = if digits.starts_with(b"00886") {
        5
    } else if digits.starts_with(b"886") {
        3
    } else {
        0
    };
    let national = &digits[cc..];
    let lead0 = national.starts_with(b"0") as usize;
    let mobile = national[lead0..].starts_with(b"9");
    let keep_first = cc + if mobile { 3 + lead0 } else { 1 + lead0 };
    let keep_last = if mobile || national.len() - lead0 < 9 {
        3
    } else {
        4
    };
    mask_where(
        out,
        &value[..main_end],
        digit,
        |i, _| i < keep_first || i + keep_last >= n,
        None,
    );
    out.push_str(&value[main_end..]);
}

/// Where the main number of a phone ends: at the first occurrence of an extension mark (#, ext,
/// 分機, 轉, a bracket …) that has 7 digits before it.
fn phone_main_end(value: &str) -> usize {
    // One walk, not one search per mark: this runs on every phone printed.
    const MARKS: [&str; 10] = ["#", "ext", "EXT", "Ext", "x", "X", "分機", "轉", "（", "("];
    let mut seen = [false; MARKS.len()];
    let mut digits_before = 0;
    let mut main_end = value.len();
    for (n, (i, c)) in value.char_indices().enumerate() {
        if n > 0 {
            for (m, s) in MARKS.iter().zip(seen.iter_mut()) {
                if !*s && value[i..].starts_with(m) {
                    *s = true;
                    if digits_before >= 7 {
                        main_end = main_end.min(i);
                    }
                }
            }
            if main_end < value.len() {
                break;
            }
        }
        digits_before += digit(c) as usize;
    }
    main_end
}

/// Writes `text` with every finding's span masked. Text outside the spans is unchanged.
/// Findings may overlap (a keyword inside a name): the union of their spans is masked.
pub fn redact(text: &str, findings: &[Finding], p: &MaskProfile) -> String {
    let mut spans: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.kind != Kind::Classification)
        .collect();
    spans.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
    let mut out = String::with_capacity(text.len() + 16);
    let mut pos = 0;
    for f in spans {
        if f.end <= pos {
            continue;
        }
        let start = f.start.max(pos);
        out.push_str(&text[pos..start]);
        if start == f.start {
            mask_into(f.kind, &text[f.start..f.end], p, &mut out);
        } else {
            mask_where(&mut out, &text[start..f.end], not_space, |_, _| false, None);
        }
        pos = f.end;
    }
    out.push_str(&text[pos..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(kind: Kind, v: &str) -> String {
        mask_value(kind, v, &MaskProfile::default())
    }

    /// The extension rule as first written (one search per mark), an oracle for the one-walk form.
    fn main_end_by_search(value: &str) -> usize {
        let first = value.chars().next().map_or(0, char::len_utf8);
        ["#", "ext", "EXT", "Ext", "x", "X", "分機", "轉", "（", "("]
            .iter()
            .filter_map(|m| value[first..].find(m).map(|i| i + first))
            .filter(|&i| value[..i].chars().filter(|c| digit(*c)).count() >= 7)
            .min()
            .unwrap_or(value.len())
    }

    #[test]
    fn phone_extension_walk_agrees_with_searching() {
        let numbers = [
            "(02)2311-1234#56",
            "02-2311-1234 ext 12",
            "0912x345x678",
            "0912345678轉8",
            "（02）2311-1234分機567",
            "+886-2-2311-1234 EXT.9",
            "(0)2 2311 1234 (123)",
            "#0223111234#7",
            "02x23111234x9",
            "０２－２３１１－１２３４＃５",
        ];
        for v in numbers {
            assert_eq!(phone_main_end(v), main_end_by_search(v), "{v}");
            assert_eq!(m(Kind::Phone, v).chars().count(), v.chars().count(), "{v}");
        }
    }

    #[test]
    fn conventions() {
        assert_eq!(m(Kind::TwNationalId, "A123456789"), "A12345****");
        assert_eq!(
            m(Kind::TwNationalId, "Ａ１２３４５６７８９"),
            "Ａ１２３４５＊＊＊＊"
        );
        assert_eq!(m(Kind::PersonName, "王小明"), "王○○");
        assert_eq!(m(Kind::PersonName, "歐陽志明"), "歐陽○○");
        assert_eq!(
            mask_value(
                Kind::PersonName,
                "王小明",
                &MaskProfile::named("keep-last").unwrap()
            ),
            "王○明"
        );
        assert_eq!(m(Kind::Phone, "0912-345-678"), "0912-***-678");
        assert_eq!(m(Kind::Phone, "(02)2311-1234#123"), "(02)****-1234#123");
        assert_eq!(m(Kind::Phone, "+886-912-345-678"), "+886-912-***-678");
        assert_eq!(
            m(Kind::Phone, "（02）2311-1234分機567"),
            "（02）****-1234分機567"
        );
        assert_eq!(
            m(Kind::PaymentCard, "4111 1111 1111 1111"),
            "**** **** **** 1111"
        );
        assert_eq!(m(Kind::Email, "wang@example.gov.tw"), "w***@example.gov.tw");
        assert_eq!(
            m(Kind::Address, "臺北市中正區重慶南路一段122號3樓"),
            "臺北市中正區重慶南路一段○○○○○○"
        );
        let strict = MaskProfile::named("strict").unwrap();
        assert_eq!(
            mask_value(Kind::Address, "臺北市中正區重慶南路一段122號", &strict),
            "臺北市中正區○○○○○○○○○○"
        );
    }
}
