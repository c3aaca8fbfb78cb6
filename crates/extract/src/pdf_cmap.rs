//! ToUnicode lookups memoised per code. lopdf answers each code from a range map and allocates
//! the answer; a Chinese page asks for the same few thousand codes again and again, and those
//! lookups were half the time of reading a PDF. The decoding steps are lopdf's own (greedy
//! codes of 1 to 4 bytes, U+FFFD for unmapped ones, UTF-16 to text), so the text is the same.

use lopdf::Encoding;
use std::cell::RefCell;

/// Table entry: not asked yet.
const UNKNOWN: u32 = 0;
/// Table entry: the code has no mapping.
const UNMAPPED: u32 = 1;

/// A ToUnicode map (lopdf's `UnicodeMapEncoding`) with memo tables for 1- and 2-byte codes.
pub(crate) struct Memo<'d> {
    enc: Encoding<'d>,
    tables: RefCell<Tables>,
}

#[derive(Default)]
struct Tables {
    /// Per code length (1, 2): per code, `UNKNOWN`, `UNMAPPED` or 2 + an index into `seqs`.
    one: Vec<u32>,
    two: Vec<u32>,
    seqs: Vec<Vec<u16>>,
}

impl<'d> Memo<'d> {
    /// Memoises `enc`, which should be a ToUnicode map (other encodings map nothing here).
    pub(crate) fn new(enc: Encoding<'d>) -> Memo<'d> {
        Memo {
            enc,
            tables: RefCell::default(),
        }
    }

    fn lookup(&self, code: u32, len: u8) -> Option<Vec<u16>> {
        match &self.enc {
            Encoding::UnicodeMapEncoding(cmap) => cmap.get(code, len),
            _ => None,
        }
    }

    /// The text of a string's bytes.
    pub(crate) fn decode(&self, bytes: &[u8]) -> String {
        let mut t = self.tables.borrow_mut();
        let mut units: Vec<u16> = Vec::with_capacity(bytes.len());
        let (mut len, mut code) = (0u8, 0u32);
        for &b in bytes {
            if len == 4 {
                units.extend(self.get(&mut t, code, 4).unwrap_or(&[0xFFFD]));
                (len, code) = (0, 0);
            }
            len += 1;
            code = code * 256 + b as u32;
            if let Some(v) = self.get(&mut t, code, len) {
                units.extend_from_slice(v);
                (len, code) = (0, 0);
            }
        }
        if len > 0 {
            units.extend(self.get(&mut t, code, len).unwrap_or(&[0xFFFD]));
        }
        utf16_text(&units)
    }

    fn get<'t>(&self, t: &'t mut Tables, code: u32, len: u8) -> Option<&'t [u16]> {
        let slot = match len {
            1 => {
                if t.one.is_empty() {
                    t.one = vec![UNKNOWN; 256];
                }
                code as usize
            }
            2 => {
                if t.two.is_empty() {
                    t.two = vec![UNKNOWN; 1 << 16];
                }
                code as usize
            }
            _ => {
                // Longer codes are rare: asked of lopdf each time, kept in `seqs` for the borrow.
                let v = self.lookup(code, len)?;
                t.seqs.push(v);
                return t.seqs.last().map(Vec::as_slice);
            }
        };
        let entry = if len == 1 { t.one[slot] } else { t.two[slot] };
        let entry = if entry == UNKNOWN {
            let e = match self.lookup(code, len) {
                Some(v) => {
                    t.seqs.push(v);
                    t.seqs.len() as u32 + 1
                }
                None => UNMAPPED,
            };
            if len == 1 {
                t.one[slot] = e;
            } else {
                t.two[slot] = e;
            }
            e
        } else {
            entry
        };
        (entry != UNMAPPED).then(|| t.seqs[entry as usize - 2].as_slice())
    }
}

/// UTF-16 units as text, the way lopdf turns them into text (through encoding_rs's UTF-16BE
/// `decode`): a leading byte order mark is dropped, and a reversed one switches the rest to
/// little-endian; unpaired surrogates become U+FFFD.
fn utf16_text(units: &[u16]) -> String {
    let (rest, swap) = match units.first() {
        Some(0xFEFF) => (&units[1..], false),
        Some(0xFFFE) => (&units[1..], true),
        _ => (units, false),
    };
    let units = rest.iter().map(|u| if swap { u.swap_bytes() } else { *u });
    char::decode_utf16(units)
        .map(|c| c.unwrap_or('\u{FFFD}'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::utf16_text;

    /// The same text as encoding_rs gives for the same units as UTF-16BE bytes.
    #[test]
    fn utf16_text_agrees_with_encoding_rs() {
        let cases: &[&[u16]] = &[
            &[0x6A5F, 0x5BC6],
            &[0xFEFF, 0x6A5F],
            &[0xFFFE, 0x5F6A, 0xC65B],
            &[0xD800, 0x0041, 0xDC00],
            &[0xD83D, 0xDE00, 0xDE00],
            &[],
        ];
        for units in cases {
            let be: Vec<u8> = units.iter().flat_map(|u| u.to_be_bytes()).collect();
            let want = encoding_rs::UTF_16BE.decode(&be).0;
            assert_eq!(utf16_text(units), want, "{units:x?}");
        }
    }
}
