//! Excel workbooks: every sheet as one text with each cell's address kept as a place, so that a
//! finding reads `sheet 名冊 > B3`; shared strings, inline strings, formula results and numbers;
//! sheet headers and footers (a marking is often there); comments and drawings.

use crate::ooxml::{flow_part, relationships};
use crate::walk::Walk;
use crate::xml::{Node, Tag, attr, attr_raw, walk, walk_skipping};
use crate::zipped::Package;
use crate::{Cell, Origin, Part, Section};

pub(crate) fn xlsx(w: &mut Walk<'_>, pkg: &mut Package<'_>, origin: &Origin) {
    let shared = shared_strings(w, pkg, origin);
    let rels = relationships(w, pkg, "xl/_rels/workbook.xml.rels", origin);
    let mut sheets: Vec<(String, String)> = vec![];
    if let Some(xml) = pkg.read_name(w, "xl/workbook.xml", origin) {
        let skips = walk(&xml, w.budget.limits.max_xml_depth, |n| {
            if let Node::Open(b"sheet", e) = n
                && let (Some(name), Some(id)) = (attr(e, b"name"), attr(e, b"id"))
                && let Some((_, target)) = rels.iter().find(|(i, _)| *i == id)
            {
                sheets.push((name, part_path(target)));
            }
        });
        for s in skips {
            w.skip(origin, s);
        }
    }
    for (name, path) in sheets {
        let here = origin.with(Part::Sheet(name));
        let Some(xml) = pkg.read_name(w, &path, &here) else {
            continue;
        };
        let sheet = read_sheet(&xml, &shared, w.budget.limits.max_xml_depth);
        w.text(&here, &sheet.text, &sheet.places);
        w.text(
            &here.with(Part::Section(Section::Header)),
            &sheet.header_footer,
            &[],
        );
        for s in sheet.skips {
            w.skip(&here, s);
        }
    }
    let extra: Vec<(Section, String)> = pkg
        .names()
        .iter()
        .filter(|n| n.ends_with(".xml"))
        .filter_map(|n| {
            if n.starts_with("xl/comments") || n.starts_with("xl/threadedComments/") {
                Some((Section::Comments, n.clone()))
            } else if n.starts_with("xl/drawings/drawing") {
                Some((Section::Body, n.clone()))
            } else {
                None
            }
        })
        .collect();
    for (section, name) in extra {
        flow_part(w, pkg, &name, &origin.with(Part::Section(section)));
    }
}

/// `worksheets/sheet1.xml` or `/xl/worksheets/sheet1.xml` to the member name.
fn part_path(target: &str) -> String {
    match target.strip_prefix('/') {
        Some(abs) => abs.to_string(),
        None => format!("xl/{target}"),
    }
}

/// The shared strings of a workbook: one buffer and each item's span in it (a workbook has
/// thousands of items; a `String` each cost an allocation and a free per item).
#[derive(Default)]
struct Shared {
    text: String,
    ends: Vec<u32>,
}

impl Shared {
    fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = i.checked_sub(1).map_or(0, |j| self.ends[j] as usize);
        self.text.get(start..end)
    }
}

fn shared_strings(w: &mut Walk<'_>, pkg: &mut Package<'_>, origin: &Origin) -> Shared {
    let mut shared = Shared::default();
    if !pkg.names().iter().any(|n| n == "xl/sharedStrings.xml") {
        return shared;
    }
    let Some(xml) = pkg.read_name(w, "xl/sharedStrings.xml", origin) else {
        return shared;
    };
    // The flow text ends every item with a newline: one line per item, newlines inside items
    // kept apart by splitting on the item ends instead.
    let mut in_t = 0usize;
    let mut muted = 0usize;
    // The text is shorter than its markup: one allocation, no copies as it grows.
    shared.text.reserve(xml.len());
    let Shared { text, ends } = &mut shared;
    // Rich-text runs carry their font properties: passed over whole.
    let skips = walk_skipping(
        &xml,
        w.budget.limits.max_xml_depth,
        &[b"rPr"],
        |n| match n {
            Node::Open(b"t", _) => in_t += 1,
            Node::Open(b"rPh", _) => muted += 1,
            Node::Close(b"t") => in_t = in_t.saturating_sub(1),
            Node::Close(b"rPh") => muted = muted.saturating_sub(1),
            // A part is at most the input limit; past 4 GiB the items would not be addressable.
            Node::Close(b"si") => ends.push(u32::try_from(text.len()).unwrap_or(u32::MAX)),
            Node::Text(t) if in_t > 0 && muted == 0 => text.push_str(t),
            _ => {}
        },
    );
    for s in skips {
        w.skip(origin, s);
    }
    shared
}

struct Sheet {
    text: String,
    places: Vec<(usize, Cell)>,
    header_footer: String,
    skips: Vec<crate::Skip>,
}

