//! Documents agencies exchange, written by the corpus generator, read back: every part that can
//! carry a marking or personal data is reached, and named.

mod common;

use baomi_corpus::formats::{self, Extras, FORMATS};
use baomi_corpus::{DICTIONARY, generate};
use baomi_inspect::{Dictionary, ScanOptions, Scanner};
use common::{Got, extract};
use std::collections::BTreeSet;

const EXTRAS: Extras<'static> = Extras {
    header: Some("機密（限閱）"),
    footer: Some("承辦人電話 02-2345-6789"),
    comment: Some("陳情人身分證 A123456789"),
    title: Some("會議資料"),
    author: Some("王大明"),
};

const BODY: &str = "陳情書\n陳情人：林小美\n住址：臺北市中正區重慶南路一段122號\n";

#[test]
fn word_reaches_header_footer_comments_and_properties() {
    let g = extract(&formats::docx(BODY, &EXTRAS), "a.docx");
    assert!(g.skips.is_empty(), "{:?}", g.skips);
    assert!(g.at("body").contains("陳情人：林小美"), "{g:?}");
    assert!(g.at("header").contains("機密（限閱）"));
    assert!(g.at("footer").contains("02-2345-6789"));
    assert!(g.at("comments").contains("A123456789"));
    let props = g.at("properties");
    assert!(
        props.contains("title: 會議資料") && props.contains("王大明"),
        "{props}"
    );
}

#[test]
fn writer_reaches_page_style_header_footer_annotations_and_meta() {
    let g = extract(&formats::odt(BODY, &EXTRAS), "a.odt");
    assert!(g.skips.is_empty(), "{:?}", g.skips);
    assert!(g.at("body").contains("住址：臺北市中正區重慶南路一段122號"));
    assert!(g.at("comments").contains("A123456789"), "{g:?}");
    assert!(
        !g.at("body").contains("A123456789"),
        "comments are not the body: {g:?}"
    );
    assert!(g.at("header").contains("機密（限閱）"));
    assert!(g.at("footer").contains("02-2345-6789"));
    assert!(g.at("properties").contains("會議資料"));
}

#[test]
fn spreadsheets_name_sheets_and_cells() {
    for (bytes, name) in [
        (formats::xlsx(BODY, &EXTRAS), "a.xlsx"),
        (formats::ods(BODY, &EXTRAS), "a.ods"),
    ] {
        let g = extract(&bytes, name);
        assert!(g.skips.is_empty(), "{name}: {:?}", g.skips);
        let (origin, text, places) = g
            .texts
            .iter()
            .find(|(o, _, _)| o == "sheet 名冊")
            .unwrap_or_else(|| panic!("{name}: {:?}", g.origins()));
        assert_eq!(origin, "sheet 名冊");
        let at = text.find("陳情人").unwrap();
        let seg = baomi_extract::Segment {
            origin: &baomi_extract::Origin::default(),
            text,
            places,
        };
        assert_eq!(
            seg.place(at).map(|c| c.to_string()).as_deref(),
            Some("A2"),
            "{name}: {places:?}"
        );
        assert!(
            g.all().contains("機密（限閱）"),
            "{name}: the header or the styles"
        );
    }
}

#[test]
fn presentations_go_slide_by_slide_with_notes() {
    let long: String = (1..=20).map(|i| format!("第{i}行\n")).collect();
    for (bytes, name) in [
        (formats::pptx(&long, &EXTRAS), "a.pptx"),
        (formats::odp(&long, &EXTRAS), "a.odp"),
    ] {
        let g = extract(&bytes, name);
        assert!(g.skips.is_empty(), "{name}: {:?}", g.skips);
        assert!(
            g.at("slide 1").contains("第1行"),
            "{name}: {:?}",
            g.origins()
        );
        assert!(
            g.at("slide 2").contains("第20行"),
            "{name}: {:?}",
            g.origins()
        );
        assert!(
            g.at("slide 1 > notes").contains("機密（限閱）"),
            "{name}: {:?}",
            g.origins()
        );
    }
}

#[test]
fn slides_are_numbered_as_the_presentation_lists_them() {
    let long: String = (1..=20).map(|i| format!("第{i}行\n")).collect();
    let pptx = formats::pptx(&long, &Extras::default());
    let pres = std::str::from_utf8(&common::member(&pptx, "ppt/presentation.xml"))
        .unwrap()
        .replace(
            r#"<p:sldId id="256" r:id="rId1"/><p:sldId id="257" r:id="rId2"/>"#,
            r#"<p:sldId id="257" r:id="rId2"/><p:sldId id="256" r:id="rId1"/>"#,
        );
    let moved = common::replace_member(&pptx, "ppt/presentation.xml", pres.as_bytes());
    let g = extract(&moved, "moved.pptx");
    assert!(g.at("slide 1").contains("第20行"), "{:?}", g.texts);
    assert!(g.at("slide 2").contains("第1行"), "{:?}", g.texts);
}

