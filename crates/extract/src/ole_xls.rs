//! Excel 97–2003 `.xls` (BIFF8 in the `Workbook` stream): the shared string table (whose strings
//! run on across CONTINUE records), sheet names, text and number cells with their addresses,
//! page headers and footers. A file protected by a password (FILEPASS) is reported encrypted.

use crate::walk::Walk;
use crate::{Origin, Part, Section, Skip};

const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const FILEPASS: u16 = 0x002F;
const BOUNDSHEET: u16 = 0x0085;
const SST: u16 = 0x00FC;
const CONTINUE: u16 = 0x003C;
const LABELSST: u16 = 0x00FD;
const LABEL: u16 = 0x0204;
const NUMBER: u16 = 0x0203;
const RK: u16 = 0x027E;
const MULRK: u16 = 0x00BD;
const HEADER: u16 = 0x0014;
const FOOTER: u16 = 0x0015;

/// One record: type and data, with the data of the CONTINUE records that follow it.
struct Record<'a> {
    kind: u16,
    data: &'a [u8],
    /// Data of each following CONTINUE record.
    more: Vec<&'a [u8]>,
}

fn records(s: &[u8], from: usize) -> impl Iterator<Item = Record<'_>> {
    let mut at = from;
    std::iter::from_fn(move || {
        let head = s.get(at..at + 4)?;
        let kind = u16::from_le_bytes([head[0], head[1]]);
        let len = u16::from_le_bytes([head[2], head[3]]) as usize;
        let data = s.get(at + 4..at + 4 + len)?;
        at += 4 + len;
        let mut more = vec![];
        while let Some(h) = s.get(at..at + 4)
            && u16::from_le_bytes([h[0], h[1]]) == CONTINUE
        {
            let len = u16::from_le_bytes([h[2], h[3]]) as usize;
            more.push(s.get(at + 4..at + 4 + len)?);
            at += 4 + len;
        }
        Some(Record { kind, data, more })
    })
}

pub(crate) fn extract(w: &mut Walk<'_>, book: &[u8], origin: &Origin) {
    let mut sheets: Vec<(String, usize)> = vec![];
    let mut shared: Vec<String> = vec![];
    for r in records(book, 0) {
        match r.kind {
            FILEPASS => return w.skip(origin, Skip::Encrypted),
            BOUNDSHEET if r.data.len() > 8 => {
                let pos = u32::from_le_bytes([r.data[0], r.data[1], r.data[2], r.data[3]]) as usize;
                let mut c = Cursor::new(vec![&r.data[6..]]);
                let cch = c.u8().unwrap_or(0) as usize;
                sheets.push((c.chars(cch).unwrap_or_default(), pos));
            }
            SST => shared = sst(&r),
            EOF => break,
            _ => {}
        }
    }
    if sheets.is_empty() {
        return w.skip(
            origin,
            Skip::Corrupt("Excel workbook without sheets".into()),
        );
    }
    for (name, pos) in sheets {
        let here = origin.with(Part::Sheet(name));
        let mut cells: Vec<(u16, u16, String)> = vec![];
        let mut header = String::new();
        for (i, r) in records(book, pos).enumerate() {
            if i == 0 && r.kind != BOF {
                w.skip(
                    &here,
                    Skip::Corrupt("sheet does not start where the workbook says".into()),
                );
                break;
            }
            let d = r.data;
            let rc = |d: &[u8]| {
                (
                    u16::from_le_bytes([d[0], d[1]]),
                    u16::from_le_bytes([d[2], d[3]]),
                )
            };
            match r.kind {
                LABELSST if d.len() >= 10 => {
                    let (row, col) = rc(d);
                    let i = u32::from_le_bytes([d[6], d[7], d[8], d[9]]) as usize;
                    if let Some(s) = shared.get(i) {
                        cells.push((row, col, s.clone()));
                    }
                }
                LABEL if d.len() >= 9 => {
                    let (row, col) = rc(d);
                    let mut c = Cursor::new(vec![&d[6..]]);
                    let cch = c.u16().unwrap_or(0) as usize;
                    cells.push((row, col, c.chars(cch).unwrap_or_default()));
                }
                NUMBER if d.len() >= 14 => {
                    let (row, col) = rc(d);
                    let v = f64::from_le_bytes(d[6..14].try_into().unwrap_or([0; 8]));
                    cells.push((row, col, number(v)));
                }
                RK if d.len() >= 10 => {
                    let (row, col) = rc(d);
                    cells.push((row, col, number(rk(&d[6..10]))));
                }
                MULRK if d.len() >= 6 => {
                    let (row, first) = rc(d);
                    for (k, cell) in d[4..d.len() - 2].chunks_exact(6).enumerate() {
                        cells.push((row, first + k as u16, number(rk(&cell[2..6]))));
                    }
                }
                HEADER | FOOTER if d.len() >= 3 => {
                    let mut c = Cursor::new(vec![d]);
                    let cch = c.u16().unwrap_or(0) as usize;
                    header.push_str(&crate::ooxml_sheet::strip_hf_codes(
                        &c.chars(cch).unwrap_or_default(),
                    ));
                    header.push('\n');
                }
                EOF => break,
                _ => {}
            }
        }
        cells.sort_by_key(|c| (c.0, c.1));
        let mut text = String::new();
        let mut places = vec![];
        let mut row = None;
        for (r, c, v) in cells {
            if row.is_some_and(|p| p != r) {
                text.push('\n');
            } else if row.is_some() {
                text.push('\t');
            }
            row = Some(r);
            places.push((
                text.len(),
                crate::Cell {
                    row: u32::from(r) + 1,
                    col: u32::from(c) + 1,
                },
            ));
            text.push_str(&v);
        }
        text.push('\n');
        w.text(&here, &text, &places);
        w.text(&here.with(Part::Section(Section::Header)), &header, &[]);
    }
}