fn read_sheet(xml: &[u8], shared: &Shared, max_depth: usize) -> Sheet {
    // Room for every shared string and the sheet's own values: no copies as the text grows
    // (pages never written are never backed).
    let mut text = String::with_capacity(shared.text.len() + xml.len() / 2);
    let mut places = vec![];
    let mut header_footer = String::new();
    let (mut row, mut col) = (0u32, 0u32);
    // Whether the cell holds an index into the shared strings.
    let mut shared_cell = false;
    let mut value = String::new();
    let mut in_value = false;
    let mut in_hf = false;
    let mut hf_raw = String::new();
    let skips = walk(xml, max_depth, |n| match n {
        Node::Open(b"row", e) => {
            row = attr_raw(e, b"r")
                .and_then(|r| r.parse().ok())
                .unwrap_or(row + 1);
            col = 0;
        }
        Node::Open(b"c", e) => {
            let (r, t) = cell_attrs(e);
            col = r.and_then(column_of).unwrap_or(col + 1);
            shared_cell = t == Some("s");
            value.clear();
        }
        Node::Open(b"v" | b"t", _) => in_value = true,
        Node::Close(b"v" | b"t") => in_value = false,
        Node::Open(name, _)
            if name.starts_with(b"odd")
                || name.starts_with(b"even")
                || name.starts_with(b"first") =>
        {
            in_hf = name.ends_with(b"Header") || name.ends_with(b"Footer");
        }
        Node::Close(name) if in_hf && (name.ends_with(b"Header") || name.ends_with(b"Footer")) => {
            in_hf = false;
            header_footer.push_str(&strip_hf_codes(&std::mem::take(&mut hf_raw)));
            header_footer.push('\n');
        }
        Node::Close(b"c") => {
            let shown = if shared_cell {
                value
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| shared.get(i))
                    .unwrap_or("")
            } else {
                value.as_str()
            };
            if !shown.is_empty() {
                places.push((text.len(), Cell { row, col }));
                text.push_str(shown);
                text.push('\t');
            }
        }
        Node::Close(b"row") if text.ends_with('\t') => {
            text.pop();
            text.push('\n');
        }
        Node::Text(t) if in_value => value.push_str(t),
        Node::Text(t) if in_hf => hf_raw.push_str(t),
        _ => {}
    });
    Sheet {
        text,
        places,
        header_footer,
        skips,
    }
}

/// The `r` (address) and `t` (type) attributes of a cell, in one pass over its attributes.
fn cell_attrs<'x>(e: &Tag<'x>) -> (Option<&'x str>, Option<&'x str>) {
    let (mut r, mut t) = (None, None);
    for (k, v) in crate::xml::attributes(e) {
        match crate::xml::local(k) {
            b"r" if r.is_none() => r = Some(v),
            b"t" if t.is_none() => t = Some(v),
            _ => {}
        }
        if r.is_some() && t.is_some() {
            break;
        }
    }
    (r, t)
}

/// `AB12` to column 28 (1-based).
fn column_of(r: &str) -> Option<u32> {
    let letters: &str = &r[..r.find(|c: char| c.is_ascii_digit()).unwrap_or(r.len())];
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    letters.bytes().try_fold(0u32, |acc, b| {
        b.is_ascii_uppercase()
            .then(|| acc * 26 + u32::from(b - b'A' + 1))
    })
}

/// Header/footer text has codes: `&L`/`&C`/`&R` sections, `&P` page, `&"font,style"`, `&12`.
pub(crate) fn strip_hf_codes(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '&' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('&') => out.push('&'),
            Some('"') => {
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                }
            }
            Some(d) if d.is_ascii_digit() => {
                while chars.peek().is_some_and(char::is_ascii_digit) {
                    chars.next();
                }
            }
            Some(k) if "LCR".contains(k) => out.push(' '),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_keep_their_addresses() {
        let xml = r#"<worksheet><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>
<row r="3"><c r="A3" t="inlineStr"><is><t>王小明</t></is></c><c r="AB3"><v>912345678</v></c></row>
</sheetData><headerFooter><oddHeader>&amp;C&amp;"標楷體,粗體"&amp;14機密</oddHeader></headerFooter></worksheet>"#;
        let shared = Shared {
            text: "姓名電話".into(),
            ends: vec![6, 12],
        };
        let s = read_sheet(xml.as_bytes(), &shared, 100);
        assert_eq!(s.text, "姓名\t電話\n王小明\t912345678\n");
        let seg = crate::Segment {
            origin: &Origin::default(),
            text: &s.text,
            places: &s.places,
        };
        let at = s.text.find("912").unwrap();
        assert_eq!(seg.place(at + 2).unwrap().to_string(), "AB3");
        assert_eq!(seg.place(0), Some(Cell { row: 1, col: 1 }));
        assert_eq!(s.header_footer.trim(), "機密");
        assert_eq!(Cell { row: 9, col: 28 }.to_string(), "AB9");
        assert_eq!(Cell { row: 1, col: 703 }.to_string(), "AAA1");
        assert_eq!(column_of("AB3"), Some(28));
    }
}
