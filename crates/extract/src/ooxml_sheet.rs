//! Excel workbooks: every sheet as one text with each cell's address kept as a place, so that a
//! finding reads `sheet 名冊 > B3`; shared strings, inline strings, formula results and numbers;
//! sheet headers and footers (a marking is often there); comments and drawings.

use crate::ooxml::{flow_part, relationships};
use crate::walk::Walk;
use crate::xml::{Node, attr, attr_raw, walk};
use crate::zipped::Package;
use crate::{Origin, Part, Section};

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

fn shared_strings(w: &mut Walk<'_>, pkg: &mut Package<'_>, origin: &Origin) -> Vec<String> {
    if !pkg.names().iter().any(|n| n == "xl/sharedStrings.xml") {
        return vec![];
    }
    let Some(xml) = pkg.read_name(w, "xl/sharedStrings.xml", origin) else {
        return vec![];
    };
    // The flow text ends every item with a newline: one line per item, newlines inside items
    // kept apart by splitting on the item ends instead.
    let mut items = vec![];
    let mut cur = String::new();
    let mut in_t = 0usize;
    let mut muted = 0usize;
    let skips = walk(&xml, w.budget.limits.max_xml_depth, |n| match n {
        Node::Open(b"t", _) => in_t += 1,
        Node::Open(b"rPh", _) => muted += 1,
        Node::Close(b"t") => in_t = in_t.saturating_sub(1),
        Node::Close(b"rPh") => muted = muted.saturating_sub(1),
        Node::Close(b"si") => items.push(std::mem::take(&mut cur)),
        Node::Text(t) if in_t > 0 && muted == 0 => cur.push_str(t),
        _ => {}
    });
    for s in skips {
        w.skip(origin, s);
    }
    items
}

struct Sheet {
    text: String,
    places: Vec<(usize, String)>,
    header_footer: String,
    skips: Vec<crate::Skip>,
}

fn read_sheet(xml: &[u8], shared: &[String], max_depth: usize) -> Sheet {
    let mut text = String::new();
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
            col = attr_raw(e, b"r").and_then(column_of).unwrap_or(col + 1);
            shared_cell = attr_raw(e, b"t") == Some("s");
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
                    .map_or("", |s| s.as_str())
            } else {
                value.as_str()
            };
            if !shown.is_empty() {
                places.push((text.len(), format!("{}{row}", column_name(col))));
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

/// Column 28 to `AB`.
pub(crate) fn column_name(mut col: u32) -> String {
    let mut s = vec![];
    while col > 0 {
        col -= 1;
        s.push(b'A' + (col % 26) as u8);
        col /= 26;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
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
        let shared = vec!["姓名".to_string(), "電話".to_string()];
        let s = read_sheet(xml.as_bytes(), &shared, 100);
        assert_eq!(s.text, "姓名\t電話\n王小明\t912345678\n");
        let seg = crate::Segment {
            origin: &Origin::default(),
            text: &s.text,
            places: &s.places,
        };
        let at = s.text.find("912").unwrap();
        assert_eq!(seg.place(at + 2), Some("AB3"));
        assert_eq!(seg.place(0), Some("A1"));
        assert_eq!(s.header_footer.trim(), "機密");
        assert_eq!(column_name(28), "AB");
        assert_eq!(column_of("AB3"), Some(28));
    }
}
