//! Property tests: checksums and masking.

use baomi_inspect::checksum::{luhn, tw_business_id, tw_id};
use baomi_inspect::mask::{MaskProfile, redact};
use baomi_inspect::{Kind, Scanner};
use proptest::prelude::*;

const CODES: [u32; 26] = [
    10, 11, 12, 13, 14, 15, 16, 17, 34, 18, 19, 20, 21, 22, 35, 23, 24, 25, 26, 27, 28, 29, 32, 30,
    31, 33,
];

/// A national ID with its check digit computed independently of the library.
fn national_id(letter: u8, gender: u8, body: &[u8]) -> String {
    let code = CODES[letter as usize];
    let mut sum = code / 10 + (code % 10) * 9 + gender as u32 * 8;
    for (i, d) in body.iter().enumerate() {
        sum += *d as u32 * (7 - i as u32);
    }
    let check = (10 - sum % 10) % 10;
    let digits: String = body.iter().map(|d| char::from(b'0' + d)).collect();
    format!("{}{gender}{digits}{check}", char::from(b'A' + letter))
}

fn luhn_complete(body: &[u8]) -> Vec<u8> {
    for c in 0..10u8 {
        let mut v: Vec<u8> = body.iter().map(|d| b'0' + d).collect();
        v.push(b'0' + c);
        if luhn(&v) {
            return v;
        }
    }
    unreachable!()
}

/// Han filler that holds no trigger words.
fn filler() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop::sample::select(vec![
            '的', '公', '務', '資', '料', '報', '告', '，', '。', '年', '度', '計', '畫',
        ]),
        0..30,
    )
    .prop_map(|v| v.into_iter().collect())
}

proptest! {
    #[test]
    fn valid_ids_pass_and_a_wrong_check_digit_never_does(letter in 0u8..26, gender in 1u8..=2, body in proptest::collection::vec(0u8..10, 7), bump in 1u8..10) {
        let id = national_id(letter, gender, &body);
        prop_assert!(tw_id(id.as_bytes()).is_some());
        let mut bad = id.into_bytes();
        bad[9] = b'0' + (bad[9] - b'0' + bump) % 10;
        prop_assert!(tw_id(&bad).is_none());
    }

    #[test]
    fn luhn_catches_every_single_digit_change(body in proptest::collection::vec(0u8..10, 15), pos in 0usize..16, bump in 1u8..10) {
        let mut n = luhn_complete(&body);
        prop_assert!(luhn(&n));
        n[pos] = b'0' + (n[pos] - b'0' + bump) % 10;
        prop_assert!(!luhn(&n));
    }

    #[test]
    fn business_id_checksum_holds_for_one_digit_in_ten_or_so(digits in proptest::collection::vec(0u8..10, 7)) {
        // Of the ten possible last digits, at least one and at most three pass (divisible by 5,
        // plus the 7th-digit-is-7 alternative).
        let base: Vec<u8> = digits.iter().map(|d| b'0' + d).collect();
        let ok = (0..10u8).filter(|c| {
            let mut v = base.clone();
            v.push(b'0' + c);
            tw_business_id(&v)
        }).count();
        prop_assert!((1..=4).contains(&ok), "{ok}");
    }

    #[test]
    fn planted_ids_are_found_and_masking_hides_them(
        pre in filler(), post in filler(),
        letter in 0u8..26, gender in 1u8..=2, body in proptest::collection::vec(0u8..10, 7),
        profile in prop::sample::select(MaskProfile::BUILT_IN.to_vec()),
    ) {
        let id = national_id(letter, gender, &body);
        let text = format!("{pre}身分證{id}{post}");
        let found = Scanner::new().scan(&text);
        let f = found.iter().find(|f| f.kind == Kind::TwNationalId);
        prop_assert!(f.is_some(), "{text}");
        let f = f.unwrap();
        prop_assert_eq!(&text[f.start..f.end], id.as_str());
        let p = MaskProfile::named(profile).unwrap();
        let masked = redact(&text, &found, &p);
        // Same layout, same text outside the spans, and the value is gone.
        prop_assert_eq!(masked.chars().count(), text.chars().count());
        prop_assert!(masked.starts_with(&text[..f.start]));
        prop_assert!(masked.ends_with(&text[f.end..]));
        let shown = &masked[f.start..masked.len() - (text.len() - f.end)];
        prop_assert!(!masked.contains(&id));
        // At most `id_keep` chars of the ID survive, and never its last four.
        let kept = shown.chars().zip(id.chars()).filter(|(a, b)| a == b).count();
        prop_assert!(kept <= p.id_keep.min(6), "{shown}");
        prop_assert!(shown.ends_with("****"));
    }

    #[test]
    fn masking_never_touches_text_outside_spans(text in "[0-9A-Za-z陳林王小明先生住臺北市中正區路號電話身分證：，。 ]{0,80}") {
        let found = Scanner::new().scan(&text);
        let masked = redact(&text, &found, &MaskProfile::default());
        prop_assert_eq!(masked.chars().count(), text.chars().count());
        // Outside every span, the bytes are the original bytes (spans keep their char count,
        // so walk both strings char by char).
        let mut spans: Vec<(usize, usize)> = found.iter().filter(|f| f.kind != Kind::Classification).map(|f| (f.start, f.end)).collect();
        spans.sort();
        let inside = |i: usize| spans.iter().any(|(s, e)| *s <= i && i < *e);
        let mut changed = vec![false; spans.len()];
        for ((i, a), b) in text.char_indices().zip(masked.chars()) {
            if !inside(i) {
                prop_assert_eq!(a, b, "at {}", i);
            } else if a != b {
                for (k, (s, e)) in spans.iter().enumerate() {
                    changed[k] |= *s <= i && i < *e;
                }
            }
        }
        // Every span of personal data had something masked.
        prop_assert!(changed.iter().all(|c| *c), "{text:?} -> {masked:?}");
    }
}
