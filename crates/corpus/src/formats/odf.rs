//! OpenDocument packages (ISO/IEC 26300, ODF 1.3): text, spreadsheet, presentation.

use super::{Extras, esc, runs, zip_of};
use std::fmt::Write as _;

const NS: &str = concat!(
    "xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" ",
    "xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" ",
    "xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" ",
    "xmlns:draw=\"urn:oasis:names:tc:opendocument:xmlns:drawing:1.0\" ",
    "xmlns:presentation=\"urn:oasis:names:tc:opendocument:xmlns:presentation:1.0\" ",
    "xmlns:style=\"urn:oasis:names:tc:opendocument:xmlns:style:1.0\" ",
    "xmlns:fo=\"urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0\" ",
    "xmlns:svg=\"urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0\" ",
    "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" ",
    "xmlns:meta=\"urn:oasis:names:tc:opendocument:xmlns:meta:1.0\" office:version=\"1.3\""
);
const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

fn package(kind: &str, body: &str, x: &Extras<'_>) -> Vec<u8> {
    let mime = format!("application/vnd.oasis.opendocument.{kind}");
    let manifest = format!(
        "{DECL}<manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.3\"><manifest:file-entry manifest:full-path=\"/\" manifest:media-type=\"{mime}\"/><manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/><manifest:file-entry manifest:full-path=\"styles.xml\" manifest:media-type=\"text/xml\"/><manifest:file-entry manifest:full-path=\"meta.xml\" manifest:media-type=\"text/xml\"/></manifest:manifest>"
    );
    let content = format!(
        "{DECL}<office:document-content {NS}><office:body>{body}</office:body></office:document-content>"
    );
    let mut master = String::new();
    if let Some(h) = x.header {
        let _ = write!(master, "<style:header>{}</style:header>", paragraphs(h));
    }
    if let Some(f) = x.footer {
        let _ = write!(master, "<style:footer>{}</style:footer>", paragraphs(f));
    }
    let styles = format!(
        "{DECL}<office:document-styles {NS}><office:automatic-styles><style:page-layout style:name=\"pm1\"><style:page-layout-properties fo:page-width=\"21cm\" fo:page-height=\"29.7cm\"/><style:header-style/><style:footer-style/></style:page-layout></office:automatic-styles><office:master-styles><style:master-page style:name=\"Standard\" style:page-layout-name=\"pm1\">{master}</style:master-page></office:master-styles></office:document-styles>"
    );
    let meta = format!(
        "{DECL}<office:document-meta {NS}><office:meta><dc:title>{}</dc:title><meta:initial-creator>{}</meta:initial-creator></office:meta></office:document-meta>",
        esc(x.title.unwrap_or("")),
        esc(x.author.unwrap_or(""))
    );
    zip_of(&[
        ("mimetype", mime.as_bytes()),
        ("META-INF/manifest.xml", manifest.as_bytes()),
        ("content.xml", content.as_bytes()),
        ("styles.xml", styles.as_bytes()),
        ("meta.xml", meta.as_bytes()),
    ])
}

fn paragraphs(text: &str) -> String {
    let mut s = String::new();
    for line in text.lines() {
        s.push_str("<text:p>");
        for (i, r) in runs(line).into_iter().enumerate() {
            if i == 1 {
                let _ = write!(s, "<text:span>{}</text:span>", esc(r));
            } else {
                s.push_str(&esc(r));
            }
        }
        s.push_str("</text:p>");
    }
    s
}

/// A Writer document: body, header/footer in the page style, a comment, properties.
pub fn odt(text: &str, x: &Extras<'_>) -> Vec<u8> {
    let comment = x
        .comment
        .map(|c| {
            format!(
                "<text:p>附註<office:annotation><dc:creator>承辦人</dc:creator>{}</office:annotation></text:p>",
                paragraphs(c)
            )
        })
        .unwrap_or_default();
    package(
        "text",
        &format!("<office:text>{comment}{}</office:text>", paragraphs(text)),
        x,
    )
}

/// A Calc spreadsheet: sheet 「名冊」, one line per row in column A.
pub fn ods(text: &str, x: &Extras<'_>) -> Vec<u8> {
    let mut rows = String::new();
    for line in text.lines() {
        let _ = write!(
            rows,
            "<table:table-row><table:table-cell office:value-type=\"string\"><text:p>{}</text:p></table:table-cell></table:table-row>",
            esc(line)
        );
    }
    package(
        "spreadsheet",
        &format!(
            "<office:spreadsheet><table:table table:name=\"名冊\"><table:table-column/>{rows}</table:table></office:spreadsheet>"
        ),
        x,
    )
}

/// An Impress presentation: 15 lines per slide; the header, when given, as notes of slide 1.
pub fn odp(text: &str, x: &Extras<'_>) -> Vec<u8> {
    let lines: Vec<&str> = text.lines().collect();
    let mut pages = String::new();
    for (i, chunk) in lines.chunks(15).enumerate() {
        let notes = match (i, x.header) {
            (0, Some(h)) => format!(
                "<presentation:notes><draw:frame><draw:text-box>{}</draw:text-box></draw:frame></presentation:notes>",
                paragraphs(h)
            ),
            _ => String::new(),
        };
        let _ = write!(
            pages,
            "<draw:page draw:name=\"page{}\"><draw:frame svg:x=\"1cm\" svg:y=\"1cm\" svg:width=\"25cm\" svg:height=\"17cm\"><draw:text-box>{}</draw:text-box></draw:frame>{notes}</draw:page>",
            i + 1,
            paragraphs(&chunk.join("\n"))
        );
    }
    package(
        "presentation",
        &format!("<office:presentation>{pages}</office:presentation>"),
        &Extras {
            header: None,
            ..x.clone()
        },
    )
}