#[test]
fn mail_headers_bodies_and_attachments_recursively() {
    let docx = formats::docx(BODY, &EXTRAS);
    let inner = formats::eml("轉寄：身分證 B234567890", &[]);
    let zip = formats::zip_of(&[("資料/名冊.docx", &docx)]);
    let mail = formats::eml(
        "請查收附件。",
        &[
            ("會議資料.docx", &docx),
            ("轉寄.eml", &inner),
            ("資料.zip", &zip),
        ],
    );
    let g = extract(&mail, "m.eml");
    assert!(g.skips.is_empty(), "{:?}", g.skips);
    assert!(
        g.at("mail headers").contains("Subject: 會議資料"),
        "{:?}",
        g.origins()
    );
    assert!(g.at("mail headers").contains("陳科長 <chen@agency.gov.tw>"));
    assert!(
        g.at("會議資料.docx > header").contains("機密（限閱）"),
        "{:?}",
        g.origins()
    );
    assert!(
        g.at("轉寄.eml > body").contains("B234567890"),
        "{:?}",
        g.origins()
    );
    assert!(
        g.at("資料.zip > 資料/名冊.docx > comments")
            .contains("A123456789"),
        "{:?}",
        g.origins()
    );
}

#[test]
fn html_text_is_what_the_page_shows() {
    let g = extract(&formats::html("電話：02 2345 6789\n<script>"), "a.html");
    let t = g.all();
    assert!(t.contains("電話：02 2345 6789"), "{t:?}");
    assert!(t.contains("<script>"), "escaped markup is text: {t:?}");
    assert!(!t.contains("margin"), "style sheets are not text: {t:?}");
}

/// Every format finds every (kind, value) the plain text finds: the issue's recall target, on
/// a sample of the generated corpus (the full table: `cargo run -p baomi-corpus --bin formats`).
#[test]
fn every_format_finds_what_the_plain_text_finds() {
    let dict = Dictionary::parse(DICTIONARY).unwrap();
    let scanner = Scanner::with(&dict, &ScanOptions::default());
    let norm = |v: &str| v.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let found = |texts: &[&str]| {
        texts
            .iter()
            .flat_map(|t| {
                scanner
                    .scan(t)
                    .into_iter()
                    .map(|f| (f.kind, norm(&t[f.start..f.end])))
            })
            .collect::<BTreeSet<_>>()
    };
    for d in generate(7, 40) {
        let plain = found(&[&d.text]);
        for fmt in FORMATS {
            let bytes = formats::render(fmt, &d.text, &Extras::default()).unwrap();
            let g: Got = extract(&bytes, &format!("x.{fmt}"));
            let texts: Vec<&str> = g.texts.iter().map(|(_, t, _)| t.as_str()).collect();
            let got = found(&texts);
            let missed: Vec<_> = plain.difference(&got).collect();
            assert!(missed.is_empty(), "{fmt} missed {missed:?} in\n{}", d.text);
        }
    }
}

/// Chinese written with Adobe's predefined CNS font and CMap (MSung-Light, UniCNS-UCS2-H) and no
/// ToUnicode map, as older Taiwanese systems (iText and the like) write it: the codes are UCS-2.
#[test]
fn pdf_text_in_a_predefined_unicode_cmap_is_read() {
    use lopdf::{Document, Object, Stream, dictionary};
    let text = "陳情人王小明，身分證A123456789";
    let hex: String = text.encode_utf16().map(|u| format!("{u:04X}")).collect();
    let mut doc = Document::with_version("1.4");
    let cid = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "CIDFontType0", "BaseFont" => "MSung-Light",
        "CIDSystemInfo" => dictionary! { "Registry" => Object::string_literal("Adobe"),
            "Ordering" => Object::string_literal("CNS1"), "Supplement" => 0 },
    });
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type0", "BaseFont" => "MSung-Light",
        "Encoding" => "UniCNS-UCS2-H", "DescendantFonts" => vec![cid.into()],
    });
    let content = doc.add_object(Stream::new(
        dictionary! {},
        format!("BT /F1 12 Tf 72 700 Td <{hex}> Tj ET").into_bytes(),
    ));
    let pages_id = doc.new_object_id();
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content,
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 },
        ),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut bytes = vec![];
    doc.save_to(&mut bytes).unwrap();
    let got = extract(&bytes, "old-system.pdf");
    assert!(got.all().contains(text), "{got:?}");
}
