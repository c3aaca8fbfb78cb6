//! Office Open XML packages (ECMA-376): Word, Excel, PowerPoint.

use super::{Extras, esc, runs, zip_of};
use std::fmt::Write as _;

const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const R: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const REL: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
const CT: &str = "http://schemas.openxmlformats.org/package/2006/content-types";
const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";

fn content_types(overrides: &[(&str, &str)]) -> String {
    let mut s = format!(
        "{DECL}<Types xmlns=\"{CT}\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/>"
    );
    for (part, ty) in overrides {
        let _ = write!(s, "<Override PartName=\"{part}\" ContentType=\"{ty}\"/>");
    }
    s.push_str("<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/></Types>");
    s
}

fn rels(items: &[(&str, &str, &str)]) -> String {
    let mut s = format!("{DECL}<Relationships xmlns=\"{REL}\">");
    for (id, ty, target) in items {
        let _ = write!(
            s,
            "<Relationship Id=\"{id}\" Type=\"{ty}\" Target=\"{target}\"/>"
        );
    }
    s.push_str("</Relationships>");
    s
}

fn root_rels(main: &str) -> String {
    rels(&[
        (
            "rId1",
            "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument",
            main,
        ),
        (
            "rId2",
            "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties",
            "docProps/core.xml",
        ),
    ])
}

fn core(x: &Extras<'_>) -> String {
    format!(
        "{DECL}<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>{}</dc:title><dc:creator>{}</dc:creator></cp:coreProperties>",
        esc(x.title.unwrap_or("")),
        esc(x.author.unwrap_or(""))
    )
}

fn w_paragraphs(text: &str) -> String {
    let mut s = String::new();
    for line in text.lines() {
        s.push_str("<w:p>");
        for r in runs(line) {
            let _ = write!(s, "<w:r><w:t xml:space=\"preserve\">{}</w:t></w:r>", esc(r));
        }
        s.push_str("</w:p>");
    }
    s
}

