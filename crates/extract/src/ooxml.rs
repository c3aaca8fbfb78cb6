//! Office Open XML: Word, Excel and PowerPoint. Text of the body, tables, text boxes, headers
//! and footers, comments, foot- and endnotes, speaker notes, slide masters, alt text, document
//! properties, deleted-but-tracked text (still in the file, so still a leak), embedded images
//! (OCR) and embedded documents (recursively).

use crate::walk::Walk;
use crate::xml::{Node, attr, prefixed_attr, walk, walk_skipping};
use crate::zipped::Package;
use crate::{Format, Origin, Part, Section};

pub(crate) fn extract(w: &mut Walk<'_>, pkg: &mut Package<'_>, format: Format, origin: &Origin) {
    match format {
        Format::Docx => docx(w, pkg, origin),
        Format::Xlsx => crate::ooxml_sheet::xlsx(w, pkg, origin),
        _ => pptx(w, pkg, origin),
    }
    properties(w, pkg, origin);
    for prefix in ["word/media/", "xl/media/", "ppt/media/"] {
        images(w, pkg, prefix, origin);
    }
    for prefix in ["word/embeddings/", "xl/embeddings/", "ppt/embeddings/"] {
        embedded(w, pkg, prefix, origin);
    }
}

fn docx(w: &mut Walk<'_>, pkg: &mut Package<'_>, origin: &Origin) {
    let mut parts: Vec<(Section, String)> = vec![(Section::Body, "word/document.xml".into())];
    for n in pkg.names() {
        let section = match n.strip_prefix("word/") {
            Some(r) if numbered(r, "header") => Section::Header,
            Some(r) if numbered(r, "footer") => Section::Footer,
            Some("footnotes.xml") => Section::Footnotes,
            Some("endnotes.xml") => Section::Endnotes,
            Some("comments.xml") => Section::Comments,
            _ => continue,
        };
        parts.push((section, n.clone()));
    }
    for (section, name) in parts {
        let here = origin.with(Part::Section(section));
        flow_part(w, pkg, &name, &here);
    }
}

fn pptx(w: &mut Walk<'_>, pkg: &mut Package<'_>, origin: &Origin) {
    let slides = slide_order(w, pkg, origin);
    for (i, name) in slides.iter().enumerate() {
        let here = origin.with(Part::Slide(i as u32 + 1));
        flow_part(w, pkg, name, &here);
        // Notes belong to the slide that links them.
        let file = name.rsplit('/').next().unwrap_or_default();
        let rels = format!("ppt/slides/_rels/{file}.rels");
        for target in relationships(w, pkg, &rels, origin) {
            if let Some(file) = target.1.rsplit('/').next()
                && target.1.contains("notesSlides/")
            {
                let notes = format!("ppt/notesSlides/{file}");
                flow_part(w, pkg, &notes, &here.with(Part::Section(Section::Notes)));
            }
        }
    }
    let rest: Vec<(Section, String)> = pkg
        .names()
        .iter()
        .filter_map(|n| {
            if n.starts_with("ppt/slideMasters/slideMaster") && n.ends_with(".xml") {
                Some((Section::Header, n.clone()))
            } else if n.starts_with("ppt/comments/") && n.ends_with(".xml") {
                Some((Section::Comments, n.clone()))
            } else {
                None
            }
        })
        .collect();
    for (section, name) in rest {
        flow_part(w, pkg, &name, &origin.with(Part::Section(section)));
    }
}

