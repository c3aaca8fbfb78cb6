//! A lexer for PDF content streams (ISO 32000-1, 7.2 and 7.8), hand-written for the hot path:
//! lopdf's combinator parser built an object, and allocated, for every token, and read the
//! content of Chinese documents at ~1 MB/s. Here operands are borrowed where they can be, only
//! the operators text extraction needs are handed out with their operands, and inline image data
//! is skipped. Array nesting is capped; an unterminated string or array ends the stream with an
//! error after every operator before it was delivered.

/// An operand, as much of it as text extraction reads.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand<'a> {
    Num(f32),
    Name(&'a [u8]),
    /// A string's bytes, escapes resolved.
    Str(Vec<u8>),
    Array(Vec<Operand<'a>>),
    /// Booleans, null, dictionaries: not read by text extraction.
    Other,
}

/// Deepest nesting of arrays and dictionaries.
const MAX_NESTING: usize = 64;

/// Calls `f` with each operator and its operands, in order. Returns an error message if the
/// stream is malformed (the operators before the problem have been delivered).
pub(crate) fn for_each_op<'a>(
    b: &'a [u8],
    mut f: impl FnMut(&'a [u8], &[Operand<'a>]),
) -> Result<(), String> {
    let mut operands: Vec<Operand<'a>> = vec![];
    // Open arrays (Some) and dictionaries (None), innermost last.
    let mut open: Vec<Option<Vec<Operand<'a>>>> = vec![];
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let value = match c {
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | 0 => {
                i += 1;
                continue;
            }
            b'%' => {
                i = memchr::memchr2(b'\n', b'\r', &b[i..]).map_or(b.len(), |e| i + e);
                continue;
            }
            b'(' => {
                let (s, end) = literal(b, i + 1).ok_or("unterminated string")?;
                i = end;
                Operand::Str(s)
            }
            b'<' if b.get(i + 1) == Some(&b'<') => {
                if open.len() >= MAX_NESTING {
                    return Err("nesting too deep".into());
                }
                open.push(None);
                i += 2;
                continue;
            }
            b'>' if b.get(i + 1) == Some(&b'>') => {
                i += 2;
                match open.pop() {
                    Some(None) => Operand::Other,
                    _ => return Err("unbalanced dictionary".into()),
                }
            }
            b'<' => {
                let end = memchr::memchr(b'>', &b[i..]).ok_or("unterminated hex string")? + i;
                let s = hex(&b[i + 1..end]);
                i = end + 1;
                Operand::Str(s)
            }
            b'[' => {
                if open.len() >= MAX_NESTING {
                    return Err("nesting too deep".into());
                }
                open.push(Some(vec![]));
                i += 1;
                continue;
            }
            b']' => {
                i += 1;
                match open.pop() {
                    Some(Some(items)) => Operand::Array(items),
                    _ => return Err("unbalanced array".into()),
                }
            }
            b'/' => {
                let end = token_end(b, i + 1);
                let name = &b[i + 1..end];
                i = end;
                Operand::Name(name)
            }
            b')' | b'>' | b'{' | b'}' => {
                // Stray delimiters (or PostScript calculator braces): nothing to read.
                i += 1;
                continue;
            }
            _ => {
                let end = token_end(b, i + 1).max(i + 1);
                let tok = &b[i..end];
                i = end;
                if let Some(n) = number(tok) {
                    Operand::Num(n)
                } else if matches!(tok, b"true" | b"false" | b"null") {
                    Operand::Other
                } else if !open.is_empty() {
                    // An operator inside an array is malformed; keep reading.
                    Operand::Other
                } else {
                    if tok == b"BI" {
                        i = skip_inline_image(b, i);
                        operands.clear();
                        continue;
                    }
                    f(tok, &operands);
                    operands.clear();
                    continue;
                }
            }
        };
        match open.last_mut() {
            Some(Some(items)) => items.push(value),
            // Dictionary entries are not read.
            Some(None) => {}
            None => operands.push(value),
        }
    }
    if open.is_empty() {
        Ok(())
    } else {
        Err("unterminated array or dictionary".into())
    }
}

fn is_delimiter_or_space(c: u8) -> bool {
    matches!(
        c,
        b' ' | b'\t'
            | b'\n'
            | b'\r'
            | b'\x0c'
            | 0
            | b'('
            | b')'
            | b'<'
            | b'>'
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'/'
            | b'%'
    )
}

/// End of the regular characters from `from`.
fn token_end(b: &[u8], from: usize) -> usize {
    b[from..]
        .iter()
        .position(|&c| is_delimiter_or_space(c))
        .map_or(b.len(), |p| from + p)
}

fn number(tok: &[u8]) -> Option<f32> {
    let first = *tok.first()?;
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return None;
    }
    std::str::from_utf8(tok).ok()?.parse().ok()
}