/// A Word document: body, and optionally header, footer, a comment and properties.
pub fn docx(text: &str, x: &Extras<'_>) -> Vec<u8> {
    let mut body = w_paragraphs(text);
    if x.comment.is_some() {
        body = format!(
            "<w:p><w:commentRangeStart w:id=\"0\"/><w:r><w:t>附註</w:t></w:r><w:commentRangeEnd w:id=\"0\"/><w:r><w:commentReference w:id=\"0\"/></w:r></w:p>{body}"
        );
    }
    let mut sect = String::from("<w:sectPr>");
    if x.header.is_some() {
        sect.push_str("<w:headerReference w:type=\"default\" r:id=\"rIdH\"/>");
    }
    if x.footer.is_some() {
        sect.push_str("<w:footerReference w:type=\"default\" r:id=\"rIdF\"/>");
    }
    sect.push_str("<w:pgSz w:w=\"11906\" w:h=\"16838\"/></w:sectPr>");
    let doc = format!(
        "{DECL}<w:document xmlns:w=\"{W}\" xmlns:r=\"{R}\"><w:body>{body}{sect}</w:body></w:document>"
    );
    let mut parts: Vec<(String, Vec<u8>)> = vec![];
    let mut overrides = vec![(
        "/word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    )];
    let mut doc_rels = vec![];
    if let Some(h) = x.header {
        parts.push((
            "word/header1.xml".into(),
            format!("{DECL}<w:hdr xmlns:w=\"{W}\">{}</w:hdr>", w_paragraphs(h)).into_bytes(),
        ));
        overrides.push((
            "/word/header1.xml",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml",
        ));
        doc_rels.push((
            "rIdH",
            "http://schemas.openxmlformats.org/officeDocument/2006/relationships/header",
            "header1.xml",
        ));
    }
    if let Some(f) = x.footer {
        parts.push((
            "word/footer1.xml".into(),
            format!("{DECL}<w:ftr xmlns:w=\"{W}\">{}</w:ftr>", w_paragraphs(f)).into_bytes(),
        ));
        overrides.push((
            "/word/footer1.xml",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml",
        ));
        doc_rels.push((
            "rIdF",
            "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer",
            "footer1.xml",
        ));
    }
    if let Some(c) = x.comment {
        parts.push((
            "word/comments.xml".into(),
            format!(
                "{DECL}<w:comments xmlns:w=\"{W}\"><w:comment w:id=\"0\" w:author=\"承辦人\">{}</w:comment></w:comments>",
                w_paragraphs(c)
            )
            .into_bytes(),
        ));
        overrides.push((
            "/word/comments.xml",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml",
        ));
        doc_rels.push((
            "rIdC",
            "http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments",
            "comments.xml",
        ));
    }
    let members: Vec<(String, Vec<u8>)> = [
        (
            "[Content_Types].xml".to_string(),
            content_types(&overrides).into_bytes(),
        ),
        (
            "_rels/.rels".into(),
            root_rels("word/document.xml").into_bytes(),
        ),
        ("word/document.xml".into(), doc.into_bytes()),
        (
            "word/_rels/document.xml.rels".into(),
            rels(&doc_rels).into_bytes(),
        ),
        ("docProps/core.xml".into(), core(x).into_bytes()),
    ]
    .into_iter()
    .chain(parts)
    .collect();
    let refs: Vec<(&str, &[u8])> = members
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    zip_of(&refs)
}

/// An Excel workbook: one sheet 「名冊」, one line per row in column A (shared strings), and the
/// header, when given, as the sheet's page header.
pub fn xlsx(text: &str, x: &Extras<'_>) -> Vec<u8> {
    const S: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    let lines: Vec<&str> = text.lines().collect();
    let mut shared = format!(
        "{DECL}<sst xmlns=\"{S}\" count=\"{0}\" uniqueCount=\"{0}\">",
        lines.len()
    );
    let mut rows = String::new();
    for (i, line) in lines.iter().enumerate() {
        let _ = write!(
            shared,
            "<si><t xml:space=\"preserve\">{}</t></si>",
            esc(line)
        );
        let _ = write!(
            rows,
            "<row r=\"{0}\"><c r=\"A{0}\" t=\"s\"><v>{1}</v></c></row>",
            i + 1,
            i
        );
    }
    shared.push_str("</sst>");
    let hf = x
        .header
        .map(|h| {
            format!(
                "<headerFooter><oddHeader>&amp;C{}</oddHeader></headerFooter>",
                esc(h)
            )
        })
        .unwrap_or_default();
    let sheet = format!(
        "{DECL}<worksheet xmlns=\"{S}\" xmlns:r=\"{R}\"><sheetData>{rows}</sheetData>{hf}</worksheet>"
    );
    let workbook = format!(
        "{DECL}<workbook xmlns=\"{S}\" xmlns:r=\"{R}\"><sheets><sheet name=\"名冊\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
    );
    let wb_rels = rels(&[
        (
            "rId1",
            "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet",
            "worksheets/sheet1.xml",
        ),
        (
            "rId2",
            "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings",
            "sharedStrings.xml",
        ),
    ]);
    let ct = content_types(&[
        (
            "/xl/workbook.xml",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        ),
        (
            "/xl/worksheets/sheet1.xml",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
        ),
        (
            "/xl/sharedStrings.xml",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml",
        ),
    ]);
    zip_of(&[
        ("[Content_Types].xml", ct.as_bytes()),
        ("_rels/.rels", root_rels("xl/workbook.xml").as_bytes()),
        ("xl/workbook.xml", workbook.as_bytes()),
        ("xl/_rels/workbook.xml.rels", wb_rels.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
        ("xl/sharedStrings.xml", shared.as_bytes()),
        ("docProps/core.xml", core(x).as_bytes()),
    ])
}

/// A PowerPoint deck: 15 lines per slide in one text box; the header, when given, as speaker
/// notes of the first slide.
pub fn pptx(text: &str, x: &Extras<'_>) -> Vec<u8> {
    const A: &str = "http://schemas.openxmlformats.org/drawingml/2006/main";
    const P: &str = "http://schemas.openxmlformats.org/presentationml/2006/main";
    let lines: Vec<&str> = text.lines().collect();
    let mut members: Vec<(String, Vec<u8>)> = vec![];
    let mut overrides: Vec<(String, String)> = vec![(
        "/ppt/presentation.xml".into(),
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml".into(),
    )];
    let mut pres_rels = vec![];
    let mut ids = String::new();
    for (i, chunk) in lines.chunks(15).enumerate() {
        let n = i + 1;
        let mut paras = String::new();
        for line in chunk {
            paras.push_str("<a:p>");
            for r in runs(line) {
                let _ = write!(paras, "<a:r><a:t>{}</a:t></a:r>", esc(r));
            }
            paras.push_str("</a:p>");
        }
        let slide = format!(
            "{DECL}<p:sld xmlns:a=\"{A}\" xmlns:p=\"{P}\" xmlns:r=\"{R}\"><p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id=\"1\" name=\"\"/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/><p:sp><p:nvSpPr><p:cNvPr id=\"2\" name=\"內容\"/><p:cNvSpPr txBox=\"1\"/><p:nvPr/></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr/>{paras}</p:txBody></p:sp></p:spTree></p:cSld></p:sld>"
        );
        members.push((format!("ppt/slides/slide{n}.xml"), slide.into_bytes()));
        overrides.push((
            format!("/ppt/slides/slide{n}.xml"),
            "application/vnd.openxmlformats-officedocument.presentationml.slide+xml".into(),
        ));
        pres_rels.push((format!("rId{n}"), format!("slides/slide{n}.xml")));
        let _ = write!(ids, "<p:sldId id=\"{}\" r:id=\"rId{n}\"/>", 255 + n);
        if n == 1
            && let Some(notes) = x.header
        {
            let nx = format!(
                "{DECL}<p:notes xmlns:a=\"{A}\" xmlns:p=\"{P}\"><p:cSld><p:spTree><p:sp><p:txBody><a:bodyPr/><a:p><a:r><a:t>{}</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:notes>",
                esc(notes)
            );
            members.push(("ppt/notesSlides/notesSlide1.xml".into(), nx.into_bytes()));
            members.push((
                "ppt/slides/_rels/slide1.xml.rels".into(),
                rels(&[(
                    "rIdN",
                    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/notesSlide",
                    "../notesSlides/notesSlide1.xml",
                )])
                .into_bytes(),
            ));
            overrides.push((
                "/ppt/notesSlides/notesSlide1.xml".into(),
                "application/vnd.openxmlformats-officedocument.presentationml.notesSlide+xml"
                    .into(),
            ));
        }
    }
    let pres = format!(
        "{DECL}<p:presentation xmlns:p=\"{P}\" xmlns:r=\"{R}\"><p:sldIdLst>{ids}</p:sldIdLst><p:sldSz cx=\"9144000\" cy=\"6858000\"/></p:presentation>"
    );
    let rel_items: Vec<(&str, &str, &str)> = pres_rels
        .iter()
        .map(|(id, t)| {
            (
                id.as_str(),
                "http://schemas.openxmlformats.org/officeDocument/2006/relationships/slide",
                t.as_str(),
            )
        })
        .collect();
    let ov: Vec<(&str, &str)> = overrides
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let mut all: Vec<(String, Vec<u8>)> = vec![
        (
            "[Content_Types].xml".into(),
            content_types(&ov).into_bytes(),
        ),
        (
            "_rels/.rels".into(),
            root_rels("ppt/presentation.xml").into_bytes(),
        ),
        ("ppt/presentation.xml".into(), pres.into_bytes()),
        (
            "ppt/_rels/presentation.xml.rels".into(),
            rels(&rel_items).into_bytes(),
        ),
        ("docProps/core.xml".into(), core(x).into_bytes()),
    ];
    all.extend(members);
    let refs: Vec<(&str, &[u8])> = all
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    zip_of(&refs)
}