/// Slide parts in the order the presentation lists them (`sldIdLst`); the file numbers need not
/// follow it after slides are moved. Slides not in the list follow, by number.
fn slide_order(w: &mut Walk<'_>, pkg: &mut Package<'_>, origin: &Origin) -> Vec<String> {
    let rels = relationships(w, pkg, "ppt/_rels/presentation.xml.rels", origin);
    let mut listed = vec![];
    if let Some(xml) = pkg.read_name(w, "ppt/presentation.xml", origin) {
        walk(&xml, w.budget.limits.max_xml_depth, |n| {
            if let Node::Open(b"sldId", e) = n
                && let Some(id) = prefixed_attr(e, b"id")
                && let Some((_, t)) = rels.iter().find(|(rid, _)| *rid == id)
            {
                listed.push(format!("ppt/{}", t.trim_start_matches("/ppt/")));
            }
        });
    }
    let mut rest: Vec<(u32, String)> = pkg
        .names()
        .iter()
        .filter(|n| !listed.contains(n))
        .filter_map(|n| {
            let r = n.strip_prefix("ppt/slides/slide")?.strip_suffix(".xml")?;
            Some((r.parse().ok()?, n.clone()))
        })
        .collect();
    rest.sort();
    listed.retain(|n| pkg.names().contains(n));
    listed.extend(rest.into_iter().map(|(_, n)| n));
    listed
}

/// `header3.xml` for `header`.
pub(crate) fn numbered(file: &str, stem: &str) -> bool {
    file.strip_prefix(stem)
        .and_then(|r| r.strip_suffix(".xml"))
        .is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()))
}

/// Reads one part as running text and reports it at `origin`.
pub(crate) fn flow_part(w: &mut Walk<'_>, pkg: &mut Package<'_>, name: &str, origin: &Origin) {
    let Some(xml) = pkg.read_name(w, name, origin) else {
        return;
    };
    let (text, skips) = flow(&xml, w.budget.limits.max_xml_depth);
    w.text(origin, &text, &[]);
    for s in skips {
        w.skip(origin, s);
    }
}

/// Running text of WordprocessingML / DrawingML / SpreadsheetML string items: `t`, deleted
/// `delText`, comment `text`; paragraphs, breaks and tabs kept as whitespace; field codes and
/// phonetic guides left out; alt text (`descr`, `title`) included.
pub(crate) fn flow(xml: &[u8], max_depth: usize) -> (String, Vec<crate::Skip>) {
    // The text is shorter than its markup: one allocation, no copies as it grows.
    let mut out = String::with_capacity(xml.len());
    let mut in_text = 0usize;
    let mut muted = 0usize;
    // Run and paragraph properties hold formatting only (and tab stops, which are not tabs).
    let skips = walk_skipping(xml, max_depth, &[b"rPr", b"pPr"], |n| match n {
        Node::Open(name, e) => match name {
            b"t" | b"delText" | b"text" => in_text += 1,
            b"instrText" | b"rPh" => muted += 1,
            b"br" | b"cr" => out.push('\n'),
            b"tab" if in_text == 0 => out.push('\t'),
            b"docPr" | b"cNvPr" => {
                for a in [&b"title"[..], b"descr"] {
                    if let Some(v) = attr(e, a).filter(|v| !v.trim().is_empty()) {
                        out.push_str(&v);
                        out.push('\n');
                    }
                }
            }
            _ => {}
        },
        Node::Close(name) => match name {
            b"t" | b"delText" | b"text" => in_text = in_text.saturating_sub(1),
            b"instrText" | b"rPh" => muted = muted.saturating_sub(1),
            b"p" | b"si" => out.push('\n'),
            b"tc" => out.push('\t'),
            _ => {}
        },
        Node::Text(t) => {
            if in_text > 0 && muted == 0 {
                out.push_str(t);
            }
        }
    });
    (out, skips)
}

/// Relationship targets (`Id`, `Target`) of a `.rels` part; none when it is missing.
pub(crate) fn relationships(
    w: &mut Walk<'_>,
    pkg: &mut Package<'_>,
    name: &str,
    origin: &Origin,
) -> Vec<(String, String)> {
    if !pkg.names().iter().any(|n| n == name) {
        return vec![];
    }
    let Some(xml) = pkg.read_name(w, name, origin) else {
        return vec![];
    };
    let mut out = vec![];
    let skips = walk(&xml, w.budget.limits.max_xml_depth, |n| {
        if let Node::Open(b"Relationship", e) = n
            && let (Some(id), Some(t)) = (attr(e, b"Id"), attr(e, b"Target"))
        {
            out.push((id, t));
        }
    });
    for s in skips {
        w.skip(origin, s);
    }
    out
}

