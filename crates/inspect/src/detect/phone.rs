//! The Taiwanese numbering plan: which digit strings are phone numbers, and their extensions.

use crate::fold::fold_char;

/// Turns the digits of a matched phone into the domestic form (leading 0), and says if it is mobile.
pub(super) fn national_number(digits: &[u8], raw: &str) -> Option<(Vec<u8>, bool)> {
    let intl = raw.starts_with('+')
        || raw.starts_with("00")
        || raw.starts_with("886")
        || raw.starts_with("(+886")
        || raw.starts_with("(886");
    let mut n: Vec<u8> = if intl {
        let rest = digits.strip_prefix(b"00").unwrap_or(digits);
        let rest = rest.strip_prefix(b"886")?;
        let rest = rest.strip_prefix(b"0").unwrap_or(rest);
        let mut v = vec![b'0'];
        v.extend_from_slice(rest);
        v
    } else {
        digits.to_vec()
    };
    if n.first() != Some(&b'0') {
        return None;
    }
    let mobile = n.starts_with(b"09");
    n.shrink_to_fit();
    Some((n, mobile))
}

/// Domestic number lengths by area code (NCC numbering plan).
pub(super) fn valid_tw_number(n: &[u8]) -> bool {
    if n.len() < 2 || n[0] != b'0' {
        return false;
    }
    let len = n.len();
    match n[1] {
        b'9' => len == 10,
        b'2' => len == 10 && n[2] != b'0' && n[2] != b'1',
        b'4' => (len == 9 || len == 10) && n[2] != b'0',
        b'3' | b'5' | b'6' | b'7' | b'8' => len == 9 && n[2] != b'0',
        _ => false,
    }
}

/// Length of an ASCII extension suffix (` #123`, ` ext. 123`, `x123`) at the start of `t`.
pub(super) fn extension_len(t: &str) -> usize {
    let b = t.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i] == b' ' {
        i += 1;
    }
    let rest = &t[i..];
    let mark = ["#", "ext.", "ext", "EXT.", "EXT", "Ext.", "Ext", "x", "X"]
        .iter()
        .find(|m| rest.starts_with(**m))
        .map(|m| m.len());
    let Some(ml) = mark else { return 0 };
    let mut j = i + ml;
    while j < b.len() && b[j] == b' ' {
        j += 1;
    }
    let d = b[j..].iter().take_while(|c| c.is_ascii_digit()).count();
    if (1..=6).contains(&d) { j + d } else { 0 }
}

/// Length of a 分機/轉 extension (digits ASCII or full-width) at the start of `t`.
pub(super) fn cjk_extension_len(t: &str) -> usize {
    let mut i = 0;
    for mark in ["（", "("] {
        if t.starts_with(mark) {
            i = mark.len();
        }
    }
    let rest = &t[i..];
    let Some(ml) = ["分機", "轉"]
        .iter()
        .find(|m| rest.starts_with(**m))
        .map(|m| m.len())
    else {
        return 0;
    };
    let mut j = i + ml;
    let mut n = 0;
    for c in t[j..].chars() {
        let f = fold_char(c);
        if f.is_ascii_digit() {
            n += 1;
            j += c.len_utf8();
        } else if f == ' ' || f == ':' {
            j += c.len_utf8();
        } else {
            break;
        }
    }
    if n == 0 {
        return 0;
    }
    if i > 0 && (t[j..].starts_with('）') || t[j..].starts_with(')')) {
        j += t[j..].chars().next().map_or(0, char::len_utf8);
    } else if i > 0 {
        // An opening bracket without its close: leave the bracket out.
        return 0;
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbering_plan() {
        for ok in [
            "0223111234",
            "037773529",
            "0912345678",
            "0422223333",
            "047223333",
            "089351234",
            "082312345",
        ] {
            assert!(valid_tw_number(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "0212345678",
            "091234567",
            "02231112345",
            "0323456789",
            "0123456789",
            "0800123456",
        ] {
            assert!(!valid_tw_number(bad.as_bytes()), "{bad}");
        }
        assert_eq!(
            national_number(b"886912345678", "+886-912-345-678"),
            Some((b"0912345678".to_vec(), true))
        );
        assert_eq!(extension_len(" #123 rest"), 5);
        assert_eq!(cjk_extension_len("分機１２３，"), "分機１２３".len());
        assert_eq!(cjk_extension_len("（分機12）"), "（分機12）".len());
        assert_eq!(cjk_extension_len("（分機12"), 0);
    }
}
