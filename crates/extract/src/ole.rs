//! Legacy Office files (OLE2 compound files). Word 97–2003 `.doc` is read: its text lives in
//! the `WordDocument` stream as pieces listed in the piece table (MS-DOC §2.4.1), each either
//! UTF-16LE or "compressed" 8-bit; the parts (body, footnotes, headers, comments, endnotes, text
//! boxes) follow each other and are reported apart. Field instructions are left out, their
//! results kept. Excel 97–2003 `.xls` goes to `ole_xls`. Encrypted files, encrypted OOXML (also
//! OLE2) and `.ppt` are reported.

use crate::walk::Walk;
use crate::{Origin, Part, Section, Skip};
use std::io::{Cursor, Read};

pub(crate) fn extract(w: &mut Walk<'_>, bytes: &[u8], origin: &Origin) {
    let Ok(mut cf) = cfb::CompoundFile::open(Cursor::new(bytes)) else {
        return w.skip(origin, Skip::Corrupt("OLE2 compound file".into()));
    };
    if cf.exists("EncryptedPackage") {
        return w.skip(origin, Skip::Encrypted);
    }
    if cf.exists("Workbook") && !cf.exists("WordDocument") {
        let limit = w.budget.bytes_left;
        let mut book = vec![];
        let read = cf
            .open_stream("Workbook")
            .and_then(|mut s| s.by_ref().take(limit + 1).read_to_end(&mut book));
        if let Err(e) = read {
            return w.skip(origin, Skip::Corrupt(format!("Workbook: {e}")));
        }
        if book.len() as u64 > limit {
            let limit = w.budget.limits.max_total;
            return w.skip(origin, Skip::TooLarge { limit });
        }
        w.budget.bytes_left -= book.len() as u64;
        return crate::ole_xls::extract(w, &book, origin);
    }
    if !cf.exists("WordDocument") {
        let what = if cf.exists("Book") {
            "Excel 5.0/95 .xls (BIFF5)"
        } else if cf.exists("PowerPoint Document") {
            "legacy PowerPoint .ppt"
        } else {
            "an OLE2 compound file that is not a Word document"
        };
        return w.skip(origin, Skip::Unsupported(what));
    }
    let limit = w.budget.bytes_left;
    let max_total = w.budget.limits.max_total;
    let read = |cf: &mut cfb::CompoundFile<Cursor<&[u8]>>, name: &str| -> Result<Vec<u8>, Skip> {
        let mut s = cf
            .open_stream(name)
            .map_err(|e| Skip::Corrupt(format!("{name}: {e}")))?;
        let mut v = vec![];
        s.by_ref()
            .take(limit + 1)
            .read_to_end(&mut v)
            .map_err(|e| Skip::Corrupt(format!("{name}: {e}")))?;
        if v.len() as u64 > limit {
            return Err(Skip::TooLarge { limit: max_total });
        }
        Ok(v)
    };
    let doc = match read(&mut cf, "WordDocument") {
        Ok(d) => d,
        Err(s) => return w.skip(origin, s),
    };
    let fib = match Fib::parse(&doc) {
        Ok(f) => f,
        Err(s) => return w.skip(origin, s),
    };
    if fib.encrypted {
        return w.skip(origin, Skip::Encrypted);
    }
    let table = match read(&mut cf, if fib.table1 { "1Table" } else { "0Table" }) {
        Ok(t) => t,
        Err(s) => return w.skip(origin, s),
    };
    w.budget.bytes_left = w
        .budget
        .bytes_left
        .saturating_sub((doc.len() + table.len()) as u64);
    let text = match pieces_text(&doc, &table, &fib) {
        Ok(t) => t,
        Err(s) => return w.skip(origin, s),
    };
    // The parts follow each other in character positions.
    let sections = [
        Section::Body,
        Section::Footnotes,
        Section::Header,
        Section::Body,
        Section::Comments,
        Section::Endnotes,
        Section::Body,
        Section::Header,
    ];
    let chars: Vec<char> = text.chars().collect();
    let mut at = 0usize;
    for (i, len) in fib.ccp.iter().enumerate() {
        let end = (at + *len as usize).min(chars.len());
        if end > at {
            let part: String = clean(&chars[at..end]);
            w.text(&origin.with(Part::Section(sections[i])), &part, &[]);
        }
        at = end;
    }
    if at < chars.len() {
        w.text(
            &origin.with(Part::Section(Section::Body)),
            &clean(&chars[at..]),
            &[],
        );
    }
}

