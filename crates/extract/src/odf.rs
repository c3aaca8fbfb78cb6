//! OpenDocument (ODF, mandatory in many Taiwanese agencies): text documents, spreadsheets with
//! cell addresses, presentations slide by slide with speaker notes; headers and footers of the
//! page styles, metadata, tracked deletions, embedded objects and pictures. An encrypted package
//! is reported as such.

use crate::ooxml::images;
use crate::walk::Walk;
use crate::xml::{Node, attr, attr_raw, walk};
use crate::zipped::Package;
use crate::{Format, Origin, Part, Section, Skip};

pub(crate) fn extract(w: &mut Walk<'_>, pkg: &mut Package<'_>, format: Format, origin: &Origin) {
    if let Some(m) = pkg.read_name(w, "META-INF/manifest.xml", origin)
        && memchr::memmem::find(&m, b"encryption-data").is_some()
    {
        w.skip(origin, Skip::Encrypted);
        return;
    }
    content(w, pkg, "content.xml", format, origin);
    styles(w, pkg, "styles.xml", origin);
    meta(w, pkg, origin);
    // Embedded objects (charts, OLE documents written as ODF) are sub-documents in folders.
    let objects: Vec<String> = pkg
        .names()
        .iter()
        .filter(|n| n.ends_with("/content.xml") && !n.starts_with("META-INF/"))
        .cloned()
        .collect();
    for name in objects {
        let dir = name.trim_end_matches("/content.xml").to_string();
        content(w, pkg, &name, Format::Odt, &origin.with(Part::Member(dir)));
    }
    images(w, pkg, "Pictures/", origin);
}

/// A finished sheet, slide or body: where, text, cell places.
type Done = (Origin, String, Vec<(usize, crate::Cell)>);

/// What the content walker is inside.
#[derive(Default)]
struct State {
    text: String,
    places: Vec<(usize, crate::Cell)>,
    row: u32,
    col: u32,
    /// Repeat counts of the current cell and row.
    col_span: u32,
    row_span: u32,
    /// Depth inside elements whose text is not content (sequence declarations and the like).
    muted: usize,
    /// Depth inside comments, and the text they interrupted.
    annotations: usize,
    outside: String,
}

fn content(w: &mut Walk<'_>, pkg: &mut Package<'_>, name: &str, format: Format, origin: &Origin) {
    if !pkg.names().iter().any(|n| n == name) {
        return;
    }
    let Some(xml) = pkg.read_name(w, name, origin) else {
        return;
    };
    // Segments are flushed whenever a sheet or slide ends, so they carry their own origin.
    let mut done: Vec<Done> = vec![];
    let mut st = State::default();
    // The text is shorter than its markup: one buffer for every unit, no copies as it grows.
    st.text.reserve(xml.len());
    let mut unit: Option<Origin> = None;
    let mut slide = 0u32;
    let mut notes: Option<String> = None;
    let body = origin.with(Part::Section(Section::Body));
    let skips = walk(&xml, w.budget.limits.max_xml_depth, |n| match n {
        Node::Open(name, e) => match name {
            b"table" if format == Format::Ods => {
                flush(&mut done, &unit, &body, &mut st, false);
                let sheet = attr(e, b"name").unwrap_or_default();
                unit = Some(origin.with(Part::Sheet(sheet)));
                st.row = 0;
            }
            b"page" if format == Format::Odp => {
                flush(&mut done, &unit, &body, &mut st, false);
                slide += 1;
                unit = Some(origin.with(Part::Slide(slide)));
            }
            b"notes" if format == Format::Odp => notes = Some(std::mem::take(&mut st.text)),
            // Comments are not printed: report them as comments, not as the body.
            b"annotation" => {
                st.annotations += 1;
                if st.annotations == 1 {
                    st.outside = std::mem::take(&mut st.text);
                }
            }
            b"table-row" => {
                st.row += 1;
                st.col = 0;
                st.col_span = 0;
                st.row_span = attr_raw(e, b"number-rows-repeated")
                    .and_then(|r| r.parse().ok())
                    .unwrap_or(1);
            }
            b"table-cell" | b"covered-table-cell" => {
                st.col += st.col_span.max(1);
                st.col_span = attr_raw(e, b"number-columns-repeated")
                    .and_then(|r| r.parse().ok())
                    .unwrap_or(1);
                if format == Format::Ods {
                    st.places.push((
                        st.text.len(),
                        crate::Cell {
                            row: st.row,
                            col: st.col,
                        },
                    ));
                }
            }
            b"tab" => st.text.push('\t'),
            b"line-break" => st.text.push('\n'),
            b"s" => {
                let c: usize = attr_raw(e, b"c").and_then(|c| c.parse().ok()).unwrap_or(1);
                st.text.extend(std::iter::repeat_n(' ', c.min(64)));
            }
            b"sequence-decls" | b"variable-decls" | b"user-field-decls" => st.muted += 1,
            _ => {}
        },
        Node::Close(name) => match name {
            b"p" | b"h" => st.text.push('\n'),
            b"table-cell" | b"covered-table-cell" => {
                st.text.push('\t');
            }
            b"table-row" => {
                // Repeated rows are blank filler in practice; their count keeps addresses right.
                st.row += st.row_span.max(1) - 1;
                st.text.push('\n');
            }
            b"annotation" if st.annotations > 0 => {
                st.annotations -= 1;
                if st.annotations == 0 {
                    let said = std::mem::replace(&mut st.text, std::mem::take(&mut st.outside));
                    let at = unit.clone().unwrap_or_else(|| origin.clone());
                    done.push((at.with(Part::Section(Section::Comments)), said, vec![]));
                }
            }
            b"notes" if format == Format::Odp => {
                let spoken = std::mem::replace(&mut st.text, notes.take().unwrap_or_default());
                let at = unit.clone().unwrap_or_else(|| body.clone());
                done.push((at.with(Part::Section(Section::Notes)), spoken, vec![]));
            }
            b"sequence-decls" | b"variable-decls" | b"user-field-decls" => {
                st.muted = st.muted.saturating_sub(1)
            }
            _ => {}
        },
        Node::Text(t) => {
            if st.muted == 0 {
                st.text.push_str(t)
            }
        }
    });
    flush(&mut done, &unit, &body, &mut st, true);
    for (o, text, places) in done {
        w.text(&o, &text, &places);
    }
    for s in skips {
        w.skip(origin, s);
    }
}