/// Core, extended and custom properties as `name: value` lines (classification labels and
/// authors often live here).
fn properties(w: &mut Walk<'_>, pkg: &mut Package<'_>, origin: &Origin) {
    let here = origin.with(Part::Section(Section::Properties));
    let mut out = String::new();
    for name in [
        "docProps/core.xml",
        "docProps/app.xml",
        "docProps/custom.xml",
    ] {
        if !pkg.names().iter().any(|n| n == name) {
            continue;
        }
        let Some(xml) = pkg.read_name(w, name, &here) else {
            continue;
        };
        let mut label: Vec<u8> = vec![];
        let mut custom_name: Option<String> = None;
        let skips = walk(&xml, w.budget.limits.max_xml_depth, |n| match n {
            Node::Open(name, e) => {
                if name == b"property" {
                    custom_name = attr(e, b"name");
                }
                label = name.to_vec();
            }
            Node::Close(_) => label.clear(),
            Node::Text(t) if !t.trim().is_empty() && !label.is_empty() => {
                let shown = custom_name
                    .clone()
                    .unwrap_or_else(|| String::from_utf8_lossy(&label).into_owned());
                out.push_str(&shown);
                out.push_str(": ");
                out.push_str(t.trim());
                out.push('\n');
            }
            Node::Text(_) => {}
        });
        for s in skips {
            w.skip(&here, s);
        }
    }
    w.text(&here, &out, &[]);
}

/// Pictures inside the package, read by OCR.
pub(crate) fn images(w: &mut Walk<'_>, pkg: &mut Package<'_>, prefix: &str, origin: &Origin) {
    for name in pkg.files_under(prefix) {
        let here = origin.with(Part::Image(name.clone()));
        if let Some(data) = pkg.read_name(w, &name, &here) {
            let f = crate::detect(&data, Some(&name));
            if f.is_image() {
                crate::ocr::extract(w, &data, f, &here);
            } else {
                w.dispatch(&data, Some(&name), &here);
            }
        }
    }
}

/// Documents embedded in the package (an Excel table in a Word file), read as files of their own.
pub(crate) fn embedded(w: &mut Walk<'_>, pkg: &mut Package<'_>, prefix: &str, origin: &Origin) {
    for name in pkg.files_under(prefix) {
        if !crate::zipped::take_member(w, origin) {
            return;
        }
        let here = origin.with(Part::Member(name.clone()));
        if let Some(data) = pkg.read_name(w, &name, &here) {
            w.dispatch(&data, Some(&name), &here);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_keeps_paragraphs_deleted_text_and_alt_text_but_not_field_codes() {
        let xml = r#"<w:document xmlns:w="w" xmlns:wp="wp"><w:body>
<w:p><w:r><w:t>密等：</w:t></w:r><w:r><w:t>機密</w:t></w:r></w:p>
<w:p><w:r><w:instrText>PAGE</w:instrText></w:r><w:del><w:r><w:delText>A123456789</w:delText></w:r></w:del></w:p>
<w:p><w:r><w:tab/><w:t>x</w:t><w:br/><w:t>y</w:t></w:r></w:p>
<wp:docPr id="1" name="圖片 1" descr="身分證正面"/>
</w:body></w:document>"#;
        let (t, s) = flow(xml.as_bytes(), 100);
        assert!(s.is_empty());
        assert_eq!(t, "密等：機密\nA123456789\n\tx\ny\n身分證正面\n");
    }

    #[test]
    fn numbered_parts() {
        assert!(numbered("header12.xml", "header"));
        assert!(numbered("footer.xml", "footer"));
        assert!(!numbered("headerx.xml", "header"));
    }
}