/// Numbers as a person types them: integers without a decimal point.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// The RK number format: a 30-bit integer or the top of a double, maybe divided by 100.
fn rk(b: &[u8]) -> f64 {
    let v = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let n = if v & 2 != 0 {
        f64::from((v as i32) >> 2)
    } else {
        f64::from_bits(u64::from(v & 0xFFFF_FFFC) << 32)
    };
    if v & 1 != 0 { n / 100.0 } else { n }
}

/// Shared strings; a string's characters may run on into the next CONTINUE record, which then
/// starts with a fresh "high byte" flag.
fn sst(r: &Record<'_>) -> Vec<String> {
    let mut parts = vec![r.data];
    parts.extend(r.more.iter().copied());
    let mut c = Cursor::new(parts);
    let (Some(_), Some(unique)) = (c.u32(), c.u32()) else {
        return vec![];
    };
    let mut out = Vec::with_capacity((unique as usize).min(1 << 20));
    for _ in 0..unique {
        let Some(cch) = c.u16() else { break };
        let Some(s) = c.chars(cch as usize) else {
            break;
        };
        out.push(s);
    }
    out
}

/// Reads across record boundaries.
struct Cursor<'a> {
    parts: Vec<&'a [u8]>,
    part: usize,
    at: usize,
}

impl<'a> Cursor<'a> {
    fn new(parts: Vec<&'a [u8]>) -> Cursor<'a> {
        Cursor {
            parts,
            part: 0,
            at: 0,
        }
    }

    fn byte(&mut self) -> Option<u8> {
        loop {
            let p = self.parts.get(self.part)?;
            if let Some(b) = p.get(self.at) {
                self.at += 1;
                return Some(*b);
            }
            self.part += 1;
            self.at = 0;
        }
    }

    fn u8(&mut self) -> Option<u8> {
        self.byte()
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes([self.byte()?, self.byte()?]))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes([
            self.byte()?,
            self.byte()?,
            self.byte()?,
            self.byte()?,
        ]))
    }

    fn skip(&mut self, n: usize) -> Option<()> {
        for _ in 0..n {
            self.byte()?;
        }
        Some(())
    }

    /// An XLUnicodeRichExtendedString's flags and characters (`cch` already read).
    fn chars(&mut self, cch: usize) -> Option<String> {
        let flags = self.u8()?;
        let rich = if flags & 0x08 != 0 {
            self.u16()? as usize
        } else {
            0
        };
        let ext = if flags & 0x04 != 0 {
            self.u32()? as usize
        } else {
            0
        };
        let mut wide = flags & 0x01 != 0;
        let mut units: Vec<u16> = Vec::with_capacity(cch.min(1 << 16));
        while units.len() < cch {
            // Characters continue in a new record after a fresh flag byte.
            if self.at >= self.parts.get(self.part)?.len() {
                self.part += 1;
                wide = self.parts.get(self.part)?.first()? & 0x01 != 0;
                self.at = 1;
            }
            units.push(if wide {
                self.u16()?
            } else {
                u16::from(self.u8()?)
            });
        }
        self.skip(rich * 4)?;
        self.skip(ext)?;
        Some(String::from_utf16_lossy(&units))
    }
}
