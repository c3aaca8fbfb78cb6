//! Check digits of Taiwanese identifiers and payment cards.

/// Two-digit code of the first letter of a national or resident ID (A=10 ... Z=33).
fn letter_code(c: u8) -> Option<u32> {
    const CODES: [u8; 26] = [
        10, 11, 12, 13, 14, 15, 16, 17, 34, 18, 19, 20, 21, 22, 35, 23, 24, 25, 26, 27, 28, 29, 32,
        30, 31, 33,
    ];
    c.to_ascii_uppercase()
        .checked_sub(b'A')
        .and_then(|i| CODES.get(i as usize))
        .map(|&v| v as u32)
}

/// Checks the ID checksum given the first letter and the nine values after it.
fn id_checksum(letter: u8, rest: [u32; 9]) -> bool {
    let Some(code) = letter_code(letter) else {
        return false;
    };
    let mut sum = code / 10 + (code % 10) * 9;
    for (i, d) in rest.iter().enumerate() {
        let w = if i == 8 { 1 } else { 8 - i as u32 };
        sum += d * w;
    }
    sum % 10 == 0
}

/// Which kind of personal ID a 10-character string is, if its checksum holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// 國民身分證 (second character 1 or 2).
    National,
    /// 2021 居留證 (second character 8 or 9).
    ResidentNew,
    /// Older 居留證 (second character a letter A-D).
    ResidentOld,
}

/// Validates a 10-character national or resident ID (letters may be lowercase).
pub fn tw_id(s: &[u8]) -> Option<IdKind> {
    if s.len() != 10 || !s[0].is_ascii_alphabetic() || !s[2..].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let second = s[1].to_ascii_uppercase();
    let (kind, d1) = match second {
        b'1' | b'2' => (IdKind::National, (second - b'0') as u32),
        b'8' | b'9' => (IdKind::ResidentNew, (second - b'0') as u32),
        b'A'..=b'D' => (IdKind::ResidentOld, letter_code(second)? % 10),
        _ => return None,
    };
    let mut rest = [0u32; 9];
    rest[0] = d1;
    for (i, &b) in s[2..].iter().enumerate() {
        rest[i + 1] = (b - b'0') as u32;
    }
    id_checksum(s[0], rest).then_some(kind)
}

/// Validates a 統一編號 with the 2023 rule (divisible by 5; 7th digit 7 may count as 0 or 1).
/// The rule accepts every number valid under the older divisible-by-10 rule.
pub fn tw_business_id(s: &[u8]) -> bool {
    if s.len() != 8 || !s.iter().all(u8::is_ascii_digit) {
        return false;
    }
    const W: [u32; 8] = [1, 2, 1, 2, 1, 2, 4, 1];
    let mut sum = 0;
    for (d, w) in s.iter().zip(W) {
        let p = (d - b'0') as u32 * w;
        sum += p / 10 + p % 10;
    }
    sum % 5 == 0 || (s[6] == b'7' && (sum + 1) % 5 == 0)
}

/// Luhn check over ASCII digits.
pub fn luhn(digits: &[u8]) -> bool {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = (d - b'0') as u32;
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum.is_multiple_of(10)
}

/// Whether a digit string belongs to a known card issuer range with a matching length.
pub fn card_issuer(d: &[u8]) -> Option<&'static str> {
    let n = d.len();
    let prefix = |k: usize| -> u32 {
        d[..k.min(n)]
            .iter()
            .fold(0, |acc, b| acc * 10 + (b - b'0') as u32)
    };
    let p2 = prefix(2);
    let p3 = prefix(3);
    let p4 = prefix(4);
    let p6 = prefix(6);
    if d[0] == b'4' && matches!(n, 13 | 16 | 19) {
        Some("visa")
    } else if ((51..=55).contains(&p2) || (222100..=272099).contains(&p6)) && n == 16 {
        Some("mastercard")
    } else if matches!(p2, 34 | 37) && n == 15 {
        Some("amex")
    } else if (3528..=3589).contains(&p4) && (16..=19).contains(&n) {
        Some("jcb")
    } else if p2 == 62 && (16..=19).contains(&n) {
        Some("unionpay")
    } else if ((300..=305).contains(&p3) || matches!(p2, 36 | 38)) && (14..=19).contains(&n) {
        Some("diners")
    } else if (p4 == 6011 || p2 == 65 || (644..=649).contains(&p3)) && (16..=19).contains(&n) {
        Some("discover")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_ids() {
        assert_eq!(tw_id(b"A123456789"), Some(IdKind::National));
        assert_eq!(tw_id(b"a123456789"), Some(IdKind::National));
        assert_eq!(tw_id(b"A123456788"), None);
        assert_eq!(tw_id(b"A323456789"), None);
    }

    #[test]
    fn business_ids() {
        assert!(tw_business_id(b"04595257"));
        assert!(tw_business_id(b"10458575"));
        assert!(tw_business_id(b"10458574")); // valid only by the 7th-digit-is-7 rule
        assert!(!tw_business_id(b"10458573"));
        assert!(!tw_business_id(b"04595258"));
    }

    #[test]
    fn cards() {
        assert!(luhn(b"4111111111111111"));
        assert!(!luhn(b"4111111111111112"));
        assert_eq!(card_issuer(b"4111111111111111"), Some("visa"));
        assert_eq!(card_issuer(b"378282246310005"), Some("amex"));
        assert_eq!(card_issuer(b"1111111111111111"), None);
    }
}