/// What the File Information Block says about where the text is.
struct Fib {
    encrypted: bool,
    table1: bool,
    /// Character counts of body, footnotes, headers, macros, comments, endnotes, text boxes,
    /// header text boxes.
    ccp: [u32; 8],
    fc_clx: u32,
    lcb_clx: u32,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

impl Fib {
    fn parse(doc: &[u8]) -> Result<Fib, Skip> {
        let bad = || Skip::Corrupt("Word file information block".into());
        if u16_at(doc, 0).ok_or_else(bad)? != 0xA5EC {
            return Err(bad());
        }
        let flags = u16_at(doc, 0x0A).ok_or_else(bad)?;
        let csw = u16_at(doc, 32).ok_or_else(bad)? as usize;
        let lw_at = 34 + csw * 2;
        let cslw = u16_at(doc, lw_at).ok_or_else(bad)? as usize;
        let lw = lw_at + 2;
        let mut ccp = [0u32; 8];
        for (i, c) in ccp.iter_mut().enumerate() {
            // ccpText is the fourth long; the counts follow it in this order.
            if 3 + i < cslw {
                *c = u32_at(doc, lw + (3 + i) * 4).ok_or_else(bad)?;
            }
        }
        let fc_at = lw + cslw * 4;
        let pairs = u16_at(doc, fc_at).ok_or_else(bad)? as usize;
        if pairs <= 33 {
            return Err(bad());
        }
        let clx = fc_at + 2 + 33 * 8;
        Ok(Fib {
            encrypted: flags & 0x0100 != 0,
            table1: flags & 0x0200 != 0,
            ccp,
            fc_clx: u32_at(doc, clx).ok_or_else(bad)?,
            lcb_clx: u32_at(doc, clx + 4).ok_or_else(bad)?,
        })
    }
}

/// All text of the document, piece by piece, as stored.
fn pieces_text(doc: &[u8], table: &[u8], fib: &Fib) -> Result<String, Skip> {
    let bad = |what: &str| Skip::Corrupt(format!("Word piece table: {what}"));
    let start = fib.fc_clx as usize;
    let end = start
        .checked_add(fib.lcb_clx as usize)
        .filter(|e| *e <= table.len())
        .ok_or_else(|| bad("outside the table stream"))?;
    let clx = &table[start..end];
    let mut i = 0;
    // Formatting runs (Prc) come first; the piece table (Pcdt) after them.
    while clx.get(i) == Some(&0x01) {
        let n = u16_at(clx, i + 1).ok_or_else(|| bad("formatting run"))? as usize;
        i += 3 + n;
    }
    if clx.get(i) != Some(&0x02) {
        return Err(bad("no piece table"));
    }
    let lcb = u32_at(clx, i + 1).ok_or_else(|| bad("size"))? as usize;
    let plc = clx.get(i + 5..i + 5 + lcb).ok_or_else(|| bad("size"))?;
    if lcb < 4 || !(lcb - 4).is_multiple_of(12) {
        return Err(bad("size"));
    }
    let n = (lcb - 4) / 12;
    let mut out = String::new();
    for k in 0..n {
        let cp0 = u32_at(plc, k * 4).ok_or_else(|| bad("positions"))? as usize;
        let cp1 = u32_at(plc, (k + 1) * 4).ok_or_else(|| bad("positions"))? as usize;
        let pcd = (n + 1) * 4 + k * 8;
        let fc = u32_at(plc, pcd + 2).ok_or_else(|| bad("piece"))?;
        let count = cp1
            .checked_sub(cp0)
            .ok_or_else(|| bad("positions out of order"))?;
        if fc & 0x4000_0000 != 0 {
            let at = ((fc & 0x3FFF_FFFF) / 2) as usize;
            let b = doc
                .get(at..at + count)
                .ok_or_else(|| bad("piece outside the document"))?;
            out.extend(b.iter().map(|c| cp1252(*c)));
        } else {
            let at = fc as usize;
            let b = doc
                .get(at..at + count * 2)
                .ok_or_else(|| bad("piece outside the document"))?;
            let units: Vec<u16> = b
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            out.push_str(&String::from_utf16_lossy(&units));
        }
    }
    Ok(out)
}

/// "Compressed" pieces are Windows-1252 (MS-DOC §2.4.1 lists the bytes that differ from Latin-1).
fn cp1252(b: u8) -> char {
    let one = [b];
    let (c, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&one);
    c.chars().next().unwrap_or('\u{FFFD}')
}

/// Word's control characters as a reader sees them; field instructions dropped.
fn clean(chars: &[char]) -> String {
    let mut out = String::with_capacity(chars.len() * 3);
    // Depth of field instructions (between 0x13 and 0x14) being skipped.
    let mut instr: Vec<bool> = vec![];
    for &c in chars {
        match c {
            '\u{13}' => instr.push(true),
            '\u{14}' => {
                if let Some(top) = instr.last_mut() {
                    *top = false;
                }
            }
            '\u{15}' => {
                instr.pop();
            }
            _ if instr.iter().any(|i| *i) => {}
            '\r' | '\u{0B}' | '\u{0C}' => out.push('\n'),
            '\u{07}' => out.push('\t'),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn fields_keep_their_result_and_control_characters_read_as_text() {
        let s: Vec<char> =
            "陳情人\u{13} HYPERLINK \"x\" \u{14}王小明\u{15}\r身分證\u{07}A123456789\u{07}\u{01}"
                .chars()
                .collect();
        assert_eq!(clean(&s), "陳情人王小明\n身分證\tA123456789\t");
    }
}