/// Ends a unit (sheet, slide, body); before the `last` one its text is copied out, so that the
/// buffer sized for the whole part is reused rather than held by every unit.
fn flush(done: &mut Vec<Done>, unit: &Option<Origin>, body: &Origin, st: &mut State, last: bool) {
    if st.text.trim().is_empty() {
        st.text.clear();
        st.places.clear();
        return;
    }
    let at = unit.clone().unwrap_or_else(|| body.clone());
    let text = if last {
        std::mem::take(&mut st.text)
    } else {
        let t = st.text.clone();
        st.text.clear();
        t
    };
    done.push((at, text, std::mem::take(&mut st.places)));
}

/// Page styles keep the header and footer text.
fn styles(w: &mut Walk<'_>, pkg: &mut Package<'_>, name: &str, origin: &Origin) {
    if !pkg.names().iter().any(|n| n == name) {
        return;
    }
    let Some(xml) = pkg.read_name(w, name, origin) else {
        return;
    };
    let (mut header, mut footer) = (String::new(), String::new());
    let mut inside: Option<bool> = None;
    let skips = walk(&xml, w.budget.limits.max_xml_depth, |n| match n {
        Node::Open(name, _)
            if name.starts_with(b"header") && !name.starts_with(b"header-style") =>
        {
            inside = Some(true)
        }
        Node::Open(name, _)
            if name.starts_with(b"footer") && !name.starts_with(b"footer-style") =>
        {
            inside = Some(false)
        }
        Node::Close(name) if name.starts_with(b"header") || name.starts_with(b"footer") => {
            inside = None
        }
        Node::Close(b"p" | b"h") => match inside {
            Some(true) => header.push('\n'),
            Some(false) => footer.push('\n'),
            None => {}
        },
        Node::Text(t) => match inside {
            Some(true) => header.push_str(t),
            Some(false) => footer.push_str(t),
            None => {}
        },
        _ => {}
    });
    w.text(&origin.with(Part::Section(Section::Header)), &header, &[]);
    w.text(&origin.with(Part::Section(Section::Footer)), &footer, &[]);
    for s in skips {
        w.skip(origin, s);
    }
}

fn meta(w: &mut Walk<'_>, pkg: &mut Package<'_>, origin: &Origin) {
    if !pkg.names().iter().any(|n| n == "meta.xml") {
        return;
    }
    let here = origin.with(Part::Section(Section::Properties));
    let Some(xml) = pkg.read_name(w, "meta.xml", &here) else {
        return;
    };
    let mut out = String::new();
    let mut label: Option<String> = None;
    let skips = walk(&xml, w.budget.limits.max_xml_depth, |n| match n {
        Node::Open(name, e) => {
            label = Some(match attr(e, b"name") {
                Some(user) if name == b"user-defined" => user,
                _ => String::from_utf8_lossy(name).into_owned(),
            })
        }
        Node::Close(_) => label = None,
        Node::Text(t) if !t.trim().is_empty() => {
            if let Some(l) = &label {
                out.push_str(l);
                out.push_str(": ");
                out.push_str(t.trim());
                out.push('\n');
            }
        }
        Node::Text(_) => {}
    });
    w.text(&here, &out, &[]);
    for s in skips {
        w.skip(&here, s);
    }
}