/// A literal string starting after its `(`: its bytes and the index after its `)`.
fn literal(b: &[u8], from: usize) -> Option<(Vec<u8>, usize)> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut i = from;
    while i < b.len() {
        let c = b[i];
        i += 1;
        match c {
            b'(' => {
                depth += 1;
                out.push(c);
            }
            b')' if depth == 0 => return Some((out, i)),
            b')' => {
                depth -= 1;
                out.push(c);
            }
            b'\\' => {
                let e = *b.get(i)?;
                i += 1;
                match e {
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'0'..=b'7' => {
                        let mut v = (e - b'0') as u32;
                        for _ in 0..2 {
                            match b.get(i) {
                                Some(d @ b'0'..=b'7') => {
                                    v = v * 8 + (d - b'0') as u32;
                                    i += 1;
                                }
                                _ => break,
                            }
                        }
                        out.push(v as u8);
                    }
                    // A backslash at the end of a line continues the string.
                    b'\r' => {
                        if b.get(i) == Some(&b'\n') {
                            i += 1;
                        }
                    }
                    b'\n' => {}
                    other => out.push(other),
                }
            }
            _ => out.push(c),
        }
    }
    None
}

/// A hexadecimal string's bytes; white space is ignored and an odd last digit is followed by 0.
fn hex(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len() / 2 + 1);
    let mut high: Option<u8> = None;
    for d in b.iter().filter_map(|&c| (c as char).to_digit(16)) {
        match high.take() {
            Some(h) => out.push(h << 4 | d as u8),
            None => high = Some(d as u8),
        }
    }
    if let Some(h) = high {
        out.push(h << 4);
    }
    out
}

/// Skips an inline image from after its `BI`: the dictionary up to `ID`, then binary data up to
/// an `EI` between white space.
fn skip_inline_image(b: &[u8], from: usize) -> usize {
    let Some(id) = memchr::memmem::find(&b[from..], b"ID") else {
        return b.len();
    };
    let mut i = from + id + 3;
    while let Some(p) = memchr::memmem::find(&b[i.min(b.len())..], b"EI") {
        let at = i + p;
        let before = at > 0 && is_white(b[at - 1]);
        let after = b.get(at + 2).is_none_or(|&c| is_white(c));
        if before && after {
            return at + 2;
        }
        i = at + 2;
    }
    b.len()
}

fn is_white(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    type Ops<'a> = Vec<(String, Vec<Operand<'a>>)>;

    fn ops(s: &[u8]) -> (Ops<'_>, Result<(), String>) {
        let mut v = vec![];
        let r = for_each_op(s, |op, args| {
            v.push((String::from_utf8_lossy(op).into_owned(), args.to_vec()))
        });
        (v, r)
    }

    #[test]
    fn text_operators_with_strings_arrays_and_escapes() {
        let (v, r) = ops(
            b"BT /F1 12 Tf 1 0 0 1 72.5 -700 Tm (a\\(b\\)c\\101\\n) Tj [<4E2D 6587> -250 (x)] TJ T* ET % note\n",
        );
        assert!(r.is_ok());
        let names: Vec<&str> = v.iter().map(|(o, _)| o.as_str()).collect();
        assert_eq!(names, ["BT", "Tf", "Tm", "Tj", "TJ", "T*", "ET"]);
        assert_eq!(v[1].1, [Operand::Name(b"F1"), Operand::Num(12.0)]);
        assert_eq!(v[2].1[5], Operand::Num(-700.0));
        assert_eq!(hex(b"4E2 D6\n5"), [0x4E, 0x2D, 0x65]);
        assert_eq!(hex(b"4E2"), [0x4E, 0x20]);
        assert_eq!(v[3].1, [Operand::Str(b"a(b)cA\n".to_vec())]);
        assert_eq!(
            v[4].1,
            [Operand::Array(vec![
                Operand::Str(vec![0x4E, 0x2D, 0x65, 0x87]),
                Operand::Num(-250.0),
                Operand::Str(b"x".to_vec())
            ])]
        );
    }

    proptest::proptest! {
        /// Any bytes end (with or without an error) and deliver only operators that are tokens;
        /// bytes made of content-stream syntax reach the deeper paths.
        #[test]
        fn arbitrary_bytes_never_panic(
            raw in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512),
            syntax in "[\\[\\]()<>/%{} \n0-9a-fA-F.+\\-\\\\BTIDEJj]{0,256}",
        ) {
            for b in [&raw[..], syntax.as_bytes()] {
                let _ = for_each_op(b, |op, _| assert!(!op.is_empty()));
            }
        }
    }

    #[test]
    fn inline_images_dictionaries_and_nesting_are_skipped_or_bounded() {
        let (v, r) = ops(b"/P <</MCID 0>> BDC BI /W 2 /H 1 ID \x00EI\xffEI\x01 EI (t) Tj EMC");
        assert!(r.is_ok());
        let names: Vec<&str> = v.iter().map(|(o, _)| o.as_str()).collect();
        assert_eq!(names, ["BDC", "Tj", "EMC"]);
        assert_eq!(v[1].1, [Operand::Str(b"t".to_vec())]);
        let deep = "[".repeat(10_000);
        assert!(ops(deep.as_bytes()).1.is_err());
        // Operators before a broken string are delivered.
        let (v, r) = ops(b"(a) Tj (unterminated");
        assert_eq!(v.len(), 1);
        assert!(r.is_err());
    }
}
