//! PDF files as office software writes Chinese: a Type 0 font with Identity-H encoding and a
//! ToUnicode map (the text layer a reader extracts); a scanned page that is one JPEG image and
//! nothing else; and, for hostile-input tests, a page tree that points back at itself.

use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, dictionary};
use std::collections::BTreeMap;
use std::fmt::Write as _;

const LINES_PER_PAGE: usize = 45;

/// A PDF whose text layer holds `text`, 45 lines per A4 page.
pub fn pdf(text: &str) -> Vec<u8> {
    let mut cids: BTreeMap<char, u16> = BTreeMap::new();
    for c in text.chars().filter(|c| *c != '\n') {
        let next = cids.len() as u16 + 1;
        cids.entry(c).or_insert(next);
    }
    let mut doc = Document::with_version("1.7");
    let to_unicode = doc.add_object(Stream::new(dictionary! {}, cmap(&cids).into_bytes()));
    let cid_font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "CIDFontType2", "BaseFont" => "NotoSansCJKtc-Regular",
        "CIDSystemInfo" => dictionary! { "Registry" => Object::string_literal("Adobe"),
            "Ordering" => Object::string_literal("Identity"), "Supplement" => 0 },
        "DW" => 1000,
    });
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type0", "BaseFont" => "NotoSansCJKtc-Regular",
        "Encoding" => "Identity-H", "DescendantFonts" => vec![cid_font.into()],
        "ToUnicode" => to_unicode,
    });
    let resources = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font } });
    let pages_id = doc.new_object_id();
    let lines: Vec<&str> = text.lines().collect();
    let mut kids = vec![];
    for chunk in lines.chunks(LINES_PER_PAGE) {
        let mut ops = vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 11.into()]),
            Operation::new("Td", vec![50.into(), 790.into()]),
        ];
        for (i, line) in chunk.iter().enumerate() {
            if i > 0 {
                ops.push(Operation::new("Td", vec![0.into(), (-16).into()]));
            }
            let mut bytes = vec![];
            for c in line.chars() {
                bytes.extend_from_slice(&cids[&c].to_be_bytes());
            }
            ops.push(Operation::new(
                "Tj",
                vec![Object::String(bytes, lopdf::StringFormat::Hexadecimal)],
            ));
        }
        ops.push(Operation::new("ET", vec![]));
        kids.push(page(
            &mut doc,
            pages_id,
            resources,
            Content { operations: ops },
        ));
    }
    finish(doc, pages_id, kids)
}

/// A scanned page: one JPEG (`width` x `height` pixels) filling an A4 page, no text.
pub fn scanned_pdf(jpeg: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut doc = Document::with_version("1.7");
    let image = doc.add_object(Stream::new(
        dictionary! { "Type" => "XObject", "Subtype" => "Image", "Width" => width as i64,
        "Height" => height as i64, "ColorSpace" => "DeviceRGB", "BitsPerComponent" => 8,
        "Filter" => "DCTDecode" },
        jpeg.to_vec(),
    ));
    let resources = doc.add_object(dictionary! { "XObject" => dictionary! { "Im1" => image } });
    let pages_id = doc.new_object_id();
    let ops = vec![
        Operation::new("q", vec![]),
        Operation::new(
            "cm",
            vec![
                595.into(),
                0.into(),
                0.into(),
                842.into(),
                0.into(),
                0.into(),
            ],
        ),
        Operation::new("Do", vec!["Im1".into()]),
        Operation::new("Q", vec![]),
    ];
    let p = page(&mut doc, pages_id, resources, Content { operations: ops });
    finish(doc, pages_id, vec![p])
}

/// A PDF whose page tree lists itself among its kids, next to one real page.
pub fn cyclic_pdf(text: &str) -> Vec<u8> {
    let good = pdf(text);
    let mut doc = Document::load_mem(&good).expect("our own PDF");
    let pages = doc
        .catalog()
        .and_then(|c| c.get(b"Pages"))
        .and_then(Object::as_reference)
        .expect("pages");
    let node = doc.get_dictionary_mut(pages).expect("pages node");
    let mut kids = node
        .get(b"Kids")
        .and_then(Object::as_array)
        .cloned()
        .unwrap_or_default();
    kids.insert(0, pages.into());
    kids.push(pages.into());
    node.set("Kids", kids);
    let mut out = vec![];
    doc.save_to(&mut out).expect("write PDF");
    out
}

fn page(
    doc: &mut Document,
    parent: lopdf::ObjectId,
    resources: lopdf::ObjectId,
    content: Content,
) -> Object {
    let data = content.encode().expect("content");
    let contents = doc.add_object(Stream::new(dictionary! {}, data));
    doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => parent, "Contents" => contents,
        "Resources" => resources, "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    })
    .into()
}

fn finish(mut doc: Document, pages_id: lopdf::ObjectId, kids: Vec<Object>) -> Vec<u8> {
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let info = doc.add_object(dictionary! {
        "Title" => Object::String(utf16be("會議資料"), lopdf::StringFormat::Hexadecimal),
    });
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    doc.trailer.set("Info", info);
    doc.compress();
    let mut out = vec![];
    doc.save_to(&mut out).expect("write PDF");
    out
}

fn utf16be(s: &str) -> Vec<u8> {
    let mut v = vec![0xFE, 0xFF];
    for u in s.encode_utf16() {
        v.extend_from_slice(&u.to_be_bytes());
    }
    v
}

/// A ToUnicode CMap from CIDs to the characters they draw.
fn cmap(cids: &BTreeMap<char, u16>) -> String {
    let mut s = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let pairs: Vec<(&char, &u16)> = cids.iter().collect();
    for block in pairs.chunks(100) {
        let _ = writeln!(s, "{} beginbfchar", block.len());
        for (c, cid) in block {
            let mut units = [0u16; 2];
            let hex: String = c
                .encode_utf16(&mut units)
                .iter()
                .map(|u| format!("{u:04X}"))
                .collect();
            let _ = writeln!(s, "<{cid:04X}> <{hex}>");
        }
        s.push_str("endbfchar\n");
    }
    s.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    s
}
